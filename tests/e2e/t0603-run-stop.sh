#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run never hangs: -timeout stops a guest that never prints the
# pattern, a kernel panic stops the VM with an error, and SIGTERM stops QEMU
# and leaves the state directory sound. Real QEMU.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

run_fixtures
run_prefix quiet silent
run_prefix crash panic

test_expect_success '-timeout on a guest that never prints the pattern fails in time' '
	start=$(date +%s) &&
	rc=0 && "$UNIKIT" run -timeout 20 -wait-for "never printed" quiet </dev/null >out 2>err || rc=$?
	elapsed=$(($(date +%s) - start))
	echo "exit $rc after ${elapsed}s" &&
	test $rc -eq 124 &&
	test $elapsed -ge 20 && test $elapsed -le 30 &&
	test_grep -q "^unikit: error: timed out after 20s waiting for .never printed.$" err &&
	test_grep -q "^  | .*UNIKIT-FIXTURE: init started, mode silent" err &&
	test ! -e quiet-state/qemu.pid &&
	! pgrep -f "quiet-state/qemu.pid" >/dev/null
'

test_expect_success 'a kernel panic (init exits) stops the VM and fails' '
	rc=0 && "$UNIKIT" run -timeout $RUN_TIMEOUT crash </dev/null >out 2>err || rc=$?
	test $rc -eq 3 &&
	guest_says out | test_grep -qx "init exits" &&
	test_grep -q "^unikit: error: the guest kernel panicked: Kernel panic - not syncing: Attempted to kill init!" err &&
	test ! -e crash-state/qemu.pid &&
	! pgrep -f "crash-state/qemu.pid" >/dev/null
'

test_expect_success 'SIGTERM stops QEMU and removes the pid file' '
	"$UNIKIT" run -timeout $RUN_TIMEOUT quiet </dev/null >out 2>err &
	unikit_pid=$!
	i=0
	while ! guest_says out | grep -q "init started" && [ $i -lt $((RUN_TIMEOUT * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	qemu_pid=$(cat quiet-state/qemu.pid)
	kill -0 "$qemu_pid" &&
	kill -TERM $unikit_pid
	rc=0 && wait $unikit_pid || rc=$?
	test $rc -eq 143 &&
	test_grep -q "^unikit: Terminated; VM stopped$" err &&
	wait_gone "$qemu_pid" 10 &&
	test ! -e quiet-state/qemu.pid &&
	test -s quiet-state/mac-addr
'

test_done
