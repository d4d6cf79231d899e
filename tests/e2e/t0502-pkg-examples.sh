#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/*.yml: the spec parser takes them, and every @pkg: they name is a package.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pkg.sh"

command -v apt-get >/dev/null || test_skip_all "no apt-get"
cd "$TRASH" || exit 1
if [ ! -x "$UNIKIT_INIT" ]; then
	pkg_stand_in_init "$TRASH/stand-in-init"
	UNIKIT_INIT=$TRASH/stand-in-init
fi
export UNIKIT_INIT

for spec in "$TOP"/examples/*.yml; do
	name=$(basename "$spec")
	# a spec without a kernel (demo-poweroff.yml) is merged after minimal.yml
	test_expect_success "$name: build -dry-run accepts it" '
		if grep -q "^kernel:" "$spec"; then base=; else base=$TOP/examples/minimal.yml; fi &&
		unikit build -dry-run $base "$spec" >out &&
		test_grep -E "^kernel:" out
	'
	test_expect_success "$name: each @pkg: names a package with a tag" '
		grep -o "@pkg:[^\"]*" "$spec" | sort -u >refs &&
		test -s refs && : >tags &&
		while read -r ref; do
			unikit pkg show-tag "$TOP/examples/${ref#@pkg:}" >>tags || exit 1
		done <refs &&
		test "$(wc -l <tags)" = "$(wc -l <refs)" &&
		! grep -v -E "^unikit/[a-z]+:[0-9a-f]{40}$" tags
	'
done

test_done
