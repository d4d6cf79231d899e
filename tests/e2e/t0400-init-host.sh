#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit-init's boot, supervision and shutdown logic on the host: --test-root
# runs it as an ordinary process (a child subreaper) with a fake OCI runtime.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-init.sh"

[ -x "$UNIKIT_INIT" ] || test_skip_all "no $UNIKIT_INIT (make)"

R=$TRASH/root
OUT=$TRASH/console
export FAKE_RUNTIME_STATE=$TRASH/state UNIKIT_INIT_RUNTIME=$TRASH/fake-runtime
mkdir -p "$R/etc/init.d" "$FAKE_RUNTIME_STATE"
init_fake_runtime "$UNIKIT_INIT_RUNTIME"

printf '#!/bin/sh\necho first >>%s/order\n' "$TRASH" >"$R/etc/init.d/010-first"
printf '#!/bin/sh\necho second >>%s/order\n' "$TRASH" >"$R/etc/init.d/020-second"
printf '#!/bin/sh\necho not-executable >>%s/order\n' "$TRASH" >"$R/etc/init.d/015-plain"
chmod +x "$R/etc/init.d/010-first" "$R/etc/init.d/020-second"

init_container "$R" onboot 000-hello 'echo hello from onboot'
init_container "$R" onboot 001-fail 'echo first words; echo last words >&2; exit 3'
init_container "$R" onboot 002-after 'echo after the failure'
init_container "$R" services crash 'echo crash starting; exit 1'
init_container "$R" services once 'echo once starting; exit 1' 'restart\tno\n'
init_container "$R" services always 'echo always starting; exit 0' '# comment\nrestart\talways\n'
init_container "$R" services clean 'echo clean starting; exit 0'
init_container "$R" services orphans 'sh -c "sleep 0.3 &"; echo orphan left; exec sleep 1000'
init_container "$R" services polite 'trap "echo got TERM; exit 0" TERM; echo polite up; while :; do sleep 0.1; done'
init_container "$R" services stubborn 'trap "echo ignoring TERM" TERM; echo stubborn up; while :; do sleep 0.1; done'
init_container "$R" services badconf 'echo must not run' 'restart\tsometimes\n'
init_container "$R" services skipped 'echo must not run'
init_container "$R" onshutdown 000-bye 'echo bye from onshutdown'
init_container "$R" services withns 'echo withns up; exec sleep 1000' 'bindns\tnet\t/run/netns/withns\n'
mkdir -p "$R/containers/services/nocreate" # no process to run: the runtime's run fails

"$UNIKIT_INIT" --test-root "$R" --cmdline 'quiet unikit.debug unikit.grace=1 unikit.skip=skipped' \
	>"$OUT" 2>&1 &
INIT_PID=$!
test_at_exit "kill -9 $INIT_PID"

test_expect_success 'init.d executables run in order, others are left alone' '
	wait_for "$OUT" "init.d done" &&
	printf "first\nsecond\n" >expect &&
	test_cmp expect order
'

test_expect_success 'onboot output reaches the console prefixed with its name' '
	wait_for "$OUT" "onboot done" &&
	test_grep -x "000-hello: hello from onboot" "$OUT"
'

test_expect_success 'a failing onboot is reported with its status and last lines, and the boot goes on' '
	test_grep "onboot .001-fail. failed: exit status 3" "$OUT" &&
	test_grep -A3 "last 2 lines of .001-fail." "$OUT" >tail &&
	test_grep "| first words" tail &&
	test_grep "| last words" tail &&
	test_grep -x "002-after: after the failure" "$OUT" &&
	test_grep -x "000-hello" "$FAKE_RUNTIME_STATE/deleted" &&
	test_grep "hello from onboot" "$R/var/log/onboot.000-hello.log"
'

test_expect_success 'an on-failure service is restarted with a growing backoff' '
	wait_for "$OUT" "service .crash. ended with exit status 1; restart 4 in 800 ms" 10 &&
	test_grep "service .crash. ended with exit status 1; restart 1 in 100 ms" "$OUT" &&
	test_grep "service .crash. ended with exit status 1; restart 2 in 200 ms" "$OUT" &&
	test_grep "service .crash. ended with exit status 1; restart 3 in 400 ms" "$OUT" &&
	test $(grep -c "^crash: crash starting" "$OUT") -ge 4 &&
	test $(grep -c "crash starting" "$R/var/log/crash.log") -ge 4
