// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/pkg: build.yml, its label, the tag, trimming, apt, modules, the tree. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "pkg/pkg-internal.h"
#include "unit.h"
#include "util/fs.h"

/* ---- build.yml ---- */

static const char full_recipe[] =
	"image: hello\n"
	"tag: \"v1-{{.Hash}}\"\n"
	"arches: [amd64]\n"
	"gitrepo: https://example.org/hello\n"
	"config:\n"
	"  pid: host\n"
	"  readonly: yes\n"
	"  oomScoreAdj: -800\n"
	"  capabilities: [CAP_SYS_ADMIN, CAP_NET_ADMIN]\n"
	"  sysctl:\n"
	"    net.ipv4.ip_forward: 1\n"
	"  devices:\n"
	"    - {path: /dev/console, type: c, major: 5, minor: 1, mode: 0666}\n"
	"  runtime:\n"
	"    mkdir: [/run/x]\n"
	"    bindNS: {net: /run/netns/x}\n"
	"debian:\n"
	"  packages: [busybox-static, hello=2.10-3]\n"
	"  resolve: false\n"
	"  trim: [/usr/lib/*/gconv]\n"
	"  keep: [usr/share/doc/hello]\n"
	"files:\n"
	"  - {src: ./etc/, dst: /etc}\n"
	"  - {dst: /tmp, directory: true, mode: \"1777\"}\n"
	"  - {dst: /bin/sh, symlink: busybox}\n"
	"  - {dst: /etc/motd, contents: \"hi\\n\", mode: 0600, uid: 5, gid: 6}\n"
	"programs:\n"
	"  - output: /sbin/x\n"
	"    cc: [musl-gcc, -static, x.c]\n"
	"  - output: /sbin/init\n"
	"    file: ../../build/init/unikit-init\n"
	"    env: UNIKIT_INIT\n"
	"    make: [-C, ../.., build/init/unikit-init]\n"
	"cmd: [/sbin/x]\n"
	"env: [A=1]\n"
	"workdir: /tmp\n";

