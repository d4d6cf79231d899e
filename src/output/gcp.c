// SPDX-License-Identifier: Apache-2.0
/*
 * GCE's image layout: a file named disk.raw in a GNU tar of the "oldgnu"
 * format, compressed with gzip (what `tar --format=oldgnu -Sczf` writes).
 * The tar is written here so that the disk's zero blocks stay out of it as a
 * GNU sparse file: the map is computed from the content (4 KiB blocks that
 * are all zero), never from how the file system stores the file, so the
 * same disk gives the same bytes anywhere. The gzip stream is the parallel
 * writer's (output/gzip.h): the same bytes whatever the number of threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/disk.h"
#include "output/gzip.h"
#include "output/vdisk.h"

#define BLOCK 4096u
#define TAR_BLOCK 512u
#define SPARSE_IN_HEADER 4u
#define SPARSE_IN_EXT 21u

struct region {
	uint64_t off, len;
};

struct regions {
	struct region *r;
	size_t n, alloc;
};

static void add_block(struct regions *m, uint64_t off, uint64_t len)
{
	if (m->n && m->r[m->n - 1].off + m->r[m->n - 1].len == off) {
		m->r[m->n - 1].len += len;
		return;
	}
	XGROW(m->r, m->alloc, m->n + 1);
	m->r[m->n++] = (struct region){ off, len };
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* The map of non-zero 4 KiB blocks (the last one may be shorter). */
static int sparse_map(int fd, uint64_t size, struct regions *m, struct uk_err *err)
{
	_cleanup_free_ uint8_t *buf = xmalloc(OUTPUT_MIB);
	uint64_t pos = 0;

	while (pos < size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break;
		uint64_t start = data < 0 ? pos : (uint64_t)data / BLOCK * BLOCK;
		off_t hole = data < 0 ? (off_t)size : lseek(fd, data, SEEK_HOLE);
		uint64_t end = hole < 0 ? size : output_align((uint64_t)hole, BLOCK);
		if (end > size)
			end = size;
		if (start < pos)
			start = pos;
		for (uint64_t off = start; off < end;) {
			size_t want = end - off < OUTPUT_MIB ? (size_t)(end - off) : OUTPUT_MIB;
			ssize_t n = pread(fd, buf, want, (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return uk_err_errno(err, "read the disk image");
			for (size_t b = 0; b < (size_t)n; b += BLOCK) {
				size_t len = (size_t)n - b < BLOCK ? (size_t)n - b : BLOCK;
				if (!all_zero(buf + b, len))
					add_block(m, off + b, len);
			}
			off += (uint64_t)n;
		}
		pos = end > pos ? end : pos + BLOCK;
	}
	return 0;
}

static void octal(uint8_t *field, size_t width, uint64_t v)
{
	/* width - 1 digits and a NUL, as GNU tar writes them */
	field[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0;) {
		field[i] = (uint8_t)('0' + (v & 7));
		v >>= 3;
	}
}

static void checksum(uint8_t *h)
{
	unsigned sum = 0;
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	octal(h + 148, 7, sum);
	h[155] = ' ';
}

/* libdeflate's level 6 compresses a disk about as well as gzip -9, and faster */
#define GCP_GZIP_LEVEL 6

static int put(struct output_gzip *a, const void *p, size_t n, struct uk_err *err)
{
	return output_gzip_write(a, p, n, err);
}

static int write_headers(struct output_gzip *a, const struct regions *m, uint64_t size,
			 int64_t epoch, struct uk_err *err)
{
	uint8_t h[TAR_BLOCK] = { 0 };
	uint64_t stored = 0;
	size_t i = 0;

	for (size_t k = 0; k < m->n; k++)
		stored += m->r[k].len;
	memcpy(h, "disk.raw", 8);
	octal(h + 100, 8, 0644);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, stored);
	octal(h + 136, 12, epoch > 0 ? (uint64_t)epoch : 0);
	h[156] = 'S';
	memcpy(h + 257, "ustar  ", 8); /* the old GNU magic, with its NUL */
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	for (; i < m->n && i < SPARSE_IN_HEADER; i++) {
		octal(h + 386 + 24 * i, 12, m->r[i].off);
		octal(h + 386 + 24 * i + 12, 12, m->r[i].len);
	}
	h[482] = i < m->n;
	octal(h + 483, 12, size);
	checksum(h);
	if (put(a, h, sizeof(h), err) < 0)
		return -1;
	while (i < m->n) {
		memset(h, 0, sizeof(h));
		for (size_t k = 0; i < m->n && k < SPARSE_IN_EXT; i++, k++) {
			octal(h + 24 * k, 12, m->r[i].off);
			octal(h + 24 * k + 12, 12, m->r[i].len);
		}
		h[504] = i < m->n;
		if (put(a, h, sizeof(h), err) < 0)
			return -1;
	}
	return 0;
}

static int write_tar(struct output_gzip *a, int fd, uint64_t size, int64_t epoch,
		     struct uk_err *err)
{
	struct regions m = { 0 };
	int r = -1;

	if (sparse_map(fd, size, &m, err) < 0)
		goto out;
	/* a file that ends in a hole ends its map with an empty region at its size */
	if (!m.n || m.r[m.n - 1].off + m.r[m.n - 1].len < size) {
		XGROW(m.r, m.alloc, m.n + 1);
		m.r[m.n++] = (struct region){ size, 0 };
	}
	if (write_headers(a, &m, size, epoch, err) < 0)
		goto out;
	_cleanup_free_ uint8_t *buf = xmalloc(OUTPUT_MIB);
	uint64_t stored = 0;
	for (size_t k = 0; k < m.n; k++) {
		for (uint64_t off = m.r[k].off; off < m.r[k].off + m.r[k].len;) {
			uint64_t left = m.r[k].off + m.r[k].len - off;
			size_t want = left < OUTPUT_MIB ? (size_t)left : OUTPUT_MIB;
			ssize_t n = pread(fd, buf, want, (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				uk_err_errno(err, "read the disk image");
				goto out;
			}
			if (put(a, buf, (size_t)n, err) < 0)
				goto out;
			off += (uint64_t)n;
			stored += (uint64_t)n;
		}
	}
	/* pad the data to a tar block, then the two zero blocks that end the archive */
	memset(buf, 0, 3 * TAR_BLOCK);
	size_t pad = (TAR_BLOCK - stored % TAR_BLOCK) % TAR_BLOCK;
	if (put(a, buf, pad + 2 * TAR_BLOCK, err) < 0)
		goto out;
	r = 0;
out:
	free(m.r);
	return r;
}

int output_gcp_write(const char *raw, int out_fd, int64_t epoch, struct uk_err *err)
{
	_cleanup_close_ int fd = open(raw, O_RDONLY | O_CLOEXEC);
	struct output_gzip *g = NULL;
	uint64_t size;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", raw);
	if (output_file_size(raw, &size, err) < 0 ||
	    output_gzip_new(&g, out_fd, GCP_GZIP_LEVEL, cpus > 0 ? (unsigned)cpus : 1, err) < 0)
		return -1;
	int r = write_tar(g, fd, size, epoch, err);
	if (r == 0)
		r = output_gzip_finish(g, err);
	output_gzip_free(g);
	return r;
}
