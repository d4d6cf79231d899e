// SPDX-License-Identifier: Apache-2.0
/*
 * A kernel package as LinuxKit's kernel images are: `kernel` (the bzImage)
 * and `kernel.tar` (lib/modules/VERSION/), here from a Debian kernel package
 * with only the chosen modules and what they depend on. Debian's packages
 * ship no modules.dep (their postinst runs depmod), so depmod runs twice on
 * the build host: on the whole tree to learn the dependencies, and on the
 * chosen modules to write the indexes the image's init loads modules with.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkg/pkg-internal.h"
#include "util/fs.h"
#include "util/proc.h"

#define MODULES_DEP_MAX (64u << 20)

char *kmod_name_normalise(const char *name)
{
	char *s = xstrdup(name);

	for (char *p = s; *p; p++) {
		if (*p == '-')
			*p = '_';
	}
	return s;
}

char *kmod_name_from_path(const char *path)
{
	static const char *const suffixes[] = { ".ko.xz", ".ko.zst", ".ko.gz", ".ko" };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	_cleanup_free_ char *s = xstrdup(base);
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		if (str_has_suffix(s, suffixes[i])) {
			s[strlen(s) - strlen(suffixes[i])] = '\0';
			break;
		}
	}
	return kmod_name_normalise(s);
}

struct kmod {
	char *path, *name;
	struct strv deps;
	bool picked;
};

struct kmod_set {
	struct kmod *v;
	size_t n, alloc;
};

static void kmod_set_release(struct kmod_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].name);
		strv_release(&s->v[i].deps);
	}
	free(s->v);
}

static struct kmod *kmod_by(struct kmod_set *s, const char *key, bool by_path)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(by_path ? s->v[i].path : s->v[i].name, key) == 0)
			return &s->v[i];
	}
	return NULL;
}

static int parse_dep(const char *text, struct kmod_set *s, struct uk_err *err)
{
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		const char *colon = memchr(line, ':', n);
		if (n && !colon)
			return uk_err_setc(err, UK_ERR_CORRUPT, "modules.dep: a line without ':'");
		if (n) {
			XGROW(s->v, s->alloc, s->n + 1);
			struct kmod *m = &s->v[s->n++];
			memset(m, 0, sizeof(*m));
			m->path = xstrndup(line, (size_t)(colon - line));
			m->name = kmod_name_from_path(m->path);
			for (const char *p = colon + 1; p < line + n;) {
				while (p < line + n && *p == ' ')
					p++;
				size_t k = 0;
				while (p + k < line + n && p[k] != ' ')
					k++;
				if (k)
					strv_push_take(&m->deps, xstrndup(p, k));
				p += k;
			}
		}
		line += n;
		if (*line == '\n')
			line++;
	}
	return 0;
}

static int pick(struct kmod_set *s, struct kmod *m, int depth, struct uk_err *err)
{
	if (m->picked)
		return 0;
	if (depth > 64)
		return uk_err_setc(err, UK_ERR_CORRUPT, "modules.dep: a dependency loop at '%s'",
				   m->name);
	m->picked = true;
	for (size_t i = 0; i < m->deps.n; i++) {
		struct kmod *d = kmod_by(s, m->deps.v[i], true);
		if (!d)
			return uk_err_setc(err, UK_ERR_CORRUPT,
					   "modules.dep: '%s' needs '%s', which is not listed",
					   m->path, m->deps.v[i]);
		if (pick(s, d, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

static bool builtin_has(const char *builtin, const char *name)
{
	for (const char *line = builtin; builtin && *line;) {
		size_t n = strcspn(line, "\n");
		_cleanup_free_ char *path = xstrndup(line, n);
		_cleanup_free_ char *bn = kmod_name_from_path(path);
		if (strcmp(bn, name) == 0)
			return true;
		line += n;
		if (*line == '\n')
			line++;
	}
	return false;
}

int kmod_select(const char *modules_dep, const char *builtin, const struct strv *names,
		struct strv *out, struct uk_err *err)
{
	struct kmod_set s = { 0 };
	int ret = -1;

	if (parse_dep(modules_dep, &s, err) < 0)
		goto out;
	for (size_t i = 0; i < names->n; i++) {
		_cleanup_free_ char *name = kmod_name_normalise(names->v[i]);
		struct kmod *m = kmod_by(&s, name, false);
		if (!m) {
			if (builtin_has(builtin, name))
				continue;
			uk_err_setc(err, UK_ERR_NOT_FOUND, "kernel module '%s' not found",
				    names->v[i]);
			goto out;
		}
		if (pick(&s, m, 0, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		if (s.v[i].picked)
			strv_push(out, s.v[i].path);
	}
	strv_sort(out);
	ret = 0;
out:
	kmod_set_release(&s);
	return ret;
}

int kmod_load_list(const struct strv *load, const struct strv *picked, const char *builtin,
		   struct strbuf *out, struct uk_err *err)
{
	for (size_t i = 0; i < load->n; i++) {
		_cleanup_free_ char *name = kmod_name_normalise(load->v[i]);
		bool found = false;
		for (size_t j = 0; j < picked->n && !found; j++) {
			_cleanup_free_ char *m = kmod_name_from_path(picked->v[j]);
			found = strcmp(m, name) == 0;
		}
		if (found) {
			strbuf_addf(out, "%s\n", name);
			continue;
		}
		if (!builtin_has(builtin, name))
			return uk_err_setc(err, UK_ERR_INPUT,
					   "module '%s' in 'load' is not one of the modules",
					   load->v[i]);
	}
	return 0;
}

/* ---- unpacking the kernel package ---- */

