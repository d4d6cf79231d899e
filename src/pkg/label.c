// SPDX-License-Identifier: Apache-2.0
/*
 * build.yml's `config`, turned into the org.mobyproject.config label: JSON
 * with LinuxKit's field names. Scalars are typed as LinuxKit's go-yaml (YAML
 * 1.1) types them, so `readonly: yes` is true; string fields (a device's
 * `mode: 0666` among them) take the scalar's text, as go-yaml does.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "pkg/pkg-internal.h"

static bool matches(const char *s, const char *const *words)
{
	for (; *words; words++) {
		if (strcmp(s, *words) == 0)
			return true;
	}
	return false;
}

/* Digits of base with optional '_' separators (YAML 1.1); at least one digit. */
static bool digits(const char *s, const char *set)
{
	bool any = false;

	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (!strchr(set, *s))
			return false;
		any = true;
	}
	return any;
}

static json_t *parse_int(const char *text)
{
	const char *s = text;
	bool neg = false;
	int base = 10;
	char buf[80];
	size_t k = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!digits(s + 2, "0123456789abcdefABCDEF"))
			return NULL;
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		if (!digits(s + 2, "01234567"))
			return NULL;
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		if (!digits(s + 2, "01"))
			return NULL;
		base = 2;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		if (!digits(s + 1, "01234567"))
			return NULL;
		base = 8;
		s += 1;
	} else if (!digits(s, "0123456789")) {
		return NULL;
	}
	for (; *s && k < sizeof(buf) - 1; s++) {
		if (*s != '_')
			buf[k++] = *s;
	}
	if (*s)
		return NULL;
	buf[k] = '\0';
	errno = 0;
	char *end;
	unsigned long long v = strtoull(buf, &end, base);
	if (errno || *end || v > (unsigned long long)INT64_MAX + neg)
		return NULL;
	return json_integer(neg ? (json_int_t)(0 - v) : (json_int_t)v);
}

static json_t *parse_float(const char *s)
{
	static const char *const inf[] = {
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL
	};
	static const char *const ninf[] = { "-.inf", "-.Inf", "-.INF", NULL };
	static const char *const nan[] = { ".nan", ".NaN", ".NAN", NULL };
	const char *p = s;
	bool mant = false;

	/* JSON has no infinities or NaN: keep such scalars as strings */
	if (matches(s, inf) || matches(s, ninf) || matches(s, nan))
		return NULL;
	if (*p == '-' || *p == '+')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		mant = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			mant = true;
		}
	}
	if (!mant)
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return NULL;
	double d = strtod(s, NULL);
	if (!isfinite(d))
		return NULL;
	return json_real(d);
}

json_t *pkg_yaml_scalar(yaml_node_t *node)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL", "", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
					     "on",   "On",   "ON",   "y",   "Y",   NULL };
	static const char *const falses[] = { "false", "False", "FALSE", "no", "No", "NO",
					      "off",   "Off",	"OFF",	 "n",  "N",  NULL };
	const char *s = (const char *)node->data.scalar.value;
	const char *tag = (const char *)node->tag;
	json_t *v;

	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    (tag && strcmp(tag, YAML_DEFAULT_SCALAR_TAG) != 0 && strcmp(tag, YAML_STR_TAG) != 0 &&
	     strcmp(tag, YAML_INT_TAG) != 0 && strcmp(tag, YAML_BOOL_TAG) != 0 &&
	     strcmp(tag, YAML_FLOAT_TAG) != 0 && strcmp(tag, YAML_NULL_TAG) != 0))
		return json_stringn(s, node->data.scalar.length);
	if (matches(s, nulls))
		return json_null();
	if (matches(s, trues))
		return json_true();
	if (matches(s, falses))
		return json_false();
	if ((v = parse_int(s)))
		return v;
	if ((v = parse_float(s)))
		return v;
	return json_stringn(s, node->data.scalar.length);
}

/* ---- conversion and checks ---- */

struct lctx {
	yaml_document_t *doc;
	const char *file;
	struct uk_err *err;
};

static _printf_(3, 4) json_t *lfail(struct lctx *c, const yaml_node_t *node, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	uk_err_setc(c->err, UK_ERR_INPUT, "%s:%zu:%zu: %s", c->file,
		    (size_t)node->start_mark.line + 1, (size_t)node->start_mark.column + 1, sb.buf);
	return NULL;
}

static json_t *scalar_text(struct lctx *c, yaml_node_t *node, const char *key, const char *shape);

