#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit pkg build -push: a package built (or already in the store) goes to its
# registry, named by its org, as LinuxKit pushes packages: TAG-ARCH holds the
# image (skopeo reads it back with the store's digest), TAG an OCI index of
# the TAG-ARCH images of build.yml's arches there, other hosts' included.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start plain
PORT=$REG_PORT

test_expect_success 'setup: a package of files only' '
	mkdir -p hello &&
	printf "hello from a package\n" >hello/greeting &&
	cat >hello/build.yml <<-EOF
	image: hello
	files:
	  - {src: greeting, dst: /etc/greeting, mode: "0644"}
	EOF
'

ARCH=$(dpkg --print-architecture)

# The entries of the index the registry serves for $1: "ARCH DIGEST" lines.
index_entries() {
	skopeo inspect --raw --tls-verify=false "docker://$1" >index.json &&
	test "$(jq -r .mediaType index.json)" = application/vnd.oci.image.index.v1+json &&
	jq -r ".manifests[] | \"\(.platform.os)/\(.platform.architecture) \(.digest)\"" index.json
}

test_expect_success 'pkg build -push pushes TAG-ARCH and an index at TAG' '
	unikit pkg build -q -org 127.0.0.1:$PORT/team -push hello >name &&
	name=$(cat name) &&
	case "$name" in 127.0.0.1:$PORT/team/hello:*) ;; *) echo "name $name"; false ;; esac &&
	image=$(store_digest "$name") &&
	test "$(skopeo_digest "$name-$ARCH")" = "$image" &&
	index_entries "$name" >entries &&
	echo "linux/$ARCH $image" >expect &&
	test_cmp expect entries &&
	skopeo copy -q --src-tls-verify=false "docker://$name" "oci:$TRASH/copy:x" &&
	test "$(store_digest_in "$TRASH/copy/index.json" x)" = "$image"
'

test_expect_success 'an architecture pushed from another host joins the index' '
	name=$(cat name) &&
	fixture_image "$TRASH/arm" arm --arch arm64 &&
	skopeo_push "$TRASH/arm" arm "$name-arm64" &&
	fixture_image "$TRASH/s390x" s390x --arch s390x &&
	skopeo_push "$TRASH/s390x" s390x "$name-s390x" &&
	unikit pkg build -q -org 127.0.0.1:$PORT/team -push hello &&
	index_entries "$name" >entries &&
	{
		echo "linux/$ARCH $(store_digest "$name")" &&
		echo "linux/arm64 $(skopeo_digest "$name-arm64")"
	} >expect &&
	test_cmp expect entries
'

test_expect_success 'an index at TAG-ARCH is refused in one line, TAG left as it was' '
	name=$(cat name) &&
	skopeo_digest "$name" >before &&
	fixture_image "$TRASH/multi" multi --arch amd64,arm64 &&
	skopeo_push "$TRASH/multi" multi "$name-arm64" &&
	test_must_fail unikit pkg build -q -org 127.0.0.1:$PORT/team -push hello 2>err &&
	test "$(wc -l <err)" = 1 &&
	test_grep -q "repository .team/hello.: .${name##*:}-arm64. is an index, not one architecture.s image" err &&
	skopeo_digest "$name" >after &&
	test_cmp before after
'

test_expect_success 'a TAG-ARCH holding another architecture is refused in one line' '
	name=$(cat name) &&
	fixture_image "$TRASH/amd" amd --arch amd64 &&
	skopeo_push "$TRASH/amd" amd "$name-arm64" &&
	test_must_fail unikit pkg build -q -org 127.0.0.1:$PORT/team -push hello 2>err &&
	test "$(wc -l <err)" = 1 &&
	test_grep -q ".${name##*:}-arm64. holds an image for linux/amd64" err &&
	skopeo_push "$TRASH/arm" arm "$name-arm64"
'

test_expect_success 'pushing a package already in the store needs no build' '
	unikit pkg build -org 127.0.0.1:$PORT/team -push hello >name2 2>err &&
	test_cmp name name2 &&
	test_grep -q "already in the store" err
'

test_expect_success 'a push to a registry that is not there fails in one line' '
	registry_stop plain &&
	test_must_fail unikit pkg build -q -org 127.0.0.1:$PORT/team -push hello 2>err &&
	test "$(wc -l <err)" = 1 &&
	test_grep -q "push .127.0.0.1:$PORT/team/hello:" err
'

test_done
