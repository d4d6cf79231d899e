#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit-init as PID 1 of a real kernel in QEMU (TCG): Debian's cloud kernel,
# an initramfs from tests/fixtures/init-initramfs.sh (crun, busybox containers),
# then the console is checked: boot phases, modules, onboot output and failure,
# services, and a poweroff (from a service, with init's own `poweroff`) that
# runs onshutdown and makes QEMU exit by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-init.sh"

for tool in qemu-system-x86_64 crun busybox bsdtar depmod; do
	command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin command -v "$tool" >/dev/null ||
		test_skip_all "no $tool"
done
[ -x "$UNIKIT_INIT" ] || test_skip_all "no $UNIKIT_INIT (make)"
KERNEL=$FIXTURES/debian-kernel
BUILD=$BUILD sh "$TOP/tests/fixtures/debian-kernel.sh" "$KERNEL" >"$TRASH/kernel.log" 2>&1 ||
	test_skip_all "cannot fetch Debian's kernel: $(tail -n 1 "$TRASH/kernel.log")"

CONSOLE=$TRASH/console

test_expect_success 'the initramfs is made' '
	PATH=$PATH:/sbin:/usr/sbin sh "$TOP/tests/fixtures/init-initramfs.sh" "$UNIKIT_INIT" \
		"$KERNEL" initrd.cpio &&
	cpio -it <initrd.cpio >list 2>/dev/null &&
	test_grep -x "./init" list &&
	test_grep -x "./usr/bin/crun" list &&
	test_grep -x "./dev/console" list &&
	test_grep "modules.alias$" list
'

# boot OUTPUT KERNEL-OPTIONS: boots the initramfs until it powers off (or 300 s pass)
boot() {
	timeout -k 5 300 qemu-system-x86_64 -accel tcg -cpu max -m 256 -nographic -no-reboot \
		-kernel "$KERNEL/vmlinuz" -initrd initrd.cpio \
		-append "console=ttyS0 panic=-1 quiet $2" \
		-device virtio-rng-pci -netdev user,id=n0 \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56 \
		</dev/null >"$1" 2>&1
}

test_expect_success 'the machine boots, runs everything and powers itself off' '
	boot "$CONSOLE" "unikit.debug unikit.grace=3" &&
	test_grep "unikit: \[ *[0-9.]*\] poweroff" "$CONSOLE"
'

test_expect_success 'each boot phase is printed with its time since the kernel started' '
	for phase in "init started" "root moved to tmpfs" "filesystems mounted" \
		"modules loaded" "system configured" "onboot 000-hello" "onboot done" \
		"services started \(3\)"; do
		test_grep -E "unikit: \[ *[0-9]+\.[0-9]{3}\] $phase" "$CONSOLE" || exit 1
	done
'

test_expect_success 'the virtio modules load with their dependencies first, eth0 names the host' '
	test_grep "loaded module .virtio_net." "$CONSOLE" &&
	test_grep "loaded module .virtio_blk." "$CONSOLE" &&
	test_grep "loaded module .virtio_rng." "$CONSOLE" &&
	f=$(grep -n "loaded module .failover." "$CONSOLE" | cut -d: -f1) &&
	n=$(grep -n "loaded module .virtio_net." "$CONSOLE" | cut -d: -f1) &&
	test "$f" -lt "$n" &&
	test_grep "hostname .unikit-525400123456." "$CONSOLE"
'

test_expect_success 'the CPU feature modules load once the services started' '
	test_grep -E "unikit: debug: \[ *[0-9]+\.[0-9]{3}\] CPU feature modules loaded \(1\)" "$CONSOLE" &&
	c=$(grep -n "loaded module .crc32c_intel." "$CONSOLE" | cut -d: -f1) &&
	s=$(grep -n "services started" "$CONSOLE" | cut -d: -f1) &&
	test "$s" -lt "$c"
'

test_expect_success 'onboot containers run in order through crun; a failure is reported and the boot goes on' '
	test_grep "^000-hello: hello from onboot in 000-hello" "$CONSOLE" &&
	test_grep "onboot .001-fail. failed: exit status 3" "$CONSOLE" &&
	test_grep "  | about to fail" "$CONSOLE" &&
	test_grep "^002-after: the boot goes on" "$CONSOLE"
'

test_expect_success 'services run with their output prefixed; a crashing one is restarted' '
	test_grep "^ticker: tick 0" "$CONSOLE" &&
	! grep -q "service .ticker. failed" "$CONSOLE" &&
	test_grep "service .crasher. ended with exit status 1; restart 1 in 100 ms" "$CONSOLE" &&
	test_grep "service .crasher. ended with exit status 1; restart 2 in 200 ms" "$CONSOLE" &&
	test_grep "^crasher: crasher runs 2" "$CONSOLE"
'

test_expect_success 'init.conf: the veth pair is made (veth loaded on demand by init as modprobe), moved into the netns' '
	! grep -q "loaded module .veth." "$CONSOLE" &&
	test_grep "^ticker: veth " "$CONSOLE" &&
	test_grep "^ticker: *vt0:" "$CONSOLE" &&
	test_grep "^ticker: *lo:" "$CONSOLE" &&
	! grep -q "^ticker: *eth0:" "$CONSOLE"
'

test_expect_success 'poweroff runs onshutdown, stops the services and powers off' '
	test_grep "^poweroff: powering off" "$CONSOLE" &&
	test_grep "received SIGUSR2: poweroff" "$CONSOLE" &&
	test_grep "^000-bye: bye from onshutdown" "$CONSOLE" &&
	test_grep "^ticker: ticker stopping" "$CONSOLE" &&
	test_grep "services stopped" "$CONSOLE" &&
	b=$(grep -n "bye from onshutdown" "$CONSOLE" | cut -d: -f1) &&
	s=$(grep -n "ticker stopping" "$CONSOLE" | cut -d: -f1) &&
	test "$b" -lt "$s" &&
	! grep -q "Kernel panic" "$CONSOLE"
'

test_expect_success 'cgroup v2 is mounted by default' '
	test_grep -x "000-hello: 0::/.*" "$CONSOLE"
'

test_expect_success 'unikit.cgroup=v1, unikit.quiet and unikit.skip' '
	boot console2 "unikit.cgroup=v1 unikit.quiet unikit.skip=ticker,002-after" &&
	test_grep -E "^000-hello: [0-9]+:(cpu|memory|pids|name=systemd)[^:]*:/" console2 &&
	! grep -q "^000-hello: 0::" console2 &&
	! grep -Eq "unikit: \[ *[0-9]+\.[0-9]{3}\]" console2 &&
	test_grep "service .ticker. skipped (unikit.skip)" console2 &&
	test_grep "onboot .002-after. skipped (unikit.skip)" console2 &&
	! grep -q "^ticker:" console2 &&
	test_grep "^000-bye: bye from onshutdown" console2
'

test_expect_success 'a ramfs initramfs (rootfstype=ramfs) is copied into a tmpfs, and containers run' '
	boot console3 "rootfstype=ramfs unikit.debug unikit.skip=ticker,crasher" &&
	test_grep "the initramfs was a ramfs: copied into a tmpfs" console3 &&
	test_grep "^000-hello: hello from onboot in 000-hello" console3 &&
	test_grep "unikit: \[ *[0-9.]*\] poweroff" console3
'

test_expect_success 'a tmpfs initramfs (the default) is bind-mounted on /, not copied' '
	test_grep "the initramfs was a tmpfs: a bind mount of it is /" "$CONSOLE"
'

test_done
