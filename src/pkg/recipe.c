// SPDX-License-Identifier: Apache-2.0
/*
 * build.yml: LinuxKit's package fields (image, org, tag, arches, config,
 * gitrepo) and unikit's way of saying what goes in the image (debian, kernel,
 * files, programs, and the image config). Unknown keys are errors with their
 * position, as everywhere in unikit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "pkg/pkg-internal.h"
#include "util/fs.h"

#define RECIPE_MAX (1u << 20)

struct rctx {
	const char *file;
	yaml_document_t *doc;
	struct uk_err *err;
};

static _printf_(3, 4) int fail(struct rctx *c, const yaml_node_t *node, const char *fmt, ...)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (!node)
		return uk_err_setc(c->err, UK_ERR_INPUT, "%s: %s", c->file, sb.buf);
	return uk_err_setc(c->err, UK_ERR_INPUT, "%s:%zu:%zu: %s", c->file,
			   (size_t)node->start_mark.line + 1, (size_t)node->start_mark.column + 1,
			   sb.buf);
}

static char *where(struct rctx *c, const yaml_node_t *node)
{
	return xasprintf("%s:%zu:%zu", c->file, (size_t)node->start_mark.line + 1,
			 (size_t)node->start_mark.column + 1);
}

static const char *scalar(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

static int get_string(struct rctx *c, const char *key, yaml_node_t *node, char **out)
{
	if (node->type != YAML_SCALAR_NODE)
		return fail(c, node, "'%s' must be a string", key);
	if (strlen(scalar(node)) != node->data.scalar.length)
		return fail(c, node, "'%s' holds a NUL byte", key);
	free(*out);
	*out = xstrdup(scalar(node));
	return 0;
}

static int get_bool(struct rctx *c, const char *key, yaml_node_t *node, bool *out)
{
	json_t *v = NULL;

	if (node->type == YAML_SCALAR_NODE)
		v = pkg_yaml_scalar(node);
	if (!v || !json_is_boolean(v)) {
		json_decref(v);
		return fail(c, node, "'%s' must be true or false", key);
	}
	*out = json_is_true(v);
	json_decref(v);
	return 0;
}

static int get_uint(struct rctx *c, const char *key, yaml_node_t *node, uint32_t *out)
{
	json_t *v = NULL;

	if (node->type == YAML_SCALAR_NODE)
		v = pkg_yaml_scalar(node);
	if (!v || !json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > UINT32_MAX) {
		json_decref(v);
		return fail(c, node, "'%s' must be a number from 0 to %u", key, UINT32_MAX);
	}
	*out = (uint32_t)json_integer_value(v);
	json_decref(v);
	return 0;
}

static int get_strlist(struct rctx *c, const char *key, yaml_node_t *node, struct strv *out)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return fail(c, node, "'%s' must be a list of strings", key);
	strv_release(out);
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		if (!item || item->type != YAML_SCALAR_NODE)
			return fail(c, item ? item : node, "'%s' must be a list of strings", key);
		if (strlen(scalar(item)) != item->data.scalar.length)
			return fail(c, item, "'%s' holds a NUL byte", key);
		strv_push(out, scalar(item));
	}
	return 0;
}

/* A list of strings as a JSON array, for the image config. */
static int get_json_strlist(struct rctx *c, const char *key, yaml_node_t *node, json_t **out)
{
	_cleanup_(strv_release) struct strv sv = STRV_INIT;

	if (get_strlist(c, key, node, &sv) < 0)
		return -1;
	json_t *a = json_array();
	for (size_t i = 0; i < sv.n; i++)
		json_array_append_new(a, json_string(sv.v[i]));
	json_decref(*out);
	*out = a;
	return 0;
}

static int get_mode(struct rctx *c, const char *key, yaml_node_t *node, int *mode)
{
	if (node->type != YAML_SCALAR_NODE || pkg_mode_parse(scalar(node), mode) < 0)
		return fail(c, node, "'%s' must be an octal mode such as \"0755\"", key);
	return 0;
}

