#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run: every mistake is one clear line on stderr, before QEMU starts,
# and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

# A kernel+initrd prefix whose files exist (never booted here).
printf 'k' >"$TRASH/p-kernel"
printf 'i' >"$TRASH/p-initrd.img"
echo "console=ttyS0" >"$TRASH/p-cmdline"
mkdir -p "$TRASH/bin"

# Runs unikit expecting failure with status $1; stderr must be exactly one line matching $2.
fails_with() {
	local want=$1 pattern=$2 rc=0
	shift 2
	"$UNIKIT" "$@" >out 2>err || rc=$?
	cat err
	if [ "$rc" -ne "$want" ]; then
		echo "exit status $rc, expected $want" >&2
		return 1
	fi
	[ "$(wc -l <err)" -eq 1 ] || { echo "stderr is not one line" >&2; return 1; }
	test_grep -E "^unikit: error: $pattern" err
}

test_expect_success 'an unknown option is a usage error' '
	fails_with 2 "run: unknown option .-bogus. \(see .unikit help run.\)$" run -bogus p &&
	fails_with 2 "run: option .-mem. needs a value \(see .unikit help run.\)$" run p -mem &&
	fails_with 2 "run: missing PATH" run &&
	fails_with 2 "run: missing PATH" run qemu &&
	fails_with 2 "run: one PATH expected, got .a. and .b." run a b
'

test_expect_success "LinuxKit's other back ends are named as unsupported" '
	fails_with 2 "run back end .hyperkit. is not supported" run hyperkit p
'

test_expect_success 'a missing image names what was looked for, and creates nothing' '
	fails_with 1 ".nothere. not found \(nor .nothere-kernel. for a kernel boot\)" run nothere &&
	test ! -e nothere-state &&
	fails_with 1 "kernel .q-kernel. not found" run -kernel q &&
	printf k >r-kernel &&
	fails_with 1 "initrd .r-initrd.img. not found" run r &&
	fails_with 1 "root filesystem .r-squashfs.img. \(or .r-erofs.img.\) not found" run -squashfs r &&
	test ! -e q-state && test ! -e r-state
'

test_expect_success 'a missing QEMU is named, with its package' '
	fails_with 1 "QEMU .$TRASH/no-qemu. not found" run -qemu "$TRASH/no-qemu" p &&
	rc=0 && env PATH="$TRASH/bin" "$UNIKIT" run p 2>err || rc=$?
	[ $rc -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] &&
	test_grep -E "^unikit: error: QEMU .qemu-system-x86_64. not found in PATH \(install qemu-system-x86\)" err &&
	test ! -e p-state
'

test_expect_success 'missing UEFI firmware is named' '
	fails_with 1 "firmware .$TRASH/no-ovmf.fd.: No such file or directory" run -uefi -fw "$TRASH/no-ovmf.fd" p &&
	test ! -e p-state
'

test_expect_success 'a published port already in use is refused before QEMU starts' '
	port=$(free_port)
	python3 -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", int(sys.argv[1]))); s.listen(1)
open(\"listening\", \"w\").close(); time.sleep(60)" $port &
	listener=$!
	while [ ! -e listening ]; do sleep 0.1; done &&
	rc=0 && fails_with 1 "publish 127.0.0.1:$port:80/tcp: port $port on 127.0.0.1 is already in use" run -publish $port:80 p || rc=$?
	kill $listener
	[ $rc -eq 0 ] && test ! -e p-state
'

test_expect_success 'bad option values are usage errors' '
	fails_with 2 "disk .a,size=big.: size .big.: not a positive number" run -disk a,size=big p &&
	fails_with 2 "disk .x,format=ext4.: unknown format .ext4." run -disk x,format=ext4 p &&
	fails_with 2 "publish .80.: expected" run -publish 80 p &&
	fails_with 2 "publish .localhost:80:80.: .localhost. is not an IPv4 address" run -publish localhost:80:80 p &&
	fails_with 2 "networking .vmnet.: unknown mode" run -networking vmnet p &&
	fails_with 2 "networking .tap.: needs an interface" run -networking tap p &&
	fails_with 2 "-publish needs user networking" run -networking none -publish 8080:80 p &&
	fails_with 2 "-data and -data-file cannot be used together" run -data x -data-file y p &&
	fails_with 2 "-detached and -gui cannot be used together" run -detached -gui p &&
	fails_with 2 "-cpus .0.: not a number of CPUs" run -cpus 0 p &&
	fails_with 2 "-mem: size .0.: not a positive number" run -mem 0 p &&
	fails_with 2 "-mem: size .1K.: unknown unit" run -mem 1K p &&
	fails_with 2 "-timeout .soon.: not a number of seconds" run -timeout soon p &&
	fails_with 2 "accel .hvf.: unknown \(auto, kvm or tcg\)" run -accel hvf p &&
	fails_with 2 "wait-for .a\(.: " run -wait-for "a(" p &&
	UNIKIT_QEMU_ACCEL=fast fails_with 1 "UNIKIT_QEMU_ACCEL: accel .fast.: unknown" run p &&
	test ! -e p-state
'

test_expect_success 'a missing -data-file and a missing disk are named' '
	fails_with 1 "-data-file: open .nodata.: No such file or directory" run -data-file nodata p &&
	fails_with 1 "disk .nodisk.img. does not exist \(give a size to create it\)" run -disk nodisk.img p
'

test_expect_success 'a state directory that a running VM uses is refused' '
	mkdir -p busy-state
	bash -c "exec -a qemu-system-x86_64 sleep 60" &
	fake=$!
	# once exec has run, it looks like a QEMU
	argv0=
	while [ "$argv0" != qemu-system-x86_64 ]; do
		sleep 0.05
		read -r -d "" argv0 </proc/$fake/cmdline || :
	done
	echo $fake >busy-state/qemu.pid &&
	printf k >busy-kernel && printf i >busy-initrd.img &&
	rc=0 && fails_with 1 "state directory .busy-state. is in use by a running VM \(QEMU pid $fake\)" run busy || rc=$?
	kill $fake
	[ $rc -eq 0 ] &&
	test_grep -qx "$fake" busy-state/qemu.pid
'

test_expect_success '-help shows the options' '
	"$UNIKIT" run -help >out &&
	test_grep -q -- "-wait-for REGEX" out &&
	test_grep -q -- "-publish \[ADDR:\]HOST:GUEST" out &&
	"$UNIKIT" help run >out2 &&
	test_cmp out out2
'

test_done
