// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/oci: references, platforms, the store and index resolution. */
/* cmocka.h needs these before it */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"
#include "util/fs.h"
#include "util/sha256.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- references ---- */

static void check_ref(const char *in, const char *want)
{
	struct uk_err err = { 0 };
	struct oci_ref ref = { 0 };

	if (oci_ref_parse(&ref, in, &err) < 0)
		fail_msg("'%s' rejected: %s", in, err.msg);
	char *s = oci_ref_string(&ref);
	if (strcmp(s, want) != 0)
		fail_msg("'%s' normalised to '%s', want '%s'", in, s, want);
	free(s);
	oci_ref_release(&ref);
}

static void test_ref_normalise(void **state)
{
	static const char *const cases[][2] = {
		{ "nginx", "docker.io/library/nginx:latest" },
		{ "nginx:1.25", "docker.io/library/nginx:1.25" },
		{ "library/nginx", "docker.io/library/nginx:latest" },
		{ "docker.io/nginx", "docker.io/library/nginx:latest" },
		{ "index.docker.io/nginx", "docker.io/library/nginx:latest" },
		{ "index.docker.io/library/nginx:1", "docker.io/library/nginx:1" },
		{ "docker.io/library/nginx:latest", "docker.io/library/nginx:latest" },
		{ "linuxkit/init:v1.2.0", "docker.io/linuxkit/init:v1.2.0" },
		{ "localhost/foo", "localhost/foo:latest" },
		{ "localhost/foo/bar:tag", "localhost/foo/bar:tag" },
		{ "localhost:5000/foo/bar:tag", "localhost:5000/foo/bar:tag" },
		{ "localhost", "docker.io/library/localhost:latest" },
		{ "localhost:5000", "docker.io/library/localhost:5000" },
		{ "example.com/a/b", "example.com/a/b:latest" },
		{ "Example.com/a", "Example.com/a:latest" },
		{ "EXAMPLE/a", "EXAMPLE/a:latest" },
		{ "registry:5000/x", "registry:5000/x:latest" },
		{ "127.0.0.1:5000/x:y", "127.0.0.1:5000/x:y" },
		{ "[::1]:5000/foo", "[::1]:5000/foo:latest" },
		{ "[fe80::1]/foo", "[fe80::1]/foo:latest" },
		{ "a.b-c.d/e__f/g-h.i_j:T_.-9", "a.b-c.d/e__f/g-h.i_j:T_.-9" },
		{ "foo/a--b---c", "docker.io/foo/a--b---c:latest" },
		{ "foo/a.b_c", "docker.io/foo/a.b_c:latest" },
		{ "ghcr.io/owner/repo/sub/deep:v1", "ghcr.io/owner/repo/sub/deep:v1" },
		{ "nginx@sha256:" HEX64, "docker.io/library/nginx@sha256:" HEX64 },
		{ "nginx:1@sha256:" HEX64, "docker.io/library/nginx:1@sha256:" HEX64 },
		{ "localhost:5000/a@sha256:" HEX64, "localhost:5000/a@sha256:" HEX64 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_ref(cases[i][0], cases[i][1]);
	(void)state;
}

static void test_ref_fields(void **state)
{
	struct uk_err err = { 0 };
	struct oci_ref ref = { 0 };

	assert_int_equal(oci_ref_parse(&ref, "nginx@sha256:" HEX64, &err), 0);
	assert_string_equal(ref.domain, "docker.io");
	assert_string_equal(ref.path, "library/nginx");
	assert_null(ref.tag);
	assert_string_equal(ref.digest, "sha256:" HEX64);
	oci_ref_release(&ref);
	assert_null(ref.domain);

	assert_int_equal(oci_ref_parse(&ref, "localhost:5000/a/b:c", &err), 0);
	assert_string_equal(ref.domain, "localhost:5000");
	assert_string_equal(ref.path, "a/b");
	assert_string_equal(ref.tag, "c");
	assert_null(ref.digest);
	oci_ref_release(&ref);
	(void)state;
}

static void check_reject(const char *in, const char *want_in_msg)
{
	struct uk_err err = { 0 };
	struct oci_ref ref = { 0 };

	if (oci_ref_parse(&ref, in, &err) == 0) {
		char *s = oci_ref_string(&ref);
		fail_msg("'%s' accepted as '%s'", in, s);
	}
	assert_int_equal(err.code, UK_ERR_INPUT);
	assert_true(str_has_prefix(err.msg, "invalid reference '"));
	if (!strstr(err.msg, want_in_msg))
		fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, want_in_msg);
	uk_err_release(&err);
	assert_null(ref.domain);
}

static void test_ref_reject(void **state)
{
	char long_tag[140], long_name[300];

	check_reject("", "empty");
	check_reject("Nginx", "must be lowercase");
	check_reject("docker.io/Library/nginx", "must be lowercase");
	check_reject("nginx:", "invalid tag");
	check_reject(":tag", "no repository name");
	check_reject("nginx:.tag", "invalid tag");
	check_reject("nginx:-x", "invalid tag");
	check_reject("nginx:a/b", "invalid registry 'nginx:a'");
	check_reject("_/x", "invalid repository name");
	check_reject("nginx@sha256:abc", "invalid digest");
	check_reject("nginx@sha512:" HEX64 HEX64, "unsupported digest algorithm 'sha512'");
	check_reject(
		"nginx@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"64 lowercase");
	check_reject("nginx@sha256:" HEX64 "00", "64 lowercase");
	check_reject("nginx@", "invalid digest");
	check_reject("nginx@:" HEX64, "invalid digest");
	check_reject("a@b@c", "invalid digest");
	check_reject("foo//bar", "invalid repository name");
	check_reject("foo/", "invalid repository name");
	check_reject("/foo", "invalid repository name");
	check_reject("foo_", "invalid repository name");
	check_reject("foo..bar", "invalid repository name");
	check_reject("foo___bar", "invalid repository name");
	check_reject("-foo", "invalid repository name");
	check_reject("foo-", "invalid repository name");
	check_reject("a/b c", "invalid");
	check_reject("a\nb", "invalid");
	check_reject("example.com:/foo", "invalid registry");
	check_reject("example.com:5x/foo", "invalid registry");
	check_reject("-example.com/foo", "invalid registry");
	check_reject("example-.com/foo", "invalid registry");
	check_reject("exa_mple.com/foo", "invalid registry");
	check_reject("[::1/foo", "invalid registry");
	check_reject("[]/foo", "invalid repository name");
	check_reject("[::g]:5000/foo", "invalid registry");
	check_reject("example.com/", "invalid repository name");
	check_reject(HEX64, "image id");

	memset(long_tag, 'a', sizeof(long_tag));
	memcpy(long_tag, "x:", 2);
	long_tag[2 + 129] = '\0';
	check_reject(long_tag, "invalid tag");
	long_tag[2 + 128] = '\0';
	check_ref(long_tag,
		  "docker.io/library/x:" /* 128 a's */
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");

	memset(long_name, 'a', sizeof(long_name));
	memcpy(long_name, "example.com/", 12);
	long_name[256] = '\0';
	check_reject(long_name, "longer than 255");
	long_name[255] = '\0';
	struct uk_err err = { 0 };
	struct oci_ref ref = { 0 };
	assert_int_equal(oci_ref_parse(&ref, long_name, &err), 0);
	oci_ref_release(&ref);
	(void)state;
}

/* ---- platforms and media types ---- */

static void check_platform(const char *in, const char *want)
{
	struct uk_err err = { 0 };
	struct oci_platform p;

	if (oci_platform_parse(&p, in, &err) < 0)
		fail_msg("'%s' rejected: %s", in, err.msg);
	char *s = oci_platform_string(&p);
	if (strcmp(s, want) != 0)
		fail_msg("'%s' parsed as '%s', want '%s'", in, s, want);
	free(s);
}

static void test_platform(void **state)
{
	struct uk_err err = { 0 };
	struct oci_platform p;

	check_platform("amd64", "linux/amd64");
	check_platform("x86_64", "linux/amd64");
	check_platform("aarch64", "linux/arm64");
	check_platform("arm64/v8", "linux/arm64/v8");
	check_platform("linux/arm64", "linux/arm64");
	check_platform("linux/arm/v7", "linux/arm/v7");
	check_platform("armv7l", "linux/arm/v7");
	check_platform("s390x", "linux/s390x");
	assert_int_equal(oci_platform_parse(&p, "windows/amd64/x", &err), -1);
	assert_non_null(strstr(err.msg, "only linux"));
	uk_err_release(&err);
	assert_int_equal(oci_platform_parse(&p, "AMD64", &err), -1);
	uk_err_release(&err);
	assert_int_equal(oci_platform_parse(&p, "a/b/c/d", &err), -1);
	uk_err_release(&err);
	assert_int_equal(oci_platform_parse(&p, "amd64/", &err), -1);
	uk_err_release(&err);
	/* NULL is the host's, which uname names */
	assert_int_equal(oci_platform_parse(&p, NULL, &err), 0);
	assert_string_equal(p.os, "linux");
	assert_true(p.arch[0] != '\0');

	json_t *plat = json_pack("{s:s, s:s}", "os", "linux", "architecture", "arm64");
	assert_int_equal(oci_platform_parse(&p, "arm64/v8", &err), 0);
	assert_true(oci_platform_match(&p, plat)); /* no variant on arm64 means v8 */
	assert_int_equal(oci_platform_parse(&p, "arm64/v9", &err), 0);
	assert_false(oci_platform_match(&p, plat));
	assert_int_equal(oci_platform_parse(&p, "amd64", &err), 0);
	assert_false(oci_platform_match(&p, plat));
	json_decref(plat);
	(void)state;
}

static void test_media(void **state)
{
	assert_int_equal(oci_media_kind(OCI_MT_INDEX), OCI_MEDIA_INDEX);
	assert_int_equal(oci_media_kind(DOCKER_MT_LIST), OCI_MEDIA_INDEX);
	assert_int_equal(oci_media_kind(DOCKER_MT_MANIFEST), OCI_MEDIA_MANIFEST);
	assert_int_equal(oci_media_kind(DOCKER_MT_CONFIG), OCI_MEDIA_CONFIG);
	assert_int_equal(oci_media_kind("text/plain"), OCI_MEDIA_OTHER);
	assert_int_equal(oci_media_kind(NULL), OCI_MEDIA_OTHER);
	assert_int_equal(oci_layer_compression(OCI_MT_LAYER), OCI_COMPRESSION_NONE);
	assert_int_equal(oci_layer_compression(OCI_MT_LAYER_ZSTD), OCI_COMPRESSION_ZSTD);
	assert_int_equal(oci_layer_compression(DOCKER_MT_LAYER_GZIP), OCI_COMPRESSION_GZIP);
	assert_int_equal(oci_layer_compression(OCI_MT_CONFIG), -1);
	assert_int_equal(oci_compression_sniff("\x1f\x8b\x08", 3), OCI_COMPRESSION_GZIP);
	assert_int_equal(oci_compression_sniff("\x28\xb5\x2f\xfd", 4), OCI_COMPRESSION_ZSTD);
	assert_int_equal(oci_compression_sniff("\x28\xb5", 2), OCI_COMPRESSION_NONE);
	assert_true(oci_digest_valid("sha256:" HEX64));
	assert_false(oci_digest_valid("sha256:" HEX64 "0"));
	assert_false(oci_digest_valid("sha512:" HEX64));
	assert_false(oci_digest_valid("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123"
				      "456789abcdef"));
	assert_false(oci_digest_valid(NULL));
	(void)state;
}

/* ---- the store ---- */

struct fixture {
	char dir[64];
	char *store_dir;
	struct store *store;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct uk_err err = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/unikit-test-oci-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->store_dir = xasprintf("%s/store", f->dir);
	if (store_open(&f->store, f->store_dir, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };

	store_free(f->store);
	fs_rm_rf(f->dir, &err);
	free(f->store_dir);
	free(f);
	return 0;
}

static char *blob_path(struct fixture *f, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", f->store_dir, digest + 7);
}

static size_t count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

/* Overwrites the middle byte of a stored blob, as disk rot would. */
static void corrupt_blob(struct fixture *f, const char *digest)
{
	_cleanup_free_ char *path = blob_path(f, digest);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(chmod(path, 0644), 0);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	char c;
	assert_int_equal(pread(fd, &c, 1, st.st_size / 2), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, st.st_size / 2), 1);
	close(fd);
}

static void test_store_layout(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };
	struct store *again = NULL;
	char *data = NULL;

	_cleanup_free_ char *layout = xasprintf("%s/oci-layout", f->store_dir);
	assert_int_equal(fs_read_file(layout, 1000, &data, NULL, &err), 0);
	assert_non_null(strstr(data, "\"imageLayoutVersion\":\"1.0.0\""));
	free(data);
	_cleanup_free_ char *index = xasprintf("%s/index.json", f->store_dir);
	assert_int_equal(fs_read_file(index, 1000, &data, NULL, &err), 0);
	json_t *j = json_loads(data, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "schemaVersion")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "manifests")), 0);
	json_decref(j);
	free(data);
	assert_string_equal(store_dir(f->store), f->store_dir);

	/* an existing store opens again; a directory with other things in it is refused */
	assert_int_equal(store_open(&again, f->store_dir, &err), 0);
	store_free(again);
	_cleanup_free_ char *other = xasprintf("%s/other", f->dir);
	_cleanup_free_ char *file = xasprintf("%s/other/precious.txt", f->dir);
	assert_int_equal(fs_mkdir_p(other, 0755, &err), 0);
	assert_int_equal(fs_write_file_atomic(file, "x", 1, 0644, &err), 0);
	assert_int_equal(store_open(&again, other, &err), -1);
	assert_non_null(strstr(err.msg, "not an OCI image layout"));
	uk_err_release(&err);
	assert_int_equal(count_dir(other), 1);
}

