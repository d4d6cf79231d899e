// SPDX-License-Identifier: Apache-2.0
/* The assembled root: creation, LinuxKit's image filter, and the sorted walk. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs/internal.h"
#include "util/fs.h"
#include "util/strbuf.h"

int rootfs_new(struct rootfs **out, const char *tmpdir, int64_t epoch, struct uk_err *err)
{
	struct rootfs *r = xcalloc(1, sizeof(*r));

	if (tmpdir) {
		r->tmpdir = xstrdup(tmpdir);
	} else {
		const char *base = getenv("TMPDIR");
		r->tmpdir = xasprintf("%s/unikit-rootfs-XXXXXX", base && *base ? base : "/tmp");
		if (!mkdtemp(r->tmpdir)) {
			uk_err_errno(err, "create a directory like '%s'", r->tmpdir);
			free(r->tmpdir);
			free(r);
			return -1;
		}
		r->own_tmpdir = true;
	}
	rootfs_tree_init(&r->tree);
	r->root = rootfs_tree_new_root(&r->tree);
	r->epoch = epoch;
	r->cmdline = xstrdup("");
	if (rootfs_spool_new(&r->spool, r->tmpdir, err) < 0) {
		rootfs_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void rootfs_free(struct rootfs *r)
{
	if (!r)
		return;
	rootfs_tree_release(&r->tree);
	rootfs_spool_free(r->spool);
	if (r->kernel_path)
		unlink(r->kernel_path);
	if (r->ucode_path)
		unlink(r->ucode_path);
	if (r->own_tmpdir)
		rmdir(r->tmpdir);
	free(r->kernel_path);
	free(r->ucode_path);
	free(r->cmdline);
	free(r->tmpdir);
	free(r);
}

const char *rootfs_kernel_path(const struct rootfs *r)
{
	return r->kernel_path;
}

const char *rootfs_cmdline(const struct rootfs *r)
{
	return r->cmdline;
}

const char *rootfs_ucode_path(const struct rootfs *r)
{
	return r->ucode_path;
}

int rootfs_spool_data(struct rootfs *r, const void *data, size_t len, uint64_t *off,
		      struct uk_err *err)
{
	*off = rootfs_spool_size(r->spool);
	return rootfs_spool_write(r->spool, data, len, err);
}

int rootfs_put_file(struct rootfs *r, struct rootfs_node *root, const char *path, mode_t perm,
		    uint32_t uid, uint32_t gid, const void *data, size_t len, struct uk_err *err)
{
	struct rootfs_meta m = { .mode = S_IFREG | (perm & 07777), .uid = uid, .gid = gid };

	m.size = len;
	if (rootfs_spool_data(r, data, len, &m.off, err) < 0)
		return -1;
	return rootfs_tree_put(&r->tree, root, path, &m, r->tree.next_layer, NULL, err);
}

int rootfs_put_dir(struct rootfs *r, struct rootfs_node *root, const char *path, mode_t perm,
		   uint32_t uid, uint32_t gid, struct uk_err *err)
{
	struct rootfs_meta m = { .mode = S_IFDIR | (perm & 07777), .uid = uid, .gid = gid };

	return rootfs_tree_put(&r->tree, root, path, &m, r->tree.next_layer, NULL, err);
}

int rootfs_put_symlink(struct rootfs *r, struct rootfs_node *root, const char *path,
		       const char *target, mode_t perm, uint32_t uid, uint32_t gid,
		       struct uk_err *err)
{
	struct rootfs_meta m = { .mode = S_IFLNK | (perm & 07777), .uid = uid, .gid = gid };

	m.linkname = target;
	return rootfs_tree_put(&r->tree, root, path, &m, r->tree.next_layer, NULL, err);
}

/* ---- LinuxKit's filter (moby/build/image.go) ---- */

static const char etc_hosts[] = "127.0.0.1       localhost\n"
				"::1     localhost ip6-localhost ip6-loopback\n"
				"fe00::0 ip6-localnet\n"
				"ff00::0 ip6-mcastprefix\n"
				"ff02::1 ip6-allnodes\n"
				"ff02::2 ip6-allrouters\n";
