// SPDX-License-Identifier: Apache-2.0
/*
 * A package build, start to end: read build.yml, pin the Debian packages,
 * hash everything the image is made of into the tag, and when the store lacks
 * that tag, assemble the entry tree (Debian packages, kernel, programs, files,
 * in that order, later ones winning) and store it as a one-layer OCI image.
 */
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkg/pkg-internal.h"
#include "util/fs.h"
#include "util/proc.h"

#define TAG_HEX 40 /* as long as LinuxKit's git tree hashes */

struct prog_input {
	char *path; /* the host file a `file` program comes from */
	char sha256[SHA256_HEX_LEN + 1];
};

struct pkg {
	char *dir; /* absolute */
	char *yml; /* dir/build.yml, as the user named it */
	struct pkg_recipe r;
	char *org, *tmpdir;
	char *deb_dir;	 /* NULL until a build picks the store's */
	char *apt_cache; /* deb_dir/apt, or NULL */
	bool force;
	pkg_log_fn log;
	void *log_ctx;
	const char *arch;
	struct deb_list debs;
	struct deb_list kernel; /* the kernel package, when there is one */
	struct prog_input *progs;
	char *tag, *name, *ref;
};

static _printf_(2, 3) void say(const struct pkg *p, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (!p->log)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	p->log(p->log_ctx, sb.buf);
}

void pkg_free(struct pkg *p)
{
	if (!p)
		return;
	if (p->progs) {
		for (size_t i = 0; i < p->r.n_programs; i++)
			free(p->progs[i].path);
		free(p->progs);
	}
	pkg_recipe_release(&p->r);
	deb_list_release(&p->debs);
	deb_list_release(&p->kernel);
	free(p->dir);
	free(p->yml);
	free(p->org);
	free(p->deb_dir);
	free(p->apt_cache);
	free(p->tmpdir);
	free(p->tag);
	free(p->name);
	free(p->ref);
	free(p);
}

const char *pkg_tag(const struct pkg *p)
{
	return p->tag;
}

const char *pkg_name(const struct pkg *p)
{
	return p->name;
}

const char *pkg_ref(const struct pkg *p)
{
	return p->ref;
}

const char *const *pkg_arches(const struct pkg *p, size_t *n)
{
	*n = p->r.arches.n;
	return (const char *const *)p->r.arches.v;
}

static int sha256_fd(int fd, char hex[SHA256_HEX_LEN + 1], struct uk_err *err)
{
	struct sha256 h;
	char buf[65536];

	sha256_init(&h);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sha256_release(&h);
			return uk_err_errno(err, "read");
		}
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
	}
	sha256_final_hex(&h, hex);
	return 0;
}

/*
 * Opens the directory that holds rel below root without following a symlink
 * on the way, so a package's files cannot be read from outside it; *last is
 * the final component.
 */
static int open_parent_beneath(int root, const char *rel, const char **last, struct uk_err *err)
{
	int dfd = dup(root);
	const char *p = rel;

	if (dfd < 0)
		return uk_err_errno(err, "dup");
	for (;;) {
		size_t n = strcspn(p, "/");
		if (!p[n]) {
			*last = p;
			return dfd;
		}
		_cleanup_free_ char *comp = xstrndup(p, n);
		int sub = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		if (sub < 0)
			return uk_err_errno(err, "open '%.*s'", (int)(p + n - rel), rel);
		dfd = sub;
		p += n + 1;
	}
}

/* ---- programs from the host ---- */

