/* SPDX-License-Identifier: Apache-2.0 */
/* The GUID partition table, written in C: protective MBR, both headers, both entry arrays. */
#pragma once

#include <stdint.h>

#include "util/err.h"

/* The EFI system partition type, C12A7328-F81F-11D2-BA4B-00A0C93EC93B, in on-disk order. */
extern const uint8_t output_gpt_type_esp[16];

struct output_gpt_part {
	uint8_t type[16]; /* on-disk byte order */
	uint8_t guid[16];
	uint64_t first_lba, last_lba; /* inclusive */
	uint64_t attrs;
	const char *name; /* ASCII, up to 36 characters */
};

/* The first and last LBA partitions may use on a disk of disk_bytes. */
uint64_t output_gpt_first_usable(void);
uint64_t output_gpt_last_usable(uint64_t disk_bytes);

/*
 * Writes the protective MBR, the primary header and entries (LBA 1-33) and
 * the backup entries and header (the last 33 sectors) of fd, a file of
 * disk_bytes (a multiple of 512).
 */
int output_gpt_write(int fd, uint64_t disk_bytes, const uint8_t disk_guid[16],
		     const struct output_gpt_part *parts, size_t n, struct uk_err *err);

/* CRC-32 (IEEE 802.3, as GPT, zlib and gzip use it). */
uint32_t output_crc32(uint32_t crc, const void *buf, size_t len);
