// SPDX-License-Identifier: Apache-2.0
/*
 * Module loading without kmod: the `modalias` of every device on a bus is
 * matched (fnmatch) against modules.alias; a matching module is loaded with
 * finit_module(2) after its dependencies from modules.dep. Loading a bus
 * driver (virtio_pci) makes new devices appear, so the scan repeats until
 * nothing new loads. What no device asks for (file systems, veth, tun) the
 * kernel asks for when it is used: init is also /sbin/modprobe, the helper
 * the kernel runs for that, and the nodes of modules.devname are made in /dev
 * so that opening one loads its module. Compressed modules (.ko.xz, .ko.zst) are handed to the
 * kernel to decompress (MODULE_INIT_COMPRESSED_FILE): no library needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "init.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

struct alias {
	const char *pattern, *name;
	size_t prefix; /* the bytes of pattern before its first wildcard */
};

struct dep {
	char name[64]; /* normalised: '-' is '_' */
	char *line;    /* "path: dep dep ..." */
	int state;     /* 0 not tried, 1 loaded or present, -1 failed */
};

struct modules {
	char dir[PATH_MAX];
	char *alias_text, *dep_text;
	struct alias *aliases;
	size_t naliases;
	struct dep *deps;
	size_t ndeps;
	int loaded;
	char **seen; /* "BUS/DEVICE" already matched, sorted */
	size_t nseen;
};

