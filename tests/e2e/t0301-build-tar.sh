#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit build -format tar and tar-kernel-initrd, checked with bsdtar.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

test_expect_success 'import the fixture images' '
	import_fixtures
'

cat >"$TRASH/t.yml" <<'EOF2'
kernel:
  image: unikit.test/kernel:1
  cmdline: "console=ttyS0"
  ucode: ucode.cpio
init:
  - unikit.test/init:1
EOF2

test_expect_success 'tar: the whole root, boot/ included, as NAME.tar' '
	unikit build -format tar t.yml &&
	bsdtar -tvf t.tar >list &&
	test_grep " boot/kernel$" list &&
	test_grep " boot/cmdline$" list &&
	test_grep " boot/ucode.cpio$" list &&
	test_grep " lib/modules/6.1.0-test/modules.dep$" list &&
	test_grep "^lrwxrwxrwx .* bin/sh -> busybox$" list &&
	test_grep "^hrwxr-xr-x .* bin/ls link to bin/busybox$" list &&
	mkdir x && bsdtar -xf t.tar -C x &&
	fixture_file unikit.test/kernel:1 kernel | cmp - x/boot/kernel &&
	printf "console=ttyS0" | cmp - x/boot/cmdline
'

test_expect_success 'tar -o - writes the archive to standard output' '
	unikit build -format tar -o - t.yml >out.tar &&
	cmp out.tar t.tar
'

test_expect_success 'tar -o FILE writes FILE' '
	unikit build -format tar -o sub.tar t.yml &&
	cmp sub.tar t.tar
'

test_expect_success 'tar-kernel-initrd: kernel, initrd.img, cmdline and ucode.cpio in NAME-initrd.tar' '
	unikit build -format tar-kernel-initrd,kernel+initrd t.yml &&
	bsdtar -tf t-initrd.tar >names &&
	printf "kernel\ninitrd.img\ncmdline\nucode.cpio\n" >expect &&
	test_cmp expect names &&
	mkdir y && bsdtar -xf t-initrd.tar -C y &&
	cmp y/kernel t-kernel &&
	cat y/ucode.cpio y/initrd.img | cmp - t-initrd.img &&
	gzip -t y/initrd.img &&
	fixture_file unikit.test/kernel:1 ucode.cpio | cmp - y/ucode.cpio
'

test_done
