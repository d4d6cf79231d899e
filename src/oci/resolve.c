// SPDX-License-Identifier: Apache-2.0
/* From a name to one platform's image: indexes, manifests, configs, and walks over them. */
#include <stdlib.h>
#include <string.h>

#include "oci/store-internal.h"
#include "util/strbuf.h"

#define NEST_MAX 8 /* indexes inside indexes: deeper than anyone needs */

void store_descs_free(struct oci_desc *descs, size_t n)
{
	for (size_t i = 0; descs && i < n; i++)
		oci_desc_release(&descs[i]);
	free(descs);
}

/* What a manifest or index blob is, from its own mediaType and its descriptor's. */
static int doc_kind(const json_t *doc, const struct oci_desc *desc, enum oci_media_kind *kind,
		    struct uk_err *err)
{
	const json_t *sv = json_object_get(doc, "schemaVersion");
	const char *mt_doc = json_string_value(json_object_get(doc, "mediaType"));
	const char *mt = mt_doc ? mt_doc : desc->media_type;

	if (sv && (!json_is_integer(sv) || json_integer_value(sv) != 2))
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "blob %s: only schemaVersion 2 manifests are supported",
				   desc->digest);
	if (mt_doc && desc->media_type && strcmp(mt_doc, desc->media_type) != 0 &&
	    oci_media_kind(mt_doc) != oci_media_kind(desc->media_type))
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "blob %s: its media type '%s' is not the descriptor's '%s'",
				   desc->digest, mt_doc, desc->media_type);
	enum oci_media_kind k = oci_media_kind(mt);
	if (!mt)
		k = json_object_get(doc, "manifests") ? OCI_MEDIA_INDEX : OCI_MEDIA_MANIFEST;
	if (k != OCI_MEDIA_INDEX && k != OCI_MEDIA_MANIFEST)
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "blob %s: unsupported media type '%s' (not an image manifest or "
				   "index)",
				   desc->digest, mt);
	*kind = k;
	return 0;
}

static int child_desc(struct oci_desc *d, const json_t *obj, const char *parent, const char *where,
		      size_t i, struct uk_err *err)
{
	if (oci_desc_from_json(d, obj, err) < 0)
		return uk_err_wrap(err, "blob %s: %s[%zu]", parent, where, i);
	if (!d->media_type) {
		oci_desc_release(d);
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: %s[%zu]: no mediaType", parent,
				   where, i);
	}
	return 0;
}

int store_manifest_children(const json_t *doc, const struct oci_desc *desc,
			    enum oci_media_kind *kind, struct oci_desc **children, size_t *n_out,
			    struct uk_err *err)
{
	enum oci_media_kind k;

	if (doc_kind(doc, desc, &k, err) < 0)
		return -1;
	const json_t *list = json_object_get(doc, k == OCI_MEDIA_INDEX ? "manifests" : "layers");
	const char *where = k == OCI_MEDIA_INDEX ? "manifests" : "layers";
	if (!json_is_array(list))
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: no '%s' array", desc->digest,
				   where);
	size_t n = json_array_size(list), off = 0;
	struct oci_desc *c = xcalloc(n + 1, sizeof(*c));
	if (k == OCI_MEDIA_MANIFEST) {
		const json_t *cfg = json_object_get(doc, "config");
		if (!cfg) {
			free(c);
			return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: no config", desc->digest);
		}
		if (oci_desc_from_json(&c[0], cfg, err) < 0) {
			free(c);
			return uk_err_wrap(err, "blob %s: config", desc->digest);
		}
		if (!c[0].media_type)
			c[0].media_type = xstrdup(OCI_MT_CONFIG);
		off = 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (child_desc(&c[off + i], json_array_get(list, i), desc->digest, where, i, err) <
		    0) {
			store_descs_free(c, off + i);
			return -1;
		}
	}
	*kind = k;
	*children = c;
	*n_out = n + off;
	return 0;
}

/* Reads a manifest or index, checking its size against the descriptor. */
static int load_doc(struct store *store, const struct oci_desc *desc, json_t **out,
		    struct uk_err *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	json_error_t je;

	if (store_blob_read_all(store, desc->digest, STORE_JSON_MAX, &data, &len, err) < 0)
		return -1;
	if (desc->size >= 0 && (int64_t)len != desc->size)
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "blob %s: %zu bytes, but its descriptor says %lld", desc->digest,
				   len, (long long)desc->size);
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: invalid JSON: %d:%d: %s",
				   desc->digest, je.line, je.column, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: not a JSON object", desc->digest);
	}
	*out = j;
	return 0;
}

static bool is_default_variant(const json_t *platform)
{
	const char *arch = json_string_value(json_object_get(platform, "architecture"));
	const char *v = json_string_value(json_object_get(platform, "variant"));

	return !v || !*v || (arch && !strcmp(arch, "arm64") && !strcmp(v, "v8"));
}

