// SPDX-License-Identifier: Apache-2.0
/*
 * unikit build -dry-run: load, validate and merge the spec files, and print
 * the merged spec as YAML. Spec errors go to stderr one per line, each as
 * FILE:LINE:COL: message.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "spec/spec.h"

static const char build_usage[] =
	"usage: unikit build -dry-run SPEC.yml [SPEC.yml...]\n"
	"\n"
	"Validates and merges the spec files ('-' reads standard input) and prints\n"
	"the merged spec as YAML. Errors are listed all at once, as FILE:LINE:COL.\n"
	"\n"
	"Options:\n"
	"  -dry-run    print the merged spec, build nothing\n"
	"  -help       show this help\n";

static const struct cmd *self(void);

static int build_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool dry_run = false;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long_only(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry_run = true;
			break;
		case 'h':
			return cmd_help(self());
		default:
			return cmd_usage_error("build: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!dry_run)
		return cmd_usage_error("build: give -dry-run (see 'unikit help build')");
	if (optind >= argc)
		return cmd_usage_error("build: no spec file given");

	_cleanup_err_ struct uk_err err = { 0 };
	struct spec spec = SPEC_INIT;
	if (spec_load(&spec, (const char *const *)argv + optind, (size_t)(argc - optind), &err) <
	    0) {
		if (err.code != UK_ERR_INPUT)
			return cmd_fail(&err);
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	int r = spec_write_yaml(&spec, stdout, &err);
	spec_release(&spec);
	return r < 0 ? cmd_fail(&err) : 0;
}

const struct cmd cmd_build = {
	.name = "build",
	.summary = "validate spec files and print the merged spec (-dry-run)",
	.usage = build_usage,
	.fn = build_main,
};

static const struct cmd *self(void)
{
	return &cmd_build;
}
