#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Push: skopeo reads what unikit pushes and copies it back with identical
# digests; blobs the registry has are not sent; blobs of another repository
# are mounted; large blobs go up in PATCH chunks; an index goes up whole.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start plain
PORT=$REG_PORT
proxy_start none "$PORT"
P=127.0.0.1:$PROXY_PORT
P_LOG=$PROXY_LOG
proxy_start drop "$PORT" --method PUT --match /blobs/uploads/ --times 2
DROP_PORT=$PROXY_PORT DROP_LOG=$PROXY_LOG
proxy_start 503 "$PORT" --method PATCH --match /blobs/uploads/ --times 1
P503_PORT=$PROXY_PORT P503_LOG=$PROXY_LOG
fixture_image "$TRASH/lay" img --layers 3 --size 300000 --random
fixture_image "$TRASH/lay" multi --arch amd64,arm64/v8 --layers 2
skopeo_push "$TRASH/lay" img "127.0.0.1:$PORT/src/img:1"
skopeo_push "$TRASH/lay" multi "127.0.0.1:$PORT/src/multi:1"
IMG=$(store_digest_in "$TRASH/lay/index.json" img)
MULTI=$(store_digest_in "$TRASH/lay/index.json" multi)

test_expect_success 'setup: pull the images into the store' '
	unikit cache pull -q $P/src/img:1 &&
	unikit cache pull -q -arch amd64 $P/src/multi:1 &&
	unikit cache pull -q -arch arm64 $P/src/multi:1
'

test_expect_success 'push to another registry name: skopeo inspects it, digests unchanged' '
	: >"$P_LOG" &&
	unikit cache push -q $P/src/img:1 $P/dst/img:2 &&
	skopeo inspect --tls-verify=false docker://$P/dst/img:2 >inspect &&
	test "$(jq -r .Digest inspect)" = "$IMG" &&
	test "$(jq -r ".Layers | length" inspect)" = 3
'

test_expect_success 'blobs known in another repository of the registry are mounted' '
	grep -q "POST /v2/dst/img/blobs/uploads/?mount=sha256%3A[0-9a-f]*&from=src%2Fimg 201" "$P_LOG" &&
	test_must_fail grep -q "PUT /v2/dst/img/blobs/uploads/" "$P_LOG"
'

test_expect_success 'skopeo copies it back with identical digests' '
	skopeo copy -q --src-tls-verify=false docker://$P/dst/img:2 oci:back:x &&
	test "$(store_digest_in back/index.json x)" = "$IMG" &&
	for b in $(ls back/blobs/sha256); do
		cmp "back/blobs/sha256/$b" "$UNIKIT_CACHE/blobs/sha256/$b"
	done
'

test_expect_success 'a second push sends no blob: HEAD finds them all' '
	: >"$P_LOG" &&
	unikit cache push $P/src/img:1 $P/dst/img:2 2>err &&
	test "$(grep -c "^HEAD /v2/dst/img/blobs/sha256:.* 200" "$P_LOG")" = 4 &&
	test_must_fail grep -q "/blobs/uploads/" "$P_LOG" &&
	test "$(grep -c "already there" err)" = 4
'

test_expect_success 'a fresh registry gets every blob uploaded (POST then PUT)' '
	rm -rf "$UNIKIT_CACHE/registry-sources" &&
	: >"$P_LOG" &&
	unikit cache push -q $P/src/img:1 $P/fresh/img:1 &&
	test "$(grep -c "^PUT /v2/fresh/img/blobs/uploads/.*digest=sha256.* 201" "$P_LOG")" = 4 &&
	test "$(skopeo_digest $P/fresh/img:1)" = "$IMG"
'

