// SPDX-License-Identifier: Apache-2.0
/* -format qcow2-efi: NAME-efi.qcow2, qcow2 disk image for UEFI. */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_EFI, "qcow2-efi", err);
}

static int write_qcow2_efi(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_format(ctx, OUTPUT_DISK_EFI, false, OUTPUT_VDISK_QCOW2, "qcow2-efi",
				       "-efi.qcow2", err);
}

const struct output_ops output_fmt_qcow2_efi = {
	.name = "qcow2-efi",
	.description = "qcow2 disk image for UEFI",
	.write = write_qcow2_efi,
	.check = check,
};
