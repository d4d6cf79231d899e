#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit cache import and ls: OCI layouts, oci-archives and docker-archives, checked
# against what skopeo says about the same images.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-store.sh"

test_expect_success 'the fixture images are made' '
	store_fixtures &&
	test -s "$IMAGES/digests"
'

test_expect_success 'an OCI layout directory: every name, with the digest skopeo reports' '
	unikit cache import "$IMAGES/oci" >out &&
	test "$(wc -l <out)" -eq 6 &&
	while read -r name digest; do
		test_grep -x "imported $name $digest" out || exit 1
	done <"$IMAGES/digests" &&
	test "$(fixture_digest localhost/unikit/small:1.0)" = \
		"sha256:$(skopeo inspect --raw oci:$IMAGES/oci:localhost/unikit/small:1.0 | sha256sum | cut -d" " -f1)"
'

test_expect_success 'the store is an OCI layout that skopeo and umoci read' '
	test -f cache/oci-layout &&
	jq -e ".schemaVersion == 2" cache/index.json &&
	skopeo inspect oci:cache:localhost/unikit/small:1.0 >inspect.json &&
	jq -r .Digest inspect.json >got &&
	fixture_digest localhost/unikit/small:1.0 >want &&
	test_cmp want got &&
	umoci ls --layout cache >tags &&
	test_grep -x localhost/unikit/multi:1.0 tags
'

test_expect_success 'cache ls: names, digests and sizes' '
	unikit cache ls -bytes >ls &&
	head -n 1 ls | test_grep -E "^NAME +DIGEST +SIZE$" &&
	test "$(tail -n +2 ls | wc -l)" -eq 6 &&
	while read -r name digest; do
		size=$(layout_size "$IMAGES/oci" "$digest") &&
		test_grep -E "^$name +$digest +$size$" ls || exit 1
	done <"$IMAGES/digests" &&
	unikit cache ls >human &&
	test_grep -E "^localhost/unikit/plain:1.0 +sha256:[0-9a-f]{64} +[0-9.]+kB$" human
'

test_expect_success 'sizes agree with the layers skopeo lists' '
	skopeo inspect --raw oci:$IMAGES/oci:localhost/unikit/zstd:1.0 >m.json &&
	want=$(( $(wc -c <m.json) + $(jq "[.config.size] + [.layers[].size] | add" m.json) )) &&
	unikit cache ls -bytes | test_grep -E "^localhost/unikit/zstd:1.0 .* $want$"
'

test_expect_success 'an oci-archive: named by its annotation, digest as skopeo sees it' '
	unikit cache import -cache c2 "$IMAGES/small.oci.tar" >out &&
	want=$(skopeo inspect oci-archive:$IMAGES/small.oci.tar | jq -r .Digest) &&
	test_grep -x "imported localhost/unikit/small:1.0 $want" out &&
	unikit cache ls -cache c2 -bytes | test_grep -E "^localhost/unikit/small:1.0 +$want"
'

test_expect_success 'a multi-platform oci-archive keeps its index and both platforms' '
	unikit cache import --cache c3 "$IMAGES/multi.oci.tar" >out &&
	test_grep -x "imported localhost/unikit/multi:1.0 $(fixture_digest localhost/unikit/multi:1.0)" out &&
	skopeo inspect --raw oci:c3:localhost/unikit/multi:1.0 >index.json &&
	for d in $(jq -r ".manifests[].digest" index.json); do
		test -f "c3/blobs/sha256/${d#sha256:}" || exit 1
	done &&
	skopeo inspect --override-arch arm64 oci:c3:localhost/unikit/multi:1.0 | jq -e ".Architecture == \"arm64\""
'

test_expect_success 'import -arch names only that platform'"'"'s manifest' '
	unikit cache import -cache c4 -arch arm64 "$IMAGES/multi.oci.tar" >out &&
	arm=$(skopeo inspect --raw oci:$IMAGES/oci:localhost/unikit/multi:1.0 |
		jq -r ".manifests[] | select(.platform.architecture == \"arm64\") | .digest") &&
	test_grep -x "imported localhost/unikit/multi:1.0 $arm" out &&
	skopeo inspect --config oci:c4:localhost/unikit/multi:1.0 | jq -e ".architecture == \"arm64\"" &&
	test_must_fail unikit cache import -cache c4 -arch s390x "$IMAGES/multi.oci.tar" 2>err &&
	test_grep "no image for linux/s390x (it has: linux/amd64, linux/arm64/v8)" err
'

