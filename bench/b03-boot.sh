#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# b03: boot time and size of a unikit system in QEMU (TCG, as everywhere here).
# - Boot to first service: from starting `unikit run` to the first output line
#   of the first service of bench/b03-boot.yml (one onboot container, one
#   service), as a ratio to the same for a trivial static init
#   (bench/b03-init.c: prints a line, powers off) on the same kernel, command
#   line and QEMU. Target: at most 1.15. B03_RUNS (7) boots of each,
#   alternating; printed: the median of the ratios of each pair of boots (one
#   right after the other, so both see the same load), the ratio of the
#   fastest boots and the ratio of the medians. The machines are shared and
#   their speed drifts by tens of percent within a minute: the pairs are the
#   fairest comparison, and the fastest boots the closest to the cost.
#   Also booted and printed the same way: the floor, unikit's initramfs with
#   bench/b03-bound.c as /init (the same containers run by the same crun and
#   nothing else), to tell what unikit's init adds from what the kernel and
#   crun cost under TCG whatever the init.
# - init's own time, from exec to the first onboot container started, from
#   /run/unikit/boot-times (the service prints it). Target: under 50 ms.
# - examples/minimal.yml's initramfs size (target: at most 8 MiB), and a boot
#   of it with -mem 128 up to its getty's shell prompt.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
UNIKIT="$PWD/$BUILD/unikit"
dir="$PWD/$BUILD/bench/b03"
runs=${B03_RUNS:-7}
mkdir -p "$dir"
export UNIKIT_CACHE=${UNIKIT_CACHE:-$PWD/$BUILD/fixtures/system-store}
export UNIKIT_DEB_CACHE=${UNIKIT_DEB_CACHE:-$PWD/$BUILD/fixtures/debs}
export UNIKIT_QEMU_ACCEL=tcg SOURCE_DATE_EPOCH=0
mkdir -p "$UNIKIT_CACHE" "$UNIKIT_DEB_CACHE"

echo "building bench/b03-boot.yml and examples/minimal.yml (packages from pkg/) ..."
for spec in unikit:bench/b03-boot.yml minimal:examples/minimal.yml; do
	"$UNIKIT" build -dir "$dir" -name "${spec%%:*}" "${spec#*:}" 2>"$dir/build.log" || {
		cat "$dir/build.log" >&2
		exit 1
	}
done

# with_init NAME INIT [INITRD]: $dir/NAME-{initrd.img,kernel,cmdline}, the
# files of INITRD (none: no other file) with INIT as /init, booted on unikit's
# kernel and command line.
with_init() {
	local root="$dir/$1-root"
	rm -rf "$root"
	mkdir -p "$root"
	[ -z "${3:-}" ] || bsdtar -xf "$3" -C "$root"
	rm -f "$root/init"
	cp "$2" "$root/init"
	(cd "$root" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) | gzip -n >"$dir/$1-initrd.img"
	ln -sf unikit-kernel "$dir/$1-kernel"
	cp "$dir/unikit-cmdline" "$dir/$1-cmdline"
}

# The baseline: the same kernel and command line, the trivial init.
musl-gcc -static -Os -o "$dir/trivial-init" bench/b03-init.c
with_init trivial "$dir/trivial-init"

# The floor: unikit's initramfs with bench/b03-bound.c as /init, which runs
# the same two containers with the same crun and does nothing else.
musl-gcc -static -Os -o "$dir/bound-init" bench/b03-bound.c
with_init bound "$dir/bound-init" "$dir/unikit-initrd.img"

