// SPDX-License-Identifier: Apache-2.0
/*
 * Pull: resolve the reference to a manifest (through an index for the
 * platform), then fetch the blobs the store lacks, several at once on one
 * libcurl multi handle. Each blob streams into a store writer that verifies
 * its digest before the blob appears in the store; a dropped transfer goes
 * on with an HTTP Range request from where it stopped.
 */
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

#define PARALLEL_DEFAULT 4
#define ERROR_BODY_MAX (64u << 10)
/*
 * libcurl hands over at most 16 KiB at a time: bytes go to disk in bigger
 * writes, or after a quarter of a second on a slow link (so that the partial
 * a killed pull leaves holds nearly all it had received).
 */
#define WRITE_BUF (1u << 20)
#define WRITE_DELAY 0.25

struct pull {
	struct store *store;
	struct reg_client *client;
	const struct registry_opts *opts;
	struct oci_ref ref;
	char *name;  /* what the store calls it */
	char *scope; /* "repository:PATH:pull" */
	struct oci_platform platform;
	int64_t total_size, total_done;
};

static void pull_release(struct pull *p)
{
	reg_client_free(p->client);
	oci_ref_release(&p->ref);
	free(p->name);
	free(p->scope);
}

static int fetch_manifest(struct pull *p, const char *reference, const char *want,
			  struct reg_fetched *f, struct uk_err *err)
{
	return reg_manifest_get(p->client, p->ref.domain, p->ref.path, p->scope, reference, want, f,
				NULL, err);
}

static int store_manifest(struct pull *p, const struct reg_fetched *f, struct uk_err *err)
{
	char digest[OCI_DIGEST_MAX];

	if (!store_blob_exists(p->store, f->digest)) {
		if (store_blob_put(p->store, f->body, f->len, digest, err) < 0)
			return -1;
		BUG_ON(strcmp(digest, f->digest) != 0);
	}
	struct registry_event ev = { .kind = REGISTRY_EV_MANIFEST,
				     .ref = p->name,
				     .digest = f->digest,
				     .size = (int64_t)f->len };
	reg_emit(p->opts, &ev);
	return 0;
}

/* ---- blobs, several at once ---- */

struct xfer {
	struct pull *p;
	const struct oci_desc *desc;
	CURL *easy;
	struct curl_slist *headers;
	struct store_writer *w;
	struct reg_partial partial;
	struct strbuf pending; /* received, not yet written to w and the partial */
	int64_t got;	       /* bytes received: in the writer, or pending */
	double flushed;	       /* when pending was last written */
	long status;	       /* of the response being received; 0 before its body */
	struct reg_resp resp;
	struct reg_retry retry;
	double not_before;
	bool active, done, reauthed, started;
	bool overflow;
	struct uk_err werr; /* set in the write callback */
	char errbuf[CURL_ERROR_SIZE];
};

static void emit_progress(struct xfer *x, enum registry_event_kind kind)
{
	struct registry_event ev = { .kind = kind,
				     .ref = x->p->name,
				     .digest = x->desc->digest,
				     .size = x->desc->size,
				     .done = x->got,
				     .total_size = x->p->total_size,
				     .total_done = x->p->total_done };
	reg_emit(x->p->opts, &ev);
}

/* Writes the pending bytes to the store writer and the partial. */
static int xfer_flush(struct xfer *x, struct uk_err *err)
{
	if (!x->pending.len)
		return 0;
	int r = x->w ? store_writer_write(x->w, x->pending.buf, x->pending.len, err) : 0;
	if (r == 0)
		reg_partial_append(&x->partial, x->pending.buf, x->pending.len);
	strbuf_reset(&x->pending);
	x->flushed = reg_now();
	return r;
}

static void xfer_drop_data(struct xfer *x)
{
	strbuf_reset(&x->pending);
	store_writer_free(x->w);
	x->w = NULL;
	reg_partial_truncate(&x->partial);
	x->p->total_done -= x->got;
	x->got = 0;
}

/* "bytes START-END/TOTAL": START, or -1. */
static int64_t content_range_start(const char *v)
{
	long long start;
	if (!v || sscanf(v, "bytes %lld-", &start) != 1 || start < 0)
		return -1;
	return start;
}

