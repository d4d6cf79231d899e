#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The kernel itself reads what unikit build writes: Debian's kernel boots (QEMU, TCG) an
# initramfs built from images, with microcode in front and a gzip stream of many pieces
# (a 24 MiB file), runs its /init and powers off. The in-image init is tested elsewhere;
# this /init is a busybox script.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-build.sh"

command -v qemu-system-x86_64 >/dev/null || test_skip_all "no qemu-system-x86_64"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
	test_skip_all "no static /bin/busybox"
KERNEL=$FIXTURES/debian-kernel
BUILD=$BUILD sh "$TOP/tests/fixtures/debian-kernel.sh" "$KERNEL" >"$TRASH/kernel.log" 2>&1 ||
	test_skip_all "cannot fetch Debian's kernel: $(tail -n 1 "$TRASH/kernel.log")"

test_expect_success 'images: the kernel, and busybox with an /init script and a big file' '
	import_fixtures &&
	fixture_file unikit.test/kernel:1 ucode.cpio >ucode.cpio &&
	python3 - "$KERNEL/vmlinuz" <<-EOF2 &&
	import gzip, hashlib, io, json, os, random, sys, tarfile
	out = "boot-images"
	os.makedirs(out + "/blobs/sha256")
	def put(data):
	    d = hashlib.sha256(data).hexdigest()
	    open(out + "/blobs/sha256/" + d, "wb").write(data)
	    return "sha256:" + d, len(data)
	manifests = []
	def image(name, files):
	    raw = io.BytesIO()
	    with tarfile.open(fileobj=raw, mode="w") as tf:
	        for path, data, mode in files:
	            ti = tarfile.TarInfo(path)
	            if data is None:
	                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
	                tf.addfile(ti)
	            else:
	                ti.size, ti.mode = len(data), mode
	                tf.addfile(ti, io.BytesIO(data))
	    tar = raw.getvalue()
	    buf = io.BytesIO()
	    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
	        g.write(tar)
	    ld, ls = put(buf.getvalue())
	    cd, cs = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
	        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode())
	    md, ms = put(json.dumps({"schemaVersion": 2,
	        "mediaType": "application/vnd.oci.image.manifest.v1+json",
	        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
	        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": ls}]}).encode())
	    manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
	        "size": ms, "annotations": {"org.opencontainers.image.ref.name": name}})
	image("unikit.test/boot-kernel:1", [("kernel", open(sys.argv[1], "rb").read(), 0o644),
	    ("ucode.cpio", open("ucode.cpio", "rb").read(), 0o644)])
	rnd = random.Random(7)
	big = b"".join(rnd.randbytes(4096) if i % 3 else bytes(4096) for i in range(6144))
	init = b"#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\n" \
	       b"/bin/busybox sha256sum /big\n/bin/busybox ls /kernel/x86/microcode\n" \
	       b"echo UNIKIT-BOOT-OK\n/bin/busybox poweroff -f\n"
	image("unikit.test/boot-init:1", [("bin", None, 0), ("bin/busybox", open("/bin/busybox", "rb").read(), 0o755),
	    ("init", init, 0o755), ("big", big, 0o644)])
	open(out + "/oci-layout", "w").write(json.dumps({"imageLayoutVersion": "1.0.0"}))
	open(out + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": manifests}))
	open("big.sha256", "w").write(hashlib.sha256(big).hexdigest() + "\n")
	EOF2
	unikit cache import boot-images >/dev/null
'

cat >"$TRASH/boot.yml" <<'EOF'
kernel:
  image: unikit.test/boot-kernel:1
  cmdline: "console=ttyS0 panic=-1 rdinit=/init"
  tar: none
  ucode: ucode.cpio
init:
  - unikit.test/boot-init:1
EOF

test_expect_success 'build kernel+initrd' '
	unikit build boot.yml &&
	test "$(stat -c %s boot-initrd.img)" -gt 8000000
'

test_expect_success 'the kernel unpacks the initramfs, runs /init, and the big file is intact' '
	timeout -k 5 300 qemu-system-x86_64 -accel tcg -m 256 -nographic -no-reboot \
		-kernel boot-kernel -initrd boot-initrd.img -append "$(cat boot-cmdline)" \
		</dev/null >console 2>&1 &&
	test_grep "UNIKIT-BOOT-OK" console &&
	test_grep "$(cat big.sha256)  /big" console &&
	test_grep "^GenuineIntel.bin" console &&
	! grep -i "initramfs unpacking failed\|junk" console
'

test_done