static int resolve_program_file(struct pkg *p, size_t i, struct uk_err *err)
{
	const struct pkg_program *prog = &p->r.programs[i];
	const char *from_env = prog->env ? getenv(prog->env) : NULL;
	_cleanup_free_ char *path = NULL;

	if (from_env && *from_env) {
		path = xstrdup(from_env);
	} else {
		if (prog->make.n) {
			_cleanup_(strv_release) struct strv argv = STRV_INIT;
			struct proc_opts o = PROC_OPTS_INIT;
			strv_push(&argv, "make");
			strv_push(&argv, "--no-print-directory");
			for (size_t k = 0; k < prog->make.n; k++)
				strv_push(&argv, prog->make.v[k]);
			_cleanup_free_ const char **av = strv_argv(&argv);
			o.cwd = p->dir;
			say(p, "make %s", prog->file);
			if (proc_run(av, &o, err) < 0)
				return uk_err_wrap(err, "%s: build '%s'", prog->where, prog->file);
		}
		path = prog->file[0] == '/' ? xstrdup(prog->file)
					    : xasprintf("%s/%s", p->dir, prog->file);
	}
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return uk_err_errno(err, "%s: program '%s' comes from '%s'", prog->where,
				    prog->output, path);
	if (!S_ISREG(st.st_mode))
		return uk_err_setc(err, UK_ERR_INPUT, "%s: '%s' is not a file", prog->where, path);
	if (sha256_fd(fd, p->progs[i].sha256, err) < 0)
		return uk_err_wrap(err, "'%s'", path);
	p->progs[i].path = TAKE_PTR(path);
	return 0;
}

/* ---- pkg_open ---- */

static int check_sources(struct pkg *p, int dfd, struct uk_err *err)
{
	for (size_t i = 0; i < p->r.n_files; i++) {
		const struct pkg_file *f = &p->r.files[i];
		const char *last;
		struct stat st;
		if (!f->src)
			continue;
		int parent = open_parent_beneath(dfd, f->src, &last, err);
		if (parent < 0)
			return uk_err_wrap(err, "%s: 'src'", f->where);
		int r = fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW);
		close(parent);
		if (r < 0)
			return uk_err_errno(err, "%s: 'src' '%s'", f->where, f->src);
	}
	return 0;
}

static void hash_debs(struct sha256 *h, const char *what, const struct deb_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *s =
			xasprintf("%s %s %s %s %s\n", what, l->v[i].name, l->v[i].version,
				  l->v[i].arch ? l->v[i].arch : "", l->v[i].sha256);
		sha256_update(h, s, strlen(s) + 1);
	}
}

static int compute_tag(struct pkg *p, struct uk_err *err)
{
	struct sha256 h;
	char hex[SHA256_HEX_LEN + 1];

	sha256_init(&h);
	_cleanup_free_ char *head = xasprintf("unikit-pkg 1\narch %s\n", p->arch);
	sha256_update(&h, head, strlen(head) + 1);
	if (pkg_hash_dir(&h, p->dir, err) < 0) {
		sha256_release(&h);
		return -1;
	}
	hash_debs(&h, "deb", &p->debs);
	hash_debs(&h, "kernel", &p->kernel);
	for (size_t i = 0; i < p->r.n_programs; i++) {
		if (!p->progs[i].path)
			continue;
		_cleanup_free_ char *s =
			xasprintf("program %s %s\n", p->r.programs[i].output, p->progs[i].sha256);
		sha256_update(&h, s, strlen(s) + 1);
	}
	sha256_final_hex(&h, hex);
	hex[TAG_HEX] = '\0';
	return pkg_tag_expand(p->r.tag, hex, &p->tag, err);
}

