// SPDX-License-Identifier: Apache-2.0
/*
 * Drives the format writers of src/output/ from plain inputs, for the format
 * tests (tests/e2e/lib-formats.sh builds it against build/libunikit.a):
 *   lib-formats-driver BOOTFORMAT OUT KERNEL INITRD CMDLINE
 *       uki raw-bios raw-efi iso-bios iso-efi iso-efi-initrd
 *   lib-formats-driver DISKFORMAT OUT RAW
 *       qcow2 vhd dynamic-vhd vmdk gcp
 *   lib-formats-driver ROOTFORMAT OUT ROOT.TAR
 *       root-tar squashfs erofs root-iso root-initrd docker oci
 *   lib-formats-driver root-cmdline - CMDLINE DEV FSTYPE
 * SIZE (-size syntax), EPOCH, NAME, TMPDIR, SIGN_KEY and SIGN_CERT come from
 * the environment.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/boot.h"
#include "output/disk.h"
#include "output/root.h"
#include "output/vdisk.h"
#include "util/err.h"
#include "util/fs.h"

/* Walks a tar as a build walks its assembled root. */
static ssize_t tar_read(void *rd, void *buf, size_t len, struct uk_err *err)
{
	la_ssize_t n = archive_read_data(rd, buf, len);
	if (n < 0)
		return uk_err_set(err, "read: %s", archive_error_string(rd));
	return n;
}

static int tar_walk(void *src, output_entry_fn fn, void *ctx, struct uk_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r = -1;

	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, src, 1 << 16) != ARCHIVE_OK) {
		uk_err_set(err, "open '%s': %s", (char *)src, archive_error_string(a));
		goto out;
	}
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		char *path = xstrdup(archive_entry_pathname(ae));
		size_t l = strlen(path);
		while (l && path[l - 1] == '/')
			path[--l] = '\0';
		struct rootfs_entry e = {
			.path = path,
			.mode = archive_entry_mode(ae),
			.uid = (uint32_t)archive_entry_uid(ae),
			.gid = (uint32_t)archive_entry_gid(ae),
			.size = (uint64_t)archive_entry_size(ae),
			.linkname = archive_entry_hardlink(ae) ? archive_entry_hardlink(ae)
							       : archive_entry_symlink(ae),
			.hardlink = archive_entry_hardlink(ae) != NULL,
			.rdev_major = (uint32_t)archive_entry_rdevmajor(ae),
			.rdev_minor = (uint32_t)archive_entry_rdevminor(ae),
			.mtime = archive_entry_mtime(ae),
		};
		if (e.hardlink)
			e.size = 0;
		int k = fn(ctx, &e, tar_read, a, err);
		free(path);
		if (k < 0)
			goto out;
	}
	r = 0;
out:
	archive_read_free(a);
	return r;
}

static int fd_out(const char *path, int (*fn)(int fd, void *c, struct uk_err *err), void *c,
		  struct uk_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return uk_err_errno(err, "create '%s'", path);
	int r = fn(fd, c, err);
	close(fd);
	return r;
}

struct call {
	const char *fmt, *in;
	struct output_boot *b;
};

static int with_fd(int fd, void *c, struct uk_err *err)
{
	struct call *k = c;
	struct output_tar_info info;
	struct output_image_opts o = { .name = k->b->name, .arch = "amd64", .epoch = k->b->epoch };

	if (!strcmp(k->fmt, "gcp"))
		return output_gcp_write(k->in, fd, k->b->epoch, err);
	if (!strcmp(k->fmt, "root-initrd"))
		return output_root_initrd_write(k->in, fd, k->b->epoch, err);
	/* the images take a tar this library wrote (its digest names the layer) */
	_cleanup_free_ char *tar = xasprintf("%s/driver-root.tar", k->b->tmpdir);
	struct output_root root = { .walk = tar_walk, .src = (void *)k->in };
	if (output_root_tar_write(&root, tar, k->b->epoch, &info, err) < 0)
		return -1;
	int r = !strcmp(k->fmt, "docker") ? output_docker_write(tar, &info, &o, fd, err)
					  : output_oci_write(tar, &info, &o, fd, err);
	unlink(tar);
	return r;
}

