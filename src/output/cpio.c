// SPDX-License-Identifier: Apache-2.0
#include "output/cpio.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void output_cpio_init(struct output_cpio *c, int64_t mtime)
{
	strbuf_init(&c->buf, 1 << 20);
	c->ino = 0;
	c->mtime = mtime > 0 ? mtime : 0;
}

void output_cpio_release(struct output_cpio *c)
{
	strbuf_release(&c->buf);
}

static void pad4(struct strbuf *sb)
{
	while (sb->len % 4)
		strbuf_addch(sb, '\0');
}

void output_cpio_add(struct output_cpio *c, const char *path, mode_t mode, const void *data,
		     size_t len, uint32_t rdev_major, uint32_t rdev_minor)
{
	size_t namesize = strlen(path) + 1;
	strbuf_addf(&c->buf, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", ++c->ino,
		    (unsigned)mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, (unsigned)c->mtime,
		    (unsigned)len, 0u, 0u, rdev_major, rdev_minor, (unsigned)namesize, 0u);
	strbuf_add(&c->buf, path, namesize);
	pad4(&c->buf);
	if (len)
		strbuf_add(&c->buf, data, len);
	pad4(&c->buf);
}

int output_cpio_finish_gzip(struct output_cpio *c, int fd, struct uk_err *err)
{
	c->ino = 0;
	strbuf_addf(&c->buf, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", 0u, 0u,
		    0u, 0u, 1u, 0u, 0u, 0u, 0u, 0u, 0u, 11u, 0u);
	strbuf_add(&c->buf, "TRAILER!!!", 11);
	pad4(&c->buf);

	struct libdeflate_compressor *z = libdeflate_alloc_compressor(9);
	if (!z)
		return uk_err_set(err, "allocate a gzip compressor");
	size_t bound = libdeflate_gzip_compress_bound(z, c->buf.len);
	_cleanup_free_ void *out = xmalloc(bound);
	size_t n = libdeflate_gzip_compress(z, c->buf.buf, c->buf.len, out, bound);
	libdeflate_free_compressor(z);
	if (!n)
		return uk_err_set(err, "compress the initramfs");
	if (xwrite_all(fd, out, n) < 0)
		return uk_err_errno(err, "write the initramfs");
	return 0;
}