/* The position in an index's manifests of platform's manifest, or -1 (err names what there is). */
static int select_index_entry(const json_t *doc, const struct oci_desc *desc,
			      const struct oci_platform *want, struct uk_err *err)
{
	const json_t *list = json_object_get(doc, "manifests");
	int found = -1;

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *p = json_object_get(json_array_get(list, i), "platform");
		if (!oci_platform_match(want, p))
			continue;
		/* without a variant asked for, prefer the plain one (arm64 = arm64/v8) */
		if (found < 0 || (!want->variant[0] && is_default_variant(p) &&
				  !is_default_variant(json_object_get(
					  json_array_get(list, (size_t)found), "platform"))))
			found = (int)i;
	}
	if (found >= 0)
		return found;

	_cleanup_strbuf_ struct strbuf have = STRBUF_INIT;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *p = json_object_get(json_array_get(list, i), "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		const char *v = json_string_value(json_object_get(p, "variant"));
		if (!os || !arch || !strcmp(os, "unknown"))
			continue;
		strbuf_addf(&have, "%s%s/%s%s%s", have.len ? ", " : "", os, arch,
			    v && *v ? "/" : "", v && *v ? v : "");
	}
	_cleanup_free_ char *w = oci_platform_string(want);
	return uk_err_setc(err, UK_ERR_NOT_FOUND, "index %s has no image for %s (it has: %s)",
			   desc->digest, w, have.len ? have.buf : "none");
}

int store_select_platform(struct store *store, const struct oci_desc *desc,
			  const struct oci_platform *platform, struct oci_desc *out,
			  struct uk_err *err)
{
	struct oci_desc cur;

	oci_desc_copy(&cur, desc);
	for (int depth = 0; depth < NEST_MAX; depth++) {
		json_t *doc = NULL;
		enum oci_media_kind kind = oci_media_kind(cur.media_type);

		if (kind == OCI_MEDIA_MANIFEST) {
			*out = cur;
			return 0;
		}
		if (load_doc(store, &cur, &doc, err) < 0 || doc_kind(doc, &cur, &kind, err) < 0) {
			json_decref(doc);
			oci_desc_release(&cur);
			return -1;
		}
		if (kind == OCI_MEDIA_MANIFEST) {
			json_decref(doc);
			if (!cur.media_type)
				cur.media_type = xstrdup(OCI_MT_MANIFEST);
			*out = cur;
			return 0;
		}
		int i = select_index_entry(doc, &cur, platform, err);
		struct oci_desc next = { 0 };
		if (i < 0 ||
		    child_desc(&next, json_array_get(json_object_get(doc, "manifests"), (size_t)i),
			       cur.digest, "manifests", (size_t)i, err) < 0) {
			json_decref(doc);
			oci_desc_release(&cur);
			return -1;
		}
		json_decref(doc);
		oci_desc_release(&cur);
		cur = next;
	}
	oci_desc_release(&cur);
	return uk_err_setc(err, UK_ERR_CORRUPT, "index %s: indexes nested too deeply",
			   desc->digest);
}

struct walk {
	struct store *store;
	const struct oci_platform *platform;
	unsigned flags;
	store_walk_fn fn;
	void *ctx;
	struct digest_set seen;
};

static int walk_visit(struct walk *w, const struct oci_desc *desc, int depth, struct uk_err *err)
{
	enum oci_media_kind kind = oci_media_kind(desc->media_type);
	json_t *doc = NULL;
	struct oci_desc *children = NULL;
	size_t n = 0;

	if (!digest_set_add(&w->seen, desc->digest))
		return 0;
	if (w->fn(w->ctx, desc, err) < 0)
		return -1;
	if (desc->media_type && kind != OCI_MEDIA_INDEX && kind != OCI_MEDIA_MANIFEST)
		return 0;
	if (depth >= NEST_MAX)
		return uk_err_setc(err, UK_ERR_CORRUPT, "index %s: indexes nested too deeply",
				   desc->digest);
	if ((w->flags & STORE_WALK_SKIP_MISSING) && !store_blob_exists(w->store, desc->digest))
		return 0;
	if (load_doc(w->store, desc, &doc, err) < 0 ||
	    store_manifest_children(doc, desc, &kind, &children, &n, err) < 0) {
		json_decref(doc);
		return -1;
	}
	int r = 0;
	if (kind == OCI_MEDIA_INDEX && w->platform) {
		int i = select_index_entry(doc, desc, w->platform, err);
		r = i < 0 ? -1 : walk_visit(w, &children[i], depth + 1, err);
	} else {
		for (size_t i = 0; r == 0 && i < n; i++)
			r = walk_visit(w, &children[i], depth + 1, err);
	}
	store_descs_free(children, n);
	json_decref(doc);
	return r;
}

