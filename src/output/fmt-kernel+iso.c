// SPDX-License-Identifier: Apache-2.0
/*
 * -format kernel+iso: NAME-kernel, NAME-cmdline (with root=), NAME.iso, and
 * NAME-root-initrd.img, which loads the modules a modular kernel needs to mount it.
 */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_kernel_root_check(ctx, OUTPUT_ROOT_ISO, err);
}

static int write_kernel_iso(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_kernel_root(ctx, OUTPUT_ROOT_ISO, err);
}

const struct output_ops output_fmt_kernel_iso = {
	.name = "kernel+iso",
	.description = "the kernel, its command line and the root as an ISO 9660 image",
	.write = write_kernel_iso,
	.check = check,
};
