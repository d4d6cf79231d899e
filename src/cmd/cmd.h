/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command-line front end: one descriptor per subcommand (src/cmd/NAME.c
 * defines `const struct cmd cmd_NAME`); the Makefile lists the files into
 * build/gen/cmds.h and src/main.c dispatches on the table.
 */
#pragma once

#include <getopt.h>

#include "util/err.h"

struct store;

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

/*
 * Reports a bad option of the command typed as cmd ("build", "cache ls"),
 * the one way every command does:
 *   unikit: error: CMD: unknown option 'OPT' (see 'unikit help CMD')
 *   unikit: error: CMD: option 'OPT' needs a value (see 'unikit help CMD')
 * opt is the argument as typed. Returns 2.
 */
int cmd_bad_option(const char *cmd, const char *opt, bool missing_value);

/*
 * getopt_long_only() for the command typed as cmd, with getopt's own messages
 * off: shortopts without a leading ':' (this adds it). Returns what getopt
 * returns, except that a bad option is reported with cmd_bad_option() and
 * comes back as '?', on which the command returns 2.
 */
int cmd_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* The default store directory: $UNIKIT_CACHE, $XDG_CACHE_HOME/unikit, ~/.cache/unikit. */
char *cmd_default_cache_dir(void);

/*
 * The option loop of the commands that work on the store (cache's
 * subcommands, pull, push): getopt_long_only() over the command's own
 * options, plus -cache DIR and -h/-help/--help, which it takes itself.
 */
struct cmd_opts {
	const char *usage;	      /* what -h prints to stdout */
	const struct option *options; /* the command's own, ending with { 0 }; val below 1000 */
	/* Takes one of them: -1 to go on, or the exit status to stop with. */
	int (*option)(void *ctx, int val, char *arg);
	void *ctx;
	/* The command as typed ("cache ls", "push"), for cmd_bad_option(). */
	const char *what;
	/* -h prints the usage at once; otherwise only once every option is read without error. */
	bool help_first;
	const char *cache_dir; /* set by cmd_opts_parse(): -cache DIR (in argv), or NULL */
};

/*
 * Parses argv (argv[0] the command's name). Returns -1 when the command goes
 * on, with *first the index of its first argument, or the exit status to
 * return (0 after -h, 2 after a usage error, or what the option callback said).
 */
int cmd_opts_parse(struct cmd_opts *o, int argc, char **argv, int *first);

/* Opens the store at dir (NULL: cmd_default_cache_dir()): 0, or 1 after printing the error. */
int cmd_store_open(const char *dir, struct store **store);
