/* SPDX-License-Identifier: Apache-2.0 */
/* File-system helpers: directory creation, whole-file reads, atomic writes. */
#pragma once

#include <sys/types.h>

#include "util/err.h"

/* Creates path and its missing parents with mode (like mkdir -p). */
int fs_mkdir_p(const char *path, mode_t mode, struct uk_err *err);

/*
 * Reads a whole file ("-" is stdin) into a NUL-terminated buffer the caller
 * frees; a file larger than max bytes is an error.
 */
int fs_read_file(const char *path, size_t max, char **out, size_t *len, struct uk_err *err);

/* Removes path and everything below it; a missing path is not an error. */
int fs_rm_rf(const char *path, struct uk_err *err);

/*
 * An output file that appears at its path complete or not at all. The data
 * goes to an unnamed file in the target directory (O_TMPFILE), or to a hidden
 * temporary name removed by fs_atomic_abort() and by the signal handler that
 * fs_atomic_install_signal_cleanup() installs, then it is renamed into place.
 */
struct fs_atomic {
	char *path; /* final path */
	char *tmp;  /* temporary name, when O_TMPFILE is not available */
	int fd;	    /* open for writing */
};

#define FS_ATOMIC_INIT                              \
	{                                           \
		.path = NULL, .tmp = NULL, .fd = -1 \
	}
#define _cleanup_atomic_ _cleanup_(fs_atomic_abort)

int fs_atomic_open(struct fs_atomic *a, const char *path, mode_t mode, struct uk_err *err);
/* Flushes and renames the file into place; the struct is released either way. */
int fs_atomic_commit(struct fs_atomic *a, struct uk_err *err);
/* Discards the file (no-op after commit or on an unopened struct). */
void fs_atomic_abort(struct fs_atomic *a);
/* Writes data to path atomically. */
int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct uk_err *err);
/* Makes SIGINT/SIGTERM/SIGHUP remove pending temporary files before the process dies. */
void fs_atomic_install_signal_cleanup(void);
