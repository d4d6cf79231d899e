// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/rootfs: layers, whiteouts, escapes, the walk, container configuration. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rootfs/internal.h"
#include "unit.h"
#include "util/strbuf.h"

/* ---- making tar layers in memory ---- */

struct tarbuf {
	struct archive *a;
	char *buf;
	size_t cap, used;
};

static void tar_begin(struct tarbuf *t, bool gzip)
{
	t->cap = 1 << 20;
	t->buf = xmalloc(t->cap);
	t->a = archive_write_new();
	archive_write_set_format_pax_restricted(t->a);
	if (gzip)
		archive_write_add_filter_gzip(t->a);
	assert_int_equal(archive_write_open_memory(t->a, t->buf, t->cap, &t->used), ARCHIVE_OK);
}

static void tar_add(struct tarbuf *t, const char *name, mode_t mode, const char *data,
		    const char *link, const char *hardlink)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, mode);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 1001);
	archive_entry_set_mtime(e, 123456, 0);
	if (link)
		archive_entry_set_symlink(e, link);
	if (hardlink)
		archive_entry_set_hardlink(e, hardlink);
	archive_entry_set_size(e, data ? (la_int64_t)strlen(data) : 0);
	assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
	if (data && *data)
		assert_int_equal(archive_write_data(t->a, data, strlen(data)),
				 (la_ssize_t)strlen(data));
	archive_entry_free(e);
}

#define FILE_(t, n, d) tar_add(t, n, S_IFREG | 0644, d, NULL, NULL)
#define DIR_(t, n) tar_add(t, n, S_IFDIR | 0755, NULL, NULL, NULL)
#define LINK_(t, n, target) tar_add(t, n, S_IFLNK | 0777, NULL, target, NULL)
#define HARD_(t, n, target) tar_add(t, n, S_IFREG | 0644, NULL, NULL, target)

struct memsrc {
	const char *p;
	size_t left;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct uk_err *err)
{
	struct memsrc *m = ctx;

	if (len > m->left)
		len = m->left;
	memcpy(buf, m->p, len);
	m->p += len;
	m->left -= len;
	return (ssize_t)len;
}

/* Closes the archive and applies it as a layer; returns what rootfs_apply_tar returns. */
static int tar_apply(struct tarbuf *t, struct rootfs *r, struct rootfs_node *root, bool wh,
		     struct uk_err *err)
{
	assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
	archive_write_free(t->a);
	struct memsrc m = { .p = t->buf, .left = t->used };
	struct rootfs_tar_src src = { .read = mem_read, .ctx = &m };
	int rc = rootfs_apply_tar(r, root, &src, wh, err);
	free(t->buf);
	return rc;
}

/* ---- listing a root ---- */

static int list_entry(void *ctx, const struct rootfs_entry *e, struct rootfs_data *data,
		      struct uk_err *err)
{
	struct strbuf *sb = ctx;
	char buf[256];

	strbuf_addf(sb, "%s %o %u:%u", e->path, (unsigned)e->mode, e->uid, e->gid);
	if (e->hardlink)
		strbuf_addf(sb, " link=%s nlink=%u", e->linkname, e->nlink);
	else if (S_ISLNK(e->mode))
		strbuf_addf(sb, " -> %s", e->linkname);
	if (data) {
		ssize_t n = rootfs_data_read(data, buf, sizeof(buf) - 1, err);
		assert_true(n >= 0);
		buf[n] = '\0';
		strbuf_addf(sb, " '%s'", buf);
		if (e->nlink > 1)
			strbuf_addf(sb, " nlink=%u", e->nlink);
	}
	strbuf_addch(sb, '\n');
	return 0;
}

static char *listing(struct rootfs *r)
{
	struct strbuf sb = STRBUF_INIT;
	struct uk_err err = { 0 };

	assert_int_equal(rootfs_foreach(r, list_entry, &sb, &err), 0);
	return strbuf_detach(&sb, NULL);
}

static struct rootfs *new_root(void)
{
	struct rootfs *r;
	struct uk_err err = { 0 };

	assert_int_equal(rootfs_new(&r, NULL, 0, &err), 0);
	return r;
}

/* ---- tests ---- */

