#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run -arch aarch64: an arm64 guest under TCG (qemu-system-aarch64,
# machine virt, -cpu max), booted directly and through UEFI firmware (AAVMF).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

run_fixtures_arm64

test_expect_success 'an arm64 kernel+initrd boots, sees its disk and metadata, powers off' '
	ln -s "$RUN_GUEST_ARM64/kernel" a64-kernel &&
	ln -s "$RUN_GUEST_ARM64/initrd.img" a64-initrd.img &&
	echo "console=ttyAMA0 quiet" >a64-cmdline &&
	"$UNIKIT" run -v -arch aarch64 -timeout $RUN_TIMEOUT -disk size=32M -data "arm data" a64 \
		</dev/null >out 2>err &&
	test_grep -q "^unikit: qemu-system-aarch64 -machine virt -accel tcg -cpu max " err &&
	guest_says out >said &&
	test_grep -qx "disk vda bytes $((32 << 20))" said &&
	test_grep -qx "cd sr0 label cidata" said &&
	tr -d "\r" <out | test_grep -qx "arm data" &&
	test_grep -qx "mac $(cat a64-state/mac-addr)" said &&
	test_grep -qx "powering off" said
'

test_expect_success 'an arm64 EFI application boots through AAVMF' '
	cp "$RUN_GUEST_ARM64/kernel" linux.efi &&
	rc=0 && "$UNIKIT" run -v -arch arm64 -timeout $RUN_TIMEOUT linux.efi </dev/null >out 2>err || rc=$?
	test_grep -q " -drive if=pflash,format=raw,unit=0,readonly=on,file=[^ ]*AAVMF_CODE[^ ]* " err &&
	mdir -b -i linux.efi-state/esp.img ::/EFI/BOOT | test_grep -q "BOOTAA64.EFI" &&
	tr -d "\r" <out | test_grep -q "^EFI stub: Booting Linux Kernel" &&
	# the kernel has no initrd and no root: it panics, and the run says so
	test $rc -eq 3 &&
	test_grep -q "^unikit: error: the guest kernel panicked: Kernel panic - not syncing: VFS: Unable to mount root fs" err
'

test_done
