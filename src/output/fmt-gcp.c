// SPDX-License-Identifier: Apache-2.0
/* -format gcp: NAME.img.tar.gz, the raw BIOS disk as disk.raw in a sparse oldgnu tar, gzip'd. */
#include "output/emit.h"

static int check(struct output_ctx *ctx, struct uk_err *err)
{
	return output_emit_disk_check(ctx, OUTPUT_DISK_BIOS, "gcp", err);
}

static int write_gcp(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_free_ char *disk = NULL;
	_cleanup_dest_ struct output_dest d = OUTPUT_DEST_INIT;

	if (output_emit_disk(ctx, OUTPUT_DISK_BIOS, "gcp", &disk, err) < 0 ||
	    output_dest_open(ctx, ".img.tar.gz", true, &d, err) < 0 ||
	    output_gcp_write(disk, d.fd, ctx->epoch, err) < 0)
		return -1;
	return output_dest_commit(&d, err);
}

const struct output_ops output_fmt_gcp = {
	.name = "gcp",
	.description = "Google Compute Engine image: the raw BIOS disk as disk.raw in a .tar.gz",
	.write = write_gcp,
	.check = check,
};
