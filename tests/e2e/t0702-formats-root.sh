#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The root as a file system on a disk (squashfs, erofs, ISO 9660), booted by
# the kernel with the module-loading boot initramfs, and as docker and OCI
# image archives read by skopeo and unpacked by umoci.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-formats.sh"

test_expect_success 'the fixture system and the writers driver are ready' '
	formats_setup
'

test_expect_success 'the root tar keeps owners, modes and links, and leaves boot/ out' '
	mkdir -p in/boot in/bin &&
	echo kernel >in/boot/kernel && echo data >in/bin/f && ln -s f in/bin/l && ln in/bin/f in/bin/h &&
	tar -cf in.tar -C in --no-recursion --owner=7 --group=9 --mtime=@5 boot boot/kernel bin bin/f bin/l bin/h &&
	fdrv root-tar out.tar in.tar >digest &&
	test "$(cut -d" " -f1 digest)" = "$(sha256sum out.tar | cut -d" " -f1)" &&
	tar -tvf out.tar >list && test_grep -v boot list &&
	test_grep "^-rw-r--r-- 7/9 .* bin/f$" list &&
	test_grep "bin/l -> f" list && test_grep "bin/h link to bin/f" list &&
	fdrv root-tar rt.tar "$FX/root.tar" >/dev/null
'

test_expect_success 'the boot initramfs holds busybox, the modules in dependency order and /init' '
	fdrv root-initrd initrd.img rt.tar &&
	mkdir ri && (cd ri && gzip -dc ../initrd.img | cpio -id --quiet) &&
	test -x ri/init && test -x ri/bin/busybox && test -c ri/dev/console &&
	test "$(head -n 1 ri/etc/modules)" = virtio_ring &&
	for m in virtio_blk squashfs erofs isofs sr_mod libcrc32c; do
		test_grep "^$m$" ri/etc/modules && test -f ri/lib/modules/$m.ko || return 1
	done &&
	test "$(grep -n "^libcrc32c$" ri/etc/modules | cut -d: -f1)" -lt \
	     "$(grep -n "^erofs$" ri/etc/modules | cut -d: -f1)"
'

test_expect_success 'kernel+squashfs: the root on a squashfs disk boots' '
	fdrv squashfs root.sqfs rt.tar &&
	unsquashfs -lln root.sqfs >list &&
	test_grep "^-rwxr-xr-x 0/0 .* squashfs-root/init$" list &&
	test_grep "^drwxr-xr-x 0/0 .* squashfs-root$" list &&
	cmdline=$(fdrv root-cmdline - "$FORMATS_CMDLINE") &&
	boot_bios sq.log -kernel "$FX/vmlinuz" -initrd initrd.img -append "$cmdline" \
		-drive file=root.sqfs,format=raw,if=virtio,readonly=on &&
	test "$(booted_root sq.log)" = squashfs
'

test_expect_success 'kernel+erofs: the root on an erofs disk boots' '
	fdrv erofs root.erofs rt.tar &&
	fsck.erofs root.erofs &&
	dump.erofs -S root.erofs | test_grep "regular file count" &&
	cmdline=$(fdrv root-cmdline - "$FORMATS_CMDLINE") &&
	boot_bios er.log -kernel "$FX/vmlinuz" -initrd initrd.img -append "$cmdline" \
		-drive file=root.erofs,format=raw,if=virtio,readonly=on &&
	test "$(booted_root er.log)" = erofs
'

test_expect_success 'kernel+iso: the root on an ISO 9660 CD boots (root=/dev/vda, found on /dev/sr0)' '
	NAME=fixture fdrv root-iso root.iso rt.tar &&
	xorriso -indev root.iso -find /init -exec lsdl 2>/dev/null | test_grep "^-rwxr-xr-x .* 0 *0 .*/init" &&
	cmdline=$(fdrv root-cmdline - "$FORMATS_CMDLINE") &&
	boot_bios iso.log -kernel "$FX/vmlinuz" -initrd initrd.img -append "$cmdline" -cdrom root.iso &&
	test "$(booted_root iso.log)" = iso9660
