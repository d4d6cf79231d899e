/* SPDX-License-Identifier: Apache-2.0 */
/* The raw disk images in the formats hypervisors and clouds take. */
#pragma once

#include <stdint.h>

#include "util/err.h"

enum output_vdisk {
	OUTPUT_VDISK_QCOW2,
	OUTPUT_VDISK_VHD_FIXED,
	OUTPUT_VDISK_VHD_DYNAMIC,
	OUTPUT_VDISK_VMDK, /* streamOptimized */
};

/*
 * Converts the raw image at raw to out with qemu-img, then makes the result
 * reproducible: the timestamps and identifiers that qemu-img takes from the
 * clock and the random generator are replaced by the epoch and values
 * derived from the disk's content. name is the file name the output will
 * have in the end (a VMDK descriptor names its own file).
 */
int output_vdisk_convert(const char *raw, enum output_vdisk kind, const char *out, const char *name,
			 int64_t epoch, struct uk_err *err);

/*
 * Writes raw as GCE wants a disk image: "disk.raw" in a GNU tar (oldgnu, its
 * zero blocks left out as a sparse file) compressed with gzip, to out_fd.
 */
int output_gcp_write(const char *raw, int out_fd, int64_t epoch, struct uk_err *err);
