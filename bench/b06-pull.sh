#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# b06: pulling a multi-layer image (6 layers: four random and two compressible,
# over 100 MB in the registry) from a local docker-registry into an empty
# store, unikit against `skopeo copy docker://... oci:DIR` in the same run.
# Prints the best of ROUNDS (default 3) for each and the ratio (target <= 1.0).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
BUILD=${BUILD:-build}
UNIKIT=${UNIKIT:-$top/$BUILD/unikit}
ROUNDS=${ROUNDS:-3}
for tool in docker-registry skopeo python3; do
	command -v "$tool" >/dev/null || { echo "b06: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/unikit-b06.XXXXXX")
reg_pid=
cleanup() {
	[ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat >"$work/registry.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/data}}
http: {addr: "127.0.0.1:$port", secret: b06}
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

# The image: random layers (what compressed layers look like) and text ones.
python3 tests/fixtures/oci-image.py "$work/lay" rnd --layers 4 --size 26000000 --random --seed b06 >/dev/null
python3 tests/fixtures/oci-image.py "$work/lay" txt --layers 2 --size 40000000 --seed b06 >/dev/null
python3 - "$work/lay" <<'PY'
# One image of all six layers: the random ones, then the text ones.
import hashlib, json, os, sys
root = sys.argv[1]
def blob(d):
    return json.load(open(os.path.join(root, "blobs", "sha256", d.split(":")[1])))
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(root, "blobs", "sha256", d), "wb").write(data)
    return "sha256:" + d, len(data)
idx = json.load(open(os.path.join(root, "index.json")))
ms = {m["annotations"]["org.opencontainers.image.ref.name"]: blob(m["digest"]) for m in idx["manifests"]}
cfgs = [blob(ms[t]["config"]["digest"]) for t in ("rnd", "txt")]
cfg = cfgs[0]
cfg["rootfs"]["diff_ids"] = cfgs[0]["rootfs"]["diff_ids"] + cfgs[1]["rootfs"]["diff_ids"]
cd, cs = put(json.dumps(cfg, sort_keys=True).encode())
man = dict(ms["rnd"])
man["config"] = dict(man["config"], digest=cd, size=cs)
man["layers"] = ms["rnd"]["layers"] + ms["txt"]["layers"]
md, msz = put(json.dumps(man).encode())
idx["manifests"].append({"mediaType": man["mediaType"], "digest": md, "size": msz,
                         "annotations": {"org.opencontainers.image.ref.name": "big"}})
json.dump(idx, open(os.path.join(root, "index.json"), "w"))
PY
skopeo copy -q --dest-tls-verify=false "oci:$work/lay:big" "docker://127.0.0.1:$port/bench/big:1"
size=$(du -sb "$work/data" | cut -f1)

now() { date +%s%N; }
best_unikit= best_skopeo=
for round in $(seq 1 "$ROUNDS"); do
	rm -rf "$work/store" "$work/oci"
	sync
	t0=$(now)
	"$UNIKIT" cache pull -q -cache "$work/store" "127.0.0.1:$port/bench/big:1"
	t1=$(now)
	skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/bench/big:1" "oci:$work/oci:big"
	t2=$(now)
	u=$(((t1 - t0) / 1000000))
	s=$(((t2 - t1) / 1000000))
	echo "round $round: unikit ${u} ms, skopeo ${s} ms"
	[ -z "$best_unikit" ] || [ "$u" -lt "$best_unikit" ] && best_unikit=$u
	[ -z "$best_skopeo" ] || [ "$s" -lt "$best_skopeo" ] && best_skopeo=$s
done

# Same content on both sides, or the times mean nothing.
for f in "$work/oci/blobs/sha256/"*; do
	cmp -s "$f" "$work/store/blobs/sha256/$(basename "$f")" || {
		echo "b06: $(basename "$f") differs between unikit and skopeo" >&2
		exit 1
	}
done

echo "image: 6 layers, $((size / 1000000)) MB in the registry"
echo "unikit cache pull: ${best_unikit} ms (best of $ROUNDS)"
echo "skopeo copy:       ${best_skopeo} ms (best of $ROUNDS)"
awk -v u="$best_unikit" -v s="$best_skopeo" \
	'BEGIN { printf "ratio unikit/skopeo: %.2f (target <= 1.0)\n", u / s }'