/* Creates the directories of rel (a normalised path) below dfd. */
static int mkdirs_at(int dfd, const char *rel, bool last_too, struct uk_err *err)
{
	_cleanup_free_ char *p = xstrdup(rel);

	for (char *s = p;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		if (c == '\0' && !last_too)
			break;
		*s = '\0';
		if (mkdirat(dfd, p, 0755) < 0 && errno != EEXIST)
			return uk_err_errno(err, "create directory '%s'", p);
		*s = c;
		if (c == '\0')
			break;
	}
	return 0;
}

struct unpack {
	int dfd;
	char *vmlinuz; /* its path below the staging directory */
};

static int unpack_entry(void *ctx, const char *path, struct archive *a, struct archive_entry *ae,
			struct uk_err *err)
{
	struct unpack *u = ctx;
	_cleanup_free_ char *rel = NULL;

	if (str_has_prefix(path, "usr/lib/modules/"))
		rel = xstrdup(path + 4); /* a merged-/usr package: keep LinuxKit's lib/modules */
	else if (str_has_prefix(path, "lib/modules/") || str_has_prefix(path, "boot/vmlinuz-"))
		rel = xstrdup(path);
	else
		return 0;
	if (archive_entry_filetype(ae) == AE_IFDIR)
		return mkdirs_at(u->dfd, rel, true, err);
	if (archive_entry_filetype(ae) != AE_IFREG || archive_entry_hardlink(ae))
		return 0; /* build/source symlinks into the headers: not wanted */
	if (mkdirs_at(u->dfd, rel, false, err) < 0)
		return -1;
	_cleanup_close_ int fd =
		openat(u->dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return uk_err_errno(err, "create '%s'", rel);
	char buf[65536];
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			return uk_err_setc(err, UK_ERR_CORRUPT, "read '%s': %s", path,
					   archive_error_string(a));
		if (n == 0)
			break;
		if (xwrite_all(fd, buf, (size_t)n) < 0)
			return uk_err_errno(err, "write '%s'", rel);
	}
	if (str_has_prefix(rel, "boot/vmlinuz-")) {
		if (u->vmlinuz)
			return uk_err_setc(err, UK_ERR_INPUT, "more than one kernel: '%s' and '%s'",
					   u->vmlinuz, rel);
		u->vmlinuz = TAKE_PTR(rel);
	}
	return 0;
}

static int depmod(const char *root, const char *version, struct uk_err *err)
{
	const char *argv[] = { "depmod", "-b", root, version, NULL };

	if (proc_run(argv, NULL, err) < 0)
		return uk_err_wrap(err, "index the kernel modules");
	return 0;
}

