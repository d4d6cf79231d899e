// SPDX-License-Identifier: Apache-2.0
/*
 * Reading a .deb with libarchive: an ar archive holding debian-binary,
 * control.tar.* (maintainer scripts, which an image never runs) and
 * data.tar.* (the files), read here as a nested stream without unpacking.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>

#include "pkg/pkg-internal.h"

struct nested {
	struct archive *outer;
	char buf[65536];
};

static la_ssize_t nested_read(struct archive *a, void *data, const void **buf)
{
	struct nested *n = data;
	la_ssize_t r = archive_read_data(n->outer, n->buf, sizeof(n->buf));

	if (r < 0)
		archive_set_error(a, EIO, "%s", archive_error_string(n->outer));
	*buf = n->buf;
	return r;
}

static int walk_data(const char *deb, struct archive *outer, deb_entry_fn fn, void *ctx,
		     struct uk_err *err)
{
	struct nested *n = xmalloc(sizeof(*n));
	struct archive *in = archive_read_new();
	struct archive_entry *ae;
	int ret = -1, r;

	n->outer = outer;
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	if (archive_read_open(in, n, NULL, nested_read, NULL) != ARCHIVE_OK) {
		uk_err_setc(err, UK_ERR_CORRUPT, "'%s': data.tar: %s", deb,
			    archive_error_string(in));
		goto out;
	}
	while ((r = archive_read_next_header(in, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ae);
		if (!name) {
			uk_err_setc(err, UK_ERR_CORRUPT, "'%s': an entry without a name", deb);
			goto out;
		}
		if (strcmp(name, ".") == 0 || strcmp(name, "./") == 0 || strcmp(name, "/") == 0)
			continue;
		_cleanup_free_ char *path = pkg_path_normalise(name);
		if (!path) {
			uk_err_setc(err, UK_ERR_CORRUPT, "'%s': unsafe path '%s'", deb, name);
			goto out;
		}
		if (fn(ctx, path, in, ae, err) < 0) {
			uk_err_wrap(err, "'%s'", deb);
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		uk_err_setc(err, UK_ERR_CORRUPT, "'%s': data.tar: %s", deb,
			    archive_error_string(in));
		goto out;
	}
	ret = 0;
out:
	archive_read_free(in);
	free(n);
	return ret;
}

int deb_foreach(const char *path, deb_entry_fn fn, void *ctx, struct uk_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	bool seen_binary = false, seen_data = false;
	int ret = -1, r;

	archive_read_support_format_ar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		uk_err_setc(err, UK_ERR_CORRUPT, "'%s': %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);
		if (!name)
			continue;
		if (strcmp(name, "debian-binary") == 0) {
			char v[16] = { 0 };
			la_ssize_t n = archive_read_data(a, v, sizeof(v) - 1);
			if (n < 2 || strncmp(v, "2.", 2) != 0) {
				uk_err_setc(err, UK_ERR_CORRUPT, "'%s': not a version 2 .deb",
					    path);
				goto out;
			}
			seen_binary = true;
		} else if (str_has_prefix(name, "data.tar")) {
			if (!seen_binary || seen_data) {
				uk_err_setc(err, UK_ERR_CORRUPT, "'%s': misplaced '%s'", path,
					    name);
				goto out;
			}
			seen_data = true;
			if (walk_data(path, a, fn, ctx, err) < 0)
				goto out;
		}
		/* control.tar.*: maintainer scripts and package metadata, not wanted */
	}
	if (r != ARCHIVE_EOF) {
		uk_err_setc(err, UK_ERR_CORRUPT, "'%s': %s", path, archive_error_string(a));
		goto out;
	}
	if (!seen_data) {
		uk_err_setc(err, UK_ERR_CORRUPT, "'%s': no data.tar member: not a .deb", path);
		goto out;
	}
	ret = 0;
out:
	archive_read_free(a);
	return ret;
}
