#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit pkg build -push: a package built (or already in the store) goes to its
# registry, named by its org, and skopeo reads it back with the same digest.
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

test_expect_success 'pkg build -push builds and pushes to the org registry' '
	unikit pkg build -q -org 127.0.0.1:$PORT/team -push hello >name &&
	name=$(cat name) &&
	case "$name" in 127.0.0.1:$PORT/team/hello:*) ;; *) echo "name $name"; false ;; esac &&
	skopeo inspect --raw --tls-verify=false "docker://$name" >manifest.json &&
	remote=sha256:$(sha256sum <manifest.json | cut -d" " -f1) &&
	test "$remote" = "$(store_digest "$name")"
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