static void test_blob_put_read(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };
	char digest[OCI_DIGEST_MAX], hex[SHA256_HEX_LEN + 1];
	char *data = NULL;
	size_t len = 0;

	sha256_hex("hello, store", 12, hex);
	assert_int_equal(store_blob_put(f->store, "hello, store", 12, digest, &err), 0);
	assert_string_equal(digest + 7, hex);
	assert_true(str_has_prefix(digest, "sha256:"));
	assert_true(store_blob_exists(f->store, digest));
	assert_false(store_blob_exists(f->store, "sha256:" HEX64));
	assert_false(store_blob_exists(f->store, "sha256:../../oci-layout"));

	assert_int_equal(store_blob_read_all(f->store, digest, 100, &data, &len, &err), 0);
	assert_int_equal(len, 12);
	assert_string_equal(data, "hello, store");
	free(data);
	assert_int_equal(store_blob_read_all(f->store, digest, 5, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "larger than 5 bytes"));
	uk_err_release(&err);

	/* blobs are read-only, and nothing is left in .tmp */
	_cleanup_free_ char *path = blob_path(f, digest);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	_cleanup_free_ char *tmp = xasprintf("%s/.tmp", f->store_dir);
	assert_int_equal(count_dir(tmp), 0);

	assert_int_equal(store_blob_read_all(f->store, "sha256:" HEX64, 100, &data, &len, &err),
			 -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	uk_err_release(&err);
	assert_int_equal(store_blob_read_all(f->store, "md5:abc", 100, &data, &len, &err), -1);
	uk_err_release(&err);

	/* from a file descriptor, verified against what is expected */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "hello, store", 12), 12);
	close(fds[1]);
	int64_t size = 0;
	char d2[OCI_DIGEST_MAX];
	assert_int_equal(store_blob_put_fd(f->store, fds[0], digest, d2, &size, &err), 0);
	close(fds[0]);
	assert_string_equal(d2, digest);
	assert_int_equal(size, 12);
}

