// SPDX-License-Identifier: Apache-2.0
/* Applying a tar stream (an image layer, kernel.tar) to a tree, with OCI whiteouts. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rootfs/internal.h"

#define READ_BUF (128u * 1024)

struct reader {
	const struct rootfs_tar_src *src;
	struct uk_err err; /* what the source said when it failed */
	bool eof;
	uint8_t buf[READ_BUF];
};

static la_ssize_t read_cb(struct archive *a, void *ctx, const void **buf)
{
	struct reader *rd = ctx;

	if (rd->eof)
		return 0;
	ssize_t n = rd->src->read(rd->src->ctx, rd->buf, sizeof(rd->buf), &rd->err);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", rd->err.msg ? rd->err.msg : "read error");
		return -1;
	}
	if (n == 0)
		rd->eof = true;
	*buf = rd->buf;
	return n;
}

/* Reads what the archive left unread, so the source can check the digest of all of it. */
static int drain(struct reader *rd, struct uk_err *err)
{
	while (!rd->eof) {
		ssize_t n = rd->src->read(rd->src->ctx, rd->buf, sizeof(rd->buf), err);
		if (n < 0)
			return -1;
		if (n == 0)
			rd->eof = true;
	}
	return 0;
}

static void opaque_clear(struct rootfs_tree *t, struct rootfs_node *dir, uint32_t layer)
{
	struct rootfs_node *c = dir->first;

	while (c) {
		struct rootfs_node *next = c->next;
		if (c->layer < layer)
			rootfs_tree_remove(t, c);
		else if (S_ISDIR(c->mode))
			opaque_clear(t, c, layer);
		c = next;
	}
}

/* Handles a whiteout entry; *done is false when path is not one. */
static int whiteout(struct rootfs *r, struct rootfs_node *root, char *path, uint32_t layer,
		    bool *done, struct uk_err *err)
{
	char *slash = strrchr(path, '/');
	char *base = slash ? slash + 1 : path;
	struct rootfs_node *dir, *n;

	*done = false;
	if (strncmp(base, ".wh.", 4) != 0)
		return 0;
	*done = true;
	if (slash)
		*slash = '\0';
	const char *dirpath = slash ? path : "";
	int rc = rootfs_resolve_existing(&r->tree, root, dirpath, &dir, err);
	if (rc < 0 && err->code == UK_ERR_NOT_FOUND) {
		/* nothing below to hide */
		uk_err_release(err);
		rc = 0;
		dir = NULL;
	}
	if (slash)
		*slash = '/';
	if (rc < 0)
		return -1;
	if (!dir || !S_ISDIR(dir->mode))
		return 0;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		opaque_clear(&r->tree, dir, layer);
		return 0;
	}
	if (strncmp(base, ".wh..wh.", 8) == 0)
		return 0; /* aufs bookkeeping, meaningless here */
	n = rootfs_tree_lookup(&r->tree, dir, base + 4, strlen(base + 4));
	if (n && n->layer < layer)
		rootfs_tree_remove(&r->tree, n);
	return 0;
}

static int hardlink(struct rootfs *r, struct rootfs_node *root, const char *path,
		    const char *target, uint32_t layer, struct uk_err *err)
{
	_cleanup_free_ char *clean = xmalloc(strlen(target) + 1);
	struct rootfs_node *t, *dir, *n;
	const char *base;

	if (rootfs_path_clean(target, clean, err) < 0 ||
	    rootfs_resolve_existing(&r->tree, root, clean, &t, err) < 0)
		return uk_err_wrap(err, "hard link to '%s'", target);
	if (S_ISDIR(t->mode))
		return uk_err_setc(err, UK_ERR_INPUT, "hard link to '%s': a directory", target);
	if (rootfs_resolve_parent(&r->tree, root, path, layer, &dir, &base, err) < 0)
		return -1;
	n = rootfs_tree_lookup(&r->tree, dir, base, strlen(base));
	if (n == t)
		return 0;
	for (struct rootfs_node *p = t->parent; n && p; p = p->parent) {
		if (p == n)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "hard link to '%s' would replace a directory above it",
					   target);
	}
	if (n)
		rootfs_tree_remove(&r->tree, n);
	n = rootfs_tree_add(&r->tree, dir, base, strlen(base), t->mode);
	n->uid = t->uid;
	n->gid = t->gid;
	n->layer = layer;
	n->size = t->size;
	n->off = t->off;
	n->rdev_major = t->rdev_major;
	n->rdev_minor = t->rdev_minor;
	if (t->linkname)
		n->linkname = xstrdup(t->linkname);
	if (S_ISREG(t->mode)) {
		n->ino = t->ino;
		n->linked = t->linked = true;
	}
	return 0;
}

