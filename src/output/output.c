// SPDX-License-Identifier: Apache-2.0
/* The table of output formats, and the initramfs that several of them share. */
#include "output/output.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/initrd.h"

#define OUTPUT(n) extern const struct output_ops output_fmt_##n;
#include "outputs.h"
#undef OUTPUT

static const struct output_ops *const formats[] = {
#define OUTPUT(n) &output_fmt_##n,
#include "outputs.h"
#undef OUTPUT
};

const struct output_ops *output_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	}
	return NULL;
}

size_t output_count(void)
{
	return ARRAY_SIZE(formats);
}

const struct output_ops *output_at(size_t i)
{
	return i < ARRAY_SIZE(formats) ? formats[i] : NULL;
}

const char *output_initrd_path(struct output_ctx *ctx, struct uk_err *err)
{
	uint64_t ucode_len;

	if (ctx->initrd_path)
		return ctx->initrd_path;
	char *path = xasprintf("%s/initrd.img", ctx->tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		uk_err_errno(err, "create '%s'", path);
		free(path);
		return NULL;
	}
	int rc = output_initrd_write(ctx->root, fd, &ucode_len, err);
	if (close(fd) < 0 && rc == 0)
		rc = uk_err_errno(err, "write '%s'", path);
	if (rc < 0) {
		unlink(path);
		free(path);
		uk_err_wrap(err, "initramfs");
		return NULL;
	}
	ctx->initrd_path = path;
	return path;
}
