// SPDX-License-Identifier: Apache-2.0
/* -format raw-efi: NAME-efi.img, raw disk image for UEFI: GPT, the unified kernel image on an EFI
 * system partition. */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_EFI, "raw-efi", err);
}

static int write_raw_efi(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_format(ctx, OUTPUT_DISK_EFI, true, OUTPUT_VDISK_QCOW2, "raw-efi",
				       "-efi.img", err);
}

const struct output_ops output_fmt_raw_efi = {
	.name = "raw-efi",
	.description =
		"raw disk image for UEFI: GPT, the unified kernel image on an EFI system partition",
	.write = write_raw_efi,
	.check = check,
};
