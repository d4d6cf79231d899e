// SPDX-License-Identifier: Apache-2.0
/*
 * -format uki: NAME.efi, one EFI application (systemd's stub with the kernel,
 * the initramfs, the command line and an os-release), signed with -sign-key
 * and -sign-cert when given.
 */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	static const char *const files[] = { OUTPUT_UKI_STUB, NULL };
	struct output_boot b;
	if (output_emit_boot(ctx, "uki", false, &b, err) < 0 ||
	    output_emit_need(NULL, files, err) < 0)
		return -1;
	return b.sign_key ? output_emit_need((const char *const[]){ "sbsign", NULL }, NULL, err)
			  : 0;
}

static int write_uki(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_dest_ struct output_dest d = OUTPUT_DEST_INIT;
	struct output_boot b;

	if (check(ctx, err) < 0 || output_emit_boot(ctx, "uki", true, &b, err) < 0 ||
	    output_dest_open(ctx, ".efi", true, &d, err) < 0 ||
	    output_uki_make(&b, d.path, err) < 0)
		return -1;
	return output_dest_commit(&d, err);
}

const struct output_ops output_fmt_uki = {
	.name = "uki",
	.description =
		"unified kernel image: one EFI binary with the kernel, initramfs and command line",
	.write = write_uki,
	.check = check,
};
