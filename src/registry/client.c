// SPDX-License-Identifier: Apache-2.0
/*
 * One registry endpoint over libcurl: where it is (mirrors, scheme), how to
 * trust it (system CAs, certs.d, -cert-file), how to authenticate (basic, or
 * bearer tokens cached per scope) and when to try again (5xx, 429, dropped
 * connections, within a bounded budget).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/fs.h"

#define TOKEN_MAX (1u << 20)
#define ERROR_BODY_MAX (64u << 10)
#define CA_FILE_MAX (4u << 20)
#define RETRIES_DEFAULT 5
#define RETRY_TIME_DEFAULT 120.0

struct reg_token {
	char *scope;
	char *token;
	double expires; /* monotonic seconds */
};

enum reg_auth { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct reg_client {
	char *registry; /* as in references: "docker.io", "127.0.0.1:5000" */
	char *base;	/* "https://registry-1.docker.io", a mirror's URL; no trailing '/' */
	char *mirror;	/* the mirror URL, for messages */
	char *tls_host; /* host[:port] of base, for certs.d */
	bool explicit_scheme;
	bool http_fallback; /* loopback or insecure: plain HTTP when the server speaks no TLS */
	bool insecure;	    /* listed as insecure: TLS certificates are not verified */
	bool pinged;
	struct strbuf ca_blob; /* system CAs + certs.d + -cert-file, when there are extras */
	char *client_cert, *client_key;
	const struct registry_opts *opts;
	struct reg_cred cred;
	bool cred_loaded;
	enum reg_auth auth;
	char *realm, *service;
	struct reg_token *tokens;
	size_t n_tokens, alloc_tokens;
	CURL *easy;
	CURL *token_easy; /* token requests happen while c->easy is being set up */
	CURLSH *share;
	char errbuf[CURL_ERROR_SIZE];
};

static int retries_max(void)
{
	const char *v = getenv("UNIKIT_REGISTRY_RETRIES");
	char *end;
	long n = v && *v ? strtol(v, &end, 10) : -1;
	return n >= 0 && n <= 100 && v && !*end ? (int)n : RETRIES_DEFAULT;
}

static double retry_time_max(void)
{
	const char *v = getenv("UNIKIT_REGISTRY_RETRY_TIME");
	char *end;
	double t = v && *v ? strtod(v, &end) : -1;
	return t >= 0 && v && !*end ? t : RETRY_TIME_DEFAULT;
}

double reg_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void reg_sleep(double seconds)
{
	struct timespec ts = { .tv_sec = (time_t)seconds,
			       .tv_nsec = (long)((seconds - floor(seconds)) * 1e9) };
	while (seconds > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void reg_emit(const struct registry_opts *opts, const struct registry_event *ev)
{
	if (opts && opts->progress)
		opts->progress(opts->progress_ctx, ev);
}

void reg_retry_init(struct reg_retry *r)
{
	r->attempt = 0;
	r->start = reg_now();
}

bool reg_retry_transient(CURLcode cc, long status)
{
	switch (cc) {
	case CURLE_OK:
		return status == 429 || status == 500 || status == 502 || status == 503 ||
		       status == 504;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SEND_FAIL_REWIND: /* a reused connection died under a streamed upload */
		return true;
	default:
		return false;
	}
}

bool reg_retry_next(struct reg_retry *r, CURLcode cc, long status, int64_t retry_after,
		    double *wait)
{
	if (!reg_retry_transient(cc, status))
		return false;
	r->attempt++;
	if (r->attempt > retries_max())
		return false;
	double w = 0.25 * (double)(1 << (r->attempt < 6 ? r->attempt : 6));
	if (w > 8)
		w = 8;
	if (retry_after >= 0)
		w = (double)retry_after;
	if (reg_now() + w - r->start > retry_time_max())
		return false;
	*wait = w;
	return true;
}

char *reg_failure_string(CURLcode cc, const char *curl_msg, long status)
{
	if (cc == CURLE_OK)
		return xasprintf("HTTP %ld", status);
	return xstrdup(curl_msg && *curl_msg ? curl_msg : curl_easy_strerror(cc));
}

/* ---- responses ---- */

void reg_resp_init(struct reg_resp *r, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->body, 0);
	r->max_body = max_body;
	r->retry_after = -1;
}

static void resp_clear_headers(struct reg_resp *r)
{
	free(r->content_type);
	free(r->location);
	free(r->digest);
	free(r->challenge);
	free(r->content_range);
	free(r->failure);
	r->failure = NULL;
	r->content_type = r->location = r->digest = r->challenge = r->content_range = NULL;
	r->retry_after = -1;
}

void reg_resp_reset(struct reg_resp *r)
{
	resp_clear_headers(r);
	strbuf_reset(&r->body);
	r->status = 0;
	r->too_big = false;
}

void reg_resp_release(struct reg_resp *r)
{
	resp_clear_headers(r);
	strbuf_release(&r->body);
}

static void set_header(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = xstrndup(v, n);
}

size_t reg_resp_header_cb(char *buf, size_t size, size_t n, void *ctx)
{
	struct reg_resp *r = ctx;
	size_t len = size * n, vlen;
	const char *colon, *v;

	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		/* A new response (after a redirect or a 100): forget the last one's headers. */
		resp_clear_headers(r);
		return len;
	}
	colon = memchr(buf, ':', len);
	if (!colon)
		return len;
	size_t klen = (size_t)(colon - buf);
	v = colon + 1;
	while (v < buf + len && (*v == ' ' || *v == '\t'))
		v++;
	vlen = (size_t)(buf + len - v);
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
#define IS(name) (klen == sizeof(name) - 1 && !strncasecmp(buf, name, klen))
	if (IS("content-type"))
		set_header(&r->content_type, v, vlen);
	else if (IS("location"))
		set_header(&r->location, v, vlen);
	else if (IS("docker-content-digest"))
		set_header(&r->digest, v, vlen);
	else if (IS("www-authenticate") && !r->challenge)
		set_header(&r->challenge, v, vlen);
	else if (IS("content-range"))
		set_header(&r->content_range, v, vlen);
	else if (IS("retry-after")) {
		_cleanup_free_ char *s = xstrndup(v, vlen);
		char *end;
		long long secs = strtoll(s, &end, 10);
		if (*s && !*end && secs >= 0) {
			r->retry_after = secs;
		} else {
			time_t when = curl_getdate(s, NULL);
			time_t now = time(NULL);
			r->retry_after = when < 0 ? -1 : when > now ? (int64_t)(when - now) : 0;
		}
	}
#undef IS
	return len;
}

static size_t resp_body_cb(char *buf, size_t size, size_t n, void *ctx)
{
	struct reg_resp *r = ctx;
	size_t len = size * n;

	if (r->body.len + len > r->max_body) {
		r->too_big = true;
		return 0;
	}
	strbuf_add(&r->body, buf, len);
	return len;
}

/* ---- endpoint ---- */

bool reg_host_is_loopback(const char *hostport)
{
	_cleanup_free_ char *host = NULL;

	if (hostport[0] == '[') {
		const char *end = strchr(hostport, ']');
		host = xstrndup(hostport + 1,
				end ? (size_t)(end - hostport - 1) : strlen(hostport));
	} else {
		host = xstrndup(hostport, strcspn(hostport, ":"));
	}
	if (!strcmp(host, "localhost") || !strcmp(host, "::1"))
		return true;
	unsigned a, b, c, d;
	char extra;
	return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 && b < 256 &&
	       c < 256 && d < 256;
}

static bool name_in_list(const char *list, const char *registry, const char *host)
{
	const char *s = list;

	while (s && *s) {
		size_t n = strcspn(s, ", ");
		if (n && ((strlen(registry) == n && !strncmp(s, registry, n)) ||
			  (strlen(host) == n && !strncmp(s, host, n))))
			return true;
		s += n;
		while (*s == ',' || *s == ' ')
			s++;
	}
	return false;
}

static bool is_insecure(const struct registry_opts *opts, const char *registry, const char *host)
{
	for (size_t i = 0; opts && i < opts->n_insecure; i++) {
		if (!strcmp(opts->insecure[i], registry) || !strcmp(opts->insecure[i], host))
			return true;
	}
	return name_in_list(getenv("UNIKIT_INSECURE_REGISTRIES"), registry, host);
}

static const char *find_mirror(const struct registry_opts *opts, const char *registry)
{
	const char *any = NULL;

	for (size_t i = 0; opts && i < opts->n_mirrors; i++) {
		const struct registry_mirror *m = &opts->mirrors[i];
		if (!m->registry || !*m->registry)
			any = m->url;
		else if (!strcmp(m->registry, registry))
			return m->url;
	}
	return any;
}

static int add_ca_file(struct strbuf *blob, const char *path, struct uk_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (fs_read_file(path, CA_FILE_MAX, &text, &len, err) < 0)
		return uk_err_wrap(err, "CA certificate");
	if (!strstr(text, "-----BEGIN CERTIFICATE-----"))
		return uk_err_setc(err, UK_ERR_INPUT, "CA certificate '%s': no PEM certificate",
				   path);
	strbuf_add(blob, text, len);
	strbuf_addch(blob, '\n');
	return 0;
}

/* Docker's convention: certs.d/HOST[:PORT]/ holds *.crt CAs and a client.cert/client.key pair. */
static int load_certs_d(struct reg_client *c, struct strbuf *extra, struct uk_err *err)
{
	const char *root = getenv("UNIKIT_CERTS_D");
	_cleanup_free_ char *dir = NULL;

	if (!root || !*root)
		root = "/etc/docker/certs.d";
	dir = xasprintf("%s/%s", root, c->tls_host);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		XGROW(names, alloc, n + 1);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), str_ptr_cmp);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]);
		if (rc == 0 && str_has_suffix(names[i], ".crt")) {
			rc = add_ca_file(extra, path, err);
		} else if (rc == 0 && str_has_suffix(names[i], ".cert") && !c->client_cert) {
			size_t stem = strlen(path) - 5;
			_cleanup_free_ char *key = xasprintf("%.*s.key", (int)stem, path);
			if (access(key, R_OK) < 0) {
				rc = uk_err_setc(err, UK_ERR_INPUT,
						 "client certificate '%s' has no key '%s'", path,
						 key);
			} else {
				c->client_cert = xstrdup(path);
				c->client_key = TAKE_PTR(key);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int setup_tls(struct reg_client *c, struct uk_err *err)
{
	_cleanup_strbuf_ struct strbuf extra = STRBUF_INIT;

	if (load_certs_d(c, &extra, err) < 0)
		return -1;
	for (size_t i = 0; c->opts && i < c->opts->n_cert_files; i++) {
		if (add_ca_file(&extra, c->opts->cert_files[i], err) < 0)
			return -1;
	}
	if (!extra.len)
		return 0;
	/* The extras augment the system's CAs: one bundle holds both. */
	char *sys = NULL;
	if (curl_easy_getinfo(c->easy, CURLINFO_CAINFO, &sys) == CURLE_OK && sys &&
	    access(sys, R_OK) == 0) {
		_cleanup_free_ char *text = NULL;
		size_t len;
		if (fs_read_file(sys, 16u << 20, &text, &len, err) < 0)
			return uk_err_wrap(err, "system CA certificates");
		strbuf_add(&c->ca_blob, text, len);
		strbuf_addch(&c->ca_blob, '\n');
	}
	strbuf_add(&c->ca_blob, extra.buf, extra.len);
	return 0;
}

int reg_client_new(struct reg_client **out, const char *registry, const struct registry_opts *opts,
		   struct uk_err *err)
{
	struct reg_client *c = xcalloc(1, sizeof(*c));
	const char *mirror = find_mirror(opts, registry);

	c->registry = xstrdup(registry);
	c->opts = opts;
	strbuf_init(&c->ca_blob, 0);
	if (mirror) {
		if (!str_has_prefix(mirror, "http://") && !str_has_prefix(mirror, "https://")) {
			reg_client_free(c);
			return uk_err_setc(
				err, UK_ERR_INPUT,
				"mirror '%s': the URL must start with http:// or https://", mirror);
		}
		size_t len = strlen(mirror);
		while (len && mirror[len - 1] == '/')
			len--;
		c->base = xstrndup(mirror, len);
		c->mirror = xstrdup(c->base);
		c->explicit_scheme = true;
		const char *h = strstr(c->base, "://") + 3;
		c->tls_host = xstrndup(h, strcspn(h, "/"));
	} else {
		const char *host =
			strcmp(registry, "docker.io") ? registry : "registry-1.docker.io";
		c->tls_host = xstrdup(host);
		c->base = xasprintf("https://%s", host);
	}
	c->insecure = is_insecure(opts, registry, c->tls_host);
	c->http_fallback =
		!c->explicit_scheme && (c->insecure || reg_host_is_loopback(c->tls_host));
	c->easy = curl_easy_init();
	c->token_easy = curl_easy_init();
	c->share = curl_share_init();
	if (!c->easy || !c->token_easy || !c->share) {
		reg_client_free(c);
		return uk_err_set(err, "registry '%s': cannot initialise libcurl", registry);
	}
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	if (setup_tls(c, err) < 0) {
		reg_client_free(c);
		return uk_err_wrap(err, "registry '%s'", registry);
	}
	*out = c;
	return 0;
}

void reg_client_free(struct reg_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_tokens; i++) {
		explicit_bzero(c->tokens[i].token, strlen(c->tokens[i].token));
		free(c->tokens[i].token);
		free(c->tokens[i].scope);
	}
	free(c->tokens);
	reg_cred_release(&c->cred);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	if (c->token_easy)
		curl_easy_cleanup(c->token_easy);
	if (c->share)
		curl_share_cleanup(c->share);
	strbuf_release(&c->ca_blob);
	free(c->client_cert);
	free(c->client_key);
	free(c->registry);
	free(c->base);
	free(c->mirror);
	free(c->tls_host);
	free(c->realm);
	free(c->service);
	free(c);
}

char *reg_client_url(struct reg_client *c, const char *path_or_url)
{
	if (str_has_prefix(path_or_url, "http://") || str_has_prefix(path_or_url, "https://"))
		return xstrdup(path_or_url);
	if (str_has_prefix(path_or_url, "/v2/"))
		return xasprintf("%s%s", c->base, path_or_url);
	/* A relative Location: resolved against the endpoint, as a browser would. */
	CURLU *u = curl_url();
	char *full = NULL, *res = NULL;
	_cleanup_free_ char *base = xasprintf("%s/v2/", c->base);
	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, path_or_url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
		res = xstrdup(full);
	curl_free(full);
	curl_url_cleanup(u);
	return res ? res : xasprintf("%s/%s", c->base, path_or_url);
}

/* ---- authentication ---- */

static int load_cred(struct reg_client *c, struct uk_err *err)
{
	if (c->cred_loaded)
		return 0;
	if (reg_cred_lookup(c->registry, &c->cred, err) < 0)
		return uk_err_wrap(err, "credentials for '%s'", c->registry);
	c->cred_loaded = true;
	return 0;
}

static struct reg_token *token_find(struct reg_client *c, const char *scope)
{
	for (size_t i = 0; i < c->n_tokens; i++) {
		if (!strcmp(c->tokens[i].scope, scope))
			return &c->tokens[i];
	}
	return NULL;
}

static void token_drop(struct reg_client *c, const char *scope)
{
	struct reg_token *t = token_find(c, scope);
	if (!t)
		return;
	explicit_bzero(t->token, strlen(t->token));
	free(t->token);
	free(t->scope);
	*t = c->tokens[--c->n_tokens];
}

/* The origin of a URL without its query: safe to show in a message. */
static char *url_for_message(const char *url)
{
	return xstrndup(url, strcspn(url, "?#"));
}

static void common_setopts(struct reg_client *c, CURL *e)
{
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "unikit/" UNIKIT_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer is a dropped connection: retried like one. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L << 10);
	curl_easy_setopt(e, CURLOPT_SHARE, c->share);
	if (c->ca_blob.len) {
		struct curl_blob blob = { .data = c->ca_blob.buf,
					  .len = c->ca_blob.len,
					  .flags = CURL_BLOB_NOCOPY };
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->client_cert) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->client_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->client_key);
	}
	if (c->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static void add_scope_params(struct strbuf *q, CURL *e, const char *scope)
{
	const char *s = scope;

	while (s && *s) {
		size_t n = strcspn(s, " ");
		if (n) {
			char *esc = curl_easy_escape(e, s, (int)n);
			strbuf_addf(q, "&scope=%s", esc);
			curl_free(esc);
		}
		s += n;
		while (*s == ' ')
			s++;
	}
}

static int token_fetch(struct reg_client *c, const char *scope, struct uk_err *err)
{
	_cleanup_strbuf_ struct strbuf url = STRBUF_INIT, form = STRBUF_INIT;
	_cleanup_free_ char *shown = url_for_message(c->realm);
	struct reg_resp resp;
	struct reg_retry retry;
	CURL *e = c->token_easy;
	int rc = -1;

	if (!str_has_prefix(c->realm, "https://") && !str_has_prefix(c->realm, "http://"))
		return uk_err_set(err, "registry '%s': token realm '%s' is not an http(s) URL",
				  c->registry, shown);
	if (load_cred(c, err) < 0)
		return -1;
	reg_resp_init(&resp, TOKEN_MAX);
	reg_retry_init(&retry);
	for (;;) {
		curl_easy_reset(e);
		common_setopts(c, e);
		reg_resp_reset(&resp);
		strbuf_reset(&url);
		strbuf_reset(&form);
		char *svc = curl_easy_escape(e, c->service ? c->service : "", 0);
		if (c->cred.identity_token) {
			/* OAuth2 refresh-token grant, as Docker does with an identity token. */
			char *tok = curl_easy_escape(e, c->cred.secret, 0);
			strbuf_addf(&form, "grant_type=refresh_token&client_id=unikit&service=%s",
				    svc);
			add_scope_params(&form, e, scope);
			strbuf_addf(&form, "&refresh_token=%s", tok);
			explicit_bzero(tok, strlen(tok));
			curl_free(tok);
			strbuf_addstr(&url, c->realm);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, form.buf);
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)form.len);
		} else {
			strbuf_addf(&url, "%s%sservice=%s", c->realm,
				    strchr(c->realm, '?') ? "&" : "?", svc);
			add_scope_params(&url, e, scope);
			if (c->cred.user) {
				curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
				curl_easy_setopt(e, CURLOPT_USERNAME, c->cred.user);
				curl_easy_setopt(e, CURLOPT_PASSWORD, c->cred.secret);
			}
		}
		curl_free(svc);
		curl_easy_setopt(e, CURLOPT_URL, url.buf);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, reg_resp_header_cb);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, &resp);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, resp_body_cb);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
		c->errbuf[0] = '\0';
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
		CURLcode cc = curl_easy_perform(e);
		if (form.len)
			explicit_bzero(form.buf, form.len);
		if (cc == CURLE_OK)
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp.status);
		double wait;
		if (reg_retry_next(&retry, cc, resp.status, resp.retry_after, &wait)) {
			_cleanup_free_ char *why = reg_failure_string(cc, c->errbuf, resp.status);
			_cleanup_free_ char *msg = xasprintf("get token: %s", why);
			struct registry_event ev = { .kind = REGISTRY_EV_RETRY, .message = msg };
			reg_emit(c->opts, &ev);
			reg_sleep(wait);
			continue;
		}
		if (cc != CURLE_OK) {
			uk_err_set(err, "registry '%s': get token from '%s': %s", c->registry,
				   shown, c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
			break;
		}
		if (resp.status != 200) {
			_cleanup_free_ char *summary =
				reg_error_summary(resp.body.buf, resp.body.len);
			uk_err_set(err, "registry '%s': get token from '%s': HTTP %ld%s%s%s",
				   c->registry, shown, resp.status, summary ? " " : "",
				   summary ? summary : "",
				   resp.status == 401 && !c->cred.user ? " (no credentials)" : "");
			break;
		}
		json_t *root = json_loadb(resp.body.buf, resp.body.len, 0, NULL);
		const char *tok = json_string_value(json_object_get(root, "token"));
		if (!tok || !*tok)
			tok = json_string_value(json_object_get(root, "access_token"));
		if (!tok || !*tok) {
			json_decref(root);
			uk_err_set(err,
				   "registry '%s': get token from '%s': no token in the answer",
				   c->registry, shown);
			break;
		}
		json_int_t expires = json_integer_value(json_object_get(root, "expires_in"));
		if (expires < 60)
			expires = 60;
		token_drop(c, scope);
		XGROW(c->tokens, c->alloc_tokens, c->n_tokens + 1);
		c->tokens[c->n_tokens++] = (struct reg_token){
			.scope = xstrdup(scope),
			.token = xstrdup(tok),
			.expires = reg_now() + (double)expires - 10,
		};
		explicit_bzero(resp.body.buf, resp.body.len);
		json_decref(root);
		rc = 0;
		break;
	}
	if (rc < 0 && resp.body.len)
		explicit_bzero(resp.body.buf, resp.body.len);
	reg_resp_release(&resp);
	return rc;
}