'

test_expect_success 'a restart: no service is not restarted' '
	test_grep "service .once. ended with exit status 1; restart policy .no.: not restarted" "$OUT" &&
	test $(grep -c "^once: once starting" "$OUT") = 1 &&
	test $(grep -cx once "$FAKE_RUNTIME_STATE/created") = 1
'

test_expect_success 'an always service is restarted after exit 0; an on-failure one is not' '
	test_grep "service .always. ended with exit status 0; restart 2 in 200 ms" "$OUT" &&
	test_grep "service .clean. ended with exit status 0; restart policy .on-failure.: not restarted" "$OUT" &&
	test $(grep -c "^clean: clean starting" "$OUT") = 1
'

test_expect_success 'one runtime call starts a service; with bindns or interfaces, create and start are apart' '
	wait_for "$OUT" "^withns: withns up" &&
	test_grep "service .withns. created (pid" "$OUT" &&
	test_grep "service .withns. started (pid" "$OUT" &&
	test_grep "service .once. started (pid" "$OUT" &&
	! grep -q "service .once. created" "$OUT"
'

test_expect_success 'a service the runtime cannot run is reported and retried, deleted once per try' '
	wait_for "$OUT" "service .nocreate. ended with exit status 1; restart 2 in 200 ms" &&
	test_grep "service .nocreate. failed: run: exit status 1" "$OUT" &&
	test_grep "^nocreate: fake runtime: no .*/nocreate/run" "$OUT" &&
	tries=$(grep -c "service .nocreate. failed: run" "$OUT") &&
	deletes=$(grep -cx nocreate "$FAKE_RUNTIME_STATE/deleted") &&
	test "$deletes" -le "$tries"
'

test_expect_success 'a bad init.conf line is refused with its file and line' '
	test_grep "service .badconf. not started: .*/services/badconf/init.conf:1: restart must be .no., .on-failure. or .always." "$OUT" &&
	! grep -q "must not run" "$OUT"
'

test_expect_success 'unikit.skip skips a service' '
	test_grep "service .skipped. skipped (unikit.skip)" "$OUT" &&
	! grep -qx skipped "$FAKE_RUNTIME_STATE/created"
'

test_expect_success 'orphans reparented to init are reaped' '
	wait_for "$OUT" "orphan left" &&
	sleep 1 &&
	pid=$(sed -n "s/.*.orphans. started (pid \([0-9]*\)).*/\1/p" "$OUT") &&
	test -n "$pid" &&
	test_grep "reaped pid [0-9]*: exit status 0" "$OUT" &&
	zombies=$(ps -o stat= --ppid '"$INIT_PID"' | grep -c Z || true) &&
	test "$zombies" = 0
'

test_expect_success 'boot phases are written to run/unikit/boot-times' '
	test_grep -E "^[0-9]+\.[0-9]{3} init started" "$R/run/unikit/boot-times" &&
	test_grep -E "^[0-9]+\.[0-9]{3} onboot 000-hello" "$R/run/unikit/boot-times" &&
	test_grep -E "^[0-9]+\.[0-9]{3} services started \(9\)" "$R/run/unikit/boot-times" &&
	test_grep -E "\[ *[0-9]+\.[0-9]{3}\] services started" "$OUT"
'

