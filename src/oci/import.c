// SPDX-License-Identifier: Apache-2.0
/*
 * Importing images: an OCI layout directory, an oci-archive (a tar of one,
 * possibly compressed) or a docker-archive (`docker save`: manifest.json,
 * configs and layer tars, layers named by path rather than by digest).
 *
 * An archive is read once, as a stream: every file that may be a blob is
 * written to the store as it passes (verified against its name when its name
 * is a digest), small metadata files are kept in memory, and the images are
 * put together afterwards from what the store now holds. A directory is read
 * in place. Nothing is named until every blob an image needs is in the store
 * and verified; whatever this import added that ends up unnamed (a failure,
 * or files of the archive no image uses) is removed again.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/store-internal.h"
#include "util/sha256.h"
#include "util/strbuf.h"

#define COPY_BUF (256u << 10)
#define LINK_HOPS_MAX 16

/* A file of an archive source: where its content went in the store. */
struct src_file {
	char *path;
	char *link; /* a symbolic or hard link's target (a normalised path), or NULL */
	char digest[OCI_DIGEST_MAX];
	int64_t size;
};

struct import {
	struct store *store;
	const struct store_import_opts *opts;
	const char *src; /* as given, for messages */
	int dir_fd;	 /* a directory source, or -1 for an archive */
	struct src_file *files;
	size_t n_files, alloc_files;
	char *index_json, *manifest_json; /* an archive's metadata, NULL when absent */
	size_t index_len, manifest_len;
	struct oci_platform platform;
	bool one_platform;
	struct digest_set added; /* blobs this import put in the store that were not there */
	struct digest_set ready; /* blobs known to be in the store, checked */
	/* what to name */
	char **names;
	struct oci_desc *descs;
	size_t n, alloc;
};

static void import_release(struct import *imp)
{
	if (imp->dir_fd >= 0)
		close(imp->dir_fd);
	for (size_t i = 0; i < imp->n_files; i++) {
		free(imp->files[i].path);
		free(imp->files[i].link);
	}
	free(imp->files);
	free(imp->index_json);
	free(imp->manifest_json);
	digest_set_release(&imp->added);
	digest_set_release(&imp->ready);
	for (size_t i = 0; i < imp->n; i++) {
		free(imp->names[i]);
		oci_desc_release(&imp->descs[i]);
	}
	free(imp->names);
	free(imp->descs);
}

static void add_result(struct import *imp, char *name, const struct oci_desc *desc)
{
	for (size_t i = 0; i < imp->n; i++) {
		if (!strcmp(imp->names[i], name)) {
			/* the same name twice ("foo:1" and "docker.io/library/foo:1"): the last
			 * wins */
			free(name);
			oci_desc_release(&imp->descs[i]);
			oci_desc_copy(&imp->descs[i], desc);
			return;
		}
	}
	if (imp->n == imp->alloc) {
		imp->alloc = imp->alloc ? imp->alloc * 2 : 8;
		imp->names = xrealloc(imp->names, imp->alloc * sizeof(*imp->names));
		imp->descs = xrealloc(imp->descs, imp->alloc * sizeof(*imp->descs));
	}
	imp->names[imp->n] = name;
	oci_desc_copy(&imp->descs[imp->n], desc);
	imp->n++;
}

/*
 * A path inside the source, made relative and without ".", ".." or empty
 * components; ".." stops at the top. base is the directory p is relative to.
 */
static char *norm_path(const char *base, const char *p)
{
	_cleanup_free_ char *whole = xasprintf("%s/%s", p[0] == '/' ? "" : base, p);
	_cleanup_free_ size_t *starts = NULL;
	size_t n_starts = 0, alloc = 0;
	struct strbuf out = STRBUF_INIT;

	for (char *s = whole; *s;) {
		char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 0 || (len == 1 && s[0] == '.')) {
			/* nothing */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (n_starts > 0)
				strbuf_setlen(&out, starts[--n_starts]);
		} else {
			XGROW(starts, alloc, n_starts + 1);
			starts[n_starts++] = out.len;
			if (out.len)
				strbuf_addch(&out, '/');
			strbuf_add(&out, s, len);
		}
		s += len;
		if (*s == '/')
			s++;
	}
	return strbuf_detach(&out, NULL);
}

