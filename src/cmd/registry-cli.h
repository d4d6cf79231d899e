/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `cache pull`, `cache push`, `pull` and `push` share (src/cmd/pull.c):
 * the registry options and the progress display.
 */
#pragma once

#include "registry/registry.h"

/* `unikit cache pull ...` and `unikit cache push ...` (argv[0] is "pull" / "push"). */
int cmd_cache_pull(int argc, char **argv);
int cmd_cache_push(int argc, char **argv);

/* The progress display: redrawn lines on a terminal, plain lines otherwise, nothing when quiet. */
struct progress;
struct progress *progress_new(const char *verb, bool quiet);
void progress_free(struct progress *pr);
void progress_event(void *ctx, const struct registry_event *ev);

/* Options every registry command takes; the arrays point into argv. */
struct registry_cli {
	struct registry_opts opts;
	const char **insecure;
	struct registry_mirror *mirrors;
	const char **cert_files;
	bool quiet;
	/* set by registry_cli_start() */
	struct progress *progress;
	struct store *store;
};

/*
 * After the options: the progress display for verb ("pull", "push") in
 * cli->opts, and the store (cache_dir, NULL: the default) in cli->store.
 * Returns 0, or the exit status of a store that does not open.
 */
int registry_cli_start(struct registry_cli *cli, const char *verb, const char *cache_dir);
/* Frees the options, the progress display and the store. */
void registry_cli_release(struct registry_cli *cli);

/*
 * The option values of pull and push, whose tables (with -cache and -h added
 * by cmd_opts_parse()) both have -q/-quiet, -insecure-registry and -cert-file:
 * their callbacks pass those to registry_cli_option().
 */
enum {
	REGISTRY_CLI_OPT_QUIET = 1,
	REGISTRY_CLI_OPT_INSECURE,
	REGISTRY_CLI_OPT_CERT,
	REGISTRY_CLI_OPT_MIRROR,
	REGISTRY_CLI_OPT_ARCH,
	REGISTRY_CLI_OPT_CHUNK,
};

/* Takes -q, -insecure-registry or -cert-file: -1 to go on (struct cmd_opts' convention). */
int registry_cli_option(struct registry_cli *cli, int val, char *arg);
