# SPDX-License-Identifier: Apache-2.0
# Helpers for the whole-system tests (t045N): build real specs with `unikit
# build` (packages from pkg/, built once into a store shared by these tests)
# and boot them with `unikit run` under TCG. Source after lib.sh.
#
#   system_build NAME SPEC...   builds $TRASH/NAME-{kernel,initrd.img,cmdline}
#   system_boot NAME [ARGS...]  boots $TRASH/NAME (-mem 512, a time limit);
#                               the console goes to $TRASH/NAME.console
#                               (without CRs), the exit status to $TRASH/NAME.rc
#   console_line REGEX FILE     the number of the first line of FILE matching
#                               REGEX (fails when none does)

export UNIKIT_QEMU_ACCEL=tcg
export UNIKIT_DEB_CACHE="$FIXTURES/debs"
SYSTEM_STORE="$FIXTURES/system-store"
SPECS="$TOP/tests/e2e/specs"
# every boot ends within this, whatever happens
SYSTEM_TIMEOUT=${SYSTEM_TIMEOUT:-240}

command -v qemu-system-x86_64 >/dev/null || test_skip_all "no qemu-system-x86_64"
[ "$(uname -m)" = x86_64 ] || test_skip_all "the packages are built for x86_64 here"

system_build() {
	local name=$1
	shift
	mkdir -p "$SYSTEM_STORE" "$UNIKIT_DEB_CACHE"
	# one build at a time fills the shared store: a package is built once
	flock "$FIXTURES/.system-store.lock" \
		"$UNIKIT" build -cache "$SYSTEM_STORE" -name "$name" -dir "$TRASH" "$@"
}

system_boot() {
	local name=$1 rc=0
	shift
	"$UNIKIT" run -mem 512 -timeout "$SYSTEM_TIMEOUT" "$@" "$TRASH/$name" \
		>"$TRASH/$name.out" 2>&1 </dev/null || rc=$?
	tr -d '\r' <"$TRASH/$name.out" >"$TRASH/$name.console"
	echo "$rc" >"$TRASH/$name.rc"
}

console_line() {
	local n
	n=$(grep -n -E -m1 "$1" "$2" | cut -d: -f1)
	if [ -z "$n" ]; then
		echo "console_line: no line matches '$1' in $2" >&2
		return 1
	fi
	echo "$n"
}
