#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Several unikit processes on one store at once: imports, and imports racing clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-store.sh"

# Every named image of the store can be copied whole by skopeo (OCI-typed ones).
store_is_whole() {
	for name in $(jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" "$1/index.json"); do
		case "$name" in */docker:* | */dockerlist:*) continue ;; esac
		skopeo copy -q --all "oci:$1:$name" "oci:$TRASH/whole:x" || return 1
	done
	for f in "$1"/blobs/sha256/*; do
		[ -e "$f" ] || continue
		test "$(sha256sum <"$f" | cut -d" " -f1)" = "$(basename "$f")" || return 1
	done
}

test_expect_success 'setup' '
	store_fixtures
'

test_expect_success 'two imports into one store at once both succeed' '
	"$UNIKIT" cache import -cache two "$IMAGES/oci" >a.out 2>a.err &
	a=$!
	"$UNIKIT" cache import -cache two "$IMAGES/small-gzip.docker.tar" >b.out 2>b.err &
	b=$!
	wait $a && wait $b &&
	test "$(wc -l <a.out)" -eq 6 &&
	test_grep "^imported localhost/unikit/small-gzip:1.0 " b.out &&
	test "$(jq ".manifests | length" two/index.json)" -eq 7 &&
	store_is_whole two
'

test_expect_success 'twelve imports at once, each adding a name: no update is lost' '
	pids=
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		"$UNIKIT" cache import -cache many -name "localhost/n$i" "$IMAGES/tagonly" >/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do wait $p || exit 1; done &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		echo "localhost/n$i:1.0"
	done | sort >want &&
	jq -r ".manifests[].annotations[\"org.opencontainers.image.ref.name\"]" many/index.json | sort >got &&
	test_cmp want got &&
	store_is_whole many
'

test_expect_success 'the same image imported by several processes at once' '
	pids=
	for i in 1 2 3 4; do
		"$UNIKIT" cache import -cache same "$IMAGES/small.oci.tar" >/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do wait $p || exit 1; done &&
	test "$(jq ".manifests | length" same/index.json)" -eq 1 &&
	test "$(blob_count same)" -eq "$(tar tf "$IMAGES/small.oci.tar" | grep -c "^blobs/sha256/.")" &&
	store_is_whole same
'

test_expect_success 'imports racing clean: every name that lands is whole' '
	for round in 1 2 3; do
		"$UNIKIT" cache import -cache race "$IMAGES/multi.oci.tar" >/dev/null &
		a=$!
		"$UNIKIT" cache import -cache race "$IMAGES/small.docker.tar" >/dev/null &
		b=$!
		"$UNIKIT" cache clean -cache race >/dev/null 2>&1 &
		c=$!
		"$UNIKIT" cache rm -cache race localhost/unikit/multi:1.0 >/dev/null 2>&1 &
		d=$!
		wait $a && wait $b && wait $c || exit 1
		wait $d || true
		store_is_whole race || exit 1
	done &&
	unikit cache clean -cache race >/dev/null &&
	store_is_whole race
'

test_expect_success 'clean waits for a process that has the store open' '
	mkfifo pipe
	"$UNIKIT" cache import -cache held - <pipe >held.out &
	pid=$!
	exec 7>pipe
	# until the import holds the store (a shared lock on .gc.lock), with flock(1)
	for i in $(seq 100); do
		test -e held/.gc.lock && ! flock -n -x held/.gc.lock true && break
		sleep 0.1
	done
	"$UNIKIT" cache clean -cache held >clean.out 2>clean.err &
	cpid=$!
	for i in $(seq 100); do
		test -s clean.err && break
		sleep 0.1
	done
	test_grep "waiting for other unikit processes" clean.err &&
	kill -0 $cpid &&
	cat "$IMAGES/small.oci.tar" >&7 &&
	exec 7>&- &&
	wait $pid &&
	wait $cpid &&
	test_grep "^imported localhost/unikit/small:1.0 " held.out &&
	test_grep "^removed 0 blobs" clean.out &&
	store_is_whole held
'

test_done
