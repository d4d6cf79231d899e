// SPDX-License-Identifier: Apache-2.0
/*
 * The Debian side, through apt's own tools: apt-cache policy to check the
 * names, apt-get's solver on an empty system (a private, empty dpkg status
 * file) to add dependencies, apt-cache show for each package's archive
 * SHA256, and apt-get download in a private directory to fetch what the
 * cache lacks. Nothing here changes the host's apt state.
 */
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

void deb_list_release(struct deb_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].version);
		free(l->v[i].arch);
		free(l->v[i].filename);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

struct deb_pkg *deb_list_find(struct deb_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	}
	return NULL;
}

static struct deb_pkg *deb_list_add(struct deb_list *l, const char *name, const char *version)
{
	struct deb_pkg *p = deb_list_find(l, name);

	if (p) {
		free(p->version);
	} else {
		XGROW(l->v, l->alloc, l->n + 1);
		p = &l->v[l->n++];
		memset(p, 0, sizeof(*p));
		p->name = xstrdup(name);
	}
	p->version = version ? xstrdup(version) : NULL;
	return p;
}

static void deb_list_remove(struct deb_list *l, size_t i)
{
	free(l->v[i].name);
	free(l->v[i].version);
	free(l->v[i].arch);
	free(l->v[i].filename);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
	l->n--;
}

static const char *skip_line(const char *s)
{
	const char *nl = strchr(s, '\n');
	return nl ? nl + 1 : s + strlen(s);
}

int apt_parse_simulation(const char *out, struct deb_list *l, struct uk_err *err)
{
	for (const char *s = out; *s; s = skip_line(s)) {
		if (!str_has_prefix(s, "Inst "))
			continue;
		const char *p = s + 5;
		size_t n = strcspn(p, " \n");
		_cleanup_free_ char *name = xstrndup(p, n);
		p += n;
		while (*p == ' ')
			p++;
		if (*p == '[') { /* an upgrade: "[old] (new ...)" */
			p += strcspn(p, "]\n");
			if (*p == ']')
				p++;
			while (*p == ' ')
				p++;
		}
		if (*p != '(')
			return uk_err_setc(err, UK_ERR_CORRUPT, "apt-get: unexpected line '%.*s'",
					   (int)strcspn(s, "\n"), s);
		p++;
		n = strcspn(p, " )\n");
		_cleanup_free_ char *version = xstrndup(p, n);
		size_t group = strcspn(p, ")\n");
		_cleanup_free_ char *inside = xstrndup(p, group);
		char *arch = strrchr(inside, '[');
		struct deb_pkg *d = deb_list_add(l, name, version);
		if (arch) {
			arch++;
			arch[strcspn(arch, "]")] = '\0';
			free(d->arch);
			d->arch = xstrdup(arch);
		}
	}
	return 0;
}

int apt_parse_policy(const char *out, struct deb_list *l)
{
	_cleanup_free_ char *current = NULL;

	for (const char *s = out; *s; s = skip_line(s)) {
		size_t n = strcspn(s, "\n");
		if (n == 0)
			continue;
		if (s[0] != ' ' && s[n - 1] == ':') {
			free(current);
			current = xstrndup(s, n - 1);
			continue;
		}
		const char *p = s;
		while (*p == ' ')
			p++;
		if (current && str_has_prefix(p, "Candidate: ")) {
			p += strlen("Candidate: ");
			_cleanup_free_ char *v = xstrndup(p, strcspn(p, "\n"));
			deb_list_add(l, current, strcmp(v, "(none)") == 0 ? NULL : v);
			free(current);
			current = NULL;
		}
	}
	return 0;
}

static void stanza_apply(struct deb_list *l, const char *pkg, const char *version, const char *arch,
			 const char *filename, const char *sha, const char *size)
{
	if (!pkg || !version)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct deb_pkg *d = &l->v[i];
		if (strcmp(d->name, pkg) != 0 || !d->version || strcmp(d->version, version) != 0)
			continue;
		if (d->sha256[0] || !filename || !sha || strlen(sha) != SHA256_HEX_LEN)
			continue;
		memcpy(d->sha256, sha, SHA256_HEX_LEN + 1);
		free(d->filename);
		d->filename = xstrdup(filename);
		if (arch) {
			free(d->arch);
			d->arch = xstrdup(arch);
		}
		d->size = size ? strtoll(size, NULL, 10) : 0;
	}
}