static int get_path(struct rctx *c, const char *key, yaml_node_t *node, char **out)
{
	_cleanup_free_ char *s = NULL;

	if (get_string(c, key, node, &s) < 0)
		return -1;
	char *n = pkg_path_normalise(s);
	if (!n)
		return fail(c, node, "'%s' must be a path below / without '..'", key);
	free(*out);
	*out = n;
	return 0;
}

/* A path in the package directory: relative, and never out of it. */
static int get_src(struct rctx *c, const char *key, yaml_node_t *node, char **out)
{
	_cleanup_free_ char *s = NULL;

	if (get_string(c, key, node, &s) < 0)
		return -1;
	if (s[0] == '/')
		return fail(c, node, "'%s' must be relative to the package directory", key);
	char *n = pkg_path_normalise(s);
	if (!n)
		return fail(c, node, "'%s' must be a path inside the package directory", key);
	free(*out);
	*out = n;
	return 0;
}

static bool is_alnum_lower(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* One component of a repository path, as docker accepts it: "abc", "a.b", "a__b", "a--b". */
static bool valid_component(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (!is_alnum_lower(s[i]))
			return false;
		while (i < n && is_alnum_lower(s[i]))
			i++;
		if (i == n)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n)
			return false;
	}
	return n > 0;
}

/* A repository path ("unikit", "my/org"). */
static bool valid_repo_component(const char *s)
{
	while (true) {
		size_t n = strcspn(s, "/");
		if (!valid_component(s, n))
			return false;
		if (!s[n])
			return true;
		s += n + 1;
	}
}

/* A Debian package name, optionally "=version". */
static bool valid_deb_name(const char *s)
{
	size_t n = strcspn(s, "=");

	if (n < 2 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
		      ch == '-' || ch == '.'))
			return false;
	}
	if (s[n] == '=') {
		const char *v = s + n + 1;
		if (!*v)
			return false;
		for (; *v; v++) {
			if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
			      (*v >= '0' && *v <= '9') || strchr(".+-~:", *v)))
				return false;
		}
	}
	return true;
}

typedef int (*key_fn)(struct rctx *c, void *obj, const char *key, yaml_node_t *value);

struct key_def {
	const char *name;
	key_fn fn;
};

static int walk_mapping(struct rctx *c, yaml_node_t *node, const char *what,
			const struct key_def *keys, size_t n_keys, void *obj)
{
	const char *names[32];

	BUG_ON(n_keys > ARRAY_SIZE(names));
	for (size_t i = 0; i < n_keys; i++)
		names[i] = keys[i].name;
	if (node->type != YAML_MAPPING_NODE)
		return fail(c, node, "%s must be a mapping", what);
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		if (!k || !v)
			return fail(c, node, "broken YAML document");
		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, "keys must be strings");
		for (yaml_node_pair_t *q = node->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(k2), scalar(k)) == 0)
				return fail(c, k, "duplicate key '%s'", scalar(k));
		}
		size_t i;
		for (i = 0; i < n_keys; i++) {
			if (strcmp(keys[i].name, scalar(k)) == 0)
				break;
		}
		if (i == n_keys) {
			const char *hint = pkg_did_you_mean(scalar(k), names, n_keys);
			if (hint)
				return fail(c, k, "unknown key '%s' in %s (did you mean '%s'?)",
					    scalar(k), what, hint);
			return fail(c, k, "unknown key '%s' in %s", scalar(k), what);
		}
		if (keys[i].fn(c, obj, keys[i].name, v) < 0)
			return -1;
	}
	return 0;
}

/* ---- debian: ---- */

