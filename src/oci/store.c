// SPDX-License-Identifier: Apache-2.0
/*
 * The store: an OCI image layout directory.
 *
 *   STORE/oci-layout          {"imageLayoutVersion":"1.0.0"}
 *   STORE/index.json          the names (org.opencontainers.image.ref.name)
 *   STORE/blobs/sha256/HEX    content, named by its digest, read-only
 *   STORE/.tmp/               blobs being written (unnamed O_TMPFILE files)
 *   STORE/.lock               flock: shared to read index.json, exclusive to rewrite it
 *   STORE/.gc.lock            flock: shared while a process has the store open,
 *                             exclusive while `cache clean` removes blobs
 *
 * A blob is written to an unnamed file in .tmp, hashed as it is written, and
 * linked into blobs/sha256 only when its digest is known (and matches what
 * was expected), so a blob file is complete or absent. Readers hash what they
 * read and fail at the end when the digest does not match.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/store-internal.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strbuf.h"

#define LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"
#define EMPTY_INDEX "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\",\"manifests\":[]}"
#define COPY_BUF (256u << 10)

int store_flock(int fd, int op)
{
	int r;

	do
		r = flock(fd, op);
	while (r < 0 && errno == EINTR);
	return r;
}

int store_lock(struct store *store, int op, struct uk_err *err)
{
	if (store->lock_fd < 0)
		return 0;
	if (store_flock(store->lock_fd, op) < 0)
		return uk_err_errno(err, "lock store '%s'", store->dir);
	return 0;
}

void store_unlock(struct store *store)
{
	if (store->lock_fd >= 0)
		store_flock(store->lock_fd, LOCK_UN);
}

/*
 * Names the store may hold before its oci-layout file exists: another
 * process creating it at this moment, or a creation cut short. The temporary
 * names are fs_write_file_atomic()'s.
 */
static bool is_store_file(const char *name)
{
	static const char *const names[] = {
		".", "..", ".lock", ".gc.lock", ".tmp", "blobs", "index.json", "oci-layout",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(name, names[i]))
			return true;
	}
	return str_has_prefix(name, ".unikit-") || str_has_prefix(name, ".index.json.tmp-") ||
	       str_has_prefix(name, ".oci-layout.tmp-");
}

static int check_new_store_dir(struct store *store, struct uk_err *err)
{
	int fd = openat(store->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return uk_err_errno(err, "open store '%s'", store->dir);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return uk_err_errno(err, "open store '%s'", store->dir);
	}
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		if (!is_store_file(de->d_name)) {
			r = uk_err_setc(err, UK_ERR_INPUT,
					"open store '%s': not an OCI image layout (no oci-layout "
					"file) and not empty (it has '%s')",
					store->dir, de->d_name);
			break;
		}
	}
	closedir(d);
	return r;
}

static int check_layout_file(struct store *store, struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/oci-layout", store->dir);
	_cleanup_free_ char *data = NULL;
	size_t len;

	if (fs_read_file(path, 65536, &data, &len, err) < 0)
		return uk_err_wrap(err, "open store '%s'", store->dir);
	json_t *j = json_loadb(data, len, 0, NULL);
	const char *v = json_string_value(json_object_get(j, "imageLayoutVersion"));
	bool ok = v && str_has_prefix(v, "1.");
	json_decref(j);
	if (!ok)
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "open store '%s': oci-layout does not name image layout version "
				   "1.x",
				   store->dir);
	return 0;
}

static int mkdirat_p(int dfd, const char *name, struct uk_err *err)
{
	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return uk_err_errno(err, "create '%s'", name);
	return 0;
}

static int open_dir_at(int dfd, const char *name, const char *dir, struct uk_err *err)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return uk_err_errno(err, "open store '%s': open '%s'", dir, name);
	return fd;
}

static int store_create_files(struct store *store, struct uk_err *err)
{
	if (mkdirat_p(store->dfd, "blobs", err) < 0 ||
	    mkdirat_p(store->dfd, "blobs/sha256", err) < 0 ||
	    mkdirat_p(store->dfd, ".tmp", err) < 0)
		return -1;
	if (faccessat(store->dfd, "index.json", F_OK, 0) < 0) {
		_cleanup_free_ char *path = xasprintf("%s/index.json", store->dir);
		if (fs_write_file_atomic(path, EMPTY_INDEX "\n", strlen(EMPTY_INDEX "\n"), 0644,
					 err) < 0)
			return -1;
	}
	/* oci-layout last: its presence says the layout is complete */
	if (faccessat(store->dfd, "oci-layout", F_OK, 0) < 0) {
		_cleanup_free_ char *path = xasprintf("%s/oci-layout", store->dir);
		if (fs_write_file_atomic(path, LAYOUT_JSON, strlen(LAYOUT_JSON), 0644, err) < 0)
			return -1;
	}
	return 0;
}