static char *dir_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* The digest a path's name claims: blobs/sha256/HEX (OCI layouts, Docker 25+ saves). */
static bool digest_of_path(const char *path, char digest[OCI_DIGEST_MAX])
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t len = strlen(base);

	if (str_has_prefix(path, "blobs/sha256/") && base == path + 13 && is_hex64(base, len)) {
		snprintf(digest, OCI_DIGEST_MAX, "sha256:%s", base);
		return true;
	}
	return false;
}

static struct src_file *find_file(struct import *imp, const char *path)
{
	for (size_t i = imp->n_files; i-- > 0;) {
		if (!strcmp(imp->files[i].path, path))
			return &imp->files[i];
	}
	return NULL;
}

static struct src_file *add_file(struct import *imp, const char *path)
{
	struct src_file *f = find_file(imp, path);

	if (f) {
		/* a later entry of the same name replaces the earlier one, as tar does */
		free(f->link);
		f->link = NULL;
		return f;
	}
	XGROW(imp->files, imp->alloc_files, imp->n_files + 1);
	f = &imp->files[imp->n_files++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	return f;
}

static void note_added(struct import *imp, const char *digest, bool added)
{
	if (added)
		digest_set_add(&imp->added, digest);
}

/* ---- reading an archive ---- */

static int archive_fail(struct import *imp, struct archive *a, const char *what, struct uk_err *err)
{
	const char *msg = archive_error_string(a);
	return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': %s: %s", imp->src, what,
			   msg ? msg : "unknown error");
}

static int read_small(struct import *imp, struct archive *a, struct archive_entry *e,
		      const char *path, char **out, size_t *len, struct uk_err *err)
{
	int64_t size = archive_entry_size(e);
	struct strbuf sb = STRBUF_INIT;

	if (size > (int64_t)STORE_JSON_MAX)
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': '%s' is larger than %u bytes",
				   imp->src, path, STORE_JSON_MAX);
	for (;;) {
		strbuf_grow(&sb, 65536);
		la_ssize_t n = archive_read_data(a, sb.buf + sb.len, sb.alloc - sb.len - 1);
		if (n < 0) {
			strbuf_release(&sb);
			return archive_fail(imp, a, path, err);
		}
		if (n == 0)
			break;
		strbuf_setlen(&sb, sb.len + (size_t)n);
		if (sb.len > STORE_JSON_MAX) {
			strbuf_release(&sb);
			return uk_err_setc(err, UK_ERR_CORRUPT,
					   "'%s': '%s' is larger than %u bytes", imp->src, path,
					   STORE_JSON_MAX);
		}
	}
	free(*out);
	*out = strbuf_detach(&sb, len);
	return 0;
}

/* Streams an entry's data into the store; with its name a digest, verified against it. */
static int store_entry(struct import *imp, struct archive *a, const char *path, char *buf,
		       struct uk_err *err)
{
	struct store_writer *w = NULL;
	char expected[OCI_DIGEST_MAX], digest[OCI_DIGEST_MAX];
	bool named = digest_of_path(path, expected);
	int64_t size;
	bool added;
	int r = 0;

	if (store_writer_new(imp->store, &w, err) < 0)
		return -1;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, COPY_BUF);
		if (n < 0) {
			r = archive_fail(imp, a, path, err);
			break;
		}
		if (n == 0)
			break;
		r = store_writer_write(w, buf, (size_t)n, err);
		if (r < 0)
			break;
	}
	if (r == 0)
		r = store_writer_commit_ex(w, named ? expected : NULL, digest, &size, &added, err);
	store_writer_free(w);
	if (r < 0)
		return uk_err_wrap(err, "'%s'", imp->src);
	note_added(imp, digest, added);
	struct src_file *f = add_file(imp, path);
	memcpy(f->digest, digest, sizeof(digest));
	f->size = size;
	return 0;
}

/* docker-archive files nothing reads: the legacy per-layer json and VERSION, and repositories. */
static bool is_legacy_file(const char *path)
{
	return !strcmp(path, "repositories") || str_has_suffix(path, "/json") ||
	       str_has_suffix(path, "/VERSION");
}

