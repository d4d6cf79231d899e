// SPDX-License-Identifier: Apache-2.0
/*
 * Push: every blob the registry lacks goes up (mounted from another
 * repository of the same registry when the store knows one that holds it,
 * else uploaded in one PUT or in PATCH chunks), then the manifests, then the
 * index, byte for byte as the store holds them, so digests do not change.
 */
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"
#include "util/sha256.h"

#define CHUNK_DEFAULT (32ll << 20)
#define ERROR_BODY_MAX (64u << 10)

struct push {
	struct store *store;
	struct reg_client *client;
	const struct registry_opts *opts;
	struct oci_ref dest;
	char *dest_name;
	char *scope; /* "repository:PATH:pull,push" */
	int64_t total_size, total_done;
	char top[OCI_DIGEST_MAX]; /* the digest the destination name now has */
};

static int desc_from_json(json_t *j, struct oci_desc *d)
{
	const char *digest = json_string_value(json_object_get(j, "digest"));
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	json_t *size = json_object_get(j, "size");

	if (!oci_digest_valid(digest) || !json_is_integer(size))
		return -1;
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	d->size = json_integer_value(size);
	d->media_type = xstrdup(mt ? mt : OCI_MT_MANIFEST);
	return 0;
}

/* ---- blobs ---- */

struct upload_src {
	struct store_blob *b;
	int64_t left; /* bytes this request still sends */
	struct uk_err err;
};

static size_t upload_read_cb(char *buf, size_t size, size_t n, void *ctx)
{
	struct upload_src *s = ctx;
	size_t len = size * n;

	if ((int64_t)len > s->left)
		len = (size_t)s->left;
	if (len == 0)
		return 0;
	if (s->err.msg)
		return CURL_READFUNC_ABORT;
	ssize_t got = store_blob_read(s->b, buf, len, &s->err);
	if (got <= 0)
		return CURL_READFUNC_ABORT; /* the blob ended early or failed its digest */
	s->left -= got;
	return (size_t)got;
}

/* A request that sends from the store: the store's own error (a corrupt blob) wins. */
static int send_from_store(struct push *p, const struct reg_req *req, struct upload_src *src,
			   struct reg_resp *resp, struct uk_err *err)
{
	struct uk_err cerr = { 0 };
	int r = reg_client_do(p->client, req, resp, &cerr);

	if (src->err.msg) {
		uk_err_release(&cerr);
		*err = src->err;
		memset(&src->err, 0, sizeof(src->err));
		return -1;
	}
	if (r < 0) {
		*err = cerr;
		return -1;
	}
	return 0;
}

static char *with_digest(const char *location, const char *digest)
{
	return xasprintf("%s%sdigest=sha256%%3A%s", location, strchr(location, '?') ? "&" : "?",
			 digest + 7);
}

static void emit(struct push *p, enum registry_event_kind kind, const char *digest, int64_t size,
		 int64_t done)
{
	struct registry_event ev = { .kind = kind,
				     .ref = p->dest_name,
				     .digest = digest,
				     .size = size,
				     .done = done,
				     .total_size = p->total_size,
				     .total_done = p->total_done };
	reg_emit(p->opts, &ev);
}

static int expect_status(struct push *p, const struct reg_resp *resp, long want, const char *step,
			 struct uk_err *err)
{
	if (resp->status == want)
		return 0;
	return reg_err_http(p->client, err, p->dest.path, step, resp);
}

/*
 * Sends the blob from an upload session at *location: one PUT, or PATCH
 * chunks and a closing PUT. Returns 1 when a transient failure calls for a
 * new session, with *why saying what failed.
 */
static int upload_session(struct push *p, const struct oci_desc *d, char **location, char **why,
			  struct uk_err *err)
{
	int64_t chunk = p->opts && p->opts->chunk_size > 0 ? p->opts->chunk_size : CHUNK_DEFAULT;
	_cleanup_free_ char *step = xasprintf("upload blob %s", d->digest);
	_cleanup_free_ char *url = NULL;
	struct upload_src src = { 0 };
	struct reg_resp resp;
	int rc = -1;