static size_t xfer_write_cb(char *data, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = size * n;

	if (x->status == 0) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
		if (x->status == 200 && x->got > 0) {
			/* The registry ignored the Range: start again from the first byte. */
			xfer_drop_data(x);
		} else if (x->status == 206 &&
			   content_range_start(x->resp.content_range) != x->got) {
			xfer_drop_data(x);
			x->status = -1; /* not the bytes asked for: this attempt fails */
			return 0;
		}
		if ((x->status == 200 || x->status == 206) && !x->w &&
		    store_writer_new(x->p->store, &x->w, &x->werr) < 0)
			return 0;
	}
	if (x->status != 200 && x->status != 206) {
		/* An error response: keep (the start of) its body for the message. */
		size_t keep =
			x->resp.body.len < ERROR_BODY_MAX ? ERROR_BODY_MAX - x->resp.body.len : 0;
		strbuf_add(&x->resp.body, data, len < keep ? len : keep);
		return len;
	}
	if (x->got + (int64_t)len > x->desc->size) {
		x->overflow = true;
		return 0;
	}
	strbuf_add(&x->pending, data, len);
	if ((x->pending.len >= WRITE_BUF || reg_now() - x->flushed > WRITE_DELAY) &&
	    xfer_flush(x, &x->werr) < 0)
		return 0;
	x->got += (int64_t)len;
	x->p->total_done += (int64_t)len;
	emit_progress(x, REGISTRY_EV_PROGRESS);
	return len;
}

static int xfer_start(struct xfer *x, CURLM *multi, struct uk_err *err)
{
	struct pull *p = x->p;
	_cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", p->ref.path, x->desc->digest);
	_cleanup_free_ char *url = reg_client_url(p->client, path);

	if (!x->easy)
		x->easy = curl_easy_init();
	if (!x->easy)
		return uk_err_set(err, "cannot initialise libcurl");
	curl_easy_reset(x->easy);
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	reg_resp_reset(&x->resp);
	x->status = 0;
	if (reg_client_easy_setup(p->client, x->easy, url, p->scope, &x->headers, err) < 0)
		return -1;
	if (x->got > 0) {
		_cleanup_free_ char *range = xasprintf("Range: bytes=%lld-", (long long)x->got);
		x->headers = curl_slist_append(x->headers, range);
	}
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, reg_resp_header_cb);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, &x->resp);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, xfer_write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_PIPEWAIT, 1L);
	x->errbuf[0] = '\0';
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	if (curl_multi_add_handle(multi, x->easy) != CURLM_OK)
		return uk_err_set(err, "cannot add a transfer to libcurl");
	x->active = true;
	if (!x->started)
		emit_progress(x, REGISTRY_EV_BLOB);
	x->started = true;
	return 0;
}

/* Every byte is in the writer: the digest decides whether the blob is stored. */
static int xfer_commit(struct xfer *x, struct uk_err *err)
{
	char digest[OCI_DIGEST_MAX];
	int64_t size;

	if (!x->w && store_writer_new(x->p->store, &x->w, err) < 0)
		return -1; /* an empty blob: no byte was written */
	int rc = store_writer_commit(x->w, x->desc->digest, digest, &size, err);
	store_writer_free(x->w);
	x->w = NULL;
	/* Stored, or proved wrong: either way its partial has served. */
	reg_partial_remove(&x->partial);
	if (rc < 0)
		return uk_err_wrap(err, "registry '%s' repository '%s': get blob %s",
				   x->p->ref.domain, x->p->ref.path, x->desc->digest);
	x->done = true;
	emit_progress(x, REGISTRY_EV_DONE);
	return 0;
}

