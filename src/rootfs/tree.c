// SPDX-License-Identifier: Apache-2.0
/* The file tree of an assembly: nodes, path resolution, writes and merges. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rootfs/internal.h"
#include "util/strbuf.h"

#define PATH_MAX_LEN 4095
#define SYMLINK_MAX_FOLLOW 40

static uint32_t node_hash(const struct rootfs_node *dir, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)dir;

	h *= 1099511628211ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ull;
	}
	return (uint32_t)(h ^ (h >> 32));
}

void rootfs_tree_init(struct rootfs_tree *t)
{
	t->nbuckets = 1024;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	t->count = 0;
	t->next_ino = 0;
	t->next_layer = 0;
}

void rootfs_tree_release(struct rootfs_tree *t)
{
	if (!t->buckets)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct rootfs_node *n = t->buckets[i];
		while (n) {
			struct rootfs_node *next = n->hnext;
			free(n->linkname);
			free(n);
			n = next;
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

static void hash_insert(struct rootfs_tree *t, struct rootfs_node *n)
{
	if (t->count >= t->nbuckets) {
		size_t nb = t->nbuckets * 2;
		struct rootfs_node **b = xcalloc(nb, sizeof(*b));
		for (size_t i = 0; i < t->nbuckets; i++) {
			struct rootfs_node *m = t->buckets[i];
			while (m) {
				struct rootfs_node *next = m->hnext;
				m->hnext = b[m->hash & (nb - 1)];
				b[m->hash & (nb - 1)] = m;
				m = next;
			}
		}
		free(t->buckets);
		t->buckets = b;
		t->nbuckets = nb;
	}
	n->hnext = t->buckets[n->hash & (t->nbuckets - 1)];
	t->buckets[n->hash & (t->nbuckets - 1)] = n;
	t->count++;
}

static void hash_remove(struct rootfs_tree *t, struct rootfs_node *n)
{
	struct rootfs_node **pp = &t->buckets[n->hash & (t->nbuckets - 1)];

	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	t->count--;
}

static struct rootfs_node *node_alloc(const char *name, size_t len)
{
	struct rootfs_node *n = xcalloc(1, sizeof(*n) + len + 1);

	memcpy(n->name, name, len);
	return n;
}

struct rootfs_node *rootfs_tree_new_root(struct rootfs_tree *t)
{
	struct rootfs_node *n = node_alloc("", 0);

	n->mode = S_IFDIR | 0755;
	n->hash = node_hash(NULL, "", 0);
	hash_insert(t, n);
	return n;
}

struct rootfs_node *rootfs_tree_lookup(const struct rootfs_tree *t, const struct rootfs_node *dir,
				       const char *name, size_t len)
{
	uint32_t h = node_hash(dir, name, len);

	for (struct rootfs_node *n = t->buckets[h & (t->nbuckets - 1)]; n; n = n->hnext) {
		if (n->hash == h && n->parent == dir && strncmp(n->name, name, len) == 0 &&
		    n->name[len] == '\0')
			return n;
	}
	return NULL;
}

static void link_child(struct rootfs_node *dir, struct rootfs_node *n)
{
	n->parent = dir;
	n->prev = NULL;
	n->next = dir->first;
	if (dir->first)
		dir->first->prev = n;
	dir->first = n;
}

static void unlink_child(struct rootfs_node *n)
{
	if (!n->parent)
		return;
	if (n->prev)
		n->prev->next = n->next;
	else
		n->parent->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

struct rootfs_node *rootfs_tree_add(struct rootfs_tree *t, struct rootfs_node *dir,
				    const char *name, size_t len, mode_t mode)
{
	struct rootfs_node *n = node_alloc(name, len);

	BUG_ON(!S_ISDIR(dir->mode));
	n->mode = mode;
	n->hash = node_hash(dir, name, len);
	link_child(dir, n);
	hash_insert(t, n);
	return n;
}

void rootfs_tree_remove(struct rootfs_tree *t, struct rootfs_node *n)
{
	while (n->first)
		rootfs_tree_remove(t, n->first);
	unlink_child(n);
	hash_remove(t, n);
	free(n->linkname);
	free(n);
}

void rootfs_tree_move(struct rootfs_tree *t, struct rootfs_node *n, struct rootfs_node *dir)
{
	hash_remove(t, n);
	unlink_child(n);
	link_child(dir, n);
	n->hash = node_hash(dir, n->name, strlen(n->name));
	hash_insert(t, n);
}

char *rootfs_tree_path(const struct rootfs_node *root, const struct rootfs_node *n)
{
	size_t len = 0;

	for (const struct rootfs_node *m = n; m && m != root; m = m->parent)
		len += strlen(m->name) + 1;
	char *p = xmalloc(len + 1);
	p[len] = '\0';
	for (const struct rootfs_node *m = n; m && m != root; m = m->parent) {
		size_t l = strlen(m->name);
		len -= l;
		memcpy(p + len, m->name, l);
		if (len)
			p[--len] = '/';
	}
	return p;
}

int rootfs_path_clean(const char *path, char *out, struct uk_err *err)
{
	const char *p = path;
	char *o = out;

	if (strlen(path) > PATH_MAX_LEN)
		return uk_err_setc(err, UK_ERR_INPUT, "'%.64s...': path too long", path);
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (len == 0 || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.')
			return uk_err_setc(err, UK_ERR_INPUT, "'%s': path contains '..'", path);
		if (o != out)
			*o++ = '/';
		memcpy(o, s, len);
		o += len;
	}
	*o = '\0';
	return 0;
}

static int follow(struct rootfs_tree *t, struct rootfs_node *root, struct rootfs_node *link,
		  uint32_t layer, bool create, unsigned *depth, struct rootfs_node **out,
		  struct uk_err *err);

/* Steps from dir into the component [name, name + len), following a link there. */
static int step(struct rootfs_tree *t, struct rootfs_node *root, struct rootfs_node *dir,
		const char *name, size_t len, uint32_t layer, bool create, unsigned *depth,
		struct rootfs_node **out, struct uk_err *err)
{
	struct rootfs_node *n = rootfs_tree_lookup(t, dir, name, len);

