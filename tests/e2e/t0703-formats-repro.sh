#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every format, built twice from the same spec and store (other output
# directories, other scratch directories, a second apart), gives the same bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

ALL="uki raw-bios raw-efi iso-bios iso-efi iso-efi-initrd qcow2-bios qcow2-efi vhd vmdk gcp aws kernel+squashfs kernel+erofs docker oci"

test_expect_success 'the fixture system is in the store' '
	formats_setup
'

test_expect_success 'two builds of every format are identical' '
	args= && for f in $ALL; do args="$args -format $f"; done &&
	SOURCE_DATE_EPOCH=1700000000 TMPDIR=$PWD unikit build -dir one -size 64M $args system.yml &&
	sleep 1 &&
	SOURCE_DATE_EPOCH=1700000000 unikit build -dir two -size 64M $args system.yml &&
	SOURCE_DATE_EPOCH=1700000000 unikit build -dir one -size 64M -format dynamic-vhd -name dyn system.yml &&
	SOURCE_DATE_EPOCH=1700000000 unikit build -dir two -size 64M -format dynamic-vhd -name dyn system.yml &&
	SOURCE_DATE_EPOCH=1700000000 unikit build -dir one -format kernel+iso -name kiso system.yml &&
	SOURCE_DATE_EPOCH=1700000000 unikit build -dir two -format kernel+iso -name kiso system.yml &&
	ls one >list && test "$(wc -l <list)" -ge 22 &&
	for f in $(cat list); do cmp "one/$f" "two/$f" || return 1; done
'

test_expect_success 'the epoch is in the file systems and archives' '
	mdir -i one/system-bios.img@@1M :: | test_grep "2023-11-14" &&
	xorriso -indev one/system.iso -find /boot/kernel -exec lsdl 2>/dev/null | test_grep "Nov 14  2023" &&
	unsquashfs -lln one/system-squashfs.img | test_grep "2023-11-14 22:13 squashfs-root/init" &&
	tar -tvf one/system.docker manifest.json | test_grep "2023-11-14"
'

test_expect_success 'another kernel command line gives other disk identifiers' '
	sed "s/panic=-1/panic=-1 loglevel=3/" system.yml >other.yml &&
	SOURCE_DATE_EPOCH=1700000000 unikit build -dir three -size 64M -format raw-efi other.yml &&
	sfdisk --dump one/system-efi.img | sed -n "s/^label-id: //p" >id1 &&
	sfdisk --dump three/other-efi.img | sed -n "s/^label-id: //p" >id3 &&
	test -s id1 && ! cmp -s id1 id3
'

test_done