static void test_blob_stream_verify(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };
	char digest[OCI_DIGEST_MAX];
	char buf[8];
	struct store_blob *b = NULL;
	ssize_t n;
	size_t total = 0;

	static const char text[] = "the quick brown fox jumps over the lazy dog";
	assert_int_equal(store_blob_put(f->store, text, strlen(text), digest, &err), 0);

	/* a good blob: the last read returns 0 */
	assert_int_equal(store_blob_open(f->store, digest, &b, &err), 0);
	assert_int_equal(store_blob_size(b), (int64_t)strlen(text));
	while ((n = store_blob_read(b, buf, sizeof(buf), &err)) > 0)
		total += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(total, strlen(text));
	assert_int_equal(store_blob_read(b, buf, sizeof(buf), &err), 0);
	store_blob_close(b);

	/* a corrupt one: the bytes come, and the end is an error naming the digest */
	corrupt_blob(f, digest);
	assert_int_equal(store_blob_open(f->store, digest, &b, &err), 0);
	total = 0;
	while ((n = store_blob_read(b, buf, sizeof(buf), &err)) > 0)
		total += (size_t)n;
	assert_int_equal(n, -1);
	assert_int_equal(total, strlen(text));
	assert_int_equal(err.code, UK_ERR_CORRUPT);
	assert_non_null(strstr(err.msg, digest));
	assert_non_null(strstr(err.msg, "does not match its digest"));
	uk_err_release(&err);
	/* and it stays an error */
	assert_int_equal(store_blob_read(b, buf, sizeof(buf), &err), -1);
	uk_err_release(&err);
	store_blob_close(b);

	char *data = NULL;
	assert_int_equal(store_blob_read_all(f->store, digest, 1000, &data, NULL, &err), -1);
	assert_int_equal(err.code, UK_ERR_CORRUPT);
	uk_err_release(&err);
	assert_null(data);
}