int apt_parse_show(const char *out, struct deb_list *l, struct uk_err *err)
{
	char *pkg = NULL, *version = NULL, *arch = NULL, *filename = NULL, *sha = NULL,
	     *size = NULL;
	char **fields[] = { &pkg, &version, &arch, &filename, &sha, &size };
	static const char *const names[] = { "Package: ",  "Version: ", "Architecture: ",
					     "Filename: ", "SHA256: ",	"Size: " };
	const char *s = out;

	for (;;) {
		bool end = !*s;
		size_t n = strcspn(s, "\n");
		if (end || n == 0) {
			stanza_apply(l, pkg, version, arch, filename, sha, size);
			for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
				free(*fields[i]);
				*fields[i] = NULL;
			}
			if (end)
				break;
		}
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			if (str_has_prefix(s, names[i]) && !*fields[i]) {
				size_t k = strlen(names[i]);
				*fields[i] = xstrndup(s + k, n - k);
			}
		}
		s = skip_line(s);
	}
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].sha256[0])
			return uk_err_setc(err, UK_ERR_NOT_FOUND,
					   "debian package '%s' version '%s' not found in the "
					   "archive",
					   l->v[i].name, l->v[i].version ? l->v[i].version : "?");
	}
	return 0;
}

char *apt_parse_kernel_depends(const char *out)
{
	for (const char *s = out; *s; s = skip_line(s)) {
		const char *p = s;
		while (*p == ' ' || *p == '|')
			p++;
		if (!str_has_prefix(p, "Depends: linux-image-"))
			continue;
		p += strlen("Depends: ");
		size_t n = strcspn(p, " \n");
		const char *rest = p + strlen("linux-image-");
		if (*rest >= '0' && *rest <= '9')
			return xstrndup(p, n);
	}
	return NULL;
}

/*
 * Runs an apt tool (argv[0]) in the C locale, its output in *out. With cache,
 * apt keeps its parsed package lists there between runs: hosts often switch
 * apt's own cache off, and re-reading every list is most of apt's time. The
 * solver on an empty system has a cache of its own (it differs with the
 * dpkg status it was made from).
 */
static int run_apt(const struct strv *args, const char *cwd, const char *cache, bool empty_status,
		   struct strbuf *out, struct uk_err *err)
{
	_cleanup_(strv_release) struct strv argv = STRV_INIT;
	struct proc_opts o = PROC_OPTS_INIT;

	strv_push(&argv, args->v[0]);
	if (cache) {
		strv_push(&argv, "-o");
		strv_push_take(&argv,
			       xasprintf("Dir::Cache::srcpkgcache=%s/srcpkgcache.bin", cache));
		strv_push(&argv, "-o");
		strv_push_take(&argv,
			       xasprintf("Dir::Cache::pkgcache=%s/%s", cache,
					 empty_status ? "pkgcache-empty.bin" : "pkgcache.bin"));
	}
	for (size_t i = 1; i < args->n; i++)
		strv_push(&argv, args->v[i]);
	_cleanup_free_ const char **av = strv_argv(&argv);
	o.cwd = cwd;
	o.out = out;
	o.envp = pkg_c_locale_env();
	return proc_run(av, &o, err);
}

/* Checks that each name exists with an installable version; pinned names keep their version. */
static int check_names(const struct strv *names, const char *cache, struct deb_list *out,
		       struct uk_err *err)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_(deb_list_release) struct deb_list pol = DEB_LIST_INIT;
	_cleanup_(strv_release) struct strv argv = STRV_INIT;

	strv_push(&argv, "apt-cache");
	strv_push(&argv, "policy");
	for (size_t i = 0; i < names->n; i++)
		strv_push_take(&argv, xstrndup(names->v[i], strcspn(names->v[i], "=")));
	if (run_apt(&argv, NULL, cache, false, &sb, err) < 0)
		return uk_err_wrap(err, "look up debian packages");
	apt_parse_policy(sb.buf, &pol);
	for (size_t i = 0; i < names->n; i++) {
		const char *name = argv.v[i + 2];
		const char *pin = strchr(names->v[i], '=');
		struct deb_pkg *d = deb_list_find(&pol, name);
		if (!d)
			return uk_err_setc(err, UK_ERR_NOT_FOUND,
					   "debian package '%s' not found (is the name right? "
					   "are apt's lists up to date?)",
					   name);
		if (!d->version && !pin)
			return uk_err_setc(err, UK_ERR_NOT_FOUND,
					   "debian package '%s' has no installable version (a "
					   "virtual package? name the package that provides it)",
					   name);
		deb_list_add(out, name, pin ? pin + 1 : d->version);
	}
	return 0;
}