test_expect_success 'blobs larger than -chunk-size (bytes without a unit) go up in PATCH chunks' '
	: >"$P_LOG" &&
	rm -rf "$UNIKIT_CACHE/registry-sources" &&
	unikit cache push -q -chunk-size 65536 $P/src/img:1 $P/chunked/img:1 &&
	test "$(grep -c "^PATCH /v2/chunked/img/blobs/uploads/.* 202" "$P_LOG")" -ge 12 &&
	skopeo copy -q --src-tls-verify=false docker://$P/chunked/img:1 oci:chunked:x &&
	test "$(store_digest_in chunked/index.json x)" = "$IMG"
'

test_expect_success 'a -chunk-size that is not a size is a usage error, before any request' '
	: >"$P_LOG" &&
	for bad in "0:not a positive number" "1.5M:not a positive number" \
		"64Q:unknown unit (use K, M, G or T; no unit is bytes)" \
		"9223372036854775808:too large"; do
		rc=0 && unikit cache push -q -chunk-size ${bad%%:*} $P/src/img:1 $P/bad/img:1 2>err ||
			rc=$?
		test $rc = 2 &&
			test_grep -x "unikit: error: push: -chunk-size: size .${bad%%:*}.: ${bad#*:}" err ||
			return 1
	done &&
	test ! -s "$P_LOG"
'

test_expect_success 'an upload cut by a dropped connection starts a new session and succeeds' '
	rm -rf "$UNIKIT_CACHE/registry-sources" &&
	unikit cache push $P/src/img:1 127.0.0.1:$DROP_PORT/cut/img:1 2>err &&
	test "$(grep -c "^PUT /v2/cut/img/blobs/uploads/.* dropped\$" "$DROP_LOG")" = 2 &&
	test "$(grep -c "^PUT /v2/cut/img/blobs/uploads/.* 201\$" "$DROP_LOG")" = 4 &&
	grep -q "^retrying: upload blob sha256:" err &&
	test "$(skopeo_digest $P/cut/img:1)" = "$IMG"
'

test_expect_success 'a 503 on a chunk starts the upload over' '
	rm -rf "$UNIKIT_CACHE/registry-sources" &&
	unikit cache push -chunk-size 128K $P/src/img:1 127.0.0.1:$P503_PORT/c503/img:1 2>err &&
	grep -q "^PATCH .* 503\$" "$P503_LOG" &&
	grep -q "^retrying: upload blob sha256:.*: HTTP 503" err &&
	test "$(skopeo_digest $P/c503/img:1)" = "$IMG"
'

test_expect_success 'an index with every platform in the store goes up with its digest' '
	unikit cache push -q $P/src/multi:1 $P/dst/multi:1 &&
	test "$(skopeo_digest $P/dst/multi:1)" = "$MULTI" &&
	skopeo copy -q --all --src-tls-verify=false docker://$P/dst/multi:1 oci:multiback:x &&
	test "$(store_digest_in multiback/index.json x)" = "$MULTI" &&
	skopeo inspect --tls-verify=false --override-arch arm64 docker://$P/dst/multi:1 >arm &&
	test "$(jq -r .Architecture arm)" = arm64
'

test_expect_success 'an index with one platform pulled goes up as an index of that platform' '
	rm -rf "$UNIKIT_CACHE" &&
	unikit cache pull -q -arch arm64 $P/src/multi:1 &&
	unikit cache push $P/src/multi:1 $P/one/multi:1 2>err &&
	skopeo inspect --raw --tls-verify=false docker://$P/one/multi:1 >raw &&
	test "$(jq -r ".manifests | length" raw)" = 1 &&
	test "$(jq -r ".manifests[0].platform.architecture" raw)" = arm64 &&
	grep -q "^pushed $P/one/multi:1 $(skopeo_digest $P/one/multi:1)" err
'

test_expect_success 'a name that is not in the store is an error' '
	test_must_fail unikit cache push -q $P/none/such:1 2>err &&
	grep -q "push .$P/none/such:1.: image .$P/none/such:1. is not in the store" err
'

test_expect_success 'the top-level push command is the same' '
	unikit push -q $P/src/multi:1 $P/top/multi:1 &&
	skopeo inspect --raw --tls-verify=false docker://$P/top/multi:1 >/dev/null
'

test_done
