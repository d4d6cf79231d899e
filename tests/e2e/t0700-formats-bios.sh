#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# BIOS formats: raw-bios, iso-bios and the disks converted from raw-bios boot
# with SeaBIOS to the fixture's marker line; their tables and containers are
# read by independent tools.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

test_expect_success 'the fixture system and the writers driver are ready' '
	formats_setup
'

test_expect_success 'raw-bios: an MBR disk with a bootable FAT partition that boots' '
	SIZE=64M fdrv raw-bios disk.img "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	test "$(stat -c %s disk.img)" -eq $((64 * 1024 * 1024)) &&
	sfdisk --dump disk.img >dump &&
	test_grep "label: dos" dump &&
	test_grep "start=        2048, size=      129024, type=e, bootable" dump &&
	mdir -i disk.img@@1M -a :: >dir && test_grep -i "kernel" dir && test_grep -i "initrd" dir &&
	test_grep -i "ldlinux" dir &&
	mtype -i disk.img@@1M ::/syslinux.cfg >cfg && test_grep "APPEND $FORMATS_CMDLINE" cfg &&
	boot_bios boot.log -drive file=disk.img,format=raw,if=virtio &&
	test "$(booted_root boot.log)" = rootfs
'

test_expect_success 'raw-bios: the default size is 1024M and FAT32' '
	fdrv raw-bios big.img "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	test "$(stat -c %s big.img)" -eq $((1024 * 1024 * 1024)) &&
	sfdisk --dump big.img | test_grep "type=c, bootable" &&
	minfo -i big.img@@1M :: | test_grep -i "fat32\|big size: 2095104"
'

test_expect_success 'iso-bios: boots as a CD and, hybrid, as a disk; xorriso lists it' '
	fdrv iso-bios cd.iso "$FX/vmlinuz" "$FX/initramfs.img" "$FORMATS_CMDLINE" &&
	xorriso -indev cd.iso -find / -type f 2>/dev/null >files &&
	test_grep "/boot/kernel" files && test_grep "/boot/initrd.img" files &&
	test_grep "/isolinux/isolinux.bin" files && test_grep "/isolinux/ldlinux.c32" files &&
	sfdisk --dump cd.iso | test_grep "bootable" &&
	boot_bios cd.log -cdrom cd.iso &&
	boot_bios usb.log -drive file=cd.iso,format=raw,if=virtio
'

test_expect_success 'qcow2: qemu-img checks it and it boots' '
	fdrv qcow2 disk.qcow2 disk.img &&
	qemu-img check disk.qcow2 &&
	qemu-img info --output=json disk.qcow2 >info &&
	test "$(jq -r .format info)" = qcow2 &&
	test "$(jq -r ".\"virtual-size\"" info)" -eq $((64 * 1024 * 1024)) &&
	boot_bios q.log -drive file=disk.qcow2,format=qcow2,if=virtio,snapshot=on
'

test_expect_success 'vhd (fixed) and dynamic-vhd: qemu-img reads them and they boot' '
	fdrv vhd fixed.vhd disk.img &&
	fdrv dynamic-vhd dynamic.vhd disk.img &&
	test "$(stat -c %s fixed.vhd)" -eq $((64 * 1024 * 1024 + 512)) &&
	cmp -n $((64 * 1024 * 1024)) fixed.vhd disk.img &&
	tail -c 512 fixed.vhd | head -c 8 | test_grep -a conectix &&
	qemu-img info -f vpc --output=json fixed.vhd | jq -e ".\"virtual-size\" == 67108864" &&
	qemu-img info --output=json dynamic.vhd | jq -e ".format == \"vpc\"" &&
	qemu-img compare -f vpc -F raw dynamic.vhd disk.img &&
	boot_bios v.log -drive file=dynamic.vhd,format=vpc,if=virtio,snapshot=on &&
	boot_bios f.log -drive file=fixed.vhd,format=vpc,if=virtio,snapshot=on
'

test_expect_success 'vmdk: a streamOptimized VMDK that qemu-img checks and boots' '
	fdrv vmdk disk.vmdk disk.img &&
	qemu-img check disk.vmdk &&
	head -c 4 disk.vmdk | test_grep -a KDMV &&
	strings disk.vmdk | test_grep "createType=\"streamOptimized\"" &&
	strings disk.vmdk | test_grep "SPARSE \"disk.vmdk\"" &&
	qemu-img compare -F raw disk.vmdk disk.img &&
	boot_bios k.log -drive file=disk.vmdk,format=vmdk,if=virtio,snapshot=on
'

test_expect_success 'gcp: disk.raw in a sparse oldgnu tar.gz that GNU tar extracts intact' '
	fdrv gcp disk.img.tar.gz disk.img &&
	gzip -t disk.img.tar.gz &&
	tar -tvzf disk.img.tar.gz >list &&
	test "$(wc -l <list)" -eq 1 && test_grep " disk.raw$" list &&
	gzip -dc disk.img.tar.gz >disk.tar &&
	head -c 265 disk.tar | tail -c 8 | cmp - <(printf "ustar  \0") &&
	test "$(head -c 157 disk.tar | tail -c 1)" = S &&
	mkdir x && tar -xSzf disk.img.tar.gz -C x &&
	cmp x/disk.raw disk.img &&
	test "$(stat -c %s disk.img.tar.gz)" -lt $((32 * 1024 * 1024))
'

test_done