static void test_path_clean(void **state)
{
	char out[64];
	struct uk_err err = { 0 };

	assert_int_equal(rootfs_path_clean("./a//b/./c/", out, &err), 0);
	assert_string_equal(out, "a/b/c");
	assert_int_equal(rootfs_path_clean("/etc/passwd", out, &err), 0);
	assert_string_equal(out, "etc/passwd");
	assert_int_equal(rootfs_path_clean("./", out, &err), 0);
	assert_string_equal(out, "");
	assert_int_equal(rootfs_path_clean("a/../../b", out, &err), -1);
	assert_non_null(strstr(err.msg, "'a/../../b'"));
	uk_err_release(&err);
}

static void test_whiteouts(void **state)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	tar_begin(&t, true);
	DIR_(&t, "a/");
	FILE_(&t, "a/x", "x1");
	FILE_(&t, "a/y", "y1");
	FILE_(&t, "b", "b1");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	tar_begin(&t, false);
	FILE_(&t, "a/.wh.x", "");
	FILE_(&t, ".wh.b", "");
	FILE_(&t, "c", "c2");
	/* a whiteout hides lower layers only: same-layer files stay */
	FILE_(&t, "d", "d2");
	FILE_(&t, ".wh.d", "");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	char *l = listing(r);
	assert_string_equal(l, "a 40755 1000:1001\n"
			       "a/y 100644 1000:1001 'y1'\n"
			       "c 100644 1000:1001 'c2'\n"
			       "d 100644 1000:1001 'd2'\n");
	free(l);
	rootfs_free(r);
}

static void test_opaque(void **state)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	tar_begin(&t, false);
	DIR_(&t, "d/");
	FILE_(&t, "d/old", "o");
	DIR_(&t, "d/sub/");
	FILE_(&t, "d/sub/f", "f");
	FILE_(&t, "keep", "k");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	tar_begin(&t, false);
	DIR_(&t, "d/");
	FILE_(&t, "d/new", "n");
	DIR_(&t, "d/sub/");
	FILE_(&t, "d/.wh..wh..opq", "");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	char *l = listing(r);
	assert_string_equal(l, "d 40755 1000:1001\n"
			       "d/new 100644 1000:1001 'n'\n"
			       "d/sub 40755 1000:1001\n"
			       "keep 100644 1000:1001 'k'\n");
	free(l);
	rootfs_free(r);
}

static void test_no_whiteouts(void **state)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	tar_begin(&t, false);
	FILE_(&t, "a", "1");
	FILE_(&t, ".wh.a", "");
	assert_int_equal(tar_apply(&t, r, r->root, false, &err), 0);
	char *l = listing(r);
	assert_string_equal(l, ".wh.a 100644 1000:1001 ''\na 100644 1000:1001 '1'\n");
	free(l);
	rootfs_free(r);
}

static void expect_refused(void (*fill)(struct tarbuf *t), const char *what)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	tar_begin(&t, false);
	fill(&t);
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), -1);
	assert_non_null(err.msg);
	if (!strstr(err.msg, what))
		fail_msg("error '%s' does not mention '%s'", err.msg, what);
	uk_err_release(&err);
	rootfs_free(r);
}

static void fill_dotdot(struct tarbuf *t)
{
	FILE_(t, "../../etc/passwd", "x");
}

static void fill_symlink_escape(struct tarbuf *t)
{
	DIR_(t, "a/");
	LINK_(t, "a/up", "../../..");
	FILE_(t, "a/up/tmp/pwned", "x");
}

static void fill_hardlink_escape(struct tarbuf *t)
{
	HARD_(t, "h", "../outside");
}

static void fill_hardlink_missing(struct tarbuf *t)
{
	HARD_(t, "h", "nowhere");
}

static void fill_hardlink_via_symlink(struct tarbuf *t)
{
	LINK_(t, "l", "../..");
	HARD_(t, "h", "l/etc/shadow");
}

static void test_escapes(void **state)
{
	expect_refused(fill_dotdot, "'../../etc/passwd'");
	expect_refused(fill_symlink_escape, "a/up/tmp/pwned");
	expect_refused(fill_symlink_escape, "leads outside the root");
	expect_refused(fill_hardlink_escape, "'../outside'");
	expect_refused(fill_hardlink_missing, "'nowhere'");
	expect_refused(fill_hardlink_via_symlink, "outside the root");
}

