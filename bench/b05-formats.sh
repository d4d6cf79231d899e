#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Time to write each output format from one assembled root, as a ratio to `cp`
# of the same number of bytes on the same file system (the physical floor for
# writing the output). The system is the formats fixture (Debian's cloud
# kernel, a busybox root); -size 1024M, LinuxKit's default.
#
# A format's time is that of `unikit build -format kernel+initrd -format F`
# less that of `unikit build -format kernel+initrd` (assembling the root and
# writing the initramfs, which every boot format uses), best of three each.
# Its bytes are what its outputs occupy on disk (a sparse disk counts its data).
set -eu
cd "$(dirname "$0")/.."
TOP=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
UNIKIT="$BUILD/unikit"
FIXTURES="$BUILD/fixtures"
FX="$FIXTURES/formats"
W="$BUILD/bench/b05"
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
mkdir -p "$FIXTURES"
flock "$FIXTURES/.formats.lock" env BUILD="$BUILD" sh "$TOP/tests/fixtures/formats-initramfs.sh" "$FX"
export UNIKIT_CACHE="$W/cache" SOURCE_DATE_EPOCH=0
"$UNIKIT" cache import "$FX/images" >/dev/null
cp "$FX/system.yml" "$W/system.yml"
cd "$W"

now() { date +%s%N; }

# best of three: unikit build ARGS into a fresh directory, in ns
build_ns() {
	local best=0 t
	for _ in 1 2 3; do
		rm -rf out
		t=$(now)
		"$UNIKIT" build -dir out -name b "$@" system.yml
		sync out/*
		t=$(($(now) - t))
		if [ "$best" -eq 0 ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$best"
}

# best of three: cp of a file of $1 random bytes, in ns
cp_ns() {
	local best=0 t
	head -c "$1" /dev/urandom >cp-src
	sync cp-src
	for _ in 1 2 3; do
		t=$(now)
		cp cp-src cp-dst
		sync cp-dst
		t=$(($(now) - t))
		if [ "$best" -eq 0 ] || [ "$t" -lt "$best" ]; then best=$t; fi
		rm -f cp-dst
	done
	rm -f cp-src
	echo "$best"
}

ms() { echo "scale=1; $1 / 1000000" | bc; }

base=$(build_ns -format kernel+initrd)
rm -rf out
"$UNIKIT" build -dir out -name b -format kernel+initrd system.yml
base_bytes=$(du -B1 -c out/* | tail -n 1 | cut -f1)
echo "assembling the root and writing kernel+initrd: $(ms "$base") ms ($base_bytes bytes)"
printf '%-16s %12s %10s %10s %7s\n' format bytes "write ms" "cp ms" ratio
for f in uki raw-bios raw-efi iso-bios iso-efi iso-efi-initrd qcow2-bios qcow2-efi vhd \
	dynamic-vhd vmdk gcp aws kernel+squashfs kernel+erofs kernel+iso docker oci tar; do
	t=$(build_ns -format kernel+initrd -format "$f")
	bytes=$(($(du -B1 -c out/* | tail -n 1 | cut -f1) - base_bytes))
	t=$((t > base ? t - base : 1))
	c=$(cp_ns "$bytes")
	printf '%-16s %12d %10s %10s %7s\n' "$f" "$bytes" "$(ms "$t")" "$(ms "$c")" \
		"$(echo "scale=1; $t / $c" | bc)"
done
