// SPDX-License-Identifier: Apache-2.0
/*
 * Garbage collection: blobs that no entry of index.json reaches go, and so do
 * temporary files that a killed process left behind, the registry client's
 * partial downloads, and its records of where the removed blobs came from. Every process holds
 * STORE/.gc.lock shared while it has the store open (it may be about to name
 * a blob it just wrote, or to read one), so the collector takes it exclusive
 * and works alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/store-internal.h"

static int gc_lock_exclusive(struct store *store, bool wait, struct uk_err *err)
{
	if (store->gc_fd < 0)
		return uk_err_setc(err, EROFS, "store '%s' is read-only", store->dir);
	if (store_flock(store->gc_fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0)
		return 0;
	int e = errno;
	/* a failed conversion has dropped the shared lock: take it back */
	store_flock(store->gc_fd, LOCK_SH);
	errno = e;
	if (e == EWOULDBLOCK)
		return uk_err_setc(err, EWOULDBLOCK, "store '%s' is in use by another process",
				   store->dir);
	return uk_err_errno(err, "lock store '%s'", store->dir);
}

static void gc_lock_shared(struct store *store)
{
	store_flock(store->gc_fd, LOCK_SH);
}

static int mark(void *ctx, const struct oci_desc *desc, struct uk_err *err)
{
	digest_set_add(ctx, desc->digest);
	return 0;
}

static int reachable_set(struct store *store, struct digest_set *set, struct uk_err *err)
{
	struct store_entry *entries = NULL;
	size_t n = 0;
	int r = 0;

	if (store_list(store, &entries, &n, err) < 0)
		return -1;
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = store_walk(store, &entries[i].desc, NULL, STORE_WALK_SKIP_MISSING, mark, set,
			       err);
		if (r < 0)
			uk_err_wrap(err, "image '%s'",
				    entries[i].name ? entries[i].name : "(unnamed)");
	}
	store_entries_free(entries, n);
	return r;
}

static bool is_hex64(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	}
	return n == 64;
}

/* Removes the files of a directory that keep() does not want. */
static int sweep_dir(struct store *store, int dfd, const char *what,
		     bool (*keep)(const char *name, const void *ctx), const void *ctx,
		     size_t *count, int64_t *bytes, struct uk_err *err)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return uk_err_errno(err, "store '%s': open '%s'", store->dir, what);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return uk_err_errno(err, "store '%s': open '%s'", store->dir, what);
	}
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || keep(de->d_name, ctx))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (unlinkat(dfd, de->d_name, 0) < 0) {
			if (errno == ENOENT)
				continue;
			r = uk_err_errno(err, "store '%s': remove '%s/%s'", store->dir, what,
					 de->d_name);
			break;
		}
		(*count)++;
		if (bytes)
			*bytes += st.st_size;
	}
	closedir(d);
	return r;
}

struct keep_blobs {
	const struct digest_set *reachable;
	const struct digest_set *candidates; /* NULL: every blob is a candidate */
};

static bool keep_blob(const char *name, const void *ctx)
{
	const struct keep_blobs *k = ctx;

	if (!is_hex64(name))
		return k->candidates != NULL; /* not a blob: only a full collection removes it */
	if (k->candidates && !digest_set_has(k->candidates, name))
		return true;
	return digest_set_has(k->reachable, name);
}

static bool keep_nothing(const char *name, const void *ctx)
{
	return false;
}

/* What fs_write_file_atomic() leaves in the store directory when it is killed. */
static bool keep_unless_atomic_tmp(const char *name, const void *ctx)
{
	bool tmp =
		(name[0] == '.' && strstr(name, ".tmp-") &&
		 (str_has_prefix(name, ".index.json.") || str_has_prefix(name, ".oci-layout."))) ||
		(str_has_prefix(name, ".unikit-") && str_has_suffix(name, ".tmp"));
	return !tmp;
}

/* A record of where a blob came from stays while the blob does (the blob sweep has run). */
static bool keep_source(const char *name, const void *ctx)
{
	const struct store *store = ctx;
	struct stat st;

	return is_hex64(name) && fstatat(store->blobs_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* sweep_dir() on a directory of the store that may not exist. */
static int sweep_subdir(struct store *store, const char *name,
			bool (*keep)(const char *name, const void *ctx), const void *ctx,
			size_t *count, int64_t *bytes, struct uk_err *err)
{
	_cleanup_close_ int dfd =
		openat(store->dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return uk_err_errno(err, "store '%s': open '%s'", store->dir, name);
	}
	return sweep_dir(store, dfd, name, keep, ctx, count, bytes, err);
}

static int collect(struct store *store, const struct digest_set *candidates,
		   struct store_gc_stats *stats, struct uk_err *err)
{
	struct digest_set reachable = DIGEST_SET_INIT;
	struct keep_blobs k = { .reachable = &reachable, .candidates = candidates };
	struct store_gc_stats st = { 0 };
	int r = reachable_set(store, &reachable, err);

	if (r == 0)
		r = sweep_dir(store, store->blobs_fd, "blobs/sha256", keep_blob, &k, &st.blobs,
			      &st.bytes, err);
	if (r == 0 && !candidates) {
		/* alone with the store: every temporary is a dead process's */
		r = sweep_dir(store, store->tmp_fd, ".tmp", keep_nothing, NULL, &st.temporaries,
			      NULL, err);
		if (r == 0 && (r = store_lock(store, LOCK_EX, err)) == 0) {
			r = sweep_dir(store, store->dfd, ".", keep_unless_atomic_tmp, NULL,
				      &st.temporaries, NULL, err);
			store_unlock(store);
		}
		/*
		 * Alone with the store, no pull is running either: every partial
		 * download was left by one that died. Resuming it would save bytes,
		 * but clean is what reclaims space, and nothing names a partial.
		 */
		if (r == 0)
			r = sweep_subdir(store, STORE_DIR_PARTIAL, keep_nothing, NULL, &st.partials,
					 &st.partial_bytes, err);
		if (r == 0)
			r = sweep_subdir(store, STORE_DIR_SOURCES, keep_source, store, &st.sources,
					 NULL, err);
	}
	digest_set_release(&reachable);
	if (r == 0 && stats)
		*stats = st;
	return r;
}

int store_gc(struct store *store, bool wait, struct store_gc_stats *stats, struct uk_err *err)
{
	if (gc_lock_exclusive(store, wait, err) < 0)
		return -1;
	int r = collect(store, NULL, stats, err);
	gc_lock_shared(store);
	return r;
}

int store_gc_candidates(struct store *store, const struct digest_set *candidates,
			struct uk_err *err)
{
	if (candidates->n == 0 || store->gc_fd < 0)
		return 0;
	if (gc_lock_exclusive(store, false, err) < 0) {
		if (err->code != EWOULDBLOCK)
			return -1;
		/* someone else has the store open: `cache clean` will do it */
		uk_err_release(err);
		return 0;
	}
	int r = collect(store, candidates, NULL, err);
	gc_lock_shared(store);
	return r;
}