static int open_pkg(struct pkg *p, const char *dir, struct uk_err *err)
{
	char real[PATH_MAX];
	struct stat st;

	if (!realpath(dir, real))
		return uk_err_errno(err, "package directory '%s'", dir);
	p->dir = xstrdup(real);
	p->yml = xasprintf("%s%sbuild.yml", dir, str_has_suffix(dir, "/") ? "" : "/");
	if (stat(p->yml, &st) < 0)
		return uk_err_setc(err, UK_ERR_NOT_FOUND, "'%s' has no build.yml: not a package",
				   dir);
	if (pkg_recipe_load(&p->r, p->yml, err) < 0)
		return -1;
	if (!strv_contains(&p->r.arches, p->arch))
		return uk_err_setc(err, UK_ERR_INPUT, "%s: the package is not built for %s", p->yml,
				   p->arch);

	_cleanup_close_ int dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return uk_err_errno(err, "open '%s'", p->dir);
	if (check_sources(p, dfd, err) < 0)
		return -1;
	if (p->r.debs.n) {
		say(p, "resolve %zu debian package%s", p->r.debs.n, p->r.debs.n > 1 ? "s" : "");
		if (apt_resolve(&p->r.debs, p->r.resolve, &p->r.exclude, p->apt_cache, &p->debs,
				err) < 0)
			return uk_err_wrap(err, "%s", p->r.debs_where);
	}
	if (p->r.kernel_package) {
		_cleanup_free_ char *kpkg = NULL;
		_cleanup_(strv_release) struct strv one = STRV_INIT;
		if (apt_kernel_package(p->r.kernel_package, p->apt_cache, &kpkg, err) < 0)
			return uk_err_wrap(err, "%s", p->r.kernel_where);
		strv_push(&one, kpkg);
		if (apt_resolve(&one, false, NULL, p->apt_cache, &p->kernel, err) < 0)
			return uk_err_wrap(err, "%s", p->r.kernel_where);
	}
	p->progs = xcalloc(p->r.n_programs + 1, sizeof(*p->progs));
	for (size_t i = 0; i < p->r.n_programs; i++) {
		if (p->r.programs[i].file && resolve_program_file(p, i, err) < 0)
			return -1;
	}
	if (compute_tag(p, err) < 0)
		return uk_err_wrap(err, "%s", p->yml);

	p->name = xasprintf("%s/%s:%s", p->org ? p->org : p->r.org, p->r.image, p->tag);
	struct oci_ref ref = { 0 };
	if (oci_ref_parse(&ref, p->name, err) < 0)
		return uk_err_wrap(err, "%s", p->yml);
	p->ref = oci_ref_string(&ref);
	oci_ref_release(&ref);
	return 0;
}

