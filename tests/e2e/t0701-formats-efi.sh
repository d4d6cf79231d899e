#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# UEFI formats: `unikit build` writes the unified kernel image, raw-efi,
# qcow2-efi, iso-efi and iso-efi-initrd; `unikit run -uefi` boots each with
# OVMF to the fixture's marker line; a build signed with -sign-key/-sign-cert
# passes sbverify with that certificate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

ls /usr/share/OVMF/OVMF_CODE*.fd >/dev/null 2>&1 || test_skip_all "no OVMF firmware"

test_expect_success 'the fixture system is in the store' '
	formats_setup
'

test_expect_success 'uki: the stub with .osrel, .cmdline, .initrd and .linux sections boots' '
	fbuild -format uki -format kernel+initrd &&
	objdump -h out/sys.efi >sections &&
	for s in .osrel .cmdline .initrd .linux; do test_grep " $s " sections || return 1; done &&
	pe_section out/sys.efi .cmdline cmdline && test "$(cat cmdline)" = "$(cat out/sys-cmdline)" &&
	pe_section out/sys.efi .osrel osrel && test_grep "^IMAGE_ID=sys$" osrel &&
	pe_section out/sys.efi .linux linux && cmp linux out/sys-kernel &&
	pe_section out/sys.efi .initrd initrd && cmp initrd out/sys-initrd.img &&
	frun uki.log -uefi out/sys.efi
'

test_expect_success 'raw-efi: a GPT with one EFI system partition that boots' '
	fbuild -size 64M -format raw-efi &&
	sgdisk -v out/sys-efi.img | test_grep "No problems found" &&
	sgdisk -p out/sys-efi.img | test_grep "EF00" &&
	sfdisk --dump out/sys-efi.img >dump && test_grep "label: gpt" dump &&
	test_grep "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B" dump &&
	mdir -i out/sys-efi.img@@1M ::/EFI/BOOT | test_grep -i "BOOTX64  EFI" &&
	frun boot.log -uefi out/sys-efi.img
'

test_expect_success 'qcow2-efi: the EFI disk converted, checked and booted' '
	fbuild -size 64M -format qcow2-efi &&
	qemu-img check out/sys-efi.qcow2 &&
	qemu-img compare -F raw out/sys-efi.qcow2 out/sys-efi.img &&
	frun q.log -uefi out/sys-efi.qcow2
'

test_expect_success 'iso-efi: an El Torito EFI image with the UKI, booted as a CD' '
	fbuild -format iso-efi &&
	xorriso -indev out/sys-efi.iso -report_el_torito plain 2>/dev/null | test_grep -i "uefi" &&
	osirrox -indev out/sys-efi.iso -extract /boot/efi.img efi.img 2>/dev/null &&
	mdir -i efi.img ::/EFI/BOOT | test_grep -i "BOOTX64  EFI" &&
	frun cd.log -uefi out/sys-efi.iso
'

test_expect_success 'iso-efi-initrd: systemd-boot, the kernel and the initrd, booted as a CD' '
	fbuild -format iso-efi-initrd &&
	osirrox -indev out/sys-efi-initrd.iso -extract /boot/efi.img esp.img 2>/dev/null &&
	mtype -i esp.img ::/loader/entries/unikit.conf >entry &&
	test_grep "^options console=ttyS0 quiet panic=-1$" entry &&
	test_grep "^linux /unikit/kernel$" entry &&
	mcopy -i esp.img ::/unikit/kernel kernel && cmp kernel out/sys-kernel &&
	frun cd.log -uefi out/sys-efi-initrd.iso
'

test_expect_success 'uki and raw-efi signed with -sign-key/-sign-cert pass sbverify and boot' '
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=unikit test/" \
		-keyout db.key -out db.crt 2>/dev/null &&
	cp out/sys.efi unsigned.efi &&
	fbuild -size 64M -sign-key db.key -sign-cert db.crt -format uki -format raw-efi &&
	sbverify --cert db.crt out/sys.efi &&
	test_must_fail sbverify --cert db.crt unsigned.efi &&
	mcopy -i out/sys-efi.img@@1M ::/EFI/BOOT/BOOTX64.EFI boot.efi &&
	sbverify --cert db.crt boot.efi &&
	frun signed.log -uefi out/sys-efi.img
'

test_expect_success '-sign-key without -sign-cert, or unreadable, is refused' '
	test_must_fail unikit build -sign-key db.key -format uki system.yml 2>err &&
	test_grep "sign-key and -sign-cert go together" err &&
	test_must_fail unikit build -dir bad -sign-key nokey -sign-cert db.crt -format uki system.yml 2>err &&
	test_grep "nokey" err && test ! -e bad/system.efi
'

test_done
