# SPDX-License-Identifier: Apache-2.0
# Helpers for the `unikit run` tests (t06NN): the fixture guest and images
# (tests/fixtures/run-initramfs.sh, run-images.sh), built once under a lock
# so tests running side by side do not race.
#
#   run_fixtures            builds them; sets RUN_GUEST and RUN_IMAGES
#   run_prefix NAME MODE    makes $TRASH/NAME-{kernel,initrd.img,cmdline}, a
#                           kernel+initrd prefix booting the guest in MODE
#                           (full, serve, silent, panic, rootdisk)
#   fake_qemu NAME BODY     writes an executable $TRASH/NAME running BODY (sh)
#   wait_gone PID SECONDS   waits until PID has exited

# QEMU runs under TCG in the tests (KVM does not work on every machine);
# the test of -accel auto unsets this.
export UNIKIT_QEMU_ACCEL=tcg
# every real boot ends within this, whatever happens
RUN_TIMEOUT=${RUN_TIMEOUT:-300}

run_fixtures() {
	mkdir -p "$FIXTURES"
	flock "$FIXTURES/.run-fixtures.lock" sh -c '
		BUILD="$1" sh "$2/tests/fixtures/run-initramfs.sh" "$3/run-initramfs" &&
		BUILD="$1" sh "$2/tests/fixtures/run-images.sh" "$3/run-images"' \
		sh "$BUILD" "$TOP" "$FIXTURES"
	RUN_GUEST=$FIXTURES/run-initramfs
	RUN_IMAGES=$FIXTURES/run-images
}

run_prefix() {
	ln -sf "$RUN_GUEST/kernel" "$TRASH/$1-kernel"
	ln -sf "$RUN_GUEST/initrd.img" "$TRASH/$1-initrd.img"
	echo "console=ttyS0 quiet unikit.test=$2" >"$TRASH/$1-cmdline"
}

fake_qemu() {
	printf '#!/bin/sh\n%s\n' "$2" >"$TRASH/$1"
	chmod +x "$TRASH/$1"
}

wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -lt $(($2 * 10)) ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# The lines the fixture guest printed ("UNIKIT-FIXTURE: " removed), from FILE.
guest_says() {
	tr -d '\r' <"$1" | sed -n 's/.*UNIKIT-FIXTURE: //p'
}

# The fixture guest for arm64 (kernel and BusyBox fetched from Debian's archive).
run_fixtures_arm64() {
	mkdir -p "$FIXTURES"
	flock "$FIXTURES/.run-fixtures.lock" env ARCH=arm64 BUILD="$BUILD" \
		sh "$TOP/tests/fixtures/run-initramfs.sh" "$FIXTURES/run-initramfs-arm64"
	RUN_GUEST_ARM64=$FIXTURES/run-initramfs-arm64
}
