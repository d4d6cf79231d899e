#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Multi-platform images: an index (skopeo copy --all) or a Docker manifest
# list resolves to the platform -arch asks for; the index is stored as served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start plain
PORT=$REG_PORT
fixture_image "$TRASH/lay" multi --arch amd64,arm64/v8 --layers 2
skopeo_push "$TRASH/lay" multi "127.0.0.1:$PORT/multi/img:1"
fixture_image "$TRASH/lay" list --docker --arch amd64,arm/v7 --layers 1
curl_push "$TRASH/lay" list "127.0.0.1:$PORT/multi/list:1"

# The manifest digest of PLATFORM (arch[/variant]) in the index blob $1.
platform_manifest() {
	jq -r --arg a "${2%%/*}" --arg v "${2#*/}" '.manifests[] | select(.platform.architecture == $a
		and ((.platform.variant // $a) == $v or $v == $a)) | .digest' \
		"$UNIKIT_CACHE/blobs/sha256/${1#sha256:}"
}

have_blob() {
	test -f "$UNIKIT_CACHE/blobs/sha256/${1#sha256:}"
}

test_expect_success 'an index resolves to the platform asked for, stored as served' '
	unikit cache pull -q -arch arm64 127.0.0.1:$PORT/multi/img:1 &&
	idx=$(store_digest 127.0.0.1:$PORT/multi/img:1) &&
	test "$idx" = "$(skopeo_digest 127.0.0.1:$PORT/multi/img:1)" &&
	arm=$(platform_manifest "$idx" arm64/v8) &&
	amd=$(platform_manifest "$idx" amd64) &&
	have_blob "$arm" &&
	test_must_fail have_blob "$amd" &&
	cfg=$(jq -r .config.digest "$UNIKIT_CACHE/blobs/sha256/${arm#sha256:}") &&
	test "$(jq -r .architecture "$UNIKIT_CACHE/blobs/sha256/${cfg#sha256:}")" = arm64 &&
	for l in $(jq -r ".layers[].digest" "$UNIKIT_CACHE/blobs/sha256/${arm#sha256:}"); do
		have_blob "$l"
	done
'

test_expect_success 'the same digest as skopeo fetches for that platform' '
	skopeo inspect --raw --tls-verify=false --override-arch arm64 --override-variant v8 \
		docker://127.0.0.1:$PORT/multi/img:1 >/dev/null &&
	skopeo copy -q --src-tls-verify=false --override-arch arm64 --override-variant v8 \
		docker://127.0.0.1:$PORT/multi/img:1 oci:sk:1 &&
	sk=$(store_digest_in sk/index.json 1) &&
	idx=$(store_digest 127.0.0.1:$PORT/multi/img:1) &&
	test "$sk" = "$(platform_manifest "$idx" arm64/v8)"
'

test_expect_success 'another platform of the same index adds its manifest' '
	unikit cache pull -q -arch linux/amd64 127.0.0.1:$PORT/multi/img:1 &&
	idx=$(store_digest 127.0.0.1:$PORT/multi/img:1) &&
	have_blob "$(platform_manifest "$idx" amd64)" &&
	have_blob "$(platform_manifest "$idx" arm64/v8)"
'

test_expect_success 'a platform the index lacks is an error listing those it has' '
	test_must_fail unikit cache pull -q -arch s390x 127.0.0.1:$PORT/multi/img:1 2>err &&
	grep -q "no image for platform .linux/s390x. in the index (it has: linux/amd64, linux/arm64/v8)" err
'

test_expect_success 'an invalid platform is an error' '
	test_must_fail unikit cache pull -q -arch a/b/c/d 127.0.0.1:$PORT/multi/img:1 2>err &&
	grep -q "platform .a/b/c/d." err
'

test_expect_success 'a Docker manifest list resolves arm/v7 and keeps its digest' '
	unikit cache pull -q -arch arm/v7 127.0.0.1:$PORT/multi/list:1 &&
	idx=$(store_digest 127.0.0.1:$PORT/multi/list:1) &&
	test "$idx" = "$(skopeo_digest 127.0.0.1:$PORT/multi/list:1)" &&
	jq -e ".mediaType == \"application/vnd.docker.distribution.manifest.list.v2+json\"" \
		"$UNIKIT_CACHE/blobs/sha256/${idx#sha256:}" &&
	have_blob "$(platform_manifest "$idx" arm/v7)" &&
	test_must_fail have_blob "$(platform_manifest "$idx" amd64)"
'

test_expect_success 'the host platform is the default' '
	test "$(uname -m)" = x86_64 || exit 0
	rm -rf "$UNIKIT_CACHE" &&
	unikit cache pull -q 127.0.0.1:$PORT/multi/img:1 &&
	idx=$(store_digest 127.0.0.1:$PORT/multi/img:1) &&
	have_blob "$(platform_manifest "$idx" amd64)" &&
	test_must_fail have_blob "$(platform_manifest "$idx" arm64/v8)"
'

test_done
