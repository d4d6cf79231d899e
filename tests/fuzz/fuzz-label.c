// SPDX-License-Identifier: Apache-2.0
/*
 * config.json from an image whose org.mobyproject.config label is arbitrary
 * bytes (labels come from images, not from the user): no crash, no leak, an
 * error says something, and what is made dumps as JSON that jansson reads
 * back, with an init.conf of the runtime.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rootfs/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rootfs_oci_out out = { 0 };
	struct rootfs_ids ids = { 0 };
	struct uk_err err = { 0 };
	char *label = strndup((const char *)data, size);
	json_t *image = json_pack("{s{s{ss}s[s]}}", "config", "Labels", "org.mobyproject.config",
				  label, "Cmd", "/bin/x");
	json_t *entry = json_pack("{ssss}", "name", "x", "image", "y");
	json_t *vols = json_pack("[{ss}{sssb}]", "name", "v", "name", "ro", "readonly", 1);

	free(label);
	rootfs_ids_add(&ids, "x", 100);
	struct rootfs_oci_in in = {
		.entry = entry, .image_config = image, .ids = &ids, .volumes = vols
	};
	if (rootfs_oci_config(&in, &out, &err) < 0) {
		if (!err.msg || !*err.msg)
			abort();
		uk_err_release(&err);
	} else {
		char *c = rootfs_json_dump(out.config), *rt = rootfs_json_dump(out.runtime), *conf;
		json_error_t jerr;
		json_t *back = json_loads(c, 0, &jerr);
		if (!back)
			abort();
		json_decref(back);
		if (rootfs_init_conf(out.runtime, "always", &conf, &err) == 0)
			free(conf);
		else
			uk_err_release(&err);
		free(c);
		free(rt);
		rootfs_oci_out_release(&out);
	}
	rootfs_ids_release(&ids);
	json_decref(image);
	json_decref(entry);
	json_decref(vols);
	return 0;
}
