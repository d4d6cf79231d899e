// SPDX-License-Identifier: Apache-2.0
/* -format raw-bios: NAME-bios.img, raw disk image for BIOS: MBR, syslinux on a FAT partition. */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_BIOS, "raw-bios", err);
}

static int write_raw_bios(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_format(ctx, OUTPUT_DISK_BIOS, true, OUTPUT_VDISK_QCOW2, "raw-bios",
				       "-bios.img", err);
}

const struct output_ops output_fmt_raw_bios = {
	.name = "raw-bios",
	.description = "raw disk image for BIOS: MBR, syslinux on a FAT partition",
	.write = write_raw_bios,
	.check = check,
};
