// SPDX-License-Identifier: Apache-2.0
/*
 * The initramfs QEMU hands the kernel, decompressed here. A kernel inflates a
 * gzip initramfs with zlib's C code, which TCG emulates: 0.2 s for 7 MiB of
 * cpio, against 10 ms for libdeflate on the host, and a copy is all the
 * kernel has left to do with an uncompressed one (it takes a mix of both,
 * one archive after another). The image on disk stays as it was built.
 */
#include <errno.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "util/fs.h"
#include "util/strbuf.h"

/* Big enough for any initramfs QEMU would load into a guest. */
#define INITRD_MAX (4ull << 30)

static bool is_cpio(const uint8_t *p, size_t n)
{
	return n >= 6 && (!memcmp(p, "070701", 6) || !memcmp(p, "070702", 6));
}

static bool is_gzip(const uint8_t *p, size_t n)
{
	return n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

static bool hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int d = hex_digit(p[i]);
		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

/*
 * The length of the uncompressed newc archive at p, up to its padded
 * TRAILER!!! entry, or 0 if it is not one that ends in n bytes.
 */
static size_t cpio_length(const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off + 110 <= n && is_cpio(p + off, n - off)) {
		uint32_t size, namesize;
		if (!hex8(p + off + 54, &size) || !hex8(p + off + 94, &namesize) || namesize == 0)
			return 0;
		size_t name = off + 110, data = (name + namesize + 3) & ~(size_t)3;
		size_t next = (data + size + 3) & ~(size_t)3;
		if (next > n || next < off)
			return 0;
		bool trailer = namesize == 11 && !memcmp(p + name, "TRAILER!!!", 11);
		off = next;
		if (trailer)
			return off;
	}
	return 0;
}

/* Inflates the gzip member at p into *out; *in_used is its length. */
static int inflate_member(const uint8_t *p, size_t n, struct strbuf *out, size_t *in_used)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t guess = n * 4 > (1u << 20) ? n * 4 : (1u << 20);
	int r = -1;

	if (!d)
		return -1;
	for (; guess <= INITRD_MAX; guess *= 2) {
		size_t got;
		strbuf_grow(out, guess);
		enum libdeflate_result res = libdeflate_gzip_decompress_ex(
			d, p, n, out->buf + out->len, guess, in_used, &got);
		if (res == LIBDEFLATE_INSUFFICIENT_SPACE)
			continue;
		if (res == LIBDEFLATE_SUCCESS) {
			out->len += got;
			r = 0;
		}
		break;
	}
	libdeflate_free_decompressor(d);
	return r;
}

/*
 * The initramfs at data, with its gzip members inflated: archives one after
 * another, each uncompressed or a gzip member, zeros between them. Fails on
 * anything else (another compression): the kernel is then given the file.
 */
static int decompress(const uint8_t *data, size_t n, struct strbuf *out)
{
	size_t off = 0;
	bool inflated = false;

	while (off < n) {
		if (data[off] == 0) {
			off++;
			continue;
		}
		/* each archive starts on a 4-byte boundary of what the kernel reads */
		while (out->len % 4)
			strbuf_addch(out, 0);
		size_t len;
		if ((len = cpio_length(data + off, n - off)) > 0) {
			strbuf_add(out, data + off, len);
		} else if (is_gzip(data + off, n - off)) {
			size_t start = out->len;
			if (inflate_member(data + off, n - off, out, &len) < 0 ||
			    !is_cpio((const uint8_t *)out->buf + start, out->len - start))
				return -1;
			inflated = true;
		} else {
			return -1;
		}
		off += len;
	}
	return inflated ? 0 : -1;
}

int run_state_initrd(const char *dir, char **initrd, struct uk_err *err)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	size_t n;

	if (fs_read_file(*initrd, INITRD_MAX, &data, &n, err) < 0)
		return uk_err_wrap(err, "initrd");
	if (decompress((const uint8_t *)data, n, &out) < 0)
		return 0; /* not one this knows: the kernel decompresses it */
	char *path = xasprintf("%s/initrd.cpio", dir);
	if (fs_write_file_atomic(path, out.buf, out.len, 0644, err) < 0) {
		free(path);
		return uk_err_wrap(err, "initrd");
	}
	free(*initrd);
	*initrd = path;
	return 0;
}
