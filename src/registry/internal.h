/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of src/registry/ share: credentials (creds.c), challenges and
 * tokens (auth.c), the HTTP client with its retries (client.c), manifests and
 * platforms (manifest.c) and where blobs came from (sources.c).
 */
#pragma once

#include <curl/curl.h>
#include <jansson.h>

#include "registry/registry.h"
#include "util/strbuf.h"

/* ---- creds.c ---- */

struct reg_cred {
	char *user;	     /* NULL: no credentials */
	char *secret;	     /* password, or an identity (refresh) token */
	bool identity_token; /* secret is an OAuth2 refresh token */
};

void reg_cred_release(struct reg_cred *cred);

/*
 * The credentials for registry ("docker.io", "host:port"): UNIKIT_REGISTRY_AUTH
 * first, then the Docker config ($DOCKER_CONFIG/config.json or
 * ~/.docker/config.json). Finding none is not an error (cred->user stays NULL).
 */
int reg_cred_lookup(const char *registry, struct reg_cred *cred, struct uk_err *err);

/* The parts of reg_cred_lookup(), for the tests. */
int reg_cred_from_env(const char *value, const char *registry, struct reg_cred *cred,
		      struct uk_err *err);
/* Sets *helper (caller frees) when a credential helper must be asked. */
int reg_cred_from_docker_config(const char *json, const char *path, const char *registry,
				struct reg_cred *cred, char **helper, struct uk_err *err);
int reg_cred_from_helper(const char *helper, const char *registry, struct reg_cred *cred,
			 struct uk_err *err);

/* "https://index.docker.io/v1/" -> "docker.io", "http://h:5000/x" -> "h:5000"; caller frees. */
char *reg_host_normalise(const char *s);

char *reg_base64_encode(const void *data, size_t len);
/* Returns the decoded bytes (NUL-terminated, caller frees) or NULL when s is not base64. */
char *reg_base64_decode(const char *s, size_t *len);

/* ---- auth.c ---- */

struct reg_challenge {
	char *scheme; /* "basic", "bearer" (lowercase) */
	char *realm;
	char *service;
	char *scope;
	char *error; /* Bearer error="insufficient_scope", ... */
};

/* Parses a WWW-Authenticate value; -1 (without an error) when it is not one. */
int reg_challenge_parse(const char *header, struct reg_challenge *ch);
void reg_challenge_release(struct reg_challenge *ch);

/* ---- manifest.c ---- */

/* Schema 1, which unikit refuses; the others are in oci/oci.h. */
#define REG_MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define REG_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define REG_MANIFEST_MAX (4u << 20)

enum reg_kind { REG_KIND_INDEX, REG_KIND_MANIFEST };

/*
 * Parses a manifest or index as served: the media type comes from the
 * Content-Type (content_type may be NULL) or the document's mediaType.
 * Schema 1 and unknown types are refused with a clear error.
 */
int reg_manifest_parse(const char *body, size_t len, const char *content_type, json_t **doc,
		       enum reg_kind *kind, char **media_type, struct uk_err *err);
/* The manifest of an index for a platform (the first match). */
int reg_index_select(json_t *index, const struct oci_platform *p, struct oci_desc *out,
		     struct uk_err *err);
/* The blobs of an image manifest: the config first, then the layers in order. */
int reg_manifest_blobs(json_t *manifest, struct oci_desc **out, size_t *n, struct uk_err *err);
void reg_descs_free(struct oci_desc *d, size_t n);

/* "MANIFEST_UNKNOWN: manifest unknown" from a registry's error body, or NULL; caller frees. */
char *reg_error_summary(const char *body, size_t len);

/* A manifest or index as a registry served it. */
struct reg_fetched {
	char *body;
	size_t len;
	char digest[OCI_DIGEST_MAX]; /* of the bytes served */
	json_t *doc;
	enum reg_kind kind;
	char *media_type;
};

void reg_fetched_release(struct reg_fetched *f);

struct reg_client;

/*
 * GETs the manifest or index reference (a tag or a digest) of repository repo
 * of registry domain, checks its bytes against want (a digest, or NULL) and
 * against the registry's Docker-Content-Digest, and parses it. With absent
 * not NULL, a 404 is not an error: *absent is set and 0 returned.
 */
int reg_manifest_get(struct reg_client *c, const char *domain, const char *repo, const char *scope,
		     const char *reference, const char *want, struct reg_fetched *f, bool *absent,
		     struct uk_err *err);

/* ---- client.c ---- */

struct reg_client;

struct reg_resp {
	long status;
	struct strbuf body;
	char *content_type;
	char *location;
	char *digest;	 /* Docker-Content-Digest */
	char *challenge; /* WWW-Authenticate */
	char *content_range;
	int64_t retry_after; /* seconds; -1: none */
	size_t max_body;
	bool too_big;
	/* A streamed upload cut by a transient failure returns status 0 and says why here. */
	char *failure;
};

