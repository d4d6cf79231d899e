/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Before assembly: every image a spec names is made present in the store.
 * `@pkg:` templates are built from their package directories (LinuxKit's
 * form) and replaced in the spec by the store name they build; other
 * references go to registry_pull_missing(), which pulls an image when the
 * store lacks it or any blob of it (registry_pull(), always, with pull), so a
 * build whose images are all complete in the store makes no network request.
 */
#pragma once

#include "oci/oci.h"
#include "pkg/pkg.h"
#include "registry/registry.h"
#include "spec/spec.h"

struct rootfs_prepare_opts {
	bool pull;			      /* -pull: pull every image, present or not */
	const struct registry_opts *registry; /* pulls; NULL: defaults */
	const struct pkg_opts *pkg;	      /* package builds; NULL: defaults */
	/* Told about each image before it is pulled or built (may be NULL). */
	void (*announce)(void *ctx, const char *verb, const char *ref);
	void *announce_ctx;
};

/* Resolves and fetches every image of spec (which it may rewrite: templates become names). */
int rootfs_prepare_images(struct spec *spec, struct store *store,
			  const struct rootfs_prepare_opts *opts, struct uk_err *err);
