#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The root on a disk (kernel+squashfs, kernel+erofs, kernel+iso), booted by
# `unikit run` through the module-loading boot initramfs; owners and device
# nodes kept by a build as an unprivileged user; the root as docker and OCI
# image archives, read by skopeo and unpacked by umoci.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"
. "$(dirname "$0")/lib-build.sh"

test_expect_success 'the fixture system is in the store' '
	formats_setup
'

test_expect_success 'the boot initramfs holds busybox, the modules in dependency order and /init' '
	fbuild -format kernel+squashfs &&
	test "$(cat out/sys-cmdline)" = "console=ttyS0 quiet panic=-1 root=/dev/vda" &&
	mkdir ri && (cd ri && gzip -dc ../out/sys-root-initrd.img | cpio -id --quiet) &&
	test -x ri/init && test -x ri/bin/busybox && test -c ri/dev/console &&
	test "$(head -n 1 ri/etc/modules)" = virtio_ring &&
	for m in virtio_blk squashfs erofs isofs sr_mod libcrc32c; do
		test_grep "^$m$" ri/etc/modules && test -f ri/lib/modules/$m.ko || return 1
	done &&
	test "$(grep -n "^libcrc32c$" ri/etc/modules | cut -d: -f1)" -lt \
	     "$(grep -n "^erofs$" ri/etc/modules | cut -d: -f1)"
'

test_expect_success 'kernel+squashfs: the root on a squashfs disk boots' '
	unsquashfs -lln out/sys-squashfs.img >list &&
	test_grep "^-rwxr-xr-x 0/0 .* squashfs-root/init$" list &&
	test_grep "^drwxr-xr-x 0/0 .* squashfs-root$" list &&
	test_grep -v "squashfs-root/boot" list &&
	frun sq.log out/sys &&
	test "$(booted_root sq.log)" = squashfs
'

test_expect_success 'kernel+erofs: the root on an erofs disk boots' '
	rm -rf out && fbuild -format kernel+erofs &&
	fsck.erofs out/sys-erofs.img &&
	dump.erofs -S out/sys-erofs.img | test_grep "regular file count" &&
	frun er.log out/sys &&
	test "$(booted_root er.log)" = erofs
'

test_expect_success 'kernel+iso: the root on an ISO 9660 image boots' '
	rm -rf out && fbuild -format kernel+iso &&
	xorriso -indev out/sys.iso -find /init -exec lsdl 2>/dev/null | test_grep "^-rwxr-xr-x .* 0 *0 .*/init" &&
	frun iso.log out/sys &&
	test "$(booted_root iso.log)" = iso9660
'

test_expect_success 'an unprivileged build keeps owners and device nodes in every root image' '
	import_fixtures &&
	printf "kernel:\n  image: unikit.test/kernel:1\ninit:\n  - unikit.test/init:1\n" >fixture.yml &&
	chmod -R a+rwX "$UNIKIT_CACHE" && mkdir -m 0777 nb &&
	as_nobody() {
		if [ "$(id -u)" -eq 0 ]; then
			setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$PWD/nb" TMPDIR="$PWD/nb" "$@"
		else
			"$@"
		fi
	} &&
	as_nobody "$UNIKIT" build -dir nb/out -name fx -format kernel+erofs -format kernel+squashfs \
		-format kernel+iso fixture.yml &&
	unsquashfs -lln nb/out/fx-squashfs.img >sq &&
	test_grep "^crw-rw-rw- 0/0 *1, *3 .*/dev/null" sq &&
	dump.erofs -S nb/out/fx-erofs.img | test_grep "char dev count:.*[1-9]" &&
	xorriso -indev nb/out/fx.iso -find / -exec lsdl 2>/dev/null >iso &&
	test_grep "^crw-rw-rw- .* 1, *3 .*/dev/null" iso &&
	owned=$(sed -n "s/^-[-rwxs]* \([1-9][0-9]*\)\/\([0-9]*\) .*squashfs-root\(\/.*\)$/\1 \2 \3/p" sq | head -n 1) &&
	test -n "$owned" && set -- $owned &&
	test_grep "^-.* $1 *$2 .*$3" iso
'

test_expect_success 'docker: skopeo reads the archive; the layer is the root' '
	fbuild -format docker &&
	skopeo inspect docker-archive:out/sys.docker >inspect &&
	jq -e ".Architecture == \"amd64\" and .Os == \"linux\" and (.Layers | length) == 1" inspect &&
	tar -xOf out/sys.docker manifest.json | jq -e ".[0].RepoTags == [\"sys:latest\"]" &&
	skopeo inspect --config docker-archive:out/sys.docker | jq -e ".config.Entrypoint == [\"/init\"]" &&
	skopeo copy -q docker-archive:out/sys.docker oci:copied:latest &&
	umoci unpack --rootless --image copied:latest bundle-d >/dev/null &&
	cmp bundle-d/rootfs/init "$FX/root/init" && test ! -e bundle-d/rootfs/boot/kernel
'

test_expect_success 'oci: skopeo reads the archive and umoci unpacks it' '
	fbuild -format oci &&
	skopeo inspect oci-archive:out/sys.oci.tar | jq -e "(.Layers | length) == 1" &&
	mkdir layout && tar -xf out/sys.oci.tar -C layout &&
	jq -e ".manifests[0].annotations[\"org.opencontainers.image.ref.name\"] == \"latest\"" layout/index.json &&
	umoci unpack --rootless --image layout:latest bundle >/dev/null &&
	cmp bundle/rootfs/bin/busybox "$FX/root/bin/busybox" &&
	jq -e ".process.args == [\"/init\"]" bundle/config.json
'

test_done