/* A transfer ended: done, to be tried again (x->not_before), or an error. */
static int xfer_finish(struct xfer *x, CURLcode cc, struct uk_err *err)
{
	if (!x->werr.msg)
		xfer_flush(x, &x->werr);
	struct pull *p = x->p;
	_cleanup_free_ char *step = xasprintf("get blob %s", x->desc->digest);
	const char *registry = p->ref.domain;

	if (x->werr.msg) {
		*err = x->werr;
		memset(&x->werr, 0, sizeof(x->werr));
		return uk_err_wrap(err, "registry '%s' repository '%s': %s", registry, p->ref.path,
				   step);
	}
	if (x->overflow)
		return uk_err_setc(
			err, UK_ERR_CORRUPT,
			"registry '%s' repository '%s': %s: more data than its size (%lld bytes)",
			registry, p->ref.path, step, (long long)x->desc->size);
	long status = x->status > 0 ? x->status : 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	/*
	 * Every byte of the blob arrived: the digest decides, even when the
	 * connection then broke (a Content-Length larger than the body).
	 */
	bool complete = (status == 200 || status == 206) && x->got == x->desc->size &&
			(cc == CURLE_OK || cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR);
	if (complete)
		return xfer_commit(x, err);
	if (cc == CURLE_OK && status == 401 && !x->reauthed && x->resp.challenge) {
		x->reauthed = true;
		int r = reg_client_reauth(p->client, p->scope, x->resp.challenge, err);
		if (r < 0)
			return uk_err_wrap(err, "repository '%s': %s", p->ref.path, step);
		if (r > 0) {
			x->not_before = 0;
			return 0;
		}
	}
	/* A body shorter than the blob (a wrong Content-Length, a cut) goes on from there. */
	bool short_body = cc == CURLE_OK && (status == 200 || status == 206);
	CURLcode as = short_body || x->status == -1 ? CURLE_PARTIAL_FILE : cc;
	double wait;
	if (reg_retry_next(&x->retry, as, status, x->resp.retry_after, &wait)) {
		_cleanup_free_ char *fail = reg_failure_string(as, x->errbuf, status);
		_cleanup_free_ char *msg =
			short_body ? xasprintf("%s: short body (%lld of %lld bytes)", step,
					       (long long)x->got, (long long)x->desc->size)
				   : xasprintf("%s: %s", step, fail);
		struct registry_event ev = { .kind = REGISTRY_EV_RETRY,
					     .ref = p->name,
					     .digest = x->desc->digest,
					     .message = msg };
		reg_emit(p->opts, &ev);
		x->not_before = reg_now() + wait;
		return 0;
	}
	if (short_body)
		return uk_err_setc(
			err, UK_ERR_CORRUPT,
			"registry '%s' repository '%s': %s: the registry sent %lld of %lld bytes",
			registry, p->ref.path, step, (long long)x->got, (long long)x->desc->size);
	if (cc != CURLE_OK)
		return uk_err_set(err, "registry '%s' repository '%s': %s: %s", registry,
				  p->ref.path, step,
				  x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
	x->resp.status = status;
	return reg_err_http(p->client, err, p->ref.path, step, &x->resp);
}

static int fetch_blobs(struct pull *p, const struct oci_desc *blobs, size_t n, struct uk_err *err)
{
	int parallel = p->opts && p->opts->parallel > 0 ? p->opts->parallel : PARALLEL_DEFAULT;
	struct xfer *xs = xcalloc(n, sizeof(*xs));
	size_t n_done = 0;
	int active = 0, rc = 0;
	CURLM *multi = curl_multi_init();

	if (!multi) {
		free(xs);
		return uk_err_set(err, "cannot initialise libcurl");
	}
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)parallel);
	for (size_t i = 0; i < n; i++) {
		xs[i].p = p;
		xs[i].desc = &blobs[i];
		reg_resp_init(&xs[i].resp, ERROR_BODY_MAX);
		reg_retry_init(&xs[i].retry);
		strbuf_init(&xs[i].pending, 0);
		/* What an earlier pull of this blob left: only the rest is asked for. */
		xs[i].got = reg_partial_open(&xs[i].partial, p->store, &blobs[i], &xs[i].w);
		p->total_done += xs[i].got;
		if (rc == 0 && xs[i].got == blobs[i].size) {
			rc = xfer_commit(&xs[i], err);
			n_done += rc == 0;
		}
	}
	while (rc == 0 && n_done < n) {
		double now = reg_now(), next = now + 1.0;
		for (size_t i = 0; i < n && active < parallel; i++) {
			struct xfer *x = &xs[i];
			if (x->active || x->done)
				continue;
			if (x->not_before > now) {
				if (x->not_before < next)
					next = x->not_before;
				continue;
			}
			if (xfer_start(x, multi, err) < 0) {
				rc = -1;
				break;
			}
			active++;
		}
		if (rc < 0)
			break;
		int running, queued;
		curl_multi_perform(multi, &running);
		CURLMsg *m;
		while (rc == 0 && (m = curl_multi_info_read(multi, &queued))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct xfer *x;
			CURLcode cc = m->data.result;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(multi, x->easy);
			x->active = false;
			active--;
			if (xfer_finish(x, cc, err) < 0)
				rc = -1;
			else if (x->done)
				n_done++;
		}
		if (rc < 0 || n_done == n)
			break;
		double wait_s = next - reg_now();
		int timeout = active > 0 ? 1000 : (int)(wait_s > 0 ? wait_s * 1000 + 1 : 0);
		if (active > 0 || timeout > 0)
			curl_multi_poll(multi, NULL, 0, timeout > 1000 ? 1000 : timeout, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = &xs[i];
		if (x->easy) {
			if (x->active)
				curl_multi_remove_handle(multi, x->easy);
			curl_easy_cleanup(x->easy);
		}
		/* An unfinished blob is dropped: nothing partial becomes visible. */
		if (!x->done && x->pending.len)
			reg_partial_append(&x->partial, x->pending.buf, x->pending.len);
		strbuf_release(&x->pending);
		store_writer_free(x->w);
		reg_partial_close(&x->partial);
		curl_slist_free_all(x->headers);
		reg_resp_release(&x->resp);
		uk_err_release(&x->werr);
	}
	curl_multi_cleanup(multi);
	free(xs);
	return rc;
}

