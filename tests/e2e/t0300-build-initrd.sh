#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# unikit build -format kernel+initrd: the kernel, the command line, and an initramfs that
# cpio and gzip read, holding the root LinuxKit would make (kernel.tar, init images with
# whiteouts and filters, containers), without boot/, with the microcode in front.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

test_expect_success 'import the fixture images' '
	import_fixtures
'

cat >"$TRASH/sys.yml" <<'EOF'
kernel:
  image: unikit.test/kernel:1
  cmdline: "console=ttyS0 quiet"
  ucode: ucode.cpio
init:
  - unikit.test/init:1
  - unikit.test/init2:1
onboot:
  - name: first
    image: unikit.test/onboot:1
services:
  - name: svc
    image: unikit.test/service:1
EOF

test_expect_success 'build writes NAME-kernel, NAME-initrd.img and NAME-cmdline' '
	unikit build sys.yml &&
	test -f sys-kernel && test -f sys-initrd.img && test -f sys-cmdline &&
	printf "console=ttyS0 quiet" >expect && test_cmp expect sys-cmdline &&
	fixture_file unikit.test/kernel:1 kernel >kernel.expect &&
	cmp kernel.expect sys-kernel
'

test_expect_success 'the microcode comes first, uncompressed, then one gzip member' '
	initrd_split sys-initrd.img head gz &&
	fixture_file unikit.test/kernel:1 ucode.cpio >ucode.expect &&
	cmp ucode.expect head &&
	cpio -t --quiet <head >ucode.list &&
	test_grep -x "kernel/x86/microcode/GenuineIntel.bin" ucode.list &&
	gzip -t gz &&
	test "$(head -c 4 gz | od -An -tx1 | tr -d " ")" = "1f8b0800"
'

test_expect_success 'the initramfs holds no boot/ files and nothing of the kernel image but kernel.tar' '
	initrd_list sys-initrd.img >list &&
	test_grep -x "drwxr-xr-x 0 0 boot" list &&
	! grep " boot/" list &&
	! grep "etc/stray" list &&
	test_grep -x -- "-rw-r--r-- 0 0 lib/modules/6.1.0-test/kernel/drivers/a.ko" list &&
	test_grep -x -- "-rw-r--r-- 0 0 lib/modules/6.1.0-test/modules.dep" list
'

test_expect_success 'init images: modes, owners, links, devices and whiteouts as in the image' '
	test_grep -x -- "-rwxr-xr-x 0 0 bin/busybox" list &&
	test_grep -x "lrwxrwxrwx 0 0 bin/sh -> busybox" list &&
	test_grep -x -- "-rwsr-xr-x 0 0 usr/bin/setuid" list &&
	test_grep -x -- "-rw-r----- 1000 1001 var/lib/owned" list &&
	test_grep -x "crw-rw-rw- 0 0 dev/null" list &&
	! grep "dev/console" list &&
	! grep "bin/removed" list &&
	! grep "etc/ssl/old.pem" list &&
	test_grep -x -- "-rw-r--r-- 0 0 etc/ssl/new.pem" list
'

test_expect_success 'hard links stay hard links' '
	initrd_unpack sys-initrd.img root &&
	test "$(stat -c %i root/bin/busybox)" = "$(stat -c %i root/bin/ls)" &&
	test "$(stat -c %h root/bin/ls)" = 2 &&
	cmp root/bin/busybox root/bin/ls
'

test_expect_success 'LinuxKit filter: dropped, replaced and always-present files' '
	! grep -E "^\S+ \S+ \S+ (\.dockerenv|Dockerfile|etc/hostname)$" list &&
	test_grep "^127.0.0.1       localhost$" root/etc/hosts &&
	test "$(readlink root/etc/resolv.conf)" = /run/resolvconf/resolv.conf &&
	test "$(readlink root/etc/mtab)" = /proc/mounts &&
	test -d root/proc && test -d root/sys && test -d root/dev/pts && test -d root/dev/shm &&
	test "$(cat root/etc/motd)" = "from init2"
'

test_expect_success 'the apk databases of all init images are kept' '
	printf "P:busybox\nV:1.36\n\n\nP:extra\nV:2\n\n\n" >expect &&
	test_cmp expect root/lib/apk/db/installed
'

test_expect_success 'containers: bundles with config.json, runtime.json, init.conf and the image' '
	test -f root/containers/onboot/000-first/config.json &&
	test -f root/containers/onboot/000-first/runtime.json &&
	test -f root/containers/onboot/000-first/init.conf &&
	test -x root/containers/onboot/000-first/lower/bin/true &&
	test -x root/containers/services/svc/lower/bin/svc &&
	test -d root/containers/services/svc/rootfs &&
	test -d root/containers/services/svc/tmp &&
	printf "\n# no resolv.conf configured\n" >expect &&
	test_cmp expect root/containers/services/svc/lower/etc/resolv.conf &&
	jq -e ".ociVersion" root/containers/services/svc/config.json
'

test_expect_success 'entries are sorted, directories first, with the fixed timestamp' '
	gzip -dc gz | cpio -t --quiet >names &&
	python3 -c "
names = open(\"names\").read().split(\"\\n\")[:-1]
assert names == sorted(names, key=lambda n: n.split(\"/\")), \"not in walk order\"
" &&
	gzip -dc gz | cpio -t --quiet -v |
		awk "{ for (s = 5; s <= NF; s++) if (\$s ~ /^[A-Z][a-z][a-z]\$/) break; print \$s, \$(s + 1), \$(s + 2) }" |
		sort -u >times &&
	test "$(wc -l <times)" = 1 && test_grep "1970" times
'

test_done
