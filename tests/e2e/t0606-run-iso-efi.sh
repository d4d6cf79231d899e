#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run boots a CD-ROM image (named .iso, or known by its content), a
# unified kernel image through OVMF, and a kernel with its root filesystem on
# a disk (squashfs or EROFS, root=/dev/vda). Real QEMU.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

run_fixtures
started="UNIKIT-FIXTURE: init started"

test_expect_success 'an .iso boots from the CD-ROM' '
	cp "$RUN_IMAGES/boot.iso" cd.iso &&
	"$UNIKIT" run -v -timeout $RUN_TIMEOUT -wait-for "mac ([0-9a-f]{2}:){5}[0-9a-f]{2}" cd.iso \
		</dev/null >out 2>err &&
	test_grep -q " -device scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0 " err &&
	guest_says out | test_grep -qx "cd sr0 label UNIKIT_BOOT" &&
	test -d cd-state && test ! -e cd.iso-state
'

test_expect_success 'an ISO 9660 image is a CD-ROM whatever its name; -data is the second CD' '
	cp "$RUN_IMAGES/boot.iso" cdimage &&
	"$UNIKIT" run -v -timeout $RUN_TIMEOUT -data "iso and data" \
		-wait-for "mac ([0-9a-f]{2}:){5}[0-9a-f]{2}" cdimage </dev/null >out 2>err &&
	test_grep -q "drive=cd0,bootindex=0 " err &&
	guest_says out >said &&
	test_grep -qx "cd sr0 label UNIKIT_BOOT" said &&
	test_grep -qx "cd sr1 label cidata" said &&
	tr -d "\r" <out | test_grep -qx "iso and data"
'

test_expect_success 'a unified kernel image boots through UEFI firmware' '
	cp "$RUN_IMAGES/uki.efi" app.efi &&
	"$UNIKIT" run -v -timeout $RUN_TIMEOUT -wait-for "$started" app.efi </dev/null >out 2>err &&
	test_grep -q " -drive if=pflash,format=raw,unit=0,readonly=on,file=[^ ]*CODE[^ ]* " err &&
	test_grep -q " -drive if=pflash,format=raw,unit=1,file=app.efi-state/[^ ]*VARS[^ ]* " err &&
	test_grep -q " -device virtio-blk-pci,drive=esp,bootindex=0 " err &&
	mdir -b -i app.efi-state/esp.img ::/EFI/BOOT | test_grep -q "BOOTX64.EFI" &&
	mtype -i app.efi-state/esp.img ::/EFI/BOOT/BOOTX64.EFI | cmp - app.efi
'

# root_disk NAME FIXTURE SUFFIX
root_disk() {
	run_prefix "$1" rootdisk &&
	cp "$RUN_IMAGES/$2" "$1-$3" &&
	"$UNIKIT" run -v -timeout $RUN_TIMEOUT "$1" </dev/null >out 2>err &&
	test_grep -q " -append .console=ttyS0 quiet unikit.test=rootdisk root=/dev/vda. " err &&
	test_grep -q " -drive if=none,id=root,file=$1-$3,format=raw,readonly=on " err &&
	guest_says out | test_grep -qx "root /dev/vda mounted: root filesystem image"
}

test_expect_success 'a kernel with a squashfs root disk' '
	root_disk sq root.squashfs squashfs.img
'

test_expect_success 'a kernel with an EROFS root disk' '
	root_disk er root.erofs erofs.img
'

test_done
