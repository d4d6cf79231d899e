// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/registry: credentials, challenges, manifests, retries, headers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/internal.h"
#include "unit.h"
#include "util/fs.h"

static void test_base64(void **state)
{
	char *e = reg_base64_encode("alice:s3cret", 12);
	assert_string_equal(e, "YWxpY2U6czNjcmV0");
	size_t len;
	char *d = reg_base64_decode(e, &len);
	assert_int_equal(len, 12);
	assert_string_equal(d, "alice:s3cret");
	free(e);
	free(d);
	e = reg_base64_encode("ab", 2);
	assert_string_equal(e, "YWI=");
	d = reg_base64_decode(e, &len);
	assert_int_equal(len, 2);
	assert_string_equal(d, "ab");
	free(e);
	free(d);
	assert_null(reg_base64_decode("YW*=", NULL));
	assert_null(reg_base64_decode("YW=x", NULL));
}

static void test_host_normalise(void **state)
{
	static const char *const cases[][2] = {
		{ "https://index.docker.io/v1/", "docker.io" },
		{ "registry-1.docker.io", "docker.io" },
		{ "http://h.example:5000/v2/", "h.example:5000" },
		{ "127.0.0.1:5000", "127.0.0.1:5000" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *h = reg_host_normalise(cases[i][0]);
		assert_string_equal(h, cases[i][1]);
		free(h);
	}
}

static void test_cred_env(void **state)
{
	struct reg_cred c = { 0 };
	struct uk_err err = { 0 };

	assert_int_equal(
		reg_cred_from_env("a.example=u1:p1,h:5000=u2:p\\,w\\=2", "h:5000", &c, &err), 0);
	assert_string_equal(c.user, "u2");
	assert_string_equal(c.secret, "p,w=2");
	reg_cred_release(&c);

	assert_int_equal(reg_cred_from_env("a.example=u1:p1", "h:5000", &c, &err), 0);
	assert_null(c.user);

	assert_int_equal(reg_cred_from_env("h:5000=userpassword", "h:5000", &c, &err), -1);
	assert_non_null(strstr(err.msg, "entry 1 ('h:5000')"));
	assert_null(strstr(err.msg, "userpassword"));
	uk_err_release(&err);

	assert_int_equal(reg_cred_from_env("x=u:p,nohost", "h", &c, &err), -1);
	assert_non_null(strstr(err.msg, "entry 2"));
	uk_err_release(&err);
}

static void test_docker_config(void **state)
{
	struct reg_cred c = { 0 };
	struct uk_err err = { 0 };
	char *helper = NULL;

	/* auths: base64 auth under the v1 URL of Docker Hub */
	const char *cfg =
		"{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"YWxpY2U6czNjcmV0\"}}}";
	assert_int_equal(reg_cred_from_docker_config(cfg, "c.json", "docker.io", &c, &helper, &err),
			 0);
	assert_string_equal(c.user, "alice");
	assert_string_equal(c.secret, "s3cret");
	assert_null(helper);
	reg_cred_release(&c);

	/* username/password and identitytoken */
	cfg = "{\"auths\":{\"h:1\":{\"username\":\"bob\",\"password\":\"pw\"},"
	      "\"h:2\":{\"identitytoken\":\"tok\"}}}";
	assert_int_equal(reg_cred_from_docker_config(cfg, "c.json", "h:1", &c, &helper, &err), 0);
	assert_string_equal(c.user, "bob");
	assert_false(c.identity_token);
	reg_cred_release(&c);
	assert_int_equal(reg_cred_from_docker_config(cfg, "c.json", "h:2", &c, &helper, &err), 0);
	assert_true(c.identity_token);
	assert_string_equal(c.secret, "tok");
	reg_cred_release(&c);

	/* credHelpers wins; credsStore is the fallback */
	cfg = "{\"auths\":{\"h:1\":{}},\"credHelpers\":{\"h:1\":\"pass\"},\"credsStore\":\"desktop\"}";
	assert_int_equal(reg_cred_from_docker_config(cfg, "c.json", "h:1", &c, &helper, &err), 0);
	assert_string_equal(helper, "pass");
	free(helper);
	assert_int_equal(reg_cred_from_docker_config(cfg, "c.json", "h:9", &c, &helper, &err), 0);
	assert_string_equal(helper, "desktop");
	free(helper);
	assert_null(c.user);

	/* errors: a position for bad JSON, no secret for bad base64 */
	assert_int_equal(
		reg_cred_from_docker_config("{\"auths\": ", "c.json", "h", &c, &helper, &err), -1);
	assert_true(str_has_prefix(err.msg, "c.json:1:"));
	uk_err_release(&err);
	cfg = "{\"auths\":{\"h\":{\"auth\":\"bm9jb2xvbg==\"}}}"; /* "nocolon" */
	assert_int_equal(reg_cred_from_docker_config(cfg, "c.json", "h", &c, &helper, &err), -1);
	assert_null(strstr(err.msg, "nocolon"));
	assert_null(strstr(err.msg, "bm9jb2xvbg"));
	uk_err_release(&err);
}

static void test_challenge(void **state)
{
	struct reg_challenge ch;

	assert_int_equal(
		reg_challenge_parse("Bearer realm=\"https://auth.example/token\","
				    "service=\"registry.example\",scope=\"repository:a/b:pull\"",
				    &ch),
		0);
	assert_string_equal(ch.scheme, "bearer");
	assert_string_equal(ch.realm, "https://auth.example/token");
	assert_string_equal(ch.service, "registry.example");
	assert_string_equal(ch.scope, "repository:a/b:pull");
	reg_challenge_release(&ch);

	assert_int_equal(reg_challenge_parse("Basic realm=\"Registry \\\"Realm\\\"\"", &ch), 0);
	assert_string_equal(ch.scheme, "basic");
	assert_string_equal(ch.realm, "Registry \"Realm\"");
	reg_challenge_release(&ch);

	assert_int_equal(reg_challenge_parse("bearer realm=x, error=insufficient_scope", &ch), 0);
	assert_string_equal(ch.error, "insufficient_scope");
	reg_challenge_release(&ch);

	assert_int_equal(reg_challenge_parse("Bearer service=\"x\"", &ch), -1);
	assert_int_equal(reg_challenge_parse("Bearer realm=\"unterminated", &ch), -1);
	assert_int_equal(reg_challenge_parse("", &ch), -1);
}

#define DIG "sha256:0000000000000000000000000000000000000000000000000000000000000000"
#define DIG2 "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static void test_manifest_parse(void **state)
{
	struct uk_err err = { 0 };
	enum reg_kind kind;
	char *mt = NULL;
	json_t *doc = NULL;

	const char *index = "{\"schemaVersion\":2,\"manifests\":[]}";
	assert_int_equal(reg_manifest_parse(index, strlen(index), NULL, &doc, &kind, &mt, &err), 0);
	assert_int_equal(kind, REG_KIND_INDEX);
	assert_string_equal(mt, OCI_MT_INDEX);
	json_decref(doc);
	free(mt);

	const char *m = "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}";
	assert_int_equal(reg_manifest_parse(m, strlen(m), DOCKER_MT_MANIFEST "; charset=utf-8",
					    &doc, &kind, &mt, &err),
			 0);
	assert_int_equal(kind, REG_KIND_MANIFEST);
	assert_string_equal(mt, DOCKER_MT_MANIFEST);
	json_decref(doc);
	free(mt);

	/* schema 1, by type or by content */
	assert_int_equal(
		reg_manifest_parse(m, strlen(m), REG_MT_DOCKER_V1_SIGNED, &doc, &kind, &mt, &err),
		-1);
	assert_non_null(strstr(err.msg, "schema 1"));
	uk_err_release(&err);
	const char *v1 = "{\"schemaVersion\":1,\"fsLayers\":[]}";
	assert_int_equal(
		reg_manifest_parse(v1, strlen(v1), "application/json", &doc, &kind, &mt, &err), -1);
	assert_non_null(strstr(err.msg, "schema 1"));
	uk_err_release(&err);

	assert_int_equal(reg_manifest_parse(m, strlen(m), "application/vnd.example+json", &doc,
					    &kind, &mt, &err),
			 -1);
	assert_non_null(strstr(err.msg, "unsupported manifest media type"));
	uk_err_release(&err);
	assert_int_equal(reg_manifest_parse("[1]", 3, NULL, &doc, &kind, &mt, &err), -1);
	assert_int_equal(err.code, UK_ERR_CORRUPT);
	uk_err_release(&err);
}

static void test_index_select(void **state)
{
	struct uk_err err = { 0 };
	struct oci_platform want;
	struct oci_desc d;
	json_t *index = json_pack(
		"{s:[{s:s,s:s,s:i,s:{s:s,s:s}}, {s:s,s:s,s:i,s:{s:s,s:s}}, {s:s,s:s,s:i,s:{s:s,s:s,s:s}}]}",
		"manifests", "mediaType", OCI_MT_MANIFEST, "digest", DIG, "size", 10, "platform",
		"os", "unknown", "architecture", "unknown", "mediaType", OCI_MT_MANIFEST, "digest",
		DIG2, "size", 11, "platform", "os", "linux", "architecture", "arm64", "mediaType",
		OCI_MT_MANIFEST, "digest", DIG, "size", 12, "platform", "os", "linux",
		"architecture", "arm", "variant", "v7");

	/* arm64 entries that name no variant are v8 */
	assert_int_equal(oci_platform_parse(&want, "arm64/v8", &err), 0);
	assert_int_equal(reg_index_select(index, &want, &d, &err), 0);
	assert_string_equal(d.digest, DIG2);
	assert_int_equal(d.size, 11);
	free(d.media_type);

	assert_int_equal(oci_platform_parse(&want, "arm/v6", &err), 0);
	assert_int_equal(reg_index_select(index, &want, &d, &err), -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "platform 'linux/arm/v6'"));
	assert_non_null(strstr(err.msg, "(it has: linux/arm64, linux/arm/v7)"));
	uk_err_release(&err);
	json_decref(index);
}