static const char etc_resolv[] = "\n# no resolv.conf configured\n";

/* The node at a path, looked up component by component without following links. */
static struct rootfs_node *find_exact(struct rootfs *r, struct rootfs_node *root, const char *path)
{
	struct rootfs_node *n = root;

	while (n && *path) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);
		if (!S_ISDIR(n->mode))
			return NULL;
		n = rootfs_tree_lookup(&r->tree, n, path, len);
		path += len + (slash ? 1 : 0);
	}
	return n;
}

/* Gives path new content, keeping the owner and permissions of a regular file that was there. */
static int replace_content(struct rootfs *r, struct rootfs_node *img, struct rootfs_node *n,
			   const char *path, const char *content, struct uk_err *err)
{
	mode_t perm = 0644;
	uint32_t uid = 0, gid = 0;

	if (n && S_ISREG(n->mode)) {
		perm = n->mode & 07777;
		uid = n->uid;
		gid = n->gid;
	}
	return rootfs_put_file(r, img, path, perm, uid, gid, content, strlen(content), err);
}

int rootfs_filter_image(struct rootfs *r, struct rootfs_node *img, const char *resolv_symlink,
			struct uk_err *err)
{
	static const char *const drop[] = { ".dockerenv", "Dockerfile", "dev/console",
					    "etc/hostname" };
	static const char *const dirs[] = { "dev", "dev/pts", "dev/shm", "etc", "proc", "sys" };
	struct rootfs_node *n;

	for (size_t i = 0; i < ARRAY_SIZE(drop); i++) {
		if ((n = find_exact(r, img, drop[i])))
			rootfs_tree_remove(&r->tree, n);
	}
	/* LinuxKit drops dev/pts and dev/shm, then makes sure both exist as directories */
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		n = find_exact(r, img, dirs[i]);
		if (n && S_ISDIR(n->mode) && !n->implicit)
			continue;
		if (rootfs_put_dir(r, img, dirs[i], 0755, 0, 0, err) < 0)
			return -1;
	}
	n = find_exact(r, img, "etc/hosts");
	if (replace_content(r, img, n, "etc/hosts", etc_hosts, err) < 0)
		return -1;
	n = find_exact(r, img, "etc/resolv.conf");
	if (resolv_symlink) {
		if (rootfs_put_symlink(r, img, "etc/resolv.conf", resolv_symlink, 0644, 0, 0, err) <
		    0)
			return -1;
	} else if (replace_content(r, img, n, "etc/resolv.conf", etc_resolv, err) < 0) {
		return -1;
	}
	if (!find_exact(r, img, "etc/mtab") &&
	    rootfs_put_symlink(r, img, "etc/mtab", "/proc/mounts", 0755, 0, 0, err) < 0)
		return -1;
	return 0;
}

/* ---- the walk ---- */

struct rootfs_data {
	struct rootfs *r;
	uint64_t off, left;
};

ssize_t rootfs_data_read(struct rootfs_data *d, void *buf, size_t len, struct uk_err *err)
{
	if (len > d->left)
		len = (size_t)d->left;
	if (len && rootfs_spool_pread(d->r->spool, buf, len, d->off, err) < 0)
		return -1;
	d->off += len;
	d->left -= len;
	return (ssize_t)len;
}

/* Hard-link groups: the number of paths of each shared ino, and the first one walked. */
struct link_group {
	uint64_t ino;
	uint32_t count, walk_ino;
	char *first;
};

struct link_map {
	struct link_group *slots;
	size_t cap, used;
};

static struct link_group *link_map_get(struct link_map *m, uint64_t ino, bool add)
{
	if (add && (m->used + 1) * 2 > m->cap) {
		struct link_map bigger = { .cap = m->cap ? m->cap * 2 : 64 };
		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->slots[i].ino)
				continue;
			struct link_group *g = link_map_get(&bigger, m->slots[i].ino, true);
			*g = m->slots[i];
		}
		free(m->slots);
		*m = bigger;
	}
	if (!m->cap)
		return NULL;
	for (size_t i = (size_t)(ino * 0x9e3779b97f4a7c15ull) & (m->cap - 1);;
	     i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].ino == ino)
			return &m->slots[i];
		if (!m->slots[i].ino) {
			if (!add)
				return NULL;
			m->slots[i].ino = ino;
			m->used++;
			return &m->slots[i];
		}
	}
}

