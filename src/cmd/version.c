// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>

#include "cmd/cmd.h"

extern const struct cmd cmd_version;

static int version_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = cmd_getopt("version", argc, argv, "h", opts)) != -1) {
		if (c == '?')
			return 2;
		if (c == 'h')
			return cmd_help(&cmd_version);
	}
	if (argc > 1)
		return cmd_usage_error("version takes no arguments");
	printf("unikit version %s\n", UNIKIT_VERSION);
	return 0;
}

const struct cmd cmd_version = {
	.name = "version",
	.summary = "print the version",
	.usage = "usage: unikit version\n",
	.fn = version_main,
};
