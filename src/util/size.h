/* SPDX-License-Identifier: Apache-2.0 */
/* Sizes as people type them on a command line: "512", "64K", "1024M", "2G", "1TiB". */
#pragma once

#include <stdint.h>

#include "util/err.h"

/* What a number without a suffix counts: powers of 1024, in order. */
enum size_unit {
	SIZE_BYTES,
	SIZE_KIB,
	SIZE_MIB,
	SIZE_GIB,
	SIZE_TIB,
};

/*
 * Reads s into *bytes: decimal digits, then optionally K, M, G or T (powers of
 * 1024, either case), which "B" or "iB" may follow ("2G", "2GB", "2GiB"). A
 * bare number counts in `unit`, which is also the smallest suffix taken, so a
 * size read in MiB is a whole number of MiB ("1K" is an unknown unit there).
 * Zero, signs, spaces, fractions and sizes above INT64_MAX bytes (they end up
 * in off_t and int64_t) fail with UK_ERR_INPUT and a message that quotes s:
 * "size '1.5G': not a positive number". *bytes is written only on success.
 */
int size_parse(const char *s, enum size_unit unit, uint64_t *bytes, struct uk_err *err);
