#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/nginx.yml, built from pkg/ and booted detached in QEMU (TCG) with
# `-publish 127.0.0.1:PORT:80`: curl on this machine gets the page nginx
# serves in the guest, nginx logs the request on the console, and the VM
# stops with its pid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-system.sh"
cd "$TRASH" || exit 1
test_at_exit 'test -s "$TRASH/nginx-state/qemu.pid" && kill "$(cat "$TRASH/nginx-state/qemu.pid")"'

test_expect_success 'nginx.yml builds' '
	system_build nginx "$TOP/examples/nginx.yml"
'

test_expect_success '-detached -publish -wait-for returns once the services run' '
	port=$(free_port) && echo "$port" >port &&
	# not anchored: the getty may have left its prompt on the line before it
	"$UNIKIT" run -detached -mem 512 -timeout "$SYSTEM_TIMEOUT" \
		-publish "127.0.0.1:$port:80" \
		-wait-for "unikit: \[ *[0-9.]+\] services started \(3\)" nginx </dev/null 2>err &&
	kill -0 "$(cat nginx-state/qemu.pid)"
'

test_expect_success 'curl on this machine gets the page nginx serves in the guest' '
	port=$(cat port) &&
	i=0 && until curl -sS --max-time 10 -o page "http://127.0.0.1:$port/"; do
		i=$((i + 1)) && test $i -lt 30 && sleep 2 || exit 1
	done &&
	test_cmp "$TOP/pkg/nginx/html/index.html" page &&
	curl -sS --max-time 10 -o /dev/null -w "%{http_code}\n" "http://127.0.0.1:$port/nothing-here" >code &&
	test "$(cat code)" = 404
'

test_expect_success 'nginx logged both requests on the console' '
	i=0 && until grep -q "GET /nothing-here HTTP/1.1\" 404" nginx-state/console.log; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.2 || exit 1
	done &&
	# not anchored: the getty may have left its prompt on the line before it
	test_grep -E "nginx: .*\"GET / HTTP/1.1\" 200 .*curl/" nginx-state/console.log
'

test_expect_success 'the detached VM stops with its pid' '
	pid=$(cat nginx-state/qemu.pid) &&
	kill "$pid" &&
	i=0 && while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1)) && test $i -lt 200 && sleep 0.1 || exit 1
	done &&
	test ! -e nginx-state/qemu.pid
'

test_done
