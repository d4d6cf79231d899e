#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The files section: contents, directories, symlinks, sources (relative to the spec), optional
# sources, metadata, modes, owners by id or container name, and the leading directories.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

test_expect_success 'import the fixture images' '
	import_fixtures
'

mkdir -p "$TRASH/specs/data"
printf 'from a source file\n' >"$TRASH/specs/data/src.txt"
cat >"$TRASH/specs/f.yml" <<'EOF2'
init:
  - unikit.test/init:1
services:
  - name: web
    image: unikit.test/onboot:1
files:
  - path: etc/greeting
    contents: "hello\n"
  - path: /etc/app/conf
    contents: "x=1\n"
    mode: "0640"
    uid: web
    gid: 7
  - path: etc/empty
    contents: ""
  - path: var/spool/new
    directory: true
  - path: var/wide
    directory: true
    mode: "0777"
  - path: bin/link
    symlink: /bin/busybox
  - path: etc/from-source
    source: data/src.txt
    mode: "0644"
  - path: etc/optional
    source: data/missing.txt
    optional: true
  - path: etc/linuxkit.yml
    metadata: yaml
  - path: etc/linuxkit.json
    metadata: json
  - path: opt/deep/dir/file
    contents: "deep"
    mode: "0600"
EOF2

test_expect_success 'build' '
	unikit build -format tar specs/f.yml &&
	tar_list f.tar >list &&
	mkdir r && bsdtar -xf f.tar -C r
'

test_expect_success 'contents, with the default mode 0600 and root owner' '
	printf "hello\n" >expect && test_cmp expect r/etc/greeting &&
	test_grep -x -- "-rw------- 0 0 etc/greeting" list &&
	test_grep -x -- "-rw------- 0 0 etc/empty" list && ! test -s r/etc/empty
'

test_expect_success 'mode, uid by container name, gid by number; a leading / is dropped' '
	test_grep -x -- "-rw-r----- 100 7 etc/app/conf" list
'

test_expect_success 'directories default to 0700; a given mode is kept' '
	test_grep -x "drwx------ 0 0 var/spool/new" list &&
	test_grep -x "drwxrwxrwx 0 0 var/wide" list
'

test_expect_success 'symlinks' '
	test "$(readlink r/bin/link)" = /bin/busybox
'

test_expect_success 'sources are read relative to the spec; a missing optional one is skipped' '
	test_cmp specs/data/src.txt r/etc/from-source &&
	! test -e r/etc/optional
'

test_expect_success 'metadata: the resolved spec, image names in full' '
	test_grep "image: unikit.test/onboot:1" r/etc/linuxkit.yml &&
	test_grep "path: etc/greeting" r/etc/linuxkit.yml &&
	jq -e ".services[0].name == \"web\"" r/etc/linuxkit.json &&
	jq -e ".files | length == 11" r/etc/linuxkit.json
'

test_expect_success 'missing leading directories get the file mode with x bits, owned like the file' '
	test_grep -x "drwx------ 0 0 opt" list &&
	test_grep -x "drwx------ 0 0 opt/deep/dir" list
'

test_expect_success 'existing directories keep their mode (LinuxKit would chmod /etc to 0700)' '
	test_grep -x "drwxr-xr-x 0 0 etc" list
'

test_expect_success 'a missing source that is not optional is an error at its position' '
	sed "s/optional: true/optional: false/" specs/f.yml >specs/bad.yml &&
	test_must_fail unikit build -format tar specs/bad.yml 2>err &&
	test_grep "bad.yml:[0-9]*:[0-9]*: .*missing.txt" err &&
	! test -e bad.tar
'

test_done
