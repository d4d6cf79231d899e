// SPDX-License-Identifier: Apache-2.0
/* -format iso-efi: NAME-efi.iso, an El Torito EFI image holding the unified kernel image. */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	static const char *const tools[] = { "xorriso", "mformat", "mmd", "mcopy", NULL };
	static const char *const files[] = { OUTPUT_UKI_STUB, NULL };
	struct output_boot b;
	if (output_emit_boot(ctx, "iso-efi", false, &b, err) < 0 ||
	    output_emit_need(tools, files, err) < 0)
		return -1;
	return b.sign_key ? output_emit_need((const char *const[]){ "sbsign", NULL }, NULL, err)
			  : 0;
}

static int write_iso_efi(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_dest_ struct output_dest d = OUTPUT_DEST_INIT;
	struct output_boot b;

	if (check(ctx, err) < 0 || output_emit_boot(ctx, "iso-efi", true, &b, err) < 0 ||
	    output_dest_open(ctx, "-efi.iso", true, &d, err) < 0 ||
	    output_iso_efi_make(&b, d.path, err) < 0)
		return -1;
	return output_dest_commit(&d, err);
}

const struct output_ops output_fmt_iso_efi = {
	.name = "iso-efi",
	.description =
		"ISO for UEFI: the unified kernel image in an El Torito EFI system partition",
	.write = write_iso_efi,
	.check = check,
};