static void test_recipe_full(void **state)
{
	struct pkg_recipe r;
	_cleanup_err_ struct uk_err err = { 0 };

	assert_int_equal(pkg_recipe_parse(&r, "build.yml", full_recipe, strlen(full_recipe), &err),
			 0);
	assert_string_equal(r.image, "hello");
	assert_string_equal(r.org, "unikit");
	assert_string_equal(r.tag, "v1-{{.Hash}}");
	assert_int_equal(r.arches.n, 1);
	assert_string_equal(r.gitrepo, "https://example.org/hello");
	assert_int_equal(r.debs.n, 2);
	assert_string_equal(r.debs.v[1], "hello=2.10-3");
	assert_false(r.resolve);
	assert_string_equal(r.trim.v[0], "usr/lib/*/gconv");
	assert_int_equal(r.n_files, 4);
	assert_string_equal(r.files[0].src, "etc");
	assert_string_equal(r.files[0].dst, "etc");
	assert_int_equal(r.files[0].mode, PKG_MODE_UNSET);
	assert_int_equal(r.files[1].mode, 01777);
	assert_true(r.files[1].directory);
	assert_string_equal(r.files[2].symlink, "busybox");
	assert_string_equal(r.files[3].contents, "hi\n");
	assert_int_equal(r.files[3].mode, 0600);
	assert_int_equal(r.files[3].uid, 5);
	assert_int_equal(r.files[3].gid, 6);
	assert_string_equal(r.files[3].where, "build.yml:26:5");
	assert_int_equal(r.n_programs, 2);
	assert_string_equal(r.programs[0].output, "sbin/x");
	assert_int_equal(r.programs[0].cc.n, 3);
	assert_string_equal(r.programs[1].env, "UNIKIT_INIT");
	assert_int_equal(r.programs[1].make.n, 3);
	assert_string_equal(r.workdir, "/tmp");

	/* the label, as LinuxKit would read it: YAML 1.1 scalars, keys in order */
	char *label = json_dumps(r.config, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(
		label,
		"{\"pid\":\"host\",\"readonly\":true,\"oomScoreAdj\":-800,"
		"\"capabilities\":[\"CAP_SYS_ADMIN\",\"CAP_NET_ADMIN\"],"
		"\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
		"\"devices\":[{\"path\":\"/dev/console\",\"type\":\"c\",\"major\":5,"
		"\"minor\":1,\"mode\":\"0666\"}],"
		"\"runtime\":{\"mkdir\":[\"/run/x\"],\"bindNS\":{\"net\":\"/run/netns/x\"}}}");
	free(label);
	assert_string_equal(json_string_value(json_array_get(r.cmd, 0)), "/sbin/x");
	pkg_recipe_release(&r);
}

static void test_recipe_defaults(void **state)
{
	struct pkg_recipe r;
	_cleanup_err_ struct uk_err err = { 0 };
	const char *y = "image: tiny\norg: my/org\n";

	assert_int_equal(pkg_recipe_parse(&r, "b.yml", y, strlen(y), &err), 0);
	assert_string_equal(r.org, "my/org");
	assert_string_equal(r.tag, "{{.Hash}}");
	assert_int_equal(r.arches.n, 2);
	assert_true(strv_contains(&r.arches, "amd64") && strv_contains(&r.arches, "arm64"));
	assert_null(r.config);
	assert_true(r.resolve);
	pkg_recipe_release(&r);
}

/* Parses y and expects an error whose message is exactly want. */
static void expect_error(const char *y, const char *want)
{
	struct pkg_recipe r;
	_cleanup_err_ struct uk_err err = { 0 };

	assert_int_equal(pkg_recipe_parse(&r, "build.yml", y, strlen(y), &err), -1);
	assert_int_equal(err.code, UK_ERR_INPUT);
	if (strcmp(err.msg, want) != 0)
		fail_msg("got '%s', want '%s'", err.msg, want);
}

static void test_recipe_errors(void **state)
{
	expect_error("imgae: x\n", "build.yml:1:1: unknown key 'imgae' in build.yml (did you mean "
				   "'image'?)");
	expect_error("org: x\n", "build.yml:1:1: 'image' is required");
	expect_error("", "build.yml: empty file: 'image' is required");
	expect_error("image: x\nimage: y\n", "build.yml:2:1: duplicate key 'image'");
	expect_error("image: Bad_Name\n", "build.yml:1:8: 'Bad_Name' is not a valid image name");
	expect_error("image: x\ndockerfile: Dockerfile.alt\n",
		     "build.yml:2:13: 'dockerfile' is not supported: unikit builds packages "
		     "without Docker (see docs/pkg.md)");
	expect_error("image: x\narches: [amd64, sparc]\n",
		     "build.yml:2:17: unknown architecture 'sparc'");
	expect_error("image: x\ntag: \"{{.Version}}\"\n",
		     "build.yml:2:6: tag '{{.Version}}': only {{.Hash}} can be used in a tag");
	expect_error("image: x\ndebian:\n  packages: busybox\n",
		     "build.yml:3:13: 'packages' must be a list of strings");
	expect_error("image: x\ndebian:\n  packages: [Not_A_Package]\n",
		     "build.yml:3:14: 'Not_A_Package' is not a Debian package name");
	expect_error("image: x\ndebian:\n  resolve: maybe\n  packages: [a1]\n",
		     "build.yml:3:12: 'resolve' must be true or false");
	expect_error("image: x\ndebian: {}\n",
		     "build.yml:2:9: 'debian' needs a list of 'packages'");
	expect_error("image: x\nfiles:\n  - {dst: /a, src: a, contents: b}\n",
		     "build.yml:3:5: a files entry needs exactly one of 'src', 'contents', "
		     "'symlink' and 'directory: true'");
	expect_error("image: x\nfiles:\n  - {dst: /a, src: ../a}\n",
		     "build.yml:3:20: 'src' must be a path inside the package directory");
	expect_error("image: x\nfiles:\n  - {dst: /a, src: /etc/passwd}\n",
		     "build.yml:3:20: 'src' must be relative to the package directory");
	expect_error("image: x\nfiles:\n  - {dst: /a, contents: b, mode: \"0999\"}\n",
		     "build.yml:3:34: 'mode' must be an octal mode such as \"0755\"");
	expect_error("image: x\nfiles:\n  - {dts: /a}\n",
		     "build.yml:3:6: unknown key 'dts' in a files entry (did you mean 'dst'?)");
	expect_error("image: x\nprograms:\n  - {output: /a}\n",
		     "build.yml:3:5: a programs entry needs exactly one of 'cc' and 'file'");
	expect_error("image: x\nprograms:\n  - {output: /a, cc: [cc, a.c], env: X}\n",
		     "build.yml:3:5: 'env' and 'make' go with 'file', not with 'cc'");
	expect_error("image: x\nconfig:\n  capabilities: all\n",
		     "build.yml:3:17: 'capabilities' must be a list of strings");
	expect_error("image: x\nconfig:\n  name: y\n",
		     "build.yml:3:3: 'name' cannot be set in 'config'");
	expect_error(
		"image: x\nconfig:\n  readOnly: true\n",
		"build.yml:3:3: unknown key 'readOnly' in 'config' (did you mean 'readonly'?)");
	expect_error("image: x\nconfig:\n  runtime:\n    mkdirs: [/a]\n",
		     "build.yml:4:5: unknown key 'mkdirs' in 'runtime' (did you mean 'mkdir'?)");
	expect_error("image: x\nconfig:\n  oomScoreAdj: high\n",
		     "build.yml:3:16: 'oomScoreAdj' must be an integer");
	expect_error("image: x\nkernel:\n  modules: [a]\n",
		     "build.yml:3:3: 'kernel' needs a 'package'");
	expect_error("image: x\nenv: [NOVALUE]\n",
		     "build.yml:2:6: 'env' entries must be NAME=VALUE");
	expect_error("image: [x\n", "build.yml:2:1: did not find expected ',' or ']'");
}

static json_t *scalar_of(const char *y)
{
	yaml_parser_t p;
	yaml_document_t d;

	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)y, strlen(y));
	assert_true(yaml_parser_load(&p, &d));
	json_t *v = pkg_yaml_scalar(yaml_document_get_root_node(&d));
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	return v;
}