int pkg_open(struct pkg **out, const char *dir, const struct pkg_opts *opts, struct uk_err *err)
{
	static const struct pkg_opts defaults = PKG_OPTS_INIT;
	struct pkg *p = xcalloc(1, sizeof(*p));

	if (!opts)
		opts = &defaults;
	p->org = opts->org ? xstrdup(opts->org) : NULL;
	const char *env_debs = getenv("UNIKIT_DEB_CACHE");
	if (opts->deb_dir)
		p->deb_dir = xstrdup(opts->deb_dir);
	else if (env_debs && *env_debs)
		p->deb_dir = xstrdup(env_debs);
	if (p->deb_dir)
		p->apt_cache = xasprintf("%s/apt", p->deb_dir);
	p->tmpdir = opts->tmpdir ? xstrdup(opts->tmpdir) : NULL;
	p->force = opts->force;
	p->log = opts->log;
	p->log_ctx = opts->log_ctx;
	p->arch = pkg_host_arch();
	if (open_pkg(p, dir, err) < 0) {
		pkg_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* ---- building ---- */

struct deb_add {
	struct tree *t;
	const struct pkg_recipe *r;
};

static int add_deb_entry(void *ctx, const char *path, struct archive *a, struct archive_entry *ae,
			 struct uk_err *err)
{
	struct deb_add *d = ctx;
	const char *hl = archive_entry_hardlink(ae);

	if (pkg_trimmed(path, &d->r->trim, &d->r->keep))
		return 0;
	if (hl) {
		_cleanup_free_ char *target = pkg_path_normalise(hl);
		if (target && pkg_trimmed(target, &d->r->trim, &d->r->keep))
			return 0;
	}
	return tree_add_archive_entry(d->t, path, a, ae, err);
}

static int add_debs(struct pkg *p, struct tree *t, const char *deb_dir, const char *apt_cache,
		    struct uk_err *err)
{
	struct deb_add ctx = { .t = t, .r = &p->r };

	for (size_t i = 0; i < p->debs.n; i++) {
		const struct deb_pkg *d = &p->debs.v[i];
		_cleanup_free_ char *path = NULL;
		say(p, "fetch %s %s", d->name, d->version);
		if (apt_fetch(d, deb_dir, apt_cache, &path, err) < 0)
			return -1;
		if (deb_foreach(path, add_deb_entry, &ctx, err) < 0)
			return uk_err_wrap(err, "unpack debian package '%s'", d->name);
	}
	return 0;
}

static int add_kernel(struct pkg *p, struct tree *t, const char *deb_dir, const char *apt_cache,
		      int64_t epoch, struct uk_err *err)
{
	const struct deb_pkg *d = &p->kernel.v[0];
	_cleanup_free_ char *path = NULL;

	say(p, "fetch %s %s", d->name, d->version);
	if (apt_fetch(d, deb_dir, apt_cache, &path, err) < 0)
		return -1;
	say(p, "pick %zu kernel modules and their dependencies", p->r.modules.n);
	if (kernel_add(t, path, &p->r.modules, &p->r.load, p->tmpdir, epoch, err) < 0)
		return uk_err_wrap(err, "%s", p->r.kernel_where);
	return 0;
}

static int compile(struct pkg *p, struct tree *t, const struct pkg_program *prog,
		   struct uk_err *err)
{
	const char *tmpdir = p->tmpdir ? p->tmpdir : getenv("TMPDIR");

	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	_cleanup_free_ char *dir = xasprintf("%s/unikit-cc-XXXXXX", tmpdir);
	if (!mkdtemp(dir))
		return uk_err_errno(err, "create a directory in '%s'", tmpdir);
	_cleanup_free_ char *out = xasprintf("%s/program", dir);
	_cleanup_(strv_release) struct strv argv = STRV_INIT;
	for (size_t i = 0; i < prog->cc.n; i++)
		strv_push(&argv, prog->cc.v[i]);
	strv_push(&argv, "-o");
	strv_push(&argv, out);
	_cleanup_free_ const char **av = strv_argv(&argv);
	struct proc_opts o = PROC_OPTS_INIT;
	o.cwd = p->dir;
	say(p, "cc %s", prog->output);
	int r = proc_run(av, &o, err);
	if (r < 0) {
		uk_err_wrap(err, "%s: build '%s'", prog->where, prog->output);
	} else {
		_cleanup_close_ int fd = open(out, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? uk_err_errno(err, "%s: '%s' wrote no program", prog->where,
					  prog->cc.v[0])
			   : tree_add_fd(t, prog->output, fd,
					 prog->mode == PKG_MODE_UNSET ? 0755 : (mode_t)prog->mode,
					 0, 0, err);
	}
	struct uk_err ignore = { 0 };
	fs_rm_rf(dir, &ignore);
	uk_err_release(&ignore);
	return r;
}

static int add_programs(struct pkg *p, struct tree *t, struct uk_err *err)
{
	for (size_t i = 0; i < p->r.n_programs; i++) {
		const struct pkg_program *prog = &p->r.programs[i];
		if (prog->cc.n) {
			if (compile(p, t, prog, err) < 0)
				return -1;
			continue;
		}
		char hex[SHA256_HEX_LEN + 1];
		_cleanup_close_ int fd = open(p->progs[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return uk_err_errno(err, "%s: open '%s'", prog->where, p->progs[i].path);
		if (sha256_fd(fd, hex, err) < 0)
			return uk_err_wrap(err, "'%s'", p->progs[i].path);
		if (strcmp(hex, p->progs[i].sha256) != 0)
			return uk_err_set(err, "%s: '%s' changed since the tag was computed",
					  prog->where, p->progs[i].path);
		if (lseek(fd, 0, SEEK_SET) < 0)
			return uk_err_errno(err, "seek '%s'", p->progs[i].path);
		if (tree_add_fd(t, prog->output, fd,
				prog->mode == PKG_MODE_UNSET ? 0755 : (mode_t)prog->mode, 0, 0,
				err) < 0)
			return uk_err_wrap(err, "%s", prog->where);
	}
	return 0;
}

static mode_t git_mode(const struct stat *st)
{
	return (st->st_mode & 0111) ? 0755 : 0644;
}

/* Copies one entry of the package directory (and what is below it) to dst. */
static int copy_src(struct tree *t, int parent, const char *name, const char *dst, int mode,
		    uint32_t uid, uint32_t gid, int depth, struct uk_err *err)
{
	struct stat st;
	struct tree_entry e = { .path = (char *)dst, .uid = uid, .gid = gid };

	if (depth > 64)
		return uk_err_set(err, "'%s': nested too deep", dst);
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return uk_err_errno(err, "stat '%s'", name);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
		if (n < 0)
			return uk_err_errno(err, "read link '%s'", name);
		target[n] = '\0';
		e.type = TREE_SYMLINK;
		e.perm = 0777;
		e.link = target;
		return tree_add(t, &e, err);
	}
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return uk_err_errno(err, "open '%s'", name);
		return tree_add_fd(t, dst, fd,
				   mode == PKG_MODE_UNSET ? git_mode(&st) : (mode_t)mode, uid, gid,
				   err);
	}
	if (!S_ISDIR(st.st_mode))
		return uk_err_setc(err, UK_ERR_INPUT,
				   "'%s' is not a file, a directory or a symlink", name);
	e.type = TREE_DIR;
	e.perm = mode == PKG_MODE_UNSET ? 0755 : (mode_t)mode;
	if (tree_add(t, &e, err) < 0)
		return -1;
	_cleanup_close_ int sub =
		openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return uk_err_errno(err, "open directory '%s'", name);
	_cleanup_(strv_release) struct strv names = STRV_INIT;
	DIR *d = fdopendir(dup(sub));
	struct dirent *de;
	if (!d)
		return uk_err_errno(err, "read directory '%s'", name);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	}
	closedir(d);
	strv_sort(&names);
	for (size_t i = 0; i < names.n; i++) {
		_cleanup_free_ char *child = xasprintf("%s/%s", dst, names.v[i]);
		if (copy_src(t, sub, names.v[i], child, PKG_MODE_UNSET, uid, gid, depth + 1, err) <
		    0)
			return -1;
	}
	return 0;
}

static int add_files(struct pkg *p, struct tree *t, struct uk_err *err)
{
	_cleanup_close_ int dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return uk_err_errno(err, "open '%s'", p->dir);
	for (size_t i = 0; i < p->r.n_files; i++) {
		const struct pkg_file *f = &p->r.files[i];
		struct tree_entry e = { .path = f->dst, .uid = f->uid, .gid = f->gid };
		int r;
		if (f->src) {
			const char *last;
			int parent = open_parent_beneath(dfd, f->src, &last, err);
			if (parent < 0)
				return uk_err_wrap(err, "%s", f->where);
			r = copy_src(t, parent, last, f->dst, f->mode, f->uid, f->gid, 0, err);
			close(parent);
		} else if (f->contents) {
			r = tree_add_data(t, f->dst, f->contents, strlen(f->contents),
					  f->mode == PKG_MODE_UNSET ? 0644 : (mode_t)f->mode,
					  f->uid, f->gid, err);
		} else if (f->symlink) {
			e.type = TREE_SYMLINK;
			e.perm = 0777;
			e.link = f->symlink;
			r = tree_add(t, &e, err);
		} else {
			e.type = TREE_DIR;
			e.perm = f->mode == PKG_MODE_UNSET ? 0755 : (mode_t)f->mode;
			r = tree_add(t, &e, err);
		}
		if (r < 0)
			return uk_err_wrap(err, "%s", f->where);
	}
	return 0;
}

static char *debs_label(const struct pkg *p)
{
	struct strbuf sb = STRBUF_INIT;
	const struct deb_list *lists[] = { &p->kernel, &p->debs };

	for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			if (sb.len)
				strbuf_addch(&sb, ' ');
			strbuf_addf(&sb, "%s=%s", lists[k]->v[i].name, lists[k]->v[i].version);
		}
	}
	return strbuf_detach(&sb, NULL);
}

