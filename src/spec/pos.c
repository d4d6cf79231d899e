// SPDX-License-Identifier: Apache-2.0
/*
 * Where each JSON node of a spec came from: an open-addressing hash table
 * keyed by the node's address, or by an object's address and a member key
 * (the only way to place a boolean: jansson's true and false are shared).
 */
#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"
#include "spec/spec.h"

struct pos_entry {
	const json_t *node; /* NULL: a free slot */
	char *key;	    /* owned; NULL for the node itself */
	unsigned file, line, col;
	char *str; /* owned; "FILE:LINE:COL", made on first request */
};

struct spec_pos {
	struct pos_entry *tab;
	size_t cap, used; /* cap is a power of two */
	char **files;
	size_t n_files, alloc_files;
};

struct spec_pos *spec_pos_new(void)
{
	struct spec_pos *pos = xcalloc(1, sizeof(*pos));

	pos->cap = 256;
	pos->tab = xcalloc(pos->cap, sizeof(*pos->tab));
	return pos;
}

void spec_pos_free(struct spec_pos *pos)
{
	if (!pos)
		return;
	for (size_t i = 0; i < pos->cap; i++) {
		free(pos->tab[i].key);
		free(pos->tab[i].str);
	}
	for (size_t i = 0; i < pos->n_files; i++)
		free(pos->files[i]);
	free(pos->files);
	free(pos->tab);
	free(pos);
}

unsigned spec_pos_add_file(struct spec_pos *pos, const char *name)
{
	XGROW(pos->files, pos->alloc_files, pos->n_files + 1);
	pos->files[pos->n_files] = xstrdup(name);
	return (unsigned)pos->n_files++;
}

const char *spec_pos_file(const struct spec_pos *pos, unsigned file)
{
	return file < pos->n_files ? pos->files[file] : "?";
}

static size_t hash(const json_t *node, const char *key)
{
	uint64_t h = (uint64_t)(uintptr_t)node * 0x9e3779b97f4a7c15ull;

	for (const char *s = key; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 29));
}

static struct pos_entry *slot(const struct spec_pos *pos, const json_t *node, const char *key)
{
	size_t mask = pos->cap - 1;

	for (size_t i = hash(node, key) & mask;; i = (i + 1) & mask) {
		struct pos_entry *e = &pos->tab[i];

		if (!e->node || (e->node == node && streq_ptr(e->key, key)))
			return e;
	}
}

static void grow(struct spec_pos *pos)
{
	struct pos_entry *old = pos->tab;
	size_t old_cap = pos->cap;

	pos->cap *= 2;
	pos->tab = xcalloc(pos->cap, sizeof(*pos->tab));
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].node)
			*slot(pos, old[i].node, old[i].key) = old[i];
	}
	free(old);
}

void spec_pos_set(struct spec_pos *pos, const json_t *node, const char *key, unsigned file,
		  unsigned line, unsigned col)
{
	/* a shared singleton has no single position of its own */
	if (!node || (!key && (json_is_boolean(node) || json_is_null(node))))
		return;
	if ((pos->used + 1) * 2 > pos->cap)
		grow(pos);
	struct pos_entry *e = slot(pos, node, key);
	if (!e->node) {
		e->node = node;
		e->key = key ? xstrdup(key) : NULL;
		pos->used++;
	}
	e->file = file;
	e->line = line;
	e->col = col;
	free(e->str);
	e->str = NULL;
}

bool spec_pos_get(const struct spec_pos *pos, const json_t *node, const char *key, unsigned *file,
		  unsigned *line, unsigned *col)
{
	if (!pos || !node)
		return false;
	const struct pos_entry *e = slot(pos, node, key);
	if (!e->node)
		return false;
	*file = e->file;
	*line = e->line;
	*col = e->col;
	return true;
}

void spec_pos_copy(struct spec_pos *pos, const json_t *to, const char *to_key, const json_t *from,
		   const char *from_key)
{
	unsigned file, line, col;

	if (spec_pos_get(pos, from, from_key, &file, &line, &col))
		spec_pos_set(pos, to, to_key, file, line, col);
}

/* A set of addresses, for spec_pos_prune(). */
struct ptr_set {
	const json_t **v;
	size_t cap, n;
};

static bool ptr_set_add(struct ptr_set *set, const json_t *p)
{
	if ((set->n + 1) * 2 > set->cap) {
		struct ptr_set bigger = { .cap = set->cap ? set->cap * 2 : 64 };

		bigger.v = xcalloc(bigger.cap, sizeof(*bigger.v));
		for (size_t i = 0; i < set->cap; i++) {
			if (set->v[i])
				ptr_set_add(&bigger, set->v[i]);
		}
		free(set->v);
		*set = bigger;
	}
	for (size_t i = hash(p, NULL) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (set->v[i] == p)
			return false;
		if (!set->v[i]) {
			set->v[i] = p;
			set->n++;
			return true;
		}
	}
}

static bool ptr_set_has(const struct ptr_set *set, const json_t *p)
{
	if (!set->cap)
		return false;
	for (size_t i = hash(p, NULL) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (set->v[i] == p)
			return true;
		if (!set->v[i])
			return false;
	}
}

static void reach(struct ptr_set *set, const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (!ptr_set_add(set, v))
		return;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item) reach(set, item);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) reach(set, item);
	}
}

void spec_pos_prune(struct spec_pos *pos, const json_t *root)
{
	struct ptr_set live = { 0 };
	struct pos_entry *old = pos->tab;

	reach(&live, root);
	pos->tab = xcalloc(pos->cap, sizeof(*pos->tab));
	pos->used = 0;
	for (size_t i = 0; i < pos->cap; i++) {
		if (old[i].node && ptr_set_has(&live, old[i].node) &&
		    (!old[i].key || json_object_get(old[i].node, old[i].key))) {
			*slot(pos, old[i].node, old[i].key) = old[i];
			pos->used++;
		} else {
			free(old[i].key);
			free(old[i].str);
		}
	}
	free(old);
	free(live.v);
}

const char *spec_pos_str(struct spec_pos *pos, const json_t *node, const char *key)
{
	if (!pos || !node)
		return NULL;
	struct pos_entry *e = slot(pos, node, key);
	if (!e->node)
		return NULL;
	if (!e->str)
		e->str = xasprintf("%s:%u:%u", spec_pos_file(pos, e->file), e->line, e->col);
	return e->str;
}

const char *spec_where(const struct spec *spec, const json_t *node)
{
	return spec_pos_str(spec->where, node, NULL);
}

const char *spec_where_member(const struct spec *spec, const json_t *obj, const char *key)
{
	return spec_pos_str(spec->where, obj, key);
}