static int store_init_files(struct store *store, bool read_only, struct uk_err *err)
{
	bool complete = faccessat(store->dfd, "oci-layout", F_OK, 0) == 0 &&
			faccessat(store->dfd, "index.json", F_OK, 0) == 0 &&
			faccessat(store->dfd, "blobs/sha256", F_OK, 0) == 0;

	if (!complete && read_only)
		return uk_err_setc(err, UK_ERR_INPUT,
				   "open store '%s': not an OCI image layout (no oci-layout, "
				   "index.json or blobs/sha256)",
				   store->dir);
	if (!complete) {
		/* one process creates it; the others wait and find it done */
		if (store_lock(store, LOCK_EX, err) < 0)
			return -1;
		int r = store_create_files(store, err);
		store_unlock(store);
		if (r < 0)
			return uk_err_wrap(err, "open store '%s'", store->dir);
	} else if (!read_only && mkdirat_p(store->dfd, ".tmp", err) < 0) {
		return uk_err_wrap(err, "open store '%s'", store->dir);
	}
	return check_layout_file(store, err);
}

int store_open(struct store **out, const char *dir, struct uk_err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	bool read_only = false;

	s->dir = xstrdup(dir);
	s->dfd = s->blobs_fd = s->tmp_fd = s->lock_fd = s->gc_fd = -1;
	if (fs_mkdir_p(dir, 0755, err) < 0) {
		if (err->code != EROFS && err->code != EACCES) {
			store_free(s);
			return uk_err_wrap(err, "open store");
		}
		uk_err_release(err);
	}
	s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		uk_err_errno(err, "open store '%s'", dir);
		store_free(s);
		return -1;
	}
	/* refuse a directory of other things before putting a lock file in it */
	if (faccessat(s->dfd, "oci-layout", F_OK, 0) < 0 && check_new_store_dir(s, err) < 0) {
		store_free(s);
		return -1;
	}
	s->lock_fd = openat(s->dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lock_fd < 0) {
		if (errno != EROFS && errno != EACCES) {
			uk_err_errno(err, "open store '%s': create lock file", dir);
			store_free(s);
			return -1;
		}
		/* a store we may not write: read it without locks */
		read_only = true;
	} else {
		s->gc_fd = openat(s->dfd, ".gc.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (s->gc_fd < 0 || store_flock(s->gc_fd, LOCK_SH) < 0) {
			uk_err_errno(err, "open store '%s': lock", dir);
			store_free(s);
			return -1;
		}
	}
	if (store_init_files(s, read_only, err) < 0) {
		store_free(s);
		return -1;
	}
	s->blobs_fd = openat(s->dfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->blobs_fd < 0) {
		uk_err_errno(err, "open store '%s': open 'blobs/sha256'", dir);
		store_free(s);
		return -1;
	}
	if (!read_only) {
		s->tmp_fd = open_dir_at(s->dfd, ".tmp", dir, err);
		if (s->tmp_fd < 0) {
			store_free(s);
			return -1;
		}
	}
	*out = s;
	return 0;
}

void store_free(struct store *store)
{
	if (!store)
		return;
	closep(&store->dfd);
	closep(&store->blobs_fd);
	closep(&store->tmp_fd);
	closep(&store->lock_fd);
	closep(&store->gc_fd); /* closing drops the flock */
	free(store->dir);
	free(store);
}

const char *store_dir(const struct store *store)
{
	return store->dir;
}

/* ---- reading blobs ---- */

struct store_blob {
	int fd;
	struct sha256 h;
	char digest[OCI_DIGEST_MAX];
	int64_t size, got;
	bool done, failed;
	char got_hex[SHA256_HEX_LEN + 1];
};

