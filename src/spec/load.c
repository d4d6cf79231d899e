// SPDX-License-Identifier: Apache-2.0
/*
 * Loading a spec: each file is read, parsed and validated on its own, then
 * the files merge as LinuxKit's AppendConfig does (later non-empty kernel
 * fields win, lists append) and what needs the whole picture is checked:
 * unique service and volume names, binds that name volumes.
 */
#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"
#include "spec/spec.h"
#include "util/fs.h"

#define SPEC_MAX_FILE_SIZE (16u << 20)
/* nodes one file may expand to through aliases */
#define SPEC_MAX_NODES 1000000

static const char *const list_sections[] = { "init",	 "onboot", "onshutdown",
					     "services", "files",  "volumes" };
static const char *const image_sections[] = { "onboot", "onshutdown", "services" };

/* Parses and validates one file's text; returns its tree (partial when it has errors). */
static json_t *load_text(struct spec_pos *pos, struct spec_errs *errs, const char *display,
			 const char *buf, size_t len)
{
	_cleanup_free_ char *msg = NULL;
	struct ydoc doc = YDOC_INIT;
	unsigned file = spec_pos_add_file(pos, display);
	unsigned line, col;

	if (ydoc_load(&doc, buf, len, &line, &col, &msg) < 0) {
		spec_errs_add(errs, display, line, col, "%s", msg);
		ydoc_release(&doc);
		return NULL;
	}
	struct parse p = {
		.pos = pos,
		.file = file,
		.fname = display,
		.errs = errs,
		.budget = SPEC_MAX_NODES,
	};
	json_t *root = spec_parse_root(&p, &spec_schema_top, doc.root);
	ydoc_release(&doc);
	return root;
}

static json_t *load_file(struct spec_pos *pos, struct spec_errs *errs, const char *path)
{
	_cleanup_err_ struct uk_err rerr = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (fs_read_file(path, SPEC_MAX_FILE_SIZE, &buf, &len, &rerr) < 0) {
		spec_errs_line(errs, rerr.msg);
		return NULL;
	}
	return load_text(pos, errs, strcmp(path, "-") ? path : "<stdin>", buf, len);
}

_printf_(5, 6) static void error_at(struct spec_errs *errs, struct spec_pos *pos,
				    const json_t *node, const char *key, const char *fmt, ...)
{
	unsigned file = 0, line = 0, col = 0;
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (spec_pos_get(pos, node, key, &file, &line, &col))
		spec_errs_add(errs, spec_pos_file(pos, file), line, col, "%s", msg ? msg : "?");
	else
		spec_errs_line(errs, msg ? msg : "?");
}

static void merge_kernel(struct spec_pos *pos, json_t *root, json_t *const *files, size_t n)
{
	static const char *const when_non_empty[] = { "image", "cmdline", "binary" };
	static const char *const when_given[] = { "tar", "ucode" };
	json_t *kernel = NULL;

	for (size_t i = 0; i < n; i++) {
		json_t *k = files[i] ? json_object_get(files[i], "kernel") : NULL;

		if (!k)
			continue;
		if (!kernel) {
			kernel = json_object();
			spec_pos_copy(pos, kernel, NULL, k, NULL);
			spec_pos_copy(pos, root, "kernel", files[i], "kernel");
		}
		for (size_t j = 0; j < ARRAY_SIZE(when_non_empty); j++) {
			const char *key = when_non_empty[j];
			json_t *v = json_object_get(k, key);

			if (!v || (json_object_get(kernel, key) && !*json_string_value(v)))
				continue;
			json_object_set(kernel, key, v);
			spec_pos_copy(pos, kernel, key, k, key);
		}
		for (size_t j = 0; j < ARRAY_SIZE(when_given); j++) {
			const char *key = when_given[j];
			json_t *v = json_object_get(k, key);

			if (!v)
				continue;
			json_object_set(kernel, key, v);
			spec_pos_copy(pos, kernel, key, k, key);
		}
	}
	if (!kernel)
		return;
	if (!json_object_get(kernel, "binary"))
		json_object_set_new(kernel, "binary", json_string("kernel"));
	if (!json_object_get(kernel, "tar"))
		json_object_set_new(kernel, "tar", json_string("kernel.tar"));
	json_object_set_new(root, "kernel", kernel);
}

static void merge_list(struct spec_pos *pos, json_t *dst, const char *key, json_t *src_obj)
{
	json_t *src = json_object_get(src_obj, key);
	json_t *merged = json_object_get(dst, key);

	if (!src)
		return;
	if (!merged) {
		merged = json_array();
		spec_pos_copy(pos, merged, NULL, src, NULL);
		spec_pos_copy(pos, dst, key, src_obj, key);
		json_object_set_new(dst, key, merged);
	}
	json_array_extend(merged, src);
}

