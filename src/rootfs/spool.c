// SPDX-License-Identifier: Apache-2.0
/* The data spool: file contents written once, in order, read back by offset. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootfs/internal.h"

#define SPOOL_BUF (1u << 20)

struct rootfs_spool {
	int fd;
	uint64_t flushed; /* bytes in the file */
	uint8_t *buf;	  /* bytes after them, not written yet */
	size_t buf_len;
};

int rootfs_spool_new(struct rootfs_spool **out, const char *dir, struct uk_err *err)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		_cleanup_free_ char *tmpl = xasprintf("%s/.unikit-spool-XXXXXX", dir);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	if (fd < 0)
		return uk_err_errno(err, "create a spool file in '%s'", dir);
	struct rootfs_spool *s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->buf = xmalloc(SPOOL_BUF);
	*out = s;
	return 0;
}

void rootfs_spool_free(struct rootfs_spool *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s->buf);
	free(s);
}

uint64_t rootfs_spool_size(const struct rootfs_spool *s)
{
	return s->flushed + s->buf_len;
}

static int spool_flush(struct rootfs_spool *s, struct uk_err *err)
{
	if (!s->buf_len)
		return 0;
	if (xwrite_all(s->fd, s->buf, s->buf_len) < 0)
		return uk_err_errno(err, "write the spool file");
	s->flushed += s->buf_len;
	s->buf_len = 0;
	return 0;
}

int rootfs_spool_write(struct rootfs_spool *s, const void *data, size_t len, struct uk_err *err)
{
	const uint8_t *p = data;

	if (s->buf_len + len > SPOOL_BUF) {
		if (spool_flush(s, err) < 0)
			return -1;
		if (len >= SPOOL_BUF) {
			if (xwrite_all(s->fd, p, len) < 0)
				return uk_err_errno(err, "write the spool file");
			s->flushed += len;
			return 0;
		}
	}
	memcpy(s->buf + s->buf_len, p, len);
	s->buf_len += len;
	return 0;
}

int rootfs_spool_pread(struct rootfs_spool *s, void *buf, size_t len, uint64_t off,
		       struct uk_err *err)
{
	uint8_t *p = buf;

	BUG_ON(off + len > rootfs_spool_size(s));
	if (off + len > s->flushed && spool_flush(s, err) < 0)
		return -1;
	while (len) {
		ssize_t n = pread(s->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return uk_err_errno(err, "read the spool file");
		if (n == 0)
			return uk_err_set(err, "read the spool file: unexpected end");
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int rootfs_spool_copy(struct rootfs_spool *s, uint64_t off, uint64_t len, uint64_t *new_off,
		      struct uk_err *err)
{
	_cleanup_free_ uint8_t *buf = xmalloc(65536);
	uint64_t start = rootfs_spool_size(s);

	while (len) {
		size_t n = len < 65536 ? (size_t)len : 65536;
		if (rootfs_spool_pread(s, buf, n, off, err) < 0 ||
		    rootfs_spool_write(s, buf, n, err) < 0)
			return -1;
		off += n;
		len -= n;
	}
	*new_off = start;
	return 0;
}