static int open_blob_fd(struct store *store, const char *digest, struct uk_err *err)
{
	if (!oci_digest_valid(digest))
		return uk_err_setc(err, UK_ERR_INPUT, "invalid digest '%s'", digest);
	int fd = openat(store->blobs_fd, digest + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return uk_err_setc(err, UK_ERR_NOT_FOUND, "blob %s: not in the store",
					   digest);
		return uk_err_errno(err, "blob %s: open", digest);
	}
	return fd;
}

int store_blob_open(struct store *store, const char *digest, struct store_blob **out,
		    struct uk_err *err)
{
	_cleanup_close_ int fd = open_blob_fd(store, digest, err);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return uk_err_errno(err, "blob %s: stat", digest);
	if (!S_ISREG(st.st_mode))
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: not a regular file", digest);
	struct store_blob *b = xcalloc(1, sizeof(*b));
	b->fd = TAKE_FD(fd);
	sha256_init(&b->h);
	snprintf(b->digest, sizeof(b->digest), "%s", digest);
	b->size = st.st_size;
	*out = b;
	return 0;
}

ssize_t store_blob_read(struct store_blob *b, void *buf, size_t len, struct uk_err *err)
{
	ssize_t n;

	if (b->failed)
		goto mismatch;
	if (b->done || len == 0)
		return 0;
	do
		n = read(b->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return uk_err_errno(err, "blob %s: read", b->digest);
	if (n > 0) {
		sha256_update(&b->h, buf, (size_t)n);
		b->got += n;
		return n;
	}
	sha256_final_hex(&b->h, b->got_hex);
	if (strcmp(b->got_hex, b->digest + 7) != 0) {
		/* stays failed: a later read must not look like a clean end */
		b->failed = true;
		goto mismatch;
	}
	b->done = true;
	return 0;
mismatch:
	return uk_err_setc(err, UK_ERR_CORRUPT,
			   "blob %s: content does not match its digest (it is sha256:%s)",
			   b->digest, b->got_hex);
}

int64_t store_blob_size(const struct store_blob *b)
{
	return b->size;
}

void store_blob_close(struct store_blob *b)
{
	if (!b)
		return;
	closep(&b->fd);
	sha256_release(&b->h);
	free(b);
}

int store_blob_read_all(struct store *store, const char *digest, size_t max, char **out,
			size_t *len, struct uk_err *err)
{
	struct store_blob *b = NULL;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	if (store_blob_open(store, digest, &b, err) < 0)
		return -1;
	if ((uint64_t)b->size > max) {
		store_blob_close(b);
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: larger than %zu bytes", digest,
				   max);
	}
	strbuf_grow(&sb, (size_t)b->size + 1);
	for (;;) {
		strbuf_grow(&sb, 4096);
		ssize_t n = store_blob_read(b, sb.buf + sb.len, sb.alloc - sb.len - 1, err);
		if (n < 0) {
			store_blob_close(b);
			return -1;
		}
		if (n == 0)
			break;
		strbuf_setlen(&sb, sb.len + (size_t)n);
		if (sb.len > max) {
			store_blob_close(b);
			return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: larger than %zu bytes",
					   digest, max);
		}
	}
	store_blob_close(b);
	if (len)
		*len = sb.len;
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

