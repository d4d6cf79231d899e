// SPDX-License-Identifier: Apache-2.0
/*
 * The baseline of bench/b01-build.sh: the work a build cannot avoid, timed in
 * the same run. It decompresses the input layers (libarchive, as the build
 * does) and compresses the output's uncompressed bytes at the same gzip level
 * on the same number of threads (libdeflate, independent 1 MiB pieces),
 * writing nothing.
 *
 *   b01-baseline THREADS LEVEL CPIO-FILE LAYER...
 *
 * prints "decompress SECONDS compress SECONDS cpu SECONDS" (wall times, then the
 * user + system time of the whole run).
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PIECE (1u << 20)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int decompress(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const void *buf;
	size_t len;
	la_int64_t off;
	int rc = -1;

	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 128 * 1024) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK) {
		int r;
		while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
			;
		rc = r == ARCHIVE_EOF ? 0 : -1;
	}
	if (rc < 0)
		fprintf(stderr, "b01-baseline: %s: %s\n", path, archive_error_string(a));
	archive_read_free(a);
	return rc;
}

struct job {
	const unsigned char *data;
	size_t len;
	unsigned index, threads;
	int level;
};

static void *compress_share(void *arg)
{
	struct job *j = arg;
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(j->level);
	size_t cap = libdeflate_deflate_compress_bound(c, PIECE);
	unsigned char *out = malloc(cap);

	for (size_t off = (size_t)j->index * PIECE; off < j->len;
	     off += (size_t)j->threads * PIECE) {
		size_t n = j->len - off < PIECE ? j->len - off : PIECE;
		if (!libdeflate_deflate_compress(c, j->data + off, n, out, cap))
			abort();
		(void)libdeflate_crc32(0, j->data + off, n);
	}
	free(out);
	libdeflate_free_compressor(c);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: b01-baseline THREADS LEVEL CPIO-FILE LAYER...\n");
		return 2;
	}
	unsigned threads = (unsigned)atoi(argv[1]);
	int level = atoi(argv[2]);
	int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (threads < 1 || fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[3]);
		return 1;
	}
	size_t len = (size_t)st.st_size;
	unsigned char *data = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (data == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	double t0 = now();
	for (int i = 4; i < argc; i++) {
		if (decompress(argv[i]) < 0)
			return 1;
	}
	double t1 = now();
	pthread_t *tid = calloc(threads, sizeof(*tid));
	struct job *jobs = calloc(threads, sizeof(*jobs));
	for (unsigned i = 0; i < threads; i++) {
		jobs[i] = (struct job){ data, len, i, threads, level };
		pthread_create(&tid[i], NULL, compress_share, &jobs[i]);
	}
	for (unsigned i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	double t2 = now();
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("decompress %.3f compress %.3f cpu %.3f\n", t1 - t0, t2 - t1, cpu);
	free(tid);
	free(jobs);
	munmap(data, len);
	close(fd);
	return 0;
}
