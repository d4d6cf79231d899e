// SPDX-License-Identifier: Apache-2.0
/*
 * The root as a container image with one layer (the root tar, uncompressed,
 * so its digest is also its diff id) and /init as the entrypoint:
 *   docker: the `docker save` archive (manifest.json, the config, LAYER/layer.tar),
 *           which `docker load` and skopeo's docker-archive: read;
 *   oci:    an OCI image layout (oci-layout, index.json, blobs/sha256/...) in a tar,
 *           what skopeo's oci-archive: and umoci (once unpacked) read.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output/root.h"
#include "util/sha256.h"
#include "util/strbuf.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct blob {
	char *json;
	size_t len;
	char hex[SHA256_HEX_LEN + 1];
};

static void blob_set(struct blob *b, json_t *j)
{
	b->json = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	BUG_ON(!b->json);
	b->len = strlen(b->json);
	sha256_hex(b->json, b->len, b->hex);
	json_decref(j);
}

static void blob_release(struct blob *b)
{
	free(b->json);
}

static char *rfc3339(int64_t epoch)
{
	time_t t = epoch > 0 ? (time_t)epoch : 0;
	struct tm tm;
	char buf[32];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* A repository name docker accepts: lowercase letters, digits, '.', '_', '-'. */
static char *repo_name(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (sb.len && strchr("._-", c)))
			strbuf_addch(&sb, c);
	}
	if (!sb.len)
		strbuf_addstr(&sb, "unikit");
	return strbuf_detach(&sb, NULL);
}

static void config_blob(struct blob *b, const struct output_tar_info *info,
			const struct output_image_opts *o)
{
	_cleanup_free_ char *created = rfc3339(o->epoch);
	_cleanup_free_ char *diff = xasprintf("sha256:%s", info->sha256);
	json_t *j = json_pack("{s:s, s:s, s:s, s:{s:[s], s:[s]}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
			      "architecture", o->arch ? o->arch : "amd64", "os", "linux", "created",
			      created, "config", "Entrypoint", "/init", "Env", DEFAULT_PATH,
			      "rootfs", "type", "layers", "diff_ids", diff, "history", "created",
			      created, "created_by", "unikit build");
	BUG_ON(!j);
	blob_set(b, j);
}

struct outer {
	struct archive *a;
	int64_t epoch;
};

static int outer_fail(struct outer *w, const char *what, struct uk_err *err)
{
	return uk_err_set(err, "write '%s' in the image archive: %s", what,
			  archive_error_string(w->a) ? archive_error_string(w->a) : "error");
}

static int outer_header(struct outer *w, const char *path, mode_t mode, uint64_t size,
			struct uk_err *err)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, mode);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, w->epoch > 0 ? w->epoch : 0, 0);
	int s = archive_write_header(w->a, e);
	archive_entry_free(e);
	return s == ARCHIVE_OK ? 0 : outer_fail(w, path, err);
}

static int outer_mem(struct outer *w, const char *path, const void *data, size_t len,
		     struct uk_err *err)
{
	if (outer_header(w, path, S_IFREG | 0644, len, err) < 0)
		return -1;
	if (archive_write_data(w->a, data, len) != (la_ssize_t)len)
		return outer_fail(w, path, err);
	return 0;
}

static int outer_dir(struct outer *w, const char *path, struct uk_err *err)
{
	return outer_header(w, path, S_IFDIR | 0755, 0, err);
}

static int outer_file(struct outer *w, const char *path, const char *src, uint64_t size,
		      struct uk_err *err)
{
	_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return uk_err_errno(err, "open '%s'", src);
	if (outer_header(w, path, S_IFREG | 0644, size, err) < 0)
		return -1;
	_cleanup_free_ char *buf = xmalloc(1 << 20);
	uint64_t done = 0;
	for (;;) {
		ssize_t n = xread_all(fd, buf, 1 << 20);
		if (n < 0)
			return uk_err_errno(err, "read '%s'", src);
		if (n && archive_write_data(w->a, buf, (size_t)n) != n)
			return outer_fail(w, path, err);
		done += (uint64_t)n;
		if (n < (1 << 20))
			break;
	}
	if (done != size)
		return uk_err_set(err, "'%s' changed while it was read", src);
	return 0;
}