	if (store_blob_open(p->store, d->digest, &src.b, err) < 0)
		return -1;
	reg_resp_init(&resp, ERROR_BODY_MAX);
	struct curl_slist *octet =
		curl_slist_append(NULL, "Content-Type: application/octet-stream");
	int64_t sent = 0;
	bool chunked = d->size > chunk;
	while (chunked && sent < d->size) {
		int64_t len = d->size - sent < chunk ? d->size - sent : chunk;
		_cleanup_free_ char *range = xasprintf("Content-Range: %lld-%lld", (long long)sent,
						       (long long)(sent + len - 1));
		struct curl_slist *h =
			curl_slist_append(NULL, "Content-Type: application/octet-stream");
		h = curl_slist_append(h, range);
		src.left = len;
		struct reg_req req = { .method = "PATCH",
				       .url = *location,
				       .repo = p->dest.path,
				       .step = step,
				       .scope = p->scope,
				       .headers = h,
				       .read_cb = upload_read_cb,
				       .read_ctx = &src,
				       .upload_len = len,
				       .upload_once = true };
		int r = send_from_store(p, &req, &src, &resp, err);
		curl_slist_free_all(h);
		if (r < 0)
			goto out;
		if (resp.status != 202) {
			if (resp.status == 0 || reg_retry_transient(CURLE_OK, resp.status) ||
			    resp.status == 401) {
				*why = resp.failure ? xstrdup(resp.failure)
						    : xasprintf("HTTP %ld", resp.status);
				rc = 1;
				goto out;
			}
			reg_err_http(p->client, err, p->dest.path, step, &resp);
			goto out;
		}
		if (!resp.location) {
			uk_err_set(err,
				   "registry '%s' repository '%s': %s: no Location in the answer",
				   p->dest.domain, p->dest.path, step);
			goto out;
		}
		free(*location);
		*location = reg_client_url(p->client, resp.location);
		sent += len;
		p->total_done += len;
		emit(p, REGISTRY_EV_PROGRESS, d->digest, d->size, sent);
	}
	url = with_digest(*location, d->digest);
	src.left = chunked ? 0 : d->size;
	struct reg_req put = { .method = "PUT",
			       .url = url,
			       .repo = p->dest.path,
			       .step = step,
			       .scope = p->scope,
			       .headers = octet,
			       .read_cb = upload_read_cb,
			       .read_ctx = &src,
			       .upload_len = src.left,
			       .upload_once = true };
	if (send_from_store(p, &put, &src, &resp, err) < 0)
		goto out;
	if (resp.status != 201) {
		if (resp.status == 0 || reg_retry_transient(CURLE_OK, resp.status) ||
		    resp.status == 401) {
			*why = resp.failure ? xstrdup(resp.failure)
					    : xasprintf("HTTP %ld", resp.status);
			rc = 1;
			goto out;
		}
		reg_err_http(p->client, err, p->dest.path, step, &resp);
		goto out;
	}
	/* Reading to the end is what checks the local blob against its digest. */
	char tail;
	ssize_t more = store_blob_read(src.b, &tail, 1, err);
	if (more < 0)
		goto out;
	if (more > 0) {
		uk_err_setc(err, UK_ERR_CORRUPT, "blob %s: larger than its size", d->digest);
		goto out;
	}
	if (!chunked)
		p->total_done += d->size;
	rc = 0;
out:
	curl_slist_free_all(octet);
	reg_resp_release(&resp);
	uk_err_release(&src.err);
	store_blob_close(src.b);
	return rc;
}

