// SPDX-License-Identifier: Apache-2.0
/*
 * Module loading without modprobe: every `modalias` file under /sys/devices is
 * matched (fnmatch) against modules.alias; a matching module is loaded with
 * finit_module(2) after its dependencies from modules.dep. Loading a bus
 * driver (virtio_pci) makes new devices appear, so the walk repeats until
 * nothing new loads. Compressed modules (.ko.xz, .ko.zst) are handed to the
 * kernel to decompress (MODULE_INIT_COMPRESSED_FILE): no library needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

static int load_path(struct modules *m, const char *rel, size_t len)
{
	char path[PATH_MAX];
	bool compressed = len > 3 && strncmp(rel + len - 3, ".ko", 3) != 0;

	pathf(path, sizeof(path), "%s/%.*s", m->dir, (int)len, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("module '%s': %s", path, strerror(errno));
		return -1;
	}
	long r = syscall(SYS_finit_module, fd, "", compressed ? MODULE_INIT_COMPRESSED_FILE : 0);
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

static int load_dep(struct modules *m, struct dep *d, int depth)
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
		if (sub && load_dep(m, sub, depth + 1) < 0)
			return -1;
		p += n;
	}
	int r = load_path(m, d->line, (size_t)(colon - d->line));
	if (r < 0)
		return -1;
	d->state = 1;
	if (r > 0) {
		m->loaded++;
		log_debug("loaded module '%s'", d->name);
	}
	return r;
}

int modules_load(struct modules *m, const char *name)
{
	struct dep *d = find_dep(m, name, strlen(name));

	if (!d) {
		errno = ENOENT;
		return -1;
	}
	return load_dep(m, d, 0);
}

static void load_cb(struct modules *m, const char *name, void *arg)
{
	int *count = arg;
	struct dep *d = find_dep(m, name, strlen(name));

	if (d && d->state == 0 && load_dep(m, d, 0) > 0)
		(*count)++;
}

/* Walks sysfs below dirfd (not following links) for modalias files. */
static void walk(struct modules *m, int dirfd, int depth, int *count)
{
	int fd = dup(dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_DIR && depth < 24) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub >= 0) {
				walk(m, sub, depth + 1, count);
				close(sub);
			}
		} else if (de->d_type == DT_REG && !strcmp(de->d_name, "modalias")) {
			char alias[512];
			int afd = openat(dirfd, "modalias", O_RDONLY | O_CLOEXEC);
			ssize_t n = afd < 0 ? -1 : read(afd, alias, sizeof(alias) - 1);
			if (afd >= 0)
				close(afd);
			if (n <= 0)
				continue;
			alias[n] = '\0';
			alias[strcspn(alias, "\n")] = '\0';
			modules_match(m, alias, load_cb, count);
		}
	}
	closedir(d);
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
		if (modules_load(m, line) < 0 && errno == ENOENT)
			log_warn("%s: no module '%s'", file, line);
	}
	free(text);
}

int modules_load_all(const char *root)
{
	struct utsname u;
	char dir[PATH_MAX], file[PATH_MAX];

	if (uname(&u) < 0)
		return 0;
	pathf(dir, sizeof(dir), "%s/lib/modules/%s", root, u.release);
	struct modules *m = modules_open(dir);
	if (!m) {
		log_debug("no modules.alias or modules.dep in '%s'", dir);
		return 0;
	}
	pathf(file, sizeof(file), "%s/etc/modules-load", root);
	load_listed(m, file);
	for (int pass = 0; pass < 4; pass++) {
		int count = 0;
		int fd = open("/sys/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			break;
		walk(m, fd, 0, &count);
		close(fd);
		if (count == 0)
			break;
	}
	int loaded = m->loaded;
	modules_close(m);
	return loaded;
}