static void test_writer(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };
	struct store_writer *w = NULL;
	char digest[OCI_DIGEST_MAX], hex[SHA256_HEX_LEN + 1];
	int64_t size = -1;
	_cleanup_free_ char *tmp = xasprintf("%s/.tmp", f->store_dir);
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", f->store_dir);

	/* a mismatch stores nothing */
	assert_int_equal(store_writer_new(f->store, &w, &err), 0);
	assert_int_equal(store_writer_write(w, "abc", 3, &err), 0);
	assert_int_equal(store_writer_commit(w, "sha256:" HEX64, digest, &size, &err), -1);
	assert_int_equal(err.code, UK_ERR_CORRUPT);
	assert_non_null(strstr(err.msg, "sha256:" HEX64));
	uk_err_release(&err);
	store_writer_free(w);
	assert_int_equal(count_dir(blobs), 0);
	assert_int_equal(count_dir(tmp), 0);

	/* an abandoned writer leaves nothing */
	assert_int_equal(store_writer_new(f->store, &w, &err), 0);
	assert_int_equal(store_writer_write(w, "partial", 7, &err), 0);
	store_writer_free(w);
	assert_int_equal(count_dir(blobs), 0);
	assert_int_equal(count_dir(tmp), 0);

	/* several writes, the expected digest, and the same content twice */
	sha256_hex("abcdef", 6, hex);
	_cleanup_free_ char *expected = xasprintf("sha256:%s", hex);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(store_writer_new(f->store, &w, &err), 0);
		assert_int_equal(store_writer_write(w, "abc", 3, &err), 0);
		assert_int_equal(store_writer_write(w, "def", 3, &err), 0);
		assert_int_equal(store_writer_commit(w, expected, digest, &size, &err), 0);
		store_writer_free(w);
		assert_string_equal(digest, expected);
		assert_int_equal(size, 6);
	}
	assert_int_equal(count_dir(blobs), 1);
	assert_int_equal(count_dir(tmp), 0);
}

