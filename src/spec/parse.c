// SPDX-License-Identifier: Apache-2.0
/*
 * The validator: walks a YAML node tree along a schema (schema.c) and builds
 * the JSON tree, recording each node's position. Every problem is reported
 * and the walk goes on, so one run lists all the errors of a file; a value
 * with the wrong type is left out of the tree, the rest is kept.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"

#define SPEC_MAX_MERGE_DEPTH 16

void spec_errs_line(struct spec_errs *e, const char *text)
{
	e->n++;
	if (e->n > SPEC_MAX_ERRORS + 1)
		return;
	if (e->sb.len)
		strbuf_addch(&e->sb, '\n');
	if (e->n == SPEC_MAX_ERRORS + 1)
		strbuf_addf(&e->sb, "too many errors, only the first %d are shown",
			    SPEC_MAX_ERRORS);
	else
		strbuf_addstr(&e->sb, text);
}

void spec_errs_add(struct spec_errs *e, const char *file, unsigned line, unsigned col,
		   const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	_cleanup_free_ char *text = xasprintf("%s:%u:%u: %s", file, line, col, msg ? msg : "?");
	spec_errs_line(e, text);
}

void spec_parse_error(struct parse *p, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	spec_errs_add(p->errs, p->fname, n ? n->line : 1, n ? n->col : 1, "%s",
		      msg ? msg : "invalid value");
	free(msg);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

#define DIST_MAX_LEN 64

size_t spec_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[DIST_MAX_LEN + 1][DIST_MAX_LEN + 1];

	if (la > DIST_MAX_LEN || lb > DIST_MAX_LEN)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = lower(a[i - 1]) != lower(b[j - 1]);
			size_t v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *spec_suggest(const char *s, const char *const *cands, size_t n)
{
	size_t len = strlen(s), best = SIZE_MAX, limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	const char *found = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t d = spec_distance(s, cands[i]);

		if (d < best) {
			best = d;
			found = cands[i];
		}
	}
	/* a word changed through and through is no typo */
	return best <= limit && 2 * best < len ? found : NULL;
}

char *spec_show(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t max = 60;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (sb.len >= max && (c & 0xc0) != 0x80) {
			strbuf_addstr(&sb, "...");
			break;
		}
		if (c == '\n')
			strbuf_addstr(&sb, "\\n");
		else if (c == '\t')
			strbuf_addstr(&sb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			strbuf_addf(&sb, "\\x%02x", c);
		else
			strbuf_addch(&sb, c);
	}
	return strbuf_detach(&sb, NULL);
}

/* "a list", "the string 'abc'", ... for "must be X, not Y" messages. */
static char *describe(const struct ynode *n)
{
	bool b;
	int64_t i;
	bool range;

	if (n->kind == YN_SEQ)
		return xstrdup("a list");
	if (n->kind == YN_MAP)
		return xstrdup("a mapping");
	_cleanup_free_ char *text = spec_show(n->text, n->len);
	switch (ynode_resolve(n, &b, &i, &range)) {
	case YS_NULL:
		return xstrdup("empty (null)");
	case YS_BOOL:
		return xasprintf("the boolean %s", text);
	case YS_INT:
		return xasprintf("the integer %s", text);
	case YS_FLOAT:
		return xasprintf("the number %s", text);
	case YS_BADTAG:
		return xasprintf("a value tagged '%s'", n->tag);
	case YS_STR:
		break;
	}
	return xasprintf("the string '%s'", text);
}

static const char *type_name(enum spec_type t)
{
	switch (t) {
	case T_STRING:
		return "a string";
	case T_BOOL:
		return "a boolean (true or false)";
	case T_INT:
		return "an integer";
	case T_ID:
		return "a user or group id (a number or a name)";
	case T_STRINGS:
		return "a list of strings";
	case T_IDS:
		return "a list of group ids (numbers or names)";
	case T_STRMAP:
		return "a mapping of strings to strings";
	case T_OBJECT:
	case T_OBJMAP:
		return "a mapping";
	case T_OBJECTS:
		return "a list of mappings";
	}
	return "?";
}