static void normalise(char *dst, size_t cap, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < cap; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

/* The module name of a modules.dep path: "kernel/x/virtio-net.ko.xz" -> "virtio_net". */
static void path_to_name(char *dst, size_t cap, const char *path, size_t len)
{
	const char *base = path;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	size_t n = (size_t)(path + len - base);
	for (size_t i = 0; i + 3 <= n; i++) {
		if (!strncmp(base + i, ".ko", 3)) {
			n = i;
			break;
		}
	}
	normalise(dst, cap, base, n);
}

static int cmp_dep(const void *a, const void *b)
{
	return strcmp(((const struct dep *)a)->name, ((const struct dep *)b)->name);
}

struct modules *modules_open(const char *dir)
{
	struct modules *m = calloc(1, sizeof(*m));
	char path[PATH_MAX + 32];
	size_t cap = 0;

	if (!m)
		abort();
	pathf(m->dir, sizeof(m->dir), "%s", dir);
	pathf(path, sizeof(path), "%s/modules.alias", dir);
	m->alias_text = read_file(path, 64 << 20, NULL);
	pathf(path, sizeof(path), "%s/modules.dep", dir);
	m->dep_text = read_file(path, 64 << 20, NULL);
	if (!m->alias_text || !m->dep_text) {
		modules_close(m);
		return NULL;
	}
	for (char *line = m->alias_text, *next; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (strncmp(line, "alias ", 6) != 0)
			continue;
		char *pat = line + 6, *sp = strchr(pat, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		if (m->naliases == cap) {
			cap = cap ? cap * 2 : 256;
			m->aliases = realloc(m->aliases, cap * sizeof(*m->aliases));
			if (!m->aliases)
				abort();
		}
		m->aliases[m->naliases++] = (struct alias){ pat, sp + 1, strcspn(pat, "*?[\\") };
	}
	cap = 0;
	for (char *line = m->dep_text, *next; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		if (m->ndeps == cap) {
			cap = cap ? cap * 2 : 256;
			m->deps = realloc(m->deps, cap * sizeof(*m->deps));
			if (!m->deps)
				abort();
		}
		struct dep *d = &m->deps[m->ndeps++];
		memset(d, 0, sizeof(*d));
		path_to_name(d->name, sizeof(d->name), line, (size_t)(colon - line));
		d->line = line;
	}
	if (m->ndeps)
		qsort(m->deps, m->ndeps, sizeof(*m->deps), cmp_dep);
	return m;
}

void modules_close(struct modules *m)
{
	if (!m)
		return;
	free(m->alias_text);
	free(m->dep_text);
	free(m->aliases);
	free(m->deps);
	for (size_t i = 0; i < m->nseen; i++)
		free(m->seen[i]);
	free(m->seen);
	free(m);
}

void modules_match(struct modules *m, const char *modalias,
		   void (*fn)(struct modules *m, const char *name, void *arg), void *arg)
{
	for (size_t i = 0; i < m->naliases; i++) {
		const struct alias *a = &m->aliases[i];
		/* most patterns differ from the alias in their literal head: skip fnmatch */
		if (strncmp(a->pattern, modalias, a->prefix) != 0)
			continue;
		if (fnmatch(a->pattern, modalias, 0) == 0)
			fn(m, a->name, arg);
	}
}

static struct dep *find_dep(struct modules *m, const char *name, size_t len)
{
	struct dep key;

	normalise(key.name, sizeof(key.name), name, len);
	return bsearch(&key, m->deps, m->ndeps, sizeof(*m->deps), cmp_dep);
}

static int load_path(struct modules *m, const char *rel, size_t len, const char *params)
{
	char path[PATH_MAX];
	bool compressed = len > 3 && strncmp(rel + len - 3, ".ko", 3) != 0;

	pathf(path, sizeof(path), "%s/%.*s", m->dir, (int)len, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("module '%s': %s", path, strerror(errno));
		return -1;
	}
	long r =
		syscall(SYS_finit_module, fd, params, compressed ? MODULE_INIT_COMPRESSED_FILE : 0);
	int e = errno;
	close(fd);
	if (r < 0 && e != EEXIST) {
		log_warn("module '%s': %s%s", path, strerror(e),
			 compressed && e == EINVAL ? " (the kernel cannot decompress modules)"
						   : "");
		return -1;
	}
	return r < 0 ? 0 : 1;
}

/* Loads D after its dependencies; PARAMS are D's own. -1, 0 (there already) or 1. */
static int load_dep(struct modules *m, struct dep *d, int depth, const char *params)
{
	char sysmod[128];
	struct stat st;

	if (d->state != 0)
		return d->state < 0 ? -1 : 0;
	pathf(sysmod, sizeof(sysmod), "/sys/module/%s/initstate", d->name);
	if (stat(sysmod, &st) == 0) {
		d->state = 1;
		return 0;
	}
	d->state = -1; /* also stops a dependency cycle */
	char *colon = strchr(d->line, ':');
	/* dependencies first, each after its own */
	for (char *p = colon + 1; *p && depth < 16;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		char name[64];
		path_to_name(name, sizeof(name), p, n);
		struct dep *sub = find_dep(m, name, strlen(name));
		if (sub && load_dep(m, sub, depth + 1, "") < 0)
			return -1;
		p += n;
	}
	int r = load_path(m, d->line, (size_t)(colon - d->line), params);
	if (r < 0)
		return -1;
	d->state = 1;
	if (r > 0) {
		m->loaded++;
		log_debug("loaded module '%s'", d->name);
	}
	return r;
}

int modules_load(struct modules *m, const char *name, const char *params)
{
	struct dep *d = find_dep(m, name, strlen(name));

	if (!d) {
		errno = ENOENT;
		return -1;
	}
	return load_dep(m, d, 0, params);
}

static void load_cb(struct modules *m, const char *name, void *arg)
{
	int *count = arg;
	struct dep *d = find_dep(m, name, strlen(name));

	if (d && d->state == 0 && load_dep(m, d, 0, "") > 0)
		(*count)++;
}

/* Loads the modules for one modalias file (DIRFD/PATH), if it has any. */
static void load_for(struct modules *m, int dirfd, const char *path, int *count)
{
	char alias[512];
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, alias, sizeof(alias) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	alias[n] = '\0';
	alias[strcspn(alias, "\n")] = '\0';
	modules_match(m, alias, load_cb, count);
}

/* Whether KEY ("BUS/DEVICE") is new; it is remembered. */
static bool first_sight(struct modules *m, const char *key)
{
	size_t lo = 0, hi = m->nseen;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(key, m->seen[mid]);
		if (c == 0)
			return false;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	char *copy = strdup(key);
	char **v = realloc(m->seen, (m->nseen + 1) * sizeof(*v));
	if (!copy || !v)
		abort();
	memmove(v + lo + 1, v + lo, (m->nseen - lo) * sizeof(*v));
	v[lo] = copy;
	m->seen = v;
	m->nseen++;
	return true;
}

/*
 * Every device with a modalias is on a bus: /sys/bus/BUS/devices/ lists them
 * all, which is far less to read than the whole of /sys/devices (the one
 * other modalias, the CPU features', is read by the caller). A device seen
 * in an earlier pass is not read again: only the new ones can need more.
 */
static void scan_buses(struct modules *m, int *count)
{
	DIR *buses = opendir("/sys/bus");
	struct dirent *b;

	if (!buses)
		return;
	while ((b = readdir(buses))) {
		char path[PATH_MAX];
		if (b->d_name[0] == '.')
			continue;
		pathf(path, sizeof(path), "/sys/bus/%s/devices", b->d_name);
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *devs = dfd < 0 ? NULL : fdopendir(dfd);
		struct dirent *d;
		if (!devs) {
			if (dfd >= 0)
				close(dfd);
			continue;
		}
		while ((d = readdir(devs))) {
			if (d->d_name[0] == '.')
				continue;
			pathf(path, sizeof(path), "%s/%s", b->d_name, d->d_name);
			if (!first_sight(m, path))
				continue;
			pathf(path, sizeof(path), "%s/modalias", d->d_name);
			load_for(m, dfd, path, count);
		}
		closedir(devs);
	}
	closedir(buses);
}

/* /etc/modules-load: one module name per line, '#' comments. */
static void load_listed(struct modules *m, const char *file)
{
	char *text = read_file(file, 1 << 20, NULL);

	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		line += strspn(line, " \t");
		line[strcspn(line, " \t#")] = '\0';
		if (!*line)
			continue;
		if (modules_load(m, line, "") < 0 && errno == ENOENT)
			log_warn("%s: no module '%s'", file, line);
	}
	free(text);
}

/* ROOT/lib/modules/RELEASE of the running kernel into DIR; -1 if uname fails. */
static int modules_dir(const char *root, char *dir, size_t len)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -1;
	return pathf(dir, len, "%s/lib/modules/%s", root, u.release);
}