/* Moves rel from one staging root to another, creating its directories. */
static int move_file(int from, int to, const char *rel, struct uk_err *err)
{
	if (mkdirs_at(to, rel, false, err) < 0)
		return -1;
	if (renameat(from, rel, to, rel) < 0)
		return uk_err_errno(err, "move '%s'", rel);
	return 0;
}

/* Adds every file below dfd/rel to the tree, in directory order (the tree sorts). */
static int tree_add_dir(struct tree *t, int dfd, const char *rel, int depth, struct uk_err *err)
{
	_cleanup_close_ int sub = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	int ret = 0;

	if (sub < 0)
		return uk_err_errno(err, "open directory '%s'", rel);
	if (depth > 32)
		return uk_err_set(err, "'%s': nested too deep", rel);
	struct tree_entry dir = { .path = (char *)rel, .type = TREE_DIR, .perm = 0755 };
	if (tree_add(t, &dir, err) < 0)
		return -1;
	DIR *d = fdopendir(dup(sub));
	if (!d)
		return uk_err_errno(err, "read directory '%s'", rel);
	while (ret == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *child = xasprintf("%s/%s", rel, de->d_name);
		struct stat st;
		if (fstatat(sub, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = uk_err_errno(err, "stat '%s'", child);
		} else if (S_ISDIR(st.st_mode)) {
			ret = tree_add_dir(t, dfd, child, depth + 1, err);
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_close_ int fd =
				openat(sub, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			ret = fd < 0 ? uk_err_errno(err, "open '%s'", child)
				     : tree_add_fd(t, child, fd, 0644, 0, 0, err);
		}
	}
	closedir(d);
	return ret;
}

static int spool_sink(void *ctx, const void *data, size_t len, struct uk_err *err)
{
	return tree_spool_write(ctx, data, len, err);
}

/* modules.order keeps its order, restricted to the modules that stay. */
static char *filter_order(const char *order, const struct strv *keep)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *line = order; *line;) {
		size_t n = strcspn(line, "\n");
		_cleanup_free_ char *path = xstrndup(line, n);
		if (n && strv_contains(keep, path)) {
			strbuf_addstr(&sb, path);
			strbuf_addch(&sb, '\n');
		}
		line += n;
		if (*line == '\n')
			line++;
	}
	return strbuf_detach(&sb, NULL);
}

static char *read_at(const char *root, const char *rel, bool optional, struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
	char *text = NULL;

	if (optional && access(path, F_OK) < 0)
		return xstrdup("");
	if (fs_read_file(path, MODULES_DEP_MAX, &text, NULL, err) < 0)
		return NULL;
	return text;
}

static int build_kernel(struct tree *t, const char *deb, const struct strv *modules,
			const struct strv *load, const char *stage, int64_t epoch,
			struct uk_err *err)
{
	struct unpack u = { .dfd = -1 };
	_cleanup_(tree_freep) struct tree *kt = NULL;
	_cleanup_(strv_release) struct strv picked = STRV_INIT;
	_cleanup_close_ int out_fd = -1;
	int ret = -1;