/* An empty dpkg status file: apt then solves for a system with nothing installed. */
static char *empty_status(const char *cache, bool *temporary, struct uk_err *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char *path;
	int fd;

	if (cache) {
		/* one file kept as it is: apt's cache stays valid while it does not change */
		path = xasprintf("%s/status-empty", cache);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		*temporary = false;
	} else {
		if (!tmpdir || !*tmpdir)
			tmpdir = "/tmp";
		path = xasprintf("%s/unikit-dpkg-status-XXXXXX", tmpdir);
		fd = mkostemp(path, O_CLOEXEC);
		*temporary = true;
	}
	if (fd < 0) {
		uk_err_errno(err, "create '%s'", path);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static int simulate(const struct strv *names, const char *cache, struct deb_list *out,
		    struct uk_err *err)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_(strv_release) struct strv argv = STRV_INIT;
	bool temporary;
	int r;

	_cleanup_free_ char *status = empty_status(cache, &temporary, err);
	if (!status)
		return -1;
	_cleanup_free_ char *opt_status = xasprintf("Dir::State::status=%s", status);
	const char *fixed[] = {
		"apt-get",
		"-s",
		"-q",
		"-o",
		opt_status,
		"-o",
		"APT::Install-Recommends=false",
		"-o",
		"APT::Install-Suggests=false",
		"install",
	};
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		strv_push(&argv, fixed[i]);
	for (size_t i = 0; i < names->n; i++)
		strv_push(&argv, names->v[i]);
	r = run_apt(&argv, NULL, cache, true, &sb, err);
	if (temporary)
		unlink(status);
	if (r < 0)
		return uk_err_wrap(err, "resolve the dependencies of the debian packages");
	return apt_parse_simulation(sb.buf, out, err);
}

static int cmp_deb(const void *a, const void *b)
{
	return strcmp(((const struct deb_pkg *)a)->name, ((const struct deb_pkg *)b)->name);
}

int apt_resolve(const struct strv *names, bool resolve, const struct strv *exclude,
		const char *cache, struct deb_list *out, struct uk_err *err)
{
	_cleanup_(deb_list_release) struct deb_list l = DEB_LIST_INIT;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_(strv_release) struct strv argv = STRV_INIT;

	if (cache && fs_mkdir_p(cache, 0755, err) < 0)
		return -1;
	if (resolve) {
		if (simulate(names, cache, &l, err) < 0) {
			/* a name apt does not know is the usual cause: say which, plainly */
			_cleanup_(deb_list_release) struct deb_list check = DEB_LIST_INIT;
			struct uk_err e2 = { 0 };
			if (check_names(names, cache, &check, &e2) < 0) {
				uk_err_release(err);
				*err = e2;
			}
			return -1;
		}
	} else if (check_names(names, cache, &l, err) < 0) {
		return -1;
	}
	for (size_t i = 0; i < l.n;) {
		if (exclude && strv_contains(exclude, l.v[i].name))
			deb_list_remove(&l, i);
		else
			i++;
	}
	if (l.n == 0)
		return uk_err_setc(err, UK_ERR_INPUT, "no debian packages left after 'exclude'");

	strv_push(&argv, "apt-cache");
	strv_push(&argv, "show");
	for (size_t i = 0; i < l.n; i++)
		strv_push_take(&argv, xasprintf("%s=%s", l.v[i].name, l.v[i].version));
	if (run_apt(&argv, NULL, cache, false, &sb, err) < 0)
		return uk_err_wrap(err, "look up debian packages");
	if (apt_parse_show(sb.buf, &l, err) < 0)
		return -1;
	qsort(l.v, l.n, sizeof(*l.v), cmp_deb);
	*out = l;
	memset(&l, 0, sizeof(l));
	return 0;
}

int apt_kernel_package(const char *name, const char *cache, char **out, struct uk_err *err)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	_cleanup_(strv_release) struct strv argv = STRV_INIT;

	if (cache && fs_mkdir_p(cache, 0755, err) < 0)
		return -1;
	strv_push(&argv, "apt-cache");
	strv_push(&argv, "depends");
	strv_push(&argv, name);
	if (run_apt(&argv, NULL, cache, false, &sb, err) < 0) {
		uk_err_release(err);
		return uk_err_setc(err, UK_ERR_NOT_FOUND,
				   "debian package '%s' not found (is the name right? are apt's "
				   "lists up to date?)",
				   name);
	}
	char *dep = apt_parse_kernel_depends(sb.buf);
	*out = dep ? dep : xstrdup(name);
	return 0;
}

