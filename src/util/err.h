/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The error contract (docs/errors.md): a fallible function returns 0 (or a
 * pointer) on success and -1 (or NULL) on failure, with *err set exactly once.
 * Callers propagate, add context with uk_err_wrap(), or handle and free.
 * Only src/main.c prints an error.
 */
#pragma once

#include "util/util.h"

struct uk_err {
	int code;  /* an errno value when a system call failed, else 0 */
	char *msg; /* owned; "what failed: why" */
};

/* Error codes beyond errno, for callers that must tell cases apart. */
enum {
	UK_ERR_GENERIC = 0,
	UK_ERR_NOT_FOUND = -1000, /* a name, blob or file that is not there */
	UK_ERR_CORRUPT = -1001,	  /* content that fails its digest or its format */
	UK_ERR_INPUT = -1002,	  /* the user's input is invalid */
};

/* Sets *err (which must be empty) and returns -1. */
_printf_(2, 3) int uk_err_set(struct uk_err *err, const char *fmt, ...);
/* Like uk_err_set() with a code. */
_printf_(3, 4) int uk_err_setc(struct uk_err *err, int code, const char *fmt, ...);
/* Like uk_err_set(), appending ": strerror(errno)" and keeping errno as the code. */
_printf_(2, 3) int uk_err_errno(struct uk_err *err, const char *fmt, ...);
/* Prefixes the message in *err with "context: " and returns -1. */
_printf_(2, 3) int uk_err_wrap(struct uk_err *err, const char *fmt, ...);
/* Frees the message and leaves *err empty and reusable. */
void uk_err_release(struct uk_err *err);

#define _cleanup_err_ _cleanup_(uk_err_release)