static void test_symlinks_followed_inside(void **state)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	tar_begin(&t, false);
	DIR_(&t, "usr/");
	DIR_(&t, "usr/lib/");
	LINK_(&t, "lib", "usr/lib");
	LINK_(&t, "abs", "/usr");
	FILE_(&t, "lib/a.so", "a");
	FILE_(&t, "abs/lib/b.so", "b");
	FILE_(&t, "/etc/absolute", "c");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	char *l = listing(r);
	assert_string_equal(l, "abs 120777 1000:1001 -> /usr\n"
			       "etc 40755 0:0\n"
			       "etc/absolute 100644 1000:1001 'c'\n"
			       "lib 120777 1000:1001 -> usr/lib\n"
			       "usr 40755 1000:1001\n"
			       "usr/lib 40755 1000:1001\n"
			       "usr/lib/a.so 100644 1000:1001 'a'\n"
			       "usr/lib/b.so 100644 1000:1001 'b'\n");
	free(l);
	rootfs_free(r);
}

static void test_hardlinks(void **state)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	tar_begin(&t, false);
	FILE_(&t, "z", "data");
	HARD_(&t, "a", "z");
	HARD_(&t, "m", "./z");
	FILE_(&t, "solo", "s");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	/* the first path in the walk holds the data, whatever the layer's order */
	char *l = listing(r);
	assert_string_equal(l, "a 100644 1000:1001 'data' nlink=3\n"
			       "m 100644 1000:1001 link=a nlink=3\n"
			       "solo 100644 1000:1001 's'\n"
			       "z 100644 1000:1001 link=a nlink=3\n");
	free(l);
	/* replacing the target later leaves the link with the old content */
	tar_begin(&t, false);
	FILE_(&t, "a", "new");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	l = listing(r);
	assert_string_equal(l, "a 100644 1000:1001 'new'\n"
			       "m 100644 1000:1001 'data' nlink=2\n"
			       "solo 100644 1000:1001 's'\n"
			       "z 100644 1000:1001 link=m nlink=2\n");
	free(l);
	rootfs_free(r);
}

static void test_replace_types(void **state)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	tar_begin(&t, false);
	DIR_(&t, "x/");
	FILE_(&t, "x/inner", "i");
	FILE_(&t, "y", "file");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	tar_begin(&t, false);
	FILE_(&t, "x", "now a file");
	DIR_(&t, "y/");
	FILE_(&t, "y/z", "z");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	char *l = listing(r);
	assert_string_equal(l, "x 100644 1000:1001 'now a file'\n"
			       "y 40755 1000:1001\n"
			       "y/z 100644 1000:1001 'z'\n");
	free(l);
	rootfs_free(r);
}

static void test_merge(void **state)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	/* first image: lib is a link into usr/lib */
	tar_begin(&t, false);
	DIR_(&t, "usr/");
	DIR_(&t, "usr/lib/");
	LINK_(&t, "lib", "usr/lib");
	FILE_(&t, "etc/motd", "one");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	/* second image, flattened apart, then merged: implied dirs follow the link */
	struct rootfs_node *img = rootfs_tree_new_root(&r->tree);
	tar_begin(&t, false);
	FILE_(&t, "lib/two.so", "2");
	FILE_(&t, "etc/motd", "two");
	assert_int_equal(tar_apply(&t, r, img, true, &err), 0);
	assert_int_equal(rootfs_tree_merge(&r->tree, r->root, r->root, img, &err), 0);
	rootfs_tree_remove(&r->tree, img);
	char *l = listing(r);
	assert_string_equal(l, "etc 40755 0:0\n"
			       "etc/motd 100644 1000:1001 'two'\n"
			       "lib 120777 1000:1001 -> usr/lib\n"
			       "usr 40755 1000:1001\n"
			       "usr/lib 40755 1000:1001\n"
			       "usr/lib/two.so 100644 1000:1001 '2'\n");
	free(l);
	rootfs_free(r);
}

