// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/output: the parallel gzip writer, the deflate walker, the initramfs. */
#include <archive.h>
#include <archive_entry.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/gzip.h"
#include "output/initrd.h"
#include "rootfs/internal.h"
#include "unit.h"
#include "util/strbuf.h"

static uint64_t rng = 88172645463325252ull;

static uint8_t next_byte(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)rng;
}

/* Test data of several kinds: random (stored blocks), zeros, and text-like. */
static uint8_t *make_data(size_t len)
{
	uint8_t *d = xmalloc(len);
	static const char words[] = "the quick brown fox jumps over the lazy dog 0123456789\n";

	for (size_t i = 0; i < len; i++) {
		size_t region = (i / 300000) % 3;
		if (region == 0)
			d[i] = next_byte();
		else if (region == 1)
			d[i] = 0;
		else
			d[i] = (uint8_t)words[(i * 7 + (next_byte() & 3)) % (sizeof(words) - 1)];
	}
	return d;
}

/* Reads all of fd from its start. */
static uint8_t *slurp(int fd, size_t *len)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *b = xmalloc((size_t)st.st_size + 1);
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	*len = (size_t)st.st_size;
	return b;
}

static void gzip_roundtrip(size_t len, unsigned threads, size_t step)
{
	struct uk_err err = { 0 };
	struct output_gzip *g;
	int fd = memfd_create("gz", MFD_CLOEXEC);
	uint8_t *data = make_data(len);
	size_t glen;

	assert_true(fd >= 0);
	assert_int_equal(output_gzip_new(&g, fd, 6, threads, &err), 0);
	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		assert_int_equal(output_gzip_write(g, data + off, n, &err), 0);
	}
	assert_int_equal(output_gzip_finish(g, &err), 0);
	assert_int_equal(output_gzip_written(g), lseek(fd, 0, SEEK_END));
	output_gzip_free(g);

	uint8_t *gz = slurp(fd, &glen);
	/* no name, no timestamp */
	assert_int_equal(gz[3], 0);
	assert_memory_equal(gz + 4, "\0\0\0\0", 4);
	uint8_t *back = xmalloc(len + 1);
	size_t got = 0;
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	assert_int_equal(libdeflate_gzip_decompress(d, gz, glen, back, len + 1, &got),
			 LIBDEFLATE_SUCCESS);
	libdeflate_free_decompressor(d);
	assert_int_equal(got, len);
	assert_memory_equal(back, data, len);
	free(back);
	free(gz);
	free(data);
	close(fd);
}

static void test_gzip(void **state)
{
	gzip_roundtrip(0, 2, 1);
	gzip_roundtrip(10, 1, 3);
	gzip_roundtrip(3u << 20, 2, 65536);
	gzip_roundtrip((5u << 20) + 12345, 3, 1000003);
}

static void test_gzip_deterministic(void **state)
{
	struct uk_err err = { 0 };
	uint8_t *data = make_data(4u << 20);
	uint8_t *out[2];
	size_t len[2];

	for (unsigned t = 1; t <= 2; t++) {
		struct output_gzip *g;
		int fd = memfd_create("gz", MFD_CLOEXEC);
		assert_int_equal(output_gzip_new(&g, fd, 6, t == 1 ? 1 : 4, &err), 0);
		assert_int_equal(output_gzip_write(g, data, 4u << 20, &err), 0);
		assert_int_equal(output_gzip_finish(g, &err), 0);
		output_gzip_free(g);
		out[t - 1] = slurp(fd, &len[t - 1]);
		close(fd);
	}
	assert_int_equal(len[0], len[1]);
	assert_memory_equal(out[0], out[1], len[0]);
	free(out[0]);
	free(out[1]);
	free(data);
}

static void test_deflate_scan(void **state)
{
	size_t len = 700000;
	uint8_t *data = make_data(len);
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
	size_t cap = libdeflate_deflate_compress_bound(c, len);
	uint8_t *out = xmalloc(cap);
	uint64_t final_bit, end_bit;

	size_t n = libdeflate_deflate_compress(c, data, len, out, cap);
	assert_true(n > 0);
	assert_int_equal(output_deflate_scan(out, n, &final_bit, &end_bit), 0);
	/* the stream ends in the last byte, and its final block says so */
	assert_int_equal((end_bit + 7) / 8, n);
	assert_true(out[final_bit / 8] & (1u << (final_bit % 8)));
	/* a stream cut short is malformed */
	assert_int_equal(output_deflate_scan(out, n / 2, &final_bit, &end_bit), -1);
	libdeflate_free_compressor(c);
	free(out);
	free(data);
}

