// SPDX-License-Identifier: Apache-2.0
/*
 * Exporting images as an oci-archive: a tar holding oci-layout, index.json
 * (each image named by its normalised reference) and blobs/sha256/, which
 * skopeo (oci-archive:FILE) and `unikit cache import` read. The tar is
 * reproducible: fixed owners, modes and mtimes, blobs in walk order.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/store-internal.h"
#include "util/fs.h"

#define COPY_BUF (256u << 10)

struct collect {
	struct oci_desc *descs;
	size_t n, alloc;
	struct digest_set seen;
};

static int collect_blob(void *ctx, const struct oci_desc *desc, struct uk_err *err)
{
	struct collect *c = ctx;

	if (!digest_set_add(&c->seen, desc->digest))
		return 0;
	XGROW(c->descs, c->alloc, c->n + 1);
	oci_desc_copy(&c->descs[c->n++], desc);
	return 0;
}

static int write_header(struct archive *a, const char *path, mode_t type, mode_t perm, int64_t size,
			int64_t epoch, struct uk_err *err)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, type == AE_IFREG ? size : 0);
	archive_entry_set_mtime(e, epoch, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return uk_err_set(err, "write '%s': %s", path, archive_error_string(a));
	return 0;
}

static int write_data(struct archive *a, const char *path, const void *data, size_t len,
		      struct uk_err *err)
{
	if (len && archive_write_data(a, data, len) != (la_ssize_t)len)
		return uk_err_set(err, "write '%s': %s", path, archive_error_string(a));
	return 0;
}

static int write_file(struct archive *a, const char *path, const char *data, int64_t epoch,
		      struct uk_err *err)
{
	size_t len = strlen(data);

	if (write_header(a, path, AE_IFREG, 0644, (int64_t)len, epoch, err) < 0)
		return -1;
	return write_data(a, path, data, len, err);
}

static int write_blob(struct store *store, struct archive *a, const struct oci_desc *desc,
		      int64_t epoch, char *buf, struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("blobs/sha256/%s", desc->digest + 7);
	struct store_blob *b = NULL;
	int r;

	if (store_blob_open(store, desc->digest, &b, err) < 0)
		return -1;
	if (store_blob_size(b) != desc->size) {
		store_blob_close(b);
		return uk_err_setc(
			err, UK_ERR_CORRUPT, "blob %s: %lld bytes, but its descriptor says %lld",
			desc->digest, (long long)store_blob_size(b), (long long)desc->size);
	}
	r = write_header(a, path, AE_IFREG, 0644, desc->size, epoch, err);
	while (r == 0) {
		ssize_t n = store_blob_read(b, buf, COPY_BUF, err);
		if (n < 0)
			r = -1;
		if (n <= 0)
			break;
		r = write_data(a, path, buf, (size_t)n, err);
	}
	store_blob_close(b);
	return r;
}

static json_t *index_entry(const char *name, const struct oci_desc *desc)
{
	json_t *e = json_object();
	json_t *annotations = json_object();

	json_object_set_new(e, "mediaType", json_string(desc->media_type));
	json_object_set_new(e, "digest", json_string(desc->digest));
	json_object_set_new(e, "size", json_integer(desc->size));
	json_object_set_new(annotations, OCI_ANNOT_REF_NAME, json_string(name));
	json_object_set_new(e, "annotations", annotations);
	return e;
}

static int write_archive(struct store *store, int fd, const char *index_text,
			 const struct collect *c, int64_t epoch, struct uk_err *err)
{
	struct archive *a = archive_write_new();
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	int r = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		r = uk_err_set(err, "write archive: %s", archive_error_string(a));
		archive_write_free(a);
		return r;
	}
	r = write_file(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", epoch, err);
	if (r == 0)
		r = write_file(a, "index.json", index_text, epoch, err);
	if (r == 0)
		r = write_header(a, "blobs/", AE_IFDIR, 0755, 0, epoch, err);
	if (r == 0)
		r = write_header(a, "blobs/sha256/", AE_IFDIR, 0755, 0, epoch, err);
	for (size_t i = 0; r == 0 && i < c->n; i++)
		r = write_blob(store, a, &c->descs[i], epoch, buf, err);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = uk_err_set(err, "write archive: %s", archive_error_string(a));
	archive_write_free(a);
	return r;
}

int store_export(struct store *store, const char *const *refs, size_t n_refs, const char *path,
		 const struct store_export_opts *opts, struct uk_err *err)
{
	struct collect c = { .descs = NULL };
	struct oci_platform platform;
	bool one_platform = opts && opts->arch;
	json_t *index = json_object();
	json_t *manifests = json_array();
	int r = 0;

	json_object_set_new(index, "schemaVersion", json_integer(2));
	json_object_set_new(index, "mediaType", json_string(OCI_MT_INDEX));
	json_object_set_new(index, "manifests", manifests);
	if (one_platform && oci_platform_parse(&platform, opts->arch, err) < 0) {
		json_decref(index);
		return -1;
	}
	for (size_t i = 0; r == 0 && i < n_refs; i++) {
		struct oci_desc top = { 0 }, desc = { 0 };
		char *name = NULL;

		r = store_lookup(store, refs[i], &top, &name, err);
		if (r == 0 && one_platform) {
			r = store_select_platform(store, &top, &platform, &desc, err);
			oci_desc_release(&top);
		} else {
			desc = top;
		}
		/* every blob must be there: an archive is only useful whole */
		if (r == 0)
			r = store_walk(store, &desc, NULL, 0, collect_blob, &c, err);
		if (r == 0)
			json_array_append_new(manifests, index_entry(name, &desc));
		else
			uk_err_wrap(err, "export '%s'", name ? name : refs[i]);
		oci_desc_release(&desc);
		free(name);
	}
	_cleanup_free_ char *text = r == 0 ? json_dumps(index, JSON_COMPACT) : NULL;
	json_decref(index);
	if (r == 0 && !text)
		r = uk_err_set(err, "serialise index.json");

	if (r == 0) {
		int64_t epoch = opts ? opts->epoch : 0;
		if (!strcmp(path, "-")) {
			r = write_archive(store, STDOUT_FILENO, text, &c, epoch, err);
		} else {
			_cleanup_atomic_ struct fs_atomic out = FS_ATOMIC_INIT;
			r = fs_atomic_open(&out, path, 0644, err);
			if (r == 0)
				r = write_archive(store, out.fd, text, &c, epoch, err);
			if (r == 0)
				r = fs_atomic_commit(&out, err);
			if (r < 0)
				uk_err_wrap(err, "export to '%s'", path);
		}
	}
	for (size_t i = 0; i < c.n; i++)
		oci_desc_release(&c.descs[i]);
	free(c.descs);
	digest_set_release(&c.seen);
	return r;
}