bool store_blob_exists(struct store *store, const char *digest)
{
	struct stat st;

	return oci_digest_valid(digest) &&
	       fstatat(store->blobs_fd, digest + 7, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

int store_blob_verify(struct store *store, const char *digest, int64_t *size, struct uk_err *err)
{
	struct store_blob *b = NULL;
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	ssize_t n;

	if (store_blob_open(store, digest, &b, err) < 0)
		return -1;
	while ((n = store_blob_read(b, buf, COPY_BUF, err)) > 0)
		;
	if (n == 0 && size)
		*size = b->size;
	store_blob_close(b);
	return n < 0 ? -1 : 0;
}

int store_blob_json(struct store *store, const char *digest, json_t **out, struct uk_err *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	json_error_t je;

	if (store_blob_read_all(store, digest, STORE_JSON_MAX, &data, &len, err) < 0)
		return -1;
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: invalid JSON: %d:%d: %s", digest,
				   je.line, je.column, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: not a JSON object", digest);
	}
	*out = j;
	return 0;
}

/* ---- writing blobs ---- */

struct store_writer {
	struct store *store;
	int fd;
	char *tmp_name; /* a named temporary in .tmp when O_TMPFILE is not available */
	struct sha256 h;
	int64_t size;
};

int store_writer_new(struct store *store, struct store_writer **out, struct uk_err *err)
{
	char *tmp_name = NULL;
	int fd;

	if (store->tmp_fd < 0)
		return uk_err_setc(err, EROFS, "store '%s' is read-only", store->dir);
	fd = openat(store->tmp_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE here: a named temporary, which `cache clean` removes if we die */
		char *path = xasprintf("%s/.tmp/blob-XXXXXX", store->dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			tmp_name = xstrdup(strrchr(path, '/') + 1);
		free(path);
	}
	if (fd < 0)
		return uk_err_errno(err, "store '%s': create a temporary file", store->dir);
	struct store_writer *w = xcalloc(1, sizeof(*w));
	w->store = store;
	w->fd = fd;
	w->tmp_name = tmp_name;
	sha256_init(&w->h);
	*out = w;
	return 0;
}

int store_writer_write(struct store_writer *w, const void *data, size_t len, struct uk_err *err)
{
	if (w->fd < 0)
		return uk_err_set(err, "write to a finished blob writer");
	if (xwrite_all(w->fd, data, len) < 0)
		return uk_err_errno(err, "store '%s': write a blob", w->store->dir);
	sha256_update(&w->h, data, len);
	w->size += (int64_t)len;
	return 0;
}

static void writer_discard(struct store_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp_name) {
		unlinkat(w->store->tmp_fd, w->tmp_name, 0);
		free(w->tmp_name);
		w->tmp_name = NULL;
	}
	sha256_release(&w->h);
}

/* Gives the unnamed file a temporary name in .tmp (linkat cannot replace a file). */
static int writer_link_tmp(struct store_writer *w, struct uk_err *err)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
	for (int attempt = 0; attempt < 1000; attempt++) {
		char *name = xasprintf("commit-%d-%d-%d", (int)getpid(), attempt, rand());
		if (linkat(AT_FDCWD, proc, w->store->tmp_fd, name, AT_SYMLINK_FOLLOW) == 0) {
			w->tmp_name = name;
			return 0;
		}
		free(name);
		if (errno != EEXIST)
			return uk_err_errno(err, "store '%s': name a new blob", w->store->dir);
	}
	return uk_err_setc(err, EEXIST, "store '%s': name a new blob", w->store->dir);
}

int store_writer_commit_ex(struct store_writer *w, const char *expected,
			   char digest[OCI_DIGEST_MAX], int64_t *size, bool *added,
			   struct uk_err *err)
{
	char hex[SHA256_HEX_LEN + 1];
	char got[OCI_DIGEST_MAX];

	if (w->fd < 0)
		return uk_err_set(err, "commit a finished blob writer");
	sha256_final_hex(&w->h, hex);
	snprintf(got, sizeof(got), "sha256:%s", hex);
	if (expected && strcmp(expected, got) != 0) {
		writer_discard(w);
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "blob %s: content does not match its digest (it is %s)",
				   expected, got);
	}
	if (fchmod(w->fd, 0444) < 0) {
		uk_err_errno(err, "store '%s': write blob %s", w->store->dir, got);
		writer_discard(w);
		return -1;
	}
	if (!w->tmp_name && writer_link_tmp(w, err) < 0) {
		writer_discard(w);
		return -1;
	}
	bool existed = faccessat(w->store->blobs_fd, hex, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (renameat(w->store->tmp_fd, w->tmp_name, w->store->blobs_fd, hex) < 0) {
		uk_err_errno(err, "store '%s': store blob %s", w->store->dir, got);
		writer_discard(w);
		return -1;
	}
	free(w->tmp_name);
	w->tmp_name = NULL;
	int64_t n = w->size;
	writer_discard(w);
	memcpy(digest, got, sizeof(got));
	if (size)
		*size = n;
	if (added)
		*added = !existed;
	return 0;
}

int store_writer_commit(struct store_writer *w, const char *expected, char digest[OCI_DIGEST_MAX],
			int64_t *size, struct uk_err *err)
{
	return store_writer_commit_ex(w, expected, digest, size, NULL, err);
}

void store_writer_free(struct store_writer *w)
{
	if (!w)
		return;
	writer_discard(w);
	free(w);
}

int store_blob_put(struct store *store, const void *data, size_t len, char digest[OCI_DIGEST_MAX],
		   struct uk_err *err)
{
	struct store_writer *w = NULL;
	int r;

