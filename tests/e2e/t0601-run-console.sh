#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run between QEMU and the terminal, with stand-in QEMUs (shell scripts
# given with -qemu) so every outcome is quick and certain: the command line
# and the state directory, keystrokes, -wait-for, -timeout, a panic, a QEMU
# that fails, signals, a reader that goes away. t0602 and on boot real QEMU.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

printf 'k' >"$TRASH/p-kernel"
printf 'i' >"$TRASH/p-initrd.img"
echo "console=ttyS0 quiet" >"$TRASH/p-cmdline"

# Every stand-in writes its pid where -pidfile says, as QEMU does, and to qemu.self.
stand_in_prologue='
for a in "$@"; do [ "$prev" = -pidfile ] && echo $$ >"$a"; prev=$a; done
echo $$ >"$(dirname "$0")/qemu.self"
printf "%s\n" "$@" >"$(dirname "$0")/qemu.args"'

test_expect_success '-v shows the QEMU command line; the state directory is prepared' '
	fake_qemu q-exit "$stand_in_prologue
exit 0" &&
	port=$(free_port) &&
	"$UNIKIT" run -v -qemu ./q-exit -cpus 2 -mem 1G -disk size=8M -disk file=extra.raw,size=4M,format=raw \
		-data "hello=world" -publish $port:80 -device virtio-balloon p </dev/null >out 2>err &&
	test_grep -q "^unikit: ./q-exit -machine q35 -accel tcg .*-kernel p-kernel -initrd p-initrd.img -append .console=ttyS0 quiet." err &&
	test_grep -qx -- "-smp" qemu.args && test_grep -qx 2 qemu.args && test_grep -qx 1024 qemu.args &&
	test_grep -qx "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:80" qemu.args &&
	test_grep -qx "virtio-net-pci,netdev=net0,mac=$(cat p-state/mac-addr)" qemu.args &&
	test_grep -qx "$(cat p-state/uuid)" qemu.args &&
	test_grep -qx "if=none,id=disk0,file=p-state/disk.img,format=qcow2" qemu.args &&
	test_grep -qx "if=none,id=disk1,file=extra.raw,format=raw" qemu.args &&
	test_grep -qx "virtio-balloon" qemu.args &&
	qemu-img info --output=json p-state/disk.img | jq -e ".format == \"qcow2\" and .\"virtual-size\" == 8388608" &&
	qemu-img info --output=json extra.raw | jq -e ".format == \"raw\" and .\"virtual-size\" == 4194304" &&
	test "$(bsdtar -xOf p-state/data.iso config)" = "hello=world" &&
	test "$(bsdtar -xOf p-state/data.iso user-data)" = "hello=world" &&
	test_grep -q "instance-id: unikit-$(cat p-state/uuid)" <(bsdtar -xOf p-state/data.iso meta-data) &&
	xorriso -indev p-state/data.iso -pvd_info 2>/dev/null | test_grep -q "^Volume Id *: cidata$" &&
	test ! -e p-state/qemu.pid &&
	grep -E "^([0-9a-f]{2}:){5}[0-9a-f]{2}$" p-state/mac-addr
'

test_expect_success 'the state is kept across runs; a disk that exists is not made again' '
	mac=$(cat p-state/mac-addr) && uuid=$(cat p-state/uuid) &&
	echo "guest data" | dd of=p-state/disk.img bs=1 seek=4096 conv=notrunc status=none &&
	"$UNIKIT" run -qemu ./q-exit -disk size=8M p </dev/null &&
	test "$(cat p-state/mac-addr)" = "$mac" && test "$(cat p-state/uuid)" = "$uuid" &&
	dd if=p-state/disk.img bs=1 skip=4096 count=10 status=none | test_grep -q "guest data"
'

test_expect_success 'keystrokes reach QEMU; -wait-for matches the console and stops the VM' '
	fake_qemu q-cat "$stand_in_prologue
exec cat" &&
	start=$(date +%s) &&
	"$UNIKIT" run -qemu ./q-cat -wait-for "^login: root$" p >out 2>err < <(echo "login: root"; sleep 30) &&
	test $(($(date +%s) - start)) -lt 20 &&
	test_grep -q "login: root" out &&
	test_grep -q "console matched .\^login: root\$.; VM stopped" err &&
	wait_gone "$(cat qemu.self)" 10 &&
	test_grep -q "login: root" p-state/console.log &&
	test ! -e p-state/qemu.pid