static json_t *convert(struct lctx *c, yaml_node_t *node, const char *what)
{
	if (node->type == YAML_SCALAR_NODE) {
		if (strlen((const char *)node->data.scalar.value) != node->data.scalar.length)
			return lfail(c, node, "%s holds a NUL byte", what);
		return pkg_yaml_scalar(node);
	}
	if (node->type == YAML_SEQUENCE_NODE) {
		json_t *a = json_array();
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			json_t *v = convert(c, yaml_document_get_node(c->doc, *it), what);
			if (!v) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, v);
		}
		return a;
	}
	json_t *o = json_object();
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			json_decref(o);
			return lfail(c, k, "keys in %s must be strings", what);
		}
		const char *key = (const char *)k->data.scalar.value;
		if (json_object_get(o, key)) {
			json_decref(o);
			return lfail(c, k, "duplicate key '%s' in %s", key, what);
		}
		yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
		/*
		 * A device's mode is a string in LinuxKit's Go types, so go-yaml
		 * keeps `mode: 0666` as the text "0666", read as octal later.
		 */
		json_t *v = strcmp(key, "mode") == 0 && vn->type == YAML_SCALAR_NODE
				    ? scalar_text(c, vn, key, "a string")
				    : convert(c, vn, what);
		if (!v) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, key, v);
	}
	return o;
}

enum kind {
	K_STRING,  /* any scalar, as text */
	K_STRLIST, /* a list of scalars, as text */
	K_STRMAP,  /* a mapping of scalars, as text */
	K_BOOL,
	K_INT,
	K_ID,	  /* uid, gid: a number or a name */
	K_LIST,	  /* a list of anything (mounts, devices, id mappings) */
	K_OBJECT, /* a mapping of anything (resources) */
	K_RUNTIME,
	K_BINDNS,
};

struct field {
	const char *name;
	enum kind kind;
};

/* LinuxKit's ImageConfig, the fields valid in org.mobyproject.config. */
static const struct field label_fields[] = {
	{ "capabilities", K_STRLIST },
	{ "capabilities.add", K_STRLIST },
	{ "ambient", K_STRLIST },
	{ "mounts", K_LIST },
	{ "binds", K_STRLIST },
	{ "binds.add", K_STRLIST },
	{ "tmpfs", K_STRLIST },
	{ "command", K_STRLIST },
	{ "env", K_STRLIST },
	{ "cwd", K_STRING },
	{ "net", K_STRING },
	{ "pid", K_STRING },
	{ "ipc", K_STRING },
	{ "uts", K_STRING },
	{ "userns", K_STRING },
	{ "hostname", K_STRING },
	{ "readonly", K_BOOL },
	{ "maskedPaths", K_STRLIST },
	{ "readonlyPaths", K_STRLIST },
	{ "uid", K_ID },
	{ "gid", K_ID },
	{ "additionalGids", K_LIST },
	{ "noNewPrivileges", K_BOOL },
	{ "oomScoreAdj", K_INT },
	{ "rootfsPropagation", K_STRING },
	{ "cgroupsPath", K_STRING },
	{ "resources", K_OBJECT },
	{ "sysctl", K_STRMAP },
	{ "rlimits", K_STRLIST },
	{ "uidMappings", K_LIST },
	{ "gidMappings", K_LIST },
	{ "devices", K_LIST },
	{ "annotations", K_STRMAP },
	{ "runtime", K_RUNTIME },
};

static const struct field runtime_fields[] = {
	{ "cgroups", K_STRLIST }, { "mounts", K_LIST },	  { "mkdir", K_STRLIST },
	{ "interfaces", K_LIST }, { "bindNS", K_BINDNS }, { "namespace", K_STRING },
};

static const struct field bindns_fields[] = {
	{ "cgroup", K_STRING }, { "ipc", K_STRING },  { "mnt", K_STRING }, { "net", K_STRING },
	{ "pid", K_STRING },	{ "user", K_STRING }, { "uts", K_STRING },
};

static json_t *convert_fields(struct lctx *c, yaml_node_t *node, const char *what,
			      const struct field *fields, size_t n);

static json_t *scalar_text(struct lctx *c, yaml_node_t *node, const char *key, const char *shape)
{
	if (node->type != YAML_SCALAR_NODE)
		return lfail(c, node, "'%s' must be %s", key, shape);
	if (strlen((const char *)node->data.scalar.value) != node->data.scalar.length)
		return lfail(c, node, "'%s' holds a NUL byte", key);
	return json_string((const char *)node->data.scalar.value);
}