static int push_blob(struct push *p, const struct oci_desc *d, struct uk_err *err)
{
	_cleanup_free_ char *head_path = xasprintf("/v2/%s/blobs/%s", p->dest.path, d->digest);
	_cleanup_free_ char *step = xasprintf("check blob %s", d->digest);
	_cleanup_free_ char *from = NULL;
	struct reg_resp resp;
	struct reg_retry retry;
	int rc = -1;

	reg_resp_init(&resp, ERROR_BODY_MAX);
	struct reg_req head = { .method = "HEAD",
				.url = head_path,
				.repo = p->dest.path,
				.step = step,
				.scope = p->scope };
	if (reg_client_do(p->client, &head, &resp, err) < 0)
		goto out;
	if (resp.status == 200) {
		p->total_done += d->size;
		emit(p, REGISTRY_EV_EXISTS, d->digest, d->size, d->size);
		rc = 0;
		goto out;
	}
	if (resp.status != 404) {
		reg_err_http(p->client, err, p->dest.path, step, &resp);
		goto out;
	}
	if (!store_blob_exists(p->store, d->digest)) {
		uk_err_setc(err, UK_ERR_NOT_FOUND, "blob %s is not in the store", d->digest);
		goto out;
	}
	from = reg_sources_find(p->store, d->digest, p->dest.domain, p->dest.path);
	emit(p, REGISTRY_EV_BLOB, d->digest, d->size, 0);
	reg_retry_init(&retry);
	for (;;) {
		_cleanup_free_ char *post = NULL, *scope = NULL, *location = NULL;
		free(step);
		if (from) {
			char *esc = curl_easy_escape(NULL, from, 0);
			post = xasprintf("/v2/%s/blobs/uploads/?mount=sha256%%3A%s&from=%s",
					 p->dest.path, d->digest + 7, esc);
			curl_free(esc);
			scope = xasprintf("%s repository:%s:pull", p->scope, from);
			step = xasprintf("mount blob %s from '%s'", d->digest, from);
		} else {
			post = xasprintf("/v2/%s/blobs/uploads/", p->dest.path);
			scope = xstrdup(p->scope);
			step = xasprintf("start upload of blob %s", d->digest);
		}
		struct reg_req req = { .method = "POST",
				       .url = post,
				       .repo = p->dest.path,
				       .step = step,
				       .scope = scope };
		if (reg_client_do(p->client, &req, &resp, err) < 0)
			goto out;
		if (from && resp.status == 201) {
			p->total_done += d->size;
			emit(p, REGISTRY_EV_MOUNTED, d->digest, d->size, d->size);
			rc = 0;
			goto out;
		}
		if (resp.status != 202 || !resp.location) {
			if (resp.status == 202)
				uk_err_set(
					err,
					"registry '%s' repository '%s': %s: no Location in the answer",
					p->dest.domain, p->dest.path, step);
			else
				reg_err_http(p->client, err, p->dest.path, step, &resp);
			goto out;
		}
		/* A refused mount falls back to the upload session the registry opened. */
		free(from);
		from = NULL;
		location = reg_client_url(p->client, resp.location);
		int64_t before = p->total_done;
		_cleanup_free_ char *why = NULL;
		int r = upload_session(p, d, &location, &why, err);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		p->total_done = before;
		double wait;
		if (!reg_retry_next(&retry, CURLE_OK, 503, -1, &wait)) {
			uk_err_set(err, "registry '%s' repository '%s': upload blob %s: %s",
				   p->dest.domain, p->dest.path, d->digest, why);
			goto out;
		}
		_cleanup_free_ char *msg = xasprintf("upload blob %s: %s", d->digest, why);
		struct registry_event ev = { .kind = REGISTRY_EV_RETRY,
					     .ref = p->dest_name,
					     .digest = d->digest,
					     .message = msg };
		reg_emit(p->opts, &ev);
		reg_sleep(wait);
	}
	emit(p, REGISTRY_EV_DONE, d->digest, d->size, d->size);
	rc = 0;
out:
	if (rc == 0)
		reg_sources_add(p->store, d->digest, p->dest.domain, p->dest.path);
	reg_resp_release(&resp);
	return rc;
}

/* ---- manifests ---- */

static int put_manifest(struct push *p, const char *reference, const char *media_type,
			const char *body, size_t len, const char *digest, struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", p->dest.path, reference);
	_cleanup_free_ char *step = xasprintf("put manifest '%s'", reference);
	_cleanup_free_ char *ct = xasprintf("Content-Type: %s", media_type);
	struct curl_slist *h = curl_slist_append(NULL, ct);
	struct reg_req req = { .method = "PUT",
			       .url = path,
			       .repo = p->dest.path,
			       .step = step,
			       .scope = p->scope,
			       .headers = h,
			       .body = body,
			       .body_len = len };
	struct reg_resp resp;
	int rc = -1;

	reg_resp_init(&resp, ERROR_BODY_MAX);
	if (reg_client_do(p->client, &req, &resp, err) < 0 ||
	    expect_status(p, &resp, 201, step, err) < 0)
		goto out;
	if (resp.digest && oci_digest_valid(resp.digest) && strcmp(resp.digest, digest) != 0) {
		uk_err_setc(err, UK_ERR_CORRUPT,
			    "registry '%s' repository '%s': %s: the registry stored %s, not %s",
			    p->dest.domain, p->dest.path, step, resp.digest, digest);
		goto out;
	}
	if (!strcmp(reference, p->dest.tag ? p->dest.tag : p->dest.digest))
		snprintf(p->top, sizeof(p->top), "%s", digest);
	struct registry_event ev = { .kind = REGISTRY_EV_MANIFEST,
				     .ref = p->dest_name,
				     .digest = digest,
				     .size = (int64_t)len };
	reg_emit(p->opts, &ev);
	rc = 0;
out:
	curl_slist_free_all(h);
	reg_resp_release(&resp);
	return rc;
}