	if (store_writer_new(store, &w, err) < 0)
		return -1;
	r = store_writer_write(w, data, len, err);
	if (r == 0)
		r = store_writer_commit(w, NULL, digest, NULL, err);
	store_writer_free(w);
	return r;
}

int store_blob_put_fd_ex(struct store *store, int fd, const char *expected,
			 char digest[OCI_DIGEST_MAX], int64_t *size, bool *added,
			 struct uk_err *err)
{
	struct store_writer *w = NULL;
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	int r = 0;

	if (store_writer_new(store, &w, err) < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = uk_err_errno(err, "read");
			break;
		}
		if (n == 0)
			break;
		r = store_writer_write(w, buf, (size_t)n, err);
		if (r < 0)
			break;
	}
	if (r == 0)
		r = store_writer_commit_ex(w, expected, digest, size, added, err);
	store_writer_free(w);
	return r;
}

int store_blob_put_fd(struct store *store, int fd, const char *expected,
		      char digest[OCI_DIGEST_MAX], int64_t *size, struct uk_err *err)
{
	return store_blob_put_fd_ex(store, fd, expected, digest, size, NULL, err);
}

/* ---- index.json ---- */

const char *store_entry_name(const json_t *entry)
{
	return json_string_value(
		json_object_get(json_object_get(entry, "annotations"), OCI_ANNOT_REF_NAME));
}

int store_index_load(struct store *store, json_t **out, struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/index.json", store->dir);
	_cleanup_free_ char *data = NULL;
	size_t len;
	json_error_t je;

	if (fs_read_file(path, STORE_JSON_MAX, &data, &len, err) < 0)
		return uk_err_wrap(err, "store '%s'", store->dir);
	json_t *idx = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!idx)
		return uk_err_setc(err, UK_ERR_CORRUPT, "%s:%d:%d: %s", path, je.line, je.column,
				   je.text);
	json_t *m = json_object_get(idx, "manifests");
	if (!json_is_object(idx) || (m && !json_is_array(m))) {
		json_decref(idx);
		return uk_err_setc(err, UK_ERR_CORRUPT, "%s: not an OCI image index", path);
	}
	if (!m)
		json_object_set_new(idx, "manifests", json_array());
	*out = idx;
	return 0;
}

struct sort_item {
	json_t *entry;
	size_t pos;
};

static int cmp_entries(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	const char *nx = store_entry_name(x->entry), *ny = store_entry_name(y->entry);

	if (nx && ny && strcmp(nx, ny) != 0)
		return strcmp(nx, ny);
	if (!nx != !ny)
		return nx ? -1 : 1; /* unnamed entries last */
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int store_index_save(struct store *store, json_t *index, struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/index.json", store->dir);
	json_t *m = json_object_get(index, "manifests");
	size_t n = json_array_size(m);

	/* sorted by name, so the file does not depend on the order of imports */
	_cleanup_free_ struct sort_item *items = xcalloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		items[i].entry = json_incref(json_array_get(m, i));
		items[i].pos = i;
	}
	qsort(items, n, sizeof(*items), cmp_entries);
	json_t *sorted = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(sorted, items[i].entry);
	json_object_set_new(index, "manifests", sorted);
	if (!json_object_get(index, "schemaVersion"))
		json_object_set_new(index, "schemaVersion", json_integer(2));

	_cleanup_free_ char *text = json_dumps(index, JSON_COMPACT);
	if (!text)
		return uk_err_set(err, "store '%s': serialise index.json", store->dir);
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, text);
	strbuf_addch(&sb, '\n');
	if (fs_write_file_atomic(path, sb.buf, sb.len, 0644, err) < 0)
		return uk_err_wrap(err, "store '%s'", store->dir);
	return 0;
}

static json_t *entry_new(const char *name, const struct oci_desc *desc)
{
	json_t *e = json_object();

	json_object_set_new(e, "mediaType", json_string(desc->media_type));
	json_object_set_new(e, "digest", json_string(desc->digest));
	json_object_set_new(e, "size", json_integer(desc->size));
	json_t *a = json_object();
	json_object_set_new(a, OCI_ANNOT_REF_NAME, json_string(name));
	json_object_set_new(e, "annotations", a);
	return e;
}

