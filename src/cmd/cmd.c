// SPDX-License-Identifier: Apache-2.0
#include "cmd/cmd.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/oci.h"

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

enum { OPT_CACHE = 1000, OPT_HELP };

int cmd_opts_parse(struct cmd_opts *o, int argc, char **argv, int *first)
{
	static const struct option common[] = {
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "h", no_argument, NULL, OPT_HELP },
	};
	size_t n = 0;
	bool help = false;
	int c;

	while (o->options[n].name)
		n++;
	_cleanup_free_ struct option *all = xcalloc(ARRAY_SIZE(common) + n + 1, sizeof(*all));
	memcpy(all, common, sizeof(common));
	memcpy(all + ARRAY_SIZE(common), o->options, n * sizeof(*all));
	o->cache_dir = NULL;
	optind = 0; /* glibc: start afresh */
	opterr = !o->what;
	while ((c = getopt_long_only(argc, argv, "", all, NULL)) != -1) {
		if (c == OPT_CACHE) {
			o->cache_dir = optarg;
		} else if (c == OPT_HELP) {
			help = true;
			if (o->help_first)
				break;
		} else if (c == '?') {
			if (o->what)
				return cmd_usage_error("%s: unknown option or missing value '%s'",
						       o->what, argv[optind - 1]);
			fputs(o->usage, stderr);
			return 2;
		} else {
			int r = o->option(o->ctx, c, optarg);
			if (r >= 0)
				return r;
		}
	}
	if (help) {
		fputs(o->usage, stdout);
		return 0;
	}
	*first = optind;
	return -1;
}

int cmd_store_open(const char *dir, struct store **store)
{
	_cleanup_free_ char *path = dir ? xstrdup(dir) : cmd_default_cache_dir();
	struct uk_err err = { 0 };

	if (store_open(store, path, &err) < 0)
		return cmd_fail(&err);
	return 0;
}
