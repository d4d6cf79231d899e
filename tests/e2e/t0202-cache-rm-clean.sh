#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit cache rm and clean: names go, then the blobs nothing reaches, then stale temporaries.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-store.sh"

# The digests of every blob reachable from the named images, as python3 reads the layout.
reachable() {
	python3 - "$1" <<'PY'
import json, os, sys
lay = sys.argv[1]
seen = set()
def visit(d):
    if d in seen:
        return
    seen.add(d)
    p = os.path.join(lay, "blobs", "sha256", d[7:])
    if not os.path.exists(p):
        return
    try:
        j = json.load(open(p))
    except ValueError:
        return
    if not isinstance(j, dict):
        return
    for m in j.get("manifests", []):
        visit(m["digest"])
    if "config" in j and "layers" in j:
        visit(j["config"]["digest"])
        for l in j.get("layers", []):
            visit(l["digest"])
for m in json.load(open(os.path.join(lay, "index.json")))["manifests"]:
    visit(m["digest"])
print("\n".join(sorted(d[7:] for d in seen if os.path.exists(os.path.join(lay, "blobs", "sha256", d[7:])))))
PY
}

test_expect_success 'setup' '
	store_fixtures &&
	unikit cache import "$IMAGES/oci" >/dev/null &&
	unikit cache import "$IMAGES/small-gzip.docker.tar" >/dev/null
'

test_expect_success 'rm removes names, normalised, and reports them' '
	unikit cache rm localhost/unikit/zstd:1.0 localhost/unikit/small-gzip:1.0 >out &&
	printf "removed %s\n" localhost/unikit/zstd:1.0 localhost/unikit/small-gzip:1.0 >want &&
	test_cmp want out &&
	unikit cache ls >ls &&
	test_must_fail grep -E "zstd|small-gzip" ls &&
	test_grep "^localhost/unikit/small:1.0 " ls
'

test_expect_success 'rm of a name that is not there fails, and still removes the others' '
	unikit cache import "$IMAGES/zstd.oci.tar" >/dev/null &&
	test_must_fail unikit cache rm nothere localhost/unikit/zstd:1.0 >out 2>err &&
	test_grep "image '"'"'docker.io/library/nothere:latest'"'"' is not in the store" err &&
	test_grep -x "removed localhost/unikit/zstd:1.0" out &&
	test_must_fail unikit cache rm "Bad Name" 2>err &&
	test_grep "invalid reference" err
'

test_expect_success 'blobs stay until clean' '
	reachable cache >live &&
	ls cache/blobs/sha256 | sort >all &&
	test "$(wc -l <all)" -gt "$(wc -l <live)"
'

test_expect_success 'clean removes exactly the blobs no name reaches' '
	before=$(blob_count cache) &&
	reachable cache >live &&
	unikit cache clean >out &&
	ls cache/blobs/sha256 | sort >after &&
	test_cmp live after &&
	test_grep -E "^removed $((before - $(wc -l <live))) blobs \([0-9.]+k?B\) and 0 temporary files$" out
'

test_expect_success 'what remains is whole: skopeo copies every named image' '
	for name in $(jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" cache/index.json); do
		case "$name" in *docker*) continue ;; esac
		skopeo copy -q --all "oci:cache:$name" "oci:check:x" || exit 1
	done
'

test_expect_success 'clean removes temporaries that a killed process left' '
	echo partial >cache/.tmp/blob-AbCdEf &&
	echo partial >cache/.tmp/commit-1-2-3 &&
	echo "{}" >cache/.index.json.tmp-XyZ123 &&
	echo junk >cache/blobs/sha256/not-a-digest &&
	unikit cache clean >out &&
	test_grep -x "removed 1 blob (5B) and 3 temporary files" out &&
	test_must_fail ls cache/.tmp/blob-AbCdEf 2>/dev/null &&
	test ! -e cache/.index.json.tmp-XyZ123 &&
	test -f cache/index.json
'

test_expect_success 'clean on a clean store does nothing' '
	unikit cache clean >out &&
	test_grep -x "removed 0 blobs (0B) and 0 temporary files" out
'

test_expect_success 'a store with everything removed is empty after clean' '
	for name in $(jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" cache/index.json); do
		unikit cache rm "$name" >/dev/null || exit 1
	done &&
	unikit cache clean >/dev/null &&
	test "$(blob_count cache)" -eq 0 &&
	jq -e ".manifests == []" cache/index.json
'

test_expect_success 'clean refuses to guess when a manifest is corrupt' '
	unikit cache import "$IMAGES/small.oci.tar" >/dev/null &&
	d=$(fixture_digest localhost/unikit/small:1.0) &&
	f=cache/blobs/sha256/${d#sha256:} &&
	chmod u+w "$f" && printf " " >>"$f" &&
	before=$(blob_count cache) &&
	test_must_fail unikit cache clean 2>err &&
	test_grep "$d" err &&
	test_grep "localhost/unikit/small:1.0" err &&
	test "$(blob_count cache)" -eq "$before"
'

test_done
