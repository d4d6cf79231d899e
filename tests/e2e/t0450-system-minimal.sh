#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/minimal.yml, built from pkg/ and booted in QEMU (TCG): init's boot
# phase lines appear in order and the getty's root shell comes up. This is
# also issue 4's "boot the minimal example with -wait-for".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-system.sh"
cd "$TRASH" || exit 1

test_expect_success 'minimal.yml builds' '
	system_build minimal "$TOP/examples/minimal.yml" &&
	test -s minimal-kernel && test -s minimal-initrd.img
'

test_expect_success 'it boots to the getty shell prompt (-wait-for)' '
	system_boot minimal -wait-for "^unikit-[0-9a-f]{12}:~# " &&
	test "$(cat minimal.rc)" = 0 &&
	test_grep "Welcome to unikit" minimal.console &&
	test_grep -E "^BusyBox v[0-9.]+ .*built-in shell" minimal.console
'

test_expect_success 'the boot phase lines appear, in order, with rising times' '
	: >phases &&
	for p in "init started" "root moved to tmpfs" "filesystems mounted" \
		"modules loaded \([0-9]+\)" "system configured" "init.d done" \
		"onboot 000-dhcpcd" "onboot done"; do
		console_line "^unikit: \[ *[0-9]+\.[0-9]{3}\] $p\$" minimal.console >>phases ||
			exit 1
	done &&
	sort -n -c phases &&
	sed -n "s/^unikit: \[ *\([0-9.]*\)\] .*/\1/p" minimal.console >times &&
	test "$(wc -l <times)" -ge 8 &&
	sort -n -c times
'

test_expect_success 'the onboot DHCP client configured eth0 from QEMU' '
	test_grep -E "^000-dhcpcd: .*10\.0\.2\.15" minimal.console
'

test_done
