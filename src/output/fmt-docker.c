// SPDX-License-Identifier: Apache-2.0
/* -format docker: NAME.docker, the root as an image archive for `docker load`, entrypoint /init. */
#include "output/emit.h"

static int write_docker(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_free_ char *tar = NULL;
	_cleanup_dest_ struct output_dest d = OUTPUT_DEST_INIT;
	struct output_tar_info info;
	struct output_image_opts o = { .name = ctx->name, .arch = ctx->arch, .epoch = ctx->epoch };

	if (output_emit_root_tar(ctx, &tar, &info, err) < 0 ||
	    output_dest_open(ctx, ".docker", true, &d, err) < 0 ||
	    output_docker_write(tar, &info, &o, d.fd, err) < 0)
		return -1;
	return output_dest_commit(&d, err);
}

const struct output_ops output_fmt_docker = {
	.name = "docker",
	.description = "the root as a docker image archive (docker load, skopeo), entrypoint /init",
	.write = write_docker,
};
