#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit build -dry-run: LinuxKit's examples, merging, stdin, and errors
# listed all at once with their positions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-spec.sh"

examples=$SHARED/linuxkit-examples
[ -d "$examples" ] || test_skip_all "no LinuxKit examples in $examples"
have_pyyaml || test_skip_all "python3-yaml is missing"

test_expect_success 'every LinuxKit example but static-ip.yml passes, content intact' '
	n=0
	for f in "$examples"/*.yml; do
		[ "$(basename "$f")" = static-ip.yml ] && continue
		unikit build -dry-run "$f" >out.yml 2>err
		test_must_fail test -s err
		spec_expected_json "$f" >want.json
		yaml2json out.yml >got.json
		test_cmp want.json got.json
		n=$((n + 1))
	done
	test "$n" -ge 30
'

test_expect_success 'the dry-run output reads back to itself' '
	for f in "$examples"/*.yml; do
		[ "$(basename "$f")" = static-ip.yml ] && continue
		unikit build -dry-run "$f" >first.yml
		unikit build -dry-run - <first.yml >second.yml
		test_cmp first.yml second.yml
	done
'

test_expect_success 'static-ip.yml is rejected with its line and column' '
	test_must_fail unikit build -dry-run "$examples/static-ip.yml" >out 2>err
	test_must_fail test -s out
	echo "$examples/static-ip.yml:28:7: did not find expected key (while parsing a block mapping at line 25, column 5)" >want
	test_cmp want err
'

test_expect_success 'several files merge: later kernel fields win, lists append' '
	cat >base.yml <<-\EOT
	kernel:
	  image: linuxkit/kernel:6.6
	  cmdline: console=ttyS0
	init: [linuxkit/init:a]
	onboot: [{name: dhcpcd, image: linuxkit/dhcpcd:a}]
	services: [{name: getty, image: linuxkit/getty:a}]
	EOT
	cat >extra.yml <<-\EOT
	kernel:
	  image: linuxkit/kernel:6.12
	init: [linuxkit/runc:b]
	services: [{name: sshd, image: linuxkit/sshd:b}]
	files: [{path: etc/motd, contents: hi}]
	EOT
	unikit build -dry-run base.yml extra.yml >out.yml
	yaml2json out.yml >out.json
	test "$(jq -r .kernel.image out.json)" = linuxkit/kernel:6.12
	test "$(jq -r .kernel.cmdline out.json)" = console=ttyS0
	test "$(jq -c .init out.json)" = "[\"linuxkit/init:a\",\"linuxkit/runc:b\"]"
	test "$(jq -c "[.services[].name]" out.json)" = "[\"getty\",\"sshd\"]"
	test "$(jq -r ".files[0].contents" out.json)" = hi
'

test_expect_success 'a spec on stdin ("-"), alone or with files' '
	unikit build -dry-run - <base.yml >stdin.yml
	unikit build -dry-run base.yml >file.yml
	test_cmp file.yml stdin.yml
	unikit build --dry-run base.yml - <extra.yml >mixed.yml
	unikit build -dry-run base.yml extra.yml >files.yml
	test_cmp files.yml mixed.yml
	echo "onbot: []" >typo.yml
	test_must_fail unikit build -dry-run - <typo.yml 2>err
	test_grep -x "<stdin>:1:1: unknown key .onbot. (did you mean .onboot.?)" err
'

# Inputs and expected errors, written here where quoting is plain.
cat >"$TRASH/bad.yml" <<'EOT'
kernel:
  image: linuxkit/kernel:6.6
  cmdlne: console=ttyS0
onbot:
  - name: x
services:
  - name: web
    image: nginx
    readonly: yes
    capabilities: [CAP_NET_BIND_SERVCE]
  - name: web
    imgae: nginx
files:
  - path: etc/a
    contents: x
    source: /etc/hosts
  - path: etc/b
    contents: y
    mode: 644
EOT
cat >"$TRASH/bad.want" <<'EOT'
bad.yml:3:3: unknown key 'cmdlne' in 'kernel' (did you mean 'cmdline'?)
bad.yml:4:1: unknown key 'onbot' (did you mean 'onboot'?)
bad.yml:9:15: 'readonly' must be a boolean (true or false), not the string 'yes' (YAML 1.2 booleans are true and false)
bad.yml:10:20: unknown capability 'CAP_NET_BIND_SERVCE' (did you mean 'CAP_NET_BIND_SERVICE'?)
bad.yml:12:5: unknown key 'imgae' in services entry 'web' (did you mean 'image'?)
bad.yml:11:5: missing 'image' in services entry 'web'
bad.yml:16:13: file 'etc/a': 'contents' and 'source' exclude each other
bad.yml:19:11: 'mode' must be a string, not the integer 644 (quote it to make it a string)
bad.yml:11:11: duplicate service name 'web' (first at bad.yml:7:11)
EOT
cat >"$TRASH/dup.yml" <<'EOT'
services: [{name: getty, image: x, pid: hots}]
EOT
cat >"$TRASH/dup.want" <<'EOT'
dup.yml:1:41: 'pid' must be 'host', 'new', 'none' or a namespace path (did you mean 'host'?)
open 'missing.yml': No such file or directory
dup.yml:1:19: duplicate service name 'getty' (first at base.yml:6:19)
EOT

test_expect_success 'all errors at once, with positions and did-you-mean' '
	test_must_fail unikit build -dry-run bad.yml >out 2>err
	test_must_fail test -s out
	test_cmp bad.want err
'

test_expect_success 'errors of several files are all listed, each with its file' '
	test_must_fail unikit build -dry-run base.yml dup.yml missing.yml >out 2>err
	test_must_fail test -s out
	test_cmp dup.want err
'

test_expect_success 'build without a spec is a usage error' '
	rc=0; unikit build -dry-run 2>err || rc=$?
	test "$rc" -eq 2
	unikit build -help | test_grep -e -dry-run
'

test_done