	if (!n) {
		if (!create)
			return uk_err_setc(err, UK_ERR_NOT_FOUND, "'%.*s' does not exist", (int)len,
					   name);
		n = rootfs_tree_add(t, dir, name, len, S_IFDIR | 0755);
		n->implicit = true;
		n->layer = layer;
	} else if (S_ISLNK(n->mode)) {
		if (follow(t, root, n, layer, create, depth, &n, err) < 0)
			return -1;
	} else if (!S_ISDIR(n->mode)) {
		return uk_err_setc(err, UK_ERR_INPUT, "'%.*s' is not a directory", (int)len, name);
	}
	*out = n;
	return 0;
}

static int follow(struct rootfs_tree *t, struct rootfs_node *root, struct rootfs_node *link,
		  uint32_t layer, bool create, unsigned *depth, struct rootfs_node **out,
		  struct uk_err *err)
{
	const char *p = link->linkname ? link->linkname : "";
	struct rootfs_node *cur = *p == '/' ? root : link->parent;

	if (++*depth > SYMLINK_MAX_FOLLOW)
		return uk_err_setc(err, UK_ERR_INPUT, "too many levels of symbolic links");
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (len == 0 || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (cur == root)
				return uk_err_setc(
					err, UK_ERR_INPUT,
					"symbolic link '%s' -> '%s' leads outside the root",
					link->name, link->linkname);
			cur = cur->parent;
			continue;
		}
		if (step(t, root, cur, s, len, layer, create, depth, &cur, err) < 0)
			return -1;
	}
	*out = cur;
	return 0;
}

static int resolve_parent(struct rootfs_tree *t, struct rootfs_node *root, const char *path,
			  uint32_t layer, bool create, struct rootfs_node **dir, const char **base,
			  struct uk_err *err)
{
	struct rootfs_node *cur = root;
	const char *p = path;
	unsigned depth = 0;

	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash)
			break;
		if (step(t, root, cur, p, (size_t)(slash - p), layer, create, &depth, &cur, err) <
		    0)
			return -1;
		p = slash + 1;
	}
	*dir = cur;
	*base = p;
	return 0;
}

