#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What `unikit build` says when a format cannot be written: a -size too small
# (before any format writes, naming what is needed), a missing tool (naming
# its Debian package), a format for a spec without a kernel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

test_expect_success 'the fixture system is in the store' '
	formats_setup
'

test_expect_success 'a disk too small fails before anything is written and says how much is needed' '
	for f in raw-bios raw-efi qcow2-bios gcp; do
		test_must_fail unikit build -dir small -size 8M -format kernel+initrd -format $f \
			system.yml 2>err &&
		test_grep "error: format .$f.: disk size 8M is too small for .$f.: it needs at least -size [0-9]*M$" err &&
		test ! -e small/system-kernel || return 1
	done &&
	need=$(sed -n "s/.*-size \([0-9]*\)M$/\1/p" err) &&
	unikit build -dir fits -size ${need}M -format raw-efi system.yml &&
	test "$(stat -c %s fits/system-efi.img)" -eq $((need * 1024 * 1024)) &&
	sgdisk -v fits/system-efi.img | test_grep "No problems found" &&
	unikit build -dir bare -size $need -format raw-efi system.yml &&
	test "$(stat -c %s bare/system-efi.img)" -eq $((need * 1024 * 1024))
'

test_expect_success 'a missing tool is named with its Debian package, and nothing is written' '
	mkdir bin && for t in env; do ln -s "$(command -v $t)" bin/$t; done &&
	test_must_fail env PATH="$PWD/bin" "$UNIKIT" build -dir none -format kernel+initrd \
		-format iso-bios system.yml 2>err &&
	test_grep "program .xorriso. not found (install the Debian package .xorriso.)" err &&
	test_must_fail env PATH="$PWD/bin" "$UNIKIT" build -dir none -format qcow2-bios system.yml 2>err &&
	test_grep "not found (install the Debian package" err &&
	test ! -e none/system-kernel
'

test_expect_success 'a boot format for a spec without a kernel is an input error' '
	printf "init:\n  - unikit.test/formats-root:1\n" >nokernel.yml &&
	test_must_fail unikit build -format raw-bios nokernel.yml 2>err &&
	test_grep "format .raw-bios. needs a kernel" err &&
	unikit build -format oci nokernel.yml && test -s nokernel.oci.tar
'

test_done