/* Copies the current entry's data into the spool (holes of sparse files as zeros). */
static int spool_entry_data(struct rootfs *r, struct archive *a, uint64_t size, uint64_t *off,
			    struct uk_err *err)
{
	static const uint8_t zeros[4096];
	uint64_t done = 0;

	*off = rootfs_spool_size(r->spool);
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t at;
		int rc = archive_read_data_block(a, &buf, &len, &at);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN)
			return uk_err_setc(err, UK_ERR_CORRUPT, "%s", archive_error_string(a));
		if (at < 0 || (uint64_t)at < done || (uint64_t)at + len > size)
			return uk_err_setc(err, UK_ERR_CORRUPT, "data outside the entry's size");
		while (done < (uint64_t)at) {
			size_t n = (uint64_t)at - done < sizeof(zeros)
					   ? (size_t)((uint64_t)at - done)
					   : sizeof(zeros);
			if (rootfs_spool_write(r->spool, zeros, n, err) < 0)
				return -1;
			done += n;
		}
		if (rootfs_spool_write(r->spool, buf, len, err) < 0)
			return -1;
		done += len;
	}
	while (done < size) {
		size_t n = size - done < sizeof(zeros) ? (size_t)(size - done) : sizeof(zeros);
		if (rootfs_spool_write(r->spool, zeros, n, err) < 0)
			return -1;
		done += n;
	}
	return 0;
}

static int owner(la_int64_t v, uint32_t *out, struct uk_err *err)
{
	if (v < 0 || v > (la_int64_t)UINT32_MAX)
		return uk_err_setc(err, UK_ERR_CORRUPT, "owner %lld out of range", (long long)v);
	*out = (uint32_t)v;
	return 0;
}

static ssize_t entry_read(void *ctx, void *buf, size_t len, struct uk_err *err)
{
	la_ssize_t n = archive_read_data(ctx, buf, len);

	if (n < 0)
		return uk_err_setc(err, UK_ERR_CORRUPT, "%s", archive_error_string(ctx));
	return n;
}

static int apply_entry(struct rootfs *r, struct rootfs_node *root, struct archive *a,
		       struct archive_entry *e, bool whiteouts, uint32_t layer,
		       struct rootfs_tar_hook *hook, struct uk_err *err)
{
	const char *name = archive_entry_pathname(e);
	struct rootfs_meta m = { 0 };
	bool done;

