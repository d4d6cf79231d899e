// SPDX-License-Identifier: Apache-2.0
/*
 * Layers on arbitrary input: the bytes describe layers, one entry per line
 * ("f PATH DATA", "d PATH", "l PATH TARGET", "h PATH TARGET", "c PATH",
 * "---" between layers), written as tar archives with libarchive and applied
 * with whiteouts. Whatever the paths, links and whiteouts, the assembly must
 * not crash or leak, an error must name what it refused, and every entry the
 * walk gives must be a clean relative path, with hard links naming earlier
 * entries. The same bytes, taken as a raw (maybe compressed) layer, must not
 * crash libarchive's side either.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rootfs/internal.h"

struct mem {
	const uint8_t *p;
	size_t left;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len, struct uk_err *err)
{
	struct mem *m = ctx;

	if (len > m->left)
		len = m->left;
	memcpy(buf, m->p, len);
	m->p += len;
	m->left -= len;
	return (ssize_t)len;
}

static void apply(struct rootfs *r, const void *data, size_t len)
{
	struct mem m = { data, len };
	struct rootfs_tar_src src = { .read = mem_read, .ctx = &m };
	struct uk_err err = { 0 };

	if (rootfs_apply_tar(r, r->root, &src, true, &err) < 0) {
		if (!err.msg || !*err.msg)
			abort();
		uk_err_release(&err);
	}
}

struct seen {
	char **paths;
	size_t n;
};

static int check_entry(void *ctx, const struct rootfs_entry *e, struct rootfs_data *data,
		       struct uk_err *err)
{
	struct seen *s = ctx;
	char buf[4096];

	if (!*e->path || e->path[0] == '/' || strstr(e->path, "//") ||
	    e->path[strlen(e->path) - 1] == '/')
		abort();
	for (const char *p = e->path; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL) {
		if (!strncmp(p, "../", 3) || !strcmp(p, "..") || !strncmp(p, "./", 2) ||
		    !strcmp(p, "."))
			abort();
	}
	if (e->hardlink) {
		bool found = false;
		for (size_t i = 0; i < s->n && !found; i++)
			found = !strcmp(s->paths[i], e->linkname);
		if (!found)
			abort();
	}
	if (data) {
		uint64_t total = 0;
		ssize_t n;
		while ((n = rootfs_data_read(data, buf, sizeof(buf), err)) > 0)
			total += (uint64_t)n;
		if (n < 0 || total != e->size)
			abort();
	}
	s->paths = realloc(s->paths, (s->n + 1) * sizeof(*s->paths));
	s->paths[s->n++] = strdup(e->path);
	return 0;
}

/* Turns the text description into tar layers (in memory) and applies them one by one. */
static void described(struct rootfs *r, const char *text)
{
	const char *line = text;
	size_t cap = 1 << 20, used = 0;
	char *buf = malloc(cap);
	struct archive *a = NULL;

	for (;;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *l = strndup(line, len);
		bool sep = !strcmp(l, "---") || !end;
		if (!a) {
			a = archive_write_new();
			archive_write_set_format_pax_restricted(a);
			archive_write_open_memory(a, buf, cap, &used);
		}
		char kind = l[0];
		char *path = len > 2 ? l + 2 : NULL;
		char *arg = path ? strchr(path, ' ') : NULL;
		if (arg)
			*arg++ = '\0';
		if (path && *path && strchr("fdlhc", kind)) {
			struct archive_entry *e = archive_entry_new();
			archive_entry_set_pathname(e, path);
			archive_entry_set_uid(e, 0);
			archive_entry_set_gid(e, 0);
			switch (kind) {
			case 'f':
				archive_entry_set_mode(e, S_IFREG | 0644);
				archive_entry_set_size(e, arg ? (la_int64_t)strlen(arg) : 0);
				break;
			case 'd':
				archive_entry_set_mode(e, S_IFDIR | 0755);
				break;
			case 'l':
				archive_entry_set_mode(e, S_IFLNK | 0777);
				archive_entry_set_symlink(e, arg ? arg : "");
				break;
			case 'h':
				archive_entry_set_mode(e, S_IFREG | 0644);
				archive_entry_set_hardlink(e, arg ? arg : "");
				break;
			case 'c':
				archive_entry_set_mode(e, S_IFCHR | 0600);
				archive_entry_set_rdevmajor(e, 1);
				archive_entry_set_rdevminor(e, 3);
				break;
			}
			if (archive_write_header(a, e) == ARCHIVE_OK && kind == 'f' && arg)
				archive_write_data(a, arg, strlen(arg));
			archive_entry_free(e);
		}
		free(l);
		if (sep) {
			archive_write_close(a);
			archive_write_free(a);
			a = NULL;
			apply(r, buf, used);
			used = 0;
		}
		if (!end)
			break;
		line = end + 1;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rootfs *r;
	struct uk_err err = { 0 };
	struct seen s = { NULL, 0 };

	if (size > 65536)
		return 0;
	if (rootfs_new(&r, NULL, 0, &err) < 0)
		abort();
	char *text = strndup((const char *)data, size);
	described(r, text);
	free(text);
	apply(r, data, size);
	if (rootfs_foreach(r, check_entry, &s, &err) < 0)
		abort();
	for (size_t i = 0; i < s.n; i++)
		free(s.paths[i]);
	free(s.paths);
	rootfs_free(r);
	return 0;
}
