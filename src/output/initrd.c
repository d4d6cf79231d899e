// SPDX-License-Identifier: Apache-2.0
/* The initramfs: cpio newc, gzip, the microcode in front (docs/build.md). */
#include "output/initrd.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/gzip.h"
#include "output/output.h"
#include "util/fs.h"

#define DATA_BUF (256u * 1024)

unsigned output_threads(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		int n = CPU_COUNT(&set);
		return n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
	}
	return 2;
}

int output_copy_fd(int out, int in, uint64_t off, uint64_t len, struct uk_err *err)
{
	_cleanup_free_ char *buf = NULL;

	/* in the kernel when it can (no copy through user space), else by hand */
	while (len) {
		loff_t from = (loff_t)off;
		size_t want = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t n = copy_file_range(in, &from, out, NULL, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			if (len == UINT64_MAX)
				return 0;
			return uk_err_set(err, "read: unexpected end of file");
		}
		off += (uint64_t)n;
		if (len != UINT64_MAX)
			len -= (uint64_t)n;
	}
	if (!len)
		return 0;
	buf = xmalloc(DATA_BUF);
	while (len) {
		size_t want = len < DATA_BUF ? (size_t)len : DATA_BUF;
		ssize_t n = pread(in, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return uk_err_errno(err, "read");
		if (n == 0) {
			if (len == UINT64_MAX)
				return 0;
			return uk_err_set(err, "read: unexpected end of file");
		}
		if (xwrite_all(out, buf, (size_t)n) < 0)
			return uk_err_errno(err, "write");
		off += (uint64_t)n;
		if (len != UINT64_MAX)
			len -= (uint64_t)n;
	}
	return 0;
}

int output_copy_file(const char *dst, const char *src, mode_t mode, struct uk_err *err)
{
	_cleanup_atomic_ struct fs_atomic a = FS_ATOMIC_INIT;
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);

	if (in < 0)
		return uk_err_errno(err, "open '%s'", src);
	if (fs_atomic_open(&a, dst, mode, err) < 0)
		return -1;
	if (output_copy_fd(a.fd, in, 0, UINT64_MAX, err) < 0)
		return uk_err_wrap(err, "write '%s'", dst);
	return fs_atomic_commit(&a, err);
}

char *output_path(const struct output_ctx *ctx, const char *suffix)
{
	return xasprintf("%s/%s%s", ctx->dir ? ctx->dir : ".", ctx->name, suffix);
}

/* ---- cpio newc ---- */

struct cpio {
	struct output_gzip *gz;
	uint64_t offset; /* uncompressed bytes so far, for the 4-byte alignment */
	char *buf;
};

static int cpio_out(struct cpio *c, const void *data, size_t len, struct uk_err *err)
{
	c->offset += len;
	return output_gzip_write(c->gz, data, len, err);
}

static int cpio_pad(struct cpio *c, struct uk_err *err)
{
	static const char zeros[4];
	size_t n = (size_t)(-c->offset & 3);

	return n ? cpio_out(c, zeros, n, err) : 0;
}

static int cpio_header(struct cpio *c, const char *name, uint32_t ino, uint32_t mode, uint32_t uid,
		       uint32_t gid, uint32_t nlink, int64_t mtime, uint64_t size, uint32_t rmaj,
		       uint32_t rmin, struct uk_err *err)
{
	char hdr[111];
	size_t namesize = strlen(name) + 1;

	if (size > UINT32_MAX)
		return uk_err_setc(err, EFBIG, "'%s': larger than the 4 GiB cpio allows", name);
	if (mtime < 0)
		mtime = 0;
	if (mtime > UINT32_MAX)
		mtime = UINT32_MAX;
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino, mode, uid, gid, nlink, (uint32_t)mtime, (uint32_t)size, 0u, 0u, rmaj, rmin,
		 (uint32_t)namesize, 0u);
	if (cpio_out(c, hdr, 110, err) < 0 || cpio_out(c, name, namesize, err) < 0)
		return -1;
	return cpio_pad(c, err);
}

static bool in_boot(const char *path)
{
	return strncmp(path, "boot/", 5) == 0;
}

static int cpio_entry(void *ctx, const struct rootfs_entry *e, struct rootfs_data *data,
		      struct uk_err *err)
{
	struct cpio *c = ctx;
	uint64_t size = 0;

	/* LinuxKit keeps the boot directory itself, empty */
	if (in_boot(e->path))
		return 0;
	if (S_ISREG(e->mode) && !e->hardlink)
		size = e->size;
	else if (S_ISLNK(e->mode))
		size = strlen(e->linkname);
	if (cpio_header(c, e->path, e->ino, e->mode, e->uid, e->gid, e->nlink, e->mtime, size,
			e->rdev_major, e->rdev_minor, err) < 0)
		return -1;
	if (S_ISLNK(e->mode)) {
		if (cpio_out(c, e->linkname, size, err) < 0)
			return -1;
	} else if (data) {
		/* straight from the spool into the compressor's buffer */
		uint64_t left = size;
		while (left) {
			size_t avail;
			void *buf = output_gzip_buffer(c->gz, &avail);
			if (avail > left)
				avail = (size_t)left;
			ssize_t n = rootfs_data_read(data, buf, avail, err);
			if (n < 0)
				return uk_err_wrap(err, "'%s'", e->path);
			if (n == 0)
				return uk_err_set(err, "'%s': data ends early", e->path);
			if (output_gzip_commit(c->gz, (size_t)n, err) < 0)
				return -1;
			c->offset += (uint64_t)n;
			left -= (uint64_t)n;
		}
	}
	return cpio_pad(c, err);
}

int output_initrd_write(struct rootfs *root, int fd, uint64_t *ucode_len, struct uk_err *err)
{
	struct cpio c = { .offset = 0 };
	const char *ucode = rootfs_ucode_path(root);
	int rc = -1;

	*ucode_len = 0;
	if (ucode) {
		_cleanup_close_ int in = open(ucode, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (in < 0 || fstat(in, &st) < 0)
			return uk_err_errno(err, "open '%s'", ucode);
		if (output_copy_fd(fd, in, 0, (uint64_t)st.st_size, err) < 0)
			return uk_err_wrap(err, "microcode");
		*ucode_len = (uint64_t)st.st_size;
	}
	if (output_gzip_new(&c.gz, fd, OUTPUT_GZIP_LEVEL, output_threads(), err) < 0)
		return -1;
	c.buf = xmalloc(DATA_BUF);
	if (rootfs_foreach(root, cpio_entry, &c, err) < 0 ||
	    cpio_header(&c, "TRAILER!!!", 0, 0, 0, 0, 1, 0, 0, 0, 0, err) < 0 ||
	    output_gzip_finish(c.gz, err) < 0)
		goto out;
	rc = 0;
out:
	output_gzip_free(c.gz);
	free(c.buf);
	return rc;
}
