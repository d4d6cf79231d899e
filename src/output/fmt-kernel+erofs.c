// SPDX-License-Identifier: Apache-2.0
/*
 * -format kernel+erofs: NAME-kernel, NAME-cmdline (with root=), NAME-erofs.img, and
 * NAME-root-initrd.img, which loads the modules a modular kernel needs to mount it.
 */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_kernel_root_check(ctx, OUTPUT_ROOT_EROFS, err);
}

static int write_kernel_erofs(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_kernel_root(ctx, OUTPUT_ROOT_EROFS, err);
}

const struct output_ops output_fmt_kernel_erofs = {
	.name = "kernel+erofs",
	.description = "the kernel, its command line and the root as an erofs disk image",
	.write = write_kernel_erofs,
	.check = check,
};
