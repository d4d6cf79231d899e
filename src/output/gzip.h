/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A parallel gzip writer: one gzip member (no name, no timestamp), made of
 * raw deflate pieces that worker threads compress with libdeflate.
 *
 * libdeflate cannot flush: each piece ends with a final block, at a bit
 * position it does not report. output_deflate_scan() walks a piece's blocks
 * (decoding its Huffman codes, writing nothing) to find that block, so the
 * piece can be spliced: its final bit is cleared and an empty stored block
 * brings it to a byte boundary (what zlib's Z_SYNC_FLUSH writes). Pieces
 * are independent (no shared window), which costs well under 1% in size, and
 * the output is the same whatever the number of threads.
 *
 * One member rather than one member per piece: the Linux initramfs unpacker
 * accepts concatenated members only when each ends at a cpio entry boundary,
 * which would make a large file one piece held in memory.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct output_gzip;

/* Writes to fd (which it does not close) at a libdeflate level (1-12) with threads workers. */
int output_gzip_new(struct output_gzip **out, int fd, int level, unsigned threads,
		    struct uk_err *err);
int output_gzip_write(struct output_gzip *g, const void *data, size_t len, struct uk_err *err);
/*
 * Writing in place: the free space of the piece being filled (never empty),
 * and how much of it the caller filled. Saves a copy of every byte.
 */
void *output_gzip_buffer(struct output_gzip *g, size_t *avail);
int output_gzip_commit(struct output_gzip *g, size_t len, struct uk_err *err);
/* Completes the member (the final piece and the trailer); the writer must still be freed. */
int output_gzip_finish(struct output_gzip *g, struct uk_err *err);
/* Total compressed bytes written so far. */
uint64_t output_gzip_written(const struct output_gzip *g);
void output_gzip_free(struct output_gzip *g);

/*
 * Walks a raw deflate stream of len bytes. On success, *final_bit is the
 * position (in bits, LSB first) of the final block's BFINAL bit and *end_bit
 * the position just after its end-of-block code. Fails on a malformed stream.
 */
int output_deflate_scan(const uint8_t *data, size_t len, uint64_t *final_bit, uint64_t *end_bit);

/* crc32 of the concatenation of A (crc_a) and B (crc_b, len_b bytes long). */
uint32_t output_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
