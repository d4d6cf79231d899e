// SPDX-License-Identifier: Apache-2.0
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int err_vset(struct uk_err *err, int code, const char *suffix, const char *fmt, va_list ap)
{
	char *msg;

	BUG_ON(err->msg != NULL);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg && suffix) {
		char *full = xasprintf("%s: %s", msg, suffix);
		free(msg);
		msg = full;
	}
	err->msg = msg ? msg : xstrdup("out of memory formatting an error");
	err->code = code;
	return -1;
}

int uk_err_set(struct uk_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, UK_ERR_GENERIC, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int uk_err_setc(struct uk_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int uk_err_errno(struct uk_err *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, saved, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int uk_err_wrap(struct uk_err *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx;

	BUG_ON(err->msg == NULL);
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) >= 0) {
		char *full = xasprintf("%s: %s", ctx, err->msg);
		free(ctx);
		free(err->msg);
		err->msg = full;
	}
	va_end(ap);
	return -1;
}

void uk_err_release(struct uk_err *err)
{
	free(err->msg);
	err->msg = NULL;
	err->code = 0;
}