static void type_error(struct parse *p, const struct ynode *n, enum spec_type want,
		       const char *name)
{
	_cleanup_free_ char *got = describe(n);
	const char *hint = "";
	bool b;
	int64_t i;
	bool range;

	if (n->kind == YN_SCALAR) {
		enum yscalar k = ynode_resolve(n, &b, &i, &range);

		if (want == T_STRING && (k == YS_INT || k == YS_FLOAT || k == YS_BOOL))
			hint = " (quote it to make it a string)";
		else if (want == T_BOOL && k == YS_STR &&
			 (ynode_is(n, "yes") || ynode_is(n, "no") || ynode_is(n, "on") ||
			  ynode_is(n, "off") || ynode_is(n, "Yes") || ynode_is(n, "No")))
			hint = " (YAML 1.2 booleans are true and false)";
	}
	spec_parse_error(p, n, "'%s' must be %s, not %s%s", name, type_name(want), got, hint);
}

/* Counts one more node against the budget; false once it is spent. */
static bool take(struct parse *p, const struct ynode *n)
{
	if (p->budget > 0) {
		p->budget--;
		return true;
	}
	if (!p->exhausted) {
		p->exhausted = true;
		spec_parse_error(p, n, "the document expands to too many nodes (aliases?)");
	}
	return false;
}

static void record(struct parse *p, const json_t *v, const struct ynode *n)
{
	spec_pos_set(p->pos, v, NULL, p->file, n->line, n->col);
}

static json_t *conv(struct parse *p, const struct spec_field *f, const struct ynode *n,
		    const char *name);
static json_t *conv_object(struct parse *p, const struct spec_schema *s, const struct ynode *n,
			   const char *name);

static json_t *conv_string(struct parse *p, const struct spec_field *f, const struct ynode *n,
			   const char *name)
{
	bool b;
	int64_t i;
	bool range;

	if (n->kind != YN_SCALAR || ynode_resolve(n, &b, &i, &range) != YS_STR) {
		type_error(p, n, T_STRING, name);
		return NULL;
	}
	if (memchr(n->text, '\0', n->len)) {
		spec_parse_error(p, n, "'%s' must not contain a NUL character", name);
		return NULL;
	}
	json_t *s = json_stringn(n->text, n->len);
	if (!s) {
		spec_parse_error(p, n, "'%s' is not valid UTF-8", name);
		return NULL;
	}
	if (f && f->check)
		f->check(p, n, json_string_value(s), name);
	record(p, s, n);
	return s;
}

static json_t *conv_bool(struct parse *p, const struct ynode *n, const char *name)
{
	bool b = false;
	int64_t i;
	bool range;

	if (n->kind != YN_SCALAR || ynode_resolve(n, &b, &i, &range) != YS_BOOL) {
		type_error(p, n, T_BOOL, name);
		return NULL;
	}
	return json_boolean(b);
}

static json_t *conv_int(struct parse *p, const struct spec_field *f, const struct ynode *n,
			const char *name)
{
	bool b;
	int64_t i = 0;
	bool range = false;

	if (n->kind != YN_SCALAR || ynode_resolve(n, &b, &i, &range) != YS_INT) {
		type_error(p, n, T_INT, name);
		return NULL;
	}
	if (range || ((f->min || f->max) && (i < f->min || i > f->max))) {
		_cleanup_free_ char *text = spec_show(n->text, n->len);

		if (f->min || f->max)
			spec_parse_error(p, n, "'%s' is out of range: %s is not in [%lld, %lld]",
					 name, text, (long long)f->min, (long long)f->max);
		else
			spec_parse_error(p, n, "'%s' is out of range: %s", name, text);
		return NULL;
	}
	json_t *v = json_integer((json_int_t)i);
	record(p, v, n);
	return v;
}

static json_t *conv_id(struct parse *p, const struct ynode *n, const char *name)
{
	bool b;
	int64_t i = 0;
	bool range = false;

	if (n->kind == YN_SCALAR) {
		switch (ynode_resolve(n, &b, &i, &range)) {
		case YS_STR:
			return conv_string(p, NULL, n, name);
		case YS_INT:
			if (range || i < 0 || i > UINT32_MAX) {
				_cleanup_free_ char *text = spec_show(n->text, n->len);

				spec_parse_error(p, n, "'%s' is out of range: %s is not in [0, %u]",
						 name, text, UINT32_MAX);
				return NULL;
			}
			json_t *v = json_integer((json_int_t)i);
			record(p, v, n);
			return v;
		default:
			break;
		}
	}
	type_error(p, n, T_ID, name);
	return NULL;
}

