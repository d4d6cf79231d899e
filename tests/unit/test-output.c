// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for src/output: the parallel gzip writer, the deflate walker, the
 * initramfs; and the format writers' pieces: sizes, MBR, GPT, PE sections,
 * cpio, the GCE tar, modinfo.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/boot.h"
#include "output/cpio.h"
#include "output/disk.h"
#include "output/gpt.h"
#include "output/gzip.h"
#include "output/initrd.h"
#include "output/iso.h"
#include "output/modinfo.h"
#include "output/root.h"
#include "output/vdisk.h"
#include "rootfs/internal.h"
#include "unit.h"
#include "util/err.h"
#include "util/fs.h"
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

static char tmpdir[] = "/tmp/unikit-test-output-XXXXXX";

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void test_size(void **state)
{
	struct uk_err err = { 0 };

	char *s = output_size_format(3ull << 30);
	assert_string_equal(s, "3G");
	free(s);
	s = output_size_format((100ull << 20) + 1);
	assert_string_equal(s, "101M");
	free(s);
	assert_int_equal(output_size_check("raw-bios", 64ull << 20, 80ull << 20, &err), -1);
	assert_string_equal(
		err.msg, "disk size 64M is too small for 'raw-bios': it needs at least -size 80M");
	uk_err_release(&err);
	assert_int_equal(output_size_check("raw-bios", 80ull << 20, 80ull << 20, &err), 0);
}

static void test_crc32(void **state)
{
	assert_true(output_crc32(0, "123456789", 9) == 0xcbf43926u);
	assert_true(output_crc32(0, "", 0) == 0);
}

static void test_mbr(void **state)
{
	struct uk_err err = { 0 };
	_cleanup_free_ char *p = tmp_path("mbr.img");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	uint8_t s[512];
	struct output_mbr_part part = {
		.type = 0x0c, .bootable = true, .lba_start = 2048, .lba_count = 100000
	};

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 << 20), 0);
	assert_int_equal(output_mbr_write(fd, NULL, 0x12345678, &part, 1, &err), 0);
	assert_int_equal(pread(fd, s, 512, 0), 512);
	assert_true(output_get_le32(s + 440) == 0x12345678);
	assert_int_equal(s[446], 0x80);
	assert_int_equal(s[446 + 4], 0x0c);
	assert_true(output_get_le32(s + 446 + 8) == 2048);
	assert_true(output_get_le32(s + 446 + 12) == 100000);
	assert_int_equal(s[510], 0x55);
	assert_int_equal(s[511], 0xaa);
	close(fd);
}

static void test_gpt(void **state)
{
	struct uk_err err = { 0 };
	_cleanup_free_ char *p = tmp_path("gpt.img");
	const uint64_t size = 16 << 20, last = size / 512 - 1;
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	uint8_t h[512], b[512], array[128 * 128];
	struct output_gpt_part part = { .first_lba = 2048,
					.last_lba = output_gpt_last_usable(size),
					.name = "ESP" };
	uint8_t guid[16] = { 1, 2, 3 };

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	memcpy(part.type, output_gpt_type_esp, 16);
	assert_int_equal(output_gpt_write(fd, size, guid, &part, 1, &err), 0);
	assert_int_equal(pread(fd, h, 512, 512), 512);
	assert_memory_equal(h, "EFI PART", 8);
	uint32_t crc = output_get_le32(h + 16);
	memset(h + 16, 0, 4);
	assert_true(output_crc32(0, h, 92) == crc);
	assert_true(output_get_le32(h + 24) == 1);
	assert_true(output_get_le32(h + 32) == last);
	assert_int_equal(pread(fd, array, sizeof(array), 1024), sizeof(array));
	assert_true(output_crc32(0, array, sizeof(array)) == output_get_le32(h + 88));
	assert_memory_equal(array, output_gpt_type_esp, 16);
	assert_true(output_get_le32(array + 32) == 2048);
	assert_int_equal(array[56], 'E');
	assert_int_equal(pread(fd, b, 512, (off_t)(last * 512)), 512);
	assert_memory_equal(b, "EFI PART", 8);
	assert_true(output_get_le32(b + 24) == last);
	assert_true(output_get_le32(b + 72) == last - 32);
	/* the protective MBR covers the disk */
	assert_int_equal(pread(fd, b, 512, 0), 512);
	assert_int_equal(b[446 + 4], 0xee);
	assert_true(output_get_le32(b + 446 + 8) == 1);
	/* a partition past the last usable LBA is refused */
	part.last_lba = last;
	assert_int_equal(output_gpt_write(fd, size, guid, &part, 1, &err), -1);
	uk_err_release(&err);
	close(fd);
}

