#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The build command line: LinuxKit's single-dash options and --long ones, format lists, names,
# directories, help, and errors that say where.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

test_expect_success 'import the fixture images' '
	import_fixtures
'

cat >"$TRASH/cli.yml" <<'EOF2'
kernel:
  image: unikit.test/kernel:1
  cmdline: "console=ttyS0"
init:
  - unikit.test/init:1
EOF2

test_expect_success 'help lists the formats the binary has and the options' '
	unikit build -help >help &&
	test_grep "^  kernel+initrd " help &&
	test_grep "^  tar " help &&
	test_grep "^  tar-kernel-initrd " help &&
	test_grep -- "-dry-run" help &&
	test_grep -- "-pull " help &&
	unikit help build >help2 && test_cmp help help2
'

test_expect_success 'the default is kernel+initrd, named after the spec, in the current directory' '
	unikit build cli.yml &&
	test -f cli-kernel && test -f cli-initrd.img && test -f cli-cmdline
'

test_expect_success '-format repeats and takes comma lists; -name and -dir; --long options' '
	unikit build -format tar -format kernel+initrd,tar-kernel-initrd -name sys -dir out/x cli.yml &&
	test -f out/x/sys.tar && test -f out/x/sys-initrd.img && test -f out/x/sys-initrd.tar &&
	unikit build --format=tar --name=two --dir out cli.yml &&
	test -f out/two.tar &&
	cmp out/two.tar out/x/sys.tar
'

test_expect_success 'options may follow the spec files' '
	unikit build cli.yml -format tar -name after &&
	test -f after.tar
'

test_expect_success 'an unknown format or option is a usage error' '
	test_must_fail unikit build -format iso-nothing cli.yml 2>err &&
	test_grep "unknown format .iso-nothing." err &&
	test_must_fail unikit build -bogus cli.yml 2>err &&
	test_grep -qx "unikit: error: build: unknown option .-bogus. (see .unikit help build.)" err &&
	test_must_fail unikit build 2>err &&
	test_grep "no spec file" err
'

test_expect_success 'a -size that is not a size is a usage error that quotes it' '
	for bad in "1K:unknown unit (use M, G or T; no unit is M)" "1.5G:not a positive number" \
		"0:not a positive number" "99999999999999999999:too large"; do
		rc=0 && unikit build -size ${bad%%:*} -format tar cli.yml 2>err || rc=$?
		test $rc = 2 &&
			test_grep -x "unikit: error: build: -size: size .${bad%%:*}.: ${bad#*:}" err ||
			return 1
	done &&
	! test -e cli.tar
'

test_expect_success '-o needs exactly one single-file format' '
	test_must_fail unikit build -format tar,kernel+initrd -o x.tar cli.yml 2>err &&
	test_grep -- "-o needs exactly one format" err &&
	test_must_fail unikit build -o x cli.yml 2>err &&
	test_grep "kernel+initrd.*-o" err &&
	! test -e x
'

test_expect_success '-dry-run prints the merged spec and builds nothing' '
	mkdir dry && (cd dry && unikit build -dry-run ../cli.yml >spec.out) &&
	test_grep "image: unikit.test/kernel:1" dry/spec.out &&
	test "$(ls dry)" = spec.out
'

test_expect_success 'spec errors are listed one per line as FILE:LINE:COL' '
	printf "kernel:\n  imag: x\nonbot: []\n" >bad.yml &&
	test_must_fail unikit build bad.yml 2>err &&
	test_grep "^bad.yml:2:3: " err &&
	test_grep "^bad.yml:3:1: " err
'

test_expect_success 'an image missing from the store is an error at its position' '
	printf "init:\n  - unikit.test/init:1\n  - unikit.test/nothere:1\n" >missing.yml &&
	test_must_fail unikit build missing.yml 2>err &&
	test_grep "missing.yml:3:5: image .unikit.test/nothere:1. is not in the store" err &&
	! ls missing-* 2>/dev/null
'

test_expect_success 'several spec files merge; the name comes from the first' '
	printf "init:\n  - unikit.test/init2:1\n" >more.yml &&
	unikit build -format tar cli.yml more.yml &&
	bsdtar -tf cli.tar | grep -x "etc/motd" &&
	bsdtar -tf cli.tar | grep -x "bin/busybox"
'

test_expect_success 'a spec on standard input is named moby' '
	unikit build -format tar - <cli.yml &&
	test -f moby.tar
'

test_expect_success '-cache chooses the store' '
	test_must_fail unikit build -cache empty-store -format tar cli.yml 2>err &&
	test_grep "not in the store" err
'

test_expect_success 'a kernel image without its kernel tar is an error; tar: none skips it' '
	printf "kernel:\n  image: unikit.test/init:1\n  binary: bin/busybox\n" >k.yml &&
	test_must_fail unikit build k.yml 2>err &&
	test_grep "kernel tar .kernel.tar." err &&
	printf "  tar: none\n" >>k.yml &&
	unikit build k.yml &&
	test -s k-kernel && ! test -e k-cmdline
'

test_expect_success 'a kernel image of several layers: the last kernel.tar is the one unpacked' '
	printf "kernel:\n  image: unikit.test/kernel2:1\n" >k2.yml &&
	unikit build -format tar k2.yml &&
	bsdtar -tf k2.tar >names &&
	test_grep -x "lib/modules/6.2.0-test/kernel/drivers/a.ko" names &&
	! grep "6.1.0-test" names
'

test_done