static void index_remove_name(json_t *index, const char *name)
{
	json_t *m = json_object_get(index, "manifests");

	for (size_t i = json_array_size(m); i-- > 0;) {
		if (streq_ptr(store_entry_name(json_array_get(m, i)), name))
			json_array_remove(m, i);
	}
}

static char *normalise_name(const char *name, struct uk_err *err)
{
	struct oci_ref ref = { 0 };

	if (oci_ref_parse(&ref, name, err) < 0)
		return NULL;
	char *s = oci_ref_string(&ref);
	oci_ref_release(&ref);
	return s;
}

int store_tag_many(struct store *store, const char *const *names, const struct oci_desc *descs,
		   size_t n, struct uk_err *err)
{
	char **norm = xcalloc(n ? n : 1, sizeof(*norm));
	json_t *index = NULL;
	int r = -1;

	for (size_t i = 0; i < n; i++) {
		enum oci_media_kind k = oci_media_kind(descs[i].media_type);
		norm[i] = normalise_name(names[i], err);
		if (!norm[i])
			goto out;
		if (k != OCI_MEDIA_MANIFEST && k != OCI_MEDIA_INDEX) {
			uk_err_setc(err, UK_ERR_INPUT,
				    "tag '%s': %s is not an image manifest or index (media type "
				    "'%s')",
				    norm[i], descs[i].digest,
				    descs[i].media_type ? descs[i].media_type : "");
			goto out;
		}
		if (!store_blob_exists(store, descs[i].digest)) {
			uk_err_setc(err, UK_ERR_NOT_FOUND, "tag '%s': blob %s is not in the store",
				    norm[i], descs[i].digest);
			goto out;
		}
	}
	if (store_lock(store, LOCK_EX, err) < 0)
		goto out;
	if (store_index_load(store, &index, err) == 0) {
		json_t *m = json_object_get(index, "manifests");
		for (size_t i = 0; i < n; i++) {
			index_remove_name(index, norm[i]);
			json_array_append_new(m, entry_new(norm[i], &descs[i]));
		}
		r = store_index_save(store, index, err);
	}
	store_unlock(store);
out:
	json_decref(index);
	for (size_t i = 0; i < n; i++)
		free(norm[i]);
	free(norm);
	return r;
}

int store_tag(struct store *store, const char *name, const struct oci_desc *desc,
	      struct uk_err *err)
{
	return store_tag_many(store, &name, desc, 1, err);
}

int store_untag(struct store *store, const char *ref, struct uk_err *err)
{
	_cleanup_free_ char *name = normalise_name(ref, err);
	json_t *index = NULL;
	int r;

	if (!name)
		return -1;
	if (store_lock(store, LOCK_EX, err) < 0)
		return -1;
	r = store_index_load(store, &index, err);
	if (r == 0) {
		json_t *m = json_object_get(index, "manifests");
		size_t before = json_array_size(m);
		index_remove_name(index, name);
		if (json_array_size(m) == before)
			r = uk_err_setc(err, UK_ERR_NOT_FOUND, "image '%s' is not in the store",
					name);
		else
			r = store_index_save(store, index, err);
	}
	store_unlock(store);
	json_decref(index);
	return r;
}

void store_entries_free(struct store_entry *entries, size_t n)
{
	for (size_t i = 0; entries && i < n; i++) {
		free(entries[i].name);
		oci_desc_release(&entries[i].desc);
	}
	free(entries);
}

int store_list(struct store *store, struct store_entry **out, size_t *n_out, struct uk_err *err)
{
	json_t *index = NULL;

	if (store_lock(store, LOCK_SH, err) < 0)
		return -1;
	int r = store_index_load(store, &index, err);
	store_unlock(store);
	if (r < 0)
		return -1;

	/* index.json is kept sorted by name, and foreign entries are sorted here too */
	json_t *m = json_object_get(index, "manifests");
	size_t n = json_array_size(m);
	_cleanup_free_ struct sort_item *items = xcalloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		items[i].entry = json_array_get(m, i);
		items[i].pos = i;
	}
	qsort(items, n, sizeof(*items), cmp_entries);
	struct store_entry *entries = xcalloc(n ? n : 1, sizeof(*entries));
	for (size_t i = 0; i < n; i++) {
		const char *name = store_entry_name(items[i].entry);
		if (oci_desc_from_json(&entries[i].desc, items[i].entry, err) < 0) {
			store_entries_free(entries, i);
			json_decref(index);
			return uk_err_wrap(err, "store '%s': index.json: entry '%s'", store->dir,
					   name ? name : "(unnamed)");
		}
		entries[i].name = name ? xstrdup(name) : NULL;
	}
	json_decref(index);
	*out = entries;
	*n_out = n;
	return 0;
}

