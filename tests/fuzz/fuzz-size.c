// SPDX-License-Identifier: Apache-2.0
/* The -size parser (LinuxKit's syntax) on any string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct uk_err err = { 0 };
	uint64_t v = 0;

	if (output_size_parse(s, &v, &err) == 0) {
		/* a parsed size is whole megabytes, and formats back to what reparses the same */
		BUG_ON(v == 0 || v % OUTPUT_MIB);
		char *f = output_size_format(v);
		uint64_t w = 0;
		BUG_ON(output_size_parse(f, &w, &err) != 0 || w != v);
		free(f);
	} else {
		BUG_ON(!err.msg);
		uk_err_release(&err);
	}
	free(s);
	return 0;
}