static void test_manifest_blobs(void **state)
{
	struct uk_err err = { 0 };
	struct oci_desc *d;
	size_t n;
	json_t *m = json_pack("{s:{s:s,s:i}, s:[{s:s,s:i}]}", "config", "digest", DIG, "size", 5,
			      "layers", "digest", DIG2, "size", 7);

	assert_int_equal(reg_manifest_blobs(m, &d, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].digest, DIG);
	assert_string_equal(d[1].digest, DIG2);
	assert_int_equal(d[1].size, 7);
	reg_descs_free(d, n);
	json_decref(m);

	m = json_pack("{s:{s:s,s:i}, s:[{s:s,s:i}]}", "config", "digest", DIG, "size", 5, "layers",
		      "digest", "sha256:../x", "size", 7);
	assert_int_equal(reg_manifest_blobs(m, &d, &n, &err), -1);
	assert_non_null(strstr(err.msg, "invalid digest"));
	uk_err_release(&err);
	json_decref(m);

	m = json_pack("{s:{s:s,s:i}, s:[{s:s,s:i,s:[s]}]}", "config", "digest", DIG, "size", 5,
		      "layers", "digest", DIG2, "size", 7, "urls", "http://x");
	assert_int_equal(reg_manifest_blobs(m, &d, &n, &err), -1);
	assert_non_null(strstr(err.msg, "foreign"));
	uk_err_release(&err);
	json_decref(m);
}