static json_t *merge(struct spec_pos *pos, json_t *const *files, size_t n)
{
	json_t *root = json_object();
	json_t *trust = NULL;

	merge_kernel(pos, root, files, n);
	for (size_t j = 0; j < ARRAY_SIZE(list_sections); j++) {
		for (size_t i = 0; i < n; i++) {
			if (files[i])
				merge_list(pos, root, list_sections[j], files[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_t *t = files[i] ? json_object_get(files[i], "trust") : NULL;

		if (!t)
			continue;
		if (!trust) {
			trust = json_object();
			spec_pos_copy(pos, trust, NULL, t, NULL);
			spec_pos_copy(pos, root, "trust", files[i], "trust");
			json_object_set_new(root, "trust", trust);
		}
		merge_list(pos, trust, "image", t);
		merge_list(pos, trust, "org", t);
	}
	return root;
}

/* Reports the second and later uses of each "name" in a list of entries. */
static void check_unique(struct spec_errs *errs, struct spec_pos *pos, json_t *list,
			 const char *what)
{
	json_t *seen = json_object();
	size_t i;
	json_t *entry;

	json_array_foreach(list, i, entry)
	{
		json_t *name = json_object_get(entry, "name");
		const char *s = json_string_value(name);
		json_t *first;

		if (!s)
			continue;
		first = json_object_get(seen, s);
		if (!first) {
			json_object_set(seen, s, name);
			continue;
		}
		const char *at = spec_pos_str(pos, first, NULL);
		_cleanup_free_ char *shown = SHOW(s);
		error_at(errs, pos, name, NULL, "duplicate %s name '%s' (first at %s)", what, shown,
			 at ? at : "?");
	}
	json_decref(seen);
}

static void check_volume_ref(struct spec_errs *errs, struct spec_pos *pos, json_t *volumes,
			     const json_t *node, const char *src, bool read_only)
{
	json_t *vol = json_object_get(volumes, src);
	_cleanup_free_ char *shown = SHOW(src);

	if (!vol) {
		const char *names[64];
		size_t n = 0;
		const char *key;
		json_t *v;

		json_object_foreach(volumes, key, v)
		{
			if (n < ARRAY_SIZE(names))
				names[n++] = key;
		}
		const char *near = spec_suggest(src, names, n);
		_cleanup_free_ char *shown_near = near ? SHOW(near) : NULL;
		error_at(errs, pos, node, NULL,
			 "bind source '%s' is neither an absolute path nor a volume%s%s%s", shown,
			 near ? " (did you mean '" : "", near ? shown_near : "", near ? "'?)" : "");
		return;
	}
	if (json_is_true(json_object_get(vol, "readonly")) && !read_only)
		error_at(errs, pos, node, NULL,
			 "volume '%s' is read-only: mount it with the option 'ro'", shown);
}

static bool has_option(const char *opts, const char *opt)
{
	size_t len = strlen(opt);

	for (const char *o = opts; o && *o;) {
		const char *end = strchrnul(o, ',');

		if ((size_t)(end - o) == len && !memcmp(o, opt, len))
			return true;
		o = *end ? end + 1 : end;
	}
	return false;
}

/* Binds and bind mounts whose source is not a path name a volume (LinuxKit's rule). */
static void check_volume_refs(struct spec_errs *errs, struct spec_pos *pos, json_t *root)
{
	json_t *volumes = json_object();
	size_t i, j;
	json_t *e, *v;

	json_array_foreach(json_object_get(root, "volumes"), i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));

		if (name)
			json_object_set(volumes, name, v);
	}
	for (size_t s = 0; s < ARRAY_SIZE(image_sections); s++) {
		json_array_foreach(json_object_get(root, image_sections[s]), i, e)
		{
			static const char *const keys[] = { "binds", "binds.add" };

			for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
				json_array_foreach(json_object_get(e, keys[k]), j, v)
				{
					const char *bind = json_string_value(v);
					const char *colon = strchr(bind, ':');

					if (bind[0] == '/' || !colon || colon == bind)
						continue;
					_cleanup_free_ char *src =
						xstrndup(bind, (size_t)(colon - bind));
					const char *opts = strchr(colon + 1, ':');
					check_volume_ref(errs, pos, volumes, v, src,
							 has_option(opts ? opts + 1 : NULL, "ro"));
				}
			}
			json_array_foreach(json_object_get(e, "mounts"), j, v)
			{
				const char *type = json_string_value(json_object_get(v, "type"));
				const char *src = json_string_value(json_object_get(v, "source"));
				bool ro = false;
				size_t o;
				json_t *opt;

				if (!type || strcmp(type, "bind") || !src || src[0] == '/')
					continue;
				json_array_foreach(json_object_get(v, "options"), o, opt)
				{
					if (json_string_value(opt) &&
					    !strcmp(json_string_value(opt), "ro"))
						ro = true;
				}
				json_t *at = json_object_get(v, "source");
				check_volume_ref(errs, pos, volumes, at, src, ro);
			}
		}
	}
	json_decref(volumes);
}