/* ---- the whole image ---- */

/* True when the image of digest (for the platform) and all its blobs are in the store. */
static bool local_complete(struct pull *p, const char *digest, struct oci_desc *top)
{
	_cleanup_free_ char *body = NULL;
	struct uk_err err = { 0 };
	json_t *doc = NULL;
	enum reg_kind kind;
	char *mt = NULL;
	size_t len;
	bool ok = false;

	if (!store_blob_exists(p->store, digest) ||
	    store_blob_read_all(p->store, digest, REG_MANIFEST_MAX, &body, &len, &err) < 0 ||
	    reg_manifest_parse(body, len, NULL, &doc, &kind, &mt, &err) < 0)
		goto out;
	top->media_type = xstrdup(mt);
	snprintf(top->digest, sizeof(top->digest), "%s", digest);
	top->size = (int64_t)len;
	if (kind == REG_KIND_INDEX) {
		struct oci_desc child;
		if (reg_index_select(doc, &p->platform, &child, &err) < 0)
			goto out;
		_cleanup_free_ char *cbody = NULL;
		size_t clen;
		int rc = store_blob_read_all(p->store, child.digest, REG_MANIFEST_MAX, &cbody,
					     &clen, &err);
		free(child.media_type);
		json_decref(doc);
		doc = NULL;
		free(mt);
		mt = NULL;
		if (rc < 0 || reg_manifest_parse(cbody, clen, NULL, &doc, &kind, &mt, &err) < 0 ||
		    kind != REG_KIND_MANIFEST)
			goto out;
	}
	struct oci_desc *blobs;
	size_t n;
	if (reg_manifest_blobs(doc, &blobs, &n, &err) < 0)
		goto out;
	ok = true;
	for (size_t i = 0; i < n && ok; i++)
		ok = store_blob_exists(p->store, blobs[i].digest);
	reg_descs_free(blobs, n);
out:
	uk_err_release(&err);
	json_decref(doc);
	free(mt);
	if (!ok) {
		free(top->media_type);
		top->media_type = NULL;
	}
	return ok;
}

