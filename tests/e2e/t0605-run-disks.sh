#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run boots BIOS disk images in every format qemu-img writes for VMs,
# telling the format from the content (the names here say nothing), and the
# guest sees the disk with qemu-img's virtual size. Real QEMU.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

run_fixtures

# boot_disk FIXTURE NAME FORMAT: boots a copy of the fixture named NAME
boot_disk() {
	cp "$RUN_IMAGES/$1" "$2" &&
	"$UNIKIT" run -v -timeout $RUN_TIMEOUT -wait-for "mac ([0-9a-f]{2}:){5}[0-9a-f]{2}" "$2" \
		</dev/null >out 2>err &&
	test_grep -q "^unikit: .* -drive if=none,id=boot,file=$2,format=$3 -device virtio-blk-pci,drive=boot,bootindex=0 " err &&
	size=$(qemu-img info --output=json "$2" | jq -e ".format == \"$3\" and true" >/dev/null &&
		qemu-img info --output=json "$2" | jq -r ".\"virtual-size\"") &&
	guest_says out | test_grep -qx "disk vda bytes $size"
}

test_expect_success 'a raw disk' '
	boot_disk disk.raw plain.img raw
'

test_expect_success 'a qcow2 disk' '
	boot_disk disk.qcow2 disk-a.img qcow2
'

test_expect_success 'a VHD disk' '
	boot_disk disk.vhd disk-b.bin vpc
'

test_expect_success 'a VMDK disk' '
	boot_disk disk.vmdk disk-c vmdk
'

test_done