static int assemble(struct pkg *p, struct store *store, struct uk_err *err)
{
	_cleanup_(tree_freep) struct tree *t = NULL;
	_cleanup_free_ char *deb_dir =
		p->deb_dir ? xstrdup(p->deb_dir) : xasprintf("%s/debs", store_dir(store));
	_cleanup_free_ char *apt_cache = xasprintf("%s/apt", deb_dir);
	int64_t epoch = pkg_epoch();
	struct oci_desc layer = { 0 }, manifest = { 0 };
	char diff_id[OCI_DIGEST_MAX];
	int ret = -1;

	if (tree_new(&t, p->tmpdir, err) < 0)
		return -1;
	if (add_debs(p, t, deb_dir, apt_cache, err) < 0)
		goto out;
	if (p->kernel.n && add_kernel(p, t, deb_dir, apt_cache, epoch, err) < 0)
		goto out;
	if (add_programs(p, t, err) < 0 || add_files(p, t, err) < 0)
		goto out;
	if (tree_count(t) == 0) {
		uk_err_setc(err, UK_ERR_INPUT, "%s: the package is empty", p->yml);
		goto out;
	}
	say(p, "write the layer (%zu entries)", tree_count(t));
	if (tar_write_layer(t, epoch, store, &layer, diff_id, err) < 0)
		goto out;
	_cleanup_free_ char *debs = debs_label(p);
	struct pkg_image_info info = {
		.arch = p->arch,
		.epoch = epoch,
		.label = p->r.config,
		.debs = debs,
		.source = p->r.gitrepo,
		.env = p->r.env,
		.entrypoint = p->r.entrypoint,
		.cmd = p->r.cmd,
		.workdir = p->r.workdir,
	};
	if (pkg_image_write(store, &info, &layer, diff_id, &manifest, err) < 0)
		goto out;
	if (store_tag(store, p->ref, &manifest, err) < 0)
		goto out;
	ret = 0;
out:
	free(layer.media_type);
	free(manifest.media_type);
	return ret;
}

