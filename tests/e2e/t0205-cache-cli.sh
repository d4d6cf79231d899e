#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cache command line: usage, where the store lives, options in either spelling.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-store.sh"

test_expect_success 'setup' '
	store_fixtures
'

test_expect_success 'cache alone, or an unknown subcommand, prints the usage and fails' '
	test_must_fail unikit cache 2>err &&
	test_grep "^usage: unikit cache SUBCOMMAND" err &&
	test_must_fail unikit cache frobnicate 2>err &&
	test_grep "unknown cache subcommand '"'"'frobnicate'"'"'" err &&
	test_grep "^usage: unikit cache SUBCOMMAND" err
'

test_expect_success 'help lists every subcommand, and each one works' '
	unikit help cache >help &&
	unikit cache -help >help2 &&
	test_cmp help help2 &&
	sed -n "/^Subcommands:/,/^$/p" help | grep -E "^  [a-z]+" | awk "{ print \$1 }" >subs &&
	printf "%s\n" import ls rm clean export pull push >want &&
	test_cmp want subs &&
	for s in $(cat subs); do
		unikit cache $s -h >sub.help || exit 1
		test_grep "^usage: unikit cache $s \[-cache DIR\]" sub.help || exit 1
	done &&
	unikit help | test_grep -E "^  cache +manage the local image store"
'

test_expect_success 'unknown options are usage errors' '
	test_must_fail unikit cache ls -frob 2>err &&
	test_grep -qx "unikit: error: cache ls: unknown option '"'"'-frob'"'"' (see '"'"'unikit help cache ls'"'"')" err &&
	test_must_fail unikit cache ls extra 2>err &&
	test_grep "takes no arguments" err &&
	test_must_fail unikit cache import 2>err &&
	test_grep "no file or directory to import" err
'

test_expect_success 'pull and push: a bad option is one error line, and -h before it wins' '
	rc=0 && unikit cache pull -frob x 2>err || rc=$? &&
	test $rc = 2 &&
	echo "unikit: error: cache pull: unknown option '"'"'-frob'"'"' (see '"'"'unikit help cache pull'"'"')" >want &&
	test_cmp want err &&
	rc=0 && unikit push -q -chunk-size 2>err || rc=$? &&
	test $rc = 2 &&
	echo "unikit: error: push: option '"'"'-chunk-size'"'"' needs a value (see '"'"'unikit help push'"'"')" >want &&
	test_cmp want err &&
	unikit cache pull -h -frob >out &&
	test_grep -q "^usage: unikit cache pull \[-cache DIR\]" out &&
	unikit push --help -frob >out &&
	test_grep -q "^usage: unikit cache push \[-cache DIR\]" out &&
	test_must_fail unikit pull -frob -h 2>err &&
	test_grep -q "^unikit: error: pull: unknown option" err
'

test_expect_success 'the other subcommands: a bad option is one error line, even after -h' '
	rc=0 && unikit cache ls -h -frob >out 2>err || rc=$? &&
	test $rc = 2 &&
	test_must_fail test -s out &&
	echo "unikit: error: cache ls: unknown option '"'"'-frob'"'"' (see '"'"'unikit help cache ls'"'"')" >want &&
	test_cmp want err &&
	rc=0 && unikit cache export -o 2>err || rc=$? &&
	test $rc = 2 &&
	echo "unikit: error: cache export: option '"'"'-o'"'"' needs a value (see '"'"'unikit help cache export'"'"')" >want &&
	test_cmp want err
'

test_expect_success '-cache and --cache, before or after the subcommand' '
	unikit cache import -cache one "$IMAGES/small.oci.tar" >/dev/null &&
	unikit cache ls --cache one >a &&
	unikit cache --cache one ls >b &&
	unikit cache -cache=one ls >c &&
	unikit cache ls --cache=one >d &&
	test_cmp a b && test_cmp a c && test_cmp a d &&
	test_grep "^localhost/unikit/small:1.0 " a &&
	test_must_fail unikit cache -cache 2>err &&
	test_grep -qx "unikit: error: cache: option '"'"'-cache'"'"' needs a value (see '"'"'unikit help cache'"'"')" err
'

test_expect_success 'the store is $UNIKIT_CACHE, else $XDG_CACHE_HOME/unikit, else ~/.cache/unikit' '
	UNIKIT_CACHE="$TRASH/env" unikit cache import "$IMAGES/small.oci.tar" >/dev/null &&
	test -f env/oci-layout &&
	(unset UNIKIT_CACHE && XDG_CACHE_HOME="$TRASH/xdg" unikit cache import "$IMAGES/small.oci.tar") >/dev/null &&
	test -f xdg/unikit/oci-layout &&
	(unset UNIKIT_CACHE XDG_CACHE_HOME && HOME="$TRASH/home" unikit cache ls) >/dev/null &&
	test -f home/.cache/unikit/oci-layout &&
	UNIKIT_CACHE="$TRASH/env" unikit cache ls -cache one >x &&
	test_cmp a x
'

test_expect_success 'a directory that is not a store is left alone' '
	mkdir notastore &&
	echo precious >notastore/file &&
	test_must_fail unikit cache ls -cache notastore 2>err &&
	test_grep "not an OCI image layout (no oci-layout file) and not empty" err &&
	test "$(ls -A notastore)" = file
'

test_expect_success 'references are normalised, and bad ones say why' '
	unikit cache import -cache one "$IMAGES/oci" >/dev/null &&
	test_must_fail unikit cache export -cache one -o x.tar docker.io/Upper/case 2>err &&
	test_grep "invalid reference '"'"'docker.io/Upper/case'"'"': repository name '"'"'Upper/case'"'"' must be lowercase" err &&
	unikit cache export -cache one -o x.tar localhost/unikit/small:1.0 &&
	test_must_fail unikit cache export -cache one -o y.tar localhost/unikit/small 2>err &&
	test_grep "image '"'"'localhost/unikit/small:latest'"'"' is not in the store" err &&
	test_must_fail unikit cache rm -cache one "nginx:" 2>err &&
	test_grep "invalid reference '"'"'nginx:'"'"': invalid tag" err &&
	test_must_fail unikit cache export -cache one -o x.tar "nginx@sha256:abc" 2>err &&
	test_grep "invalid digest" err
'

test_expect_success '-arch takes the usual names and refuses others' '
	unikit cache export -cache one -arch aarch64 -o arm.tar localhost/unikit/multi:1.0 &&
	skopeo inspect --config oci-archive:arm.tar | jq -e ".architecture == \"arm64\"" &&
	test_must_fail unikit cache export -cache one -arch "windows/amd64/x" -o w.tar \
		localhost/unikit/multi:1.0 2>err &&
	test_grep "only linux is supported" err &&
	test ! -e w.tar
'

test_done
