// SPDX-License-Identifier: Apache-2.0
/*
 * The OCI image around the layer: a config (platform, the image config the
 * assembly falls back on, the org.mobyproject.config label) and a manifest,
 * both canonical JSON (sorted keys, no spaces) so the same build gives the
 * same digests.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkg/pkg-internal.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static char *rfc3339(int64_t epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	char buf[64];

	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return xstrdup("1970-01-01T00:00:00Z");
	return xstrdup(buf);
}

static int put_json(struct store *store, json_t *j, struct oci_desc *d, const char *media_type,
		    struct uk_err *err)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	if (!text)
		return uk_err_set(err, "encode JSON");
	size_t len = strlen(text);
	int r = store_blob_put(store, text, len, d->digest, err);
	free(text);
	if (r < 0)
		return -1;
	d->size = (int64_t)len;
	d->media_type = xstrdup(media_type);
	return 0;
}

static json_t *desc_json(const struct oci_desc *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", d->digest, "size",
			 (json_int_t)d->size);
}

int pkg_image_write(struct store *store, const struct pkg_image_info *info,
		    const struct oci_desc *layer, const char *diff_id, struct oci_desc *manifest,
		    struct uk_err *err)
{
	_cleanup_free_ char *created = rfc3339(info->epoch);
	struct oci_desc cfg = { 0 };
	json_t *labels = json_object();
	json_t *config = json_object();
	int ret = -1;

	if (info->label) {
		char *s = json_dumps(info->label, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_object_set_new(labels, PKG_LABEL_CONFIG, json_string(s));
		free(s);
	}
	if (info->debs && *info->debs)
		json_object_set_new(labels, PKG_LABEL_DEBS, json_string(info->debs));
	if (info->source)
		json_object_set_new(labels, "org.opencontainers.image.source",
				    json_string(info->source));
	json_object_set_new(config, "Labels", labels);
	if (info->env)
		json_object_set(config, "Env", info->env);
	else
		json_object_set_new(config, "Env", json_pack("[s]", DEFAULT_PATH));
	if (info->entrypoint)
		json_object_set(config, "Entrypoint", info->entrypoint);
	if (info->cmd)
		json_object_set(config, "Cmd", info->cmd);
	json_object_set_new(config, "WorkingDir", json_string(info->workdir ? info->workdir : "/"));

	json_t *image = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
				  "architecture", info->arch, "os", "linux", "created", created,
				  "config", config, "rootfs", "type", "layers", "diff_ids", diff_id,
				  "history", "created", created, "created_by", "unikit pkg build");
	if (!image) {
		uk_err_set(err, "encode the image config");
		goto out;
	}
	if (put_json(store, image, &cfg, "application/vnd.oci.image.config.v1+json", err) < 0) {
		json_decref(image);
		goto out;
	}
	json_decref(image);

	json_t *m = json_pack("{s:i, s:s, s:o, s:[o]}", "schemaVersion", 2, "mediaType",
			      "application/vnd.oci.image.manifest.v1+json", "config",
			      desc_json(&cfg), "layers", desc_json(layer));
	if (!m) {
		uk_err_set(err, "encode the manifest");
		goto out;
	}
	ret = put_json(store, m, manifest, "application/vnd.oci.image.manifest.v1+json", err);
	json_decref(m);
out:
	free(cfg.media_type);
	return ret;
}