static int read_doc(struct push *p, const struct oci_desc *d, char **body, size_t *len,
		    json_t **doc, enum reg_kind *kind, char **mt, struct uk_err *err)
{
	if (store_blob_read_all(p->store, d->digest, REG_MANIFEST_MAX, body, len, err) < 0)
		return -1;
	if (reg_manifest_parse(*body, *len, d->media_type, doc, kind, mt, err) < 0) {
		free(*body);
		*body = NULL;
		return uk_err_wrap(err, "manifest %s", d->digest);
	}
	return 0;
}

/* Pushes an image manifest's blobs, then the manifest (by digest, or under reference). */
static int push_manifest(struct push *p, const struct oci_desc *d, const char *reference,
			 struct uk_err *err)
{
	_cleanup_free_ char *body = NULL, *mt = NULL;
	struct oci_desc *blobs = NULL;
	size_t len, n = 0;
	json_t *doc = NULL;
	enum reg_kind kind;
	int rc = -1;

	if (read_doc(p, d, &body, &len, &doc, &kind, &mt, err) < 0)
		return -1;
	if (kind != REG_KIND_MANIFEST) {
		uk_err_setc(err, UK_ERR_INPUT, "%s: an index inside an index is not supported",
			    d->digest);
		goto out;
	}
	if (reg_manifest_blobs(doc, &blobs, &n, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (push_blob(p, &blobs[i], err) < 0)
			goto out;
	}
	rc = put_manifest(p, reference ? reference : d->digest, mt, body, len, d->digest, err);
out:
	reg_descs_free(blobs, n);
	json_decref(doc);
	return rc;
}

static const char *dest_reference(struct push *p)
{
	return p->dest.tag ? p->dest.tag : p->dest.digest;
}

/* Puts an index (made here) into the store too, so the name's digest can be pulled back. */
static int put_new_index(struct push *p, json_t *index, struct uk_err *err)
{
	_cleanup_free_ char *body = json_dumps(index, JSON_COMPACT);
	char digest[OCI_DIGEST_MAX];

	if (!body)
		return uk_err_set(err, "cannot serialise an index");
	if (store_blob_put(p->store, body, strlen(body), digest, err) < 0)
		return -1;
	return put_manifest(p, dest_reference(p),
			    json_string_value(json_object_get(index, "mediaType")), body,
			    strlen(body), digest, err);
}

/* An index the store holds: its manifests that are in the store go up, then the index. */
static int push_index(struct push *p, const struct oci_desc *d, struct uk_err *err)
{
	_cleanup_free_ char *body = NULL, *mt = NULL;
	json_t *doc = NULL, *m, *kept = json_array();
	enum reg_kind kind;
	size_t len, i;
	int rc = -1;

	if (read_doc(p, d, &body, &len, &doc, &kind, &mt, err) < 0)
		goto out;
	json_array_foreach(json_object_get(doc, "manifests"), i, m)
	{
		struct oci_desc child = { 0 };
		if (desc_from_json(m, &child) < 0) {
			uk_err_setc(err, UK_ERR_CORRUPT, "index %s: invalid entry %zu", d->digest,
				    i);
			goto out;
		}
		bool have = store_blob_exists(p->store, child.digest);
		int r = have ? push_manifest(p, &child, NULL, err) : 0;
		free(child.media_type);
		if (r < 0)
			goto out;
		if (have)
			json_array_append(kept, m);
	}
	if (json_array_size(kept) == 0) {
		uk_err_setc(err, UK_ERR_NOT_FOUND,
			    "index %s: none of its manifests is in the store", d->digest);
		goto out;
	}
	if (json_array_size(kept) == json_array_size(json_object_get(doc, "manifests"))) {
		rc = put_manifest(p, dest_reference(p), mt, body, len, d->digest, err);
	} else {
		/* Only some platforms were pulled: the registry gets an index of those. */
		json_t *copy = json_deep_copy(doc);
		json_object_set(copy, "manifests", kept);
		rc = put_new_index(p, copy, err);
		json_decref(copy);
	}
out:
	json_decref(kept);
	json_decref(doc);
	return rc;
}

/* The name's manifest, or its index with the manifests of it that the store holds. */
static int push_top(struct push *p, const struct oci_desc *d, struct uk_err *err)
{
	_cleanup_free_ char *body = NULL, *mt = NULL;
	json_t *doc = NULL;
	enum reg_kind kind;
	size_t len;

	if (read_doc(p, d, &body, &len, &doc, &kind, &mt, err) < 0)
		return -1;
	json_decref(doc);
	if (kind == REG_KIND_INDEX)
		return push_index(p, d, err);
	return push_manifest(p, d, dest_reference(p), err);
}

/* The bytes of the blobs under d that the store holds (what the progress counts to). */
static int64_t blobs_total(struct push *p, const struct oci_desc *d)
{
	_cleanup_free_ char *body = NULL, *mt = NULL;
	struct uk_err err = { 0 };
	json_t *doc = NULL;
	enum reg_kind kind;
	int64_t total = 0;
	size_t len;

	if (read_doc(p, d, &body, &len, &doc, &kind, &mt, &err) < 0) {
		uk_err_release(&err);
		return 0;
	}
	if (kind == REG_KIND_MANIFEST) {
		struct oci_desc *blobs;
		size_t n;
		if (reg_manifest_blobs(doc, &blobs, &n, &err) == 0) {
			for (size_t k = 0; k < n; k++)
				total += blobs[k].size;
			reg_descs_free(blobs, n);
		}
		uk_err_release(&err);
	} else {
		size_t k;
		json_t *m;
		json_array_foreach(json_object_get(doc, "manifests"), k, m)
		{
			struct oci_desc child = { 0 };
			/* one level: an index inside an index is refused when pushed */
			if (desc_from_json(m, &child) == 0 &&
			    oci_media_kind(child.media_type) == OCI_MEDIA_MANIFEST &&
			    store_blob_exists(p->store, child.digest))
				total += blobs_total(p, &child);
			free(child.media_type);
		}
	}
	json_decref(doc);
	return total;
}

/* What both pushes start with: the destination, the store's image, a client. */
static int push_open(struct push *p, struct store *store, const char *ref, const char *remote,
		     const struct registry_opts *opts, struct oci_desc *top, struct uk_err *err)
{
	memset(p, 0, sizeof(*p));
	p->store = store;
	p->opts = opts;
	if (oci_ref_parse(&p->dest, remote ? remote : ref, err) < 0)
		return -1;
	if (!p->dest.tag && !p->dest.digest)
		return uk_err_setc(err, UK_ERR_INPUT, "'%s': no tag to push to",
				   remote ? remote : ref);
	p->dest_name = oci_ref_string(&p->dest);
	p->scope = xasprintf("repository:%s:pull,push", p->dest.path);
	if (store_lookup(store, ref, top, NULL, err) < 0)
		return -1;
	return reg_client_new(&p->client, p->dest.domain, opts, err);
}

/* What both end with: rc, its error said to be the push of name's. */
static int push_close(struct push *p, struct oci_desc *top, int rc, const char *name,
		      struct uk_err *err)
{
	if (rc < 0)
		uk_err_wrap(err, "push '%s'", name);
	oci_desc_release(top);
	oci_ref_release(&p->dest);
	free(p->dest_name);
	free(p->scope);
	reg_client_free(p->client);
	return rc;
}

static void push_started(struct push *p)
{
	struct registry_event ev = { .kind = REGISTRY_EV_START,
				     .ref = p->dest_name,
				     .total_size = p->total_size };
	reg_emit(p->opts, &ev);
}

static void push_finished(struct push *p)
{
	struct registry_event ev = { .kind = REGISTRY_EV_FINISH,
				     .ref = p->dest_name,
				     .digest = p->top,
				     .total_size = p->total_size,
				     .total_done = p->total_done };
	reg_emit(p->opts, &ev);
}

int registry_push(struct store *store, const char *ref, const char *remote,
		  const struct registry_opts *opts, struct uk_err *err)
{
	struct push p;
	struct oci_desc top = { 0 };
	int rc = -1;

	if (push_open(&p, store, ref, remote, opts, &top, err) < 0)
		goto out;
	p.total_size = blobs_total(&p, &top);
	push_started(&p);
	if (push_top(&p, &top, err) < 0)
		goto out;
	push_finished(&p);
	rc = 0;
out:
	return push_close(&p, &top, rc, remote ? remote : ref, err);
}

/* ---- LinuxKit's per-architecture tags and their index ---- */

/* An image config the registry holds, checked against its digest. */
static int get_config(struct push *p, const char *digest, char **body, size_t *len,
		      struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", p->dest.path, digest);
	_cleanup_free_ char *step = xasprintf("get config %s", digest);
	struct reg_req req = {
		.method = "GET", .url = path, .repo = p->dest.path, .step = step, .scope = p->scope
	};
	struct reg_resp resp;
	char hex[SHA256_HEX_LEN + 1];
	int rc = -1;

	reg_resp_init(&resp, REG_MANIFEST_MAX);
	if (reg_client_do(p->client, &req, &resp, err) < 0 ||
	    expect_status(p, &resp, 200, step, err) < 0)
		goto out;
	sha256_hex(resp.body.buf, resp.body.len, hex);
	if (strncmp(digest, "sha256:", 7) != 0 || strcmp(digest + 7, hex) != 0) {
		uk_err_setc(err, UK_ERR_CORRUPT,
			    "registry '%s' repository '%s': %s: content is sha256:%s",
			    p->dest.domain, p->dest.path, step, hex);
		goto out;
	}
	*body = strbuf_detach(&resp.body, len);
	rc = 0;
out:
	reg_resp_release(&resp);
	return rc;
}

/* The platform an image config (body) declares. */
static int config_platform(const char *body, size_t len, const char *digest,
			   struct oci_platform *pl, struct uk_err *err)
{
	json_t *cfg = json_loadb(body, len, 0, NULL);
	const char *arch = json_string_value(json_object_get(cfg, "architecture"));
	const char *os = json_string_value(json_object_get(cfg, "os"));
	const char *variant = json_string_value(json_object_get(cfg, "variant"));
	int rc = -1;

