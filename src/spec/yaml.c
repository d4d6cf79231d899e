// SPDX-License-Identifier: Apache-2.0
/*
 * The YAML loader: libyaml's parser events into a small node tree. libyaml's
 * own loader would do, but it forgets whether a scalar was plain or quoted,
 * and that decides its type ("1" is a number, '"1"' a string); it also lets
 * an alias refer to the node that contains it, a cycle. This one keeps the
 * style and refuses cycles, so everything above it can walk the tree
 * without guards.
 */
#include <yaml.h>

#include "spec/internal.h"

#define YAML_MAX_DEPTH 256
#define YAML_MAX_NODES 1000000

struct anchor {
	char *name;
	struct ynode *node;
};

struct loader {
	struct ydoc *doc;
	struct ynode **stack; /* open collections, innermost last */
	size_t depth, alloc;
	struct anchor *anchors;
	size_t n_anchors, alloc_anchors;
	unsigned line, col; /* the error, when msg is set */
	char *msg;
};

static int loader_fail(struct loader *l, const yaml_mark_t *m, const char *fmt, ...) _printf_(3, 4);

static int loader_fail(struct loader *l, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&l->msg, fmt, ap) < 0)
		l->msg = xstrdup("invalid YAML");
	va_end(ap);
	l->line = (unsigned)m->line + 1;
	l->col = (unsigned)m->column + 1;
	return -1;
}

static struct ynode *node_new(struct loader *l, enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	XGROW(l->doc->all, l->doc->alloc_all, l->doc->n_all + 1);
	l->doc->all[l->doc->n_all++] = n;
	return n;
}

static void node_append(struct ynode *parent, struct ynode *child)
{
	XGROW(parent->items, parent->alloc, parent->n + 1);
	parent->items[parent->n++] = child;
}

/* Hangs a finished (or, for collections, just opened) node where it belongs. */
static int place(struct loader *l, struct ynode *n, const yaml_mark_t *m)
{
	if (l->doc->n_all > YAML_MAX_NODES)
		return loader_fail(l, m, "more than %d YAML nodes", YAML_MAX_NODES);
	if (l->depth == 0)
		l->doc->root = n;
	else
		node_append(l->stack[l->depth - 1], n);
	return 0;
}

static void anchor_add(struct loader *l, const yaml_char_t *name, struct ynode *n)
{
	if (!name)
		return;
	XGROW(l->anchors, l->alloc_anchors, l->n_anchors + 1);
	l->anchors[l->n_anchors].name = xstrdup((const char *)name);
	l->anchors[l->n_anchors].node = n;
	l->n_anchors++;
}

static struct ynode *anchor_find(struct loader *l, const yaml_char_t *name)
{
	/* the latest definition of a name wins */
	for (size_t i = l->n_anchors; i-- > 0;) {
		if (strcmp(l->anchors[i].name, (const char *)name) == 0)
			return l->anchors[i].node;
	}
	return NULL;
}

static int open_collection(struct loader *l, enum ynode_kind kind, const yaml_event_t *ev,
			   const yaml_char_t *anchor)
{
	if (l->depth >= YAML_MAX_DEPTH)
		return loader_fail(l, &ev->start_mark, "YAML nested deeper than %d levels",
				   YAML_MAX_DEPTH);
	struct ynode *n = node_new(l, kind, &ev->start_mark);
	if (place(l, n, &ev->start_mark) < 0)
		return -1;
	n->open = true;
	anchor_add(l, anchor, n);
	XGROW(l->stack, l->alloc, l->depth + 1);
	l->stack[l->depth++] = n;
	return 0;
}

static int on_scalar(struct loader *l, const yaml_event_t *ev)
{
	struct ynode *n = node_new(l, YN_SCALAR, &ev->start_mark);
	const char *tag = (const char *)ev->data.scalar.tag;

	n->len = ev->data.scalar.length;
	n->text = xmalloc(n->len + 1);
	memcpy(n->text, ev->data.scalar.value, n->len);
	n->text[n->len] = '\0';
	n->tag = tag ? xstrdup(tag) : NULL;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag;
	anchor_add(l, ev->data.scalar.anchor, n);
	return place(l, n, &ev->start_mark);
}

static int on_alias(struct loader *l, const yaml_event_t *ev)
{
	const yaml_char_t *name = ev->data.alias.anchor;
	struct ynode *n = anchor_find(l, name);

	if (!n)
		return loader_fail(l, &ev->start_mark, "undefined alias '*%s'", (const char *)name);
	if (n->open)
		return loader_fail(l, &ev->start_mark,
				   "alias '*%s' refers to a node that contains it",
				   (const char *)name);
	if (l->depth == 0)
		l->doc->root = n;
	else
		node_append(l->stack[l->depth - 1], n);
	return 0;
}

/* A reader error (bad encoding) has an offset, not a mark. */
static void offset_to_mark(const char *buf, size_t len, size_t off, yaml_mark_t *m)
{
	m->line = m->column = 0;
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			m->line++;
			m->column = 0;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			m->column++;
		}
	}
}

static int parser_fail(struct loader *l, const yaml_parser_t *y, const char *buf, size_t len)
{
	yaml_mark_t m = y->problem_mark;
	const char *problem = y->problem ? y->problem : "invalid YAML";

	if (y->error == YAML_MEMORY_ERROR)
		uk_bug(__FILE__, __LINE__, "libyaml: out of memory");
	if (y->error == YAML_READER_ERROR) {
		offset_to_mark(buf, len, y->problem_offset, &m);
		return loader_fail(l, &m, "%s", problem);
	}
	if (y->context)
		return loader_fail(l, &m, "%s (%s at line %zu, column %zu)", problem, y->context,
				   y->context_mark.line + 1, y->context_mark.column + 1);
	return loader_fail(l, &m, "%s", problem);
}

