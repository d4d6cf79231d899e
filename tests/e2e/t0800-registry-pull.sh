#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Pull from a real registry over plain HTTP: skopeo pushes, unikit pulls with
# identical digests; blobs in the store are not fetched again; errors name
# the registry, repository, step, status and code.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start plain
PORT=$REG_PORT
proxy_start schema1 "$PORT"
SCHEMA1_PORT=$PROXY_PORT
proxy_start none "$PORT"
fixture_image "$TRASH/lay" oci --layers 3
fixture_image "$TRASH/lay" docker --docker --layers 2
skopeo_push "$TRASH/lay" oci "127.0.0.1:$PORT/test/img:oci"
curl_push "$TRASH/lay" docker "127.0.0.1:$PORT/test/img:docker"

test_expect_success 'an OCI image pulls with the digest the registry serves' '
	unikit cache pull -q 127.0.0.1:$PORT/test/img:oci 2>err &&
	test_must_fail test -s err &&
	want=$(skopeo_digest 127.0.0.1:$PORT/test/img:oci) &&
	test "$(store_digest 127.0.0.1:$PORT/test/img:oci)" = "$want" &&
	store_is_clean
'

test_expect_success 'every blob of the manifest is in the store, verified' '
	d=$(store_digest 127.0.0.1:$PORT/test/img:oci) &&
	m="$UNIKIT_CACHE/blobs/sha256/${d#sha256:}" &&
	jq -r ".config.digest, .layers[].digest" "$m" >blobs &&
	test "$(wc -l <blobs)" = 4 &&
	while read -r b; do
		test "$(sha256sum <"$UNIKIT_CACHE/blobs/sha256/${b#sha256:}" | cut -d" " -f1)" = "${b#sha256:}"
	done <blobs
'

test_expect_success 'a Docker schema 2 image pulls with its digest and media type' '
	unikit cache pull -q 127.0.0.1:$PORT/test/img:docker &&
	test "$(store_digest 127.0.0.1:$PORT/test/img:docker)" = "$(skopeo_digest 127.0.0.1:$PORT/test/img:docker)" &&
	jq -e ".manifests[] | select(.mediaType == \"application/vnd.docker.distribution.manifest.v2+json\")" \
		"$UNIKIT_CACHE/index.json"
'

test_expect_success 'umoci unpacks the pulled image from the store' '
	command -v umoci >/dev/null || exit 0
	umoci unpack --rootless --image "$UNIKIT_CACHE:127.0.0.1:$PORT/test/img:oci" bundle &&
	test -f bundle/rootfs/data/oci-amd64-2.bin &&
	test -f bundle/rootfs/etc/oci-amd64-0.bin.txt
'

test_expect_success 'a second pull fetches no blob again' '
	: >"$PROXY_LOG" &&
	unikit cache pull 127.0.0.1:$PROXY_PORT/test/img:oci 2>err &&
	grep -q "GET /v2/test/img/manifests/oci 200" "$PROXY_LOG" &&
	test_must_fail grep "/blobs/" "$PROXY_LOG" &&
	test "$(grep -c "already there" err)" = 4
'

test_expect_success 'a pull by digest of a complete image needs no registry' '
	d=$(store_digest 127.0.0.1:$PORT/test/img:oci) &&
	: >"$PROXY_LOG" &&
	unikit cache pull -q 127.0.0.1:$PROXY_PORT/test/img@$d &&
	test_must_fail test -s "$PROXY_LOG" &&
	test "$(store_digest 127.0.0.1:$PROXY_PORT/test/img@$d)" = "$d"
'

test_expect_success 'plain progress lines when stderr is not a terminal' '
	rm -rf "$UNIKIT_CACHE" &&
	unikit cache pull 127.0.0.1:$PORT/test/img:oci 2>err &&
	grep -q "^pull 127.0.0.1:$PORT/test/img:oci: 4 blobs" err &&
	test "$(grep -c ": done .* in .* s (.*/s)" err)" = 4 &&
	grep -q "^pulled 127.0.0.1:$PORT/test/img:oci sha256:" err &&
	test_must_fail grep -q "$(printf "\\033")" err
'

test_expect_success 'a redrawn display with sizes and rates on a terminal' '
	command -v script >/dev/null || exit 0
	rm -rf "$UNIKIT_CACHE" &&
	TERM=xterm script -qec "$UNIKIT cache pull 127.0.0.1:$PORT/test/img:oci" /dev/null >tty &&
	grep -q "$(printf "\\033")\\[K" tty &&
	grep -q "total .* / .*B/s" tty &&
	grep -q "^pulled" tty
'

test_expect_success 'a missing tag is one line naming registry, repository, step, status, code' '
	test_must_fail unikit cache pull -q 127.0.0.1:$PORT/test/img:nope 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "registry .127.0.0.1:$PORT. repository .test/img.: get manifest .nope.: HTTP 404 MANIFEST_UNKNOWN" err
'

test_expect_success 'a blob the registry lost names the blob step and BLOB_UNKNOWN' '
	rm -rf "$UNIKIT_CACHE" &&
	fixture_image lost lost &&
	skopeo_push lost lost 127.0.0.1:$PORT/test/lost:1 &&
	m=$(store_digest_in lost/index.json lost) &&
	l=$(jq -r ".layers[1].digest" "lost/blobs/sha256/${m#sha256:}") &&
	h=${l#sha256:} &&
	rm "$TRASH/plain/data/docker/registry/v2/blobs/sha256/${h:0:2}/$h/data" &&
	test_must_fail unikit cache pull -q 127.0.0.1:$PORT/test/lost:1 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "repository .test/lost.: get blob $l: HTTP 404 BLOB_UNKNOWN" err &&
	test_must_fail test -e "$UNIKIT_CACHE/blobs/sha256/$h" &&
	store_is_clean &&
	test "$(jq ".manifests | length" "$UNIKIT_CACHE/index.json")" = 0
'

test_expect_success 'schema 1 manifests are refused with a clear error' '
	test_must_fail unikit cache pull -q 127.0.0.1:$SCHEMA1_PORT/test/img:oci 2>err &&
	grep -q "schema 1 .* is not supported" err &&
	store_is_clean
'

test_expect_success 'nothing listening is one line naming the registry' '
	port=$(free_port) &&
	test_must_fail unikit cache pull -q 127.0.0.1:$port/x:y 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "registry .127.0.0.1:$port.: connect:" err
'

test_done