static void test_error_summary(void **state)
{
	const char *body = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"no\\nway\"},"
			   "{\"code\":\"UNAUTHORIZED\",\"message\":\"\"}]}";
	char *s = reg_error_summary(body, strlen(body));
	assert_string_equal(s, "DENIED: no way; UNAUTHORIZED");
	free(s);
	assert_null(reg_error_summary("<html>", 6));
	assert_null(reg_error_summary("", 0));
}

static void test_retry(void **state)
{
	struct reg_retry r;
	double wait;

	assert_true(reg_retry_transient(CURLE_OK, 503));
	assert_true(reg_retry_transient(CURLE_OK, 429));
	assert_true(reg_retry_transient(CURLE_RECV_ERROR, 0));
	assert_false(reg_retry_transient(CURLE_OK, 404));
	assert_false(reg_retry_transient(CURLE_OK, 501));
	assert_false(reg_retry_transient(CURLE_COULDNT_CONNECT, 0));
	assert_false(reg_retry_transient(CURLE_PEER_FAILED_VERIFICATION, 0));

	setenv("UNIKIT_REGISTRY_RETRIES", "2", 1);
	reg_retry_init(&r);
	assert_true(reg_retry_next(&r, CURLE_OK, 503, -1, &wait));
	assert_true(wait > 0 && wait <= 1);
	assert_true(reg_retry_next(&r, CURLE_OK, 503, -1, &wait));
	assert_false(reg_retry_next(&r, CURLE_OK, 503, -1, &wait));
	unsetenv("UNIKIT_REGISTRY_RETRIES");

	/* Retry-After is honoured, and past the time budget it is not waited for */
	setenv("UNIKIT_REGISTRY_RETRY_TIME", "5", 1);
	reg_retry_init(&r);
	assert_true(reg_retry_next(&r, CURLE_OK, 429, 3, &wait));
	assert_true(wait == 3);
	assert_false(reg_retry_next(&r, CURLE_OK, 429, 30, &wait));
	unsetenv("UNIKIT_REGISTRY_RETRY_TIME");
}