/* Adds what authenticates a request for scope to e and to the header list. */
static int apply_auth(struct reg_client *c, CURL *e, const char *scope, struct curl_slist **headers,
		      struct uk_err *err)
{
	if (c->auth == AUTH_BASIC) {
		if (load_cred(c, err) < 0)
			return -1;
		if (!c->cred.user || c->cred.identity_token)
			return 0;
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, c->cred.user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->cred.secret);
		return 0;
	}
	if (c->auth != AUTH_BEARER || !scope)
		return 0;
	struct reg_token *t = token_find(c, scope);
	if (t && t->expires < reg_now()) {
		token_drop(c, scope);
		t = NULL;
	}
	if (!t) {
		if (token_fetch(c, scope, err) < 0)
			return -1;
		t = token_find(c, scope);
	}
	/* libcurl drops this header when a redirect leaves the host (blob storage URLs). */
	_cleanup_free_ char *h = xasprintf("Authorization: Bearer %s", t->token);
	*headers = curl_slist_append(*headers, h);
	explicit_bzero(h, strlen(h));
	return 0;
}

static int adopt_challenge(struct reg_client *c, const char *header)
{
	struct reg_challenge ch;

	if (!header || reg_challenge_parse(header, &ch) < 0)
		return -1;
	if (!strcmp(ch.scheme, "bearer")) {
		c->auth = AUTH_BEARER;
		free(c->realm);
		free(c->service);
		c->realm = TAKE_PTR(ch.realm);
		c->service = TAKE_PTR(ch.service);
	} else if (!strcmp(ch.scheme, "basic")) {
		c->auth = AUTH_BASIC;
	} else {
		reg_challenge_release(&ch);
		return -1;
	}
	reg_challenge_release(&ch);
	return 0;
}

