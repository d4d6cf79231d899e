// SPDX-License-Identifier: Apache-2.0
/*
 * The spec parser on arbitrary bytes: it must not crash, leak or hang, an
 * error must say where, and a spec it accepts must print as YAML that loads
 * back to the same spec. The same bytes also go through the label parser.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"

static void check_errors(const char *msg, const char *name)
{
	/* every line names the input (or is the "too many errors" line) */
	for (const char *p = msg; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, name, strlen(name)) != 0 && strncmp(p, "too many errors", 15) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec spec = SPEC_INIT;
	struct uk_err err = { 0 };
	json_t *label = NULL;

	if (spec_parse_label((const char *)data, size, "label", &label, &err) < 0) {
		check_errors(err.msg, "label:");
		uk_err_release(&err);
	}
	json_decref(label);

	if (spec_load_text(&spec, "fuzz.yml", (const char *)data, size, &err) < 0) {
		check_errors(err.msg, "fuzz.yml:");
		uk_err_release(&err);
		return 0;
	}
	char *yaml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&yaml, &len);
	if (!f || spec_write_yaml(&spec, f, &err) < 0)
		abort();
	fclose(f);
	struct spec again = SPEC_INIT;
	if (spec_load_text(&again, "again.yml", yaml, len, &err) < 0) {
		fprintf(stderr, "%s\n--- from:\n%s\n", err.msg, yaml);
		abort();
	}
	if (!json_equal(spec.root, again.root)) {
		fprintf(stderr, "round trip differs:\n%s\n", yaml);
		abort();
	}
	free(yaml);
	spec_release(&again);
	spec_release(&spec);
	return 0;
}
