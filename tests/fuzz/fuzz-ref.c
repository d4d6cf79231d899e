// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzzes image references: any input is accepted or refused with an error,
 * and an accepted one normalises to a reference that parses again to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uk_err err = { 0 };
	struct oci_ref ref = { 0 }, again = { 0 };

	if (size > 4096)
		return 0;
	char *s = xstrndup((const char *)data, size);
	if (oci_ref_parse(&ref, s, &err) < 0) {
		BUG_ON(!err.msg || err.code != UK_ERR_INPUT);
		BUG_ON(ref.domain || ref.path || ref.tag || ref.digest);
		uk_err_release(&err);
		free(s);
		return 0;
	}
	BUG_ON(!ref.domain || !ref.path || (!ref.tag && !ref.digest));
	BUG_ON(ref.digest && !oci_digest_valid(ref.digest));
	char *norm = oci_ref_string(&ref);
	if (oci_ref_parse(&again, norm, &err) < 0)
		uk_bug(__FILE__, __LINE__, "a normalised reference does not parse");
	char *norm2 = oci_ref_string(&again);
	BUG_ON(strcmp(norm, norm2) != 0);
	free(norm2);
	free(norm);
	oci_ref_release(&again);
	oci_ref_release(&ref);
	free(s);
	return 0;
}