	if (!arch || !os || strlen(arch) >= sizeof(pl->arch) || strlen(os) >= sizeof(pl->os) ||
	    (variant && strlen(variant) >= sizeof(pl->variant))) {
		uk_err_setc(err, UK_ERR_CORRUPT, "config %s: no valid architecture and os", digest);
		goto out;
	}
	snprintf(pl->arch, sizeof(pl->arch), "%s", arch);
	snprintf(pl->os, sizeof(pl->os), "%s", os);
	snprintf(pl->variant, sizeof(pl->variant), "%s", variant ? variant : "");
	rc = 0;
out:
	json_decref(cfg);
	return rc;
}

/* The platform of the image manifest doc: its config from the store, or from the registry. */
static int image_platform(struct push *p, json_t *doc, bool remote, struct oci_platform *pl,
			  struct uk_err *err)
{
	_cleanup_free_ char *body = NULL;
	struct oci_desc *blobs = NULL;
	size_t n = 0, len = 0;
	int rc = -1;

	if (reg_manifest_blobs(doc, &blobs, &n, err) < 0)
		goto out;
	if (!remote) {
		if (store_blob_read_all(p->store, blobs[0].digest, REG_MANIFEST_MAX, &body, &len,
					err) < 0)
			goto out;
	} else if (get_config(p, blobs[0].digest, &body, &len, err) < 0) {
		goto out;
	}
	rc = config_platform(body, len, blobs[0].digest, pl, err);
out:
	reg_descs_free(blobs, n);
	return rc;
}

static json_t *index_entry(const char *media_type, const char *digest, int64_t size,
			   const struct oci_platform *pl)
{
	json_t *platform = json_pack("{s:s, s:s}", "architecture", pl->arch, "os", pl->os);

	if (pl->variant[0])
		json_object_set_new(platform, "variant", json_string(pl->variant));
	return json_pack("{s:s, s:s, s:I, s:o}", "mediaType", media_type, "digest", digest, "size",
			 (json_int_t)size, "platform", platform);
}

/*
 * The index entry of TAG-ARCH as the registry holds it (pushed from another
 * host), or NULL (and no error) when it holds none.
 */
static int arch_entry(struct push *p, const char *arch, json_t **entry, struct uk_err *err)
{
	_cleanup_free_ char *reference = xasprintf("%s-%s", p->dest.tag, arch);
	struct reg_fetched f;
	struct oci_platform pl;
	bool absent;

	*entry = NULL;
	if (reg_manifest_get(p->client, p->dest.domain, p->dest.path, p->scope, reference, NULL, &f,
			     &absent, err) < 0)
		return -1;
	if (absent)
		return 0;
	int rc = -1;
	if (f.kind != REG_KIND_MANIFEST) {
		uk_err_setc(err, UK_ERR_INPUT,
			    "registry '%s' repository '%s': '%s' is an index, not one "
			    "architecture's image",
			    p->dest.domain, p->dest.path, reference);
		goto out;
	}
	if (image_platform(p, f.doc, true, &pl, err) < 0)
		goto out;
	if (strcmp(pl.arch, arch) != 0) {
		_cleanup_free_ char *what = oci_platform_string(&pl);
		uk_err_setc(err, UK_ERR_INPUT,
			    "registry '%s' repository '%s': '%s' holds an image for %s",
			    p->dest.domain, p->dest.path, reference, what);
		goto out;
	}
	*entry = index_entry(f.media_type, f.digest, (int64_t)f.len, &pl);
	rc = 0;
out:
	reg_fetched_release(&f);
	return rc;
}

int registry_push_arch(struct store *store, const char *ref, const char *remote,
		       const char *const *arches, size_t n_arches, const struct registry_opts *opts,
		       struct uk_err *err)
{
	_cleanup_free_ char *body = NULL, *mt = NULL, *own_tag = NULL;
	struct push p;
	struct oci_desc top = { 0 };
	struct oci_platform own;
	json_t *doc = NULL, *manifests = json_array(), *index = NULL;
	enum reg_kind kind;
	bool own_listed = false;
	size_t len;
	int rc = -1;

