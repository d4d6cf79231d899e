#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run -uefi: OVMF boots a UEFI CD-ROM (El Torito EFI image) and a GPT
# disk with an EFI system partition, both holding a unified kernel image;
# the VM keeps its own UEFI variable store. Real QEMU.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

run_fixtures
started="UNIKIT-FIXTURE: init started"

test_expect_success 'a UEFI CD-ROM boots with -uefi' '
	cp "$RUN_IMAGES/efi.iso" efi.iso &&
	"$UNIKIT" run -v -uefi -timeout $RUN_TIMEOUT -wait-for "$started" efi.iso </dev/null >out 2>err &&
	test_grep -q " -drive if=pflash,format=raw,unit=1,file=efi-state/[^ ]*VARS[^ ]* " err &&
	test_grep -q " -device scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0 " err &&
	ls efi-state | test_grep -q VARS
'

test_expect_success 'a GPT disk with an EFI system partition boots with -uefi' '
	cp "$RUN_IMAGES/efi-disk.raw" gpt.img &&
	"$UNIKIT" run -v -uefi -timeout $RUN_TIMEOUT -wait-for "$started" gpt.img </dev/null >out 2>err &&
	test_grep -q " -drive if=none,id=boot,file=gpt.img,format=raw -device virtio-blk-pci,drive=boot,bootindex=0 " err
'

test_done
