// SPDX-License-Identifier: Apache-2.0
/*
 * The entries of the image layer, by path: metadata in memory, file data
 * appended to one unnamed temporary file (the spool), so a package of any
 * size costs memory only for its names. Later additions replace earlier ones
 * (files from the package directory win over Debian's), as layers would.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkg/pkg-internal.h"

struct tree {
	struct tree_entry **v; /* in insertion order; NULL where an entry was removed */
	size_t n, alloc;
	size_t *slots; /* open addressing: index + 1 into v, 0 when free */
	size_t n_slots, used;
	int spool;
	uint64_t spool_len;
	uint64_t next_data_id;
	struct tree_entry **sorted;
	bool dirty;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

int tree_new(struct tree **out, const char *tmpdir, struct uk_err *err)
{
	struct tree *t = xcalloc(1, sizeof(*t));

	if (!tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	t->spool = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (t->spool < 0) {
		_cleanup_free_ char *tmpl = xasprintf("%s/unikit-spool-XXXXXX", tmpdir);
		t->spool = mkostemp(tmpl, O_CLOEXEC);
		if (t->spool < 0) {
			free(t);
			return uk_err_errno(err, "create a temporary file in '%s'", tmpdir);
		}
		unlink(tmpl);
	}
	t->n_slots = 1024;
	t->slots = xcalloc(t->n_slots, sizeof(*t->slots));
	t->next_data_id = 1;
	*out = t;
	return 0;
}

static void entry_free(struct tree_entry *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->link);
	free(e);
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		entry_free(t->v[i]);
	free(t->v);
	free(t->slots);
	free(t->sorted);
	if (t->spool >= 0)
		close(t->spool);
	free(t);
}

size_t tree_count(const struct tree *t)
{
	size_t c = 0;

	for (size_t i = 0; i < t->n; i++)
		c += t->v[i] != NULL;
	return c;
}

/* The slot that holds path, or the free slot where it would go. */
static size_t *find_slot(const struct tree *t, const char *path)
{
	size_t mask = t->n_slots - 1;

	for (size_t i = hash_str(path) & mask;; i = (i + 1) & mask) {
		size_t *s = &t->slots[i];
		if (*s == 0)
			return s;
		const struct tree_entry *e = t->v[*s - 1];
		if (e && strcmp(e->path, path) == 0)
			return s;
	}
}

static void rehash(struct tree *t)
{
	free(t->slots);
	t->n_slots *= 2;
	t->slots = xcalloc(t->n_slots, sizeof(*t->slots));
	t->used = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!t->v[i])
			continue;
		*find_slot(t, t->v[i]->path) = i + 1;
		t->used++;
	}
}

const struct tree_entry *tree_get(const struct tree *t, const char *path)
{
	size_t *s = find_slot(t, path);

	return *s ? t->v[*s - 1] : NULL;
}

static struct tree_entry *get_mut(struct tree *t, const char *path)
{
	size_t *s = find_slot(t, path);

	return *s ? t->v[*s - 1] : NULL;
}

static void insert(struct tree *t, struct tree_entry *e)
{
	if ((t->used + 1) * 2 > t->n_slots)
		rehash(t);
	XGROW(t->v, t->alloc, t->n + 1);
	t->v[t->n++] = e;
	*find_slot(t, e->path) = t->n;
	t->used++;
	t->dirty = true;
}

static int ensure_parents(struct tree *t, const char *path, struct uk_err *err)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return 0;
	_cleanup_free_ char *parent = xstrndup(path, (size_t)(slash - path));
	const struct tree_entry *p = tree_get(t, parent);
	if (p) {
		if (p->type != TREE_DIR)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "'%s' needs '%s' to be a directory, and it is not", path,
					   parent);
		return 0;
	}
	if (ensure_parents(t, parent, err) < 0)
		return -1;
	struct tree_entry *d = xcalloc(1, sizeof(*d));
	d->path = TAKE_PTR(parent);
	d->type = TREE_DIR;
	d->perm = 0755;
	d->implicit = true;
	insert(t, d);
	return 0;
}