void reg_resp_init(struct reg_resp *r, size_t max_body);
void reg_resp_reset(struct reg_resp *r);
void reg_resp_release(struct reg_resp *r);
/* libcurl's CURLOPT_HEADERFUNCTION for a struct reg_resp. */
size_t reg_resp_header_cb(char *buf, size_t size, size_t n, void *ctx);

struct reg_req {
	const char *method; /* GET, HEAD, PUT, POST, PATCH */
	const char *url;    /* "/v2/..." (under the registry's base) or absolute */
	const char *repo;   /* for errors */
	const char *step;   /* "get manifest 'latest'", for errors */
	const char *scope;  /* token scope(s), space-separated */
	struct curl_slist *headers;
	const void *body; /* request body (PUT/POST/PATCH) from memory */
	size_t body_len;
	/* or streamed: read_cb fills libcurl's buffer from read_ctx, upload_len bytes */
	curl_read_callback read_cb;
	void *read_ctx;
	int64_t upload_len;
	/*
	 * A streamed body cannot be sent again: no retry here. A transient failure
	 * returns 0 with status 0 and resp->failure set; the caller starts over.
	 */
	bool upload_once;
};

int reg_client_new(struct reg_client **out, const char *registry, const struct registry_opts *opts,
		   struct uk_err *err);
void reg_client_free(struct reg_client *c);

/*
 * Performs a request: authenticates (basic, or a bearer token for req->scope,
 * fetched and cached), retries on 5xx, 429 and dropped connections within the
 * retry budget. Any final HTTP status returns 0: the caller judges it (and
 * may call reg_err_http()).
 */
int reg_client_do(struct reg_client *c, const struct reg_req *req, struct reg_resp *resp,
		  struct uk_err *err);

/* Sets err to the one-line error for an unexpected response. */
int reg_err_http(struct reg_client *c, struct uk_err *err, const char *repo, const char *step,
		 const struct reg_resp *resp);

/* localhost, 127.0.0.0/8 or ::1 (with or without a port): where plain HTTP is allowed. */
bool reg_host_is_loopback(const char *hostport);

/* Builds "BASE/v2/..." from a path, or resolves a Location against the base; caller frees. */
char *reg_client_url(struct reg_client *c, const char *path_or_url);

/* Sets up a transfer the caller performs itself (the pull's multi handle). */
int reg_client_easy_setup(struct reg_client *c, CURL *easy, const char *url, const char *scope,
			  struct curl_slist **headers, struct uk_err *err);
/*
 * After a 401 with challenge: adopts it, forgets the token of scope and
 * fetches a new one. Returns 1 when the request is worth sending again, 0
 * when not (no credentials, or the ones sent were refused), -1 on error.
 */
int reg_client_reauth(struct reg_client *c, const char *scope, const char *challenge,
		      struct uk_err *err);

/* Retry policy shared with the pull's own transfers. */
struct reg_retry {
	int attempt;
	double start; /* monotonic seconds */
};
void reg_retry_init(struct reg_retry *r);
/*
 * Decides whether a failed attempt (curl result cc, or HTTP status with
 * Retry-After) is tried again: returns true and the wait in seconds, or
 * false when it is not transient or the budget (count, time) is spent.
 */
bool reg_retry_next(struct reg_retry *r, CURLcode cc, long status, int64_t retry_after,
		    double *wait);
bool reg_retry_transient(CURLcode cc, long status);
double reg_now(void);
void reg_sleep(double seconds);
void reg_emit(const struct registry_opts *opts, const struct registry_event *ev);
/* "HTTP 503", "connection dropped: ..." for progress and errors; caller frees. */
char *reg_failure_string(CURLcode cc, const char *curl_msg, long status);

/* ---- partial.c ---- */

/* A kept partial download of one blob (STORE/registry-partial/HEX), locked while open. */
struct reg_partial {
	int fd; /* -1: none kept */
	char *path;
};

void reg_partial_init(struct reg_partial *pt);
/*
 * Opens the partial of d for this process. When it holds bytes, they are fed
 * to a new store writer (*w) and their count returned; 0 otherwise. Never
 * fails: without a usable partial the download keeps none (pt->fd == -1).
 */
int64_t reg_partial_open(struct reg_partial *pt, struct store *store, const struct oci_desc *d,
			 struct store_writer **w);
void reg_partial_append(struct reg_partial *pt, const void *data, size_t len);
void reg_partial_truncate(struct reg_partial *pt);
/* The blob is stored, or its bytes proved wrong: the partial goes. */
void reg_partial_remove(struct reg_partial *pt);
/* Keeps the partial for a later pull. */
void reg_partial_close(struct reg_partial *pt);

/* ---- sources.c ---- */

/* Records that digest is in repository repo ("host/path") of a registry. */
void reg_sources_add(struct store *store, const char *digest, const char *registry,
		     const char *repo);
/* A repository of that registry other than repo holding digest, or NULL; caller frees. */
char *reg_sources_find(struct store *store, const char *digest, const char *registry,
		       const char *repo);