static void test_filter(void **state)
{
	struct rootfs *r = new_root();
	struct uk_err err = { 0 };
	struct tarbuf t;

	tar_begin(&t, false);
	FILE_(&t, ".dockerenv", "");
	FILE_(&t, "Dockerfile", "FROM x");
	DIR_(&t, "etc/");
	FILE_(&t, "etc/hostname", "box");
	FILE_(&t, "etc/hosts", "1.2.3.4 x");
	tar_add(&t, "dev/console", S_IFCHR | 0600, NULL, NULL, NULL);
	FILE_(&t, "bin", "b");
	assert_int_equal(tar_apply(&t, r, r->root, true, &err), 0);
	assert_int_equal(rootfs_filter_image(r, r->root, NULL, &err), 0);
	char *l = listing(r);
	assert_non_null(strstr(l, "bin 100644"));
	assert_null(strstr(l, "Dockerfile"));
	assert_null(strstr(l, ".dockerenv"));
	assert_null(strstr(l, "hostname"));
	assert_null(strstr(l, "console"));
	assert_non_null(strstr(l, "dev 40755 0:0\ndev/pts 40755 0:0\ndev/shm 40755 0:0\n"));
	assert_non_null(strstr(l, "etc 40755 1000:1001\n"));
	assert_non_null(strstr(l, "etc/hosts 100644 1000:1001 '127.0.0.1       localhost\n"));
	assert_non_null(strstr(l, "etc/mtab 120755 0:0 -> /proc/mounts\n"));
	assert_non_null(strstr(l, "etc/resolv.conf 100644 0:0 '\n# no resolv.conf configured\n'"));
	assert_non_null(strstr(l, "proc 40755 0:0\n"));
	assert_non_null(strstr(l, "sys 40755 0:0\n"));
	free(l);
	/* an init image gets resolv.conf as a link to where the system writes it */
	assert_int_equal(rootfs_filter_image(r, r->root, "/run/resolvconf/resolv.conf", &err), 0);
	l = listing(r);
	assert_non_null(strstr(l, "etc/resolv.conf 120644 0:0 -> /run/resolvconf/resolv.conf\n"));
	free(l);
	rootfs_free(r);
}