static void test_yaml_scalars(void **state)
{
	static const struct {
		const char *yaml, *json;
	} cases[] = {
		{ "0666", "438" },	  { "0o17", "15" },	  { "0x1F", "31" },
		{ "-12", "-12" },	  { "1_000", "1000" },	  { "\"0666\"", "\"0666\"" },
		{ "yes", "true" },	  { "Off", "false" },	  { "~", "null" },
		{ "1.5", "1.5" },	  { "08", "8.0" },	  { "abc", "\"abc\"" },
		{ "'true'", "\"true\"" }, { ".inf", "\".inf\"" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *v = scalar_of(cases[i].yaml);
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
		if (strcmp(s, cases[i].json) != 0)
			fail_msg("%s: got %s, want %s", cases[i].yaml, s, cases[i].json);
		free(s);
		json_decref(v);
	}
}

static void test_small_parsers(void **state)
{
	int mode;
	char *s;

	assert_int_equal(pkg_mode_parse("0755", &mode), 0);
	assert_int_equal(mode, 0755);
	assert_int_equal(pkg_mode_parse("4755", &mode), 0);
	assert_int_equal(mode, 04755);
	assert_int_equal(pkg_mode_parse("0o644", &mode), 0);
	assert_int_equal(mode, 0644);
	assert_int_equal(pkg_mode_parse("0800", &mode), -1);
	assert_int_equal(pkg_mode_parse("17777", &mode), -1);
	assert_int_equal(pkg_mode_parse("", &mode), -1);

	s = pkg_path_normalise("/usr//bin/./x/");
	assert_string_equal(s, "usr/bin/x");
	free(s);
	assert_null(pkg_path_normalise("a/../b"));
	assert_null(pkg_path_normalise("/"));
	assert_null(pkg_path_normalise("./"));

	_cleanup_err_ struct uk_err err = { 0 };
	assert_int_equal(pkg_tag_expand("{{.Hash}}", "abc", &s, &err), 0);
	assert_string_equal(s, "abc");
	free(s);
	assert_int_equal(pkg_tag_expand("v2-{{ .Hash }}-x", "abc", &s, &err), 0);
	assert_string_equal(s, "v2-abc-x");
	free(s);
	assert_int_equal(pkg_tag_expand("6.1", "abc", &s, &err), 0);
	assert_string_equal(s, "6.1");
	free(s);
	assert_int_equal(pkg_tag_expand("a b", "abc", &s, &err), -1);
	assert_string_equal(err.msg, "tag 'a b' is not a valid image tag");
	uk_err_release(&err);
	assert_int_equal(pkg_tag_expand("{{.Hash", "abc", &s, &err), -1);
	uk_err_release(&err);

	static const char *const words[] = { "image", "org", "packages" };
	assert_string_equal(pkg_did_you_mean("pakages", words, 3), "packages");
	assert_null(pkg_did_you_mean("zzz", words, 3));
}

/* ---- the tag's directory hash ---- */

static char *make_dir(void)
{
	char tmpl[] = "/tmp/unikit-test-pkg-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void write_at(const char *dir, const char *rel, const char *text, mode_t mode)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
	_cleanup_err_ struct uk_err err = { 0 };

	assert_int_equal(fs_write_file_atomic(path, text, strlen(text), mode, &err), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void dir_hash(const char *dir, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 h;
	_cleanup_err_ struct uk_err err = { 0 };

	sha256_init(&h);
	assert_int_equal(pkg_hash_dir(&h, dir, &err), 0);
	sha256_final_hex(&h, hex);
}

static void test_hash_dir(void **state)
{
	_cleanup_free_ char *dir = make_dir();
	_cleanup_free_ char *sub = xasprintf("%s/etc", dir);
	_cleanup_free_ char *link = xasprintf("%s/link", dir);
	_cleanup_err_ struct uk_err err = { 0 };
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];

	assert_int_equal(mkdir(sub, 0755), 0);
	write_at(dir, "build.yml", "image: x\n", 0644);
	write_at(dir, "etc/motd", "hello\n", 0644);
	write_at(dir, "run.sh", "#!/bin/sh\n", 0755);
	assert_int_equal(symlink("etc/motd", link), 0);
	dir_hash(dir, a);

	/* stable: the same again, and blind to what git does not keep */
	dir_hash(dir, b);
	assert_string_equal(a, b);
	write_at(dir, "etc/motd", "hello\n", 0664);
	dir_hash(dir, b);
	assert_string_equal(a, b);

	/* and it changes when the content, the executable bit, a name or a link does */
	write_at(dir, "etc/motd", "hello!\n", 0644);
	dir_hash(dir, b);
	assert_string_not_equal(a, b);
	write_at(dir, "etc/motd", "hello\n", 0644);
	dir_hash(dir, b);
	assert_string_equal(a, b);
	write_at(dir, "etc/motd", "hello\n", 0744);
	dir_hash(dir, b);
	assert_string_not_equal(a, b);
	write_at(dir, "etc/motd", "hello\n", 0644);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("etc/other", link), 0);
	dir_hash(dir, b);
	assert_string_not_equal(a, b);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("etc/motd", link), 0);
	_cleanup_free_ char *empty = xasprintf("%s/empty", dir);
	assert_int_equal(mkdir(empty, 0755), 0);
	dir_hash(dir, b);
	assert_string_not_equal(a, b);
	assert_int_equal(rmdir(empty), 0);
	dir_hash(dir, b);
	assert_string_equal(a, b);

	assert_int_equal(fs_rm_rf(dir, &err), 0);
}