static int read_archive(struct import *imp, struct uk_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	int r = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (!strcmp(imp->src, "-"))
		r = archive_read_open_fd(a, STDIN_FILENO, 65536);
	else
		r = archive_read_open_filename(a, imp->src, 65536);
	if (r != ARCHIVE_OK) {
		r = archive_fail(imp, a, "open", err);
		archive_read_free(a);
		return r;
	}
	r = 0;
	for (;;) {
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = archive_fail(imp, a, "read", err);
			break;
		}
		_cleanup_free_ char *path = norm_path("", archive_entry_pathname(e));
		const char *hard = archive_entry_hardlink(e);
		if (!*path)
			continue;
		if (hard) {
			add_file(imp, path)->link = norm_path("", hard);
			continue;
		}
		switch (archive_entry_filetype(e)) {
		case AE_IFLNK: {
			_cleanup_free_ char *dir = dir_name(path);
			const char *target = archive_entry_symlink(e);
			add_file(imp, path)->link = norm_path(dir, target ? target : "");
			continue;
		}
		case AE_IFREG:
			break;
		default:
			continue;
		}
		if (!strcmp(path, "index.json"))
			r = read_small(imp, a, e, path, &imp->index_json, &imp->index_len, err);
		else if (!strcmp(path, "manifest.json"))
			r = read_small(imp, a, e, path, &imp->manifest_json, &imp->manifest_len,
				       err);
		else if (!strcmp(path, "oci-layout") || is_legacy_file(path))
			continue;
		else
			r = store_entry(imp, a, path, buf, err);
		if (r < 0)
			break;
	}
	archive_read_free(a);
	return r;
}

/* ---- a directory source ---- */

/* Opens a file of the directory source; no path (even through a symlink) leaves it. */
static int src_open(struct import *imp, const char *path, struct uk_err *err)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, imp->dir_fd, path, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS) {
		_cleanup_free_ char *clean = norm_path("", path);
		fd = openat(imp->dir_fd, clean, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0) {
		if (errno == ENOENT)
			return uk_err_setc(err, UK_ERR_NOT_FOUND, "'%s': no file '%s'", imp->src,
					   path);
		return uk_err_errno(err, "'%s': open '%s'", imp->src, path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': '%s' is not a regular file",
				   imp->src, path);
	}
	return fd;
}

static int src_read_small(struct import *imp, const char *path, char **out, size_t *len,
			  struct uk_err *err)
{
	_cleanup_close_ int fd = src_open(imp, path, err);
	struct strbuf sb = STRBUF_INIT;

	if (fd < 0) {
		if (err->code == UK_ERR_NOT_FOUND) {
			uk_err_release(err);
			return 0;
		}
		return -1;
	}
	for (;;) {
		strbuf_grow(&sb, 65536);
		ssize_t n = read(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_release(&sb);
			return uk_err_errno(err, "'%s': read '%s'", imp->src, path);
		}
		if (n == 0)
			break;
		strbuf_setlen(&sb, sb.len + (size_t)n);
		if (sb.len > STORE_JSON_MAX) {
			strbuf_release(&sb);
			return uk_err_setc(err, UK_ERR_CORRUPT,
					   "'%s': '%s' is larger than %u bytes", imp->src, path,
					   STORE_JSON_MAX);
		}
	}
	*out = strbuf_detach(&sb, len);
	return 0;
}

static int put_fd(struct import *imp, int fd, const char *expected, char digest[OCI_DIGEST_MAX],
		  int64_t *size, struct uk_err *err)
{
	bool added;

	if (store_blob_put_fd_ex(imp->store, fd, expected, digest, size, &added, err) < 0)
		return -1;
	note_added(imp, digest, added);
	return 0;
}

/* ---- blobs, whatever the source ---- */

