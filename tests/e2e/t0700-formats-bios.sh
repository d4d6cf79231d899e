#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# BIOS formats: `unikit build` writes raw-bios, aws, iso-bios and the disks
# converted from raw-bios; `unikit run` boots each with SeaBIOS to the
# fixture's marker line; independent tools read the tables and containers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

test_expect_success 'the fixture system is in the store' '
	formats_setup
'

test_expect_success 'raw-bios: an MBR disk with a bootable FAT partition that boots' '
	fbuild -size 64M -format raw-bios -format aws &&
	test "$(stat -c %s out/sys-bios.img)" -eq $((64 * 1024 * 1024)) &&
	cmp out/sys-bios.img out/sys.raw &&
	sfdisk --dump out/sys-bios.img >dump &&
	test_grep "label: dos" dump &&
	test_grep "start=        2048, size=      129024, type=e, bootable" dump &&
	mdir -i out/sys-bios.img@@1M -a :: >dir && test_grep -i "kernel" dir &&
	test_grep -i "initrd" dir && test_grep -i "ldlinux" dir &&
	mtype -i out/sys-bios.img@@1M ::/syslinux.cfg >cfg &&
	test_grep "APPEND console=ttyS0 quiet panic=-1" cfg &&
	frun boot.log out/sys-bios.img &&
	test "$(booted_root boot.log)" = rootfs
'

test_expect_success 'the default size is 1024M with FAT32, a sparse file' '
	fbuild -format raw-bios &&
	test "$(stat -c %s out/sys-bios.img)" -eq $((1024 * 1024 * 1024)) &&
	test "$(du -m out/sys-bios.img | cut -f1)" -lt 100 &&
	sfdisk --dump out/sys-bios.img | test_grep "type=c, bootable" &&
	minfo -i out/sys-bios.img@@1M :: | test_grep "big size: 2095104 sectors"
'

test_expect_success 'iso-bios: boots as a CD and, hybrid, as a disk; xorriso lists it' '
	fbuild -format iso-bios &&
	xorriso -indev out/sys.iso -find / -type f 2>/dev/null >files &&
	test_grep "/boot/kernel" files && test_grep "/boot/initrd.img" files &&
	test_grep "/isolinux/isolinux.bin" files && test_grep "/isolinux/ldlinux.c32" files &&
	sfdisk --dump out/sys.iso | test_grep "bootable" &&
	frun cd.log out/sys.iso &&
	qemu_disk usb.log out/sys.iso
'

test_expect_success 'qcow2-bios, vmdk: qemu-img checks them and they boot' '
	fbuild -size 64M -format qcow2-bios -format vmdk &&
	qemu-img check out/sys.qcow2 && qemu-img check out/sys.vmdk &&
	qemu-img info --output=json out/sys.qcow2 | jq -e ".format == \"qcow2\" and .\"virtual-size\" == 67108864" &&
	head -c 4 out/sys.vmdk | test_grep -a KDMV &&
	strings out/sys.vmdk | test_grep "createType=\"streamOptimized\"" &&
	strings out/sys.vmdk | test_grep "SPARSE \"sys.vmdk\"" &&
	fbuild -size 64M -format raw-bios &&
	qemu-img compare -F raw out/sys.qcow2 out/sys-bios.img &&
	qemu-img compare -F raw out/sys.vmdk out/sys-bios.img &&
	frun q.log out/sys.qcow2 && frun k.log out/sys.vmdk
'

test_expect_success 'vhd and dynamic-vhd: qemu-img reads them and they boot' '
	fbuild -size 64M -format vhd && mv out/sys.vhd fixed.vhd &&
	fbuild -size 64M -format dynamic-vhd && mv out/sys.vhd dynamic.vhd &&
	test "$(stat -c %s fixed.vhd)" -eq $((64 * 1024 * 1024 + 512)) &&
	cmp -n $((64 * 1024 * 1024)) fixed.vhd out/sys-bios.img &&
	tail -c 512 fixed.vhd | head -c 8 | test_grep -a conectix &&
	qemu-img info -f vpc --output=json fixed.vhd | jq -e ".\"virtual-size\" == 67108864" &&
	qemu-img info --output=json dynamic.vhd | jq -e ".format == \"vpc\"" &&
	qemu-img compare -f vpc -F raw dynamic.vhd out/sys-bios.img &&
	frun v.log dynamic.vhd
'

test_expect_success 'gcp: disk.raw in a sparse oldgnu tar.gz that GNU tar extracts intact' '
	fbuild -size 64M -format gcp &&
	gzip -t out/sys.img.tar.gz &&
	tar -tvzf out/sys.img.tar.gz >list &&
	test "$(wc -l <list)" -eq 1 && test_grep " disk.raw$" list &&
	gzip -dc out/sys.img.tar.gz >disk.tar &&
	head -c 265 disk.tar | tail -c 8 | cmp - <(printf "ustar  \0") &&
	test "$(head -c 157 disk.tar | tail -c 1)" = S &&
	mkdir x && tar -xSzf out/sys.img.tar.gz -C x &&
	cmp x/disk.raw out/sys-bios.img &&
	test "$(stat -c %s out/sys.img.tar.gz)" -lt $((32 * 1024 * 1024)) &&
	frun g.log x/disk.raw
'

test_done
