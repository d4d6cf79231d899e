#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A half-present image (its manifest in the store, a blob of it not) in a
# build: with the registry there, only the missing blob is fetched; without
# it, one line names the image and the blob. A complete image needs no
# registry either way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start plain
PORT=$REG_PORT
proxy_start none "$PORT"
fixture_image "$TRASH/lay" img --layers 2
skopeo_push "$TRASH/lay" img "127.0.0.1:$PORT/half/img:1"
# Through the proxy, which logs every request; stopping it takes the registry away.
REF=127.0.0.1:$PROXY_PORT/half/img:1

# blob_of JQ-PATH: a blob of the image's manifest in the store, as a digest
blob_of() {
	local m
	m=$(store_digest "$REF")
	jq -r "$1" "$UNIKIT_CACHE/blobs/sha256/${m#sha256:}"
}

test_expect_success 'setup: pull the image and build from it' '
	unikit cache pull -q "$REF" &&
	printf "init:\n  - $REF\n" >half.yml &&
	: >"$PROXY_LOG" &&
	unikit build -q -format tar -o full.tar half.yml &&
	test_must_fail test -s "$PROXY_LOG" &&
	bsdtar -tf full.tar >list &&
	test_grep -q "^etc/img-amd64-1.bin.txt" list
'

test_expect_success 'a build completes an image whose layer is missing, fetching only that layer' '
	layer=$(blob_of ".layers[1].digest") &&
	cp "$UNIKIT_CACHE/blobs/sha256/${layer#sha256:}" layer.blob &&
	rm "$UNIKIT_CACHE/blobs/sha256/${layer#sha256:}" &&
	: >"$PROXY_LOG" &&
	unikit build -format tar -o again.tar half.yml 2>err &&
	test_grep -qx "pulling $REF" err &&
	grep "/blobs/" "$PROXY_LOG" >blob-requests &&
	test "$(wc -l <blob-requests)" = 1 &&
	test_grep -q "^GET /v2/half/img/blobs/$layer 200" blob-requests &&
	test_cmp full.tar again.tar &&
	store_is_clean
'

test_expect_success 'so does it when the config is missing' '
	config=$(blob_of ".config.digest") &&
	rm "$UNIKIT_CACHE/blobs/sha256/${config#sha256:}" &&
	: >"$PROXY_LOG" &&
	unikit build -q -format tar -o again2.tar half.yml &&
	grep "/blobs/" "$PROXY_LOG" >blob-requests &&
	test "$(wc -l <blob-requests)" = 1 &&
	test_grep -q "^GET /v2/half/img/blobs/$config 200" blob-requests &&
	test_cmp full.tar again2.tar
'

PROXY_PID=$(cat "$TRASH/proxy-$PROXY_PORT.pid")
proxy_stop "$PROXY_PORT"
while kill -0 "$PROXY_PID" 2>/dev/null; do sleep 0.05; done

test_expect_success 'without the registry, a missing layer fails the build in one line naming image and layer' '
	layer=$(blob_of ".layers[1].digest") &&
	rm "$UNIKIT_CACHE/blobs/sha256/${layer#sha256:}" &&
	cp "$UNIKIT_CACHE/index.json" before.json &&
	test_must_fail unikit build -q -format tar -o offline.tar half.yml 2>err &&
	test "$(wc -l <err)" = 1 &&
	test_grep -q "^unikit: error: half.yml:2:5: image .$REF.: layer $layer is not in the store and could not be pulled: pull .$REF.: registry .127.0.0.1:$PROXY_PORT.: connect:" err &&
	test ! -e offline.tar &&
	test_cmp before.json "$UNIKIT_CACHE/index.json" &&
	store_is_clean
'

test_expect_success 'without the registry, the image made complete again builds' '
	layer=$(blob_of ".layers[1].digest") &&
	cp layer.blob "$UNIKIT_CACHE/blobs/sha256/${layer#sha256:}" &&
	unikit build -format tar -o offline.tar half.yml 2>err &&
	test_must_fail grep -q pulling err &&
	test_cmp full.tar offline.tar
'

test_done
