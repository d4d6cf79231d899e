// SPDX-License-Identifier: Apache-2.0
/*
 * The image layer: the tree's reproducible tar, gzip-compressed without a
 * timestamp, streamed into the store while its uncompressed digest (the
 * image config's diff_id) is computed on the way.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pkg/pkg-internal.h"

struct layer_ctx {
	struct archive *gz;
	struct sha256 diff;
	struct store_writer *w;
	struct uk_err *err;
	bool failed;
};

static la_ssize_t gz_out(struct archive *a, void *data, const void *buf, size_t len)
{
	struct layer_ctx *l = data;

	if (l->failed)
		return -1;
	if (store_writer_write(l->w, buf, len, l->err) < 0) {
		l->failed = true;
		archive_set_error(a, EIO, "store write failed");
		return -1;
	}
	return (la_ssize_t)len;
}

static int tar_in(void *ctx, const void *data, size_t len, struct uk_err *err)
{
	struct layer_ctx *l = ctx;

	sha256_update(&l->diff, data, len);
	if (archive_write_data(l->gz, data, len) != (la_ssize_t)len) {
		if (l->failed)
			return -1;
		return uk_err_set(err, "compress the layer: %s", archive_error_string(l->gz));
	}
	return 0;
}

int tar_write_layer(struct tree *t, int64_t epoch, struct store *store, struct oci_desc *layer,
		    char diff_id[OCI_DIGEST_MAX], struct uk_err *err)
{
	struct layer_ctx l = { .err = err };
	struct archive_entry *ae = NULL;
	char hex[SHA256_HEX_LEN + 1];
	int ret = -1;

	if (store_writer_new(store, &l.w, err) < 0)
		return -1;
	sha256_init(&l.diff);
	l.gz = archive_write_new();
	/* gzip as a filter over the "raw" format: a plain compressed stream, no timestamp */
	if (archive_write_set_format_raw(l.gz) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(l.gz) != ARCHIVE_OK ||
	    archive_write_set_filter_option(l.gz, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(l.gz, 65536) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(l.gz, 1) != ARCHIVE_OK ||
	    archive_write_open2(l.gz, &l, NULL, gz_out, NULL, NULL) != ARCHIVE_OK) {
		if (!l.failed)
			uk_err_set(err, "start gzip: %s", archive_error_string(l.gz));
		goto out;
	}
	ae = archive_entry_new();
	archive_entry_set_pathname(ae, "layer.tar");
	archive_entry_set_mode(ae, AE_IFREG | 0644);
	if (archive_write_header(l.gz, ae) != ARCHIVE_OK) {
		uk_err_set(err, "start gzip: %s", archive_error_string(l.gz));
		goto out;
	}
	if (tar_write_tree(t, epoch, tar_in, &l, err) < 0)
		goto out;
	if (archive_write_close(l.gz) != ARCHIVE_OK) {
		if (!l.failed)
			uk_err_set(err, "finish gzip: %s", archive_error_string(l.gz));
		goto out;
	}
	if (store_writer_commit(l.w, NULL, layer->digest, &layer->size, err) < 0)
		goto out;
	layer->media_type = xstrdup("application/vnd.oci.image.layer.v1.tar+gzip");
	sha256_final_hex(&l.diff, hex);
	snprintf(diff_id, OCI_DIGEST_MAX, "sha256:%s", hex);
	ret = 0;
out:
	sha256_release(&l.diff);
	archive_entry_free(ae);
	archive_write_free(l.gz);
	store_writer_free(l.w);
	return ret;
}
