/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Disk images as plain files: sizes, the MBR, identifiers derived from the
 * content (so that the same input gives the same bytes), sparse copies.
 */
#pragma once

#include <stdint.h>

#include "util/err.h"

#define OUTPUT_SECTOR 512u
#define OUTPUT_MIB (1024ull * 1024)
/* LinuxKit's -size default */
#define OUTPUT_DISK_DEFAULT_SIZE (1024 * OUTPUT_MIB)
/* Partitions start at 1 MiB, as every partitioning tool does today. */
#define OUTPUT_PART_START_LBA 2048u

/* Formats bytes as LinuxKit would write it ("1024M", "2G"), rounded up to MiB. */
char *output_size_format(uint64_t bytes);

/* A size check before anything is written: fails saying how much is needed. */
int output_size_check(const char *format, uint64_t size, uint64_t need, struct uk_err *err);

/* One primary partition for output_mbr_write(). */
struct output_mbr_part {
	uint8_t type; /* 0x0c FAT32 LBA, 0x0e FAT16 LBA, 0xee GPT protective, ... */
	bool bootable;
	uint64_t lba_start, lba_count;
};

/*
 * Writes sector 0 of fd: boot code (the first 440 bytes of boot_code_path,
 * or zeros when NULL), the disk signature and up to four partitions.
 */
int output_mbr_write(int fd, const char *boot_code_path, uint32_t disk_sig,
		     const struct output_mbr_part *parts, size_t n, struct uk_err *err);

/*
 * A digest of what a disk holds (files and strings), from which its
 * identifiers are derived: the same content gives the same UUIDs.
 */
struct output_seed {
	uint8_t d[32];
};
/* Hashes each file in paths (NULL-terminated) and each string in strs (NULL-terminated). */
int output_seed_make(struct output_seed *s, const char *const *paths, const char *const *strs,
		     struct uk_err *err);
/* The same from bytes in memory and strings (NULL-terminated). */
void output_seed_from(struct output_seed *s, const void *data, size_t len, const char *const *strs);
/* Fills out[n] (n <= 32) with bytes derived from the seed and a purpose ("disk-guid", ...). */
void output_seed_bytes(const struct output_seed *s, const char *purpose, uint8_t *out, size_t n);
/* A random-looking (version 4, RFC 4122 variant) GUID in GPT's on-disk byte order. */
void output_seed_guid(const struct output_seed *s, const char *purpose, uint8_t guid[16]);
uint32_t output_seed_u32(const struct output_seed *s, const char *purpose);

/*
 * Copies in_fd to out_fd (both at offset 0) keeping holes: only the data
 * regions are copied and out_fd is truncated to the size of in_fd.
 */
int output_copy_sparse(int in_fd, int out_fd, struct uk_err *err);
/* Copies the file at path to out_fd (see output_copy_sparse()). */
int output_copy_path(const char *path, int out_fd, struct uk_err *err);

/* Size of a file, or -1 with err. */
int output_file_size(const char *path, uint64_t *size, struct uk_err *err);

static inline uint64_t output_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static inline void output_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void output_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void output_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t output_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t output_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void output_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline uint32_t output_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