'

test_expect_success '-wait-for matches a prompt that has no newline' '
	fake_qemu q-prompt "$stand_in_prologue
printf \"unikit login: \"; exec sleep 60" &&
	"$UNIKIT" run -qemu ./q-prompt -wait-for "login: $" -timeout 30 p </dev/null >out 2>err &&
	wait_gone "$(cat qemu.self)" 10
'

test_expect_success '-timeout stops the VM and fails with the last console lines' '
	fake_qemu q-slow "$stand_in_prologue
echo \"booting\"; printf \"\\033[2Jstill \\033[1mbooting\\033[0m\\n\"; exec sleep 60" &&
	start=$(date +%s) &&
	test_expect_code=0 && "$UNIKIT" run -qemu ./q-slow -wait-for ready -timeout 2 p </dev/null >out 2>err || test_expect_code=$?
	test $test_expect_code -eq 124 &&
	test $(($(date +%s) - start)) -le 8 &&
	test_grep -q "^unikit: error: timed out after 2s waiting for .ready.$" err &&
	test_grep -q "^unikit: last console lines:$" err &&
	test_grep -qx "  | still booting" err &&
	wait_gone "$(cat qemu.self)" 10 &&
	test ! -e p-state/qemu.pid
'

test_expect_success 'a kernel panic stops the VM and fails' '
	fake_qemu q-panic "$stand_in_prologue
echo \"[    1.234567] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\"
echo \"[    1.234600] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---\"
exec sleep 60" &&
	start=$(date +%s) &&
	rc=0 && "$UNIKIT" run -qemu ./q-panic p </dev/null >out 2>err || rc=$?
	test $rc -eq 3 &&
	test $(($(date +%s) - start)) -le 8 &&
	test_grep -q "^unikit: error: the guest kernel panicked: Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)$" err &&
	wait_gone "$(cat qemu.self)" 10
'

test_expect_success 'a QEMU that fails is reported with its last message' '
	fake_qemu q-fail "$stand_in_prologue
echo \"qemu-system-x86_64: -device foo: not a valid device model name\" >&2; exit 1" &&
	rc=0 && "$UNIKIT" run -qemu ./q-fail p </dev/null >out 2>err || rc=$?
	test $rc -eq 1 &&
	test_grep -q "^unikit: error: QEMU exited with status 1: qemu-system-x86_64: -device foo: not a valid device model name$" err
'

# Only the unikit command goes to the background ('A && B &' would put the whole
# list there, racing the wait for qemu.self); set -e stops at the first failure.
test_expect_success 'SIGINT and SIGTERM stop QEMU; one that ignores SIGTERM is killed' '
	fake_qemu q-sleep "$stand_in_prologue
echo up; exec sleep 60"
	rm -f qemu.self
	"$UNIKIT" run -qemu ./q-sleep p </dev/null >out 2>err &
	unikit_pid=$!
	while [ ! -s qemu.self ]; do sleep 0.1; done
	kill -INT $unikit_pid
	rc=0 && wait $unikit_pid || rc=$?
	test $rc -eq 130
	wait_gone "$(cat qemu.self)" 10
	test ! -e p-state/qemu.pid
	fake_qemu q-stubborn "$stand_in_prologue
trap \"\" TERM; echo up; while :; do sleep 1; done"
	rm -f qemu.self
	"$UNIKIT" run -qemu ./q-stubborn p </dev/null >out 2>err &
	unikit_pid=$!
	while [ ! -s qemu.self ]; do sleep 0.1; done
	start=$(date +%s)
	kill -TERM $unikit_pid
	rc=0 && wait $unikit_pid || rc=$?
	test $rc -eq 143
	test $(($(date +%s) - start)) -le 10
	wait_gone "$(cat qemu.self)" 5
	test ! -e p-state/qemu.pid
'

test_expect_success 'when the console reader goes away the VM is stopped' '
	fake_qemu q-chatty "$stand_in_prologue
while :; do echo chatter; done" &&
	{ timeout 30 "$UNIKIT" run -qemu ./q-chatty p </dev/null 2>err || echo $? >rc; } | head -n 3 >out &&
	test "$(wc -l <out)" -eq 3 &&
	test "$(cat rc)" = 141 &&
	wait_gone "$(cat qemu.self)" 10
'

test_done
