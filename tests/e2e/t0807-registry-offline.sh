#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the store already holds needs no registry: with the registry stopped,
# a pull pinned by digest succeeds without a connection, and a pull by tag
# fails in one line without touching what the store holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-registry.sh"

registry_start plain
PORT=$REG_PORT
fixture_image "$TRASH/lay" img --layers 2
fixture_image "$TRASH/lay" multi --arch amd64,arm64 --layers 1
skopeo_push "$TRASH/lay" img "127.0.0.1:$PORT/off/img:1"
skopeo_push "$TRASH/lay" multi "127.0.0.1:$PORT/off/multi:1"
IMG=$(store_digest_in "$TRASH/lay/index.json" img)
MULTI=$(store_digest_in "$TRASH/lay/index.json" multi)

test_expect_success 'setup: pull, then stop the registry' '
	unikit cache pull -q 127.0.0.1:$PORT/off/img:1 &&
	unikit cache pull -q -arch arm64 127.0.0.1:$PORT/off/multi:1
'
registry_stop plain

test_expect_success 'a digest-pinned image in the store pulls with the registry stopped' '
	cp "$UNIKIT_CACHE/index.json" before.json &&
	unikit cache pull 127.0.0.1:$PORT/off/img@$IMG 2>err &&
	grep -q "^pulled 127.0.0.1:$PORT/off/img@$IMG" err &&
	test "$(store_digest 127.0.0.1:$PORT/off/img@$IMG)" = "$IMG"
'

test_expect_success 'so does a pinned index, for the platform the store holds' '
	unikit cache pull -q -arch arm64 127.0.0.1:$PORT/off/multi:1@$MULTI &&
	test "$(store_digest 127.0.0.1:$PORT/off/multi:1@$MULTI)" = "$MULTI"
'

test_expect_success 'a platform the store lacks needs the registry, and says so' '
	test_must_fail unikit cache pull -q -arch amd64 127.0.0.1:$PORT/off/multi@$MULTI 2>err &&
	grep -q "registry .127.0.0.1:$PORT.: connect:" err
'

test_expect_success 'a pull by tag fails in one line and leaves the store as it was' '
	cp "$UNIKIT_CACHE/index.json" before.json &&
	test_must_fail unikit cache pull -q 127.0.0.1:$PORT/off/img:1 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "pull .127.0.0.1:$PORT/off/img:1.: registry .127.0.0.1:$PORT.: connect: Failed to connect to 127.0.0.1 port $PORT" err &&
	test_cmp before.json "$UNIKIT_CACHE/index.json" &&
	store_is_clean
'

test_expect_success 'a build whose images are all in the store needs no registry' '
	printf "init:\n  - 127.0.0.1:$PORT/off/img:1\n" >offline.yml &&
	unikit build -q -format tar -o root.tar offline.yml &&
	bsdtar -tf root.tar >list &&
	test_grep -q "^etc/mtab" list
'

test_expect_success 'a build with an image missing from the store says where, and that the pull failed' '
	printf "init:\n  - 127.0.0.1:$PORT/off/img:1\n  - 127.0.0.1:$PORT/off/nothere:1\n" >missing.yml &&
	test_must_fail unikit build -q -format tar -o root2.tar missing.yml 2>err &&
	test_grep -q "missing.yml:3:5: image .127.0.0.1:$PORT/off/nothere:1. is not in the store and could not be pulled" err &&
	test ! -e root2.tar
'

test_expect_success 'build -pull asks the registry even for images in the store' '
	test_must_fail unikit build -q -pull -format tar -o root3.tar offline.yml 2>err &&
	test_grep -q "connect:" err &&
	test ! -e root3.tar
'

test_done
