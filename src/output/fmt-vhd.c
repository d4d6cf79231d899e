// SPDX-License-Identifier: Apache-2.0
/* -format vhd: NAME.vhd, fixed VHD disk image for BIOS (Azure, Hyper-V). */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_BIOS, "vhd", err);
}

static int write_vhd(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_format(ctx, OUTPUT_DISK_BIOS, false, OUTPUT_VDISK_VHD_FIXED, "vhd",
				       ".vhd", err);
}

const struct output_ops output_fmt_vhd = {
	.name = "vhd",
	.description = "fixed VHD disk image for BIOS (Azure, Hyper-V)",
	.write = write_vhd,
	.check = check,
};