static void test_ids(void **state)
{
	struct rootfs_ids ids = { 0 };
	struct uk_err err = { 0 };
	uint32_t id;

	rootfs_ids_add(&ids, "dhcpcd", 100);
	rootfs_ids_add(&ids, "sshd", 101);
	rootfs_ids_add(&ids, "dhcpcd", 102);
	json_t *v = json_string("sshd");
	assert_int_equal(rootfs_ids_resolve(&ids, v, &id, &err), 0);
	assert_int_equal(id, 101);
	json_decref(v);
	v = json_string("dhcpcd");
	assert_int_equal(rootfs_ids_resolve(&ids, v, &id, &err), 0);
	assert_int_equal(id, 102);
	json_decref(v);
	v = json_string("root");
	assert_int_equal(rootfs_ids_resolve(&ids, v, &id, &err), 0);
	assert_int_equal(id, 0);
	json_decref(v);
	v = json_integer(42);
	assert_int_equal(rootfs_ids_resolve(&ids, v, &id, &err), 0);
	assert_int_equal(id, 42);
	json_decref(v);
	v = json_string("nobody-here");
	assert_int_equal(rootfs_ids_resolve(&ids, v, &id, &err), -1);
	assert_non_null(strstr(err.msg, "'nobody-here'"));
	uk_err_release(&err);
	json_decref(v);
	rootfs_ids_release(&ids);
}

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static void test_oci_config(void **state)
{
	struct rootfs_ids ids = { 0 };
	struct uk_err err = { 0 };
	struct rootfs_oci_out out = { 0 };

	rootfs_ids_add(&ids, "web", 100);
	json_t *entry = load("{\"name\":\"web\",\"image\":\"x\","
			     "\"capabilities.add\":[\"CAP_SYS_ADMIN\",\"CAP_NET_ADMIN\"],"
			     "\"binds.add\":[\"/var:/var\",\"/etc/a:/etc/a:ro\"],"
			     "\"uid\":\"web\",\"readonly\":true,"
			     "\"rlimits\":[\"nofile,100,unlimited\"],"
			     "\"devices\":[{\"path\":\"/dev/console\",\"type\":\"c\","
			     "\"major\":5,\"minor\":1,\"mode\":\"0666\"}],"
			     "\"resources\":{\"memory\":{\"limit\":1000}},"
			     "\"runtime\":{\"mkdir\":[\"/var/lib/web\"]}}");
	json_t *image =
		load("{\"config\":{\"Entrypoint\":[\"/bin/web\"],\"Cmd\":[\"-v\"],"
		     "\"Env\":[\"PATH=/bin\"],\"WorkingDir\":\"/srv\",\"Labels\":{"
		     "\"org.mobyproject.config\":\"{\\\"capabilities\\\":[\\\"CAP_NET_ADMIN\\\"],"
		     "\\\"binds\\\":[\\\"/var:/var\\\"],\\\"net\\\":\\\"new\\\","
		     "\\\"pid\\\":\\\"host\\\"}\"}}}");
	struct rootfs_oci_in in = { .entry = entry, .image_config = image, .ids = &ids };

	assert_int_equal(rootfs_oci_config(&in, &out, &err), 0);
	json_t *c = out.config;
	assert_true(out.readonly);
	json_t *p = json_object_get(c, "process");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")),
			 100);
	char *args = json_dumps(json_object_get(p, "args"), JSON_COMPACT);
	assert_string_equal(args, "[\"/bin/web\",\"-v\"]");
	free(args);
	assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/srv");
	/* label capabilities + capabilities.add, de-duplicated; bounding sorted */
	char *caps = json_dumps(json_object_get(p, "capabilities"), JSON_COMPACT);
	assert_string_equal(caps, "{\"bounding\":[\"CAP_NET_ADMIN\",\"CAP_SYS_ADMIN\"],"
				  "\"effective\":[\"CAP_NET_ADMIN\",\"CAP_SYS_ADMIN\"],"
				  "\"inheritable\":[\"CAP_NET_ADMIN\",\"CAP_SYS_ADMIN\"],"
				  "\"permitted\":[\"CAP_NET_ADMIN\",\"CAP_SYS_ADMIN\"]}");
	free(caps);
	/* label binds + binds.add, once each, sorted with the defaults; readonly /dev and /sys */
	char *mounts = json_dumps(json_object_get(c, "mounts"), JSON_COMPACT);
	assert_string_equal(
		mounts,
		"[{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":"
		"[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\",\"ro\"]},"
		"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":"
		"[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
		"{\"destination\":\"/etc/a\",\"type\":\"bind\",\"source\":\"/etc/a\",\"options\":"
		"[\"ro\",\"rbind\"]},"
		"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\",\"options\":"
		"[\"nosuid\",\"nodev\",\"noexec\",\"relatime\"]},"
		"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":"
		"[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
		"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
		"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]},"
		"{\"destination\":\"/var\",\"type\":\"bind\",\"source\":\"/var\",\"options\":"
		"[\"rw\",\"rbind\",\"rshared\"]}]");
	free(mounts);
	json_t *lx = json_object_get(c, "linux");
	char *ns = json_dumps(json_object_get(lx, "namespaces"), JSON_COMPACT);
	assert_string_equal(ns,
			    "[{\"type\":\"network\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}]");
	free(ns);
	char *res = json_dumps(json_object_get(lx, "resources"), JSON_COMPACT);
	assert_string_equal(res, "{\"memory\":{\"limit\":1000},\"devices\":[{\"allow\":true,"
				 "\"type\":\"c\",\"major\":5,\"minor\":1,\"access\":\"rwm\"}]}");
	free(res);
	char *devs = json_dumps(json_object_get(lx, "devices"), JSON_COMPACT);
	assert_string_equal(devs, "[{\"path\":\"/dev/console\",\"type\":\"c\",\"major\":5,"
				  "\"minor\":1,\"fileMode\":438}]");
	free(devs);
	/* rlimits reach uint64 max, which config.json spells out */
	char *dump = rootfs_json_dump(c);
	assert_non_null(strstr(dump, "\"type\": \"RLIMIT_NOFILE\",\n                "
				     "\"hard\": 18446744073709551615,\n"
				     "                \"soft\": 100"));
	assert_true(str_has_prefix(dump, "{\n    \"ociVersion\": \"1.0.2-dev\",\n    \"process\""));
	free(dump);
	char *rt = json_dumps(out.runtime, JSON_COMPACT);
	assert_string_equal(rt,
			    "{\"cgroups\":[],\"mounts\":[],\"mkdir\":[\"/var/lib/web\"],"
			    "\"interfaces\":[],\"bindNS\":{\"cgroup\":\"\",\"ipc\":\"\","
			    "\"mnt\":\"\",\"net\":\"\",\"pid\":\"\",\"user\":\"\",\"uts\":\"\"},"
			    "\"namespace\":\"\"}");
	free(rt);
	rootfs_oci_out_release(&out);
	json_decref(entry);
	json_decref(image);
	rootfs_ids_release(&ids);
}

