// SPDX-License-Identifier: Apache-2.0
/* Manifests, indexes and platforms as the distribution protocol serves them. */
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/sha256.h"

static const char accept_header[] =
	"Accept: " OCI_MT_INDEX ", " OCI_MT_MANIFEST ", " DOCKER_MT_LIST ", " DOCKER_MT_MANIFEST;

static bool is_schema1(const char *mt)
{
	return mt && (!strcmp(mt, REG_MT_DOCKER_V1) || !strcmp(mt, REG_MT_DOCKER_V1_SIGNED));
}

int reg_manifest_parse(const char *body, size_t len, const char *content_type, json_t **doc,
		       enum reg_kind *kind, char **media_type, struct uk_err *err)
{
	_cleanup_free_ char *ct = NULL;
	json_error_t jerr;

	if (content_type) {
		ct = xstrndup(content_type, strcspn(content_type, "; \t"));
		if (is_schema1(ct))
			return uk_err_setc(
				err, UK_ERR_INPUT,
				"image manifest schema 1 ('%s') is not supported: push the image again with a current client",
				ct);
	}
	json_t *root = json_loadb(body, len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return uk_err_setc(err, UK_ERR_CORRUPT, "manifest is not a JSON object: %s",
				   root ? "wrong type" : jerr.text);
	}
	json_int_t version = json_integer_value(json_object_get(root, "schemaVersion"));
	const char *mt = json_string_value(json_object_get(root, "mediaType"));
	if (version == 1 || is_schema1(mt)) {
		json_decref(root);
		return uk_err_setc(
			err, UK_ERR_INPUT,
			"image manifest schema 1 is not supported: push the image again with a current client");
	}
	/* The served type wins; a generic or missing one defers to the document. */
	if (ct && *ct && strcmp(ct, "application/json") != 0 && strcmp(ct, "text/plain") != 0)
		mt = ct;
	if (!mt)
		mt = json_object_get(root, "manifests") ? OCI_MT_INDEX : OCI_MT_MANIFEST;
	if (!strcmp(mt, OCI_MT_INDEX) || !strcmp(mt, DOCKER_MT_LIST)) {
		*kind = REG_KIND_INDEX;
		if (!json_is_array(json_object_get(root, "manifests"))) {
			json_decref(root);
			return uk_err_setc(err, UK_ERR_CORRUPT, "index has no 'manifests' array");
		}
	} else if (!strcmp(mt, OCI_MT_MANIFEST) || !strcmp(mt, DOCKER_MT_MANIFEST)) {
		*kind = REG_KIND_MANIFEST;
	} else {
		_cleanup_free_ char *shown = xstrndup(mt, 100);
		json_decref(root);
		return uk_err_setc(err, UK_ERR_INPUT, "unsupported manifest media type '%s'",
				   shown);
	}
	*media_type = xstrdup(mt);
	*doc = root;
	return 0;
}

static int desc_parse(json_t *j, const char *what, struct oci_desc *d, struct uk_err *err)
{
	const char *digest = json_string_value(json_object_get(j, "digest"));
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	json_t *size = json_object_get(j, "size");

	memset(d, 0, sizeof(*d));
	if (!oci_digest_valid(digest)) {
		_cleanup_free_ char *shown = digest ? xstrndup(digest, 80) : NULL;
		return uk_err_setc(err, UK_ERR_CORRUPT, "%s: unsupported or invalid digest '%s'",
				   what, shown ? shown : "");
	}
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return uk_err_setc(err, UK_ERR_CORRUPT, "%s %s: invalid size", what, digest);
	if (json_object_get(j, "urls") || (mt && strstr(mt, ".foreign.")))
		return uk_err_setc(
			err, UK_ERR_INPUT,
			"%s %s: foreign layers (fetched from other URLs) are not supported", what,
			digest);
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	d->size = json_integer_value(size);
	d->media_type = mt ? xstrdup(mt) : NULL;
	return 0;
}

void reg_descs_free(struct oci_desc *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].media_type);
	free(d);
}

int reg_index_select(json_t *index, const struct oci_platform *p, struct oci_desc *out,
		     struct uk_err *err)
{
	json_t *list = json_object_get(index, "manifests");
	size_t i;
	json_t *m;

	json_array_foreach(list, i, m)
	{
		if (oci_platform_match(p, json_object_get(m, "platform")))
			return desc_parse(m, "index entry", out, err);
	}
	_cleanup_strbuf_ struct strbuf have = STRBUF_INIT;
	json_array_foreach(list, i, m)
	{
		json_t *plat = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(plat, "os"));
		const char *arch = json_string_value(json_object_get(plat, "architecture"));
		const char *variant = json_string_value(json_object_get(plat, "variant"));
		if (!os || !arch || !strcmp(os, "unknown"))
			continue;
		strbuf_addf(&have, "%s%s/%s%s%s", have.len ? ", " : "", os, arch,
			    variant ? "/" : "", variant ? variant : "");
	}
	_cleanup_free_ char *want = oci_platform_string(p);
	return uk_err_setc(err, UK_ERR_NOT_FOUND,
			   "no image for platform '%s' in the index (it has: %s)", want,
			   have.len ? have.buf : "none");
}

