#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A whole boot in QEMU (TCG) of tests/e2e/specs/lifecycle.yml: onboot
# containers print on the console in order, a failing one is reported with its
# exit status and the boot goes on, unikit.shutdown powers the machine off,
# the onshutdown containers run, and `unikit run` exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-system.sh"
cd "$TRASH" || exit 1

test_expect_success 'lifecycle.yml builds; its six containers of one package resolve it once' '
	system_build lc "$SPECS/lifecycle.yml" 2>build.err &&
	test_grep -F unikit.shutdown=1 lc-cmdline &&
	test "$(grep -c -x "building package @pkg:../../../pkg/poweroff" build.err)" = 1
'

test_expect_success 'it boots and powers itself off cleanly: unikit run exits 0' '
	system_boot lc &&
	test "$(cat lc.rc)" = 0 &&
	test_grep -E "^unikit: \[ *[0-9.]+\] shutdown: poweroff$" lc.console &&
	test_grep -E "^unikit: \[ *[0-9.]+\] services stopped$" lc.console &&
	test_grep -E "^unikit: \[ *[0-9.]+\] poweroff" lc.console &&
	! grep -E "Kernel panic|unikit: fatal" lc.console
'

test_expect_success 'an onboot container prints on the console, prefixed with its name' '
	test_grep -E "^000-hello: E2E-ONBOOT-HELLO from unikit-[0-9a-f]{12}$" lc.console
'

test_expect_success 'a failing onboot container is reported with its status and last line' '
	test_grep -x "unikit: onboot .001-fail. failed: exit status 3" lc.console &&
	test_grep -x "unikit:   | E2E-ONBOOT-FAIL about to fail" lc.console
'

test_expect_success 'the boot goes on after the failure: the next onboot, then the services' '
	fail=$(console_line "onboot .001-fail. failed" lc.console) &&
	after=$(console_line "^002-after: E2E-ONBOOT-AFTER still booting$" lc.console) &&
	done=$(console_line "\] onboot done$" lc.console) &&
	svc=$(console_line "^idle: E2E-SERVICE-IDLE up$" lc.console) &&
	started=$(console_line "\] services started \(1\)$" lc.console) &&
	test "$fail" -lt "$after" && test "$after" -lt "$done" &&
	test "$done" -lt "$svc" && test "$done" -lt "$started"
'

test_expect_success 'onshutdown containers run in order at poweroff, before the services stop' '
	down=$(console_line "\] shutdown: poweroff$" lc.console) &&
	bye=$(console_line "^000-bye: E2E-ONSHUTDOWN-BYE$" lc.console) &&
	bye2=$(console_line "^001-bye2: E2E-ONSHUTDOWN-BYE2$" lc.console) &&
	stopped=$(console_line "\] services stopped$" lc.console) &&
	test "$down" -lt "$bye" && test "$bye" -lt "$bye2" && test "$bye2" -lt "$stopped"
'

test_done