static void test_oci_yaml_wins(void **state)
{
	struct uk_err err = { 0 };
	struct rootfs_oci_out out = { 0 };
	json_t *entry = load("{\"name\":\"a\",\"image\":\"x\",\"capabilities\":[\"all\"],"
			     "\"binds\":[\"/only:/only\"],\"command\":[\"/bin/sh\"],"
			     "\"env\":[\"A=1\"],\"net\":\"host\",\"pid\":\"/proc/1/ns/pid\"}");
	json_t *image =
		load("{\"config\":{\"Cmd\":[\"/x\"],\"Labels\":{"
		     "\"org.mobyproject.config\":\"{\\\"binds\\\":[\\\"/l:/l\\\"],"
		     "\\\"capabilities\\\":[\\\"CAP_CHOWN\\\"],\\\"net\\\":\\\"new\\\"}\"}}}");
	struct rootfs_oci_in in = { .entry = entry, .image_config = image };

	assert_int_equal(rootfs_oci_config(&in, &out, &err), 0);
	json_t *p = json_object_get(out.config, "process");
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(p, "capabilities"), "effective")),
		41);
	char *s = json_dumps(json_object_get(p, "args"), JSON_COMPACT);
	assert_string_equal(s, "[\"/bin/sh\"]");
	free(s);
	s = json_dumps(json_object_get(json_object_get(out.config, "linux"), "namespaces"),
		       JSON_COMPACT);
	assert_string_equal(s,
			    "[{\"type\":\"pid\",\"path\":\"/proc/1/ns/pid\"},{\"type\":\"mount\"},"
			    "{\"type\":\"cgroup\"}]");
	free(s);
	s = json_dumps(json_object_get(out.config, "mounts"), JSON_COMPACT);
	assert_non_null(strstr(s, "/only"));
	assert_null(strstr(s, "\"/l\""));
	free(s);
	assert_false(out.readonly);
	assert_null(json_object_get(json_object_get(out.config, "root"), "readonly"));
	rootfs_oci_out_release(&out);
	json_decref(entry);
	json_decref(image);
}

static void test_oci_errors(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"capabilities\":[\"CAP_NOPE\"]}", "unknown capability 'CAP_NOPE'" },
		{ "{\"binds\":[\"/a\"]}", "missing ':'" },
		{ "{\"binds\":[\"/a:/b:c:d\"]}", "too many ':'" },
		{ "{\"tmpfs\":[\"/a:b:c\"]}", "too many ':'" },
		{ "{\"rlimits\":[\"nofile,1\"]}", "cannot parse rlimit" },
		{ "{\"rlimits\":[\"bogus,1,2\"]}", "unknown limit 'RLIMIT_BOGUS'" },
		{ "{\"uid\":\"ghost\"}", "'ghost'" },
		{ "{\"mounts\":[{\"destination\":\"/x\"}]}", "missing a type" },
		{ "{\"binds\":[\"vol:/v\"]}", "volume 'vol' not found" },
		{ "{\"resources\":{\"memory\":{\"limt\":1}}}", "unknown field 'limt'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct uk_err err = { 0 };
		struct rootfs_oci_out out = { 0 };
		json_t *entry = load(bad[i][0]);
		struct rootfs_oci_in in = { .entry = entry };
		assert_int_equal(rootfs_oci_config(&in, &out, &err), -1);
		if (!strstr(err.msg, bad[i][1]))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i][0], err.msg, bad[i][1]);
		uk_err_release(&err);
		json_decref(entry);
	}
}

static void test_oci_volumes(void **state)
{
	struct uk_err err = { 0 };
	struct rootfs_oci_out out = { 0 };
	json_t *entry = load("{\"binds\":[\"data:/data\",\"ro:/ro:ro\"],"
			     "\"mounts\":[{\"type\":\"bind\",\"source\":\"data\","
			     "\"destination\":\"/m\",\"options\":[\"rbind\"]}]}");
	json_t *vols = load("[{\"name\":\"data\"},{\"name\":\"ro\",\"readonly\":true}]");
	struct rootfs_oci_in in = { .entry = entry, .volumes = vols };

	assert_int_equal(rootfs_oci_config(&in, &out, &err), 0);
	char *s = json_dumps(json_object_get(out.config, "mounts"), JSON_COMPACT);
	assert_non_null(strstr(s, "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":"
				  "\"/containers/volumes/data/merged\""));
	assert_non_null(strstr(s, "{\"destination\":\"/m\",\"type\":\"bind\",\"source\":"
				  "\"/containers/volumes/data/merged\""));
	assert_non_null(strstr(s, "\"source\":\"/containers/volumes/ro/merged\",\"options\":"
				  "[\"ro\",\"rbind\"]"));
	free(s);
	rootfs_oci_out_release(&out);
	json_decref(entry);
	entry = load("{\"binds\":[\"ro:/ro\"]}");
	in.entry = entry;
	assert_int_equal(rootfs_oci_config(&in, &out, &err), -1);
	assert_non_null(strstr(err.msg, "read-only"));
	uk_err_release(&err);
	json_decref(entry);
	json_decref(vols);
}