int store_walk(struct store *store, const struct oci_desc *root,
	       const struct oci_platform *platform, unsigned flags, store_walk_fn fn, void *ctx,
	       struct uk_err *err)
{
	struct walk w = {
		.store = store,
		.platform = platform,
		.flags = flags,
		.fn = fn,
		.ctx = ctx,
	};
	int r = walk_visit(&w, root, 0, err);

	digest_set_release(&w.seen);
	return r;
}

static int add_size(void *ctx, const struct oci_desc *desc, struct uk_err *err)
{
	int64_t *total = ctx;

	if (__builtin_add_overflow(*total, desc->size, total))
		return uk_err_setc(err, UK_ERR_CORRUPT, "blob sizes overflow");
	return 0;
}

int store_size(struct store *store, const struct oci_desc *desc, int64_t *size, struct uk_err *err)
{
	int64_t total = 0;

	if (store_walk(store, desc, NULL, STORE_WALK_SKIP_MISSING, add_size, &total, err) < 0)
		return -1;
	*size = total;
	return 0;
}

void oci_image_release(struct oci_image *img)
{
	free(img->name);
	json_decref(img->manifest);
	json_decref(img->config);
	for (size_t i = 0; i < img->n_layers; i++)
		oci_desc_release(&img->layers[i]);
	free(img->layers);
	memset(img, 0, sizeof(*img));
}

static int check_config_platform(const json_t *config, const struct oci_platform *want,
				 struct uk_err *err)
{
	const char *os = json_string_value(json_object_get(config, "os"));
	const char *arch = json_string_value(json_object_get(config, "architecture"));

	if ((os && *os && strcmp(os, want->os) != 0) || (arch && *arch && strcmp(arch, want->arch)))
		return uk_err_setc(err, UK_ERR_INPUT, "built for %s/%s, not %s/%s",
				   os && *os ? os : want->os, arch && *arch ? arch : want->arch,
				   want->os, want->arch);
	return 0;
}

static int resolve_manifest(struct store *store, const struct oci_desc *desc,
			    const struct oci_platform *platform, struct oci_image *img,
			    struct uk_err *err)
{
	json_t *doc = NULL;
	struct oci_desc *children = NULL;
	size_t n = 0;
	enum oci_media_kind kind;

	if (load_doc(store, desc, &doc, err) < 0)
		return -1;
	if (store_manifest_children(doc, desc, &kind, &children, &n, err) < 0) {
		json_decref(doc);
		return -1;
	}
	img->manifest = doc;
	snprintf(img->manifest_digest, sizeof(img->manifest_digest), "%s", desc->digest);
	/* children[0] is the config, the rest are the layers */
	if (oci_media_kind(children[0].media_type) != OCI_MEDIA_CONFIG) {
		uk_err_setc(err, UK_ERR_CORRUPT, "manifest %s: unsupported config media type '%s'",
			    desc->digest, children[0].media_type);
		goto fail;
	}
	for (size_t i = 1; i < n; i++) {
		if (oci_layer_compression(children[i].media_type) < 0) {
			uk_err_setc(err, UK_ERR_CORRUPT,
				    "manifest %s: layer %s has unsupported media type '%s'",
				    desc->digest, children[i].digest, children[i].media_type);
			goto fail;
		}
		if (!store_blob_exists(store, children[i].digest)) {
			uk_err_setc(err, UK_ERR_NOT_FOUND, "layer %s is not in the store",
				    children[i].digest);
			goto fail;
		}
	}
	if (load_doc(store, &children[0], &img->config, err) < 0)
		goto fail;
	if (check_config_platform(img->config, platform, err) < 0)
		goto fail;
	snprintf(img->config_digest, sizeof(img->config_digest), "%s", children[0].digest);
	img->n_layers = n - 1;
	img->layers = xcalloc(n, sizeof(*img->layers));
	for (size_t i = 1; i < n; i++)
		img->layers[i - 1] = children[i]; /* moved */
	oci_desc_release(&children[0]);
	free(children);
	return 0;
fail:
	store_descs_free(children, n);
	return -1;
}

int store_image_resolve(struct store *store, const char *ref, const char *arch,
			struct oci_image *img, struct uk_err *err)
{
	struct oci_platform platform;
	struct oci_desc top = { 0 }, manifest = { 0 };
	struct oci_image r = { 0 };

	if (oci_platform_parse(&platform, arch, err) < 0)
		return -1;
	if (store_lookup(store, ref, &top, &r.name, err) < 0)
		return -1;
	int rc = store_select_platform(store, &top, &platform, &manifest, err);
	oci_desc_release(&top);
	if (rc == 0) {
		rc = resolve_manifest(store, &manifest, &platform, &r, err);
		oci_desc_release(&manifest);
	}
	if (rc < 0) {
		uk_err_wrap(err, "image '%s'", r.name);
		oci_image_release(&r);
		return -1;
	}
	*img = r;
	return 0;
}
