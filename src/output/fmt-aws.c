// SPDX-License-Identifier: Apache-2.0
/* -format aws: NAME.raw, raw BIOS disk image for Amazon EC2. */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_BIOS, "aws", err);
}

static int write_aws(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_format(ctx, OUTPUT_DISK_BIOS, true, OUTPUT_VDISK_QCOW2, "aws",
				       ".raw", err);
}

const struct output_ops output_fmt_aws = {
	.name = "aws",
	.description = "raw BIOS disk image for Amazon EC2",
	.write = write_aws,
	.check = check,
};