/* The blob a file of the source became (a docker-archive's configs and layers). */
static int path_blob(struct import *imp, const char *path_in, char digest[OCI_DIGEST_MAX],
		     int64_t *size, struct uk_err *err)
{
	_cleanup_free_ char *path = norm_path("", path_in);
	char claimed[OCI_DIGEST_MAX];
	bool named = digest_of_path(path, claimed);

	if (imp->dir_fd >= 0) {
		_cleanup_close_ int fd = src_open(imp, path, err);
		if (fd < 0 || put_fd(imp, fd, named ? claimed : NULL, digest, size, err) < 0)
			return uk_err_wrap(err, "'%s'", imp->src);
		return 0;
	}
	const struct src_file *f = find_file(imp, path);
	for (int hops = 0; f && f->link; hops++) {
		if (hops == LINK_HOPS_MAX)
			return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': too many links at '%s'",
					   imp->src, path);
		f = find_file(imp, f->link);
	}
	if (!f)
		return uk_err_setc(err, UK_ERR_NOT_FOUND, "'%s': no file '%s'", imp->src, path);
	memcpy(digest, f->digest, OCI_DIGEST_MAX);
	*size = f->size;
	return 0;
}

static int check_size(struct import *imp, const struct oci_desc *desc, struct uk_err *err)
{
	struct stat st;

	if (fstatat(imp->store->blobs_fd, desc->digest + 7, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return uk_err_errno(err, "blob %s: stat", desc->digest);
	if (st.st_size != desc->size)
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "'%s': blob %s: %lld bytes, but its descriptor says %lld",
				   imp->src, desc->digest, (long long)st.st_size,
				   (long long)desc->size);
	return 0;
}

/* Makes sure the blob desc names is in the store, verified (a store_walk callback). */
static int ensure_blob(void *ctx, const struct oci_desc *desc, struct uk_err *err)
{
	struct import *imp = ctx;

	if (digest_set_has(&imp->ready, desc->digest))
		return 0;
	if (imp->dir_fd >= 0) {
		_cleanup_free_ char *path = xasprintf("blobs/sha256/%s", desc->digest + 7);
		_cleanup_close_ int fd = src_open(imp, path, err);
		char digest[OCI_DIGEST_MAX];
		if (fd < 0) {
			if (err->code != UK_ERR_NOT_FOUND)
				return -1;
			uk_err_release(err);
		} else if (put_fd(imp, fd, desc->digest, digest, NULL, err) < 0) {
			return uk_err_wrap(err, "'%s'", imp->src);
		}
	}
	/* from an archive, it was stored as it went by, or the store had it already */
	if (!store_blob_exists(imp->store, desc->digest))
		return uk_err_setc(err, UK_ERR_NOT_FOUND, "'%s': blob %s is missing", imp->src,
				   desc->digest);
	if (check_size(imp, desc, err) < 0)
		return -1;
	digest_set_add(&imp->ready, desc->digest);
	return 0;
}

/* ---- names ---- */

static char *normalise(const char *s, struct uk_err *err)
{
	struct oci_ref ref = { 0 };

	if (oci_ref_parse(&ref, s, err) < 0)
		return NULL;
	char *r = oci_ref_string(&ref);
	oci_ref_release(&ref);
	return r;
}

/*
 * The name for an image the source calls `given` (NULL: unnamed). A full
 * reference is used as it is; a bare tag ("latest", as umoci writes) goes
 * with the repository of -name; an unnamed image takes -name whole.
 * Returns NULL with code UK_ERR_NOT_FOUND when there is nothing to go on.
 */
static char *pick_name(struct import *imp, const char *given, struct uk_err *err)
{
	const char *opt = imp->opts ? imp->opts->name : NULL;

	if (!given || !*given) {
		if (!opt) {
			uk_err_setc(err, UK_ERR_NOT_FOUND, "unnamed");
			return NULL;
		}
		return normalise(opt, err);
	}
	if (strpbrk(given, "/:@"))
		return normalise(given, err);
	if (!opt) {
		uk_err_setc(err, UK_ERR_INPUT,
			    "'%s': image tagged '%s' has no repository name (give one with -name)",
			    imp->src, given);
		return NULL;
	}
	struct oci_ref ref = { 0 };
	if (oci_ref_parse(&ref, opt, err) < 0)
		return NULL;
	_cleanup_free_ char *with_tag = xasprintf("%s/%s:%s", ref.domain, ref.path, given);
	oci_ref_release(&ref);
	return normalise(with_tag, err);
}

/* ---- OCI layouts ---- */

static const char *entry_annotation(const json_t *entry, const char *key)
{
	return json_string_value(json_object_get(json_object_get(entry, "annotations"), key));
}

/* Imports the named images of an index.json; *n_named tells how many had a name. */
static int import_oci(struct import *imp, const char *text, size_t len, size_t *n_named,
		      struct uk_err *err)
{
	json_error_t je;
	json_t *index = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	const json_t *list = json_object_get(index, "manifests");
	size_t n = json_array_size(list);
	char **names = xcalloc(n + 1, sizeof(*names));
	struct oci_desc *descs = xcalloc(n + 1, sizeof(*descs));
	int r = 0;

	*n_named = 0;
	if (!index) {
		r = uk_err_setc(err, UK_ERR_CORRUPT, "'%s': index.json:%d:%d: %s", imp->src,
				je.line, je.column, je.text);
		goto out;
	}
	if (!json_is_array(list)) {
		r = uk_err_setc(err, UK_ERR_CORRUPT, "'%s': index.json has no manifests array",
				imp->src);
		goto out;
	}
	/* every name first, so that a bad one fails before anything is written */
	for (size_t i = 0; i < n; i++) {
		const json_t *entry = json_array_get(list, i);
		if (oci_desc_from_json(&descs[i], entry, err) < 0) {
			r = uk_err_wrap(err, "'%s': index.json: manifests[%zu]", imp->src, i);
			goto out;
		}
		if (!descs[i].media_type) {
			r = uk_err_setc(err, UK_ERR_CORRUPT,
					"'%s': index.json: manifests[%zu] has no mediaType",
					imp->src, i);
			goto out;
		}
		const char *given = entry_annotation(entry, "io.containerd.image.name");
		if (!given)
			given = entry_annotation(entry, OCI_ANNOT_REF_NAME);
		names[i] = pick_name(imp, given, err);
		if (!names[i]) {
			if (err->code != UK_ERR_NOT_FOUND) {
				r = -1;
				goto out;
			}
			/* without -name, an unnamed entry is left out */
			uk_err_release(err);
			continue;
		}
		(*n_named)++;
	}
	if (imp->opts && imp->opts->name) {
		size_t from_opt = 0;
		for (size_t i = 0; i < n; i++) {
			const json_t *entry = json_array_get(list, i);
			if (!entry_annotation(entry, "io.containerd.image.name") &&
			    !entry_annotation(entry, OCI_ANNOT_REF_NAME))
				from_opt++;
		}
		if (from_opt > 1) {
			r = uk_err_setc(err, UK_ERR_INPUT,
					"'%s': %zu unnamed images, and -name can name only one",
					imp->src, from_opt);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			continue;
		r = store_walk(imp->store, &descs[i], imp->one_platform ? &imp->platform : NULL, 0,
			       ensure_blob, imp, err);
		if (r == 0 && imp->one_platform) {
			struct oci_desc m = { 0 };
			r = store_select_platform(imp->store, &descs[i], &imp->platform, &m, err);
			if (r == 0) {
				oci_desc_release(&descs[i]);
				descs[i] = m;
			}
		}
		if (r < 0) {
			uk_err_wrap(err, "image '%s'", names[i]);
			goto out;
		}
		add_result(imp, TAKE_PTR(names[i]), &descs[i]);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		oci_desc_release(&descs[i]);
	}
	free(names);
	free(descs);
	json_decref(index);
	return r;
}

/* ---- docker archives ---- */

struct blob_stream {
	struct store_blob *b;
	char *buf;
	struct uk_err err;
};

static la_ssize_t blob_stream_read(struct archive *a, void *ctx, const void **out)
{
	struct blob_stream *s = ctx;
	ssize_t n = store_blob_read(s->b, s->buf, COPY_BUF, &s->err);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", s->err.msg);
		uk_err_release(&s->err);
		return -1;
	}
	*out = s->buf;
	return n;
}

/* The digest of a layer's uncompressed tar (what a config's diff_ids list). */
static int layer_diff_id(struct import *imp, const char *digest, char diff_id[OCI_DIGEST_MAX],
			 enum oci_compression *comp, struct uk_err *err)
{
	struct blob_stream s = { .buf = NULL };
	unsigned char head[4];
	ssize_t got;

	if (store_blob_open(imp->store, digest, &s.b, err) < 0)
		return -1;
	got = store_blob_read(s.b, head, sizeof(head), err);
	store_blob_close(s.b);
	s.b = NULL;
	if (got < 0)
		return -1;
	*comp = oci_compression_sniff(head, (size_t)got);
	if (*comp == OCI_COMPRESSION_NONE) {
		memcpy(diff_id, digest, OCI_DIGEST_MAX);
		return 0;
	}

	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct sha256 h;
	char hex[SHA256_HEX_LEN + 1];
	int r = 0;

	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	s.buf = xmalloc(COPY_BUF);
	sha256_init(&h);
	if (store_blob_open(imp->store, digest, &s.b, err) < 0) {
		r = -1;
		goto out;
	}
	if (archive_read_open(a, &s, NULL, blob_stream_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		r = uk_err_setc(err, UK_ERR_CORRUPT, "layer %s: %s", digest,
				archive_error_string(a) ? archive_error_string(a) : "unreadable");
		goto out;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(a, s.buf, COPY_BUF);
		if (n < 0) {
			r = uk_err_setc(err, UK_ERR_CORRUPT, "layer %s: decompress: %s", digest,
					archive_error_string(a) ? archive_error_string(a)
								: "error");
			goto out;
		}
		if (n == 0)
			break;
		sha256_update(&h, s.buf, (size_t)n);
	}
	sha256_final_hex(&h, hex);
	snprintf(diff_id, OCI_DIGEST_MAX, "sha256:%s", hex);
out:
	sha256_release(&h);
	archive_read_free(a);
	store_blob_close(s.b);
	free(s.buf);
	return r;
}

static const char *layer_media_type(enum oci_compression c)
{
	switch (c) {
	case OCI_COMPRESSION_GZIP:
		return OCI_MT_LAYER_GZIP;
	case OCI_COMPRESSION_ZSTD:
		return OCI_MT_LAYER_ZSTD;
	default:
		return OCI_MT_LAYER;
	}
}

static json_t *desc_json(const char *media_type, const char *digest, int64_t size)
{
	json_t *d = json_object();

	json_object_set_new(d, "mediaType", json_string(media_type));
	json_object_set_new(d, "digest", json_string(digest));
	json_object_set_new(d, "size", json_integer(size));
	return d;
}

/* Builds and stores the OCI manifest for one image of manifest.json. */
static int docker_image(struct import *imp, const json_t *item, size_t idx, struct oci_desc *out,
			struct uk_err *err)
{
	const char *config_path = json_string_value(json_object_get(item, "Config"));
	const json_t *layers = json_object_get(item, "Layers");
	char cfg_digest[OCI_DIGEST_MAX];
	int64_t cfg_size;
	json_t *config = NULL;
	json_t *manifest = NULL;
	char *text = NULL;
	int r = -1;

	if (!config_path || !json_is_array(layers))
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "'%s': manifest.json: image %zu has no Config or Layers",
				   imp->src, idx);
	if (path_blob(imp, config_path, cfg_digest, &cfg_size, err) < 0)
		return -1;
	/* "HEX.json": a config named by its digest must match it */
	const char *base = strrchr(config_path, '/');
	base = base ? base + 1 : config_path;
	if (str_has_suffix(base, ".json") && is_hex64(base, strlen(base) - 5) &&
	    strncmp(base, cfg_digest + 7, 64) != 0)
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "'%s': config '%s' does not match its name (it is %s)", imp->src,
				   config_path, cfg_digest);
	if (store_blob_json(imp->store, cfg_digest, &config, err) < 0)
		return uk_err_wrap(err, "'%s': config '%s'", imp->src, config_path);

	const json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (json_array_size(diff_ids) != json_array_size(layers)) {
		uk_err_setc(err, UK_ERR_CORRUPT,
			    "'%s': image %zu has %zu layers, but its config lists %zu diff_ids",
			    imp->src, idx, json_array_size(layers), json_array_size(diff_ids));
		goto out;
	}
	if (imp->one_platform) {
		const char *arch = json_string_value(json_object_get(config, "architecture"));
		if (arch && *arch && strcmp(arch, imp->platform.arch) != 0) {
			uk_err_setc(err, UK_ERR_INPUT, "'%s': image %zu is built for %s, not %s",
				    imp->src, idx, arch, imp->platform.arch);
			goto out;
		}
	}
	manifest = json_object();
	json_object_set_new(manifest, "schemaVersion", json_integer(2));
	json_object_set_new(manifest, "mediaType", json_string(OCI_MT_MANIFEST));
	json_object_set_new(manifest, "config", desc_json(OCI_MT_CONFIG, cfg_digest, cfg_size));
	json_t *out_layers = json_array();
	json_object_set_new(manifest, "layers", out_layers);
	for (size_t i = 0; i < json_array_size(layers); i++) {
		const char *lp = json_string_value(json_array_get(layers, i));
		const char *want = json_string_value(json_array_get(diff_ids, i));
		char digest[OCI_DIGEST_MAX], diff_id[OCI_DIGEST_MAX];
		enum oci_compression comp;
		int64_t size;

		if (!lp || !want) {
			uk_err_setc(err, UK_ERR_CORRUPT,
				    "'%s': image %zu: layer %zu is not a string", imp->src, idx, i);
			goto out;
		}
		if (path_blob(imp, lp, digest, &size, err) < 0 ||
		    layer_diff_id(imp, digest, diff_id, &comp, err) < 0)
			goto out;
		if (strcmp(diff_id, want) != 0) {
			uk_err_setc(
				err, UK_ERR_CORRUPT,
				"'%s': layer '%s' does not match its config (its content is %s, "
				"the config says %s)",
				imp->src, lp, diff_id, want);
			goto out;
		}
		json_array_append_new(out_layers, desc_json(layer_media_type(comp), digest, size));
	}

	char m_digest[OCI_DIGEST_MAX];
	bool added;
	struct store_writer *w = NULL;
	text = json_dumps(manifest, JSON_COMPACT);
	if (!text) {
		uk_err_set(err, "serialise a manifest");
		goto out;
	}
	if (store_writer_new(imp->store, &w, err) < 0)
		goto out;
	r = store_writer_write(w, text, strlen(text), err);
	if (r == 0)
		r = store_writer_commit_ex(w, NULL, m_digest, NULL, &added, err);
	store_writer_free(w);
	if (r < 0)
		goto out;
	note_added(imp, m_digest, added);
	out->media_type = xstrdup(OCI_MT_MANIFEST);
	memcpy(out->digest, m_digest, sizeof(m_digest));
	out->size = (int64_t)strlen(text);
out:
	free(text);
	json_decref(config);
	json_decref(manifest);
	return r;
}