int pkg_build(struct pkg *p, struct store *store, bool *built, struct uk_err *err)
{
	if (!p->force) {
		struct oci_image img = { 0 };
		struct uk_err e = { 0 };
		if (store_image_resolve(store, p->ref, p->arch, &img, &e) == 0) {
			oci_image_release(&img);
			*built = false;
			return 0;
		}
		if (e.code != UK_ERR_NOT_FOUND) {
			*err = e;
			return uk_err_wrap(err, "look up '%s' in the store", p->name);
		}
		uk_err_release(&e);
	}
	say(p, "build %s", p->name);
	if (assemble(p, store, err) < 0)
		return uk_err_wrap(err, "build '%s'", p->name);
	*built = true;
	return 0;
}

/* ---- @pkg: references ---- */

#define TEMPLATE "@pkg:"

bool pkg_ref_is_template(const char *ref)
{
	return str_has_prefix(ref, TEMPLATE) || strstr(ref, ":" TEMPLATE) != NULL;
}

int pkg_resolve_ref_opts(struct store *store, const char *ref, const char *base_dir,
			 const struct pkg_opts *opts, char **resolved, struct uk_err *err)
{
	_cleanup_free_ char *name = NULL;
	const char *path;
	struct pkg *p = NULL;
	bool built;

	if (!pkg_ref_is_template(ref)) {
		*resolved = xstrdup(ref);
		return 0;
	}
	if (str_has_prefix(ref, TEMPLATE)) {
		path = ref + strlen(TEMPLATE);
	} else {
		const char *at = strstr(ref, ":" TEMPLATE);
		name = xstrndup(ref, (size_t)(at - ref));
		path = at + 1 + strlen(TEMPLATE);
	}
	if (!*path)
		return uk_err_setc(err, UK_ERR_INPUT, "'%s': no package directory after '@pkg:'",
				   ref);
	_cleanup_free_ char *dir =
		path[0] == '/' || !base_dir ? xstrdup(path) : xasprintf("%s/%s", base_dir, path);
	if (pkg_open(&p, dir, opts, err) < 0)
		return uk_err_wrap(err, "'%s'", ref);
	if (name) {
		_cleanup_free_ char *want =
			xasprintf("%s/%s", p->org ? p->org : p->r.org, p->r.image);
		_cleanup_free_ char *want_full = xasprintf("docker.io/%s", want);
		if (strcmp(name, want) != 0 && strcmp(name, want_full) != 0) {
			uk_err_setc(err, UK_ERR_INPUT,
				    "'%s' names '%s', but the package in '%s' is '%s'", ref, name,
				    dir, want);
			pkg_free(p);
			return -1;
		}
	}
	if (pkg_build(p, store, &built, err) < 0) {
		pkg_free(p);
		return uk_err_wrap(err, "'%s'", ref);
	}
	*resolved = xstrdup(p->ref);
	pkg_free(p);
	return 0;
}

int pkg_resolve_ref(struct store *store, const char *ref, const char *base_dir, char **resolved,
		    struct uk_err *err)
{
	return pkg_resolve_ref_opts(store, ref, base_dir, NULL, resolved, err);
}
