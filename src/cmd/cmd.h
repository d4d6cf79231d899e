/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command-line front end: one descriptor per subcommand (src/cmd/NAME.c
 * defines `const struct cmd cmd_NAME`); the Makefile lists the files into
 * build/gen/cmds.h and src/main.c dispatches on the table.
 */
#pragma once

#include "util/err.h"

struct cmd {
	const char *name;
	const char *summary; /* one line for `unikit help` */
	const char *usage;   /* full help text, printed by `unikit help NAME` and -h */
	/* argv[0] is the command name; returns the process exit status */
	int (*fn)(int argc, char **argv);
	bool hidden; /* not listed by `unikit help` */
};

/* Prints "unikit: error: MSG" for err, releases it and returns 1. */
int cmd_fail(struct uk_err *err);
/* Prints "unikit: error: MSG" and returns 2 (usage errors). */
_printf_(1, 2) int cmd_usage_error(const char *fmt, ...);
/* Prints the usage of cmd to stdout and returns 0. */
int cmd_help(const struct cmd *cmd);

/* The default store directory: $UNIKIT_CACHE, $XDG_CACHE_HOME/unikit, ~/.cache/unikit. */
char *cmd_default_cache_dir(void);
