# SPDX-License-Identifier: Apache-2.0
# Helpers for the store's end-to-end tests (t02xx). Source after lib.sh.
#
#   IMAGES                       the fixture images (tests/fixtures/make-images.sh)
#   store_fixtures               makes them (idempotent; several tests may run it at once)
#   layout_size DIR DIGEST       bytes of the distinct blobs reachable from DIGEST in the OCI
#                                layout DIR, computed with python3 (not with unikit)
#   blob_count STORE             number of blobs in a store
#   fixture_digest NAME          the digest of image NAME of $IMAGES/oci (from skopeo)

IMAGES=${IMAGES:-$FIXTURES/images}

store_fixtures() {
	BUILD="$BUILD" OUT="$IMAGES" bash "$TOP/tests/fixtures/make-images.sh"
}

layout_size() {
	python3 - "$1" "$2" <<'PY'
import json, os, sys
lay, root = sys.argv[1], sys.argv[2]
seen = {}
def path(d):
    return os.path.join(lay, "blobs", "sha256", d.split(":", 1)[1])
def visit(d, size):
    if d in seen:
        return
    seen[d] = size
    if not os.path.exists(path(d)):
        return
    with open(path(d), "rb") as f:
        doc = f.read()
    try:
        j = json.loads(doc)
    except ValueError:
        return
    if not isinstance(j, dict):
        return
    for m in j.get("manifests", []):
        visit(m["digest"], m["size"])
    if "config" in j and "layers" in j:
        visit(j["config"]["digest"], j["config"]["size"])
        for l in j["layers"]:
            visit(l["digest"], l["size"])
visit(root, os.path.getsize(path(root)))
print(sum(seen.values()))
PY
}

blob_count() {
	find "$1/blobs/sha256" -type f | wc -l
}

fixture_digest() {
	awk -v n="$1" '$1 == n { print $2 }' "$IMAGES/digests"
}
