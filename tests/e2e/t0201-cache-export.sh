#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit cache export: oci-archives that skopeo reads and that import back unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-store.sh"

test_expect_success 'setup: the fixture images, imported' '
	store_fixtures &&
	unikit cache import "$IMAGES/oci" >/dev/null
'

test_expect_success 'export writes an oci-archive skopeo reads' '
	unikit cache export -o small.tar localhost/unikit/small:1.0 &&
	skopeo inspect oci-archive:small.tar >inspect.json &&
	test "$(jq -r .Digest inspect.json)" = "$(fixture_digest localhost/unikit/small:1.0)" &&
	tar tf small.tar >list &&
	test_grep -x oci-layout list &&
	test_grep -x index.json list &&
	tar xOf small.tar index.json |
		jq -e ".manifests[0].annotations[\"org.opencontainers.image.ref.name\"] == \"localhost/unikit/small:1.0\""
'

test_expect_success 'skopeo copies the export, blob for blob' '
	skopeo copy -q oci-archive:small.tar oci:copy:x &&
	skopeo inspect --raw oci:copy:x | sha256sum | cut -d" " -f1 >got &&
	fixture_digest localhost/unikit/small:1.0 | cut -d: -f2 >want &&
	test_cmp want got
'

test_expect_success 'export then import into another store gives the same names and digests' '
	unikit cache export -o all.tar localhost/unikit/small:1.0 localhost/unikit/multi:1.0 \
		localhost/unikit/zstd:1.0 localhost/unikit/docker:1.0 &&
	unikit cache import -cache other all.tar >out &&
	for n in small multi zstd docker; do
		test_grep -x "imported localhost/unikit/$n:1.0 $(fixture_digest localhost/unikit/$n:1.0)" out ||
			exit 1
	done &&
	unikit cache ls -bytes | awk "/\/(small|multi|zstd|docker):/ { print \$1, \$2, \$3 }" >want &&
	unikit cache ls -cache other -bytes | awk "NR > 1 { print \$1, \$2, \$3 }" >got &&
	test_cmp want got
'

test_expect_success 'the export holds every blob once and nothing else' '
	tar tf all.tar | grep "^blobs/sha256/." | sort >blobs &&
	sort -u blobs >unique &&
	test_cmp unique blobs &&
	test "$(wc -l <blobs)" -eq "$(blob_count other)"
'

test_expect_success 'the same export twice is the same bytes' '
	unikit cache export -o again.tar localhost/unikit/small:1.0 localhost/unikit/multi:1.0 \
		localhost/unikit/zstd:1.0 localhost/unikit/docker:1.0 &&
	cmp all.tar again.tar &&
	tar tvf all.tar | awk "{ print \$2 }" | sort -u >owners &&
	echo 0/0 >want &&
	test_cmp want owners
'

test_expect_success 'export -arch: one platform of an index' '
	unikit cache export -arch amd64 -o amd.tar localhost/unikit/multi:1.0 &&
	skopeo inspect --config oci-archive:amd.tar | jq -e ".architecture == \"amd64\"" &&
	tar xOf amd.tar index.json |
		jq -e ".manifests[0].mediaType == \"application/vnd.oci.image.manifest.v1+json\"" &&
	unikit cache import -cache one amd.tar >out &&
	amd=$(skopeo inspect --raw oci:$IMAGES/oci:localhost/unikit/multi:1.0 |
		jq -r ".manifests[] | select(.platform.architecture == \"amd64\") | .digest") &&
	test_grep -x "imported localhost/unikit/multi:1.0 $amd" out
'

test_expect_success 'export to stdout' '
	unikit cache export -o - localhost/unikit/small:1.0 >piped.tar &&
	cmp piped.tar small.tar
'

test_expect_success 'a failed export leaves no file, and keeps an old one' '
	echo old >keep.tar &&
	test_must_fail unikit cache export -o keep.tar localhost/unikit/small:1.0 nothere 2>err &&
	test_grep "export '"'"'nothere'"'"': image '"'"'docker.io/library/nothere:latest'"'"' is not in the store" err &&
	echo old >want &&
	test_cmp want keep.tar &&
	test_must_fail unikit cache export -o new.tar nothere 2>err &&
	test ! -e new.tar &&
	ls -a >files &&
	test_must_fail grep -E "\.tmp|unikit-" files
'

test_expect_success 'export needs -o and a reference' '
	test_must_fail unikit cache export localhost/unikit/small:1.0 2>err &&
	test_grep "no output file" err &&
	test_must_fail unikit cache export -o x.tar 2>err &&
	test_grep "no image to export" err
'

test_done
