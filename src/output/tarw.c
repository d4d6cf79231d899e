// SPDX-License-Identifier: Apache-2.0
#include "output/tarw.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAR_BUF (256u * 1024)

struct output_tar {
	struct archive *a;
	struct archive_entry *e;
	int fd;
	struct uk_err werr; /* a failed write, as seen by the callback */
	char *buf;
};

static la_ssize_t write_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct output_tar *t = ctx;

	if (xwrite_all(t->fd, buf, len) < 0) {
		if (!t->werr.msg)
			uk_err_errno(&t->werr, "write the tar archive");
		archive_set_error(a, errno, "write failed");
		return -1;
	}
	return (la_ssize_t)len;
}

static int fail(struct output_tar *t, struct uk_err *err)
{
	if (t->werr.msg) {
		int code = t->werr.code;
		char *msg = t->werr.msg;
		t->werr.msg = NULL;
		uk_err_setc(err, code, "%s", msg);
		free(msg);
		return -1;
	}
	return uk_err_set(err, "write the tar archive: %s", archive_error_string(t->a));
}

int output_tar_new(struct output_tar **out, int fd, struct uk_err *err)
{
	struct output_tar *t = xcalloc(1, sizeof(*t));

	t->fd = fd;
	t->a = archive_write_new();
	t->e = archive_entry_new();
	t->buf = xmalloc(TAR_BUF);
	archive_write_set_format_pax_restricted(t->a);
	archive_write_add_filter_none(t->a);
	if (archive_write_open2(t->a, t, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		fail(t, err);
		output_tar_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

static void entry_common(struct archive_entry *ae, const char *name, mode_t mode, uint32_t uid,
			 uint32_t gid, int64_t mtime)
{
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, name);
	archive_entry_set_mode(ae, mode);
	archive_entry_set_uid(ae, uid);
	archive_entry_set_gid(ae, gid);
	archive_entry_set_mtime(ae, mtime, 0);
}

int output_tar_entry(struct output_tar *t, const struct rootfs_entry *e, struct rootfs_data *data,
		     struct uk_err *err)
{
	entry_common(t->e, e->path, e->mode, e->uid, e->gid, e->mtime);
	if (e->hardlink) {
		archive_entry_set_hardlink(t->e, e->linkname);
		archive_entry_set_size(t->e, 0);
	} else if (S_ISREG(e->mode)) {
		archive_entry_set_size(t->e, (la_int64_t)e->size);
	} else if (S_ISLNK(e->mode)) {
		archive_entry_set_symlink(t->e, e->linkname);
	} else if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
		archive_entry_set_rdevmajor(t->e, e->rdev_major);
		archive_entry_set_rdevminor(t->e, e->rdev_minor);
	}
	if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
		return fail(t, err);
	if (!data)
		return 0;
	for (;;) {
		ssize_t n = rootfs_data_read(data, t->buf, TAR_BUF, err);
		if (n < 0)
			return uk_err_wrap(err, "'%s'", e->path);
		if (n == 0)
			return 0;
		if (archive_write_data(t->a, t->buf, (size_t)n) != n)
			return fail(t, err);
	}
}

int output_tar_file(struct output_tar *t, const char *name, mode_t perm, int64_t mtime, int fd,
		    uint64_t off, uint64_t len, struct uk_err *err)
{
	entry_common(t->e, name, S_IFREG | perm, 0, 0, mtime);
	archive_entry_set_size(t->e, (la_int64_t)len);
	if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
		return fail(t, err);
	while (len) {
		size_t want = len < TAR_BUF ? (size_t)len : TAR_BUF;
		ssize_t n = pread(fd, t->buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return uk_err_errno(err, "read for '%s'", name);
		if (n == 0)
			return uk_err_set(err, "read for '%s': unexpected end of file", name);
		if (archive_write_data(t->a, t->buf, (size_t)n) != n)
			return fail(t, err);
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int output_tar_bytes(struct output_tar *t, const char *name, mode_t perm, int64_t mtime,
		     const void *data, size_t len, struct uk_err *err)
{
	entry_common(t->e, name, S_IFREG | perm, 0, 0, mtime);
	archive_entry_set_size(t->e, (la_int64_t)len);
	if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
		return fail(t, err);
	if (len && archive_write_data(t->a, data, len) != (la_ssize_t)len)
		return fail(t, err);
	return 0;
}

int output_tar_finish(struct output_tar *t, struct uk_err *err)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		return fail(t, err);
	return 0;
}

void output_tar_free(struct output_tar *t)
{
	if (!t)
		return;
	archive_write_free(t->a);
	archive_entry_free(t->e);
	uk_err_release(&t->werr);
	free(t->buf);
	free(t);
}