int rootfs_resolve_parent(struct rootfs_tree *t, struct rootfs_node *root, const char *path,
			  uint32_t layer, struct rootfs_node **dir, const char **base,
			  struct uk_err *err)
{
	return resolve_parent(t, root, path, layer, true, dir, base, err);
}

int rootfs_resolve_existing(struct rootfs_tree *t, struct rootfs_node *root, const char *path,
			    struct rootfs_node **out, struct uk_err *err)
{
	struct rootfs_node *dir;
	const char *base;

	if (!*path) {
		*out = root;
		return 0;
	}
	if (resolve_parent(t, root, path, 0, false, &dir, &base, err) < 0)
		return -1;
	struct rootfs_node *n = rootfs_tree_lookup(t, dir, base, strlen(base));
	if (!n)
		return uk_err_setc(err, UK_ERR_NOT_FOUND, "'%s' does not exist", path);
	*out = n;
	return 0;
}

int rootfs_tree_put(struct rootfs_tree *t, struct rootfs_node *root, const char *path,
		    const struct rootfs_meta *m, uint32_t layer, struct rootfs_node **out,
		    struct uk_err *err)
{
	struct rootfs_node *dir;
	const char *base;

	BUG_ON(!*path);
	if (rootfs_resolve_parent(t, root, path, layer, &dir, &base, err) < 0)
		return -1;
	size_t len = strlen(base);
	struct rootfs_node *n = rootfs_tree_lookup(t, dir, base, len);
	if (n && S_ISDIR(n->mode) && S_ISDIR(m->mode)) {
		n->mode = m->mode;
		n->uid = m->uid;
		n->gid = m->gid;
		n->implicit = false;
		n->layer = layer;
		if (out)
			*out = n;
		return 0;
	}
	if (n)
		rootfs_tree_remove(t, n);
	n = rootfs_tree_add(t, dir, base, len, m->mode);
	n->uid = m->uid;
	n->gid = m->gid;
	n->layer = layer;
	if (S_ISREG(m->mode)) {
		n->size = m->size;
		n->off = m->off;
		n->ino = ++t->next_ino;
	} else if (S_ISLNK(m->mode)) {
		n->linkname = xstrdup(m->linkname ? m->linkname : "");
	} else if (S_ISCHR(m->mode) || S_ISBLK(m->mode)) {
		n->rdev_major = m->rdev_major;
		n->rdev_minor = m->rdev_minor;
	}
	if (out)
		*out = n;
	return 0;
}

int rootfs_tree_merge(struct rootfs_tree *t, struct rootfs_node *dst_root, struct rootfs_node *dst,
		      struct rootfs_node *src, struct uk_err *err)
{
	while (src->first) {
		struct rootfs_node *c = src->first;
		struct rootfs_node *d = rootfs_tree_lookup(t, dst, c->name, strlen(c->name));

		if (!d) {
			rootfs_tree_move(t, c, dst);
			continue;
		}
		if (S_ISDIR(c->mode) && c->implicit) {
			struct rootfs_node *target = d;
			unsigned depth = 0;
			if (S_ISLNK(d->mode) &&
			    follow(t, dst_root, d, d->layer, true, &depth, &target, err) < 0)
				return uk_err_wrap(err, "'%s'", c->name);
			if (S_ISDIR(target->mode)) {
				if (rootfs_tree_merge(t, dst_root, target, c, err) < 0)
					return -1;
				rootfs_tree_remove(t, c);
				continue;
			}
		} else if (S_ISDIR(c->mode) && S_ISDIR(d->mode)) {
			d->mode = c->mode;
			d->uid = c->uid;
			d->gid = c->gid;
			d->implicit = false;
			if (rootfs_tree_merge(t, dst_root, d, c, err) < 0)
				return -1;
			rootfs_tree_remove(t, c);
			continue;
		}
		rootfs_tree_remove(t, d);
		rootfs_tree_move(t, c, dst);
	}
	return 0;
}
