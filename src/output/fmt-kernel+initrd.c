// SPDX-License-Identifier: Apache-2.0
/* kernel+initrd: NAME-kernel, NAME-initrd.img and NAME-cmdline, as LinuxKit writes them. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "output/initrd.h"
#include "output/output.h"
#include "util/fs.h"

static int write_kernel_initrd(struct output_ctx *ctx, struct uk_err *err)
{
	const char *kernel = rootfs_kernel_path(ctx->root);
	const char *cmdline = rootfs_cmdline(ctx->root);
	_cleanup_free_ char *kpath = output_path(ctx, "-kernel");
	_cleanup_free_ char *ipath = output_path(ctx, "-initrd.img");
	_cleanup_free_ char *cpath = output_path(ctx, "-cmdline");
	_cleanup_atomic_ struct fs_atomic k = FS_ATOMIC_INIT, i = FS_ATOMIC_INIT,
					  c = FS_ATOMIC_INIT;

	if (ctx->out_file)
		return uk_err_setc(
			err, UK_ERR_INPUT,
			"format 'kernel+initrd' writes several files: -o does not apply");
	/*
	 * The initramfs goes straight into its output file, which later formats
	 * then use; made by an earlier format, it is copied.
	 */
	if (fs_atomic_open(&i, ipath, 0644, err) < 0)
		return -1;
	if (ctx->initrd_path) {
		_cleanup_close_ int in = open(ctx->initrd_path, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return uk_err_errno(err, "open '%s'", ctx->initrd_path);
		if (output_copy_fd(i.fd, in, 0, UINT64_MAX, err) < 0)
			return uk_err_wrap(err, "write '%s'", ipath);
	} else {
		uint64_t ucode_len;
		if (output_initrd_write(ctx->root, i.fd, &ucode_len, err) < 0)
			return uk_err_wrap(err, "initramfs '%s'", ipath);
	}
	if (kernel) {
		_cleanup_close_ int in = open(kernel, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return uk_err_errno(err, "open '%s'", kernel);
		if (fs_atomic_open(&k, kpath, 0644, err) < 0 ||
		    output_copy_fd(k.fd, in, 0, UINT64_MAX, err) < 0)
			return uk_err_wrap(err, "write '%s'", kpath);
	}
	if (*cmdline) {
		if (fs_atomic_open(&c, cpath, 0644, err) < 0)
			return -1;
		if (xwrite_all(c.fd, cmdline, strlen(cmdline)) < 0)
			return uk_err_errno(err, "write '%s'", cpath);
	}
	if (fs_atomic_commit(&i, err) < 0 || (kernel && fs_atomic_commit(&k, err) < 0) ||
	    (*cmdline && fs_atomic_commit(&c, err) < 0))
		return -1;
	if (!ctx->initrd_path)
		ctx->initrd_path = xstrdup(ipath);
	return 0;
}

const struct output_ops output_fmt_kernel_initrd = {
	.name = "kernel+initrd",
	.description = "NAME-kernel, NAME-initrd.img (cpio, gzip) and NAME-cmdline (the default)",
	.write = write_kernel_initrd,
};
