#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every format, written twice from copies of the same inputs (other file
# times, other scratch directories, a second apart), gives the same bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

test_expect_success 'the fixture system and the writers driver are ready' '
	formats_setup
'

# Writes every format into directory $1 from inputs copied there.
write_all() {
	local d=$1
	mkdir -p "$d/tmp" &&
	cp "$FX/vmlinuz" "$d/k" && cp "$FX/initramfs.img" "$d/i" && cp "$FX/root.tar" "$d/r.tar" &&
	touch -d "@$2" "$d/k" "$d/i" "$d/r.tar" &&
	(
		cd "$d" &&
		export TMPDIR="$PWD/tmp" SIZE=64M EPOCH=1700000000 NAME=repro &&
		for f in uki raw-bios raw-efi iso-bios iso-efi iso-efi-initrd; do
			"$FORMATS_DRIVER" $f out.$f k i "$FORMATS_CMDLINE" || exit 1
		done &&
		for f in qcow2 vhd dynamic-vhd vmdk gcp; do
			"$FORMATS_DRIVER" $f out.$f out.raw-bios || exit 1
		done &&
		"$FORMATS_DRIVER" qcow2 out.qcow2-efi out.raw-efi &&
		"$FORMATS_DRIVER" root-tar rt.tar r.tar >/dev/null &&
		for f in squashfs erofs root-iso root-initrd docker oci; do
			"$FORMATS_DRIVER" $f out.$f rt.tar || exit 1
		done
	)
}

test_expect_success 'two writes of every format are identical' '
	write_all one 1000000000 &&
	sleep 1 &&
	write_all two 1200000000 &&
	n=0 &&
	for f in one/out.*; do
		cmp "$f" "two/${f#one/}" || { echo "differs: ${f#one/}"; exit 1; }
		n=$((n + 1))
	done &&
	test $n -eq 18
'

test_expect_success 'the epoch is in the file systems and archives' '
	mdir -i one/out.raw-bios@@1M :: | test_grep "2023-11-14" &&
	xorriso -indev one/out.iso-bios -find /boot/kernel -exec lsdl 2>/dev/null | test_grep "Nov 14  2023" &&
	unsquashfs -lln one/out.squashfs | test_grep "2023-11-14 22:13 squashfs-root/init" &&
	tar -tvf one/out.docker manifest.json | test_grep "2023-11-14"
'

test_expect_success 'another kernel command line gives other disk identifiers' '
	mkdir -p three/tmp &&
	TMPDIR=$PWD/three/tmp SIZE=64M EPOCH=1700000000 "$FORMATS_DRIVER" raw-efi three/efi.img \
		one/k one/i "$FORMATS_CMDLINE loglevel=3" &&
	sfdisk --dump one/out.raw-efi | sed -n "s/^label-id: //p" >id1 &&
	sfdisk --dump three/efi.img | sed -n "s/^label-id: //p" >id3 &&
	test -s id1 && ! cmp -s id1 id3
'

test_done
