// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: build.yml parsing (the recipe and its config label) on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "pkg/pkg-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkg_recipe r;
	struct uk_err err = { 0 };

	if (pkg_recipe_parse(&r, "build.yml", (const char *)data, size, &err) == 0) {
		/* what a build does next with a parsed recipe: nothing may crash */
		char *label = r.config ? json_dumps(r.config, JSON_COMPACT) : NULL;
		free(label);
		for (size_t i = 0; i < r.n_files; i++)
			BUG_ON(!r.files[i].dst || strstr(r.files[i].dst, "..") == r.files[i].dst);
		pkg_recipe_release(&r);
	} else {
		BUG_ON(!err.msg || err.code != UK_ERR_INPUT);
		uk_err_release(&err);
	}
	return 0;
}
