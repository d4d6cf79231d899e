// SPDX-License-Identifier: Apache-2.0
#include "cmd/cmd.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int cmd_fail(struct uk_err *err)
{
	fprintf(stderr, "unikit: error: %s\n", err->msg ? err->msg : "unknown error");
	uk_err_release(err);
	return 1;
}

int cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("unikit: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

int cmd_help(const struct cmd *cmd)
{
	fputs(cmd->usage, stdout);
	return 0;
}

char *cmd_default_cache_dir(void)
{
	const char *v = getenv("UNIKIT_CACHE");

	if (v && *v)
		return xstrdup(v);
	v = getenv("XDG_CACHE_HOME");
	if (v && *v)
		return xasprintf("%s/unikit", v);
	v = getenv("HOME");
	if (!v || !*v) {
		struct passwd *pw = getpwuid(getuid());
		v = pw ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.cache/unikit", v);
}
