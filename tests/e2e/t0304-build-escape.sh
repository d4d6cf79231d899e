#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Layers whose entries would land outside their root are refused, naming the image, the
# layer and the path, and nothing is written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

# a private TMPDIR, to see that the build leaves nothing in it
export TMPDIR="$TRASH/tmp"
mkdir -p "$TMPDIR"

test_expect_success 'import the fixture images' '
	import_fixtures
'

for kind in dotdot symlink hardlink; do
	for section in init services; do
		if [ $section = init ]; then
			printf 'init:\n  - unikit.test/escape-%s:1\n' $kind >"$TRASH/$kind-$section.yml"
		else
			printf 'services:\n  - name: x\n    image: unikit.test/escape-%s:1\n' $kind \
				>"$TRASH/$kind-$section.yml"
		fi
		test_expect_success "escape by $kind in $section is refused" "
			test_must_fail unikit build -format kernel+initrd,tar $kind-$section.yml 2>err &&
			test_grep 'unikit.test/escape-$kind:1' err &&
			test_grep 'layer sha256:[0-9a-f]\{64\}' err &&
			test_line_count() { test \$(wc -l <\$1) = 1; } && test_line_count err &&
			! ls $kind-$section-* $kind-$section.tar 2>/dev/null &&
			! test -e /tmp/escaped
		"
	done
done

test_expect_success 'the messages say what escaped' '
	test_must_fail unikit build dotdot-init.yml 2>err && test_grep "../../escaped" err &&
	test_must_fail unikit build symlink-init.yml 2>err && test_grep "up/escaped" err &&
	test_grep "outside the root" err &&
	test_must_fail unikit build hardlink-init.yml 2>err && test_grep "../../../etc/passwd" err
'

test_expect_success 'no scratch files are left behind' '
	ls -A "$TMPDIR" >left &&
	test_must_be_empty() { test ! -s "$1" || { cat "$1"; false; }; } &&
	test_must_be_empty left
'

test_done