static int deb_key(struct rctx *c, void *obj, const char *key, yaml_node_t *v)
{
	struct pkg_recipe *r = obj;

	if (strcmp(key, "resolve") == 0)
		return get_bool(c, key, v, &r->resolve);
	struct strv *sv = strcmp(key, "packages") == 0	? &r->debs
			  : strcmp(key, "exclude") == 0 ? &r->exclude
			  : strcmp(key, "trim") == 0	? &r->trim
							: &r->keep;
	if (get_strlist(c, key, v, sv) < 0)
		return -1;
	if (sv == &r->debs || sv == &r->exclude) {
		yaml_node_item_t *it = v->data.sequence.items.start;
		for (size_t i = 0; i < sv->n; i++, it++) {
			if (!valid_deb_name(sv->v[i]) ||
			    (sv == &r->exclude && strchr(sv->v[i], '=')))
				return fail(c, yaml_document_get_node(c->doc, *it),
					    "'%s' is not a Debian package name", sv->v[i]);
		}
	} else {
		yaml_node_item_t *it = v->data.sequence.items.start;
		for (size_t i = 0; i < sv->n; i++, it++) {
			char *n = pkg_path_normalise(sv->v[i]);
			if (!n)
				return fail(c, yaml_document_get_node(c->doc, *it),
					    "'%s' is not a path pattern", sv->v[i]);
			free(sv->v[i]);
			sv->v[i] = n;
		}
	}
	return 0;
}

static const struct key_def deb_keys[] = {
	{ "packages", deb_key }, { "resolve", deb_key }, { "exclude", deb_key },
	{ "trim", deb_key },	 { "keep", deb_key },
};

/* ---- kernel: ---- */

static int kernel_key(struct rctx *c, void *obj, const char *key, yaml_node_t *v)
{
	struct pkg_recipe *r = obj;

	if (strcmp(key, "package") == 0) {
		if (get_string(c, key, v, &r->kernel_package) < 0)
			return -1;
		if (!valid_deb_name(r->kernel_package) || strchr(r->kernel_package, '='))
			return fail(c, v, "'%s' is not a Debian package name", r->kernel_package);
		return 0;
	}
	struct strv *sv = strcmp(key, "modules") == 0 ? &r->modules : &r->load;
	if (get_strlist(c, key, v, sv) < 0)
		return -1;
	yaml_node_item_t *it = v->data.sequence.items.start;
	for (size_t i = 0; i < sv->n; i++, it++) {
		const char *m = sv->v[i];
		if (!*m || strchr(m, '/') || strchr(m, ' '))
			return fail(c, yaml_document_get_node(c->doc, *it),
				    "'%s' is not a module name", m);
	}
	return 0;
}

static const struct key_def kernel_keys[] = {
	{ "package", kernel_key },
	{ "modules", kernel_key },
	{ "load", kernel_key },
};

/* ---- files: ---- */

static int file_key(struct rctx *c, void *obj, const char *key, yaml_node_t *v)
{
	struct pkg_file *f = obj;

	if (strcmp(key, "src") == 0)
		return get_src(c, key, v, &f->src);
	if (strcmp(key, "dst") == 0)
		return get_path(c, key, v, &f->dst);
	if (strcmp(key, "contents") == 0)
		return get_string(c, key, v, &f->contents);
	if (strcmp(key, "symlink") == 0) {
		if (get_string(c, key, v, &f->symlink) < 0)
			return -1;
		if (!*f->symlink)
			return fail(c, v, "'symlink' must not be empty");
		return 0;
	}
	if (strcmp(key, "directory") == 0)
		return get_bool(c, key, v, &f->directory);
	if (strcmp(key, "mode") == 0)
		return get_mode(c, key, v, &f->mode);
	return get_uint(c, key, v, strcmp(key, "uid") == 0 ? &f->uid : &f->gid);
}

static const struct key_def file_keys[] = {
	{ "src", file_key },	 { "dst", file_key },	    { "contents", file_key },
	{ "symlink", file_key }, { "directory", file_key }, { "mode", file_key },
	{ "uid", file_key },	 { "gid", file_key },
};

