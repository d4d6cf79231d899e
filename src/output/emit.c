// SPDX-License-Identifier: Apache-2.0
#include "output/emit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/disk.h"
#include "output/tool.h"

int output_emit_boot(struct output_ctx *ctx, const char *format, bool initrd, struct output_boot *b,
		     struct uk_err *err)
{
	memset(b, 0, sizeof(*b));
	if (ctx->arch && strcmp(ctx->arch, "amd64") != 0)
		return uk_err_setc(err, UK_ERR_INPUT,
				   "format '%s' boots amd64 only (its boot loaders are x86-64), "
				   "not '%s'",
				   format, ctx->arch);
	b->kernel = rootfs_kernel_path(ctx->root);
	if (!b->kernel)
		return uk_err_setc(err, UK_ERR_INPUT,
				   "format '%s' needs a kernel: the spec has no 'kernel' section",
				   format);
	if (initrd) {
		b->initrd = output_initrd_path(ctx, err);
		if (!b->initrd)
			return -1;
	}
	b->cmdline = rootfs_cmdline(ctx->root);
	b->name = ctx->name;
	b->tmpdir = ctx->tmpdir;
	b->epoch = ctx->epoch;
	b->sign_key = ctx->sign_key;
	b->sign_cert = ctx->sign_cert;
	if (!b->sign_key != !b->sign_cert)
		return uk_err_setc(err, UK_ERR_INPUT,
				   "signing needs both -sign-key and -sign-cert");
	if (b->sign_key && access(b->sign_key, R_OK) < 0)
		return uk_err_errno(err, "-sign-key '%s'", b->sign_key);
	if (b->sign_cert && access(b->sign_cert, R_OK) < 0)
		return uk_err_errno(err, "-sign-cert '%s'", b->sign_cert);
	return 0;
}

uint64_t output_emit_size(const struct output_ctx *ctx)
{
	return ctx->size ? ctx->size : OUTPUT_DISK_DEFAULT_SIZE;
}

