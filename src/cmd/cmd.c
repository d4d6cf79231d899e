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

int cmd_bad_option(const char *cmd, const char *opt, bool missing_value)
{
	if (missing_value)
		return cmd_usage_error("%s: option '%s' needs a value (see 'unikit help %s')", cmd,
				       opt, cmd);
	return cmd_usage_error("%s: unknown option '%s' (see 'unikit help %s')", cmd, opt, cmd);
}

int cmd_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	_cleanup_free_ char *optstring = xasprintf(":%s", shortopts);
	int at = optind;

	opterr = 0;
	int c = getopt_long_only(argc, argv, optstring, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	/*
	 * Name the whole argument as typed. getopt has moved past it, except
	 * for an unknown letter inside a cluster of short options ("-frob" when
	 * -f exists): there optind still points at it, and nothing was permuted
	 * since the call that started that argument.
	 */
	const char *arg = optind > at || optind >= argc ? argv[optind - 1] : argv[optind];
	cmd_bad_option(cmd, arg, c == ':');
	return '?';
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
	while ((c = cmd_getopt(o->what, argc, argv, "", all)) != -1) {
		if (c == OPT_CACHE) {
			o->cache_dir = optarg;
		} else if (c == OPT_HELP) {
			help = true;
			if (o->help_first)
				break;
		} else if (c == '?') {
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
