/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/spec/: the YAML node tree, the schema tables, the position
 * table and the error list the parser fills.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/util.h"

/* ---- the YAML node tree (yaml.c) ----------------------------------------- */

enum ynode_kind { YN_SCALAR, YN_SEQ, YN_MAP };

/* What a scalar means under YAML 1.2's core schema (and its explicit tag). */
enum yscalar { YS_NULL, YS_BOOL, YS_INT, YS_FLOAT, YS_STR, YS_BADTAG };

struct ynode {
	enum ynode_kind kind;
	unsigned line, col; /* 1-based */
	/* scalar */
	char *text;
	size_t len;
	bool plain; /* plain style: the text decides the type */
	char *tag;  /* explicit tag, or NULL */
	/* a sequence's items; a mapping's keys and values, alternating */
	struct ynode **items;
	size_t n, alloc;
	bool open; /* still being built: an alias to it would be a cycle */
};

struct ydoc {
	struct ynode *root; /* NULL for an empty stream */
	struct ynode **all; /* every node, for freeing */
	size_t n_all, alloc_all;
};

#define YDOC_INIT                                                     \
	{                                                             \
		.root = NULL, .all = NULL, .n_all = 0, .alloc_all = 0 \
	}

/*
 * Loads the first and only document of buf. On failure returns -1 and sets
 * *msg (caller frees) and the 1-based *line and *col of the problem.
 */
int ydoc_load(struct ydoc *doc, const char *buf, size_t len, unsigned *line, unsigned *col,
	      char **msg);
void ydoc_release(struct ydoc *doc);

/*
 * The type of a scalar. For YS_BOOL sets *b, for YS_INT sets *i (and *range
 * when the value does not fit in 64 bits).
 */
enum yscalar ynode_resolve(const struct ynode *n, bool *b, int64_t *i, bool *range);
/* The type plain text would have, with no tag (the emitter's quoting test). */
enum yscalar yscalar_resolve_plain(const char *s, size_t len, bool *b, int64_t *i, bool *range);

/* ---- errors (parse.c) ------------------------------------------------------ */

#define SPEC_MAX_ERRORS 100

struct spec_errs {
	struct strbuf sb; /* "FILE:LINE:COL: message" lines, '\n'-separated */
	size_t n;
};

/* Adds one error line (after SPEC_MAX_ERRORS, a last line says there were more). */
void spec_errs_line(struct spec_errs *e, const char *text);
_printf_(5, 6) void spec_errs_add(struct spec_errs *e, const char *file, unsigned line,
				  unsigned col, const char *fmt, ...);

/* A string from the input, made safe to show in a one-line message (caller frees). */
char *spec_show(const char *s, size_t len);
#define SHOW(s) spec_show((s), strlen(s))

/* Edit distance (optimal string alignment), case-insensitive. */
size_t spec_distance(const char *a, const char *b);
/* The candidate nearest to s when it is near enough to be a likely typo, or NULL. */
const char *spec_suggest(const char *s, const char *const *cands, size_t n);

/* ---- positions (pos.c) ----------------------------------------------------- */

struct spec_pos;

struct spec_pos *spec_pos_new(void);
void spec_pos_free(struct spec_pos *pos);
/* Registers a file's display name; returns its index. */
unsigned spec_pos_add_file(struct spec_pos *pos, const char *name);
const char *spec_pos_file(const struct spec_pos *pos, unsigned file);
/* Records where node (key == NULL) or the member key of object node came from. */
void spec_pos_set(struct spec_pos *pos, const json_t *node, const char *key, unsigned file,
		  unsigned line, unsigned col);
/* Copies a recorded position from (from, from_key) to (to, to_key). */
void spec_pos_copy(struct spec_pos *pos, const json_t *to, const char *to_key, const json_t *from,
		   const char *from_key);
/* Looks a position up; false when unknown. */
bool spec_pos_get(const struct spec_pos *pos, const json_t *node, const char *key, unsigned *file,
		  unsigned *line, unsigned *col);
/* Forgets the nodes root does not reach (they were freed, their addresses will be reused). */
void spec_pos_prune(struct spec_pos *pos, const json_t *root);
/* "FILE:LINE:COL" kept in the table, or NULL. */
const char *spec_pos_str(struct spec_pos *pos, const json_t *node, const char *key);

/* ---- the schema (schema.c) ------------------------------------------------- */

enum spec_type {
	T_STRING,
	T_BOOL,
	T_INT,	   /* an integer in [min, max] */
	T_ID,	   /* a uid/gid: an integer in [0, 2^32-1] or a name */
	T_STRINGS, /* a list of strings */
	T_IDS,	   /* a list of T_ID */
	T_STRMAP,  /* a mapping of strings to strings */
	T_OBJECT,  /* a mapping with the keys of a schema */
	T_OBJECTS, /* a list of T_OBJECT */
	T_OBJMAP,  /* a mapping of names to T_OBJECT */
};

struct parse;
struct spec_schema;

/* Pairs of a mapping, merge keys resolved. */
struct ymap {
	const struct ynode **k, **v;
	size_t n, alloc;
};

/* Further checks; they report through spec_parse_error() and change nothing. */
typedef void (*spec_str_check)(struct parse *p, const struct ynode *n, const char *s,
			       const char *name);
typedef void (*spec_list_check)(struct parse *p, const struct ynode *seq, const json_t *arr,
				const char *name);
typedef void (*spec_obj_check)(struct parse *p, const struct ynode *map, const struct ymap *m,
			       const json_t *obj);

struct spec_field {
	const char *key;
	enum spec_type type;
	const struct spec_schema *schema; /* T_OBJECT, T_OBJECTS, T_OBJMAP */
	int64_t min, max;		  /* T_INT; both 0 means any 64-bit integer */
	spec_str_check check;		  /* each string (T_STRING, T_STRINGS) */
	spec_list_check list_check;	  /* the whole list (T_STRINGS) */
	const char *alias_of;		  /* this spelling stands for that key */
};

struct spec_schema {
	const char *what; /* "service", "file", ... in messages */
	const struct spec_field *fields;
	size_t n;
	const char *const *required; /* NULL-terminated, or NULL */
	spec_obj_check check;
};

extern const struct spec_schema spec_schema_top;
extern const struct spec_schema spec_schema_image;
extern const struct spec_schema spec_schema_label;

const struct spec_field *spec_schema_find(const struct spec_schema *s, const char *key);

/* ---- the parser (parse.c) --------------------------------------------------- */

struct parse {
	struct spec_pos *pos;
	unsigned file;	   /* index in pos */
	const char *fname; /* display name */
	struct spec_errs *errs;
	size_t budget;	 /* nodes left to convert (aliases can multiply them) */
	bool exhausted;	 /* the budget ran out (reported once) */
	const char *sec; /* "onboot", "services", ... while inside one */
};

_printf_(3, 4) void spec_parse_error(struct parse *p, const struct ynode *n, const char *fmt, ...);
/* The value node of key in a mapping's pairs, or NULL. */
const struct ynode *spec_ymap_get(const struct ymap *m, const char *key);
/* Converts a document's root with a schema; NULL (errors reported) on failure. */
json_t *spec_parse_root(struct parse *p, const struct spec_schema *s, const struct ynode *root);

/* Whether text is a YAML scalar equal to s (the NUL-free string case). */
static inline bool ynode_is(const struct ynode *n, const char *s)
{
	return n && n->kind == YN_SCALAR && strlen(s) == n->len && !memcmp(n->text, s, n->len);
}
