# SPDX-License-Identifier: Apache-2.0
# The end-to-end test library (git's test-lib shape). A script:
#
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'what it checks' '
#       unikit build -dry-run spec.yml >out &&
#       grep -q kernel out
#   '
#   test_done
#
# Each test body runs in a subshell with `set -e`, in the script's own trash
# directory ($TRASH, removed at the end unless a test failed or KEEP=1), with
# a private store ($UNIKIT_CACHE). Its output is shown only when it fails.
# Topic-specific helpers live in tests/e2e/lib-TOPIC.sh.

set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
UNIKIT=${UNIKIT:-$BUILD/unikit}
UNIKIT_INIT=${UNIKIT_INIT:-$BUILD/init/unikit-init}
FIXTURES=${FIXTURES:-$BUILD/fixtures}
SHARED=${SHARED:-$TOP/../shared}
test_name=$(basename "$0" .sh)
TRASH="$BUILD/trash/$test_name"
rm -rf "$TRASH"
mkdir -p "$TRASH"
export UNIKIT_CACHE="$TRASH/cache"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
unset XDG_CACHE_HOME
export TOP BUILD UNIKIT UNIKIT_INIT FIXTURES SHARED TRASH

test_count=0
test_failed=0
test_cleanups=()

unikit() {
	"$UNIKIT" "$@"
}

# Runs CMD at exit, whatever happens (stop servers, QEMU, ...).
test_at_exit() {
	test_cleanups+=("$1")
}

lib_exit() {
	local c
	for c in "${test_cleanups[@]+"${test_cleanups[@]}"}"; do
		eval "$c" >/dev/null 2>&1 || true
	done
}
trap lib_exit EXIT

test_expect_success() {
	local desc=$1 body=$2 out rc
	test_count=$((test_count + 1))
	out="$TRASH/.test-$test_count.out"
	(
		cd "$TRASH"
		set -e -o pipefail
		eval "$body"
	) >"$out" 2>&1 </dev/null
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $test_count - $desc"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $desc"
		sed -e "s/^/#   /" <<<"$body" | head -n 40
		echo "# exit status $rc; output:"
		tail -n 60 "$out" | sed -e 's/^/#   /'
	fi
}

# Skips the rest of the script with a reason (prints one skipped TAP line).
test_skip_all() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $test_name # SKIP $1"
	echo "1..$test_count"
	exit 0
}

test_done() {
	echo "1..$test_count"
	if [ "$test_failed" -eq 0 ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$TRASH"
	fi
	[ "$test_failed" -eq 0 ]
}

# Fails (with a message) unless the command fails; a crash is not a failure that counts.
test_must_fail() {
	local rc=0
	"$@" || rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	fi
	if [ $rc -gt 128 ] && [ $rc -ne 130 ]; then
		echo "test_must_fail: '$*' died of signal $((rc - 128))" >&2
		return 1
	fi
	return 0
}

# Compares two files, showing the difference.
test_cmp() {
	diff -u "$1" "$2"
}

# Greps with a message when the pattern is missing.
test_grep() {
	if ! grep "$@"; then
		echo "test_grep: no match for: $*" >&2
		return 1
	fi
}

# Picks a free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
