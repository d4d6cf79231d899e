#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Faults between unikit and the registry, injected by a proxy
# (tests/fixtures/registry-proxy.py): dropped connections, 503, 429 with
# Retry-After, a corrupted byte, wrong Content-Lengths, an interrupted pull.
# Transient faults are retried (a cut blob goes on with a Range request);
# corruption is refused with the digest named; the store stays clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start plain
PORT=$REG_PORT
fixture_image "$TRASH/lay" img --layers 3 --size 1500000 --random
skopeo_push "$TRASH/lay" img "127.0.0.1:$PORT/f/img:1"
WANT=$(store_digest_in "$TRASH/lay/index.json" img)
for mode in drop 503 429 corrupt long-length short-length slow; do
	proxy_start "$mode" "$PORT" --times 2
	eval "PORT_${mode//-/_}=$PROXY_PORT LOG_${mode//-/_}=$PROXY_LOG"
done
proxy_start 503 "$PORT" --times 1000
PORT_always503=$PROXY_PORT LOG_always503=$PROXY_LOG
proxy_start 429 "$PORT" --times 1000 --match /manifests/
PORT_always429=$PROXY_PORT

# Pulls through the proxy on port $1 into an empty store; checks digests.
pull_ok() {
	rm -rf "$UNIKIT_CACHE" &&
	unikit cache pull 127.0.0.1:$1/f/img:1 2>err &&
	test "$(store_digest 127.0.0.1:$1/f/img:1)" = "$WANT" &&
	store_is_clean &&
	test "$(find "$UNIKIT_CACHE/registry-partial" -type f | wc -l)" = 0
}

test_expect_success 'a connection dropped mid-blob goes on with a Range request' '
	pull_ok $PORT_drop &&
	test "$(grep -c " 200 drop\$" "$LOG_drop")" = 2 &&
	test "$(grep -c "GET /v2/f/img/blobs/sha256:.* 206 range=bytes=[0-9]*-\$" "$LOG_drop")" = 2 &&
	grep -q "^retrying: get blob sha256:" err
'

test_expect_success '503 then success' '
	pull_ok $PORT_503 &&
	test "$(grep -c " 503\$" "$LOG_503")" = 2 &&
	grep -q "^retrying: get blob sha256:.*: HTTP 503" err
'

test_expect_success '429 with Retry-After: 1 waits, then succeeds' '
	start=$(date +%s%N) &&
	pull_ok $PORT_429 &&
	end=$(date +%s%N) &&
	test $(((end - start) / 1000000)) -ge 1000 &&
	grep -q "^retrying: get blob sha256:.*: HTTP 429" err
'

test_expect_success 'a corrupted byte is refused with the digest named; the store stays clean' '
	rm -rf "$UNIKIT_CACHE" &&
	test_must_fail unikit cache pull -q 127.0.0.1:$PORT_corrupt/f/img:1 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "get blob sha256:[0-9a-f]\{64\}: blob sha256:[0-9a-f]\{64\}: content does not match its digest" err &&
	bad=$(grep -o "get blob sha256:[0-9a-f]*" err | head -n1 | sed "s/get blob sha256://") &&
	test_must_fail test -e "$UNIKIT_CACHE/blobs/sha256/$bad" &&
	test "$(jq ".manifests | length" "$UNIKIT_CACHE/index.json")" = 0 &&
	store_is_clean
'

test_expect_success 'a Content-Length larger than the body: the digest decides' '
	pull_ok $PORT_long_length &&
	test "$(grep -c " 200 long-length\$" "$LOG_long_length")" = 2
'

test_expect_success 'a Content-Length smaller than the blob: the rest comes by Range' '
	pull_ok $PORT_short_length &&
	grep -q " 206 range=bytes=[0-9]*-\$" "$LOG_short_length" &&
	grep -q "short body" err
'

