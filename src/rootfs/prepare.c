// SPDX-License-Identifier: Apache-2.0
#include "rootfs/prepare.h"

#include <string.h>

/* The directory of the spec file a node came from ("FILE:LINE:COL"), for @pkg: paths. */
static char *node_dir(const struct spec *spec, const json_t *node)
{
	const char *where = spec_where(spec, node);
	if (!where)
		return xstrdup(".");
	_cleanup_free_ char *file = xstrdup(where);
	for (int i = 0; i < 2; i++) { /* strip ":LINE:COL" */
		char *colon = strrchr(file, ':');
		if (colon)
			*colon = '\0';
	}
	const char *slash = strrchr(file, '/');
	if (!slash || !strcmp(file, "<stdin>"))
		return xstrdup(".");
	if (slash == file)
		return xstrdup("/");
	return xstrndup(file, (size_t)(slash - file));
}

/* Announces the pull registry_pull_missing() is about to make; passes every event on. */
struct pull_events {
	const struct rootfs_prepare_opts *opts;
	const struct registry_opts *registry;
};

static void pull_event(void *ctx, const struct registry_event *ev)
{
	const struct pull_events *pe = ctx;

	if (ev->kind == REGISTRY_EV_MISSING && pe->opts->announce)
		pe->opts->announce(pe->opts->announce_ctx, "pull", ev->ref);
	if (pe->registry->progress)
		pe->registry->progress(pe->registry->progress_ctx, ev);
}

/*
 * built maps "DIR\nNAME" to the image an @pkg: reference resolved to, so that a package that
 * several containers use is resolved (its Debian packages, its tag) once per build.
 */
static int prepare_one(struct spec *spec, struct store *store, json_t *ref, json_t *built,
		       const struct rootfs_prepare_opts *opts, struct uk_err *err)
{
	static const struct registry_opts no_registry_opts = { 0 };
	const char *name = json_string_value(ref);
	const char *where = spec_where(spec, ref);

	if (!name || !*name)
		return 0;
	if (pkg_ref_is_template(name)) {
		static const struct pkg_opts no_pkg_opts = PKG_OPTS_INIT;
		_cleanup_free_ char *dir = node_dir(spec, ref);
		_cleanup_free_ char *resolved = NULL;
		_cleanup_free_ char *key = xasprintf("%s\n%s", dir, name);
		const char *done = json_string_value(json_object_get(built, key));

		if (done) {
			json_string_set(ref, done);
			return 0;
		}
		if (opts->announce)
			opts->announce(opts->announce_ctx, "package", name);
		if (pkg_resolve_ref_opts(store, name, dir, opts->pkg ? opts->pkg : &no_pkg_opts,
					 &resolved, err) < 0) {
			if (where)
				return uk_err_wrap(err, "%s", where);
			return -1;
		}
		/* the same node, so spec_where() still knows where it came from */
		json_string_set(ref, resolved);
		json_object_set_new(built, key, json_string(resolved));
		return 0;
	}

	const struct registry_opts *base = opts->registry ? opts->registry : &no_registry_opts;
	struct pull_events pe = { .opts = opts, .registry = base };
	struct registry_opts ro = *base;
	ro.progress = pull_event;
	ro.progress_ctx = &pe;
	int r;
	if (opts->pull) {
		if (opts->announce)
			opts->announce(opts->announce_ctx, "pull", name);
		r = registry_pull(store, name, &ro, err);
	} else {
		/* looks at the store (once) and pulls only when something is missing */
		r = registry_pull_missing(store, name, &ro, err);
	}
	if (r < 0 && where)
		uk_err_wrap(err, "%s", where);
	return r;
}

static int prepare_list(struct spec *spec, struct store *store, json_t *list, const char *key,
			json_t *built, const struct rootfs_prepare_opts *opts, struct uk_err *err)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		json_t *ref = key ? json_object_get(v, key) : v;
		if (json_is_string(ref) && prepare_one(spec, store, ref, built, opts, err) < 0)
			return -1;
	}
	return 0;
}

int rootfs_prepare_images(struct spec *spec, struct store *store,
			  const struct rootfs_prepare_opts *opts, struct uk_err *err)
{
	static const char *const sections[] = { "onboot", "onshutdown", "services", "volumes" };
	json_t *root = spec->root;
	json_t *kernel_ref = json_object_get(json_object_get(root, "kernel"), "image");
	json_t *built = json_object();
	int rc = -1;

	if (json_is_string(kernel_ref) &&
	    prepare_one(spec, store, kernel_ref, built, opts, err) < 0)
		goto out;
	if (prepare_list(spec, store, json_object_get(root, "init"), NULL, built, opts, err) < 0)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		if (prepare_list(spec, store, json_object_get(root, sections[i]), "image", built,
				 opts, err) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(built);
	return rc;
}