int reg_manifest_blobs(json_t *manifest, struct oci_desc **out, size_t *n, struct uk_err *err)
{
	json_t *layers = json_object_get(manifest, "layers");
	json_t *config = json_object_get(manifest, "config");
	size_t count, i;
	json_t *l;

	if (!json_is_object(config))
		return uk_err_setc(err, UK_ERR_CORRUPT, "manifest has no 'config'");
	if (!json_is_array(layers))
		return uk_err_setc(err, UK_ERR_CORRUPT, "manifest has no 'layers' array");
	count = json_array_size(layers) + 1;
	struct oci_desc *d = xcalloc(count, sizeof(*d));
	if (desc_parse(config, "config", &d[0], err) < 0) {
		reg_descs_free(d, count);
		return -1;
	}
	json_array_foreach(layers, i, l)
	{
		if (desc_parse(l, "layer", &d[i + 1], err) < 0) {
			reg_descs_free(d, count);
			return -1;
		}
	}
	*out = d;
	*n = count;
	return 0;
}

/* Registry messages go into our one-line errors: no control characters, bounded. */
static void add_clean(struct strbuf *sb, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++)
		strbuf_addch(sb, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
}

char *reg_error_summary(const char *body, size_t len)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	json_t *root = len ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *errors = json_object_get(root, "errors"), *e;
	size_t i;

	json_array_foreach(errors, i, e)
	{
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		if (!code)
			continue;
		if (sb.len)
			strbuf_addstr(&sb, "; ");
		add_clean(&sb, code, 64);
		if (msg && *msg) {
			strbuf_addstr(&sb, ": ");
			add_clean(&sb, msg, 200);
		}
		if (i >= 3)
			break;
	}
	json_decref(root);
	return sb.len ? strbuf_detach(&sb, NULL) : NULL;
}

void reg_fetched_release(struct reg_fetched *f)
{
	free(f->body);
	json_decref(f->doc);
	free(f->media_type);
	memset(f, 0, sizeof(*f));
}

int reg_manifest_get(struct reg_client *c, const char *domain, const char *repo, const char *scope,
		     const char *reference, const char *want, struct reg_fetched *f, bool *absent,
		     struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", repo, reference);
	_cleanup_free_ char *step = xasprintf("get manifest '%s'", reference);
	struct curl_slist *headers = curl_slist_append(NULL, accept_header);
	struct reg_req req = { .method = "GET",
			       .url = path,
			       .repo = repo,
			       .step = step,
			       .scope = scope,
			       .headers = headers };
	struct reg_resp resp;
	char hex[SHA256_HEX_LEN + 1];
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (absent)
		*absent = false;
	reg_resp_init(&resp, REG_MANIFEST_MAX);
	if (reg_client_do(c, &req, &resp, err) < 0)
		goto out;
	if (resp.status == 404 && absent) {
		*absent = true;
		rc = 0;
		goto out;
	}
	if (resp.status != 200) {
		reg_err_http(c, err, repo, step, &resp);
		goto out;
	}
	sha256_hex(resp.body.buf, resp.body.len, hex);
	snprintf(f->digest, sizeof(f->digest), "sha256:%s", hex);
	if (want && strcmp(want, f->digest) != 0) {
		uk_err_setc(
			err, UK_ERR_CORRUPT,
			"registry '%s' repository '%s': %s: content is %s, not the digest asked for",
			domain, repo, step, f->digest);
		goto out;
	}
	if (resp.digest && oci_digest_valid(resp.digest) && strcmp(resp.digest, f->digest) != 0) {
		uk_err_setc(
			err, UK_ERR_CORRUPT,
			"registry '%s' repository '%s': %s: content is %s, the registry says %s",
			domain, repo, step, f->digest, resp.digest);
		goto out;
	}
	if (reg_manifest_parse(resp.body.buf, resp.body.len, resp.content_type, &f->doc, &f->kind,
			       &f->media_type, err) < 0) {
		uk_err_wrap(err, "registry '%s' repository '%s': %s", domain, repo, step);
		goto out;
	}
	f->body = strbuf_detach(&resp.body, &f->len);
	rc = 0;
out:
	curl_slist_free_all(headers);
	reg_resp_release(&resp);
	if (rc < 0)
		reg_fetched_release(f);
	return rc;
}