static int import_docker(struct import *imp, const char *text, size_t len, struct uk_err *err)
{
	json_error_t je;
	json_t *list = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	int r = 0;

	if (!list)
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': manifest.json:%d:%d: %s", imp->src,
				   je.line, je.column, je.text);
	if (!json_is_array(list) || json_array_size(list) == 0) {
		json_decref(list);
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "'%s': manifest.json is not a list of images", imp->src);
	}
	size_t unnamed = 0;
	for (size_t i = 0; i < json_array_size(list); i++) {
		if (json_array_size(json_object_get(json_array_get(list, i), "RepoTags")) == 0)
			unnamed++;
	}
	if (unnamed > 1 && imp->opts && imp->opts->name) {
		json_decref(list);
		return uk_err_setc(err, UK_ERR_INPUT,
				   "'%s': %zu unnamed images, and -name can name only one",
				   imp->src, unnamed);
	}
	for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
		const json_t *item = json_array_get(list, i);
		const json_t *tags = json_object_get(item, "RepoTags");
		size_t n_tags = json_array_size(tags);
		char **names = xcalloc(n_tags + 1, sizeof(*names));
		size_t n_names = 0;
		struct oci_desc desc = { 0 };

		/* names before content: a bad name fails before anything is written */
		for (size_t t = 0; r == 0 && t < n_tags; t++) {
			const char *tag = json_string_value(json_array_get(tags, t));
			if (!tag || !(names[n_names] = normalise(tag, err)))
				r = tag ? uk_err_wrap(err, "'%s': manifest.json", imp->src)
					: uk_err_setc(
						  err, UK_ERR_CORRUPT,
						  "'%s': manifest.json: a RepoTags entry is not "
						  "a string",
						  imp->src);
			else
				n_names++;
		}
		if (r == 0 && n_names == 0) {
			if (imp->opts && imp->opts->name)
				r = (names[n_names] = normalise(imp->opts->name, err)) ? 0 : -1;
			else
				r = uk_err_setc(
					err, UK_ERR_INPUT,
					"'%s': image %zu has no name (RepoTags is empty; give "
					"one with -name)",
					imp->src, i);
			if (r == 0)
				n_names++;
		}
		if (r == 0)
			r = docker_image(imp, item, i, &desc, err);
		for (size_t t = 0; t < n_names; t++) {
			if (r == 0)
				add_result(imp, TAKE_PTR(names[t]), &desc);
			free(names[t]);
		}
		free(names);
		oci_desc_release(&desc);
	}
	json_decref(list);
	return r;
}

