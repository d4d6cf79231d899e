// SPDX-License-Identifier: Apache-2.0
/* -format vmdk: NAME.vmdk, streamOptimized VMDK disk image for BIOS (VMware). */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_BIOS, "vmdk", err);
}

static int write_vmdk(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_format(ctx, OUTPUT_DISK_BIOS, false, OUTPUT_VDISK_VMDK, "vmdk",
				       ".vmdk", err);
}

const struct output_ops output_fmt_vmdk = {
	.name = "vmdk",
	.description = "streamOptimized VMDK disk image for BIOS (VMware)",
	.write = write_vmdk,
	.check = check,
};
