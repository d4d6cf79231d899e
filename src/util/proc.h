/* SPDX-License-Identifier: Apache-2.0 */
/* Running helper programs (qemu-img, xorriso, apt-get, ...) from an argv vector. */
#pragma once

#include "util/err.h"
#include "util/strbuf.h"

struct proc_opts {
	const char *cwd;	 /* NULL: inherit */
	int stdin_fd;		 /* -1: /dev/null */
	int stdout_fd;		 /* -1: captured into *out when out is set, else /dev/null */
	struct strbuf *out;	 /* receives stdout when stdout_fd is -1 (bounded by out_max) */
	size_t out_max;		 /* 0: 64 MiB */
	const char *const *envp; /* NULL: inherit */
};

#define PROC_OPTS_INIT                                                                   \
	{                                                                                \
		.cwd = NULL, .stdin_fd = -1, .stdout_fd = -1, .out = NULL, .out_max = 0, \
		.envp = NULL                                                             \
	}

/*
 * Runs argv[0] (looked up in PATH) and waits for it. A failure to start it, a
 * non-zero exit or a signal is an error naming the program, with the last
 * line it wrote to stderr. stderr is otherwise swallowed.
 */
int proc_run(const char *const argv[], const struct proc_opts *opts, struct uk_err *err);

/* Returns true when a program of that name is on PATH. */
bool proc_have(const char *prog);