static json_t *conv_list(struct parse *p, const struct spec_field *f, const struct ynode *n,
			 const char *name)
{
	if (n->kind != YN_SEQ) {
		type_error(p, n, f->type, name);
		return NULL;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *item = n->items[i];
		_cleanup_free_ char *iname = xasprintf("%s[%zu]", name, i);
		json_t *v = NULL;

		if (!take(p, item))
			break;
		switch (f->type) {
		case T_STRINGS:
			v = conv_string(p, f, item, iname);
			break;
		case T_IDS:
			v = conv_id(p, item, iname);
			break;
		case T_OBJECTS:
			v = conv_object(p, f->schema, item, iname);
			break;
		default:
			BUG_ON(1);
		}
		if (v)
			json_array_append_new(arr, v);
	}
	if (f->list_check)
		f->list_check(p, n, arr, name);
	record(p, arr, n);
	return arr;
}

struct pair {
	const struct ynode *k, *v;
	size_t order;
	bool explicit_;
};

struct pairs {
	struct pair *v;
	size_t n, alloc;
};

static bool is_merge_key(const struct ynode *k)
{
	return (k->plain && ynode_is(k, "<<")) ||
	       (k->tag && strcmp(k->tag, "tag:yaml.org,2002:merge") == 0);
}

/* Appends a mapping's pairs: its own keys first, then those of its merge keys ("<<"). */
static void collect(struct parse *p, const struct ynode *map, struct pairs *out, bool explicit_,
		    int depth)
{
	const struct ynode *merges[8];
	size_t n_merges = 0;
	bool b;
	int64_t i;
	bool range;

	for (size_t j = 0; j + 1 < map->n; j += 2) {
		const struct ynode *k = map->items[j], *v = map->items[j + 1];

		if (!take(p, k))
			return;
		if (k->kind == YN_SCALAR && is_merge_key(k)) {
			if (n_merges == ARRAY_SIZE(merges))
				spec_parse_error(p, k, "too many merge keys in one mapping");
			else
				merges[n_merges++] = v;
			continue;
		}
		if (k->kind != YN_SCALAR || ynode_resolve(k, &b, &i, &range) != YS_STR) {
			_cleanup_free_ char *got = describe(k);

			spec_parse_error(p, k, "keys must be strings, not %s", got);
			continue;
		}
		if (memchr(k->text, '\0', k->len)) {
			spec_parse_error(p, k, "keys must not contain a NUL character");
			continue;
		}
		XGROW(out->v, out->alloc, out->n + 1);
		out->v[out->n] = (struct pair){ k, v, out->n, explicit_ };
		out->n++;
	}
	for (size_t j = 0; j < n_merges; j++) {
		const struct ynode *m = merges[j];

		if (depth >= SPEC_MAX_MERGE_DEPTH) {
			spec_parse_error(p, m, "merge keys ('<<') nested too deeply");
			continue;
		}
		if (m->kind == YN_MAP) {
			collect(p, m, out, false, depth + 1);
			continue;
		}
		if (m->kind == YN_SEQ) {
			bool ok = true;

			for (size_t k = 0; k < m->n; k++) {
				if (m->items[k]->kind == YN_MAP)
					collect(p, m->items[k], out, false, depth + 1);
				else
					ok = false;
			}
			if (ok)
				continue;
		}
		spec_parse_error(p, m, "a merge key ('<<') takes a mapping or a list of mappings");
	}
}

