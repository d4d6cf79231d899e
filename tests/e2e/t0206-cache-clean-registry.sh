#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit cache clean and the registry client's files in the store: the partial
# downloads a killed pull leaves (registry-partial/) go, and so do the records
# of where blobs came from (registry-sources/) for the blobs clean removes;
# the records of the blobs that stay still let a push mount them. A clean
# waits for a running pull instead of taking its partial downloads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start plain
PORT=$REG_PORT
proxy_start slow "$PORT"
SLOW_PORT=$PROXY_PORT SLOW_LOG=$PROXY_LOG
fixture_image "$TRASH/lay" keep --layers 2
fixture_image "$TRASH/lay" gone --layers 2
fixture_image "$TRASH/lay" big --layers 3 --size 1500000 --random
for t in keep gone big; do
	skopeo_push "$TRASH/lay" $t "127.0.0.1:$PORT/c/$t:1"
done
BIG=$(store_digest_in "$TRASH/lay/index.json" big)
PARTIAL="$UNIKIT_CACHE/registry-partial"
SOURCES="$UNIKIT_CACHE/registry-sources"

# The config and layers of an image the store names, as hex digests, sorted.
blobs_of() {
	local m
	m=$(store_digest "$1")
	jq -r ".config.digest, .layers[].digest" "$UNIKIT_CACHE/blobs/sha256/${m#sha256:}" |
		sed "s/^sha256://" | sort -u
}

# Starts a pull of the big image through the slow proxy; waits until a blob moves.
slow_pull_start() {
	: >"$SLOW_LOG"
	"$UNIKIT" cache pull -q 127.0.0.1:$SLOW_PORT/c/big:1 2>slow-pull.err &
	pid=$!
	for i in $(seq 1 100); do
		grep -q "GET /v2/c/big/blobs/" "$SLOW_LOG" && return 0
		sleep 0.1
	done
	return 1
}

test_expect_success 'setup: every blob pulled has a record of where it came from' '
	unikit cache pull -q 127.0.0.1:$PORT/c/keep:1 127.0.0.1:$PORT/c/gone:1 &&
	blobs_of 127.0.0.1:$PORT/c/keep:1 >keep.blobs &&
	blobs_of 127.0.0.1:$PORT/c/gone:1 >gone.blobs &&
	sort -u keep.blobs gone.blobs >pulled.blobs &&
	ls "$SOURCES" | sort >records &&
	test_cmp pulled.blobs records &&
	test_grep -qx "127.0.0.1:$PORT	c/keep" "$SOURCES/$(head -n 1 keep.blobs)"
'

test_expect_success 'setup: a killed pull leaves partial downloads' '
	slow_pull_start &&
	sleep 0.5 &&
	kill -KILL $pid && { wait $pid || true; } &&
	find "$PARTIAL" -type f -size +0 >partials &&
	test "$(wc -l <partials)" -ge 1 &&
	test "$(store_digest 127.0.0.1:$SLOW_PORT/c/big:1)" = ""
'

test_expect_success 'clean removes every partial download and the records of the blobs it removes' '
	unikit cache rm 127.0.0.1:$PORT/c/gone:1 >/dev/null &&
	comm -13 keep.blobs gone.blobs >gone-only.blobs &&
	test "$(wc -l <gone-only.blobs)" -ge 1 &&
	cp -r "$SOURCES" records-before &&
	unikit cache clean >out &&
	n=$(wc -l <partials) && g=$(wc -l <gone-only.blobs) &&
	if [ "$n" = 1 ]; then p="1 partial download"; else p="$n partial downloads"; fi &&
	test_grep -Ex "removed [0-9]+ blobs \([0-9.]+k?B\), $p \([0-9.]+[kM]?B\), $g source records and 0 temporary files" out &&
	test "$(find "$PARTIAL" -type f | wc -l)" = 0 &&
	ls "$SOURCES" | sort >records &&
	test_cmp keep.blobs records &&
	for b in $(cat keep.blobs); do
		test_cmp "records-before/$b" "$SOURCES/$b" || exit 1
	done
'

test_expect_success 'the records that stay still serve: a push elsewhere mounts the blobs' '
	unikit cache push 127.0.0.1:$PORT/c/keep:1 127.0.0.1:$PORT/other/keep:1 2>err &&
	test "$(grep -c ": mounted (" err)" = "$(wc -l <keep.blobs)"
'

test_expect_success 'clean with none of them left prints what it always did' '
	unikit cache clean >out &&
	test_grep -x "removed 0 blobs (0B) and 0 temporary files" out
'

test_expect_success 'clean waits for a running pull and leaves its partial downloads to it' '
	slow_pull_start &&
	unikit cache clean >out 2>err &&
	wait $pid &&
	test_grep -q "^unikit: waiting for other unikit processes using" err &&
	test "$(store_digest 127.0.0.1:$SLOW_PORT/c/big:1)" = "$BIG" &&
	test "$(find "$PARTIAL" -type f | wc -l)" = 0 &&
	store_is_clean
'

test_done