test_expect_success 'poweroff: onshutdown runs, services get SIGTERM, then SIGKILL after the grace period' '
	wait_for "$OUT" "stubborn up" &&
	wait_for "$OUT" "polite up" &&
	ln -sf "$UNIKIT_INIT" poweroff &&
	start=$(date +%s%N) &&
	UNIKIT_INIT_PID='"$INIT_PID"' ./poweroff &&
	for i in $(seq 100); do kill -0 '"$INIT_PID"' 2>/dev/null || break; sleep 0.1; done &&
	end=$(date +%s%N) &&
	! kill -0 '"$INIT_PID"' 2>/dev/null &&
	test_grep "received .*: poweroff" "$OUT" &&
	test_grep -x "000-bye: bye from onshutdown" "$OUT" &&
	test_grep -x "polite: got TERM" "$OUT" &&
	test_grep -x "stubborn: ignoring TERM" "$OUT" &&
	test_grep "stubborn. did not stop in 1000 ms: SIGKILL" "$OUT" &&
	! grep -q "polite. did not stop" "$OUT" &&
	test_grep "test mode: shutdown complete (poweroff)" "$OUT" &&
	test $(( (end - start) / 1000000 )) -ge 1000 &&
	n=$(grep -n "bye from onshutdown" "$OUT" | cut -d: -f1) &&
	m=$(grep -n "got TERM" "$OUT" | cut -d: -f1) &&
	test "$n" -lt "$m"
'

test_expect_success 'unikit.shutdown powers off by itself; unikit.quiet hides the phases' '
	mkdir -p empty &&
	"$UNIKIT_INIT" --test-root "$PWD/empty" --cmdline "unikit.quiet unikit.shutdown=0" >out 2>&1 &&
	test_grep "unikit.shutdown=0: powering off" out &&
	! grep -q "\] init started" out &&
	test_grep "init started" empty/run/unikit/boot-times
'

test_expect_success 'an unknown unikit option is warned about; poweroff takes no arguments' '
	mkdir -p empty2 &&
	"$UNIKIT_INIT" --test-root "$PWD/empty2" --cmdline "unikit.bogus unikit.shutdown=0" >out 2>&1 &&
	test_grep "unknown or malformed option .unikit.bogus." out &&
	ln -sf "$UNIKIT_INIT" reboot &&
	test_must_fail ./reboot now 2>err &&
	test_grep "usage: reboot \[-f\]" err &&
	test_must_fail "$UNIKIT_INIT" 2>err &&
	test_grep "must run as PID 1" err
'

test_expect_success 'a poweroff during a slow onboot stops it and skips the rest of the boot' '
	init_container slow onboot 000-slow "trap \"echo slow got TERM; exit 7\" TERM; echo slow up; while :; do sleep 0.1; done" &&
	init_container slow onboot 001-never "echo must not run" &&
	init_container slow services svc "echo must not run"
	"$UNIKIT_INIT" --test-root "$PWD/slow" --cmdline "unikit.grace=1" >slow.out 2>&1 &
	pid=$! &&
	wait_for slow.out "000-slow: slow up" &&
	kill -TERM $pid &&
	wait $pid &&
	test_grep "received SIGTERM: reboot" slow.out &&
	test_grep "stopping .000-slow. (SIGTERM)" slow.out &&
	test_grep -x "000-slow: slow got TERM" slow.out &&
	test_grep "onboot .000-slow. failed: exit status 7" slow.out &&
	test_grep "shutdown complete (reboot)" slow.out &&
	! grep -q "must not run" slow.out
'

test_expect_success 'init sleeps while the runtime runs, though a service ended meanwhile' '
	init_container idle services 000-ends "exit 0" "restart\tno\n" &&
	init_container idle services 001-slow "exec sleep 1000" &&
	echo 3 >idle/containers/services/001-slow/runtime-delay
	"$UNIKIT_INIT" --test-root "$PWD/idle" --cmdline "unikit.debug unikit.grace=1 unikit.shutdown=1" \
		>idle.out 2>&1 &
	pid=$! &&
	wait_for idle.out "service .001-slow. started" &&
	ticks=$(awk "{ print \$14 + \$15 }" /proc/$pid/stat) &&
	wait $pid &&
	ended=$(grep -n "000-ends. (pid [0-9]*) ended" idle.out | cut -d: -f1) &&
	started=$(grep -n "service .001-slow. started" idle.out | cut -d: -f1) &&
	test "$ended" -lt "$started" &&
	echo "init used $ticks clock ticks of CPU in 3 s of waiting" &&
	test "$ticks" -lt 50
'

test_done