	if (push_open(&p, store, ref, remote, opts, &top, err) < 0)
		goto out;
	if (!p.dest.tag) {
		uk_err_setc(err, UK_ERR_INPUT, "'%s': a tag is needed, not a digest", p.dest_name);
		goto out;
	}
	if (read_doc(&p, &top, &body, &len, &doc, &kind, &mt, err) < 0)
		goto out;
	if (kind != REG_KIND_MANIFEST) {
		uk_err_setc(err, UK_ERR_INPUT, "'%s' is an index, not one architecture's image",
			    ref);
		goto out;
	}
	if (image_platform(&p, doc, false, &own, err) < 0)
		goto out;
	own_tag = xasprintf("%s-%s", p.dest.tag, own.arch);
	if (strlen(own_tag) > 128) {
		uk_err_setc(err, UK_ERR_INPUT, "tag '%s' is longer than the 128 characters allowed",
			    own_tag);
		goto out;
	}
	p.total_size = blobs_total(&p, &top);
	push_started(&p);
	if (push_manifest(&p, &top, own_tag, err) < 0)
		goto out;
	for (size_t i = 0; i < n_arches; i++) {
		json_t *entry = NULL;
		if (!strcmp(arches[i], own.arch)) {
			entry = index_entry(mt, top.digest, (int64_t)len, &own);
			own_listed = true;
		} else if (arch_entry(&p, arches[i], &entry, err) < 0) {
			goto out;
		}
		if (entry)
			json_array_append_new(manifests, entry);
	}
	if (!own_listed)
		json_array_append_new(manifests, index_entry(mt, top.digest, (int64_t)len, &own));
	index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX,
			  "manifests", manifests);
	if (put_new_index(&p, index, err) < 0)
		goto out;
	push_finished(&p);
	rc = 0;
out:
	json_decref(index);
	json_decref(manifests);
	json_decref(doc);
	return push_close(&p, &top, rc, remote ? remote : ref, err);
}
