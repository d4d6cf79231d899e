// SPDX-License-Identifier: Apache-2.0
/*
 * Reproducible tar from the entry tree: sorted entries, one mtime, numeric
 * owners and no user names, hard links for shared data.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pkg/pkg-internal.h"

struct tar_sink {
	tar_write_fn fn;
	void *ctx;
	struct uk_err *err;
	bool failed;
};

static la_ssize_t sink_write(struct archive *a, void *data, const void *buf, size_t len)
{
	struct tar_sink *s = data;

	if (s->failed)
		return -1;
	if (s->fn(s->ctx, buf, len, s->err) < 0) {
		s->failed = true;
		archive_set_error(a, EIO, "write failed");
		return -1;
	}
	return (la_ssize_t)len;
}

static int archive_fail(struct tar_sink *s, struct archive *a, const char *what)
{
	if (s->failed)
		return uk_err_wrap(s->err, "%s", what);
	return uk_err_set(s->err, "%s: %s", what, archive_error_string(a));
}

static mode_t type_bits(enum tree_type type)
{
	switch (type) {
	case TREE_DIR:
		return AE_IFDIR;
	case TREE_REG:
		return AE_IFREG;
	case TREE_SYMLINK:
		return AE_IFLNK;
	case TREE_CHR:
		return AE_IFCHR;
	case TREE_BLK:
		return AE_IFBLK;
	case TREE_FIFO:
		return AE_IFIFO;
	}
	return AE_IFREG;
}

/* Remembers the first path written for each shared data id, for the hard links after it. */
struct link_map {
	uint64_t *ids;
	const char **paths;
	size_t n, alloc, alloc2;
};

static const char *link_find(const struct link_map *m, uint64_t id)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->ids[i] == id)
			return m->paths[i];
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* True when id appears at least twice in the sorted ids. */
static bool id_shared(const uint64_t *ids, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + 1 < n && ids[lo] == id && ids[lo + 1] == id;
}

int tar_write_tree(struct tree *t, int64_t epoch, tar_write_fn fn, void *ctx, struct uk_err *err)
{
	struct tar_sink sink = { .fn = fn, .ctx = ctx, .err = err };
	const struct tree_entry *const *v = tree_sorted(t);
	struct link_map links = { 0 };
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	int ret = -1;

	/* which data ids are shared (hard links): a sorted copy answers quickly */
	size_t n = 0;
	while (v[n])
		n++;
	uint64_t *ids = xcalloc(n + 1, sizeof(*ids));
	size_t n_ids = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->type == TREE_REG)
			ids[n_ids++] = v[i]->data_id;
	}
	qsort(ids, n_ids, sizeof(*ids), cmp_u64);

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, &sink, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
		archive_fail(&sink, a, "start a tar stream");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tree_entry *e = v[i];
		const char *first = NULL;
		bool shared = false;

		archive_entry_clear(ae);
		archive_entry_set_pathname(ae, e->path);
		archive_entry_set_mode(ae, type_bits(e->type) | (e->perm & 07777));
		archive_entry_set_uid(ae, e->uid);
		archive_entry_set_gid(ae, e->gid);
		archive_entry_set_mtime(ae, epoch, 0);
		if (e->type == TREE_REG) {
			shared = id_shared(ids, n_ids, e->data_id);
			first = shared ? link_find(&links, e->data_id) : NULL;
		}
		if (first) {
			archive_entry_set_hardlink(ae, first);
			archive_entry_set_size(ae, 0);
		} else if (e->type == TREE_REG) {
			archive_entry_set_size(ae, (la_int64_t)e->size);
		} else if (e->type == TREE_SYMLINK) {
			archive_entry_set_symlink(ae, e->link);
		} else if (e->type == TREE_CHR || e->type == TREE_BLK) {
			archive_entry_set_rdevmajor(ae, e->rmajor);
			archive_entry_set_rdevminor(ae, e->rminor);
		}
		if (archive_write_header(a, ae) != ARCHIVE_OK) {
			archive_fail(&sink, a, e->path);
			goto out;
		}
		if (e->type != TREE_REG || first)
			continue;
		if (shared) {
			XGROW(links.ids, links.alloc, links.n + 1);
			XGROW(links.paths, links.alloc2, links.n + 1);
			links.ids[links.n] = e->data_id;
			links.paths[links.n++] = e->path;
		}
		char buf[65536];
		for (uint64_t done = 0; done < e->size;) {
			size_t chunk = e->size - done < sizeof(buf) ? (size_t)(e->size - done)
								    : sizeof(buf);
			if (tree_read(t, e->off + done, buf, chunk, err) < 0)
				goto out;
			if (archive_write_data(a, buf, chunk) != (la_ssize_t)chunk) {
				archive_fail(&sink, a, e->path);
				goto out;
			}
			done += chunk;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		archive_fail(&sink, a, "finish the tar stream");
		goto out;
	}
	ret = 0;
out:
	free(ids);
	free(links.ids);
	free(links.paths);
	archive_entry_free(ae);
	archive_write_free(a);
	return ret;
}