int store_lookup(struct store *store, const char *ref_str, struct oci_desc *desc, char **name,
		 struct uk_err *err)
{
	struct oci_ref ref = { 0 };
	struct store_entry *entries = NULL;
	size_t n = 0;

	if (oci_ref_parse(&ref, ref_str, err) < 0)
		return -1;
	_cleanup_free_ char *full = oci_ref_string(&ref);
	if (ref.digest) {
		/* pinned: the blob itself, whatever names it */
		json_t *doc = NULL;
		struct stat st;
		int r = store_blob_json(store, ref.digest, &doc, err);
		if (r == 0 && fstatat(store->blobs_fd, ref.digest + 7, &st, 0) < 0)
			r = uk_err_errno(err, "blob %s: stat", ref.digest);
		if (r < 0) {
			if (err->code == UK_ERR_NOT_FOUND) {
				uk_err_release(err);
				uk_err_setc(err, UK_ERR_NOT_FOUND, "image '%s' is not in the store",
					    full);
			}
			json_decref(doc);
			oci_ref_release(&ref);
			return -1;
		}
		const char *mt = json_string_value(json_object_get(doc, "mediaType"));
		if (!mt)
			mt = json_object_get(doc, "manifests") ? OCI_MT_INDEX : OCI_MT_MANIFEST;
		desc->media_type = xstrdup(mt);
		snprintf(desc->digest, sizeof(desc->digest), "%s", ref.digest);
		desc->size = st.st_size;
		json_decref(doc);
		oci_ref_release(&ref);
		if (name)
			*name = TAKE_PTR(full);
		return 0;
	}
	oci_ref_release(&ref);
	if (store_list(store, &entries, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (streq_ptr(entries[i].name, full)) {
			oci_desc_copy(desc, &entries[i].desc);
			store_entries_free(entries, n);
			if (name)
				*name = TAKE_PTR(full);
			return 0;
		}
	}
	store_entries_free(entries, n);
	return uk_err_setc(err, UK_ERR_NOT_FOUND, "image '%s' is not in the store", full);
}

/* ---- digest sets ---- */

static size_t digest_hash(const char *hex)
{
	size_t h = 0;

	for (int i = 0; i < 16; i++)
		h = h * 16 + (size_t)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
	return h;
}

static const char *digest_hex(const char *digest)
{
	return str_has_prefix(digest, "sha256:") ? digest + 7 : digest;
}

static size_t digest_slot(const struct digest_set *set, const char *hex)
{
	size_t mask = set->alloc - 1;
	size_t i = digest_hash(hex) & mask;

	while (set->slots[i][0] && strcmp(set->slots[i], hex) != 0)
		i = (i + 1) & mask;
	return i;
}

bool digest_set_has(const struct digest_set *set, const char *digest)
{
	const char *hex = digest_hex(digest);

	if (!set->alloc || strlen(hex) != 64)
		return false;
	return set->slots[digest_slot(set, hex)][0] != '\0';
}

bool digest_set_add(struct digest_set *set, const char *digest)
{
	const char *hex = digest_hex(digest);

	BUG_ON(strlen(hex) != 64);
	if ((set->n + 1) * 2 > set->alloc) {
		struct digest_set bigger = { .alloc = set->alloc ? set->alloc * 2 : 64 };
		bigger.slots = xcalloc(bigger.alloc, sizeof(*bigger.slots));
		for (size_t i = 0; i < set->alloc; i++) {
			if (set->slots[i][0])
				memcpy(bigger.slots[digest_slot(&bigger, set->slots[i])],
				       set->slots[i], 65);
		}
		bigger.n = set->n;
		free(set->slots);
		*set = bigger;
	}
	size_t i = digest_slot(set, hex);
	if (set->slots[i][0])
		return false;
	memcpy(set->slots[i], hex, 65);
	set->n++;
	return true;
}

void digest_set_release(struct digest_set *set)
{
	free(set->slots);
	set->slots = NULL;
	set->alloc = set->n = 0;
}