/* Merges the files' trees (which it frees), checks the whole, and fills spec. */
static int finish(struct spec *spec, struct spec_pos *pos, struct spec_errs *errs, json_t **files,
		  size_t n, struct uk_err *err)
{
	json_t *root = merge(pos, files, n);

	for (size_t i = 0; i < n; i++)
		json_decref(files[i]);
	check_unique(errs, pos, json_object_get(root, "services"), "service");
	check_unique(errs, pos, json_object_get(root, "volumes"), "volume");
	check_volume_refs(errs, pos, root);
	if (errs->n > 0) {
		json_decref(root);
		spec_pos_free(pos);
		uk_err_setc(err, UK_ERR_INPUT, "%s", errs->sb.buf);
		strbuf_release(&errs->sb);
		return -1;
	}
	strbuf_release(&errs->sb);
	spec_pos_prune(pos, root);
	spec->root = root;
	spec->where = pos;
	return 0;
}

int spec_load(struct spec *spec, const char *const *paths, size_t n, struct uk_err *err)
{
	struct spec_errs errs = { .sb = STRBUF_INIT, .n = 0 };
	struct spec_pos *pos = spec_pos_new();
	_cleanup_free_ json_t **files = xcalloc(n ? n : 1, sizeof(*files));
	size_t stdin_uses = 0;

	if (n == 0)
		spec_errs_line(&errs, "no spec file given");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(paths[i], "-") == 0 && ++stdin_uses > 1) {
			spec_errs_line(&errs, "'-' (standard input) can be given only once");
			continue;
		}
		files[i] = load_file(pos, &errs, paths[i]);
	}
	return finish(spec, pos, &errs, files, n, err);
}

int spec_load_text(struct spec *spec, const char *name, const char *text, size_t len,
		   struct uk_err *err)
{
	struct spec_errs errs = { .sb = STRBUF_INIT, .n = 0 };
	struct spec_pos *pos = spec_pos_new();
	json_t *file = load_text(pos, &errs, name, text, len);

	return finish(spec, pos, &errs, &file, 1, err);
}

void spec_release(struct spec *spec)
{
	json_decref(spec->root);
	spec_pos_free(spec->where);
	*spec = (struct spec)SPEC_INIT;
}

int spec_parse_label(const char *text, size_t len, const char *what, json_t **out,
		     struct uk_err *err)
{
	struct spec_errs errs = { .sb = STRBUF_INIT, .n = 0 };
	struct spec_pos *pos = spec_pos_new();
	_cleanup_free_ char *msg = NULL;
	struct ydoc doc = YDOC_INIT;
	unsigned line, col;
	json_t *obj = NULL;

	if (ydoc_load(&doc, text, len, &line, &col, &msg) < 0) {
		spec_errs_add(&errs, what, line, col, "%s", msg);
	} else if (!doc.root ||
		   (doc.root->kind == YN_SCALAR && doc.root->plain && doc.root->len == 0)) {
		/* an empty label is no label */
		obj = json_object();
	} else if (doc.root->kind != YN_MAP) {
		spec_errs_add(&errs, what, doc.root ? doc.root->line : 1,
			      doc.root ? doc.root->col : 1, "the label must hold a mapping");
	} else {
		struct parse p = {
			.pos = pos,
			.file = spec_pos_add_file(pos, what),
			.fname = what,
			.errs = &errs,
			.budget = SPEC_MAX_NODES,
			.sec = "label",
		};
		obj = spec_parse_root(&p, &spec_schema_label, doc.root);
	}
	ydoc_release(&doc);
	spec_pos_free(pos);
	if (errs.n > 0) {
		json_decref(obj);
		uk_err_setc(err, UK_ERR_INPUT, "%s", errs.sb.buf);
		strbuf_release(&errs.sb);
		return -1;
	}
	strbuf_release(&errs.sb);
	*out = obj;
	return 0;
}