static int pull_image(struct pull *p, struct uk_err *err)
{
	struct reg_fetched top = { 0 }, child = { 0 };
	struct reg_fetched *image = &top;
	struct oci_desc *blobs = NULL, *missing = NULL;
	size_t n_blobs = 0, n_missing = 0;
	int rc = -1;

	if (fetch_manifest(p, p->ref.digest ? p->ref.digest : p->ref.tag, p->ref.digest, &top,
			   err) < 0)
		goto out;
	if (store_manifest(p, &top, err) < 0)
		goto out;
	if (top.kind == REG_KIND_INDEX) {
		struct oci_desc sel;
		if (reg_index_select(top.doc, &p->platform, &sel, err) < 0) {
			uk_err_wrap(err, "'%s'", p->name);
			goto out;
		}
		rc = fetch_manifest(p, sel.digest, sel.digest, &child, err);
		free(sel.media_type);
		if (rc < 0)
			goto out;
		rc = -1;
		if (child.kind != REG_KIND_MANIFEST) {
			uk_err_setc(err, UK_ERR_INPUT, "'%s': index %s refers to another index",
				    p->name, top.digest);
			goto out;
		}
		if (store_manifest(p, &child, err) < 0)
			goto out;
		image = &child;
	}
	if (reg_manifest_blobs(image->doc, &blobs, &n_blobs, err) < 0) {
		uk_err_wrap(err, "manifest %s", image->digest);
		goto out;
	}
	missing = xcalloc(n_blobs ? n_blobs : 1, sizeof(*missing));
	for (size_t i = 0; i < n_blobs; i++) {
		bool dup = false;
		for (size_t k = 0; k < n_missing; k++)
			dup = dup || !strcmp(missing[k].digest, blobs[i].digest);
		if (dup || store_blob_exists(p->store, blobs[i].digest)) {
			if (!dup) {
				struct registry_event ev = { .kind = REGISTRY_EV_EXISTS,
							     .ref = p->name,
							     .digest = blobs[i].digest,
							     .size = blobs[i].size };
				reg_emit(p->opts, &ev);
			}
			continue;
		}
		missing[n_missing] = blobs[i];
		missing[n_missing].media_type = NULL;
		p->total_size += blobs[i].size;
		n_missing++;
	}
	struct registry_event start = { .kind = REGISTRY_EV_START,
					.ref = p->name,
					.total_size = p->total_size,
					.n_blobs = (int)n_missing };
	reg_emit(p->opts, &start);
	if (n_missing && fetch_blobs(p, missing, n_missing, err) < 0)
		goto out;
	for (size_t i = 0; i < n_blobs; i++)
		reg_sources_add(p->store, blobs[i].digest, p->ref.domain, p->ref.path);
	struct oci_desc desc = { .media_type = top.media_type, .size = (int64_t)top.len };
	snprintf(desc.digest, sizeof(desc.digest), "%s", top.digest);
	if (store_tag(p->store, p->name, &desc, err) < 0)
		goto out;
	struct registry_event fin = { .kind = REGISTRY_EV_FINISH,
				      .ref = p->name,
				      .digest = top.digest,
				      .total_size = p->total_size,
				      .total_done = p->total_done };
	reg_emit(p->opts, &fin);
	rc = 0;
out:
	reg_descs_free(blobs, n_blobs);
	free(missing);
	reg_fetched_release(&top);
	reg_fetched_release(&child);
	return rc;
}

static int pull_init(struct pull *p, struct store *store, const char *ref,
		     const struct registry_opts *opts, struct uk_err *err)
{
	memset(p, 0, sizeof(*p));
	p->store = store;
	p->opts = opts;
	if (oci_ref_parse(&p->ref, ref, err) < 0)
		return -1;
	if (oci_platform_parse(&p->platform, opts ? opts->arch : NULL, err) < 0)
		return -1;
	p->name = oci_ref_string(&p->ref);
	p->scope = xasprintf("repository:%s:pull", p->ref.path);
	return 0;
}

int registry_pull(struct store *store, const char *ref, const struct registry_opts *opts,
		  struct uk_err *err)
{
	struct pull p;
	int rc = -1;

	if (pull_init(&p, store, ref, opts, err) < 0)
		goto out;
	if (p.ref.digest) {
		struct oci_desc top = { 0 };
		if (local_complete(&p, p.ref.digest, &top)) {
			/* Pinned and complete: the registry has nothing to add. */
			rc = store_tag(store, p.name, &top, err);
			free(top.media_type);
			if (rc == 0) {
				struct registry_event fin = { .kind = REGISTRY_EV_FINISH,
							      .ref = p.name,
							      .digest = p.ref.digest };
				reg_emit(opts, &fin);
			}
			goto out;
		}
	}
	if (reg_client_new(&p.client, p.ref.domain, opts, err) < 0)
		goto out;
	rc = pull_image(&p, err);
out:
	if (rc < 0)
		uk_err_wrap(err, "pull '%s'", ref);
	pull_release(&p);
	return rc;
}

int registry_pull_missing(struct store *store, const char *ref, const struct registry_opts *opts,
			  struct uk_err *err)
{
	struct oci_ref parsed = { 0 };
	struct oci_image img = { 0 };
	struct uk_err lack = { 0 };

	/* A reference that cannot name anything is not worth a look at the store, nor a pull. */
	if (oci_ref_parse(&parsed, ref, err) < 0)
		return -1;
	oci_ref_release(&parsed);
	/*
	 * The one look at the store: resolving reads the manifest and the config
	 * and checks that every layer is there, so a half-present image fails it.
	 */
	if (store_image_resolve(store, ref, opts ? opts->arch : NULL, &img, &lack) == 0) {
		oci_image_release(&img);
		return 0;
	}
	struct registry_event ev = { .kind = REGISTRY_EV_MISSING, .ref = ref, .message = lack.msg };
	reg_emit(opts, &ev);
	int rc = registry_pull(store, ref, opts, err);
	if (rc < 0)
		uk_err_wrap(err, "%s and could not be pulled", lack.msg);
	uk_err_release(&lack);
	return rc;
}