/* Stores an image: a config for arch, one layer, a manifest; returns the manifest's descriptor. */
static void put_image(struct fixture *f, const char *arch, const char *manifest_type,
		      const char *layer_text, struct oci_desc *out)
{
	struct uk_err err = { 0 };
	char cfg[OCI_DIGEST_MAX], layer[OCI_DIGEST_MAX], man[OCI_DIGEST_MAX];
	bool docker = !strcmp(manifest_type, DOCKER_MT_MANIFEST);

	_cleanup_free_ char *config = xasprintf(
		"{\"architecture\":\"%s\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"]},"
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		arch);
	assert_int_equal(store_blob_put(f->store, config, strlen(config), cfg, &err), 0);
	assert_int_equal(store_blob_put(f->store, layer_text, strlen(layer_text), layer, &err), 0);
	_cleanup_free_ char *manifest = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
		"\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\","
		"\"digest\":\"%s\",\"size\":%zu}]}",
		manifest_type, docker ? DOCKER_MT_CONFIG : OCI_MT_CONFIG, cfg, strlen(config),
		docker ? DOCKER_MT_LAYER_GZIP : OCI_MT_LAYER, layer, strlen(layer_text));
	assert_int_equal(store_blob_put(f->store, manifest, strlen(manifest), man, &err), 0);
	out->media_type = xstrdup(manifest_type);
	memcpy(out->digest, man, sizeof(man));
	out->size = (int64_t)strlen(manifest);
}

static void put_index(struct fixture *f, const char *type, const struct oci_desc *amd,
		      const struct oci_desc *arm, struct oci_desc *out)
{
	struct uk_err err = { 0 };
	char d[OCI_DIGEST_MAX];
	_cleanup_free_ char *index = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
		"{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lld,"
		"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
		"{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lld,"
		"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
		"{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lld,"
		"\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}]}",
		type, amd->media_type, amd->digest, (long long)amd->size, arm->media_type,
		arm->digest, (long long)arm->size, amd->media_type, amd->digest,
		(long long)amd->size);
	assert_int_equal(store_blob_put(f->store, index, strlen(index), d, &err), 0);
	out->media_type = xstrdup(type);
	memcpy(out->digest, d, sizeof(d));
	out->size = (int64_t)strlen(index);
}

