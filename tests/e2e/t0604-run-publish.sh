#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run -detached -publish: a guest serving HTTP on port 80 is reached
# from this machine with curl through QEMU's user networking (which listens
# on 127.0.0.1 only); -wait-for returns once it is ready and leaves it running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

run_fixtures
run_prefix web serve
test_at_exit 'test -s "$TRASH/web-state/qemu.pid" && kill "$(cat "$TRASH/web-state/qemu.pid")"'

test_expect_success '-detached -wait-for returns when the guest is ready, and it keeps running' '
	port=$(free_port) && echo $port >port &&
	"$UNIKIT" run -detached -publish 127.0.0.1:$port:80 -wait-for "httpd ready" \
		-timeout $RUN_TIMEOUT web </dev/null >out 2>err &&
	test_grep -q "^unikit: console matched .httpd ready.; VM running in the background (QEMU pid $(cat web-state/qemu.pid)); console in .web-state/console.log.$" err &&
	kill -0 "$(cat web-state/qemu.pid)"
'

test_expect_success 'the published port reaches the guest' '
	port=$(cat port) &&
	curl -sS --max-time 30 -o page "http://127.0.0.1:$port/" &&
	test_grep -qx "hello from the unikit fixture, mac $(cat web-state/mac-addr)" page
'

test_expect_success 'a second run on the same port or state directory is refused' '
	port=$(cat port) &&
	rc=0 && "$UNIKIT" run -publish $port:80 web </dev/null 2>err || rc=$?
	test $rc -eq 1 &&
	test_grep -q "^unikit: error: publish 127.0.0.1:$port:80/tcp: port $port on 127.0.0.1 is already in use$" err &&
	rc=0 && "$UNIKIT" run web </dev/null 2>err || rc=$?
	test $rc -eq 1 &&
	test_grep -q "^unikit: error: state directory .web-state. is in use by a running VM (QEMU pid $(cat web-state/qemu.pid))$" err
'

test_expect_success 'the detached VM stops with its pid, and QEMU removes its pid file' '
	pid=$(cat web-state/qemu.pid) &&
	kill $pid &&
	wait_gone $pid 20 &&
	test ! -e web-state/qemu.pid &&
	guest_says web-state/console.log | test_grep -qx "httpd ready"
'

test_done
