#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Corrupt input and corrupt stores: refused with the digest, and the store left clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-store.sh"

# The store holds no blob, no name and no temporary file.
store_is_empty() {
	test "$(blob_count "$1")" -eq 0 &&
		jq -e ".manifests == []" "$1/index.json" >/dev/null &&
		test -z "$(ls -A "$1/.tmp")"
}

# Every blob of a store hashes to its name.
store_is_sound() {
	for f in "$1"/blobs/sha256/*; do
		[ -e "$f" ] || continue
		test "$(sha256sum <"$f" | cut -d" " -f1)" = "$(basename "$f")" || return 1
	done
}

test_expect_success 'setup' '
	store_fixtures
'

test_expect_success 'an oci-archive with a flipped layer byte is refused, naming the blob' '
	bad=$(cat "$IMAGES/corrupt-layer.digest") &&
	test_must_fail unikit cache import "$IMAGES/corrupt-layer.oci.tar" 2>err &&
	test_grep "blob $bad: content does not match its digest" err &&
	test "$(wc -l <err)" -eq 1 &&
	store_is_empty cache
'

test_expect_success 'an OCI layout with a flipped layer byte is refused, naming the blob' '
	bad=$(cat "$IMAGES/corrupt-layer.digest") &&
	test_must_fail unikit cache import "$IMAGES/corrupt-layer-dir" 2>err &&
	test_grep "blob $bad: content does not match its digest" err &&
	store_is_empty cache
'

test_expect_success 'a manifest naming a missing blob is refused, naming the blob' '
	gone=$(cat "$IMAGES/missing-blob.digest") &&
	test_must_fail unikit cache import "$IMAGES/missing-blob.oci.tar" 2>err &&
	test_grep "blob $gone is missing" err &&
	store_is_empty cache
'

test_expect_success 'a docker-archive layer that does not match its diff_id is refused' '
	layer=$(tar xOf "$IMAGES/corrupt-layer.docker.tar" manifest.json | jq -r ".[0].Layers[0]") &&
	test_must_fail unikit cache import "$IMAGES/corrupt-layer.docker.tar" 2>err &&
	test_grep "layer '"'"'$layer'"'"' does not match its config" err &&
	test_grep "the config says sha256:${layer%.tar}" err &&
	store_is_empty cache
'

test_expect_success 'a refused import leaves the names already there alone' '
	unikit cache import "$IMAGES/small.oci.tar" >/dev/null &&
	cp cache/index.json index.before &&
	test_must_fail unikit cache import "$IMAGES/corrupt-layer.docker.tar" 2>/dev/null &&
	test_cmp index.before cache/index.json &&
	store_is_sound cache
'

test_expect_success 'a blob corrupted in the store is never used: export fails, naming it' '
	layer=$(skopeo inspect --raw oci:cache:localhost/unikit/small:1.0 | jq -r ".layers[1].digest") &&
	f=cache/blobs/sha256/${layer#sha256:} &&
	chmod u+w "$f" &&
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,\"rb\").read()); b[len(b)//2]^=1; open(p,\"wb\").write(b)" "$f" &&
	test_must_fail unikit cache export -o out.tar localhost/unikit/small:1.0 2>err &&
	test_grep "blob $layer: content does not match its digest" err &&
	test ! -e out.tar
'

test_expect_success 'importing a good copy repairs it' '
	unikit cache import "$IMAGES/oci" >/dev/null &&
	store_is_sound cache &&
	unikit cache export -o out.tar localhost/unikit/small:1.0 &&
	skopeo inspect oci-archive:out.tar >/dev/null
'

test_expect_success 'a corrupt index.json is an error with its position' '
	cp cache/index.json good.json &&
	printf "{\"manifests\": [\n  {,}\n]}" >cache/index.json &&
	test_must_fail unikit cache ls 2>err &&
	test_grep -E "index.json:2:[0-9]+: " err &&
	cp good.json cache/index.json
'

test_expect_success 'a killed import leaves no blob that does not match its name' '
	mkfifo pipe
	"$UNIKIT" cache import -cache killed - <pipe &
	pid=$!
	exec 7>pipe &&
	size=$(stat -c %s "$IMAGES/small.docker.tar") &&
	head -c $((size / 2)) "$IMAGES/small.docker.tar" >&7 &&
	sleep 1 &&
	kill -9 $pid &&
	{ wait $pid || true; } &&
	exec 7>&- &&
	store_is_sound killed &&
	test -z "$(ls -A killed/.tmp)" &&
	jq -e ".manifests == []" killed/index.json &&
	unikit cache clean -cache killed >/dev/null &&
	test "$(blob_count killed)" -eq 0
'

test_done
