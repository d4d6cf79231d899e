#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every command reports a bad option the same way: one line on stderr, exit status 2,
#   unikit: error: CMD: unknown option '-frob' (see 'unikit help CMD')
#   unikit: error: CMD: option '-o' needs a value (see 'unikit help CMD')
# and the command the hint names works. Nothing here needs QEMU, a registry or a store.
. "$(dirname "$0")/lib.sh"

# Each command as typed (the commands in build/gen/cmds.h and their subcommands), and an option of it that takes a value ("-" when it has none).
commands="build:-o
run:-mem
cache:-cache
cache import:-name
cache ls:-cache
cache rm:-cache
cache clean:-cache
cache export:-o
cache pull:-arch
cache push:-chunk-size
pull:-mirror
push:-insecure-registry
pkg:-
pkg build:-org
pkg show-tag:-org
version:-"

# Runs unikit with the remaining arguments; stdout must be empty, the exit status 2 and stderr
# exactly the line $1.
fails_with_line() {
	local want=$1 rc=0
	shift
	"$UNIKIT" "$@" >out 2>err || rc=$?
	if [ "$rc" -ne 2 ]; then
		echo "unikit $*: exit status $rc, expected 2" >&2
		return 1
	fi
	test_must_fail test -s out &&
	printf '%s\n' "$want" >want &&
	test_cmp want err
}

test_expect_success 'the list above has every command and cache subcommand' '
	sed -n "s/^CMD(\(.*\))$/\1/p" "$BUILD/gen/cmds.h" | sort >built &&
	test -s built &&
	test_cmp built <(echo "$commands" | cut -d: -f1 | grep -Fxf built | sort) &&
	unikit help cache | sed -n "/^Subcommands:/,/^$/s/^  \([a-z][a-z]*\).*/cache \1/p" >subs &&
	test_cmp subs <(echo "$commands" | cut -d: -f1 | grep "^cache ")
'

test_expect_success 'an unknown option' '
	while IFS=: read -r cmd opt; do
		fails_with_line "unikit: error: $cmd: unknown option '"'"'-frob'"'"' (see '"'"'unikit help $cmd'"'"')" \
			$cmd -frob || exit 1
	done <<<"$commands"
'

test_expect_success 'an option without its value' '
	while IFS=: read -r cmd opt; do
		[ "$opt" != - ] || continue
		fails_with_line "unikit: error: $cmd: option '"'"'$opt'"'"' needs a value (see '"'"'unikit help $cmd'"'"')" \
			$cmd $opt || exit 1
	done <<<"$commands"
'

test_expect_success 'the hint names a help that exists' '
	while IFS=: read -r cmd opt; do
		unikit help $cmd >help || exit 1
		test_grep -q "^usage: unikit " help || exit 1
	done <<<"$commands"
'

test_expect_success 'the whole argument is named, wherever it is and however spelt' '
	fails_with_line "unikit: error: pkg build: unknown option '"'"'-frob'"'"' (see '"'"'unikit help pkg build'"'"')" \
		pkg build dir -frob &&
	fails_with_line "unikit: error: build: unknown option '"'"'-qx'"'"' (see '"'"'unikit help build'"'"')" \
		build web.yml -qx &&
	fails_with_line "unikit: error: run: unknown option '"'"'--frob=1'"'"' (see '"'"'unikit help run'"'"')" \
		run p --frob=1 &&
	fails_with_line "unikit: error: cache ls: unknown option '"'"'-bytes=1'"'"' (see '"'"'unikit help cache ls'"'"')" \
		cache ls -bytes=1 &&
	fails_with_line "unikit: error: push: option '"'"'--cache'"'"' needs a value (see '"'"'unikit help push'"'"')" \
		push ref --cache
'

test_expect_success 'version -h prints its usage; an argument is refused' '
	unikit version -h >out &&
	test_grep -x "usage: unikit version" out &&
	rc=0 && { unikit version now 2>err || rc=$?; } && test "$rc" = 2 &&
	test_grep -x "unikit: error: version takes no arguments" err
'

test_expect_success 'help CMD SUB shows the subcommand help, as CMD SUB -h' '
	unikit help cache ls >help &&
	unikit cache ls -h >dash-h &&
	test_grep "^usage: unikit cache ls " help &&
	test_cmp dash-h help &&
	rc=0 && { unikit help cache frob 2>err || rc=$?; } && test "$rc" = 2 &&
	test_grep "unknown cache subcommand .frob." err
'

test_done
