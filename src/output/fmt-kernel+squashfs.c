// SPDX-License-Identifier: Apache-2.0
/*
 * -format kernel+squashfs: NAME-kernel, NAME-cmdline (with root=), NAME-squashfs.img, and
 * NAME-root-initrd.img, which loads the modules a modular kernel needs to mount it.
 */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_kernel_root_check(ctx, OUTPUT_ROOT_SQUASHFS, err);
}

static int write_kernel_squashfs(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_kernel_root(ctx, OUTPUT_ROOT_SQUASHFS, err);
}

const struct output_ops output_fmt_kernel_squashfs = {
	.name = "kernel+squashfs",
	.description = "the kernel, its command line and the root as a squashfs disk image",
	.write = write_kernel_squashfs,
	.check = check,
};
