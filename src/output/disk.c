// SPDX-License-Identifier: Apache-2.0
#include "output/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/sha256.h"

char *output_size_format(uint64_t bytes)
{
	uint64_t mib = (bytes + OUTPUT_MIB - 1) / OUTPUT_MIB;
	if (mib % 1024 == 0)
		return xasprintf("%" PRIu64 "G", mib / 1024);
	return xasprintf("%" PRIu64 "M", mib);
}

int output_size_check(const char *format, uint64_t size, uint64_t need, struct uk_err *err)
{
	if (size >= need)
		return 0;
	_cleanup_free_ char *have = output_size_format(size);
	_cleanup_free_ char *want = output_size_format(need);
	return uk_err_setc(err, UK_ERR_INPUT,
			   "disk size %s is too small for '%s': it needs at least -size %s", have,
			   format, want);
}

static void chs(uint64_t lba, uint8_t out[3])
{
	/* The usual fake geometry: 255 heads, 63 sectors; beyond it, the maximum. */
	uint64_t c = lba / (255 * 63), h = (lba / 63) % 255, s = lba % 63 + 1;
	if (c > 1023) {
		c = 1023;
		h = 254;
		s = 63;
	}
	out[0] = (uint8_t)h;
	out[1] = (uint8_t)(s | ((c >> 2) & 0xc0));
	out[2] = (uint8_t)c;
}

int output_mbr_write(int fd, const char *boot_code_path, uint32_t disk_sig,
		     const struct output_mbr_part *parts, size_t n, struct uk_err *err)
{
	uint8_t mbr[OUTPUT_SECTOR] = { 0 };

	BUG_ON(n > 4);
	if (boot_code_path) {
		_cleanup_free_ char *code = NULL;
		size_t len = 0;
		if (fs_read_file(boot_code_path, 1 << 16, &code, &len, err) < 0)
			return -1;
		memcpy(mbr, code, len < 440 ? len : 440);
	}
	output_le32(mbr + 440, disk_sig);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = mbr + 446 + 16 * i;
		uint64_t last = parts[i].lba_start + parts[i].lba_count - 1;
		e[0] = parts[i].bootable ? 0x80 : 0;
		chs(parts[i].lba_start, e + 1);
		e[4] = parts[i].type;
		chs(last, e + 5);
		output_le32(e + 8, (uint32_t)parts[i].lba_start);
		output_le32(e + 12, parts[i].lba_count > UINT32_MAX ? UINT32_MAX
								    : (uint32_t)parts[i].lba_count);
	}
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	if (pwrite(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr))
		return uk_err_errno(err, "write the MBR");
	return 0;
}

static void hex_decode(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = (uint8_t)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
	}
}

int output_seed_make(struct output_seed *s, const char *const *paths, const char *const *strs,
		     struct uk_err *err)
{
	struct sha256 h;
	char hex[SHA256_HEX_LEN + 1];
	_cleanup_free_ uint8_t *buf = xmalloc(1 << 20);

	sha256_init(&h);
	for (size_t i = 0; paths && paths[i]; i++) {
		_cleanup_close_ int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			sha256_release(&h);
			return uk_err_errno(err, "open '%s'", paths[i]);
		}
		for (;;) {
			ssize_t r = xread_all(fd, buf, 1 << 20);
			if (r < 0) {
				sha256_release(&h);
				return uk_err_errno(err, "read '%s'", paths[i]);
			}
			sha256_update(&h, buf, (size_t)r);
			if (r < (1 << 20))
				break;
		}
		sha256_update(&h, "\0file", 5);
	}
	for (size_t i = 0; strs && strs[i]; i++)
		sha256_update(&h, strs[i], strlen(strs[i]) + 1);
	sha256_final_hex(&h, hex);
	hex_decode(hex, s->d, sizeof(s->d));
	return 0;
}

void output_seed_from(struct output_seed *s, const void *data, size_t len, const char *const *strs)
{
	struct sha256 h;
	char hex[SHA256_HEX_LEN + 1];

	sha256_init(&h);
	sha256_update(&h, data, len);
	for (size_t i = 0; strs && strs[i]; i++)
		sha256_update(&h, strs[i], strlen(strs[i]) + 1);
	sha256_final_hex(&h, hex);
	hex_decode(hex, s->d, sizeof(s->d));
}

