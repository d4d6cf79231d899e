# SPDX-License-Identifier: Apache-2.0
# Helpers for the format tests (t07xx): the fixture system, the driver of the
# format writers, and QEMU boots that wait for the fixture's marker line.
#   formats_setup             makes the fixture and the driver (once, under a lock)
#   fdrv FORMAT OUT IN...     runs the writers' driver (tests/e2e/lib-formats-driver.c)
#   boot_bios LOG QEMU-ARGS   boots with SeaBIOS, passes when the marker line is in LOG
#   boot_efi LOG QEMU-ARGS    the same with OVMF
# FX is the fixture directory: $FX/vmlinuz, $FX/initramfs.img, $FX/root.tar, $FX/marker.

FX="$FIXTURES/formats"
FORMATS_DRIVER="$BUILD/tests/lib-formats-driver"
FORMATS_CMDLINE="console=ttyS0 quiet panic=-1"
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}

formats_setup() {
	mkdir -p "$FIXTURES" "$BUILD/tests"
	(
		flock 9
		BUILD="$BUILD" sh "$TOP/tests/fixtures/formats-initramfs.sh" "$FX" &&
			if [ ! -x "$FORMATS_DRIVER" ] || [ "$FORMATS_DRIVER" -ot "$BUILD/libunikit.a" ] ||
				[ "$FORMATS_DRIVER" -ot "$TOP/tests/e2e/lib-formats-driver.c" ]; then
				# shellcheck disable=SC2046
				${CC:-cc} -std=gnu11 -O2 -g -D_GNU_SOURCE -I"$TOP/src" -o "$FORMATS_DRIVER.tmp" \
					"$TOP/tests/e2e/lib-formats-driver.c" "$BUILD/libunikit.a" \
					$(pkg-config --libs yaml-0.1 jansson libarchive libdeflate libzstd libcurl libcrypto) \
					-lpthread $( [ "${BUILD##*/}" = san ] && echo -fsanitize=address,undefined) &&
					mv "$FORMATS_DRIVER.tmp" "$FORMATS_DRIVER"
			fi
	) 9>"$FIXTURES/.formats.lock"
}

fdrv() {
	TMPDIR="$TRASH" "$FORMATS_DRIVER" "$@"
}

# Boots QEMU (TCG, 256 MiB, no network) with LOG as its console; passes when
# the fixture's marker line shows up before the machine powers off.
boot_qemu() {
	local log=$1
	shift
	timeout -k 5 "${BOOT_TIMEOUT:-120}" qemu-system-x86_64 -accel tcg -m 256 -nodefaults \
		-display none -serial "file:$log" -no-reboot -nic none "$@" </dev/null || true
	if ! grep -qF "$(cat "$FX/marker")" "$log"; then
		echo "no marker line in $log:" >&2
		tail -n 20 "$log" >&2
		return 1
	fi
}

boot_bios() {
	local log=$1
	shift
	boot_qemu "$log" -vga none "$@"
}

boot_efi() {
	local log=$1
	shift
	cp "$OVMF_VARS" "$TRASH/ovmf-vars.fd"
	boot_qemu "$log" -vga none \
		-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,file=$TRASH/ovmf-vars.fd" "$@"
}

# The root the marker line says the fixture runs from ("rootfs", "squashfs", ...).
booted_root() {
	sed -n 's/.*(root: \([a-z0-9]*\)).*/\1/p' "$1" | head -n 1
}

# Copies section NAME of the PE file IN to OUT, where objdump says it is.
pe_section() {
	local size off
	read -r size off < <(objdump -h "$1" | awk -v s="$2" '$2 == s { print $3, $6 }')
	[ -n "$size" ] || { echo "no section $2 in $1" >&2; return 1; }
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes skip=$((0x$off)) count=$((0x$size)) \
		status=none
}