test_expect_success 'retries are bounded in count: the last failure is the error' '
	rm -rf "$UNIKIT_CACHE" &&
	test_must_fail env UNIKIT_REGISTRY_RETRIES=2 "$UNIKIT" cache pull -q \
		127.0.0.1:$PORT_always503/f/img:1 2>err &&
	grep -q "get blob sha256:[0-9a-f]*: HTTP 503 UNAVAILABLE: try later" err &&
	b=$(grep -o "get blob sha256:[0-9a-f]*" err | head -n1 | sed "s/get blob //") &&
	test "$(grep -c "GET /v2/f/img/blobs/$b 503" "$LOG_always503")" = 3 &&
	store_is_clean
'

test_expect_success 'retries are bounded in time: a Retry-After past the budget fails at once' '
	start=$(date +%s%N) &&
	test_must_fail env UNIKIT_REGISTRY_RETRY_TIME=0.5 "$UNIKIT" cache pull -q \
		127.0.0.1:$PORT_always429/f/img:1 2>err &&
	end=$(date +%s%N) &&
	test $(((end - start) / 1000000)) -lt 1000 &&
	grep -q "get manifest .1.: HTTP 429 TOOMANYREQUESTS" err
'

test_expect_success 'an interrupted pull leaves no partial blob in the store' '
	rm -rf "$UNIKIT_CACHE" &&
	{ "$UNIKIT" cache pull -q 127.0.0.1:$PORT_slow/f/img:1 2>/dev/null & pid=$!; } &&
	for i in $(seq 1 50); do
		grep -q "GET /v2/f/img/blobs/" "$LOG_slow" && break
		sleep 0.1
	done &&
	sleep 0.4 &&
	kill -INT $pid && { wait $pid || true; } &&
	for l in $(jq -r ".layers[].digest" "$TRASH/lay/blobs/sha256/${WANT#sha256:}"); do
		test_must_fail test -e "$UNIKIT_CACHE/blobs/sha256/${l#sha256:}"
	done &&
	store_is_clean &&
	test "$(jq ".manifests | length" "$UNIKIT_CACHE/index.json")" = 0
'

test_expect_success 'a killed pull keeps its partial downloads; the next one asks for the rest' '
	{ "$UNIKIT" cache pull -q 127.0.0.1:$PORT_slow/f/img:1 2>/dev/null & pid=$!; } &&
	sleep 0.7 && kill -KILL $pid && { wait $pid || true; } &&
	ls -s "$UNIKIT_CACHE/registry-partial" >partials &&
	test "$(find "$UNIKIT_CACHE/registry-partial" -type f -size +0 | wc -l)" -ge 1 &&
	: >"$LOG_slow" &&
	unikit cache pull -q 127.0.0.1:$PORT_slow/f/img:1 &&
	test "$(store_digest 127.0.0.1:$PORT_slow/f/img:1)" = "$WANT" &&
	store_is_clean &&
	grep -q "GET /v2/f/img/blobs/sha256:[0-9a-f]* 206 slow range=bytes=[1-9][0-9]*-\$" "$LOG_slow" &&
	test_must_fail grep -q "206 slow range=bytes=0-" "$LOG_slow" &&
	test "$(find "$UNIKIT_CACHE/registry-partial" -type f | wc -l)" = 0
'

test_expect_success 'a partial whose bytes are wrong is refused by the digest, then removed' '
	rm -rf "$UNIKIT_CACHE" &&
	unikit cache ls >/dev/null &&
	l=$(jq -r ".layers[0].digest" "$TRASH/lay/blobs/sha256/${WANT#sha256:}") &&
	mkdir -p "$UNIKIT_CACHE/registry-partial" &&
	head -c 1000 /dev/zero >"$UNIKIT_CACHE/registry-partial/${l#sha256:}" &&
	test_must_fail unikit cache pull -q 127.0.0.1:$PORT/f/img:1 2>err &&
	grep -q "get blob $l: blob $l: content does not match its digest" err &&
	test_must_fail test -e "$UNIKIT_CACHE/registry-partial/${l#sha256:}" &&
	pull_ok $PORT
'

test_done
