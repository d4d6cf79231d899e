# SPDX-License-Identifier: Apache-2.0
# Helpers for the build tests (t03NN): the fixture images, and reading what a
# build wrote with independent tools (cpio, bsdtar, jq, python3).

BUILD_IMAGES="$FIXTURES/build-images"

# Makes the build fixture images once (tests run in parallel: a lock serialises them).
build_fixtures() {
	mkdir -p "$FIXTURES"
	flock "$FIXTURES/.build-images.lock" "$TOP/tests/fixtures/make-build-images.sh" "$BUILD_IMAGES"
}

# Makes the fixtures and imports every one of them into this test's store.
import_fixtures() {
	build_fixtures && unikit cache import "$BUILD_IMAGES" >/dev/null
}

# The content of FILE in the top layer of a fixture image (a gzip layer), on stdout.
fixture_file() {
	python3 - "$BUILD_IMAGES" "$1" "$2" <<'EOF'
import json, os, sys, tarfile
layout, image, path = sys.argv[1:]
idx = json.load(open(os.path.join(layout, "index.json")))
blob = lambda d: os.path.join(layout, "blobs", "sha256", d.split(":")[1])
m = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == image][0]
man = json.load(open(blob(m["digest"])))
with tarfile.open(blob(man["layers"][-1]["digest"])) as tf:
    sys.stdout.buffer.write(tf.extractfile(path).read())
EOF
}

# Splits an initramfs into its uncompressed head (microcode, may be empty) and its gzip part.
initrd_split() {
	python3 - "$1" "$2" "$3" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
i = 0
if data[:6] == b"070701":
    i = data.index(b"TRAILER!!!") + 10
    while data[i:i + 1] == b"\0":
        i += 1
open(sys.argv[2], "wb").write(data[:i])
open(sys.argv[3], "wb").write(data[i:])
EOF
}

# Lists an initramfs as "MODE UID GID PATH[ -> TARGET]" lines (GNU cpio reads the gzip part).
initrd_list() {
	initrd_split "$1" "$1.head" "$1.gz" &&
		gzip -t "$1.gz" &&
		gzip -dc "$1.gz" | cpio -t --quiet -v --numeric-uid-gid |
		awk '{
			for (s = 5; s <= NF; s++) if ($s ~ /^[A-Z][a-z][a-z]$/) break
			p = $(s + 3); for (i = s + 4; i <= NF; i++) p = p " " $i
			print $1, $3, $4, p
		}'
}

# Lists a tar archive as "MODE UID GID PATH[ -> TARGET | link to TARGET]" lines (python's tarfile).
tar_list() {
	python3 - "$1" <<'EOF'
import stat, sys, tarfile
kinds = {tarfile.DIRTYPE: stat.S_IFDIR, tarfile.SYMTYPE: stat.S_IFLNK,
         tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK,
         tarfile.FIFOTYPE: stat.S_IFIFO}
with tarfile.open(sys.argv[1]) as tf:
    for m in tf:
        line = "%s %d %d %s" % (stat.filemode(m.mode | kinds.get(m.type, stat.S_IFREG)),
                                m.uid, m.gid, m.name.rstrip("/"))
        if m.issym():
            line += " -> " + m.linkname
        elif m.islnk():
            line += " link to " + m.linkname
        print(line)
EOF
}

# Unpacks an initramfs into DIR with GNU cpio.
initrd_unpack() {
	mkdir -p "$2" &&
		initrd_split "$1" "$1.head" "$1.gz" &&
		(cd "$2" && gzip -dc "$OLDPWD/$1.gz" | cpio -i -d --quiet --no-absolute-filenames -m)
}
