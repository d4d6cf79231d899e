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
/* Like spec_load() for one spec held in memory; name is its FILE in messages. */
int spec_load_text(struct spec *spec, const char *name, const char *text, size_t len,
		   struct uk_err *err);
void spec_release(struct spec *spec);

/*
 * "FILE:LINE:COL" of the YAML node a JSON node came from, or NULL if unknown.
 * The string belongs to the spec. Booleans are jansson singletons with no
 * position of their own: ask spec_where_member() for them.
 */
const char *spec_where(const struct spec *spec, const json_t *node);
/* "FILE:LINE:COL" of the value of obj's member key (any type), or NULL. */
const char *spec_where_member(const struct spec *spec, const json_t *obj, const char *key);

/*
 * Writes the merged spec as YAML (LinuxKit's key order), for `build -dry-run`
 * and `metadata: yaml` files. The output parses back to an equal spec.
 */
int spec_write_yaml(const struct spec *spec, FILE *out, struct uk_err *err);

/*
 * Parses and validates an image's org.mobyproject.config label (JSON, or
 * YAML) with the rules of an image entry, less `name` and `image`, into a
 * JSON object with the same normalised field names (*out, caller owns); an
 * empty label gives an empty object.
 * Errors read "WHAT:LINE:COL: message", one per line.
 */
int spec_parse_label(const char *text, size_t len, const char *what, json_t **out,
		     struct uk_err *err);

/* The capability names LinuxKit knows ("CAP_CHOWN", ...), for "all". */
const char *const *spec_capabilities(size_t *n);