/* ---- trimming ---- */

static void test_trimming(void **state)
{
	_cleanup_(strv_release) struct strv trim = STRV_INIT;
	_cleanup_(strv_release) struct strv keep = STRV_INIT;

	assert_true(pkg_trimmed("usr/share/doc/hello/changelog.gz", NULL, NULL));
	assert_true(pkg_trimmed("usr/share/doc", NULL, NULL));
	assert_false(pkg_trimmed("usr/share/doc/hello/copyright", NULL, NULL));
	assert_true(pkg_trimmed("usr/share/man/man1/hello.1.gz", NULL, NULL));
	assert_true(pkg_trimmed("usr/share/locale/de/LC_MESSAGES/hello.mo", NULL, NULL));
	assert_true(pkg_trimmed("usr/share/info/hello.info.gz", NULL, NULL));
	assert_false(pkg_trimmed("usr/bin/hello", NULL, NULL));
	assert_false(pkg_trimmed("usr/share/docs", NULL, NULL));
	assert_false(pkg_trimmed("usr/share/nginx/html/index.html", NULL, NULL));

	strv_push(&trim, "usr/lib/*/gconv");
	strv_push(&trim, "lib/*/libm.so.6");
	assert_true(pkg_trimmed("usr/lib/x86_64-linux-gnu/gconv/UTF-16.so", &trim, NULL));
	assert_true(pkg_trimmed("lib/x86_64-linux-gnu/libm.so.6", &trim, NULL));
	assert_false(pkg_trimmed("lib/x86_64-linux-gnu/libc.so.6", &trim, NULL));
	assert_false(pkg_trimmed("usr/lib/gconv", &trim, NULL));

	strv_push(&keep, "usr/share/man/man8");
	assert_false(pkg_trimmed("usr/share/man/man8/nginx.8.gz", &trim, &keep));
	assert_true(pkg_trimmed("usr/share/man/man1/x.1.gz", &trim, &keep));
}

/* ---- apt's output ---- */

