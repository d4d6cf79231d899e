// SPDX-License-Identifier: Apache-2.0
/* The root as one tar, shared by the file system and container image formats. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/root.h"
#include "util/sha256.h"

struct tar_ctx {
	struct archive *a;
	int64_t epoch;
	uint8_t *buf;
	int fd;
	struct sha256 h;
	uint64_t size;
};

static la_ssize_t tar_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct tar_ctx *t = ctx;
	if (xwrite_all(t->fd, buf, len) < 0) {
		archive_set_error(a, errno, "write: %s", strerror(errno));
		return -1;
	}
	sha256_update(&t->h, buf, len);
	t->size += len;
	return (la_ssize_t)len;
}

static int tar_fail(struct archive *a, const char *what, const char *path, struct uk_err *err)
{
	return uk_err_set(err, "%s '%s' in the root tar: %s", what, path,
			  archive_error_string(a) ? archive_error_string(a) : "unknown error");
}

static int tar_entry(void *ctx, const struct rootfs_entry *e, output_read_fn read, void *rd,
		     struct uk_err *err)
{
	struct tar_ctx *t = ctx;
	struct archive_entry *ae;
	int r = -1;

	if (strcmp(e->path, "boot") == 0 || str_has_prefix(e->path, "boot/"))
		return 0;
	ae = archive_entry_new();
	archive_entry_set_pathname(ae, e->path);
	archive_entry_set_mode(ae, e->mode);
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	archive_entry_set_mtime(ae, e->mtime, 0);
	if (e->hardlink) {
		archive_entry_set_hardlink(ae, e->linkname);
		archive_entry_set_size(ae, 0);
	} else if (S_ISLNK(e->mode)) {
		archive_entry_set_symlink(ae, e->linkname);
	} else if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
		archive_entry_set_rdevmajor(ae, e->rdev_major);
		archive_entry_set_rdevminor(ae, e->rdev_minor);
	} else if (S_ISREG(e->mode)) {
		archive_entry_set_size(ae, (la_int64_t)e->size);
	}
	if (archive_write_header(t->a, ae) != ARCHIVE_OK) {
		tar_fail(t->a, "write", e->path, err);
		goto out;
	}
	if (S_ISREG(e->mode) && !e->hardlink) {
		uint64_t done = 0;
		for (;;) {
			ssize_t n = read(rd, t->buf, 1 << 20, err);
			if (n < 0)
				goto out;
			if (n == 0)
				break;
			if (archive_write_data(t->a, t->buf, (size_t)n) != n) {
				tar_fail(t->a, "write", e->path, err);
				goto out;
			}
			done += (uint64_t)n;
		}
		if (done != e->size) {
			uk_err_setc(err, UK_ERR_CORRUPT,
				    "'%s': %llu bytes where %llu were announced", e->path,
				    (unsigned long long)done, (unsigned long long)e->size);
			goto out;
		}
	}
	r = 0;
out:
	archive_entry_free(ae);
	return r;
}

int output_root_tar_write(const struct output_root *r, const char *path, int64_t epoch,
			  struct output_tar_info *info, struct uk_err *err)
{
	struct tar_ctx t = { .epoch = epoch };
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = -1;

	if (fd < 0)
		return uk_err_errno(err, "create '%s'", path);
	t.fd = fd;
	sha256_init(&t.h);
	t.a = archive_write_new();
	t.buf = xmalloc(1 << 20);
	/* pax only where ustar cannot say it (long names, large ids): nothing else varies */
	if (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t.a, 1) != ARCHIVE_OK ||
	    archive_write_open(t.a, &t, NULL, tar_write, NULL) != ARCHIVE_OK) {
		tar_fail(t.a, "open", path, err);
		goto out;
	}
	if (r->walk(r->src, tar_entry, &t, err) < 0)
		goto out;
	if (archive_write_close(t.a) != ARCHIVE_OK) {
		tar_fail(t.a, "close", path, err);
		goto out;
	}
	sha256_final_hex(&t.h, info->sha256);
	info->size = t.size;
	ret = 0;
out:
	archive_write_free(t.a);
	sha256_release(&t.h);
	free(t.buf);
	return ret;
}