struct modules *modules_open_root(const char *root)
{
	char dir[PATH_MAX];

	if (modules_dir(root, dir, sizeof(dir)) < 0)
		return NULL;
	struct modules *m = modules_open(dir);
	if (!m)
		log_debug("no modules.alias or modules.dep in '%s'", dir);
	return m;
}

/* modules.devname's nodes ("tun net/tun c10:200") under ROOT, so that opening one loads its module.
 */
static void static_nodes(struct modules *m, const char *root)
{
	char path[PATH_MAX + 32];

	pathf(path, sizeof(path), "%s/modules.devname", m->dir);
	char *text = read_file(path, 1 << 20, NULL);
	for (char *line = text, *next; line && *line; line = next) {
		char name[64], node[128], type;
		unsigned major, minor;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (line[0] == '#' ||
		    sscanf(line, "%63s %127s %c%u:%u", name, node, &type, &major, &minor) != 5 ||
		    (type != 'c' && type != 'b') || strstr(node, ".."))
			continue;
		pathf(path, sizeof(path), "%s/dev/%s", root, node);
		char *slash = strrchr(path, '/');
		*slash = '\0';
		mkdir_p(path, 0755);
		*slash = '/';
		if (mknod(path, (type == 'c' ? S_IFCHR : S_IFBLK) | 0600, makedev(major, minor)) <
			    0 &&
		    errno != EEXIST)
			log_debug("cannot make '%s': %s", path, strerror(errno));
	}
	free(text);
}

int modules_load_all(const char *root)
{
	char file[PATH_MAX];
	struct modules *m = modules_open_root(root);

	if (!m)
		return 0;
	static_nodes(m, root);
	pathf(file, sizeof(file), "%s/etc/modules-load", root);
	load_listed(m, file);
	/* a bus driver (virtio_pci) makes new devices appear: again until none loads */
	for (int pass = 0; pass < 4; pass++) {
		int count = 0;
		scan_buses(m, &count);
		if (count == 0)
			break;
	}
	int loaded = m->loaded;
	modules_close(m);
	return loaded;
}