/* ---- the whole ---- */

static int import_run(struct import *imp, struct uk_err *err)
{
	struct stat st;
	bool is_stdin = !strcmp(imp->src, "-");

	if (!is_stdin && stat(imp->src, &st) < 0)
		return uk_err_errno(err, "open '%s'", imp->src);
	bool is_dir = !is_stdin && S_ISDIR(st.st_mode);

	if (is_dir) {
		imp->dir_fd = open(imp->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (imp->dir_fd < 0)
			return uk_err_errno(err, "open '%s'", imp->src);
		if (src_read_small(imp, "index.json", &imp->index_json, &imp->index_len, err) < 0 ||
		    src_read_small(imp, "manifest.json", &imp->manifest_json, &imp->manifest_len,
				   err) < 0)
			return -1;
	} else if (read_archive(imp, err) < 0) {
		return -1;
	}

	if (imp->index_json) {
		size_t named = 0;
		if (import_oci(imp, imp->index_json, imp->index_len, &named, err) < 0)
			return -1;
		if (named > 0)
			return 0;
		/* a `docker save` of Docker 25+ has both: its names may be in manifest.json only */
		if (!imp->manifest_json)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "'%s': no image has a name (give one with -name)",
					   imp->src);
	}
	if (imp->manifest_json)
		return import_docker(imp, imp->manifest_json, imp->manifest_len, err);
	return uk_err_setc(err, UK_ERR_INPUT,
			   "'%s': not an OCI image layout, oci-archive or docker-archive (no "
			   "index.json or manifest.json)",
			   imp->src);
}

int store_import(struct store *store, const char *path, const struct store_import_opts *opts,
		 struct store_entry **out, size_t *n_out, struct uk_err *err)
{
	struct import imp = { .store = store, .opts = opts, .src = path, .dir_fd = -1 };
	int r = 0;

	if (opts && opts->arch) {
		if (oci_platform_parse(&imp.platform, opts->arch, err) < 0)
			return -1;
		imp.one_platform = true;
	}
	r = import_run(&imp, err);
	if (r == 0)
		r = store_tag_many(store, (const char *const *)imp.names, imp.descs, imp.n, err);

	/* what this import added and nothing names: all of it on failure, unused files otherwise */
	struct uk_err gc_err = { 0 };
	if (store_gc_candidates(store, &imp.added, &gc_err) < 0)
		uk_err_release(&gc_err);

	if (r == 0 && out) {
		struct store_entry *e = xcalloc(imp.n + 1, sizeof(*e));
		for (size_t i = 0; i < imp.n; i++) {
			e[i].name = TAKE_PTR(imp.names[i]);
			e[i].desc = imp.descs[i];
			imp.descs[i].media_type = NULL;
		}
		*out = e;
		*n_out = imp.n;
	}
	import_release(&imp);
	return r;
}