static int on_event(struct loader *l, const yaml_event_t *ev, int *docs)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return loader_fail(
				l, &ev->start_mark,
				"a spec file holds one YAML document, this is the second");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(l, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(l, ev);
	case YAML_SEQUENCE_START_EVENT:
		return open_collection(l, YN_SEQ, ev, ev->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return open_collection(l, YN_MAP, ev, ev->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		BUG_ON(l->depth == 0);
		l->stack[--l->depth]->open = false;
		return 0;
	default:
		return 0;
	}
}

int ydoc_load(struct ydoc *doc, const char *buf, size_t len, unsigned *line, unsigned *col,
	      char **msg)
{
	struct loader l = { .doc = doc };
	yaml_parser_t y;
	int docs = 0, r = 0;
	bool done = false;

	if (!yaml_parser_initialize(&y))
		uk_bug(__FILE__, __LINE__, "libyaml: out of memory");
	yaml_parser_set_input_string(&y, (const unsigned char *)buf, len);
	while (!done && r == 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&y, &ev)) {
			r = parser_fail(&l, &y, buf, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&l, &ev, &docs);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y);
	for (size_t i = 0; i < l.n_anchors; i++)
		free(l.anchors[i].name);
	free(l.anchors);
	free(l.stack);
	if (r < 0) {
		*line = l.line;
		*col = l.col;
		*msg = l.msg;
		doc->root = NULL;
	}
	return r;
}

void ydoc_release(struct ydoc *doc)
{
	for (size_t i = 0; i < doc->n_all; i++) {
		free(doc->all[i]->text);
		free(doc->all[i]->tag);
		free(doc->all[i]->items);
		free(doc->all[i]);
	}
	free(doc->all);
	*doc = (struct ydoc)YDOC_INIT;
}

static bool text_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* YAML 1.2 core integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. */
static bool parse_int(const char *s, size_t len, int64_t *out, bool *range)
{
	size_t i = 0;
	unsigned base = 10;
	bool neg = false;
	uint64_t v = 0;

	*range = false;
	if (len > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		base = s[1] == 'o' ? 8 : 16;
		i = 2;
	} else if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		int d = hex_digit(s[i]);

		if (d < 0 || d >= (int)base)
			return false;
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
			*range = true;
	}
	if (*range)
		return true;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			*range = true;
		else
			*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			*range = true;
		else
			*out = (int64_t)v;
	}
	return true;
}

static size_t skip_digits(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* YAML 1.2 core floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan. */
static bool is_float(const char *s, size_t len)
{
	size_t i = 0, j;

	if (text_is(s, len, ".nan") || text_is(s, len, ".NaN") || text_is(s, len, ".NAN"))
		return true;
	if (len > 0 && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (text_is(s + i, len - i, ".inf") || text_is(s + i, len - i, ".Inf") ||
	    text_is(s + i, len - i, ".INF"))
		return true;
	if (i < len && s[i] == '.') {
		j = skip_digits(s, len, i + 1);
		if (j == i + 1)
			return false;
	} else {
		j = skip_digits(s, len, i);
		if (j == i)
			return false;
		if (j < len && s[j] == '.')
			j = skip_digits(s, len, j + 1);
	}
	if (j < len && (s[j] == 'e' || s[j] == 'E')) {
		size_t k = j + 1;

		if (k < len && (s[k] == '-' || s[k] == '+'))
			k++;
		j = skip_digits(s, len, k);
		if (j == k)
			return false;
	}
	return j == len;
}

enum yscalar yscalar_resolve_plain(const char *s, size_t len, bool *b, int64_t *i, bool *range)
{
	*range = false;
	if (len == 0 || text_is(s, len, "~") || text_is(s, len, "null") ||
	    text_is(s, len, "Null") || text_is(s, len, "NULL"))
		return YS_NULL;
	if (text_is(s, len, "true") || text_is(s, len, "True") || text_is(s, len, "TRUE")) {
		*b = true;
		return YS_BOOL;
	}
	if (text_is(s, len, "false") || text_is(s, len, "False") || text_is(s, len, "FALSE")) {
		*b = false;
		return YS_BOOL;
	}
	if (parse_int(s, len, i, range))
		return YS_INT;
	if (is_float(s, len))
		return YS_FLOAT;
	return YS_STR;
}

#define TAG_PREFIX "tag:yaml.org,2002:"

enum yscalar ynode_resolve(const struct ynode *n, bool *b, int64_t *i, bool *range)
{
	enum yscalar want;

	*range = false;
	if (n->plain)
		return yscalar_resolve_plain(n->text, n->len, b, i, range);
	if (!n->tag || strcmp(n->tag, "!") == 0 || strcmp(n->tag, TAG_PREFIX "str") == 0)
		return YS_STR;
	if (strcmp(n->tag, TAG_PREFIX "int") == 0)
		want = YS_INT;
	else if (strcmp(n->tag, TAG_PREFIX "bool") == 0)
		want = YS_BOOL;
	else if (strcmp(n->tag, TAG_PREFIX "null") == 0)
		want = YS_NULL;
	else if (strcmp(n->tag, TAG_PREFIX "float") == 0)
		want = YS_FLOAT;
	else
		return YS_BADTAG;
	enum yscalar got = yscalar_resolve_plain(n->text, n->len, b, i, range);
	if (got == YS_INT && want == YS_FLOAT)
		return YS_FLOAT;
	return got == want ? got : YS_BADTAG;
}