static void test_seed(void **state)
{
	struct output_seed a, b;
	const char *s1[] = { "x", "y", NULL }, *s2[] = { "x", "z", NULL };
	uint8_t g1[16], g2[16];

	output_seed_from(&a, "abc", 3, s1);
	output_seed_from(&b, "abc", 3, s1);
	assert_memory_equal(a.d, b.d, 32);
	output_seed_guid(&a, "disk", g1);
	output_seed_guid(&b, "disk", g2);
	assert_memory_equal(g1, g2, 16);
	assert_int_equal(g1[7] >> 4, 4);
	assert_int_equal(g1[8] & 0xc0, 0x80);
	output_seed_guid(&a, "part", g2);
	assert_memory_not_equal(g1, g2, 16);
	output_seed_from(&b, "abc", 3, s2);
	assert_memory_not_equal(a.d, b.d, 32);
}

static void test_root_cmdline(void **state)
{
	char *c = output_root_cmdline("console=ttyS0 quiet\n");
	assert_string_equal(c, "console=ttyS0 quiet root=/dev/vda");
	free(c);
	c = output_root_cmdline("root=/dev/sdb1 console=ttyS0");
	assert_string_equal(c, "root=/dev/sdb1 console=ttyS0");
	free(c);
	c = output_root_cmdline("");
	assert_string_equal(c, "root=/dev/vda");
	free(c);
	/* "myroot=" is not "root=" */
	c = output_root_cmdline("myroot=x rootfstype=erofs");
	assert_string_equal(c, "myroot=x rootfstype=erofs root=/dev/vda");
	free(c);
}

static void test_iso_names(void **state)
{
	char *s = output_iso_volid("my-image.v2");
	assert_string_equal(s, "MY_IMAGE_V2");
	free(s);
	s = output_iso_timestring(0);
	assert_string_equal(s, "1970010100000100");
	free(s);
	s = output_iso_timestring(1700000000);
	assert_string_equal(s, "2023111422132000");
	free(s);
}

static uint32_t pe_checksum(const uint8_t *p, size_t len, size_t ck_off)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < len; i += 2) {
		if (i == ck_off || i == ck_off + 2)
			continue;
		sum += (uint32_t)p[i] | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)(sum + len);
}

static void test_pe_sections(void **state)
{
	struct uk_err err = { 0 };
	_cleanup_free_ char *p = tmp_path("uki.efi");
	_cleanup_free_ char *data = NULL;
	size_t len;

	if (access(OUTPUT_UKI_STUB, R_OK) != 0)
		skip();
	/* an odd-sized section first: the checksum must not depend on alignment */
	struct output_pe_section s[] = {
		{ .name = ".osrel", .data = "ID=x\n", .len = 5 },
		{ .name = ".cmdline", .data = "console=ttyS0", .len = 13 },
	};
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(output_pe_add_sections(OUTPUT_UKI_STUB, s, 2, fd, &err), 0);
	close(fd);
	assert_int_equal(fs_read_file(p, 1 << 24, &data, &len, &err), 0);
	const uint8_t *img = (const uint8_t *)data;
	uint32_t pe = output_get_le32(img + 0x3c);
	uint16_t n = output_get_le16(img + pe + 6);
	uint16_t opt_size = output_get_le16(img + pe + 20);
	const uint8_t *opt = img + pe + 24;
	const uint8_t *sect = opt + opt_size;
	uint32_t file_align = output_get_le32(opt + 36);
	assert_memory_equal(sect + (n - 2) * 40, ".osrel", 6);
	assert_memory_equal(sect + (n - 1) * 40, ".cmdline", 8);
	for (int i = 0; i < 2; i++) {
		const uint8_t *h = sect + (n - 2 + i) * 40;
		uint32_t vsize = output_get_le32(h + 8), va = output_get_le32(h + 12);
		uint32_t raw = output_get_le32(h + 20);
		assert_int_equal(vsize, s[i].len);
		assert_int_equal(va % 4096, 0);
		assert_int_equal(raw % file_align, 0);
		assert_memory_equal(img + raw, s[i].data, s[i].len);
		/* the image covers every section */
		assert_true(output_get_le32(opt + 56) >= va + vsize);
	}
	assert_int_equal(len % file_align, 0);
	size_t ck_off = (size_t)(opt + 64 - img);
	assert_true(output_get_le32(opt + 64) == pe_checksum(img, len, ck_off));
	/* something that is not PE is refused */
	_cleanup_free_ char *notpe = tmp_path("not-pe");
	assert_int_equal(fs_write_file_atomic(notpe, "hello", 5, 0644, &err), 0);
	fd = open(p, O_WRONLY | O_TRUNC);
	assert_int_equal(output_pe_add_sections(notpe, s, 2, fd, &err), -1);
	assert_non_null(strstr(err.msg, "not a PE32+"));
	uk_err_release(&err);
	close(fd);
}

