/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FAT file systems in a file, at an offset (a partition of a disk image, or
 * a whole El Torito image), with mtools: no mounts, no loop devices.
 */
#pragma once

#include <stdint.h>

#include "util/err.h"

struct output_fat {
	const char *image; /* the file */
	uint64_t offset;   /* where the file system starts, in bytes */
	int64_t epoch;	   /* every timestamp */
};

/* A file to put in the file system. */
struct output_fat_file {
	const char *src; /* a file on the host */
	const char *dst; /* its path in the file system, "/EFI/BOOT/BOOTX64.EFI" */
};

/*
 * Bytes a FAT file system needs to hold files of these sizes (n of them),
 * with room for the allocation tables and the directories.
 */
uint64_t output_fat_need(const uint64_t *sizes, size_t n);

/*
 * Formats bytes at the offset: FAT32 when big enough, else what mformat
 * picks; hidden is the partition's first sector (0 for an unpartitioned image).
 */
int output_fat_format(const struct output_fat *f, uint64_t bytes, uint32_t hidden,
		      const char *label, uint32_t serial, struct uk_err *err);

/* Copies files in, creating the directories their paths need. */
int output_fat_copy(const struct output_fat *f, const struct output_fat_file *files, size_t n,
		    struct uk_err *err);