'

test_expect_success 'an erofs and an ISO root keep owners and device nodes without root privileges' '
	mkdir -p dev-in/dev &&
	python3 - <<-PY &&
	import tarfile, io
	with tarfile.open("dev.tar", "w", format=tarfile.PAX_FORMAT) as t:
	    d = tarfile.TarInfo("dev"); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
	    c = tarfile.TarInfo("dev/null"); c.type = tarfile.CHRTYPE; c.devmajor = 1; c.devminor = 3; c.mode = 0o666; t.addfile(c)
	    f = tarfile.TarInfo("owned"); f.uid = 1234; f.gid = 567; f.mode = 0o640; f.size = 2; t.addfile(f, io.BytesIO(b"x\n"))
	PY
	fdrv root-tar dev-root.tar dev.tar >/dev/null &&
	mkdir -m 0777 nb && cp dev-root.tar nb/ && chmod a+r nb/dev-root.tar &&
	as_user() {
		if [ "$(id -u)" -eq 0 ]; then
			setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$PWD/nb" "$@"
		else
			TMPDIR="$PWD/nb" "$@"
		fi
	} &&
	as_user "$FORMATS_DRIVER" erofs nb/dev.erofs nb/dev-root.tar && mv nb/dev.erofs . &&
	fsck.erofs dev.erofs &&
	dump.erofs -S dev.erofs | test_grep "char dev count:.*1" &&
	as_user "$FORMATS_DRIVER" root-iso nb/dev.iso nb/dev-root.tar && mv nb/dev.iso . &&
	xorriso -indev dev.iso -find / -exec lsdl 2>/dev/null >iso-list &&
	test_grep "^crw-rw-rw- .* 1, *3 .*/dev/null" iso-list &&
	test_grep "^-rw-r----- .* 1234 *567 .*/owned" iso-list &&
	fdrv squashfs dev.sqfs dev-root.tar &&
	unsquashfs -lln dev.sqfs | test_grep "^crw-rw-rw- 0/0 *1, *3 .*/dev/null" &&
	unsquashfs -lln dev.sqfs | test_grep "^-rw-r----- 1234/567 .*/owned"
'

test_expect_success 'docker: skopeo reads the archive; the layer is the root' '
	NAME=My_Image fdrv docker img.docker "$FX/root.tar" &&
	skopeo inspect docker-archive:img.docker >inspect &&
	jq -e ".Architecture == \"amd64\" and .Os == \"linux\" and (.Layers | length) == 1" inspect &&
	tar -xOf img.docker manifest.json | jq -e ".[0].RepoTags == [\"my_image:latest\"]" &&
	skopeo inspect --config docker-archive:img.docker | jq -e ".config.Entrypoint == [\"/init\"]" &&
	skopeo copy -q docker-archive:img.docker oci:copied:latest &&
	umoci unpack --rootless --image copied:latest bundle-d >/dev/null &&
	cmp bundle-d/rootfs/init "$FX/root/init"
'

test_expect_success 'oci: skopeo reads the archive and umoci unpacks it' '
	fdrv oci img.oci.tar "$FX/root.tar" &&
	skopeo inspect oci-archive:img.oci.tar >inspect &&
	jq -e "(.Layers | length) == 1 and .Architecture == \"amd64\"" inspect &&
	mkdir layout && tar -xf img.oci.tar -C layout &&
	jq -e ".manifests[0].annotations[\"org.opencontainers.image.ref.name\"] == \"latest\"" layout/index.json &&
	umoci unpack --rootless --image layout:latest bundle >/dev/null &&
	cmp bundle/rootfs/bin/busybox "$FX/root/bin/busybox" &&
	test -x bundle/rootfs/init &&
	jq -e ".process.args == [\"/init\"]" bundle/config.json
'

test_done