static json_t *convert_kind(struct lctx *c, yaml_node_t *node, const char *key, enum kind kind)
{
	json_t *v;

	switch (kind) {
	case K_STRING:
		return scalar_text(c, node, key, "a string");
	case K_STRLIST:
		if (node->type != YAML_SEQUENCE_NODE)
			return lfail(c, node, "'%s' must be a list of strings", key);
		v = json_array();
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			json_t *s = scalar_text(c, yaml_document_get_node(c->doc, *it), key,
						"a list of strings");
			if (!s) {
				json_decref(v);
				return NULL;
			}
			json_array_append_new(v, s);
		}
		return v;
	case K_STRMAP:
		if (node->type != YAML_MAPPING_NODE)
			return lfail(c, node, "'%s' must be a mapping of strings", key);
		v = json_object();
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
		     p < node->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
			json_t *ks = scalar_text(c, k, key, "a mapping of strings");
			json_t *s = ks ? scalar_text(c, yaml_document_get_node(c->doc, p->value),
						     key, "a mapping of strings")
				       : NULL;
			if (!s) {
				json_decref(ks);
				json_decref(v);
				return NULL;
			}
			if (json_object_get(v, json_string_value(ks))) {
				lfail(c, k, "duplicate key '%s' in '%s'", json_string_value(ks),
				      key);
				json_decref(ks);
				json_decref(s);
				json_decref(v);
				return NULL;
			}
			json_object_set_new(v, json_string_value(ks), s);
			json_decref(ks);
		}
		return v;
	case K_BOOL:
	case K_INT:
	case K_ID:
		v = node->type == YAML_SCALAR_NODE ? pkg_yaml_scalar(node) : NULL;
		if (kind == K_BOOL && !json_is_boolean(v)) {
			json_decref(v);
			return lfail(c, node, "'%s' must be true or false", key);
		}
		if (kind == K_INT && !json_is_integer(v)) {
			json_decref(v);
			return lfail(c, node, "'%s' must be an integer", key);
		}
		if (kind == K_ID && !json_is_integer(v)) {
			json_decref(v);
			return scalar_text(c, node, key, "a number or a name");
		}
		return v;
	case K_LIST:
		if (node->type != YAML_SEQUENCE_NODE)
			return lfail(c, node, "'%s' must be a list", key);
		return convert(c, node, key);
	case K_OBJECT:
		if (node->type != YAML_MAPPING_NODE)
			return lfail(c, node, "'%s' must be a mapping", key);
		return convert(c, node, key);
	case K_RUNTIME:
		return convert_fields(c, node, "'runtime'", runtime_fields,
				      ARRAY_SIZE(runtime_fields));
	case K_BINDNS:
		return convert_fields(c, node, "'bindNS'", bindns_fields,
				      ARRAY_SIZE(bindns_fields));
	}
	return NULL;
}

static json_t *convert_fields(struct lctx *c, yaml_node_t *node, const char *what,
			      const struct field *fields, size_t n)
{
	const char *names[64];

	BUG_ON(n > ARRAY_SIZE(names));
	for (size_t i = 0; i < n; i++)
		names[i] = fields[i].name;
	if (node->type != YAML_MAPPING_NODE)
		return lfail(c, node, "%s must be a mapping", what);
	json_t *o = json_object();
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			json_decref(o);
			return lfail(c, k, "keys in %s must be strings", what);
		}
		const char *key = (const char *)k->data.scalar.value;
		size_t i;
		for (i = 0; i < n; i++) {
			if (strcmp(fields[i].name, key) == 0)
				break;
		}
		if (i == n) {
			const char *hint = pkg_did_you_mean(key, names, n);
			json_decref(o);
			if (strcmp(key, "name") == 0 || strcmp(key, "image") == 0)
				return lfail(c, k, "'%s' cannot be set in %s", key, what);
			if (hint)
				return lfail(c, k, "unknown key '%s' in %s (did you mean '%s'?)",
					     key, what, hint);
			return lfail(c, k, "unknown key '%s' in %s", key, what);
		}
		if (json_object_get(o, key)) {
			json_decref(o);
			return lfail(c, k, "duplicate key '%s' in %s", key, what);
		}
		json_t *jv = convert_kind(c, v, key, fields[i].kind);
		if (!jv) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, key, jv);
	}
	return o;
}

json_t *pkg_label_from_yaml(yaml_document_t *doc, yaml_node_t *node, const char *file,
			    struct uk_err *err)
{
	struct lctx c = { .doc = doc, .file = file, .err = err };

	return convert_fields(&c, node, "'config'", label_fields, ARRAY_SIZE(label_fields));
}