static void test_tag_resolve(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };
	struct oci_desc m = { 0 }, m2 = { 0 };
	struct oci_image img = { 0 };

	put_image(f, "amd64", OCI_MT_MANIFEST, "layer one", &m);
	assert_int_equal(store_tag(f->store, "test/img:1", &m, &err), 0);

	assert_int_equal(store_image_resolve(f->store, "docker.io/test/img:1", "amd64", &img, &err),
			 0);
	assert_string_equal(img.name, "docker.io/test/img:1");
	assert_string_equal(img.manifest_digest, m.digest);
	assert_int_equal(img.n_layers, 1);
	assert_string_equal(img.layers[0].media_type, OCI_MT_LAYER);
	assert_int_equal(img.layers[0].size, 9);
	assert_string_equal(json_string_value(json_object_get(img.config, "architecture")),
			    "amd64");
	assert_non_null(json_object_get(img.manifest, "layers"));
	oci_image_release(&img);

	/* by digest, whatever the name */
	_cleanup_free_ char *by_digest = xasprintf("other/name@%s", m.digest);
	assert_int_equal(store_image_resolve(f->store, by_digest, "amd64", &img, &err), 0);
	assert_string_equal(img.manifest_digest, m.digest);
	oci_image_release(&img);

	/* not there; not for this architecture; not a valid reference */
	assert_int_equal(store_image_resolve(f->store, "test/img:2", "amd64", &img, &err), -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "'docker.io/test/img:2'"));
	uk_err_release(&err);
	assert_int_equal(store_image_resolve(f->store, "test/img:1", "arm64", &img, &err), -1);
	assert_non_null(strstr(err.msg, "built for linux/amd64, not linux/arm64"));
	uk_err_release(&err);
	assert_int_equal(store_image_resolve(f->store, "Test/Img", "amd64", &img, &err), -1);
	assert_int_equal(err.code, UK_ERR_INPUT);
	uk_err_release(&err);

	/* tagging a name again replaces it */
	put_image(f, "amd64", DOCKER_MT_MANIFEST, "layer two", &m2);
	assert_int_equal(store_tag(f->store, "docker.io/test/img:1", &m2, &err), 0);
	assert_int_equal(store_image_resolve(f->store, "test/img:1", "amd64", &img, &err), 0);
	assert_string_equal(img.manifest_digest, m2.digest);
	assert_string_equal(img.layers[0].media_type, DOCKER_MT_LAYER_GZIP);
	oci_image_release(&img);

	struct store_entry *entries = NULL;
	size_t n = 0;
	assert_int_equal(store_tag(f->store, "a/first", &m, &err), 0);
	assert_int_equal(store_list(f->store, &entries, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(entries[0].name, "docker.io/a/first:latest");
	assert_string_equal(entries[1].name, "docker.io/test/img:1");
	assert_string_equal(entries[1].desc.digest, m2.digest);
	store_entries_free(entries, n);

	/* tagging needs the blob, and an image manifest or index */
	struct oci_desc missing = { .media_type = (char *)OCI_MT_MANIFEST, .size = 1 };
	memcpy(missing.digest, "sha256:" HEX64, sizeof("sha256:" HEX64));
	assert_int_equal(store_tag(f->store, "x", &missing, &err), -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	uk_err_release(&err);
	struct oci_desc layer = m;
	layer.media_type = (char *)OCI_MT_LAYER;
	assert_int_equal(store_tag(f->store, "x", &layer, &err), -1);
	uk_err_release(&err);

	/* a layer that is gone is reported when the image is resolved */
	_cleanup_free_ char *path = NULL;
	assert_int_equal(store_image_resolve(f->store, "a/first", "amd64", &img, &err), 0);
	path = blob_path(f, img.layers[0].digest);
	oci_image_release(&img);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(store_image_resolve(f->store, "a/first", "amd64", &img, &err), -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "layer sha256:"));
	uk_err_release(&err);

	oci_desc_release(&m);
	oci_desc_release(&m2);
}

static void test_resolve_corrupt(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };
	struct oci_desc m = { 0 };
	struct oci_image img = { 0 };

	put_image(f, "amd64", OCI_MT_MANIFEST, "some layer", &m);
	assert_int_equal(store_tag(f->store, "c/img", &m, &err), 0);
	assert_int_equal(store_image_resolve(f->store, "c/img", "amd64", &img, &err), 0);
	char config[OCI_DIGEST_MAX];
	memcpy(config, img.config_digest, sizeof(config));
	oci_image_release(&img);

	corrupt_blob(f, config);
	assert_int_equal(store_image_resolve(f->store, "c/img", "amd64", &img, &err), -1);
	assert_int_equal(err.code, UK_ERR_CORRUPT);
	assert_non_null(strstr(err.msg, config));
	assert_non_null(strstr(err.msg, "image 'docker.io/c/img:latest'"));
	uk_err_release(&err);

	corrupt_blob(f, m.digest);
	assert_int_equal(store_image_resolve(f->store, "c/img", "amd64", &img, &err), -1);
	assert_int_equal(err.code, UK_ERR_CORRUPT);
	assert_non_null(strstr(err.msg, m.digest));
	uk_err_release(&err);
	oci_desc_release(&m);
}