static void test_init_conf(void **state)
{
	struct uk_err err = { 0 };
	char *conf;
	json_t *rt = load("{\"cgroups\":[\"web\"],\"mounts\":[{\"destination\":\"/c/tmp\","
			  "\"type\":\"tmpfs\",\"source\":\"tmpfs\"},{\"destination\":\"/c/rootfs\","
			  "\"source\":\"/c/lower\",\"options\":[\"bind\",\"ro\"]}],"
			  "\"mkdir\":[\"/var/x\"],\"interfaces\":[{\"name\":\"wg0\",\"add\":"
			  "\"wireguard\",\"createInRoot\":true}],\"bindNS\":{\"cgroup\":\"\","
			  "\"net\":\"/run/netns/wg\"},\"namespace\":\"\"}");

	assert_int_equal(rootfs_init_conf(rt, "on-failure", &conf, &err), 0);
	assert_string_equal(conf, "# unikit init.conf: made by 'unikit build' from runtime.json\n"
				  "cgroup\tweb\n"
				  "mkdir\t/var/x\n"
				  "mount\ttmpfs\ttmpfs\t/c/tmp\t-\n"
				  "mount\t-\t/c/lower\t/c/rootfs\tbind,ro\n"
				  "interface\twg0\twireguard\t-\ttrue\n"
				  "bindns\tnet\t/run/netns/wg\n"
				  "restart\ton-failure\n");
	free(conf);
	json_decref(rt);
	/* the overlay of a writable container: its upper and work directories come first */
	rt = load("{\"mounts\":[{\"destination\":\"/c/rootfs\",\"type\":\"overlay\","
		  "\"source\":\"overlay\",\"options\":[\"lowerdir=/c/lower\","
		  "\"upperdir=/c/tmp/upper\",\"workdir=/c/tmp/work\"]}]}");
	assert_int_equal(rootfs_init_conf(rt, NULL, &conf, &err), 0);
	assert_non_null(strstr(conf, "\nmkdir\t/c/tmp/upper\nmkdir\t/c/tmp/work\nmount\toverlay\t"
				     "overlay\t/c/rootfs\tlowerdir=/c/lower,upperdir=/c/tmp/upper,"
				     "workdir=/c/tmp/work\n"));
	free(conf);
	json_decref(rt);
	rt = load("{\"mkdir\":[\"/a\\tb\"]}");
	assert_int_equal(rootfs_init_conf(rt, NULL, &conf, &err), -1);
	assert_non_null(strstr(err.msg, "tab"));
	uk_err_release(&err);
	json_decref(rt);
}

static void test_json_dump(void **state)
{
	json_t *j = load("{\"a\":[],\"b\":{},\"c\":[1,\"<x>&\"],\"d\":{\"e\":true}}");
	char *s = rootfs_json_dump(j);

	assert_string_equal(s, "{\n    \"a\": [],\n    \"b\": {},\n    \"c\": [\n        1,\n"
			       "        \"\\u003cx\\u003e\\u0026\"\n    ],\n    \"d\": {\n"
			       "        \"e\": true\n    }\n}");
	free(s);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_whiteouts),
		cmocka_unit_test(test_opaque),
		cmocka_unit_test(test_no_whiteouts),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_symlinks_followed_inside),
		cmocka_unit_test(test_hardlinks),
		cmocka_unit_test(test_replace_types),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_oci_config),
		cmocka_unit_test(test_oci_yaml_wins),
		cmocka_unit_test(test_oci_errors),
		cmocka_unit_test(test_oci_volumes),
		cmocka_unit_test(test_init_conf),
		cmocka_unit_test(test_json_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