static void test_apt_parsers(void **state)
{
	_cleanup_(deb_list_release) struct deb_list l = DEB_LIST_INIT;
	_cleanup_err_ struct uk_err err = { 0 };
	const char *sim =
		"Reading package lists...\n"
		"The following NEW packages will be installed:\n  hello libc6\n"
		"Inst libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [amd64]) []\n"
		"Inst hello (2.10-3 Debian:12.15/oldstable, Debian-Security:12 [amd64])\n"
		"Inst busybox-static [1:1.35.0-4] (1:1.35.0-4+b1 Debian:12.15/oldstable [amd64])\n"
		"Inst tzdata (2024a-0+deb12u1 Debian:12.15/oldstable [all])\n"
		"Conf libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [amd64])\n";

	assert_int_equal(apt_parse_simulation(sim, &l, &err), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].name, "libc6");
	assert_string_equal(l.v[0].version, "2.36-9+deb12u14");
	assert_string_equal(l.v[0].arch, "amd64");
	assert_string_equal(l.v[2].version, "1:1.35.0-4+b1");
	assert_string_equal(l.v[3].arch, "all");

	const char *show =
		"Package: hello\nVersion: 2.10-2\nArchitecture: amd64\n"
		"Filename: pool/main/h/hello/hello_2.10-2_amd64.deb\nSize: 1\n"
		"SHA256: 1111111111111111111111111111111111111111111111111111111111111111\n"
		"\n"
		"Package: hello\nVersion: 2.10-3\nArchitecture: amd64\n"
		"Filename: pool/main/h/hello/hello_2.10-3_amd64.deb\nSize: 53080\n"
		"SHA256: 2e6e2f1a0007dc43bc91c273fd36e91e40a4f1c2765a03eca68b70a42103878a\n"
		"Description: hello\n continued: line\n";
	_cleanup_(deb_list_release) struct deb_list one = DEB_LIST_INIT;
	assert_int_equal(apt_parse_simulation("Inst hello (2.10-3 Debian [amd64])\n", &one, &err),
			 0);
	assert_int_equal(apt_parse_show(show, &one, &err), 0);
	assert_string_equal(one.v[0].sha256,
			    "2e6e2f1a0007dc43bc91c273fd36e91e40a4f1c2765a03eca68b70a42103878a");
	assert_string_equal(one.v[0].filename, "pool/main/h/hello/hello_2.10-3_amd64.deb");
	assert_int_equal(one.v[0].size, 53080);

	/* a version the archive does not have is an error naming the package */
	_cleanup_(deb_list_release) struct deb_list missing = DEB_LIST_INIT;
	assert_int_equal(apt_parse_simulation("Inst hello (9.9 x [amd64])\n", &missing, &err), 0);
	assert_int_equal(apt_parse_show(show, &missing, &err), -1);
	assert_string_equal(err.msg,
			    "debian package 'hello' version '9.9' not found in the archive");
	uk_err_release(&err);

	const char *policy = "hello:\n  Installed: (none)\n  Candidate: 2.10-3\n  Version table:\n"
			     "     2.10-3 500\n"
			     "mail-transport-agent:\n  Installed: (none)\n  Candidate: (none)\n";
	_cleanup_(deb_list_release) struct deb_list pol = DEB_LIST_INIT;
	apt_parse_policy(policy, &pol);
	assert_int_equal(pol.n, 2);
	assert_string_equal(deb_list_find(&pol, "hello")->version, "2.10-3");
	assert_null(deb_list_find(&pol, "mail-transport-agent")->version);

	char *k = apt_parse_kernel_depends(
		"linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-57-cloud-amd64\n");
	assert_string_equal(k, "linux-image-6.1.0-57-cloud-amd64");
	free(k);
	assert_null(apt_parse_kernel_depends("hello\n  Depends: libc6\n"));
}

/* ---- kernel modules ---- */

static void test_kmod_select(void **state)
{
	const char *dep = "kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n"
			  "kernel/fs/fat/fat.ko:\n"
			  "kernel/fs/nls/nls_iso8859-1.ko:\n"
			  "kernel/fs/isofs/isofs.ko.xz: kernel/drivers/cdrom/cdrom.ko.xz\n"
			  "kernel/drivers/cdrom/cdrom.ko.xz:\n"
			  "kernel/fs/overlayfs/overlay.ko:\n";
	const char *builtin = "kernel/fs/ext4/ext4.ko\nkernel/fs/jbd2/jbd2.ko\n";
	_cleanup_(strv_release) struct strv names = STRV_INIT;
	_cleanup_(strv_release) struct strv out = STRV_INIT;
	_cleanup_err_ struct uk_err err = { 0 };

	strv_push(&names, "vfat");
	strv_push(&names, "nls_iso8859_1");
	strv_push(&names, "isofs");
	strv_push(&names, "ext4");
	assert_int_equal(kmod_select(dep, builtin, &names, &out, &err), 0);
	assert_int_equal(out.n, 5);
	assert_string_equal(out.v[0], "kernel/drivers/cdrom/cdrom.ko.xz");
	assert_string_equal(out.v[1], "kernel/fs/fat/fat.ko");
	assert_string_equal(out.v[2], "kernel/fs/fat/vfat.ko");
	assert_string_equal(out.v[3], "kernel/fs/isofs/isofs.ko.xz");
	assert_string_equal(out.v[4], "kernel/fs/nls/nls_iso8859-1.ko");

	strv_push(&names, "9p");
	strv_release(&out);
	assert_int_equal(kmod_select(dep, builtin, &names, &out, &err), -1);
	assert_string_equal(err.msg, "kernel module '9p' not found");
	uk_err_release(&err);
	strv_release(&out);

	/* etc/modules-load: the picked modules named, built-in ones left out */
	_cleanup_(strv_release) struct strv load = STRV_INIT;
	_cleanup_strbuf_ struct strbuf list = STRBUF_INIT;
	strv_release(&names);
	strv_push(&names, "vfat");
	assert_int_equal(kmod_select(dep, builtin, &names, &out, &err), 0);
	strv_push(&load, "vfat");
	strv_push(&load, "ext4");
	strv_push(&load, "fat");
	assert_int_equal(kmod_load_list(&load, &out, builtin, &list, &err), 0);
	assert_string_equal(list.buf, "vfat\nfat\n");
	strv_push(&load, "overlay");
	assert_int_equal(kmod_load_list(&load, &out, builtin, &list, &err), -1);
	assert_string_equal(err.msg, "module 'overlay' in 'load' is not one of the modules");
	uk_err_release(&err);

	char *n = kmod_name_from_path("kernel/drivers/char/hw_random/virtio-rng.ko.zst");
	assert_string_equal(n, "virtio_rng");
	free(n);
}