static void resolve_index(struct fixture *f, const char *index_type, const char *manifest_type)
{
	struct uk_err err = { 0 };
	struct oci_desc amd = { 0 }, arm = { 0 }, idx = { 0 };
	struct oci_image img = { 0 };
	static const struct {
		const char *arch;
		bool arm;
	} asks[] = { { "amd64", false },   { "x86_64", false }, { "arm64", true },
		     { "arm64/v8", true }, { "aarch64", true }, { "linux/arm64", true } };

	put_image(f, "amd64", manifest_type, "amd64 layer", &amd);
	put_image(f, "arm64", manifest_type, "arm64 layer", &arm);
	put_index(f, index_type, &amd, &arm, &idx);
	assert_int_equal(store_tag(f->store, "multi/img:1", &idx, &err), 0);

	for (size_t i = 0; i < ARRAY_SIZE(asks); i++) {
		if (store_image_resolve(f->store, "multi/img:1", asks[i].arch, &img, &err) < 0)
			fail_msg("%s: %s", asks[i].arch, err.msg);
		assert_string_equal(img.manifest_digest, asks[i].arm ? arm.digest : amd.digest);
		assert_string_equal(json_string_value(json_object_get(img.config, "architecture")),
				    asks[i].arm ? "arm64" : "amd64");
		oci_image_release(&img);
	}
	assert_int_equal(store_image_resolve(f->store, "multi/img:1", "s390x", &img, &err), -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "no image for linux/s390x"));
	assert_non_null(strstr(err.msg, "(it has: linux/amd64, linux/arm64/v8)"));
	uk_err_release(&err);
	assert_int_equal(store_image_resolve(f->store, "multi/img:1", "arm64/v7", &img, &err), -1);
	uk_err_release(&err);

	/* the walk: everything, or one platform */
	int64_t size = 0;
	assert_int_equal(store_size(f->store, &idx, &size, &err), 0);
	/* index + 2 x (manifest + config + layer), configs and layers being distinct */
	int64_t want = idx.size + amd.size + arm.size + 2 * 11;
	struct oci_image a = { 0 }, b = { 0 };
	assert_int_equal(store_image_resolve(f->store, "multi/img:1", "amd64", &a, &err), 0);
	assert_int_equal(store_image_resolve(f->store, "multi/img:1", "arm64", &b, &err), 0);
	_cleanup_free_ char *ca = json_dumps(a.config, JSON_COMPACT);
	_cleanup_free_ char *cb = json_dumps(b.config, JSON_COMPACT);
	oci_image_release(&a);
	oci_image_release(&b);
	want += (int64_t)strlen(ca) + (int64_t)strlen(cb);
	assert_int_equal(size, want);

	struct oci_desc sel = { 0 };
	struct oci_platform p;
	assert_int_equal(oci_platform_parse(&p, "arm64", &err), 0);
	assert_int_equal(store_select_platform(f->store, &idx, &p, &sel, &err), 0);
	assert_string_equal(sel.digest, arm.digest);
	assert_string_equal(sel.media_type, manifest_type);
	oci_desc_release(&sel);

	oci_desc_release(&amd);
	oci_desc_release(&arm);
	oci_desc_release(&idx);
}

static void test_resolve_index_oci(void **state)
{
	resolve_index(*state, OCI_MT_INDEX, OCI_MT_MANIFEST);
}

