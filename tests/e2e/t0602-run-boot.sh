#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit run boots a kernel+initrd in real QEMU: the guest sees the disks
# with their sizes, reads the -data metadata CD, has the state directory's
# MAC address (the same on the next run), and a clean poweroff exits 0.
# QEMU gets the initramfs decompressed (the state directory's initrd.cpio).
# -accel auto says which accelerator it picked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-run.sh"

run_fixtures
run_prefix vm full
printf 'hostname: unikit-test\nanswer: 42\n' >"$TRASH/meta.txt"

test_expect_success 'a guest that powers off exits 0, having seen its disks and metadata' '
	"$UNIKIT" run -timeout $RUN_TIMEOUT -disk size=64M -disk file=extra.raw,size=100M,format=raw \
		-data-file meta.txt vm </dev/null >out 2>err &&
	guest_says out >said &&
	test_grep -qx "powering off" said &&
	test_grep -qx "disk vda bytes $((64 << 20))" said &&
	test_grep -qx "disk vdb bytes $((100 << 20))" said &&
	test_grep -qx "cd sr0 label cidata" said &&
	tr -d "\r" <out | sed -n "/UNIKIT-FIXTURE: config begin$/,/UNIKIT-FIXTURE: config end$/p" |
		sed "1d;\$d" >config &&
	printf "hostname: unikit-test\nanswer: 42\n\n" >want && test_cmp want config &&
	test_grep -qx "user-data $(md5sum <meta.txt | cut -d" " -f1)" said &&
	test_grep -qx "mac $(cat vm-state/mac-addr)" said &&
	zcat vm-initrd.img | cmp - vm-state/initrd.cpio &&
	guest_says vm-state/console.log | test_grep -qx "powering off" &&
	test ! -e vm-state/qemu.pid
'

test_expect_success 'the next run has the same MAC; -accel auto says what it picked' '
	mac=$(cat vm-state/mac-addr) &&
	env -u UNIKIT_QEMU_ACCEL "$UNIKIT" run -v -timeout $RUN_TIMEOUT \
		-wait-for "mac ([0-9a-f]{2}:){5}[0-9a-f]{2}" vm </dev/null >out 2>err &&
	guest_says out | test_grep -qx "mac $mac" &&
	test_grep -q "console matched" err &&
	test_grep -q -- " -initrd vm-state/initrd.cpio " err &&
	if test_grep -q "^unikit: using KVM$" err; then
		echo KVM >accel-picked
	else
		test_grep -q "^unikit: KVM does not work here (.*); using TCG, which is slower$" err &&
		test_grep -q "^unikit: .* -accel tcg " err &&
		echo TCG >accel-picked
	fi
'
echo "# -accel auto picked $(cat "$TRASH/accel-picked" 2>/dev/null || echo nothing)"

test_done