# boot PREFIX REGEX LOG [ARGS...]: boots PREFIX, prints the seconds from the
# start of `unikit run` to the first console line matching REGEX; the whole
# console goes to LOG. Fails when the line never comes or the run fails.
boot() {
	python3 - "$UNIKIT" "$@" <<'PY'
import re, subprocess, sys, time
unikit, prefix, regex, log, *args = sys.argv[1:]
pat = re.compile(regex)
start = time.monotonic()
p = subprocess.Popen([unikit, "run", "-timeout", "120", *args, prefix],
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
seen = None
with open(log, "wb") as out:
    for raw in p.stdout:
        out.write(raw)
        if seen is None and pat.search(raw.decode("utf-8", "replace").replace("\r", "")):
            seen = time.monotonic() - start
rc = p.wait()
if seen is None or rc != 0:
    sys.exit(f"b03: {prefix}: exit status {rc}, matched: {seen is not None} (console in {log})")
print(f"{seen:.3f}")
PY
}

fastest() {
	sort -n | head -n 1
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

: >"$dir/trivial.times"
: >"$dir/unikit.times"
: >"$dir/bound.times"
: >"$dir/init.times"
: >"$dir/trivial.kernel"
: >"$dir/unikit.kernel"
: >"$dir/modules.times"

# run_init LOG: the kernel's time stamp of "Run /init as init process"
run_init() {
	tr -d '\r' <"$1" | sed -n 's/^\[ *\([0-9.]*\)\] Run \/init as init process.*/\1/p' | head -n 1
}
for i in $(seq "$runs"); do
	boot "$dir/trivial" '^B03-TRIVIAL-INIT$' "$dir/trivial.log" -mem 512 >>"$dir/trivial.times"
	boot "$dir/unikit" '^svc: B03-SERVICE-UP$' "$dir/unikit.log" -mem 512 >>"$dir/unikit.times"
	boot "$dir/bound" '^B03-SERVICE-UP$' "$dir/bound.log" -mem 512 >>"$dir/bound.times"
	# init started -> the first onboot container, from /run/unikit/boot-times
	tr -d '\r' <"$dir/unikit.log" | awk '
		$2 == "B03-BOOT-TIME" && $4 == "init" && $5 == "started" { s = $3 }
		$2 == "B03-BOOT-TIME" && $4 == "onboot" && $5 != "done" && o == "" { o = $3 }
		END { if (s == "" || o == "") exit 1; printf "%.0f\n", (o - s) * 1000 }' >>"$dir/init.times"
	# where the kernel ran init, and how long init spent loading modules
	run_init "$dir/trivial.log" >>"$dir/trivial.kernel"
	run_init "$dir/unikit.log" >>"$dir/unikit.kernel"
	tr -d '\r' <"$dir/unikit.log" | awk '
		$2 == "B03-BOOT-TIME" { if ($4 == "modules" && $5 == "loaded") m = $3 - prev; prev = $3 }
		END { printf "%.0f\n", m * 1000 }' >>"$dir/modules.times"
done
# pairs: each ratio of two boots made one right after the other
pairs() {
	paste "$1" "$2" | awk '{ printf "%.4f\n", $1 / $2 }' | median
}
paired=$(pairs "$dir/unikit.times" "$dir/trivial.times")
bound_paired=$(pairs "$dir/bound.times" "$dir/trivial.times")
over_bound=$(pairs "$dir/unikit.times" "$dir/bound.times")
bound_best=$(fastest <"$dir/bound.times")
trivial=$(median <"$dir/trivial.times")
system=$(median <"$dir/unikit.times")
trivial_best=$(fastest <"$dir/trivial.times")
system_best=$(fastest <"$dir/unikit.times")
init_ms=$(median <"$dir/init.times")
init_best=$(fastest <"$dir/init.times")
modules_ms=$(median <"$dir/modules.times")
kernel_trivial=$(median <"$dir/trivial.kernel")
kernel_system=$(median <"$dir/unikit.kernel")
echo "boot-times of the last run (seconds since the kernel started):"
tr -d '\r' <"$dir/unikit.log" | sed -n 's/^svc: B03-BOOT-TIME /  /p'

size=$(stat -c %s "$dir/minimal-initrd.img")
echo "booting minimal.yml with -mem 128 ..."
if t128=$(boot "$dir/minimal" '^unikit-[0-9a-f]{12}:~# ' "$dir/minimal-128.log" -mem 128 \
	-wait-for '^unikit-[0-9a-f]{12}:~# '); then
	mem128="reached its shell prompt in ${t128} s"
else
	mem128="FAILED (console in $dir/minimal-128.log)"
fi

isize=$(stat -c %s "$dir/unikit-initrd.img")
awk -v t="$trivial" -v s="$system" -v tb="$trivial_best" -v sb="$system_best" \
	-v ms="$init_ms" -v mb="$init_best" -v size="$size" -v n="$runs" -v m="$mem128" \
	-v kt="$kernel_trivial" -v ks="$kernel_system" -v isize="$isize" -v mods="$modules_ms" \
	-v paired="$paired" -v bp="$bound_paired" -v ob="$over_bound" -v bb="$bound_best" 'BEGIN {
	printf "boot to first output (%d boots each, TCG): trivial init fastest %.2f s, median %.2f s; unikit first service fastest %.2f s, median %.2f s\n", n, tb, t, sb, s
	printf "boot to first service ratio: %.2f median of the pairs, %.2f fastest, %.2f median (target <= 1.15)\n", paired, sb / tb, s / t
	printf "  the floor (bench/b03-bound.c: the same containers and crun, nothing else): %.2f median of the pairs, %.2f fastest; unikit over the floor: %.2f median of the pairs\n", bp, bb / tb, ob
	printf "  the kernel ran init at %.2f s (trivial) and %.2f s (unikit: %.2f MiB of initramfs to unpack), medians\n", kt, ks, isize / 1048576
	printf "init exec to first onboot container: %d ms fastest, %d ms median (target < 50 ms), of which loading modules %d ms (median)\n", mb, ms, mods
	printf "minimal.yml initramfs: %.2f MiB (target <= 8 MiB)\n", size / 1048576
	printf "minimal.yml with -mem 128: %s\n", m
}'