/* ---- the entry tree and its tar ---- */

static int collect(void *ctx, const void *data, size_t len, struct uk_err *err)
{
	strbuf_add(ctx, data, len);
	return 0;
}

static void build_tree(struct tree *t)
{
	_cleanup_err_ struct uk_err err = { 0 };
	struct tree_entry link = {
		.path = "bin/sh", .type = TREE_SYMLINK, .perm = 0777, .link = "busybox"
	};
	struct tree_entry dir = { .path = "tmp", .type = TREE_DIR, .perm = 01777 };

	assert_int_equal(tree_add_data(t, "usr/bin/b", "bbb", 3, 0755, 0, 0, &err), 0);
	assert_int_equal(tree_add_data(t, "a-b", "x", 1, 0644, 7, 8, &err), 0);
	assert_int_equal(tree_add(t, &link, &err), 0);
	assert_int_equal(tree_add(t, &dir, &err), 0);
	assert_int_equal(tree_add_data(t, "a/file", "old", 3, 0644, 0, 0, &err), 0);
	assert_int_equal(tree_add_data(t, "a/file", "new!", 4, 0600, 0, 0, &err), 0);
	/* a hard link, as a .deb would carry it: shares the data */
	const struct tree_entry *target = tree_get(t, "usr/bin/b");
	struct tree_entry hl = *target;
	hl.path = "usr/bin/b2";
	assert_int_equal(tree_add(t, &hl, &err), 0);
}

static void test_tree(void **state)
{
	_cleanup_(tree_freep) struct tree *t = NULL;
	_cleanup_err_ struct uk_err err = { 0 };

	assert_int_equal(tree_new(&t, NULL, &err), 0);
	build_tree(t);
	assert_int_equal(tree_count(t), 10); /* with the implied a, bin, usr, usr/bin */
	const struct tree_entry *e = tree_get(t, "usr");
	assert_non_null(e);
	assert_int_equal(e->type, TREE_DIR);
	assert_true(e->implicit);
	e = tree_get(t, "a/file");
	assert_int_equal(e->size, 4);
	assert_int_equal(e->perm, 0600);
	char buf[4];
	assert_int_equal(tree_read(t, e->off, buf, 4, &err), 0);
	assert_memory_equal(buf, "new!", 4);

	/* a directory cannot become a file, nor a file hold a directory */
	assert_int_equal(tree_add_data(t, "tmp", "x", 1, 0644, 0, 0, &err), -1);
	assert_string_equal(err.msg, "'tmp' is a directory in one place and not in another");
	uk_err_release(&err);
	assert_int_equal(tree_add_data(t, "a-b/c", "x", 1, 0644, 0, 0, &err), -1);
	uk_err_release(&err);

	static const char *const order[] = {
		"a",   "a/file", "a-b",	    "bin",	 "bin/sh",
		"tmp", "usr",	 "usr/bin", "usr/bin/b", "usr/bin/b2"
	};
	const struct tree_entry *const *v = tree_sorted(t);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		assert_string_equal(v[i]->path, order[i]);
	assert_null(v[ARRAY_SIZE(order)]);
}

