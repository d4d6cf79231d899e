// SPDX-License-Identifier: Apache-2.0
/* -format dynamic-vhd: NAME.vhd, dynamic VHD disk image for BIOS. */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_BIOS, "dynamic-vhd", err);
}

static int write_dynamic_vhd(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_format(ctx, OUTPUT_DISK_BIOS, false, OUTPUT_VDISK_VHD_DYNAMIC,
				       "dynamic-vhd", ".vhd", err);
}

const struct output_ops output_fmt_dynamic_vhd = {
	.name = "dynamic-vhd",
	.description = "dynamic VHD disk image for BIOS",
	.write = write_dynamic_vhd,
	.check = check,
};