static void link_map_release(struct link_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].first);
	free(m->slots);
}

static void count_links(struct link_map *m, const struct rootfs_node *dir)
{
	for (const struct rootfs_node *c = dir->first; c; c = c->next) {
		if (S_ISREG(c->mode) && c->linked)
			link_map_get(m, c->ino, true)->count++;
		if (S_ISDIR(c->mode))
			count_links(m, c);
	}
}

struct walk {
	struct rootfs *r;
	rootfs_entry_fn fn;
	void *ctx;
	struct strbuf path;
	struct link_map links;
	uint32_t next_ino;
};

static int by_name(const void *a, const void *b)
{
	const struct rootfs_node *x = *(const struct rootfs_node *const *)a;
	const struct rootfs_node *y = *(const struct rootfs_node *const *)b;

	return strcmp(x->name, y->name);
}

static int walk_node(struct walk *w, struct rootfs_node *n, struct uk_err *err)
{
	struct rootfs_entry e = {
		.path = w->path.buf,
		.mode = n->mode,
		.uid = n->uid,
		.gid = n->gid,
		.mtime = w->r->epoch,
		.nlink = S_ISDIR(n->mode) ? 2 : 1,
		.ino = ++w->next_ino,
	};
	struct rootfs_data data = { .r = w->r };

	if (S_ISLNK(n->mode)) {
		e.linkname = n->linkname;
	} else if (S_ISCHR(n->mode) || S_ISBLK(n->mode)) {
		e.rdev_major = n->rdev_major;
		e.rdev_minor = n->rdev_minor;
	} else if (S_ISREG(n->mode)) {
		struct link_group *g = n->linked ? link_map_get(&w->links, n->ino, false) : NULL;
		if (g) {
			e.nlink = g->count;
			if (g->first) {
				e.hardlink = true;
				e.linkname = g->first;
				e.ino = g->walk_ino;
				w->next_ino--;
			} else {
				g->first = xstrdup(w->path.buf);
				g->walk_ino = e.ino;
			}
		}
		if (!e.hardlink) {
			e.size = n->size;
			data.off = n->off;
			data.left = n->size;
		}
	}
	return w->fn(w->ctx, &e, e.hardlink || !S_ISREG(n->mode) ? NULL : &data, err);
}

static int walk_dir(struct walk *w, struct rootfs_node *dir, struct uk_err *err)
{
	size_t n = 0, i = 0;
	int rc = 0;

	for (struct rootfs_node *c = dir->first; c; c = c->next)
		n++;
	if (!n)
		return 0;
	struct rootfs_node **kids = xmalloc(n * sizeof(*kids));
	for (struct rootfs_node *c = dir->first; c; c = c->next)
		kids[i++] = c;
	qsort(kids, n, sizeof(*kids), by_name);
	size_t base = w->path.len;
	for (i = 0; i < n && rc == 0; i++) {
		if (base)
			strbuf_addch(&w->path, '/');
		strbuf_addstr(&w->path, kids[i]->name);
		rc = walk_node(w, kids[i], err);
		if (rc == 0 && S_ISDIR(kids[i]->mode))
			rc = walk_dir(w, kids[i], err);
		strbuf_setlen(&w->path, base);
	}
	free(kids);
	return rc;
}

int rootfs_foreach(struct rootfs *r, rootfs_entry_fn fn, void *ctx, struct uk_err *err)
{
	struct walk w = { .r = r, .fn = fn, .ctx = ctx, .path = STRBUF_INIT };

	count_links(&w.links, r->root);
	int rc = walk_dir(&w, r->root, err);
	strbuf_release(&w.path);
	link_map_release(&w.links);
	return rc;
}