int reg_client_reauth(struct reg_client *c, const char *scope, const char *challenge,
		      struct uk_err *err)
{
	enum reg_auth before = c->auth;

	if (adopt_challenge(c, challenge) < 0)
		return uk_err_set(err, "registry '%s': unsupported authentication challenge",
				  c->registry);
	if (load_cred(c, err) < 0)
		return -1;
	if (c->auth == AUTH_BASIC)
		/* Without credentials, or with those just refused, asking again is pointless. */
		return c->cred.user && !c->cred.identity_token && before != AUTH_BASIC ? 1 : 0;
	if (!scope)
		return 0;
	token_drop(c, scope);
	return token_fetch(c, scope, err) < 0 ? -1 : 1;
}

/* ---- requests ---- */

int reg_client_easy_setup(struct reg_client *c, CURL *easy, const char *url, const char *scope,
			  struct curl_slist **headers, struct uk_err *err)
{
	common_setopts(c, easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	return apply_auth(c, easy, scope, headers, err);
}

static int ping(struct reg_client *c, struct uk_err *err)
{
	struct reg_resp resp;
	struct reg_retry retry;
	int rc = -1;

	reg_resp_init(&resp, ERROR_BODY_MAX);
	reg_retry_init(&retry);
	for (;;) {
		_cleanup_free_ char *url = xasprintf("%s/v2/", c->base);
		CURL *e = c->easy;
		curl_easy_reset(e);
		common_setopts(c, e);
		reg_resp_reset(&resp);
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, reg_resp_header_cb);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, &resp);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, resp_body_cb);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
		c->errbuf[0] = '\0';
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
		CURLcode cc = curl_easy_perform(e);
		if (cc == CURLE_OK)
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp.status);
		if (cc == CURLE_SSL_CONNECT_ERROR && c->http_fallback &&
		    str_has_prefix(c->base, "https://")) {
			/* No TLS there: a loopback or insecure registry may speak plain HTTP. */
			char *plain = xasprintf("http://%s", c->base + 8);
			free(c->base);
			c->base = plain;
			continue;
		}
		double wait;
		if (reg_retry_next(&retry, cc, resp.status, resp.retry_after, &wait)) {
			_cleanup_free_ char *why = reg_failure_string(cc, c->errbuf, resp.status);
			struct registry_event ev = { .kind = REGISTRY_EV_RETRY, .message = why };
			reg_emit(c->opts, &ev);
			reg_sleep(wait);
			continue;
		}
		if (cc != CURLE_OK) {
			uk_err_set(err, "registry '%s'%s%s%s: connect: %s", c->registry,
				   c->mirror ? " (mirror '" : "", c->mirror ? c->mirror : "",
				   c->mirror ? "')" : "",
				   c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
			break;
		}
		if (resp.status == 401)
			adopt_challenge(c, resp.challenge);
		c->pinged = true;
		rc = 0;
		break;
	}
	reg_resp_release(&resp);
	return rc;
}

