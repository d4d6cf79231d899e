#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Time to write each output format from one root (the formats fixture: the
# Debian cloud kernel, a busybox initramfs and root), as a ratio to `cp` of
# the same number of bytes on the same file system: the physical floor for
# writing the output. Bytes are what the output occupies (sparse disks count
# only their data). Ratios near 1 mean the format costs little more than
# writing its bytes.
set -eu
cd "$(dirname "$0")/.."
TOP=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
FIXTURES="$BUILD/fixtures"
TRASH="$BUILD/bench/b05"
rm -rf "$TRASH"
mkdir -p "$TRASH/tmp"
# shellcheck source=../tests/e2e/lib-formats.sh
. "$TOP/tests/e2e/lib-formats.sh"
formats_setup >/dev/null
export TMPDIR="$TRASH/tmp" EPOCH=0 NAME=bench
cd "$TRASH"

now() { date +%s%N; }

# cp of a dense file of $1 bytes, in ns (best of three)
cp_ns() {
	local best=0 t
	head -c "$1" /dev/urandom >cp-src
	for _ in 1 2 3; do
		sync cp-src
		t=$(now)
		cp cp-src cp-dst
		sync cp-dst
		t=$(($(now) - t))
		[ "$best" -eq 0 ] || [ "$t" -lt "$best" ] && best=$t
		rm -f cp-dst
	done
	rm -f cp-src
	echo "$best"
}

run() {
	local label=$1 out=$2
	shift 2
	local t bytes c
	t=$(now)
	"$FORMATS_DRIVER" "$@" >/dev/null
	sync "$out"
	t=$(($(now) - t))
	bytes=$(du -B1 "$out" | cut -f1)
	c=$(cp_ns "$bytes")
	printf '%-16s %10d bytes %8.1f ms   cp %7.1f ms   ratio %5.1f\n' "$label" "$bytes" \
		"$(echo "$t / 1000000" | bc -l)" "$(echo "$c / 1000000" | bc -l)" \
		"$(echo "$t / $c" | bc -l)"
}

K="$FX/vmlinuz" I="$FX/initramfs.img" C="console=ttyS0"
echo "format           output             write         cp of the same bytes"
run uki out.efi uki out.efi "$K" "$I" "$C"
run raw-bios bios.img raw-bios bios.img "$K" "$I" "$C"
run raw-efi efi.img raw-efi efi.img "$K" "$I" "$C"
run iso-bios out.iso iso-bios out.iso "$K" "$I" "$C"
run iso-efi efi.iso iso-efi efi.iso "$K" "$I" "$C"
run iso-efi-initrd efi-initrd.iso iso-efi-initrd efi-initrd.iso "$K" "$I" "$C"
run qcow2-bios out.qcow2 qcow2 out.qcow2 bios.img
run qcow2-efi efi.qcow2 qcow2 efi.qcow2 efi.img
run vhd out.vhd vhd out.vhd bios.img
run dynamic-vhd dyn.vhd dynamic-vhd dyn.vhd bios.img
run vmdk out.vmdk vmdk out.vmdk bios.img
run gcp out.img.tar.gz gcp out.img.tar.gz bios.img
run root-tar root.tar root-tar root.tar "$FX/root.tar"
run squashfs out.sqfs squashfs out.sqfs root.tar
run erofs out.erofs erofs out.erofs root.tar
run kernel+iso root.iso root-iso root.iso root.tar
run root-initrd root-initrd.img root-initrd root-initrd.img root.tar
run docker out.docker docker out.docker root.tar
run oci out.oci.tar oci out.oci.tar root.tar
cd "$TOP"
rm -rf "$TRASH"
