/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spec: LinuxKit's YAML, parsed with libyaml, validated and merged.
 *
 * The result is a JSON tree (jansson) that uses LinuxKit's own field names,
 * the same names the `org.mobyproject.config` image label uses, so the
 * assembly can merge an entry with its image's label key by key:
 *
 *   { "kernel": { "image", "cmdline", "binary", "tar", "ucode" },
 *     "init": [ "ref", ... ],
 *     "onboot" | "onshutdown" | "services": [ { "name", "image", ...fields... } ],
 *     "files": [ { "path", "directory", "symlink", "contents", "source",
 *                  "metadata", "optional", "mode", "uid", "gid" } ],
 *     "volumes": [ { "name", "image", "readonly", "format", "platforms" } ],
 *     "trust": { ... } }
 *
 * Values are normalised: a key absent from the YAML is absent from the tree
 * (defaults are the assembly's business, except kernel.binary = "kernel" and
 * kernel.tar = "kernel.tar", which are filled in); lists are JSON arrays;
 * uid/gid are integers or strings (names); "mode" is kept as the YAML's octal
 * string; booleans are JSON booleans; integers are JSON integers.
 */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "util/err.h"

struct spec_pos; /* private: where each node came from */

struct spec {
	json_t *root;		/* owned; the merged, validated spec */
	struct spec_pos *where; /* owned */
};

#define SPEC_INIT                           \
	{                                   \
		.root = NULL, .where = NULL \
	}

/*
 * Parses, validates and merges the spec files in order ("-" is stdin). Every
 * error in every file is collected; on failure err->msg holds them all, one
 * "FILE:LINE:COL: message" per line, and err->code is UK_ERR_INPUT.
 */
int spec_load(struct spec *spec, const char *const *paths, size_t n, struct uk_err *err);
void spec_release(struct spec *spec);

/* "FILE:LINE:COL" of the YAML node a JSON node came from, or NULL if unknown. */
const char *spec_where(const struct spec *spec, const json_t *node);

/* Writes the merged spec as YAML (LinuxKit's key order), for `build -dry-run`. */
int spec_write_yaml(const struct spec *spec, FILE *out, struct uk_err *err);
