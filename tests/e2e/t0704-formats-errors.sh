#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the format writers say when they cannot write: a -size too small (before
# anything is written, with what is needed), a bad -size, a missing tool.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

test_expect_success 'the fixture system and the writers driver are ready' '
	formats_setup
'

test_expect_success 'a disk too small for the content fails first and says how much is needed' '
	for f in raw-bios raw-efi; do
		test_must_fail env SIZE=8M TMPDIR="$PWD" "$FORMATS_DRIVER" $f small.img \
			"$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" 2>err &&
		test_grep "error: disk size 8M is too small for .$f.: it needs at least -size [0-9]*M$" err &&
		test ! -e small.img || return 1
	done &&
	need=$(sed -n "s/.*-size \([0-9]*\)M$/\1/p" err) &&
	SIZE=${need}M fdrv raw-efi fits.img "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	test "$(stat -c %s fits.img)" -eq $((need * 1024 * 1024)) &&
	sgdisk -v fits.img | test_grep "No problems found"
'

test_expect_success 'a bad -size is an input error' '
	test_must_fail env SIZE=12X "$FORMATS_DRIVER" raw-bios x.img "$FX/vmlinuz" "" "" 2>err &&
	test_grep "invalid size .12X." err
'

test_expect_success 'a missing tool is named with its Debian package' '
	mkdir empty &&
	test_must_fail env PATH="$PWD/empty" TMPDIR="$PWD" "$FORMATS_DRIVER" iso-bios x.iso \
		"$FX/vmlinuz" "$FX/initramfs.img" "" 2>err &&
	test_grep "program .xorriso. not found (install the Debian package .xorriso.)" err &&
	test_must_fail env PATH="$PWD/empty" TMPDIR="$PWD" "$FORMATS_DRIVER" qcow2 x.qcow2 fits.img 2>err &&
	test_grep "program .qemu-img. not found (install the Debian package .qemu-utils.)" err
'

test_expect_success 'a kernel that is not there is named' '
	test_must_fail env TMPDIR="$PWD" "$FORMATS_DRIVER" uki x.efi missing-kernel "" "" 2>err &&
	test_grep "missing-kernel" err
'

test_done