static int pair_cmp_key(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	size_t n = x->k->len < y->k->len ? x->k->len : y->k->len;
	int c = memcmp(x->k->text, y->k->text, n);

	if (c)
		return c;
	if (x->k->len != y->k->len)
		return x->k->len < y->k->len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int pair_cmp_order(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/* A mapping's pairs in document order, merge keys resolved, duplicates reported. */
static void map_pairs(struct parse *p, const struct ynode *map, struct ymap *m)
{
	struct pairs all = { 0 };
	size_t kept = 0;

	collect(p, map, &all, true, 0);
	if (all.n > 1)
		qsort(all.v, all.n, sizeof(*all.v), pair_cmp_key);
	for (size_t i = 0; i < all.n; i++) {
		struct pair *first = &all.v[kept ? kept - 1 : 0];

		if (kept && first->k->len == all.v[i].k->len &&
		    !memcmp(first->k->text, all.v[i].k->text, first->k->len)) {
			/* a merged key yields to an explicit one silently */
			if (first->explicit_ && all.v[i].explicit_) {
				_cleanup_free_ char *key =
					spec_show(all.v[i].k->text, all.v[i].k->len);

				spec_parse_error(p, all.v[i].k,
						 "duplicate key '%s' (first at line %u, column %u)",
						 key, first->k->line, first->k->col);
			}
			continue;
		}
		all.v[kept++] = all.v[i];
	}
	if (kept > 1)
		qsort(all.v, kept, sizeof(*all.v), pair_cmp_order);
	m->k = xcalloc(kept + 1, sizeof(*m->k));
	m->v = xcalloc(kept + 1, sizeof(*m->v));
	for (size_t i = 0; i < kept; i++) {
		m->k[i] = all.v[i].k;
		m->v[i] = all.v[i].v;
	}
	m->n = kept;
	free(all.v);
}

static void ymap_release(struct ymap *m)
{
	free(m->k);
	free(m->v);
	*m = (struct ymap){ 0 };
}

const struct ynode *spec_ymap_get(const struct ymap *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++) {
		if (ynode_is(m->k[i], key))
			return m->v[i];
	}
	return NULL;
}

static json_t *conv_strmap(struct parse *p, const struct ynode *n, const char *name)
{
	struct ymap m = { 0 };

	if (n->kind != YN_MAP) {
		type_error(p, n, T_STRMAP, name);
		return NULL;
	}
	map_pairs(p, n, &m);
	json_t *obj = json_object();
	for (size_t i = 0; i < m.n; i++) {
		_cleanup_free_ char *key = spec_show(m.k[i]->text, m.k[i]->len);
		_cleanup_free_ char *mname = xasprintf("%s.%s", name, key);
		json_t *v = take(p, m.v[i]) ? conv_string(p, NULL, m.v[i], mname) : NULL;

		if (!v)
			continue;
		if (json_object_set_new(obj, m.k[i]->text, v) < 0) {
			spec_parse_error(p, m.k[i], "a key of '%s' is not valid UTF-8", name);
			continue;
		}
		spec_pos_set(p->pos, obj, m.k[i]->text, p->file, m.v[i]->line, m.v[i]->col);
	}
	ymap_release(&m);
	record(p, obj, n);
	return obj;
}

static json_t *conv_objmap(struct parse *p, const struct spec_schema *s, const struct ynode *n,
			   const char *name)
{
	struct ymap m = { 0 };

	if (n->kind != YN_MAP) {
		type_error(p, n, T_OBJMAP, name);
		return NULL;
	}
	map_pairs(p, n, &m);
	json_t *obj = json_object();
	for (size_t i = 0; i < m.n; i++) {
		_cleanup_free_ char *key = spec_show(m.k[i]->text, m.k[i]->len);
		json_t *v = take(p, m.v[i]) ? conv_object(p, s, m.v[i], key) : NULL;

		if (!v)
			continue;
		if (json_object_set_new(obj, m.k[i]->text, v) < 0) {
			spec_parse_error(p, m.k[i], "a key of '%s' is not valid UTF-8", name);
			continue;
		}
		spec_pos_set(p->pos, obj, m.k[i]->text, p->file, m.v[i]->line, m.v[i]->col);
	}
	ymap_release(&m);
	record(p, obj, n);
	return obj;
}

/* " in 'kernel'", " in services entry 'getty'", " in an entry of 'onboot'", or "". */
static char *entry_desc(struct parse *p, const struct spec_schema *s, const struct ymap *m)
{
	if (s->what)
		return xasprintf(" in %s", s->what);
	if (s == &spec_schema_top || !p->sec)
		return xstrdup("");
	const struct ynode *name = spec_ymap_get(m, "name");
	if (name && name->kind == YN_SCALAR && name->len) {
		_cleanup_free_ char *shown = spec_show(name->text, name->len);

		return xasprintf(" in %s entry '%s'", p->sec, shown);
	}
	return xasprintf(" in an entry of '%s'", p->sec);
}

static void unknown_key(struct parse *p, const struct spec_schema *s, const struct ymap *m,
			const struct ynode *k)
{
	const char *cands[64];
	size_t n = 0;
	_cleanup_free_ char *key = spec_show(k->text, k->len);
	_cleanup_free_ char *where = entry_desc(p, s, m);

	for (size_t i = 0; i < s->n && n < ARRAY_SIZE(cands); i++) {
		if (!s->fields[i].alias_of)
			cands[n++] = s->fields[i].key;
	}
	const char *near = spec_suggest(k->text, cands, n);
	if (near)
		spec_parse_error(p, k, "unknown key '%s'%s (did you mean '%s'?)", key, where, near);
	else
		spec_parse_error(p, k, "unknown key '%s'%s", key, where);
}

static json_t *conv_object(struct parse *p, const struct spec_schema *s, const struct ynode *n,
			   const char *name)
{
	struct ymap m = { 0 };
	const struct ynode *first[64];
	uint64_t seen = 0;

	if (n->kind != YN_MAP) {
		/* an empty document or section is no error */
		bool b;
		int64_t i;
		bool range;

		if (s == &spec_schema_top && n->kind == YN_SCALAR &&
		    ynode_resolve(n, &b, &i, &range) == YS_NULL)
			return json_object();
		type_error(p, n, T_OBJECT, name);
		return NULL;
	}
	BUG_ON(s->n > 64);
	map_pairs(p, n, &m);
	json_t *obj = json_object();
	for (size_t i = 0; i < m.n; i++) {
		const struct spec_field *f = spec_schema_find(s, m.k[i]->text);

		if (!f) {
			unknown_key(p, s, &m, m.k[i]);
			continue;
		}
		if (f->alias_of)
			f = spec_schema_find(s, f->alias_of);
		uint64_t bit = 1ull << (f - s->fields);
		if (seen & bit) {
			spec_parse_error(p, m.k[i],
					 "'%s' and '%s' (line %u) are the same key, give one",
					 m.k[i]->text, first[f - s->fields]->text,
					 first[f - s->fields]->line);
			continue;
		}
		seen |= bit;
		first[f - s->fields] = m.k[i];
		if (s == &spec_schema_top)
			p->sec = f->key;
		json_t *v = take(p, m.v[i]) ? conv(p, f, m.v[i], m.k[i]->text) : NULL;
		if (!v)
			continue;
		json_object_set_new(obj, f->key, v);
		spec_pos_set(p->pos, obj, f->key, p->file, m.v[i]->line, m.v[i]->col);
	}
	for (const char *const *r = s->required; r && *r; r++) {
		if (!spec_ymap_get(&m, *r)) {
			_cleanup_free_ char *where = entry_desc(p, s, &m);

			spec_parse_error(p, n, "missing '%s'%s", *r, where);
		}
	}
	if (s->check)
		s->check(p, n, &m, obj);
	ymap_release(&m);
	record(p, obj, n);
	return obj;
}

static json_t *conv(struct parse *p, const struct spec_field *f, const struct ynode *n,
		    const char *name)
{
	switch (f->type) {
	case T_STRING:
		return conv_string(p, f, n, name);
	case T_BOOL:
		return conv_bool(p, n, name);
	case T_INT:
		return conv_int(p, f, n, name);
	case T_ID:
		return conv_id(p, n, name);
	case T_STRINGS:
	case T_IDS:
	case T_OBJECTS:
		return conv_list(p, f, n, name);
	case T_STRMAP:
		return conv_strmap(p, n, name);
	case T_OBJECT:
		return conv_object(p, f->schema, n, name);
	case T_OBJMAP:
		return conv_objmap(p, f->schema, n, name);
	}
	return NULL;
}

json_t *spec_parse_root(struct parse *p, const struct spec_schema *s, const struct ynode *root)
{
	if (!root)
		return json_object();
	return conv_object(p, s, root, "the document");
}
