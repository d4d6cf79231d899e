// SPDX-License-Identifier: Apache-2.0
/*
 * Kept partial downloads: while a blob downloads, its bytes also go to
 * STORE/registry-partial/HEX (outside blobs/, so never mistaken for a blob).
 * `cache clean` (store_gc()) removes what killed pulls left there.
 * A pull that dies leaves that file; the next pull feeds it to a new store
 * writer and asks the registry for the rest with a Range request. Nothing is
 * trusted: the store writer checks the whole blob against its digest, and a
 * mismatch removes the partial. An flock keeps two pulls from writing the
 * same partial; the loser downloads without keeping one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/fs.h"

#define LOAD_BUF (1u << 20)

void reg_partial_init(struct reg_partial *pt)
{
	pt->fd = -1;
	pt->path = NULL;
}

int64_t reg_partial_open(struct reg_partial *pt, struct store *store, const struct oci_desc *d,
			 struct store_writer **w)
{
	_cleanup_free_ char *dir = xasprintf("%s/" STORE_DIR_PARTIAL, store_dir(store));
	struct uk_err err = { 0 };
	struct stat st;

	reg_partial_init(pt);
	if (fs_mkdir_p(dir, 0755, &err) < 0) {
		uk_err_release(&err);
		return 0;
	}
	pt->path = xasprintf("%s/%s", dir, d->digest + 7);
	pt->fd = open(pt->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (pt->fd < 0 || flock(pt->fd, LOCK_EX | LOCK_NB) < 0 || fstat(pt->fd, &st) < 0) {
		reg_partial_close(pt);
		return 0;
	}
	if (st.st_size == 0 || st.st_size > d->size) {
		reg_partial_truncate(pt);
		return 0;
	}
	if (store_writer_new(store, w, &err) < 0) {
		uk_err_release(&err);
		reg_partial_truncate(pt);
		return 0;
	}
	_cleanup_free_ char *buf = xmalloc(LOAD_BUF);
	int64_t loaded = 0;
	for (;;) {
		ssize_t n = read(pt->fd, buf, LOAD_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || store_writer_write(*w, buf, (size_t)n, &err) < 0) {
			if (n == 0)
				break;
			uk_err_release(&err);
			store_writer_free(*w);
			*w = NULL;
			reg_partial_truncate(pt);
			return 0;
		}
		loaded += n;
	}
	return loaded;
}

void reg_partial_append(struct reg_partial *pt, const void *data, size_t len)
{
	if (pt->fd >= 0 && xwrite_all(pt->fd, data, len) < 0)
		reg_partial_remove(pt); /* a full disk: go on without keeping a partial */
}

void reg_partial_truncate(struct reg_partial *pt)
{
	if (pt->fd >= 0 && (ftruncate(pt->fd, 0) < 0 || lseek(pt->fd, 0, SEEK_SET) < 0))
		reg_partial_remove(pt);
}

void reg_partial_remove(struct reg_partial *pt)
{
	if (pt->fd >= 0)
		unlink(pt->path);
	reg_partial_close(pt);
}

void reg_partial_close(struct reg_partial *pt)
{
	if (pt->fd >= 0)
		close(pt->fd);
	free(pt->path);
	reg_partial_init(pt);
}