int tree_add(struct tree *t, const struct tree_entry *e, struct uk_err *err)
{
	struct tree_entry *old = get_mut(t, e->path);

	if (old) {
		if (old->type == TREE_DIR && e->type == TREE_DIR) {
			/* the same directory from another source: the later one says how it is */
			old->perm = e->perm;
			old->uid = e->uid;
			old->gid = e->gid;
			old->implicit = old->implicit && e->implicit;
			return 0;
		}
		if (old->type == TREE_DIR || e->type == TREE_DIR)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "'%s' is a directory in one place and not in another",
					   e->path);
		free(old->link);
		char *path = old->path;
		*old = *e;
		old->path = path;
		old->link = e->link ? xstrdup(e->link) : NULL;
		t->dirty = true;
		return 0;
	}
	if (ensure_parents(t, e->path, err) < 0)
		return -1;
	struct tree_entry *n = xmalloc(sizeof(*n));
	*n = *e;
	n->path = xstrdup(e->path);
	n->link = e->link ? xstrdup(e->link) : NULL;
	insert(t, n);
	return 0;
}

int tree_spool_begin(struct tree *t, uint64_t *off)
{
	*off = t->spool_len;
	return 0;
}

int tree_spool_write(struct tree *t, const void *data, size_t len, struct uk_err *err)
{
	const char *p = data;

	while (len) {
		ssize_t n = pwrite(t->spool, p, len, (off_t)t->spool_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uk_err_errno(err, "write the spool file");
		}
		p += n;
		len -= (size_t)n;
		t->spool_len += (uint64_t)n;
	}
	return 0;
}

int tree_add_spooled(struct tree *t, const char *path, uint64_t off, mode_t perm,
		     struct uk_err *err)
{
	struct tree_entry e = {
		.path = (char *)path,
		.type = TREE_REG,
		.perm = perm & 07777,
		.off = off,
		.size = t->spool_len - off,
		.data_id = t->next_data_id++,
	};

	return tree_add(t, &e, err);
}

int tree_add_data(struct tree *t, const char *path, const void *data, size_t len, mode_t perm,
		  uint32_t uid, uint32_t gid, struct uk_err *err)
{
	uint64_t off = t->spool_len;

	if (tree_spool_write(t, data, len, err) < 0)
		return -1;
	struct tree_entry e = {
		.path = (char *)path,
		.type = TREE_REG,
		.perm = perm & 07777,
		.uid = uid,
		.gid = gid,
		.off = off,
		.size = len,
		.data_id = t->next_data_id++,
	};
	return tree_add(t, &e, err);
}

int tree_add_fd(struct tree *t, const char *path, int fd, mode_t perm, uint32_t uid, uint32_t gid,
		struct uk_err *err)
{
	uint64_t off = t->spool_len;
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uk_err_errno(err, "read the data of '%s'", path);
		}
		if (n == 0)
			break;
		if (tree_spool_write(t, buf, (size_t)n, err) < 0)
			return -1;
	}
	struct tree_entry e = {
		.path = (char *)path,
		.type = TREE_REG,
		.perm = perm & 07777,
		.uid = uid,
		.gid = gid,
		.off = off,
		.size = t->spool_len - off,
		.data_id = t->next_data_id++,
	};
	return tree_add(t, &e, err);
}

int tree_add_archive_entry(struct tree *t, const char *path, struct archive *a,
			   struct archive_entry *ae, struct uk_err *err)
{
	struct tree_entry e = {
		.path = (char *)path,
		.perm = archive_entry_perm(ae) & 07777,
		.uid = (uint32_t)archive_entry_uid(ae),
		.gid = (uint32_t)archive_entry_gid(ae),
	};
	const char *hl = archive_entry_hardlink(ae);