static int files_key(struct rctx *c, void *obj, const char *key, yaml_node_t *v)
{
	struct pkg_recipe *r = obj;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail(c, v, "'files' must be a list");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		r->files = xrealloc(r->files, (r->n_files + 1) * sizeof(*r->files));
		struct pkg_file *f = &r->files[r->n_files++];
		memset(f, 0, sizeof(*f));
		f->mode = PKG_MODE_UNSET;
		f->where = where(c, item);
		if (walk_mapping(c, item, "a files entry", file_keys, ARRAY_SIZE(file_keys), f) < 0)
			return -1;
		if (!f->dst)
			return fail(c, item, "a files entry needs 'dst'");
		int kinds = !!f->src + !!f->contents + !!f->symlink + f->directory;
		if (kinds != 1)
			return fail(c, item,
				    "a files entry needs exactly one of 'src', 'contents', "
				    "'symlink' and 'directory: true'");
		if (f->symlink && f->mode != PKG_MODE_UNSET)
			return fail(c, item, "a symlink has no 'mode'");
	}
	return 0;
}

/* ---- programs: ---- */

static int program_key(struct rctx *c, void *obj, const char *key, yaml_node_t *v)
{
	struct pkg_program *p = obj;

	if (strcmp(key, "output") == 0)
		return get_path(c, key, v, &p->output);
	if (strcmp(key, "mode") == 0)
		return get_mode(c, key, v, &p->mode);
	if (strcmp(key, "cc") == 0) {
		if (get_strlist(c, key, v, &p->cc) < 0)
			return -1;
		if (p->cc.n == 0)
			return fail(c, v, "'cc' needs the compiler and its arguments");
		return 0;
	}
	if (strcmp(key, "make") == 0)
		return get_strlist(c, key, v, &p->make);
	if (strcmp(key, "env") == 0) {
		if (get_string(c, key, v, &p->env) < 0)
			return -1;
		for (const char *s = p->env; *s; s++) {
			if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			      (s != p->env && *s >= '0' && *s <= '9')))
				return fail(c, v, "'%s' is not a variable name", p->env);
		}
		return 0;
	}
	if (get_string(c, key, v, &p->file) < 0)
		return -1;
	if (!*p->file)
		return fail(c, v, "'file' must not be empty");
	return 0;
}

static const struct key_def program_keys[] = {
	{ "output", program_key }, { "mode", program_key }, { "cc", program_key },
	{ "file", program_key },   { "env", program_key },  { "make", program_key },
};

static int programs_key(struct rctx *c, void *obj, const char *key, yaml_node_t *v)
{
	struct pkg_recipe *r = obj;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail(c, v, "'programs' must be a list");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		r->programs = xrealloc(r->programs, (r->n_programs + 1) * sizeof(*r->programs));
		struct pkg_program *p = &r->programs[r->n_programs++];
		memset(p, 0, sizeof(*p));
		p->mode = PKG_MODE_UNSET;
		p->where = where(c, item);
		if (walk_mapping(c, item, "a programs entry", program_keys,
				 ARRAY_SIZE(program_keys), p) < 0)
			return -1;
		if (!p->output)
			return fail(c, item, "a programs entry needs 'output'");
		if (!!p->cc.n + !!p->file != 1)
			return fail(c, item,
				    "a programs entry needs exactly one of 'cc' and 'file'");
		if (p->cc.n && (p->env || p->make.n))
			return fail(c, item, "'env' and 'make' go with 'file', not with 'cc'");
	}
	return 0;
}

/* ---- the top level ---- */

static const char *const known_arches[] = { "amd64", "arm64",	"arm",	  "386",
					    "s390x", "riscv64", "ppc64le" };

