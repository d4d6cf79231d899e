# SPDX-License-Identifier: Apache-2.0
# Helpers for the package tests (t05xx). Source after lib.sh.

# Downloaded .deb files are kept between runs (they are checked against the
# archive's SHA256 before each use): the kernel alone is 26 MB.
export UNIKIT_DEB_CACHE="$FIXTURES/debs"
mkdir -p "$UNIKIT_DEB_CACHE"

# pkg_manifest NAME: the manifest JSON of NAME ("docker.io/org/image:tag") in the store.
pkg_manifest() {
	skopeo inspect --raw "oci:$UNIKIT_CACHE:$1"
}

# pkg_config NAME: the image config JSON.
pkg_config() {
	skopeo inspect --config "oci:$UNIKIT_CACHE:$1"
}

# pkg_layer NAME: the path of the image's one layer blob.
pkg_layer() {
	local digest
	digest=$(pkg_manifest "$1" | jq -r '.layers[0].digest')
	echo "$UNIKIT_CACHE/blobs/sha256/${digest#sha256:}"
}

# pkg_label NAME: the org.mobyproject.config label, as JSON.
pkg_label() {
	pkg_config "$1" | jq -r '.config.Labels["org.mobyproject.config"]'
}

# pkg_stand_in_init FILE: a static program that stands in for unikit's init
# when the tree has none built (the package test checks packaging, not init).
pkg_stand_in_init() {
	printf '#include <unistd.h>\nint main(void) { return write(1, "init\\n", 5) != 5; }\n' \
		>"$1.c"
	musl-gcc -static -Os -o "$1" "$1.c"
}