	if (hl) {
		_cleanup_free_ char *target = pkg_path_normalise(hl);
		const struct tree_entry *te = target ? tree_get(t, target) : NULL;
		if (!te || te->type != TREE_REG)
			return uk_err_setc(err, UK_ERR_CORRUPT,
					   "hard link '%s' to '%s', which is not a file before it",
					   path, hl);
		e.type = TREE_REG;
		e.off = te->off;
		e.size = te->size;
		e.data_id = te->data_id;
		return tree_add(t, &e, err);
	}
	switch (archive_entry_filetype(ae)) {
	case AE_IFDIR:
		e.type = TREE_DIR;
		return tree_add(t, &e, err);
	case AE_IFLNK:
		e.type = TREE_SYMLINK;
		e.link = (char *)archive_entry_symlink(ae);
		if (!e.link || !*e.link)
			return uk_err_setc(err, UK_ERR_CORRUPT, "symlink '%s' has no target", path);
		return tree_add(t, &e, err);
	case AE_IFCHR:
	case AE_IFBLK:
		e.type = archive_entry_filetype(ae) == AE_IFCHR ? TREE_CHR : TREE_BLK;
		e.rmajor = (uint32_t)archive_entry_rdevmajor(ae);
		e.rminor = (uint32_t)archive_entry_rdevminor(ae);
		return tree_add(t, &e, err);
	case AE_IFIFO:
		e.type = TREE_FIFO;
		return tree_add(t, &e, err);
	case AE_IFREG:
		break;
	default:
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s' has an unknown file type", path);
	}

	uint64_t off = t->spool_len;
	char buf[65536];
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			return uk_err_setc(err, UK_ERR_CORRUPT, "read '%s': %s", path,
					   archive_error_string(a));
		if (n == 0)
			break;
		if (tree_spool_write(t, buf, (size_t)n, err) < 0)
			return -1;
	}
	e.type = TREE_REG;
	e.off = off;
	e.size = t->spool_len - off;
	e.data_id = t->next_data_id++;
	return tree_add(t, &e, err);
}

int tree_read(struct tree *t, uint64_t off, void *buf, size_t len, struct uk_err *err)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(t->spool, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uk_err_errno(err, "read the spool file");
		}
		if (n == 0)
			return uk_err_set(err, "read the spool file: unexpected end");
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* Path order with a directory right before what it holds: compare component by component. */
static int cmp_path(const void *a, const void *b)
{
	const char *x = (*(struct tree_entry *const *)a)->path;
	const char *y = (*(struct tree_entry *const *)b)->path;

	for (;; x++, y++) {
		unsigned char cx = *x == '/' ? 1 : (unsigned char)*x;
		unsigned char cy = *y == '/' ? 1 : (unsigned char)*y;
		if (cx != cy || !cx)
			return (int)cx - (int)cy;
	}
}

const struct tree_entry *const *tree_sorted(struct tree *t)
{
	if (!t->dirty && t->sorted)
		return (const struct tree_entry *const *)t->sorted;
	free(t->sorted);
	t->sorted = xcalloc(t->n + 1, sizeof(*t->sorted));
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i])
			t->sorted[k++] = t->v[i];
	}
	qsort(t->sorted, k, sizeof(*t->sorted), cmp_path);
	t->dirty = false;
	return (const struct tree_entry *const *)t->sorted;
}

/* ---- trimming ---- */

bool pkg_glob_match(const char *pattern, const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (;;) {
		if (fnmatch(pattern, p, FNM_PATHNAME | FNM_PERIOD) == 0)
			return true;
		char *slash = strrchr(p, '/');
		if (!slash)
			return false;
		*slash = '\0';
	}
}

/* What Debian packages carry that an image does not need. */
static const char *const default_trim[] = {
	"usr/share/doc",     "usr/share/man",
	"usr/share/info",    "usr/share/locale",
	"usr/share/lintian", "usr/share/linda",
	"usr/share/bug",     "usr/share/doc-base",
	"usr/share/gtk-doc", "usr/share/bash-completion",
	"usr/share/zsh",     "usr/share/common-licenses",
	"usr/share/menu",    "usr/share/reportbug",
};

/* The copyright files stay: they are small, and the licences ask for them. */
static const char *const default_keep[] = { "usr/share/doc/*/copyright" };

bool pkg_trimmed(const char *path, const struct strv *trim, const struct strv *keep)
{
	bool cut = false;

	for (size_t i = 0; !cut && i < ARRAY_SIZE(default_trim); i++)
		cut = pkg_glob_match(default_trim[i], path);
	for (size_t i = 0; !cut && trim && i < trim->n; i++)
		cut = pkg_glob_match(trim->v[i], path);
	if (!cut)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(default_keep); i++) {
		if (fnmatch(default_keep[i], path, FNM_PATHNAME) == 0)
			return false;
	}
	for (size_t i = 0; keep && i < keep->n; i++) {
		if (pkg_glob_match(keep->v[i], path))
			return false;
	}
	return true;
}
