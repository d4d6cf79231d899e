/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The helper programs the format writers run (xorriso, mtools, qemu-img,
 * mksquashfs, ...), each run with a fixed environment so that what they
 * write depends only on their input: SOURCE_DATE_EPOCH, TZ=UTC, LC_ALL=C.
 */
#pragma once

#include <stdint.h>

#include "util/err.h"
#include "util/proc.h"

/* Fails with a message naming the Debian package when prog is not on PATH. */
int output_tool_need(const char *prog, struct uk_err *err);

/*
 * Runs argv (argv[0] must be available: see output_tool_need()) with the
 * fixed environment for epoch; opts may be NULL.
 */
int output_tool_run(const char *const argv[], int64_t epoch, const struct proc_opts *opts,
		    struct uk_err *err);

/* A file the writers embed (boot loaders, stubs); fails naming its package when missing. */
int output_tool_file(const char *path, struct uk_err *err);