void output_seed_bytes(const struct output_seed *s, const char *purpose, uint8_t *out, size_t n)
{
	struct sha256 h;
	char hex[SHA256_HEX_LEN + 1];
	uint8_t d[32];

	BUG_ON(n > sizeof(d));
	sha256_init(&h);
	sha256_update(&h, s->d, sizeof(s->d));
	sha256_update(&h, purpose, strlen(purpose));
	sha256_final_hex(&h, hex);
	hex_decode(hex, d, sizeof(d));
	memcpy(out, d, n);
}

void output_seed_guid(const struct output_seed *s, const char *purpose, uint8_t guid[16])
{
	output_seed_bytes(s, purpose, guid, 16);
	/* on disk, time_hi_and_version is little-endian: the version is byte 7's high nibble */
	guid[7] = (uint8_t)((guid[7] & 0x0f) | 0x40);
	guid[8] = (uint8_t)((guid[8] & 0x3f) | 0x80);
}

uint32_t output_seed_u32(const struct output_seed *s, const char *purpose)
{
	uint8_t b[4];
	output_seed_bytes(s, purpose, b, sizeof(b));
	return output_get_le32(b);
}

static int copy_range(int in, int out, off_t off, off_t len, struct uk_err *err)
{
	static const size_t chunk = 1 << 20;
	_cleanup_free_ char *buf = NULL;

	while (len > 0) {
		loff_t ioff = off, ooff = off;
		ssize_t n = copy_file_range(in, &ioff, out, &ooff, (size_t)len, 0);
		if (n > 0) {
			off += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
		    errno == EOPNOTSUPP)
			break;
		return uk_err_errno(err, "copy");
	}
	while (len > 0) {
		if (!buf)
			buf = xmalloc(chunk);
		size_t want = (size_t)len < chunk ? (size_t)len : chunk;
		ssize_t n = pread(in, buf, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? uk_err_errno(err, "read")
				     : uk_err_set(err, "read: short file");
		for (ssize_t w = 0; w < n;) {
			ssize_t k = pwrite(out, buf + w, (size_t)(n - w), off + w);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return uk_err_errno(err, "write");
			w += k;
		}
		off += n;
		len -= n;
	}
	return 0;
}

int output_copy_sparse(int in_fd, int out_fd, struct uk_err *err)
{
	struct stat st;
	off_t pos = 0;

	if (fstat(in_fd, &st) < 0)
		return uk_err_errno(err, "stat");
	if (ftruncate(out_fd, 0) < 0 || ftruncate(out_fd, st.st_size) < 0) {
		/* not a regular file (stdout): write everything, holes as zeros */
		if (errno != EINVAL && errno != ESPIPE)
			return uk_err_errno(err, "truncate");
		_cleanup_free_ char *buf = xmalloc(1 << 20);
		for (;;) {
			ssize_t n = xread_all(in_fd, buf, 1 << 20);
			if (n < 0)
				return uk_err_errno(err, "read");
			if (xwrite_all(out_fd, buf, (size_t)n) < 0)
				return uk_err_errno(err, "write");
			if (n < (1 << 20))
				return 0;
		}
	}
	while (pos < st.st_size) {
		off_t data = lseek(in_fd, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break;
			/* no SEEK_DATA: copy it all */
			return copy_range(in_fd, out_fd, pos, st.st_size - pos, err);
		}
		off_t hole = lseek(in_fd, data, SEEK_HOLE);
		if (hole < 0)
			hole = st.st_size;
		if (copy_range(in_fd, out_fd, data, hole - data, err) < 0)
			return -1;
		pos = hole;
	}
	return 0;
}

int output_copy_path(const char *path, int out_fd, struct uk_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return uk_err_errno(err, "open '%s'", path);
	if (output_copy_sparse(fd, out_fd, err) < 0)
		return uk_err_wrap(err, "copy '%s'", path);
	return 0;
}

int output_file_size(const char *path, uint64_t *size, struct uk_err *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return uk_err_errno(err, "stat '%s'", path);
	*size = (uint64_t)st.st_size;
	return 0;
}
