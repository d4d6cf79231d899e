#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# UEFI formats: the unified kernel image, raw-efi, qcow2-efi, iso-efi and
# iso-efi-initrd boot with OVMF to the fixture's marker line; the UKI's PE
# sections, the GPT and the ISOs are read by independent tools; a signed UKI
# passes sbverify with the certificate it was signed with.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

[ -r "$OVMF_CODE" ] || test_skip_all "no OVMF firmware ($OVMF_CODE)"

test_expect_success 'the fixture system and the writers driver are ready' '
	formats_setup
'

test_expect_success 'uki: the stub with .osrel, .cmdline, .initrd and .linux sections' '
	NAME=fixture fdrv uki k.efi "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	objdump -h k.efi >sections &&
	for s in .osrel .cmdline .initrd .linux; do test_grep " $s " sections; done &&
	pe_section k.efi .cmdline cmdline &&
	test "$(cat cmdline)" = "$FORMATS_CMDLINE" &&
	pe_section k.efi .osrel osrel &&
	test_grep "^IMAGE_ID=fixture$" osrel &&
	pe_section k.efi .linux linux &&
	cmp linux "$FX/vmlinuz" &&
	pe_section k.efi .initrd initrd &&
	cmp initrd "$FX/initramfs.img"
'

test_expect_success 'raw-efi: a GPT with one EFI system partition that boots' '
	SIZE=64M fdrv raw-efi disk.img "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	sgdisk -v disk.img >verify && test_grep "No problems found" verify &&
	sgdisk -p disk.img >table && test_grep "EF00" table &&
	sfdisk --dump disk.img >dump && test_grep "label: gpt" dump &&
	test_grep "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B" dump &&
	mdir -i disk.img@@1M ::/EFI/BOOT >dir && test_grep -i "BOOTX64  EFI" dir &&
	boot_efi boot.log -drive file=disk.img,format=raw,if=virtio
'

test_expect_success 'qcow2-efi: the EFI disk converted, checked and booted' '
	fdrv qcow2 disk.qcow2 disk.img &&
	qemu-img check disk.qcow2 &&
	boot_efi q.log -drive file=disk.qcow2,format=qcow2,if=virtio,snapshot=on
'

test_expect_success 'iso-efi: an El Torito EFI image with the UKI, booted as a CD' '
	fdrv iso-efi efi.iso "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	xorriso -indev efi.iso -report_el_torito plain 2>/dev/null >torito &&
	test_grep -i "uefi" torito &&
	osirrox -indev efi.iso -extract /boot/efi.img efi.img 2>/dev/null &&
	mdir -i efi.img ::/EFI/BOOT | test_grep -i "BOOTX64  EFI" &&
	boot_efi cd.log -cdrom efi.iso
'

test_expect_success 'iso-efi-initrd: systemd-boot, the kernel and the initrd, booted as a CD' '
	fdrv iso-efi-initrd efi-initrd.iso "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	osirrox -indev efi-initrd.iso -extract /boot/efi.img esp.img 2>/dev/null &&
	mtype -i esp.img ::/loader/entries/unikit.conf >entry &&
	test_grep "^options $FORMATS_CMDLINE$" entry && test_grep "^linux /unikit/kernel$" entry &&
	mcopy -i esp.img ::/unikit/kernel kernel && cmp kernel "$FX/vmlinuz" &&
	boot_efi cd.log -cdrom efi-initrd.iso
'

test_expect_success 'a UKI and raw-efi signed with -sign-key/-sign-cert pass sbverify' '
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=unikit test/" \
		-keyout db.key -out db.crt 2>/dev/null &&
	SIGN_KEY=db.key SIGN_CERT=db.crt fdrv uki signed.efi "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	sbverify --cert db.crt signed.efi &&
	test_must_fail sbverify --cert db.crt k.efi &&
	SIGN_KEY=db.key SIGN_CERT=db.crt SIZE=64M fdrv raw-efi signed.img "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	mcopy -i signed.img@@1M ::/EFI/BOOT/BOOTX64.EFI boot.efi &&
	sbverify --cert db.crt boot.efi &&
	boot_efi signed.log -drive file=signed.img,format=raw,if=virtio
'

test_done