static void test_cpio(void **state)
{
	struct uk_err err = { 0 };
	struct output_cpio c;
	_cleanup_free_ char *p = tmp_path("x.cpio.gz");
	struct archive *a = archive_read_new();
	struct archive_entry *e;

	output_cpio_init(&c, 1000);
	output_cpio_add(&c, "dev", S_IFDIR | 0755, NULL, 0, 0, 0);
	output_cpio_add(&c, "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1);
	output_cpio_add(&c, "init", S_IFREG | 0755, "#!/bin/sh\n", 10, 0, 0);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(output_cpio_finish_gzip(&c, fd, &err), 0);
	close(fd);
	output_cpio_release(&c);

	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_filename(a, p, 4096), ARCHIVE_OK);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
	assert_string_equal(archive_entry_pathname(e), "dev");
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
	assert_string_equal(archive_entry_pathname(e), "dev/console");
	assert_int_equal(archive_entry_filetype(e), AE_IFCHR);
	assert_int_equal(archive_entry_rdevmajor(e), 5);
	assert_int_equal(archive_entry_rdevminor(e), 1);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
	assert_string_equal(archive_entry_pathname(e), "init");
	assert_int_equal(archive_entry_mtime(e), 1000);
	char buf[32];
	assert_int_equal(archive_read_data(a, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "#!/bin/sh\n", 10);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_EOF);
	archive_read_free(a);
}

static void test_gcp_sparse_tar(void **state)
{
	struct uk_err err = { 0 };
	_cleanup_free_ char *raw = tmp_path("disk.raw");
	_cleanup_free_ char *out = tmp_path("disk.tar.gz");
	const size_t size = 8 << 20;
	uint8_t *want = xcalloc(1, size);

	/* data at the start, in the middle (not block aligned) and at the very end */
	memset(want + 100, 0xaa, 5000);
	memset(want + (3 << 20) + 7, 0x55, 70000);
	memset(want + size - 10, 0x11, 10);
	int fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(xwrite_all(fd, want, size), 0);
	close(fd);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(output_gcp_write(raw, fd, 0, &err), 0);
	close(fd);

	struct archive *a = archive_read_new();
	struct archive_entry *e;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, out, 4096), ARCHIVE_OK);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
	assert_string_equal(archive_entry_pathname(e), "disk.raw");
	assert_true(archive_entry_size(e) == (la_int64_t)size);
	assert_true(archive_entry_sparse_count(e) >= 3);
	uint8_t *got = xcalloc(1, size);
	const void *buf;
	size_t n;
	la_int64_t off;
	while (archive_read_data_block(a, &buf, &n, &off) == ARCHIVE_OK) {
		assert_true((size_t)off + n <= size);
		memcpy(got + off, buf, n);
	}
	assert_memory_equal(got, want, size);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_EOF);
	archive_read_free(a);
	free(got);
	free(want);
}

static void test_modinfo(void **state)
{
	struct uk_err err = { 0 };
	struct output_modinfo mi = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	char *data;
	size_t len;

	/* seeds of the fuzz target: ELF64 files with a .modinfo section */
	assert_int_equal(
		fs_read_file("tests/fuzz/corpus/modinfo/erofs.ko", 1 << 20, &data, &len, &err), 0);
	output_modinfo_read((const uint8_t *)data, len, &mi);
	assert_string_equal(mi.depends.buf, "libcrc32c\n");
	assert_string_equal(mi.aliases.buf, "fs-erofs\n");
	assert_string_equal(mi.pre.buf, "");
	free(data);
	strbuf_reset(&mi.depends);
	strbuf_reset(&mi.aliases);
	assert_int_equal(
		fs_read_file("tests/fuzz/corpus/modinfo/softdep.ko", 1 << 20, &data, &len, &err),
		0);
	output_modinfo_read((const uint8_t *)data, len, &mi);
	assert_string_equal(mi.pre.buf, "crc32c\n");
	assert_string_equal(mi.depends.buf, "");
	assert_string_equal(mi.aliases.buf, "crypto-crc32c\ncrc32c\n");
	free(data);
	strbuf_release(&mi.depends);
	strbuf_release(&mi.pre);
	strbuf_release(&mi.aliases);
}

static int teardown(void **state)
{
	struct uk_err err = { 0 };
	fs_rm_rf(tmpdir, &err);
	uk_err_release(&err);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),	     cmocka_unit_test(test_gzip_deterministic),
		cmocka_unit_test(test_deflate_scan), cmocka_unit_test(test_crc32_combine),
		cmocka_unit_test(test_initrd),	     cmocka_unit_test(test_initrd_reproducible),

		cmocka_unit_test(test_size),	     cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_mbr),	     cmocka_unit_test(test_gpt),
		cmocka_unit_test(test_seed),	     cmocka_unit_test(test_root_cmdline),
		cmocka_unit_test(test_iso_names),    cmocka_unit_test(test_pe_sections),
		cmocka_unit_test(test_cpio),	     cmocka_unit_test(test_gcp_sparse_tar),
		cmocka_unit_test(test_modinfo),
	};

	if (!mkdtemp(tmpdir))
		return 1;
	return cmocka_run_group_tests(tests, NULL, teardown);
}