static void test_tar_reproducible(void **state)
{
	_cleanup_(tree_freep) struct tree *t1 = NULL;
	_cleanup_(tree_freep) struct tree *t2 = NULL;
	_cleanup_strbuf_ struct strbuf a = STRBUF_INIT;
	_cleanup_strbuf_ struct strbuf b = STRBUF_INIT;
	_cleanup_err_ struct uk_err err = { 0 };

	assert_int_equal(tree_new(&t1, NULL, &err), 0);
	assert_int_equal(tree_new(&t2, NULL, &err), 0);
	build_tree(t1);
	build_tree(t2);
	assert_int_equal(tar_write_tree(t1, 1234, collect, &a, &err), 0);
	assert_int_equal(tar_write_tree(t2, 1234, collect, &b, &err), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.buf, b.buf, a.len);

	/* and it reads back as written */
	struct archive *r = archive_read_new();
	struct archive_entry *ae;
	archive_read_support_format_tar(r);
	assert_int_equal(archive_read_open_memory(r, a.buf, a.len), ARCHIVE_OK);
	int n = 0, links = 0;
	while (archive_read_next_header(r, &ae) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(ae);
		n++;
		assert_int_equal(archive_entry_mtime(ae), 1234);
		const char *uname = archive_entry_uname(ae);
		assert_true(!uname || !*uname);
		if (strcmp(p, "a-b") == 0) {
			assert_int_equal(archive_entry_uid(ae), 7);
			assert_int_equal(archive_entry_gid(ae), 8);
		}
		if (strcmp(p, "tmp/") == 0 || strcmp(p, "tmp") == 0)
			assert_int_equal(archive_entry_perm(ae), 01777);
		if (strcmp(p, "usr/bin/b2") == 0) {
			assert_string_equal(archive_entry_hardlink(ae), "usr/bin/b");
			links++;
		}
		if (strcmp(p, "bin/sh") == 0)
			assert_string_equal(archive_entry_symlink(ae), "busybox");
	}
	assert_int_equal(n, 10);
	assert_int_equal(links, 1);
	archive_read_free(r);
}

/* ---- .deb reading ---- */