static int top_key(struct rctx *c, void *obj, const char *key, yaml_node_t *v)
{
	struct pkg_recipe *r = obj;

	if (strcmp(key, "image") == 0 || strcmp(key, "org") == 0) {
		char **dst = key[0] == 'i' ? &r->image : &r->org;
		if (get_string(c, key, v, dst) < 0)
			return -1;
		if (!valid_repo_component(*dst))
			return fail(c, v, "'%s' is not a valid image name", *dst);
		return 0;
	}
	if (strcmp(key, "tag") == 0) {
		_cleanup_free_ char *probe = NULL;
		struct uk_err e = { 0 };
		if (get_string(c, key, v, &r->tag) < 0)
			return -1;
		if (pkg_tag_expand(r->tag, "0123456789abcdef0123456789abcdef01234567", &probe, &e) <
		    0) {
			fail(c, v, "%s", e.msg);
			uk_err_release(&e);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "gitrepo") == 0)
		return get_string(c, key, v, &r->gitrepo);
	if (strcmp(key, "arches") == 0) {
		if (get_strlist(c, key, v, &r->arches) < 0)
			return -1;
		yaml_node_item_t *it = v->data.sequence.items.start;
		for (size_t i = 0; i < r->arches.n; i++, it++) {
			bool ok = false;
			for (size_t j = 0; j < ARRAY_SIZE(known_arches); j++)
				ok = ok || strcmp(known_arches[j], r->arches.v[i]) == 0;
			if (!ok)
				return fail(c, yaml_document_get_node(c->doc, *it),
					    "unknown architecture '%s'", r->arches.v[i]);
		}
		return 0;
	}
	if (strcmp(key, "config") == 0) {
		json_decref(r->config);
		r->config = pkg_label_from_yaml(c->doc, v, c->file, c->err);
		return r->config ? 0 : -1;
	}
	if (strcmp(key, "entrypoint") == 0)
		return get_json_strlist(c, key, v, &r->entrypoint);
	if (strcmp(key, "cmd") == 0)
		return get_json_strlist(c, key, v, &r->cmd);
	if (strcmp(key, "env") == 0) {
		if (get_json_strlist(c, key, v, &r->env) < 0)
			return -1;
		size_t i;
		json_t *e;
		json_array_foreach(r->env, i, e)
		{
			if (!strchr(json_string_value(e), '=') || json_string_value(e)[0] == '=')
				return fail(c, v, "'env' entries must be NAME=VALUE");
		}
		return 0;
	}
	if (strcmp(key, "workdir") == 0) {
		if (get_string(c, key, v, &r->workdir) < 0)
			return -1;
		if (r->workdir[0] != '/')
			return fail(c, v, "'workdir' must be an absolute path");
		return 0;
	}
	if (strcmp(key, "debian") == 0) {
		free(r->debs_where);
		r->debs_where = where(c, v);
		if (walk_mapping(c, v, "'debian'", deb_keys, ARRAY_SIZE(deb_keys), r) < 0)
			return -1;
		if (r->debs.n == 0)
			return fail(c, v, "'debian' needs a list of 'packages'");
		return 0;
	}
	if (strcmp(key, "kernel") == 0) {
		free(r->kernel_where);
		r->kernel_where = where(c, v);
		if (walk_mapping(c, v, "'kernel'", kernel_keys, ARRAY_SIZE(kernel_keys), r) < 0)
			return -1;
		if (!r->kernel_package)
			return fail(c, v, "'kernel' needs a 'package'");
		return 0;
	}
	if (strcmp(key, "files") == 0)
		return files_key(c, obj, key, v);
	if (strcmp(key, "programs") == 0)
		return programs_key(c, obj, key, v);
	/* LinuxKit's Docker-only fields: say why rather than "unknown key". */
	return fail(c, v,
		    "'%s' is not supported: unikit builds packages without Docker "
		    "(see docs/pkg.md)",
		    key);
}

static const struct key_def top_keys[] = {
	{ "image", top_key },
	{ "org", top_key },
	{ "tag", top_key },
	{ "arches", top_key },
	{ "config", top_key },
	{ "gitrepo", top_key },
	{ "entrypoint", top_key },
	{ "cmd", top_key },
	{ "env", top_key },
	{ "workdir", top_key },
	{ "debian", top_key },
	{ "kernel", top_key },
	{ "files", top_key },
	{ "programs", top_key },
	/* LinuxKit fields that need Docker: rejected with a reason by top_key */
	{ "dockerfile", top_key },
	{ "extra-sources", top_key },
	{ "network", top_key },
	{ "disable-cache", top_key },
	{ "disable-content-trust", top_key },
	{ "buildArgs", top_key },
	{ "depends", top_key },
};