static void test_loopback(void **state)
{
	assert_true(reg_host_is_loopback("localhost"));
	assert_true(reg_host_is_loopback("localhost:5000"));
	assert_true(reg_host_is_loopback("127.0.0.1:5000"));
	assert_true(reg_host_is_loopback("127.254.3.9"));
	assert_true(reg_host_is_loopback("[::1]:5000"));
	assert_false(reg_host_is_loopback("128.0.0.1:5000"));
	assert_false(reg_host_is_loopback("127.0.0.1.example.com"));
	assert_false(reg_host_is_loopback("localhost.example.com:5000"));
	assert_false(reg_host_is_loopback("127.0.0.256"));
	assert_false(reg_host_is_loopback("registry.example:5000"));
}

static void feed(struct reg_resp *r, const char *line)
{
	char *copy = xstrdup(line);
	reg_resp_header_cb(copy, 1, strlen(copy), r);
	free(copy);
}

static void test_headers(void **state)
{
	struct reg_resp r;

	reg_resp_init(&r, 100);
	feed(&r, "HTTP/1.1 307 Temporary Redirect\r\n");
	feed(&r, "Location: https://cdn.example/blob\r\n");
	feed(&r, "HTTP/1.1 429 Too Many Requests\r\n");
	assert_null(r.location);
	feed(&r, "Retry-After: 7\r\n");
	feed(&r, "www-authenticate: Bearer realm=\"x\"\r\n");
	feed(&r, "Docker-Content-Digest: " DIG "\r\n");
	feed(&r, "Content-Length: 42\r\n");
	feed(&r, "Content-Range: bytes 10-41/42\r\n");
	assert_int_equal(r.retry_after, 7);
	assert_string_equal(r.challenge, "Bearer realm=\"x\"");
	assert_string_equal(r.digest, DIG);
	assert_string_equal(r.content_range, "bytes 10-41/42");
	feed(&r, "HTTP/1.1 503 Unavailable\r\n");
	feed(&r, "Retry-After: Thu, 01 Jan 1970 00:00:00 GMT\r\n");
	assert_int_equal(r.retry_after, 0);
	feed(&r, "Retry-After: soon\r\n");
	assert_int_equal(r.retry_after, -1);
	reg_resp_release(&r);
}

/* An image in a fresh store, named ref: a config, one layer (its digest in layer_d), a manifest. */
static void put_image(struct store *store, const char *ref, const char *arch,
		      char layer_d[OCI_DIGEST_MAX])
{
	struct uk_err err = { 0 };
	char cfg_d[OCI_DIGEST_MAX], man_d[OCI_DIGEST_MAX];
	char *cfg = xasprintf("{\"architecture\":\"%s\",\"os\":\"linux\",\"rootfs\":"
			      "{\"type\":\"layers\",\"diff_ids\":[]}}",
			      arch);
	static const char layer[] = "not really a tar, the store does not look";

	assert_int_equal(store_blob_put(store, cfg, strlen(cfg), cfg_d, &err), 0);
	assert_int_equal(store_blob_put(store, layer, sizeof(layer) - 1, layer_d, &err), 0);
	char *man = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
			      "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":"
			      "\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
			      OCI_MT_MANIFEST, OCI_MT_CONFIG, cfg_d, strlen(cfg), OCI_MT_LAYER_GZIP,
			      layer_d, sizeof(layer) - 1);
	assert_int_equal(store_blob_put(store, man, strlen(man), man_d, &err), 0);
	struct oci_desc d = { .media_type = (char *)OCI_MT_MANIFEST, .size = (int64_t)strlen(man) };
	snprintf(d.digest, sizeof(d.digest), "%s", man_d);
	assert_int_equal(store_tag(store, ref, &d, &err), 0);
	free(cfg);
	free(man);
}

