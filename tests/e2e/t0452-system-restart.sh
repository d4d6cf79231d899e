#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Service supervision in a real boot (QEMU, TCG) of tests/e2e/specs/restart.yml:
# a crashing service is restarted (on-failure, the default), one with the
# org.unikit.restart "no" annotation is not, a clean exit is restarted only
# under "always"; a service of the poweroff package then shuts the machine
# down cleanly (busybox poweroff: SIGUSR2 to init).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-system.sh"
cd "$TRASH" || exit 1

# runs NAME: how many times service NAME printed its line
runs() {
	grep -c -x "$1: E2E-$2 run" rs.console || true
}

test_expect_success 'restart.yml builds' '
	system_build rs "$SPECS/restart.yml"
'

test_expect_success 'it boots and the poweroff service powers it off: exit 0' '
	system_boot rs &&
	test "$(cat rs.rc)" = 0 &&
	test_grep -x "unikit: received SIGUSR2: poweroff" rs.console &&
	test_grep -E "^unikit: \[ *[0-9.]+\] services started \(5\)$" rs.console
'

test_expect_success 'a crashing service (on-failure) is restarted with a growing backoff' '
	n=$(runs crasher CRASHER) && echo "crasher ran $n times" &&
	test "$n" -ge 3 &&
	test_grep -x "unikit: service .crasher. ended with exit status 1; restart 1 in 100 ms" rs.console &&
	test_grep -x "unikit: service .crasher. ended with exit status 1; restart 2 in 200 ms" rs.console
'

test_expect_success 'a service with org.unikit.restart "no" runs once and is reported' '
	test "$(runs once ONCE)" = 1 &&
	test_grep -x "unikit: service .once. ended with exit status 1; restart policy .no.: not restarted" rs.console &&
	test_grep -x "unikit:   | E2E-ONCE run" rs.console
'

test_expect_success 'on-failure does not restart a clean exit; always does' '
	test "$(runs clean CLEAN)" = 1 &&
	test_grep -x "unikit: service .clean. ended with exit status 0; restart policy .on-failure.: not restarted" rs.console &&
	n=$(runs always ALWAYS) && echo "always ran $n times" &&
	test "$n" -ge 3
'

test_done