int reg_client_do(struct reg_client *c, const struct reg_req *req, struct reg_resp *resp,
		  struct uk_err *err)
{
	_cleanup_free_ char *url = NULL;
	struct reg_retry retry;
	bool reauthed = false;

	/* The ping settles the scheme: the URL is made after it. */
	if (!c->pinged && ping(c, err) < 0)
		return -1;
	url = reg_client_url(c, req->url);
	reg_retry_init(&retry);
	for (;;) {
		CURL *e = c->easy;
		struct curl_slist *headers = NULL;

		curl_easy_reset(e);
		reg_resp_reset(resp);
		if (reg_client_easy_setup(c, e, url, req->scope, &headers, err) < 0) {
			curl_slist_free_all(headers);
			return uk_err_wrap(err, "repository '%s': %s", req->repo, req->step);
		}
		for (struct curl_slist *h = req->headers; h; h = h->next)
			headers = curl_slist_append(headers, h->data);
		headers = curl_slist_append(headers, "Expect:");
		if (!strcmp(req->method, "HEAD")) {
			curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		} else if (req->read_cb) {
			curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(e, CURLOPT_READFUNCTION, req->read_cb);
			curl_easy_setopt(e, CURLOPT_READDATA, req->read_ctx);
			curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->upload_len);
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
		} else if (strcmp(req->method, "GET") != 0) {
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		}
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, reg_resp_header_cb);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, resp);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, resp_body_cb);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, resp);
		c->errbuf[0] = '\0';
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
		CURLcode cc = curl_easy_perform(e);
		curl_slist_free_all(headers);
		if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR)
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp->status);
		if (resp->too_big)
			return uk_err_setc(
				err, UK_ERR_CORRUPT,
				"registry '%s' repository '%s': %s: answer larger than %zu bytes",
				c->registry, req->repo, req->step, resp->max_body);
		if (cc == CURLE_OK && resp->status == 401 && !reauthed && resp->challenge) {
			reauthed = true;
			int r = reg_client_reauth(c, req->scope, resp->challenge, err);
			if (r < 0)
				return uk_err_wrap(err, "repository '%s': %s", req->repo,
						   req->step);
			if (r == 0 || (req->read_cb && req->upload_once))
				return 0;
			continue;
		}
		double wait;
		if (!(req->read_cb && req->upload_once) &&
		    reg_retry_next(&retry, cc, resp->status, resp->retry_after, &wait)) {
			_cleanup_free_ char *why = reg_failure_string(cc, c->errbuf, resp->status);
			_cleanup_free_ char *msg = xasprintf("%s: %s", req->step, why);
			struct registry_event ev = { .kind = REGISTRY_EV_RETRY, .message = msg };
			reg_emit(c->opts, &ev);
			reg_sleep(wait);
			continue;
		}
		if (cc != CURLE_OK && req->read_cb && req->upload_once &&
		    reg_retry_transient(cc, 0)) {
			resp->status = 0;
			resp->failure = reg_failure_string(cc, c->errbuf, 0);
			return 0;
		}
		if (cc != CURLE_OK)
			return uk_err_set(err, "registry '%s' repository '%s': %s: %s", c->registry,
					  req->repo, req->step,
					  c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
		return 0;
	}
}

int reg_err_http(struct reg_client *c, struct uk_err *err, const char *repo, const char *step,
		 const struct reg_resp *resp)
{
	_cleanup_free_ char *summary = reg_error_summary(resp->body.buf, resp->body.len);
	const char *hint = "";

	_cleanup_free_ char *refused = NULL;
	if ((resp->status == 401 || resp->status == 403) && !c->cred.user)
		hint = " (no credentials found: see UNIKIT_REGISTRY_AUTH or ~/.docker/config.json)";
	else if (resp->status == 401)
		hint = refused = xasprintf(" (credentials of user '%s' refused)", c->cred.user);
	return uk_err_setc(err, resp->status == 404 ? UK_ERR_NOT_FOUND : UK_ERR_GENERIC,
			   "registry '%s'%s%s%s repository '%s': %s: HTTP %ld%s%s%s", c->registry,
			   c->mirror ? " (mirror '" : "", c->mirror ? c->mirror : "",
			   c->mirror ? "')" : "", repo, step, resp->status, summary ? " " : "",
			   summary ? summary : "", hint);
}