/* Keeps the message of the last REGISTRY_EV_MISSING. */
static void on_missing(void *ctx, const struct registry_event *ev)
{
	char **msg = ctx;

	if (ev->kind != REGISTRY_EV_MISSING)
		return;
	free(*msg);
	*msg = xstrdup(ev->message);
}

static void test_pull_missing(void **state)
{
	char dir[] = "/tmp/unikit-test-registry.XXXXXX";
	char layer_d[OCI_DIGEST_MAX];
	struct uk_err err = { 0 };
	struct store *store = NULL;
	char *missing = NULL;
	/* Port 1 on loopback: nothing listens, so any network use fails. */
	static const char ref[] = "127.0.0.1:1/unit/img:1";

	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/store", dir);
	assert_int_equal(store_open(&store, path, &err), 0);
	put_image(store, ref, "amd64", layer_d);

	struct registry_opts opts = { .arch = "amd64",
				      .progress = on_missing,
				      .progress_ctx = &missing };
	assert_int_equal(registry_pull_missing(store, ref, &opts, &err), 0);
	assert_null(missing);

	/* Another platform is missing: the registry is asked, and is not there. */
	opts.arch = "arm64";
	assert_int_equal(registry_pull_missing(store, ref, &opts, &err), -1);
	assert_non_null(strstr(err.msg, "registry '127.0.0.1:1': connect:"));
	assert_non_null(missing);
	uk_err_release(&err);

	/* A name that is not in the store: the same, and the error says so first. */
	opts.arch = "amd64";
	assert_int_equal(registry_pull_missing(store, "127.0.0.1:1/unit/other:1", &opts, &err), -1);
	assert_true(str_has_prefix(err.msg, "image '127.0.0.1:1/unit/other:1' is not in the store "
					    "and could not be pulled: pull "
					    "'127.0.0.1:1/unit/other:1': "));
	assert_string_equal(missing, "image '127.0.0.1:1/unit/other:1' is not in the store");
	uk_err_release(&err);

	/* Half-present: the manifest is there, a layer is not; the error names the layer. */
	char *blob = xasprintf("%s/blobs/sha256/%s", path, layer_d + 7);
	assert_int_equal(unlink(blob), 0);
	char *want = xasprintf("image '%s': layer %s is not in the store", ref, layer_d);
	assert_int_equal(registry_pull_missing(store, ref, &opts, &err), -1);
	assert_string_equal(missing, want);
	assert_true(str_has_prefix(err.msg, want));
	assert_non_null(strstr(err.msg, " and could not be pulled: pull '127.0.0.1:1/unit/img:1': "
					"registry '127.0.0.1:1': connect:"));
	uk_err_release(&err);

	/* A reference that cannot name an image: neither the store nor the registry is asked. */
	free(missing);
	missing = NULL;
	assert_int_equal(registry_pull_missing(store, "127.0.0.1:1/Unit:", &opts, &err), -1);
	assert_true(str_has_prefix(err.msg, "invalid reference '127.0.0.1:1/Unit:': "));
	assert_null(missing);
	uk_err_release(&err);

	store_free(store);
	assert_int_equal(fs_rm_rf(dir, &err), 0);
	free(want);
	free(blob);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),	      cmocka_unit_test(test_host_normalise),
		cmocka_unit_test(test_cred_env),      cmocka_unit_test(test_docker_config),
		cmocka_unit_test(test_challenge),     cmocka_unit_test(test_manifest_parse),
		cmocka_unit_test(test_index_select),  cmocka_unit_test(test_manifest_blobs),
		cmocka_unit_test(test_error_summary), cmocka_unit_test(test_retry),
		cmocka_unit_test(test_headers),	      cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_pull_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
