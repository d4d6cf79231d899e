/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Package builds without Docker (docs/pkg.md): a directory with a build.yml
 * becomes an OCI image in the store, made of Debian packages, files from the
 * directory and programs built on the host. Its tag is a content hash of the
 * directory and of the exact Debian packages it uses, so a package whose tag
 * is already in the store is not built again.
 */
#pragma once

#include "oci/oci.h"
#include "util/err.h"

/* Progress lines ("fetch busybox-static 1:1.35.0-4"), for a front end to show. */
typedef void (*pkg_log_fn)(void *ctx, const char *line);

struct pkg_opts {
	const char *org;     /* overrides build.yml's org; NULL: keep it */
	bool force;	     /* build even when the store has the tag */
	const char *deb_dir; /* downloaded .deb files; NULL: STORE/debs */
	const char *tmpdir;  /* scratch space; NULL: $TMPDIR or /tmp */
	pkg_log_fn log;	     /* NULL: silent */
	void *log_ctx;
};

#define PKG_OPTS_INIT                                                                      \
	{                                                                                  \
		.org = NULL, .force = false, .deb_dir = NULL, .tmpdir = NULL, .log = NULL, \
		.log_ctx = NULL                                                            \
	}

struct pkg; /* opaque: one package directory, its recipe and its tag */

/*
 * Reads dir/build.yml and computes the tag: Debian packages are resolved with
 * apt (nothing is downloaded), `programs` entries that name a host file are
 * brought up to date. Errors in build.yml are "FILE:LINE:COL: message" with
 * code UK_ERR_INPUT; a Debian package that does not exist is an error naming it.
 */
int pkg_open(struct pkg **out, const char *dir, const struct pkg_opts *opts, struct uk_err *err);
void pkg_free(struct pkg *p);

const char *pkg_tag(const struct pkg *p);  /* "3f2a..." (or build.yml's tag template applied) */
const char *pkg_name(const struct pkg *p); /* "ORG/IMAGE:TAG", what show-tag prints */
const char *pkg_ref(const struct pkg *p);  /* the store name: "docker.io/ORG/IMAGE:TAG" */
/* build.yml's arches (default amd64 and arm64): what `pkg build -push` indexes. */
const char *const *pkg_arches(const struct pkg *p, size_t *n);

/*
 * Builds the image into the store and names it pkg_ref(), unless the store
 * already has that name and opts->force is off. *built says which happened.
 */
int pkg_build(struct pkg *p, struct store *store, bool *built, struct uk_err *err);

/* True for LinuxKit's package templates: "@pkg:PATH" (and unikit's "NAME:@pkg:PATH"). */
bool pkg_ref_is_template(const char *ref);

/*
 * Resolves an image reference from a spec. A template ("@pkg:../pkg/init",
 * PATH relative to base_dir unless absolute; or "ORG/IMAGE:@pkg:PATH", where
 * ORG/IMAGE must match the package) is built into the store when the store
 * lacks it, and *resolved is its store name ("docker.io/unikit/init:3f2a...").
 * Any other reference is copied unchanged. The caller frees *resolved.
 */
int pkg_resolve_ref(struct store *store, const char *ref, const char *base_dir, char **resolved,
		    struct uk_err *err);
/* The same, with options (progress, -force, the .deb directory). */
int pkg_resolve_ref_opts(struct store *store, const char *ref, const char *base_dir,
			 const struct pkg_opts *opts, char **resolved, struct uk_err *err);
