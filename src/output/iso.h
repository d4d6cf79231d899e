/* SPDX-License-Identifier: Apache-2.0 */
/* xorriso command lines (mkisofs emulation) shared by the ISO writers. */
#pragma once

#include <stdint.h>

#include "util/err.h"

struct output_iso_args {
	char **argv;
	size_t n, alloc;
	char *date, *volid, *mod;
};

/* "YYYYMMDDhhmmss00" in UTC, as xorriso takes dates. */
char *output_iso_timestring(int64_t epoch);
/* An ISO 9660 volume id (d-characters, up to 32) from an image name. */
char *output_iso_volid(const char *name);

/* Starts "xorriso -as mkisofs -o out" with Rock Ridge, the volume id and fixed dates. */
void output_iso_args_init(struct output_iso_args *a, const char *out, const char *volid,
			  int64_t epoch);
void output_iso_arg(struct output_iso_args *a, const char *s);
/* Adds host_path as iso_path in the ISO. */
void output_iso_graft(struct output_iso_args *a, const char *iso_path, const char *host_path);
int output_iso_run(struct output_iso_args *a, int64_t epoch, struct uk_err *err);
void output_iso_args_release(struct output_iso_args *a);