test_expect_success 'zstd layers stay zstd' '
	unikit cache import -cache c5 "$IMAGES/zstd.oci.tar" &&
	skopeo inspect --raw oci:c5:localhost/unikit/zstd:1.0 >m.json &&
	jq -e "[.layers[].mediaType] | all(. == \"application/vnd.oci.image.layer.v1.tar+zstd\")" m.json &&
	for d in $(jq -r ".layers[].digest" m.json); do
		zstd -dc "c5/blobs/sha256/${d#sha256:}" | tar tf - >/dev/null || exit 1
	done
'

test_expect_success 'a docker-archive: config and layers as skopeo reads them, named by RepoTags' '
	unikit cache import -cache c6 "$IMAGES/small.docker.tar" >out &&
	test_grep "^imported localhost/unikit/small:1.0 sha256:" out &&
	skopeo inspect --raw docker-archive:$IMAGES/small.docker.tar >want.json &&
	skopeo inspect --raw oci:c6:localhost/unikit/small:1.0 >got.json &&
	test "$(jq -r .config.digest want.json)" = "$(jq -r .config.digest got.json)" &&
	test "$(jq -c "[.layers[].digest]" want.json)" = "$(jq -c "[.layers[].digest]" got.json)" &&
	jq -e "[.layers[].mediaType] | all(. == \"application/vnd.oci.image.layer.v1.tar\")" got.json &&
	skopeo inspect oci:c6:localhost/unikit/small:1.0 | jq -e ".Layers | length == 3"
'

test_expect_success 'a docker-archive with gzip layers: checked against the diff_ids' '
	unikit cache import -cache c7 "$IMAGES/small-gzip.docker.tar" >out &&
	test_grep "^imported localhost/unikit/small-gzip:1.0 " out &&
	skopeo inspect --raw oci:c7:localhost/unikit/small-gzip:1.0 >got.json &&
	jq -e "[.layers[].mediaType] | all(. == \"application/vnd.oci.image.layer.v1.tar+gzip\")" got.json &&
	skopeo inspect --config oci:c7:localhost/unikit/small-gzip:1.0 | jq -r ".rootfs.diff_ids[]" >ids &&
	for d in $(jq -r ".layers[].digest" got.json); do
		echo "sha256:$(gzip -dc "c7/blobs/sha256/${d#sha256:}" | sha256sum | cut -d" " -f1)"
	done >got_ids &&
	test_cmp ids got_ids
'

test_expect_success 'Docker media types (manifest, manifest list) are read' '
	unikit cache ls -bytes >ls &&
	test_grep "^localhost/unikit/docker:1.0 " ls &&
	test_grep "^localhost/unikit/dockerlist:1.0 " ls &&
	unikit cache export -o dl.tar -arch arm64 localhost/unikit/dockerlist:1.0 &&
	skopeo inspect --config oci-archive:dl.tar | jq -e ".architecture == \"arm64\""
'

test_expect_success 'a name that is only a tag needs -name' '
	test_must_fail unikit cache import -cache c8 "$IMAGES/tagonly" 2>err &&
	test_grep "image tagged '"'"'1.0'"'"' has no repository name (give one with -name)" err &&
	unikit cache import -cache c8 -name example.com/tagged "$IMAGES/tagonly" >out &&
	test_grep "^imported example.com/tagged:1.0 sha256:" out
'

test_expect_success 'an unnamed docker-archive needs -name' '
	test_must_fail unikit cache import -cache c9 "$IMAGES/unnamed.docker.tar" 2>err &&
	test_grep "has no name (RepoTags is empty; give one with -name)" err &&
	test "$(blob_count c9)" -eq 0 &&
	unikit cache import -cache c9 -name mine:2 "$IMAGES/unnamed.docker.tar" >out &&
	test_grep "^imported docker.io/library/mine:2 sha256:" out
'

test_expect_success 'an archive on stdin' '
	unikit cache import -cache c10 - <"$IMAGES/small.oci.tar" >out &&
	test_grep -x "imported localhost/unikit/small:1.0 $(fixture_digest localhost/unikit/small:1.0)" out
'

test_expect_success 'what is not an image is refused, naming it' '
	echo "not a tar" >junk &&
	test_must_fail unikit cache import -cache c11 junk 2>err &&
	test_grep "junk" err &&
	mkdir emptydir &&
	test_must_fail unikit cache import -cache c11 emptydir 2>err &&
	test_grep "not an OCI image layout, oci-archive or docker-archive" err &&
	test_must_fail unikit cache import -cache c11 nowhere 2>err &&
	test_grep "nowhere" err &&
	test "$(blob_count c11)" -eq 0
'

test_done