int pkg_recipe_parse(struct pkg_recipe *r, const char *name, const char *text, size_t len,
		     struct uk_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct rctx c = { .file = name, .doc = &doc, .err = err };
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!yaml_parser_initialize(&parser))
		return uk_err_set(err, "%s: cannot initialise the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		uk_err_setc(err, UK_ERR_INPUT, "%s:%zu:%zu: %s", name,
			    (size_t)parser.problem_mark.line + 1,
			    (size_t)parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -1;
	}
	r->path = xstrdup(name);
	r->resolve = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		fail(&c, NULL, "empty file: 'image' is required");
		goto out;
	}
	if (walk_mapping(&c, root, "build.yml", top_keys, ARRAY_SIZE(top_keys), r) < 0)
		goto out;
	if (!r->image) {
		fail(&c, root, "'image' is required");
		goto out;
	}
	if (!r->org)
		r->org = xstrdup("unikit");
	if (!r->tag)
		r->tag = xstrdup("{{.Hash}}");
	if (r->arches.n == 0) {
		strv_push(&r->arches, "amd64");
		strv_push(&r->arches, "arm64");
	}
	ret = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret < 0) {
		pkg_recipe_release(r);
		memset(r, 0, sizeof(*r));
	}
	return ret;
}

int pkg_recipe_load(struct pkg_recipe *r, const char *path, struct uk_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (fs_read_file(path, RECIPE_MAX, &text, &len, err) < 0)
		return -1;
	return pkg_recipe_parse(r, path, text, len, err);
}

void pkg_recipe_release(struct pkg_recipe *r)
{
	free(r->path);
	free(r->image);
	free(r->org);
	free(r->tag);
	free(r->gitrepo);
	strv_release(&r->arches);
	json_decref(r->config);
	json_decref(r->entrypoint);
	json_decref(r->cmd);
	json_decref(r->env);
	free(r->workdir);
	strv_release(&r->debs);
	strv_release(&r->exclude);
	strv_release(&r->trim);
	strv_release(&r->keep);
	free(r->debs_where);
	free(r->kernel_package);
	strv_release(&r->modules);
	strv_release(&r->load);
	free(r->kernel_where);
	for (size_t i = 0; i < r->n_files; i++) {
		struct pkg_file *f = &r->files[i];
		free(f->src);
		free(f->dst);
		free(f->contents);
		free(f->symlink);
		free(f->where);
	}
	free(r->files);
	for (size_t i = 0; i < r->n_programs; i++) {
		struct pkg_program *p = &r->programs[i];
		free(p->output);
		strv_release(&p->cc);
		free(p->file);
		free(p->env);
		strv_release(&p->make);
		free(p->where);
	}
	free(r->programs);
	memset(r, 0, sizeof(*r));
}

char *pkg_path_normalise(const char *p)
{
	struct strbuf sb = STRBUF_INIT;

	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p += n;
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			strbuf_release(&sb);
			return NULL;
		} else {
			if (sb.len)
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, n);
			p += n;
		}
		if (*p == '/')
			p++;
	}
	if (!sb.len) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

int pkg_mode_parse(const char *s, int *mode)
{
	char *end;

	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	if (!*s || strspn(s, "01234567") != strlen(s) || strlen(s) > 5)
		return -1;
	errno = 0;
	long v = strtol(s, &end, 8);
	if (errno || *end || v < 0 || v > 07777)
		return -1;
	*mode = (int)v;
	return 0;
}

/* Edits from a to b, a swap of neighbours counting as one (optimal string alignment). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[33][33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *pkg_did_you_mean(const char *s, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(s, words[i]);
		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	size_t limit = strlen(s) < 5 ? 1 : 2;
	return best_d <= limit ? best : NULL;
}
