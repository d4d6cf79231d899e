// SPDX-License-Identifier: Apache-2.0
/* tar-kernel-initrd: NAME-initrd.tar holding kernel, initrd.img, cmdline and ucode.cpio
 * (LinuxKit's). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/initrd.h"
#include "output/output.h"
#include "output/tarw.h"
#include "util/fs.h"

static int add_file(struct output_tar *t, const char *name, int64_t mtime, const char *path,
		    uint64_t skip, struct uk_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return uk_err_errno(err, "open '%s'", path);
	if ((uint64_t)st.st_size <= skip)
		return 0;
	return output_tar_file(t, name, 0644, mtime, fd, skip, (uint64_t)st.st_size - skip, err);
}

static int write_parts(struct output_ctx *ctx, const char *initrd, int fd, struct uk_err *err)
{
	const char *kernel = rootfs_kernel_path(ctx->root);
	const char *ucode = rootfs_ucode_path(ctx->root);
	const char *cmdline = rootfs_cmdline(ctx->root);
	uint64_t ucode_len = 0;
	struct output_tar *t;
	struct stat st;
	int rc = -1;

	if (ucode) {
		if (stat(ucode, &st) < 0)
			return uk_err_errno(err, "stat '%s'", ucode);
		ucode_len = (uint64_t)st.st_size;
	}
	if (output_tar_new(&t, fd, err) < 0)
		return -1;
	/* the initramfs goes in without the microcode in front: that is a file of its own here */
	if ((kernel && add_file(t, "kernel", ctx->epoch, kernel, 0, err) < 0) ||
	    add_file(t, "initrd.img", ctx->epoch, initrd, ucode_len, err) < 0)
		goto out;
	if (*cmdline &&
	    output_tar_bytes(t, "cmdline", 0644, ctx->epoch, cmdline, strlen(cmdline), err) < 0)
		goto out;
	if (ucode && add_file(t, "ucode.cpio", ctx->epoch, ucode, 0, err) < 0)
		goto out;
	rc = output_tar_finish(t, err);
out:
	output_tar_free(t);
	return rc;
}

static int write_tar_kernel_initrd(struct output_ctx *ctx, struct uk_err *err)
{
	_cleanup_atomic_ struct fs_atomic a = FS_ATOMIC_INIT;
	_cleanup_free_ char *path =
		ctx->out_file ? xstrdup(ctx->out_file) : output_path(ctx, "-initrd.tar");
	const char *initrd = output_initrd_path(ctx, err);

	if (!initrd)
		return -1;
	if (streq_ptr(ctx->out_file, "-"))
		return write_parts(ctx, initrd, STDOUT_FILENO, err);
	if (fs_atomic_open(&a, path, 0644, err) < 0)
		return -1;
	if (write_parts(ctx, initrd, a.fd, err) < 0)
		return uk_err_wrap(err, "write '%s'", path);
	return fs_atomic_commit(&a, err);
}

const struct output_ops output_fmt_tar_kernel_initrd = {
	.name = "tar-kernel-initrd",
	.description = "NAME-initrd.tar holding kernel, initrd.img, cmdline and ucode.cpio",
	.write = write_tar_kernel_initrd,
};
