#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# b01: unikit build, kernel+initrd, from a warm store, on a generated spec whose images hold
# over 200 MB in thousands of files: a kernel-like image with thousands of module files in its
# kernel.tar, an init image and four services. Prints the build time, the peak RSS, the output
# size, and the ratio of the build time to a baseline measured in the same run: decompressing
# the input layers and compressing the same output bytes at the same level and thread count
# (bench/b01-baseline.c). Targets: peak RSS under 64 MiB; ratio at most 1.3.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
UNIKIT="$PWD/$BUILD/unikit"
dir="$PWD/$BUILD/bench/b01"
mkdir -p "$dir"
export UNIKIT_CACHE="$dir/store" SOURCE_DATE_EPOCH=0

# The baseline helper, built here (it is not part of unikit).
if [ ! -x "$dir/b01-baseline" ] || [ bench/b01-baseline.c -nt "$dir/b01-baseline" ]; then
	${CC:-cc} -O2 -std=gnu11 -o "$dir/b01-baseline" bench/b01-baseline.c \
		$(pkg-config --cflags --libs libarchive libdeflate) -lpthread
fi

# The images: made once (about a minute), then kept.
if [ ! -f "$dir/images/index.json" ]; then
	echo "making the benchmark images in $dir/images ..."
	rm -rf "$dir/images.tmp"
	python3 - "$dir/images.tmp" <<'EOF'
import gzip, hashlib, io, json, os, random, sys, tarfile
out = sys.argv[1]
os.makedirs(out + "/blobs/sha256")
rnd = random.Random(1)

# Data like what images hold: this machine's own programs and libraries (about 40% after
# gzip), else random runs among repeated tokens.
corpus = bytearray()
for top in ("/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"):
    for root, dirs, names in sorted(os.walk(top)):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(root, n)
            if len(corpus) < (32 << 20) and os.path.isfile(p) and not os.path.islink(p):
                try:
                    corpus += open(p, "rb").read(4 << 20)
                except OSError:
                    pass
if len(corpus) < (32 << 20):
    tokens = [rnd.randbytes(rnd.randint(3, 12)) for _ in range(3000)]
    while len(corpus) < (32 << 20):
        if rnd.random() < 0.25:
            corpus += rnd.randbytes(4096)
        else:
            for _ in range(600):
                corpus += tokens[rnd.randrange(200)]
corpus = bytes(corpus)

def data(size):
    off = rnd.randrange(len(corpus) - size) if size < len(corpus) else 0
    return corpus[off:off + size]

def put(b):
    d = hashlib.sha256(b).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(b)
    return "sha256:" + d, len(b)

def tar_of(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        dirs = set()
        for name, content, mode in files:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(d)
                    ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1600000000
                    tf.addfile(ti)
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(content), mode, 1600000000
            tf.addfile(ti, io.BytesIO(content))
    return raw.getvalue()

manifests = []
def image(name, files, config=None):
    tar = tar_of(files)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6, mtime=0) as g:
        g.write(tar)
    ld, ls = put(buf.getvalue())
    cd, cs = put(json.dumps({"architecture": "amd64", "os": "linux", "config": config or {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode())
    md, ms = put(json.dumps({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld,
                    "size": ls}]}).encode())
    manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
                      "size": ms, "annotations": {"org.opencontainers.image.ref.name": name}})
    print(f"  {name}: {len(files)} files, {len(tar) >> 20} MiB, {ls >> 20} MiB gzip")

mods = [(f"lib/modules/6.6.0-bench/kernel/drivers/d{i // 100}/m{i}.ko", data(rnd.randint(4096, 80000)), 0o644)
        for i in range(3000)]
image("unikit.bench/kernel:1", [("kernel", data(8 << 20), 0o644),
                                ("kernel.tar", tar_of(mods), 0o644)])
image("unikit.bench/init:1", [(f"usr/lib/l{i // 50}/f{i}", data(rnd.randint(1000, 80000)), 0o755)
                              for i in range(800)])
for s in range(4):
    image(f"unikit.bench/svc{s}:1", [(f"app/{i // 40}/f{i}", data(rnd.randint(1000, 60000)), 0o755)
                                     for i in range(400)], {"Cmd": ["/app/0/f0"]})

open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": manifests}, open(out + "/index.json", "w"))
EOF
	mv "$dir/images.tmp" "$dir/images"
fi
"$UNIKIT" cache import "$dir/images" >/dev/null