static int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], struct uk_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sha256 h;
	char buf[65536];

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", path);
	sha256_init(&h);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sha256_release(&h);
			return uk_err_errno(err, "read '%s'", path);
		}
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
	}
	sha256_final_hex(&h, hex);
	return 0;
}

/* The one .deb apt-get download left in dir. */
static char *find_deb(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *found = NULL;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (str_has_suffix(de->d_name, ".deb") && !found)
			found = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	return found;
}

int apt_fetch(const struct deb_pkg *p, const char *dir, const char *cache, char **path,
	      struct uk_err *err)
{
	const char *base = strrchr(p->filename, '/');
	char hex[SHA256_HEX_LEN + 1];
	struct stat st;

	base = base ? base + 1 : p->filename;
	if (!*base || strcmp(base, "..") == 0 || base[0] == '.')
		return uk_err_setc(err, UK_ERR_CORRUPT, "debian package '%s': odd file name '%s'",
				   p->name, p->filename);
	if (fs_mkdir_p(dir, 0755, err) < 0)
		return -1;
	_cleanup_free_ char *final = xasprintf("%s/%s", dir, base);
	if (stat(final, &st) == 0) {
		if (sha256_file(final, hex, err) < 0)
			return -1;
		if (strcmp(hex, p->sha256) == 0) {
			*path = TAKE_PTR(final);
			return 0;
		}
		/* a damaged cache entry: fetch it again */
		unlink(final);
	}

	_cleanup_free_ char *tmp = xasprintf("%s/.download-XXXXXX", dir);
	if (!mkdtemp(tmp))
		return uk_err_errno(err, "create a directory in '%s'", dir);
	_cleanup_(strv_release) struct strv argv = STRV_INIT;
	strv_push(&argv, "apt-get");
	strv_push(&argv, "download");
	strv_push(&argv, "-q");
	if (geteuid() == 0) {
		/* as root, apt would drop to _apt, who cannot write our private directory */
		strv_push(&argv, "-o");
		strv_push(&argv, "APT::Sandbox::User=root");
	}
	strv_push_take(&argv, xasprintf("%s=%s", p->name, p->version));
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	int r = run_apt(&argv, tmp, cache, false, &sb, err);
	_cleanup_free_ char *got = r == 0 ? find_deb(tmp) : NULL;
	if (r < 0) {
		uk_err_wrap(err, "download debian package '%s' version '%s'", p->name, p->version);
	} else if (!got) {
		r = uk_err_set(err, "download debian package '%s' version '%s': no file", p->name,
			       p->version);
	} else if ((r = sha256_file(got, hex, err)) == 0 && strcmp(hex, p->sha256) != 0) {
		r = uk_err_setc(err, UK_ERR_CORRUPT,
				"debian package '%s' version '%s': sha256 %s, the archive says %s",
				p->name, p->version, hex, p->sha256);
	} else if (r == 0 && rename(got, final) < 0) {
		r = uk_err_errno(err, "rename into '%s'", final);
	}
	struct uk_err ignore = { 0 };
	fs_rm_rf(tmp, &ignore);
	uk_err_release(&ignore);
	if (r < 0)
		return -1;
	*path = TAKE_PTR(final);
	return 0;
}