int modules_load_cpu(const char *root)
{
	struct modules *m = modules_open_root(root);
	int count = 0;

	if (!m)
		return 0;
	/* the CPU's features are the modalias of the cpu subsystem's own device */
	load_for(m, AT_FDCWD, "/sys/devices/system/cpu/modalias", &count);
	int loaded = m->loaded;
	modules_close(m);
	return loaded;
}

struct probe {
	int matched, failed;
};

static void probe_cb(struct modules *m, const char *name, void *arg)
{
	struct probe *p = arg;
	struct dep *d = find_dep(m, name, strlen(name));

	if (!d)
		return;
	p->matched++;
	if (load_dep(m, d, 0, "") < 0)
		p->failed++;
}

/* Whether modules.builtin names NAME: built into the kernel is as good as loaded. */
static bool builtin(struct modules *m, const char *name)
{
	char path[PATH_MAX + 32], want[64], have[64];
	char *text;
	bool found = false;

	pathf(path, sizeof(path), "%s/modules.builtin", m->dir);
	text = read_file(path, 16 << 20, NULL);
	normalise(want, sizeof(want), name, strlen(name));
	for (char *line = text, *next; line && *line && !found; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		path_to_name(have, sizeof(have), line, strlen(line));
		found = !strcmp(have, want);
	}
	free(text);
	return found;
}

/* NAME as a module, else as an alias (fs-overlay, rtnl-link-veth, char-major-10-200). */
static int probe_one(struct modules *m, const char *name, const char *params)
{
	struct probe p = { 0 };

	if (modules_load(m, name, params) >= 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	modules_match(m, name, probe_cb, &p);
	if (p.matched == 0 && !builtin(m, name)) {
		errno = ENOENT;
		return -1;
	}
	return p.failed ? -1 : 0;
}

int modules_probe(struct modules *m, const char *name)
{
	return probe_one(m, name, "");
}

/* A line for dmesg: what the kernel asked for and got. */
__attribute__((format(printf, 1, 2))) static void kmsg(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	int n = snprintf(line, sizeof(line), "<6>modprobe: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	write_all(fd, line, strlen(line));
	close(fd);
}

/*
 * modprobe [-q] [-a] [--] NAME [PARAM=VALUE...]: what the kernel runs to
 * load a module on demand ("modprobe -q -- fs-overlay"), and a small modprobe
 * for the shell. -a takes every argument as a NAME.
 */
int modules_modprobe(int argc, char **argv)
{
	static const char usage[] = "usage: modprobe [-q] [-a] [--] NAME [PARAM=VALUE...]\n";
	bool quiet = false, all = false;
	int i = 1;
	char dir[PATH_MAX], params[1024] = "";

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		for (const char *o = argv[i] + 1; *o; o++) {
			if (*o == 'q')
				quiet = true;
			else if (*o == 'a')
				all = true;
			else if (*o != 'b' && *o != 's') { /* blacklist, syslog: nothing to do */
				fputs(usage, stderr);
				return 2;
			}
		}
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (modules_dir("", dir, sizeof(dir)) < 0)
		return 1;
	struct modules *m = modules_open(dir);
	if (!m) {
		if (!quiet)
			fprintf(stderr, "modprobe: no modules.dep or modules.alias in '%s'\n", dir);
		return 1;
	}
	int status = 0, last = all ? argc : i + 1;
	for (int k = i + 1; !all && k < argc; k++)
		pathf(params + strlen(params), sizeof(params) - strlen(params), "%s%s",
		      params[0] ? " " : "", argv[k]);
	for (int k = i; k < last; k++) {
		int before = m->loaded;
		if (probe_one(m, argv[k], params) == 0) {
			if (m->loaded > before)
				kmsg("loaded %d module%s for '%s'", m->loaded - before,
				     m->loaded - before > 1 ? "s" : "", argv[k]);
			continue;
		}
		status = 1;
		if (!quiet)
			fprintf(stderr, "modprobe: '%s': %s\n", argv[k],
				errno == ENOENT ? "no such module in this kernel's set"
						: strerror(errno));
	}
	modules_close(m);
	return status;
}