cat >"$dir/b01.yml" <<'EOF'
kernel:
  image: unikit.bench/kernel:1
  cmdline: "console=ttyS0"
init:
  - unikit.bench/init:1
services:
  - name: svc0
    image: unikit.bench/svc0:1
  - name: svc1
    image: unikit.bench/svc1:1
  - name: svc2
    image: unikit.bench/svc2:1
  - name: svc3
    image: unikit.bench/svc3:1
EOF

# The layers the build reads, and their sizes.
mapfile -t layers < <(python3 - "$UNIKIT_CACHE" <<'EOF'
import json, sys
store = sys.argv[1]
blob = lambda d: f"{store}/blobs/sha256/{d.split(':')[1]}"
for m in json.load(open(store + "/index.json"))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"].startswith("unikit.bench/"):
        for l in json.load(open(blob(m["digest"])))["layers"]:
            print(blob(l["digest"]))
EOF
)

# Warm the page cache, then three rounds of build and baseline, keeping the fastest of each:
# the machine may be shared, and the minimum is the least disturbed run. CPU times (user +
# system) are printed too: they do not depend on what else runs.
cat "${layers[@]}" >/dev/null
threads=$(nproc)
best= best_rss= best_cpu= base= base_d= base_c= base_cpu=
for run in 1 2 3; do
	rm -rf "$dir/out"
	/usr/bin/time -f "%e %M %U %S" -o "$dir/time" "$UNIKIT" build -dir "$dir/out" "$dir/b01.yml"
	read -r secs rss_kb usr sys <"$dir/time"
	cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN { print u + s }')
	if [ -z "$best" ] || awk "BEGIN { exit !($secs < $best) }"; then
		best=$secs best_rss=$rss_kb
	fi
	if [ -z "$best_cpu" ] || awk "BEGIN { exit !($cpu < $best_cpu) }"; then
		best_cpu=$cpu
	fi
	# the output's uncompressed bytes, for the baseline to compress
	gzip -dc "$dir/out/b01-initrd.img" >"$dir/initrd.cpio"
	read -r _ d _ c _ bcpu < <("$dir/b01-baseline" "$threads" 6 "$dir/initrd.cpio" "${layers[@]}")
	rm -f "$dir/initrd.cpio"
	if [ -z "$base" ] || awk "BEGIN { exit !($d + $c < $base) }"; then
		base=$(awk -v d="$d" -v c="$c" 'BEGIN { print d + c }') base_d=$d base_c=$c
	fi
	if [ -z "$base_cpu" ] || awk "BEGIN { exit !($bcpu < $base_cpu) }"; then
		base_cpu=$bcpu
	fi
done

in_bytes=$(cat "${layers[@]}" | wc -c)
raw_bytes=$(for l in "${layers[@]}"; do gzip -dc "$l"; done | wc -c)
files=$(for l in "${layers[@]}"; do tar -tzf "$l"; done | wc -l)
initrd=$(stat -c %s "$dir/out/b01-initrd.img")
kernel=$(stat -c %s "$dir/out/b01-kernel")
cpio_entries=$(gzip -dc "$dir/out/b01-initrd.img" | cpio -t --quiet | wc -l)
awk -v secs="$best" -v rss="$best_rss" -v cpu="$best_cpu" -v base="$base" -v d="$base_d" \
	-v c="$base_c" -v bcpu="$base_cpu" -v in_b="$in_bytes" -v raw="$raw_bytes" -v files="$files" \
	-v initrd="$initrd" -v kernel="$kernel" -v entries="$cpio_entries" -v threads="$threads" 'BEGIN {
	printf "input:    6 layers, %.1f MB gzip, %.1f MB uncompressed, %d tar entries (+ kernel.tar)\n",
		in_b / 1e6, raw / 1e6, files
	printf "output:   initrd %.1f MB (%d entries), kernel %.1f MB\n", initrd / 1e6, entries, kernel / 1e6
	printf "build:    %.2f s (%.2f s of CPU), peak RSS %.1f MiB (target < 64 MiB: %s)\n", secs, cpu,
		rss / 1024, rss / 1024 < 64 ? "met" : "MISSED"
	printf "baseline: %.2f s (%.2f s of CPU): decompress the layers %.2f s + compress the output %.2f s (gzip level 6, %d threads)\n",
		base, bcpu, d, c, threads
	printf "ratio:    %.2f (target <= 1.3: %s); in CPU time %.2f\n", secs / base,
		secs / base <= 1.3 ? "met" : "MISSED", cpu / bcpu
}'
