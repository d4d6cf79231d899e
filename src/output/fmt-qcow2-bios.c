// SPDX-License-Identifier: Apache-2.0
/* -format qcow2-bios: NAME.qcow2, qcow2 disk image for BIOS. */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_BIOS, "qcow2-bios", err);
}

static int write_qcow2_bios(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_format(ctx, OUTPUT_DISK_BIOS, false, OUTPUT_VDISK_QCOW2,
				       "qcow2-bios", ".qcow2", err);
}

const struct output_ops output_fmt_qcow2_bios = {
	.name = "qcow2-bios",
	.description = "qcow2 disk image for BIOS",
	.write = write_qcow2_bios,
	.check = check,
};