static void test_crc32_combine(void **state)
{
	uint8_t *data = make_data(100000);
	uint32_t whole = libdeflate_crc32(0, data, 100000);

	for (size_t cut = 0; cut <= 100000; cut += 33333) {
		uint32_t a = libdeflate_crc32(0, data, cut);
		uint32_t b = libdeflate_crc32(0, data + cut, 100000 - cut);
		assert_int_equal(output_crc32_combine(a, b, 100000 - cut), whole);
	}
	free(data);
}

/* ---- the initramfs ---- */

static struct rootfs *sample_root(void)
{
	struct rootfs *r;
	struct uk_err err = { 0 };
	struct rootfs_meta m = { .mode = S_IFCHR | 0600, .rdev_major = 5, .rdev_minor = 1 };

	assert_int_equal(rootfs_new(&r, NULL, 1700000000, &err), 0);
	assert_int_equal(rootfs_put_dir(r, r->root, "boot", 0755, 0, 0, &err), 0);
	assert_int_equal(rootfs_put_file(r, r->root, "boot/kernel", 0644, 0, 0, "K", 1, &err), 0);
	assert_int_equal(rootfs_put_file(r, r->root, "etc/motd", 0644, 7, 8, "hello\n", 6, &err),
			 0);
	assert_int_equal(rootfs_put_symlink(r, r->root, "bin/sh", "busybox", 0777, 0, 0, &err), 0);
	assert_int_equal(rootfs_tree_put(&r->tree, r->root, "dev/console", &m, 0, NULL, &err), 0);
	rng = 42; /* the same content every time */
	char *big = (char *)make_data(3u << 20);
	assert_int_equal(rootfs_put_file(r, r->root, "big", 0600, 0, 0, big, 3u << 20, &err), 0);
	free(big);
	return r;
}

static void test_initrd(void **state)
{
	struct uk_err err = { 0 };
	struct rootfs *r = sample_root();
	int fd = memfd_create("initrd", MFD_CLOEXEC);
	uint64_t ucode_len;
	struct strbuf seen = STRBUF_INIT;

	/* microcode goes first, uncompressed */
	r->ucode_path = xasprintf("%s/ucode", r->tmpdir);
	FILE *f = fopen(r->ucode_path, "w");
	fputs("UCODE", f);
	fclose(f);

	assert_int_equal(output_initrd_write(r, fd, &ucode_len, &err), 0);
	assert_int_equal(ucode_len, 5);
	size_t len;
	uint8_t *img = slurp(fd, &len);
	assert_memory_equal(img, "UCODE", 5);
	assert_int_equal(img[5], 0x1f);

	struct archive *a = archive_read_new();
	struct archive_entry *e;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_memory(a, img + 5, len - 5), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		strbuf_addf(&seen, "%s %o %lld:%lld %lld", archive_entry_pathname(e),
			    (unsigned)archive_entry_mode(e), (long long)archive_entry_uid(e),
			    (long long)archive_entry_gid(e), (long long)archive_entry_mtime(e));
		if (archive_entry_symlink(e))
			strbuf_addf(&seen, " -> %s", archive_entry_symlink(e));
		if (archive_entry_filetype(e) == AE_IFCHR)
			strbuf_addf(&seen, " %u,%u", (unsigned)archive_entry_rdevmajor(e),
				    (unsigned)archive_entry_rdevminor(e));
		strbuf_addch(&seen, '\n');
	}
	archive_read_free(a);
	/* sorted, no boot/ files (the directory stays, as with LinuxKit) */
	assert_string_equal(seen.buf, "big 100600 0:0 1700000000\n"
				      "bin 40755 0:0 1700000000\n"
				      "bin/sh 120777 0:0 1700000000 -> busybox\n"
				      "boot 40755 0:0 1700000000\n"
				      "dev 40755 0:0 1700000000\n"
				      "dev/console 20600 0:0 1700000000 5,1\n"
				      "etc 40755 0:0 1700000000\n"
				      "etc/motd 100644 7:8 1700000000\n");
	strbuf_release(&seen);
	free(img);
	close(fd);
	unlink(r->ucode_path);
	rootfs_free(r);
}

static void test_initrd_reproducible(void **state)
{
	struct uk_err err = { 0 };
	uint8_t *img[2];
	size_t len[2];

	for (int i = 0; i < 2; i++) {
		struct rootfs *r = sample_root();
		int fd = memfd_create("initrd", MFD_CLOEXEC);
		uint64_t ucode_len;
		assert_int_equal(output_initrd_write(r, fd, &ucode_len, &err), 0);
		img[i] = slurp(fd, &len[i]);
		close(fd);
		rootfs_free(r);
	}
	assert_int_equal(len[0], len[1]);
	assert_memory_equal(img[0], img[1], len[0]);
	free(img[0]);
	free(img[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),	     cmocka_unit_test(test_gzip_deterministic),
		cmocka_unit_test(test_deflate_scan), cmocka_unit_test(test_crc32_combine),
		cmocka_unit_test(test_initrd),	     cmocka_unit_test(test_initrd_reproducible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