	_cleanup_free_ char *in_root = xasprintf("%s/in", stage);
	_cleanup_free_ char *out_root = xasprintf("%s/out", stage);
	if (mkdir(in_root, 0700) < 0 || mkdir(out_root, 0700) < 0)
		return uk_err_errno(err, "create directories in '%s'", stage);
	u.dfd = open(in_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	out_fd = open(out_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u.dfd < 0 || out_fd < 0) {
		uk_err_errno(err, "open '%s'", stage);
		goto out;
	}
	if (deb_foreach(deb, unpack_entry, &u, err) < 0)
		goto out;
	if (!u.vmlinuz) {
		uk_err_setc(err, UK_ERR_INPUT, "'%s' holds no boot/vmlinuz-*: not a kernel package",
			    deb);
		goto out;
	}
	const char *version = u.vmlinuz + strlen("boot/vmlinuz-");
	_cleanup_free_ char *mod_dir = xasprintf("lib/modules/%s", version);
	struct stat st;
	if (fstatat(u.dfd, mod_dir, &st, 0) < 0 || !S_ISDIR(st.st_mode)) {
		uk_err_setc(err, UK_ERR_INPUT, "'%s' has no %s", deb, mod_dir);
		goto out;
	}

	/* the dependencies of every module, then the ones we keep */
	if (depmod(in_root, version, err) < 0)
		goto out;
	_cleanup_free_ char *dep_rel = xasprintf("%s/modules.dep", mod_dir);
	_cleanup_free_ char *builtin_rel = xasprintf("%s/modules.builtin", mod_dir);
	_cleanup_free_ char *order_rel = xasprintf("%s/modules.order", mod_dir);
	_cleanup_free_ char *dep = read_at(in_root, dep_rel, false, err);
	_cleanup_free_ char *builtin = dep ? read_at(in_root, builtin_rel, true, err) : NULL;
	_cleanup_free_ char *order = builtin ? read_at(in_root, order_rel, true, err) : NULL;
	if (!order)
		goto out;
	if (kmod_select(dep, builtin, modules, &picked, err) < 0)
		goto out;
	_cleanup_strbuf_ struct strbuf load_list = STRBUF_INIT;
	if (kmod_load_list(load, &picked, builtin, &load_list, err) < 0)
		goto out;

	for (size_t i = 0; i < picked.n; i++) {
		_cleanup_free_ char *rel = xasprintf("%s/%s", mod_dir, picked.v[i]);
		if (move_file(u.dfd, out_fd, rel, err) < 0)
			goto out;
	}
	static const char *const keep[] = { "modules.builtin", "modules.builtin.modinfo" };
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		_cleanup_free_ char *rel = xasprintf("%s/%s", mod_dir, keep[i]);
		if (faccessat(u.dfd, rel, F_OK, 0) == 0 && move_file(u.dfd, out_fd, rel, err) < 0)
			goto out;
	}
	if (mkdirs_at(out_fd, mod_dir, true, err) < 0)
		goto out;
	_cleanup_free_ char *new_order = filter_order(order, &picked);
	_cleanup_free_ char *order_path = xasprintf("%s/%s", out_root, order_rel);
	if (fs_write_file_atomic(order_path, new_order, strlen(new_order), 0644, err) < 0)
		goto out;
	if (depmod(out_root, version, err) < 0)
		goto out;

	/* kernel.tar: lib/modules/VERSION/..., as LinuxKit's kernel images hold it */
	if (tree_new(&kt, NULL, err) < 0 || tree_add_dir(kt, out_fd, "lib", 0, err) < 0)
		goto out;
	/* what no device asks for (file systems, veth, ...), for init to load at boot */
	if (load_list.len && tree_add_data(kt, "etc/modules-load", load_list.buf, load_list.len,
					   0644, 0, 0, err) < 0)
		goto out;
	uint64_t off;
	tree_spool_begin(t, &off);
	if (tar_write_tree(kt, epoch, spool_sink, t, err) < 0 ||
	    tree_add_spooled(t, "kernel.tar", off, 0644, err) < 0)
		goto out;

	_cleanup_close_ int kfd = openat(u.dfd, u.vmlinuz, O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		uk_err_errno(err, "open '%s'", u.vmlinuz);
		goto out;
	}
	if (tree_add_fd(t, "kernel", kfd, 0644, 0, 0, err) < 0)
		goto out;
	ret = 0;
out:
	if (u.dfd >= 0)
		close(u.dfd);
	free(u.vmlinuz);
	return ret;
}

int kernel_add(struct tree *t, const char *deb_path, const struct strv *modules,
	       const struct strv *load, const char *tmpdir, int64_t epoch, struct uk_err *err)
{
	if (!tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	_cleanup_free_ char *stage = xasprintf("%s/unikit-kernel-XXXXXX", tmpdir);
	if (!mkdtemp(stage))
		return uk_err_errno(err, "create a directory in '%s'", tmpdir);
	int r = build_kernel(t, deb_path, modules, load, stage, epoch, err);
	struct uk_err ignore = { 0 };
	fs_rm_rf(stage, &ignore);
	uk_err_release(&ignore);
	if (r < 0)
		return uk_err_wrap(err, "kernel from '%s'", deb_path);
	return 0;
}