int output_dest_open(struct output_ctx *ctx, const char *suffix, bool single, struct output_dest *d,
		     struct uk_err *err)
{
	BUG_ON(d->path || d->fd >= 0);
	if (single && ctx->out_file && strcmp(ctx->out_file, "-") == 0) {
		d->to_stdout = true;
		d->final = xstrdup("standard output");
		d->path = xasprintf("%s/stdout%s", ctx->tmpdir, suffix);
		d->fd = open(d->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (d->fd < 0)
			return uk_err_errno(err, "create '%s'", d->path);
		return 0;
	}
	if (single && ctx->out_file)
		d->final = xstrdup(ctx->out_file);
	else
		d->final = xasprintf("%s/%s%s", ctx->dir ? ctx->dir : ".", ctx->name, suffix);
	if (fs_atomic_open_named(&d->a, d->final, 0644, err) < 0)
		return -1;
	d->path = xstrdup(d->a.tmp);
	d->fd = d->a.fd;
	return 0;
}

int output_dest_commit(struct output_dest *d, struct uk_err *err)
{
	int r;

	if (d->to_stdout) {
		_cleanup_close_ int in = open(d->path, O_RDONLY | O_CLOEXEC);
		_cleanup_free_ char *buf = xmalloc(1 << 20);
		if (in < 0)
			return uk_err_errno(err, "open '%s'", d->path);
		for (;;) {
			ssize_t n = xread_all(in, buf, 1 << 20);
			if (n < 0)
				return uk_err_errno(err, "read '%s'", d->path);
			if (xwrite_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				return uk_err_errno(err, "write to standard output");
			if (n < (1 << 20))
				break;
		}
		output_dest_abort(d);
		return 0;
	}
	d->fd = -1;
	r = fs_atomic_commit(&d->a, err);
	output_dest_abort(d);
	return r;
}

void output_dest_abort(struct output_dest *d)
{
	if (d->to_stdout) {
		if (d->fd >= 0)
			close(d->fd);
		if (d->path)
			unlink(d->path);
	} else {
		fs_atomic_abort(&d->a);
	}
	d->fd = -1;
	free(d->path);
	free(d->final);
	d->path = d->final = NULL;
}

int output_emit_need(const char *const *tools, const char *const *files, struct uk_err *err)
{
	for (size_t i = 0; tools && tools[i]; i++)
		if (output_tool_need(tools[i], err) < 0)
			return -1;
	for (size_t i = 0; files && files[i]; i++)
		if (output_tool_file(files[i], err) < 0)
			return -1;
	return 0;
}

static const char *disk_name(enum output_disk_kind kind)
{
	return kind == OUTPUT_DISK_BIOS ? "bios" : "efi";
}

int output_emit_disk_check(struct output_ctx *ctx, enum output_disk_kind kind, const char *format,
			   struct uk_err *err)
{
	static const char *const bios_tools[] = { "mformat", "mmd", "mcopy", "syslinux", NULL };
	static const char *const bios_files[] = { OUTPUT_SYSLINUX_MBR, NULL };
	static const char *const efi_tools[] = { "mformat", "mmd", "mcopy", NULL };
	static const char *const efi_files[] = { OUTPUT_UKI_STUB, NULL };
	struct output_boot b;
	uint64_t need;

	if (output_emit_boot(ctx, format, true, &b, err) < 0)
		return -1;
	if (kind == OUTPUT_DISK_BIOS) {
		if (output_emit_need(bios_tools, bios_files, err) < 0 ||
		    output_disk_bios_need(&b, &need, err) < 0)
			return -1;
	} else {
		if (output_emit_need(efi_tools, efi_files, err) < 0 ||
		    output_disk_efi_need(&b, &need, err) < 0)
			return -1;
		if (b.sign_key && output_tool_need("sbsign", err) < 0)
			return -1;
	}
	return output_size_check(format, output_emit_size(ctx), need, err);
}

int output_emit_disk(struct output_ctx *ctx, enum output_disk_kind kind, const char *format,
		     char **path, struct uk_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/disk-%s.raw", ctx->tmpdir, disk_name(kind));
	_cleanup_free_ char *part = xasprintf("%s.part", p);
	struct output_boot b;

	if (access(p, F_OK) == 0) {
		*path = TAKE_PTR(p);
		return 0;
	}
	if (output_emit_disk_check(ctx, kind, format, err) < 0 ||
	    output_emit_boot(ctx, format, true, &b, err) < 0)
		return -1;
	int r = kind == OUTPUT_DISK_BIOS
			? output_disk_bios_make(&b, output_emit_size(ctx), part, err)
			: output_disk_efi_make(&b, output_emit_size(ctx), part, err);
	if (r < 0 || rename(part, p) < 0) {
		if (r == 0)
			uk_err_errno(err, "rename '%s'", part);
		unlink(part);
		return -1;
	}
	*path = TAKE_PTR(p);
	return 0;
}

int output_emit_disk_format(struct output_ctx *ctx, enum output_disk_kind kind, bool raw,
			    enum output_vdisk vkind, const char *format, const char *suffix,
			    struct uk_err *err)
{
	_cleanup_free_ char *disk = NULL;
	_cleanup_dest_ struct output_dest d = OUTPUT_DEST_INIT;

	if (output_emit_disk(ctx, kind, format, &disk, err) < 0 ||
	    output_dest_open(ctx, suffix, true, &d, err) < 0)
		return -1;
	if (raw) {
		if (output_copy_path(disk, d.fd, err) < 0)
			return -1;
	} else {
		const char *base = strrchr(d.final, '/');
		if (output_vdisk_convert(disk, vkind, d.path, base ? base + 1 : d.final, ctx->epoch,
					 err) < 0)
			return -1;
	}
	return output_dest_commit(&d, err);
}

/* rootfs_foreach() seen through the plain entry interface of output/root.h */
struct walk_adapter {
	output_entry_fn fn;
	void *ctx;
};

static ssize_t adapter_read(void *rd, void *buf, size_t len, struct uk_err *err)
{
	return rootfs_data_read(rd, buf, len, err);
}

static int adapter_entry(void *ctx, const struct rootfs_entry *e, struct rootfs_data *data,
			 struct uk_err *err)
{
	struct walk_adapter *w = ctx;
	return w->fn(w->ctx, e, adapter_read, data, err);
}

static int adapter_walk(void *src, output_entry_fn fn, void *ctx, struct uk_err *err)
{
	struct walk_adapter w = { fn, ctx };
	return rootfs_foreach(src, adapter_entry, &w, err);
}

int output_emit_root_tar(struct output_ctx *ctx, char **path, struct output_tar_info *info,
			 struct uk_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/root.tar", ctx->tmpdir);
	_cleanup_free_ char *ip = xasprintf("%s/root.tar.info", ctx->tmpdir);
	_cleanup_free_ char *part = xasprintf("%s.part", p);
	_cleanup_free_ char *text = NULL;
	struct output_root root = { .walk = adapter_walk, .src = ctx->root };

	if (access(ip, F_OK) == 0) {
		unsigned long long size;
		if (fs_read_file(ip, 256, &text, NULL, err) < 0)
			return -1;
		if (sscanf(text, "%64s %llu", info->sha256, &size) != 2)
			return uk_err_set(err, "'%s' is corrupt", ip);
		info->size = size;
		*path = TAKE_PTR(p);
		return 0;
	}
	if (output_root_tar_write(&root, part, ctx->epoch, info, err) < 0 || rename(part, p) < 0) {
		if (!err->msg)
			uk_err_errno(err, "rename '%s'", part);
		unlink(part);
		return -1;
	}
	text = xasprintf("%s %llu\n", info->sha256, (unsigned long long)info->size);
	if (fs_write_file_atomic(ip, text, strlen(text), 0600, err) < 0)
		return -1;
	*path = TAKE_PTR(p);
	return 0;
}

int output_emit_root_stage(struct output_ctx *ctx, char **stage, struct output_tar_info *info,
			   struct uk_err *err)
{
	_cleanup_free_ char *tar = NULL;
	_cleanup_free_ char *s = xasprintf("%s/root-stage", ctx->tmpdir);

	if (output_emit_root_tar(ctx, &tar, info, err) < 0)
		return -1;
	output_emit_root_stage_remove(s);
	if (output_root_stage(tar, s, err) < 0) {
		output_emit_root_stage_remove(s);
		return -1;
	}
	*stage = TAKE_PTR(s);
	return 0;
}

void output_emit_root_stage_remove(const char *stage)
{
	struct uk_err ignore = { 0 };
	_cleanup_free_ char *state = xasprintf("%s.fakeroot", stage);

	/* the build removes its scratch directory, but not trees in it */
	if (fs_rm_rf(stage, &ignore) < 0)
		uk_err_release(&ignore);
	unlink(state);
}

static const struct {
	const char *format, *suffix;
} roots[] = {
	[OUTPUT_ROOT_SQUASHFS] = { "kernel+squashfs", "-squashfs.img" },
	[OUTPUT_ROOT_EROFS] = { "kernel+erofs", "-erofs.img" },
	[OUTPUT_ROOT_ISO] = { "kernel+iso", ".iso" },
};

int output_emit_kernel_root_check(struct output_ctx *ctx, enum output_rootfs_kind kind,
				  struct uk_err *err)
{
	static const char *const squashfs[] = { "env", "mksquashfs", NULL };
	static const char *const erofs[] = { "fakeroot", "bsdtar", "mkfs.erofs", NULL };
	static const char *const iso[] = { "fakeroot", "bsdtar", "xorriso", NULL };
	static const char *const files[] = { "/bin/busybox", NULL };
	const char *const *tools = kind == OUTPUT_ROOT_SQUASHFS ? squashfs
				   : kind == OUTPUT_ROOT_EROFS	? erofs
								: iso;
	struct output_boot b;

	if (output_emit_boot(ctx, roots[kind].format, false, &b, err) < 0)
		return -1;
	return output_emit_need(tools, files, err);
}

int output_emit_kernel_root(struct output_ctx *ctx, enum output_rootfs_kind kind,
			    struct uk_err *err)
{
	const char *format = roots[kind].format;
	_cleanup_dest_ struct output_dest kernel = OUTPUT_DEST_INIT;
	_cleanup_dest_ struct output_dest cmdline = OUTPUT_DEST_INIT;
	_cleanup_dest_ struct output_dest initrd = OUTPUT_DEST_INIT;
	_cleanup_dest_ struct output_dest image = OUTPUT_DEST_INIT;
	_cleanup_free_ char *tar = NULL, *stage = NULL, *cmd = NULL;
	struct output_tar_info info;
	struct output_boot b;

	if (output_emit_kernel_root_check(ctx, kind, err) < 0 ||
	    output_emit_boot(ctx, format, false, &b, err) < 0 ||
	    output_emit_root_tar(ctx, &tar, &info, err) < 0)
		goto fail;
	if (kind != OUTPUT_ROOT_SQUASHFS && output_emit_root_stage(ctx, &stage, &info, err) < 0)
		goto fail;
	cmd = output_root_cmdline(b.cmdline);
	if (output_dest_open(ctx, "-kernel", false, &kernel, err) < 0 ||
	    output_copy_path(b.kernel, kernel.fd, err) < 0 ||
	    output_dest_open(ctx, "-cmdline", false, &cmdline, err) < 0 ||
	    xwrite_all(cmdline.fd, cmd, strlen(cmd)) < 0 ||
	    output_dest_open(ctx, "-root-initrd.img", false, &initrd, err) < 0 ||
	    output_root_initrd_write(tar, initrd.fd, ctx->epoch, err) < 0 ||
	    output_dest_open(ctx, roots[kind].suffix, false, &image, err) < 0)
		goto fail;
	int r = kind == OUTPUT_ROOT_SQUASHFS
			? output_squashfs_make(tar, image.path, ctx->epoch, err)
		: kind == OUTPUT_ROOT_EROFS
			? output_erofs_make(stage, image.path, info.sha256, ctx->epoch, err)
			: output_rootiso_make(stage, image.path, ctx->name, ctx->epoch, err);
	if (stage)
		output_emit_root_stage_remove(stage);
	if (r < 0)
		goto fail;
	/* all four are complete: now they appear */
	if (output_dest_commit(&kernel, err) < 0 || output_dest_commit(&cmdline, err) < 0 ||
	    output_dest_commit(&initrd, err) < 0 || output_dest_commit(&image, err) < 0)
		goto fail;
	return 0;
fail:
	if (stage)
		output_emit_root_stage_remove(stage);
	if (!err->msg)
		uk_err_errno(err, "write the outputs of '%s'", format);
	return -1;
}
