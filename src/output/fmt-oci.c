// SPDX-License-Identifier: Apache-2.0
/* -format oci: NAME.oci.tar, the root as an OCI image layout in a tar, entrypoint /init. */
#include "output/emit.h"

static int write_oci(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_free_ char *tar = NULL;
	_cleanup_dest_ struct output_dest d = OUTPUT_DEST_INIT;
	struct output_tar_info info;
	struct output_image_opts o = { .name = ctx->name, .arch = ctx->arch, .epoch = ctx->epoch };

	if (output_emit_root_tar(ctx, &tar, &info, err) < 0 ||
	    output_dest_open(ctx, ".oci.tar", true, &d, err) < 0 ||
	    output_oci_write(tar, &info, &o, d.fd, err) < 0)
		return -1;
	return output_dest_commit(&d, err);
}

const struct output_ops output_fmt_oci = {
	.name = "oci",
	.description =
		"the root as an OCI image archive (skopeo oci-archive:, umoci), entrypoint /init",
	.write = write_oci,
};
