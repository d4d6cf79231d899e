// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>

#include "cmd/cmd.h"

static int version_main(int argc, char **argv)
{
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