	if (!name)
		return uk_err_setc(err, UK_ERR_CORRUPT, "an entry without a name");
	_cleanup_free_ char *path = xmalloc(strlen(name) + 1);
	if (rootfs_path_clean(name, path, err) < 0)
		return -1;
	if (!*path)
		return 0; /* the root directory itself ("./") */
	if (whiteouts) {
		if (whiteout(r, root, path, layer, &done, err) < 0)
			return uk_err_wrap(err, "'%s'", name);
		if (done)
			return 0;
	}
	const char *target = archive_entry_hardlink(e);
	if (target) {
		if (hardlink(r, root, path, target, layer, err) < 0)
			return uk_err_wrap(err, "'%s'", name);
		return 0;
	}
	if (hook && archive_entry_filetype(e) == AE_IFREG && strcmp(path, hook->path) == 0) {
		struct rootfs_tar_src data = { .read = entry_read, .ctx = a };
		hook->seen = true;
		if (hook->fn(hook->ctx, &data, err) < 0)
			return uk_err_wrap(err, "'%s'", name);
		return 0;
	}
	m.mode = archive_entry_mode(e);
	if (owner(archive_entry_uid(e), &m.uid, err) < 0 ||
	    owner(archive_entry_gid(e), &m.gid, err) < 0)
		return uk_err_wrap(err, "'%s'", name);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG: {
		la_int64_t size = archive_entry_size(e);
		if (size < 0)
			return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': negative size", name);
		m.size = (uint64_t)size;
		if (spool_entry_data(r, a, m.size, &m.off, err) < 0)
			return uk_err_wrap(err, "'%s'", name);
		break;
	}
	case AE_IFLNK:
		m.linkname = archive_entry_symlink(e);
		if (!m.linkname)
			return uk_err_setc(err, UK_ERR_CORRUPT,
					   "'%s': symbolic link without a target", name);
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		m.rdev_major = (uint32_t)archive_entry_rdevmajor(e);
		m.rdev_minor = (uint32_t)archive_entry_rdevminor(e);
		break;
	case AE_IFDIR:
	case AE_IFIFO:
	case AE_IFSOCK:
		break;
	default:
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': unsupported entry type 0%o", name,
				   (unsigned)archive_entry_filetype(e));
	}
	m.mode = (archive_entry_filetype(e) & S_IFMT) | (m.mode & 07777);
	if (rootfs_tree_put(&r->tree, root, path, &m, layer, NULL, err) < 0)
		return uk_err_wrap(err, "'%s'", name);
	return 0;
}

int rootfs_apply_tar(struct rootfs *r, struct rootfs_node *root, const struct rootfs_tar_src *src,
		     bool whiteouts, struct uk_err *err)
{
	return rootfs_apply_tar_hook(r, root, src, whiteouts, NULL, err);
}

int rootfs_apply_tar_hook(struct rootfs *r, struct rootfs_node *root,
			  const struct rootfs_tar_src *src, bool whiteouts,
			  struct rootfs_tar_hook *hook, struct uk_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct reader *rd = xcalloc(1, sizeof(*rd));
	uint32_t layer = ++r->tree.next_layer;
	int rc = -1;

	rd->src = src;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_tar(a);
	if (archive_read_open2(a, rd, NULL, read_cb, NULL, NULL) != ARCHIVE_OK) {
		if (rd->err.msg)
			uk_err_setc(err, rd->err.code, "%s", rd->err.msg);
		else
			uk_err_setc(err, UK_ERR_CORRUPT, "not a tar archive: %s",
				    archive_error_string(a));
		goto out;
	}
	for (;;) {
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			if (rd->err.msg)
				uk_err_setc(err, rd->err.code, "%s", rd->err.msg);
			else
				uk_err_setc(err, UK_ERR_CORRUPT, "%s", archive_error_string(a));
			goto out;
		}
		if (apply_entry(r, root, a, e, whiteouts, layer, hook, err) < 0) {
			if (rd->err.msg && err->code == UK_ERR_CORRUPT) {
				/* the source's own failure says more than libarchive's */
				uk_err_release(err);
				uk_err_setc(err, rd->err.code, "%s", rd->err.msg);
			}
			goto out;
		}
	}
	if (rd->err.msg) {
		uk_err_setc(err, rd->err.code, "%s", rd->err.msg);
		goto out;
	}
	rc = drain(rd, err);
out:
	archive_read_free(a);
	uk_err_release(&rd->err);
	free(rd);
	return rc;
}

struct spool_src {
	struct rootfs *r;
	uint64_t off, left;
};

static ssize_t spool_src_read(void *ctx, void *buf, size_t len, struct uk_err *err)
{
	struct spool_src *s = ctx;

	if (len > s->left)
		len = (size_t)s->left;
	if (len && rootfs_spool_pread(s->r->spool, buf, len, s->off, err) < 0)
		return -1;
	s->off += len;
	s->left -= len;
	return (ssize_t)len;
}

int rootfs_apply_spooled_tar(struct rootfs *r, struct rootfs_node *root, uint64_t off,
			     uint64_t size, struct uk_err *err)
{
	struct spool_src s = { .r = r, .off = off, .left = size };
	struct rootfs_tar_src src = { .read = spool_src_read, .ctx = &s };

	return rootfs_apply_tar(r, root, &src, false, err);
}