int main(int argc, char **argv)
{
	struct uk_err err = { 0 };
	struct output_boot b = { 0 };
	uint64_t size = OUTPUT_DISK_DEFAULT_SIZE;
	int r;

	if (argc < 4) {
		fprintf(stderr, "usage: %s FORMAT OUT INPUT...\n", argv[0]);
		return 2;
	}
	const char *fmt = argv[1], *out = argv[2], *in = argv[3];
	const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
	b.kernel = in;
	b.initrd = argc > 4 && *argv[4] ? argv[4] : NULL;
	b.cmdline = argc > 5 ? argv[5] : "";
	b.name = getenv("NAME") ? getenv("NAME") : "test";
	b.tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	b.epoch = getenv("EPOCH") ? strtoll(getenv("EPOCH"), NULL, 10) : 0;
	b.sign_key = getenv("SIGN_KEY");
	b.sign_cert = getenv("SIGN_CERT");
	if (getenv("SIZE") && output_size_parse(getenv("SIZE"), &size, &err) < 0)
		goto fail;
	struct call call = { .fmt = fmt, .in = in, .b = &b };
	_cleanup_free_ char *stage = xasprintf("%s/driver-stage", b.tmpdir);
	struct output_tar_info info;
	struct output_root root = { .walk = tar_walk, .src = (void *)in };

	if (!strcmp(fmt, "uki"))
		r = output_uki_make(&b, out, &err);
	else if (!strcmp(fmt, "raw-bios"))
		r = output_disk_bios_make(&b, size, out, &err);
	else if (!strcmp(fmt, "raw-efi"))
		r = output_disk_efi_make(&b, size, out, &err);
	else if (!strcmp(fmt, "iso-bios"))
		r = output_iso_bios_make(&b, out, &err);
	else if (!strcmp(fmt, "iso-efi"))
		r = output_iso_efi_make(&b, out, &err);
	else if (!strcmp(fmt, "iso-efi-initrd"))
		r = output_iso_efi_initrd_make(&b, out, &err);
	else if (!strcmp(fmt, "qcow2"))
		r = output_vdisk_convert(in, OUTPUT_VDISK_QCOW2, out, base, b.epoch, &err);
	else if (!strcmp(fmt, "vhd"))
		r = output_vdisk_convert(in, OUTPUT_VDISK_VHD_FIXED, out, base, b.epoch, &err);
	else if (!strcmp(fmt, "dynamic-vhd"))
		r = output_vdisk_convert(in, OUTPUT_VDISK_VHD_DYNAMIC, out, base, b.epoch, &err);
	else if (!strcmp(fmt, "vmdk"))
		r = output_vdisk_convert(in, OUTPUT_VDISK_VMDK, out, base, b.epoch, &err);
	else if (!strcmp(fmt, "root-tar")) {
		r = output_root_tar_write(&root, out, b.epoch, &info, &err);
		if (r == 0)
			printf("%s %llu\n", info.sha256, (unsigned long long)info.size);
	} else if (!strcmp(fmt, "squashfs"))
		r = output_squashfs_make(in, out, b.epoch, &err);
	else if (!strcmp(fmt, "erofs") || !strcmp(fmt, "root-iso")) {
		r = output_root_stage(in, stage, &err);
		if (r == 0 && !strcmp(fmt, "erofs"))
			r = output_erofs_make(stage, out, "driver", b.epoch, &err);
		else if (r == 0)
			r = output_rootiso_make(stage, out, base, b.epoch, &err);
		_cleanup_free_ char *state = xasprintf("%s.fakeroot", stage);
		unlink(state);
		struct uk_err e2 = { 0 };
		fs_rm_rf(stage, &e2);
		uk_err_release(&e2);
	} else if (!strcmp(fmt, "root-cmdline")) {
		char *c = output_root_cmdline(in);
		puts(c);
		free(c);
		r = 0;
	} else if (!strcmp(fmt, "gcp") || !strcmp(fmt, "root-initrd") || !strcmp(fmt, "docker") ||
		   !strcmp(fmt, "oci"))
		r = fd_out(out, with_fd, &call, &err);
	else {
		fprintf(stderr, "unknown format '%s'\n", fmt);
		return 2;
	}
	if (r == 0)
		return 0;
fail:
	fprintf(stderr, "error: %s\n", err.msg);
	uk_err_release(&err);
	return 1;
}
