# SPDX-License-Identifier: Apache-2.0
# Helpers for the format tests (t07NN): the formats fixture system in this
# test's store, builds of it, and boots with `unikit run` that wait for the
# fixture's marker line.
#   formats_setup           makes the fixture (once, under a lock), imports its images
#                           and puts its spec in $TRASH/system.yml
#   fbuild ARGS...          unikit build -dir out -name sys ARGS... system.yml
#   frun LOG ARGS...        unikit run under TCG until the marker line (LOG gets the console)
#   booted_root LOG         the root file system type the fixture reported
# FX is the fixture directory (tests/fixtures/formats-initramfs.sh).

FX="$FIXTURES/formats"

formats_setup() {
	mkdir -p "$FIXTURES"
	flock "$FIXTURES/.formats.lock" env BUILD="$BUILD" sh "$TOP/tests/fixtures/formats-initramfs.sh" "$FX" &&
		unikit cache import "$FX/images" >/dev/null &&
		cp "$FX/system.yml" "$TRASH/system.yml"
}

fbuild() {
	unikit build -dir out -name sys "$@" system.yml
}

frun() {
	local log=$1
	shift
	if ! unikit run -accel tcg -mem 256 -networking none -timeout "${BOOT_TIMEOUT:-240}" \
		-wait-for "$(cat "$FX/marker") \(root: [a-z0-9]+\)" "$@" >"$log" 2>&1; then
		echo "no marker line; the console:" >&2
		tail -n 25 "$log" >&2
		return 1
	fi
}

# Boots FILE as a raw virtio disk with QEMU itself (unikit run boots any ISO
# as a CD: this is how a hybrid ISO written to a USB stick is seen).
qemu_disk() {
	timeout -k 5 "${BOOT_TIMEOUT:-240}" qemu-system-x86_64 -accel tcg -m 256 -nodefaults \
		-display none -vga none -serial "file:$1" -no-reboot -nic none \
		-drive "file=$2,format=raw,if=virtio,readonly=on" </dev/null || true
	grep -qF "$(cat "$FX/marker")" "$1" || { tail -n 25 "$1" >&2; return 1; }
}

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
