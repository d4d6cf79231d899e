// SPDX-License-Identifier: Apache-2.0
/*
 * -format iso-efi-initrd: NAME-efi-initrd.iso, an El Torito EFI image holding
 * systemd-boot, the kernel and the initramfs as separate files.
 */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	static const char *const tools[] = { "xorriso", "mformat", "mmd", "mcopy", NULL };
	static const char *const files[] = { OUTPUT_SYSTEMD_BOOT, NULL };
	struct output_boot b;
	if (output_emit_boot(ctx, "iso-efi-initrd", false, &b, err) < 0 ||
	    output_emit_need(tools, files, err) < 0)
		return -1;
	return b.sign_key ? output_emit_need((const char *const[]){ "sbsign", NULL }, NULL, err)
			  : 0;
}

static int write_iso_efi_initrd(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_dest_ struct output_dest d = OUTPUT_DEST_INIT;
	struct output_boot b;

	if (check(ctx, err) < 0 || output_emit_boot(ctx, "iso-efi-initrd", true, &b, err) < 0 ||
	    output_dest_open(ctx, "-efi-initrd.iso", true, &d, err) < 0 ||
	    output_iso_efi_initrd_make(&b, d.path, err) < 0)
		return -1;
	return output_dest_commit(&d, err);
}

const struct output_ops output_fmt_iso_efi_initrd = {
	.name = "iso-efi-initrd",
	.description = "ISO for UEFI: systemd-boot, the kernel and the initramfs",
	.write = write_iso_efi_initrd,
	.check = check,
};
