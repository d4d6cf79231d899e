#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproducible builds: the same specs and store give the same bytes; SOURCE_DATE_EPOCH sets
# every timestamp.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

test_expect_success 'import the fixture images' '
	import_fixtures
'

cat >"$TRASH/r.yml" <<'EOF2'
kernel:
  image: unikit.test/kernel:1
  cmdline: "console=ttyS0"
  ucode: ucode.cpio
init:
  - unikit.test/init:1
  - unikit.test/init2:1
onboot:
  - name: a
    image: unikit.test/onboot:1
services:
  - name: svc
    image: unikit.test/service:1
  - name: w
    image: unikit.test/whiteout:1
files:
  - path: etc/spec.yml
    metadata: yaml
EOF2

test_expect_success 'two builds are byte-identical' '
	mkdir one two &&
	unikit build -dir one -format kernel+initrd,tar,tar-kernel-initrd r.yml &&
	unikit build -dir two -format kernel+initrd,tar,tar-kernel-initrd r.yml &&
	for f in r-kernel r-initrd.img r-cmdline r.tar r-initrd.tar; do
		cmp one/$f two/$f || exit 1
	done
'

test_expect_success 'gzip header: no name, no timestamp' '
	initrd_split one/r-initrd.img head gz &&
	test "$(head -c 10 gz | od -An -tx1 | tr -d " \n")" = "1f8b0800000000000003"
'

test_expect_success 'SOURCE_DATE_EPOCH sets the timestamps (default 0)' '
	bsdtar -tvf one/r.tar | grep -v " Jan  1  1970 " >not-epoch || true &&
	test_must_be_empty() { test ! -s "$1" || { cat "$1"; false; }; } &&
	test_must_be_empty not-epoch &&
	SOURCE_DATE_EPOCH=1700000000 unikit build -dir three -format tar r.yml &&
	bsdtar -tvf three/r.tar | grep -c " Nov 14  2023 " >n &&
	test "$(cat n)" = "$(bsdtar -tf three/r.tar | wc -l)" &&
	! cmp -s one/r.tar three/r.tar
'

test_expect_success '-name changes the names, not the bytes' '
	unikit build -dir four -name other r.yml &&
	cmp one/r-initrd.img four/other-initrd.img &&
	cmp one/r-kernel four/other-kernel
'

test_done