static int outer_open(struct outer *w, int fd, int64_t epoch, struct uk_err *err)
{
	w->epoch = epoch;
	w->a = archive_write_new();
	if (archive_write_set_format_ustar(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(w->a, fd) != ARCHIVE_OK)
		return outer_fail(w, "archive", err);
	return 0;
}

static int outer_close(struct outer *w, struct uk_err *err)
{
	int r = archive_write_close(w->a) == ARCHIVE_OK ? 0 : outer_fail(w, "archive", err);
	archive_write_free(w->a);
	w->a = NULL;
	return r;
}

static void outer_abort(struct outer *w)
{
	if (w->a)
		archive_write_free(w->a);
	w->a = NULL;
}

int output_docker_write(const char *tar, const struct output_tar_info *info,
			const struct output_image_opts *o, int out_fd, struct uk_err *err)
{
	_cleanup_(blob_release) struct blob config = { 0 };
	_cleanup_(blob_release) struct blob manifest = { 0 };
	_cleanup_free_ char *repo = repo_name(o->name);
	_cleanup_free_ char *tag = xasprintf("%s:latest", repo);
	_cleanup_free_ char *config_path = NULL, *layer_path = NULL, *layer_dir = NULL;
	struct outer w = { 0 };

	config_blob(&config, info, o);
	config_path = xasprintf("%s.json", config.hex);
	layer_dir = xasprintf("%s/", info->sha256);
	layer_path = xasprintf("%s/layer.tar", info->sha256);
	blob_set(&manifest, json_pack("[{s:s, s:[s], s:[s]}]", "Config", config_path, "RepoTags",
				      tag, "Layers", layer_path));
	if (outer_open(&w, out_fd, o->epoch, err) < 0 ||
	    outer_mem(&w, "manifest.json", manifest.json, manifest.len, err) < 0 ||
	    outer_mem(&w, config_path, config.json, config.len, err) < 0 ||
	    outer_dir(&w, layer_dir, err) < 0 ||
	    outer_file(&w, layer_path, tar, info->size, err) < 0 || outer_close(&w, err) < 0) {
		outer_abort(&w);
		return -1;
	}
	return 0;
}

int output_oci_write(const char *tar, const struct output_tar_info *info,
		     const struct output_image_opts *o, int out_fd, struct uk_err *err)
{
	_cleanup_(blob_release) struct blob config = { 0 };
	_cleanup_(blob_release) struct blob manifest = { 0 };
	_cleanup_(blob_release) struct blob index = { 0 };
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	struct outer w = { 0 };

	config_blob(&config, info, o);
	_cleanup_free_ char *config_digest = xasprintf("sha256:%s", config.hex);
	_cleanup_free_ char *layer_digest = xasprintf("sha256:%s", info->sha256);
	blob_set(&manifest,
		 json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
			   "mediaType", MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest",
			   config_digest, "size", (json_int_t)config.len, "layers", "mediaType",
			   MT_LAYER, "digest", layer_digest, "size", (json_int_t)info->size));
	_cleanup_free_ char *manifest_digest = xasprintf("sha256:%s", manifest.hex);
	blob_set(&index,
		 json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s}, s:{s:s, s:s}}]}",
			   "schemaVersion", 2, "mediaType", MT_INDEX, "manifests", "mediaType",
			   MT_MANIFEST, "digest", manifest_digest, "size", (json_int_t)manifest.len,
			   "annotations", "org.opencontainers.image.ref.name", "latest", "platform",
			   "architecture", o->arch ? o->arch : "amd64", "os", "linux"));
	_cleanup_free_ char *p_config = xasprintf("blobs/sha256/%s", config.hex);
	_cleanup_free_ char *p_manifest = xasprintf("blobs/sha256/%s", manifest.hex);
	_cleanup_free_ char *p_layer = xasprintf("blobs/sha256/%s", info->sha256);
	if (outer_open(&w, out_fd, o->epoch, err) < 0 ||
	    outer_mem(&w, "oci-layout", layout, strlen(layout), err) < 0 ||
	    outer_mem(&w, "index.json", index.json, index.len, err) < 0 ||
	    outer_dir(&w, "blobs/", err) < 0 || outer_dir(&w, "blobs/sha256/", err) < 0 ||
	    outer_mem(&w, p_manifest, manifest.json, manifest.len, err) < 0 ||
	    outer_mem(&w, p_config, config.json, config.len, err) < 0 ||
	    outer_file(&w, p_layer, tar, info->size, err) < 0 || outer_close(&w, err) < 0) {
		outer_abort(&w);
		return -1;
	}
	return 0;
}
