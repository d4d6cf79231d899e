// SPDX-License-Identifier: Apache-2.0
/* -format iso-bios: NAME.iso, isolinux by El Torito and an isohybrid MBR (boots from a USB stick
 * too). */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	static const char *const tools[] = { "xorriso", NULL };
	static const char *const files[] = { OUTPUT_ISOLINUX_BIN, OUTPUT_ISOHYBRID_MBR,
					     OUTPUT_LDLINUX_C32, NULL };
	struct output_boot b;
	if (output_emit_boot(ctx, "iso-bios", false, &b, err) < 0)
		return -1;
	return output_emit_need(tools, files, err);
}

static int write_iso_bios(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_dest_ struct output_dest d = OUTPUT_DEST_INIT;
	struct output_boot b;

	if (check(ctx, err) < 0 || output_emit_boot(ctx, "iso-bios", true, &b, err) < 0 ||
	    output_dest_open(ctx, ".iso", true, &d, err) < 0 ||
	    output_iso_bios_make(&b, d.path, err) < 0)
		return -1;
	return output_dest_commit(&d, err);
}

const struct output_ops output_fmt_iso_bios = {
	.name = "iso-bios",
	.description =
		"ISO for BIOS: isolinux, the kernel and the initramfs; hybrid for USB sticks",
	.write = write_iso_bios,
	.check = check,
};
