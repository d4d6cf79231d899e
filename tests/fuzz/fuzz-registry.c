// SPDX-License-Identifier: Apache-2.0
/*
 * The registry client's parsers, on bytes from the network or the user's
 * config: the first byte picks WWW-Authenticate, a manifest or index (with
 * its blobs and a platform choice), Docker's config.json, UNIKIT_REGISTRY_AUTH,
 * a registry error body, or response header lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_manifest(const char *s, size_t len)
{
	struct uk_err err = { 0 };
	enum reg_kind kind;
	char *mt = NULL;
	json_t *doc = NULL;

	if (reg_manifest_parse(s, len, NULL, &doc, &kind, &mt, &err) < 0) {
		uk_err_release(&err);
		return;
	}
	if (kind == REG_KIND_INDEX) {
		struct oci_platform p = { .os = "linux", .arch = "arm64", .variant = "v8" };
		struct oci_desc d;
		if (reg_index_select(doc, &p, &d, &err) == 0)
			free(d.media_type);
	} else {
		struct oci_desc *blobs;
		size_t n;
		if (reg_manifest_blobs(doc, &blobs, &n, &err) == 0)
			reg_descs_free(blobs, n);
	}
	uk_err_release(&err);
	json_decref(doc);
	free(mt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = xstrndup((const char *)data + 1, size - 1);
	size_t len = strlen(s);
	struct uk_err err = { 0 };
	struct reg_cred cred = { 0 };
	char *helper = NULL;

	switch (data[0] % 6) {
	case 0: {
		struct reg_challenge ch;
		if (reg_challenge_parse(s, &ch) == 0)
			reg_challenge_release(&ch);
		break;
	}
	case 1:
		fuzz_manifest(s, len);
		break;
	case 2:
		reg_cred_from_docker_config(s, "config.json", "docker.io", &cred, &helper, &err);
		free(helper);
		break;
	case 3:
		reg_cred_from_env(s, "h:5000", &cred, &err);
		break;
	case 4:
		free(reg_error_summary(s, len));
		break;
	case 5: {
		struct reg_resp r;
		reg_resp_init(&r, 64);
		for (char *line = s, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (!nl) {
				reg_resp_header_cb(line, 1, strlen(line), &r);
				break;
			}
			reg_resp_header_cb(line, 1, (size_t)(nl - line + 1), &r);
		}
		reg_resp_release(&r);
		break;
	}
	}
	reg_cred_release(&cred);
	uk_err_release(&err);
	free(s);
	return 0;
}
