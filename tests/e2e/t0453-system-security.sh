#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container confinement in a real boot (QEMU, TCG) of
# tests/e2e/specs/security.yml: capabilities are really dropped (no
# CAP_NET_ADMIN: `ip addr add` is refused; with it: it works), a readonly
# container cannot write its root (EROFS) and a writable one writes into the
# overlay init mounted for it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-system.sh"
cd "$TRASH" || exit 1

test_expect_success 'security.yml builds' '
	system_build sec "$SPECS/security.yml"
'

test_expect_success 'it boots and powers itself off: exit 0' '
	system_boot sec &&
	test "$(cat sec.rc)" = 0 &&
	test_grep -E "^unikit: \[ *[0-9.]+\] onboot done$" sec.console &&
	! grep -E "unikit: onboot .* failed" sec.console
'

test_expect_success 'without CAP_NET_ADMIN, ip addr add is refused (EPERM)' '
	test_grep -x "000-nocap: ip: RTNETLINK answers: Operation not permitted" sec.console &&
	test_grep -x "000-nocap: E2E-NOCAP ip status 2" sec.console
'

test_expect_success 'with CAP_NET_ADMIN, ip addr add works; the refused address is not there' '
	test_grep -x "001-netadmin: E2E-NETADMIN ip status 0" sec.console &&
	test_grep -x "001-netadmin: E2E-NETADMIN lo has 10.99.0.2/32" sec.console &&
	! grep "E2E-NETADMIN lo has 10.99.0.1/" sec.console
'

test_expect_success 'a readonly container cannot write its root (EROFS)' '
	test_grep -x "002-readonly: touch: /e2e-file: Read-only file system" sec.console &&
	test_grep -x "002-readonly: E2E-READONLY touch status 1" sec.console
'

# 794c7630: OVERLAYFS_SUPER_MAGIC
test_expect_success 'a writable container writes into its overlay upper layer' '
	test_grep -x "003-writable: E2E-WRITABLE touch status 0" sec.console &&
	test_grep -x "003-writable: E2E-WRITABLE root fs type 794c7630" sec.console &&
	test_grep -x "003-writable: E2E-WRITABLE upper has /containers/onboot/003-writable/tmp/upper/e2e-file" sec.console
'

test_done