static void add_member(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, AE_IFREG | 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

/* A tar.xz in memory with the given (path, contents) pairs; NULL contents: a directory. */
static void make_tar(struct strbuf *out, const char *const *pairs, size_t n)
{
	struct archive *a = archive_write_new();
	size_t used = 0;
	char *buf = xmalloc(1 << 20);

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_xz(a);
	assert_int_equal(archive_write_open_memory(a, buf, 1 << 20, &used), ARCHIVE_OK);
	for (size_t i = 0; i < n; i += 2) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, pairs[i]);
		if (pairs[i + 1]) {
			archive_entry_set_mode(e, AE_IFREG | 0755);
			archive_entry_set_size(e, (la_int64_t)strlen(pairs[i + 1]));
		} else {
			archive_entry_set_mode(e, AE_IFDIR | 0755);
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (pairs[i + 1])
			archive_write_data(a, pairs[i + 1], strlen(pairs[i + 1]));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	strbuf_add(out, buf, used);
	free(buf);
}

static char *make_deb(const char *dir, const char *const *pairs, size_t n)
{
	_cleanup_strbuf_ struct strbuf control = STRBUF_INIT;
	_cleanup_strbuf_ struct strbuf data = STRBUF_INIT;
	static const char *const ctl[] = { "./postinst", "#!/bin/sh\nrm -rf /\n" };
	char *path = xasprintf("%s/test.deb", dir);
	struct archive *a = archive_write_new();

	make_tar(&control, ctl, 2);
	make_tar(&data, pairs, n);
	archive_write_set_format_ar_svr4(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	add_member(a, "debian-binary", "2.0\n", 4);
	add_member(a, "control.tar.xz", control.buf, control.len);
	add_member(a, "data.tar.xz", data.buf, data.len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return path;
}

static int deb_to_tree(void *ctx, const char *path, struct archive *a, struct archive_entry *e,
		       struct uk_err *err)
{
	return tree_add_archive_entry(ctx, path, a, e, err);
}

static void test_deb(void **state)
{
	_cleanup_free_ char *dir = make_dir();
	_cleanup_(tree_freep) struct tree *t = NULL;
	_cleanup_err_ struct uk_err err = { 0 };
	static const char *const good[] = { "./",	  NULL, "./usr/",	   NULL,
					    "./usr/bin/", NULL, "./usr/bin/hello", "hello\n" };
	static const char *const evil[] = { "./", NULL, "./../../etc/passwd", "x" };

	_cleanup_free_ char *deb = make_deb(dir, good, ARRAY_SIZE(good));
	assert_int_equal(tree_new(&t, NULL, &err), 0);
	assert_int_equal(deb_foreach(deb, deb_to_tree, t, &err), 0);
	assert_int_equal(tree_count(t), 3);
	const struct tree_entry *e = tree_get(t, "usr/bin/hello");
	assert_non_null(e);
	assert_int_equal(e->perm, 0755);
	assert_int_equal(e->size, 6);
	assert_null(tree_get(t, "postinst"));

	free(deb);
	deb = make_deb(dir, evil, ARRAY_SIZE(evil));
	assert_int_equal(deb_foreach(deb, deb_to_tree, t, &err), -1);
	assert_int_equal(err.code, UK_ERR_CORRUPT);
	assert_non_null(strstr(err.msg, "unsafe path './../../etc/passwd'"));
	uk_err_release(&err);

	/* not a .deb at all */
	write_at(dir, "junk.deb", "not an archive", 0644);
	_cleanup_free_ char *junk = xasprintf("%s/junk.deb", dir);
	assert_int_equal(deb_foreach(junk, deb_to_tree, t, &err), -1);
	uk_err_release(&err);
	assert_int_equal(fs_rm_rf(dir, &err), 0);
}

/* ---- @pkg: references, into a real store (a package without Debian packages: no apt) ---- */

static void test_resolve_ref(void **state)
{
	_cleanup_free_ char *dir = make_dir();
	_cleanup_free_ char *pkgdir = xasprintf("%s/pkgs/tiny", dir);
	_cleanup_free_ char *storedir = xasprintf("%s/store", dir);
	_cleanup_free_ char *base = xasprintf("%s/specs", dir);
	_cleanup_err_ struct uk_err err = { 0 };
	struct store *store = NULL;
	char *resolved = NULL, *again = NULL;

	assert_int_equal(fs_mkdir_p(pkgdir, 0755, &err), 0);
	assert_int_equal(fs_mkdir_p(base, 0755, &err), 0);
	write_at(pkgdir, "build.yml",
		 "image: tiny\nconfig: {pid: host}\nfiles:\n  - {dst: /etc/motd, src: motd}\n",
		 0644);
	write_at(pkgdir, "motd", "tiny\n", 0644);
	assert_int_equal(store_open(&store, storedir, &err), 0);

	/* not a template: unchanged */
	assert_int_equal(pkg_resolve_ref(store, "alpine:3.19", base, &resolved, &err), 0);
	assert_string_equal(resolved, "alpine:3.19");
	free(resolved);
	assert_false(pkg_ref_is_template("alpine:3.19"));
	assert_true(pkg_ref_is_template("@pkg:../x"));
	assert_true(pkg_ref_is_template("unikit/x:@pkg:../x"));

	/* LinuxKit's form: built into the store, named by its tag */
	assert_int_equal(pkg_resolve_ref(store, "@pkg:../pkgs/tiny", base, &resolved, &err), 0);
	assert_true(str_has_prefix(resolved, "docker.io/unikit/tiny:"));
	assert_int_equal(strlen(resolved), strlen("docker.io/unikit/tiny:") + 40);
	struct oci_image img = { 0 };
	assert_int_equal(store_image_resolve(store, resolved, NULL, &img, &err), 0);
	json_t *labels = json_object_get(json_object_get(img.config, "config"), "Labels");
	assert_string_equal(json_string_value(json_object_get(labels, "org.mobyproject.config")),
			    "{\"pid\":\"host\"}");
	assert_int_equal(img.n_layers, 1);
	oci_image_release(&img);

	/* again: the same name, nothing new in the store */
	_cleanup_free_ char *index = xasprintf("%s/index.json", storedir);
	_cleanup_free_ char *before = NULL, *after = NULL;
	assert_int_equal(fs_read_file(index, 1 << 20, &before, NULL, &err), 0);
	assert_int_equal(
		pkg_resolve_ref(store, "unikit/tiny:@pkg:../pkgs/tiny", base, &again, &err), 0);
	assert_string_equal(resolved, again);
	assert_int_equal(fs_read_file(index, 1 << 20, &after, NULL, &err), 0);
	assert_string_equal(before, after);
	free(again);

	/* a name that is not the package's, a directory that is not a package */
	assert_int_equal(pkg_resolve_ref(store, "other/tiny:@pkg:../pkgs/tiny", base, &again, &err),
			 -1);
	assert_non_null(strstr(err.msg, "names 'other/tiny', but the package in"));
	uk_err_release(&err);
	assert_int_equal(pkg_resolve_ref(store, "@pkg:../nothing", base, &again, &err), -1);
	uk_err_release(&err);
	assert_int_equal(pkg_resolve_ref(store, "@pkg:", base, &again, &err), -1);
	assert_int_equal(err.code, UK_ERR_INPUT);
	uk_err_release(&err);

	/* a change in the package is a new tag, built on demand */
	write_at(pkgdir, "motd", "tiny, changed\n", 0644);
	assert_int_equal(pkg_resolve_ref(store, "@pkg:../pkgs/tiny", base, &again, &err), 0);
	assert_string_not_equal(resolved, again);
	free(again);
	free(resolved);

	store_free(store);
	assert_int_equal(fs_rm_rf(dir, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recipe_full),	 cmocka_unit_test(test_recipe_defaults),
		cmocka_unit_test(test_recipe_errors),	 cmocka_unit_test(test_yaml_scalars),
		cmocka_unit_test(test_small_parsers),	 cmocka_unit_test(test_hash_dir),
		cmocka_unit_test(test_trimming),	 cmocka_unit_test(test_apt_parsers),
		cmocka_unit_test(test_kmod_select),	 cmocka_unit_test(test_tree),
		cmocka_unit_test(test_tar_reproducible), cmocka_unit_test(test_deb),
		cmocka_unit_test(test_resolve_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