static void test_resolve_index_docker(void **state)
{
	resolve_index(*state, DOCKER_MT_LIST, DOCKER_MT_MANIFEST);
}

static void test_untag_gc(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };
	struct oci_desc keep = { 0 }, drop = { 0 };
	struct store_gc_stats st = { 0 };
	struct oci_image img = { 0 };
	char loose[OCI_DIGEST_MAX];
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", f->store_dir);
	_cleanup_free_ char *stale = xasprintf("%s/.tmp/blob-123456", f->store_dir);

	put_image(f, "amd64", OCI_MT_MANIFEST, "kept layer", &keep);
	put_image(f, "amd64", OCI_MT_MANIFEST, "dropped layer", &drop);
	assert_int_equal(store_blob_put(f->store, "loose", 5, loose, &err), 0);
	assert_int_equal(store_tag(f->store, "keep", &keep, &err), 0);
	assert_int_equal(store_tag(f->store, "drop", &drop, &err), 0);
	assert_int_equal(fs_write_file_atomic(stale, "partial", 7, 0644, &err), 0);
	/* both images share their config (same arch): 2 manifests + 1 config + 2 layers + loose */
	assert_int_equal(count_dir(blobs), 6);

	assert_int_equal(store_untag(f->store, "docker.io/library/drop:latest", &err), 0);
	assert_int_equal(store_untag(f->store, "drop", &err), -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	uk_err_release(&err);
	assert_int_equal(count_dir(blobs), 6); /* untagging removes nothing by itself */

	assert_int_equal(store_gc(f->store, false, &st, &err), 0);
	assert_int_equal(st.blobs, 3); /* drop's manifest, its layer, the loose blob */
	assert_int_equal(st.bytes, drop.size + 13 + 5);
	assert_int_equal(st.temporaries, 1);
	assert_int_equal(count_dir(blobs), 3);
	assert_int_equal(access(stale, F_OK), -1);
	assert_false(store_blob_exists(f->store, loose));
	assert_int_equal(store_image_resolve(f->store, "keep", "amd64", &img, &err), 0);
	oci_image_release(&img);

	/* nothing more to do the second time */
	assert_int_equal(store_gc(f->store, false, &st, &err), 0);
	assert_int_equal(st.blobs, 0);

	/* a corrupt manifest stops the collection instead of guessing */
	corrupt_blob(f, keep.digest);
	assert_int_equal(store_gc(f->store, false, &st, &err), -1);
	assert_non_null(strstr(err.msg, keep.digest));
	assert_non_null(strstr(err.msg, "'docker.io/library/keep:latest'"));
	uk_err_release(&err);
	assert_int_equal(count_dir(blobs), 3);

	oci_desc_release(&keep);
	oci_desc_release(&drop);
}

static void test_lookup_walk(void **state)
{
	struct fixture *f = *state;
	struct uk_err err = { 0 };
	struct oci_desc m = { 0 }, got = { 0 };
	char *name = NULL;

	put_image(f, "amd64", OCI_MT_MANIFEST, "walk layer", &m);
	assert_int_equal(store_tag(f->store, "localhost:5000/w:1", &m, &err), 0);
	assert_int_equal(store_lookup(f->store, "localhost:5000/w:1", &got, &name, &err), 0);
	assert_string_equal(name, "localhost:5000/w:1");
	assert_string_equal(got.digest, m.digest);
	assert_string_equal(got.media_type, OCI_MT_MANIFEST);
	assert_int_equal(got.size, m.size);
	oci_desc_release(&got);
	free(name);

	_cleanup_free_ char *pinned = xasprintf("whatever@%s", m.digest);
	assert_int_equal(store_lookup(f->store, pinned, &got, NULL, &err), 0);
	assert_string_equal(got.digest, m.digest);
	assert_string_equal(got.media_type, OCI_MT_MANIFEST);
	oci_desc_release(&got);
	assert_int_equal(store_lookup(f->store, "whatever@sha256:" HEX64, &got, NULL, &err), -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	uk_err_release(&err);
	oci_desc_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_normalise),
		cmocka_unit_test(test_ref_fields),
		cmocka_unit_test(test_ref_reject),
		cmocka_unit_test(test_platform),
		cmocka_unit_test(test_media),
		cmocka_unit_test_setup_teardown(test_store_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_put_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_stream_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_index_oci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_index_docker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untag_gc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_walk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
