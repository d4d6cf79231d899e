// SPDX-License-Identifier: Apache-2.0
/* tar: the whole root filesystem, boot/ included, as one tar archive. */
#include <unistd.h>

#include "output/initrd.h"
#include "output/output.h"
#include "output/tarw.h"
#include "util/fs.h"

static int tar_entry(void *ctx, const struct rootfs_entry *e, struct rootfs_data *data,
		     struct uk_err *err)
{
	return output_tar_entry(ctx, e, data, err);
}

static int write_root(struct output_ctx *ctx, int fd, struct uk_err *err)
{
	struct output_tar *t;
	int rc;

	if (output_tar_new(&t, fd, err) < 0)
		return -1;
	rc = rootfs_foreach(ctx->root, tar_entry, t, err);
	if (rc == 0)
		rc = output_tar_finish(t, err);
	output_tar_free(t);
	return rc;
}

static int write_tar(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_atomic_ struct fs_atomic a = FS_ATOMIC_INIT;
	_cleanup_free_ char *path =
		ctx->out_file ? xstrdup(ctx->out_file) : output_path(ctx, ".tar");

	if (streq_ptr(ctx->out_file, "-"))
		return write_root(ctx, STDOUT_FILENO, err);
	if (fs_atomic_open(&a, path, 0644, err) < 0)
		return -1;
	if (write_root(ctx, a.fd, err) < 0)
		return uk_err_wrap(err, "write '%s'", path);
	return fs_atomic_commit(&a, err);
}

const struct output_ops output_fmt_tar = {
	.name = "tar",
	.description = "the whole root filesystem as NAME.tar (-o FILE, or -o - for stdout)",
	.write = write_tar,
};
