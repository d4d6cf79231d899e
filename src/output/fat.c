// SPDX-License-Identifier: Apache-2.0
#include "output/fat.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/disk.h"
#include "output/tool.h"

/* mformat's FAT32 needs at least 65525 clusters; below this size it picks FAT12/16. */
#define FAT32_MIN (256 * OUTPUT_MIB)

uint64_t output_fat_need(const uint64_t *sizes, size_t n)
{
	/* clusters of up to 16 KiB (what mformat picks up to a few GiB), tables, root */
	uint64_t data = 0;
	for (size_t i = 0; i < n; i++)
		data += output_align(sizes[i], 16384) + 16384;
	return data + data / 64 + OUTPUT_MIB;
}

static char *drive(const struct output_fat *f)
{
	return xasprintf("%s@@%" PRIu64, f->image, f->offset);
}

int output_fat_format(const struct output_fat *f, uint64_t bytes, uint32_t hidden,
		      const char *label, uint32_t serial, struct uk_err *err)
{
	_cleanup_free_ char *dev = drive(f);
	_cleanup_free_ char *total = xasprintf("%" PRIu64, bytes / OUTPUT_SECTOR);
	_cleanup_free_ char *hid = xasprintf("%" PRIu32, hidden);
	_cleanup_free_ char *ser = xasprintf("%08" PRIx32, serial);
	const char *argv[20];
	size_t i = 0;

	if (output_tool_need("mformat", err) < 0)
		return -1;
	argv[i++] = "mformat";
	argv[i++] = "-i";
	argv[i++] = dev;
	if (bytes >= FAT32_MIN)
		argv[i++] = "-F";
	argv[i++] = "-T";
	argv[i++] = total;
	argv[i++] = "-h";
	argv[i++] = "64";
	argv[i++] = "-s";
	argv[i++] = "32";
	argv[i++] = "-H";
	argv[i++] = hid;
	argv[i++] = "-N";
	argv[i++] = ser;
	argv[i++] = "-v";
	argv[i++] = label;
	argv[i++] = "::";
	argv[i] = NULL;
	if (output_tool_run(argv, f->epoch, NULL, err) < 0)
		return uk_err_wrap(err, "format FAT in '%s'", f->image);
	return 0;
}

static bool seen(char **dirs, size_t n, const char *d)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(dirs[i], d) == 0)
			return true;
	return false;
}

int output_fat_copy(const struct output_fat *f, const struct output_fat_file *files, size_t n,
		    struct uk_err *err)
{
	_cleanup_free_ char *dev = drive(f);
	char **dirs = NULL;
	size_t ndirs = 0, alloc = 0;
	int r = -1;

	if (output_tool_need("mcopy", err) < 0 || output_tool_need("mmd", err) < 0)
		return -1;
	/* every parent directory, parents first, once */
	for (size_t i = 0; i < n; i++) {
		const char *p = files[i].dst;
		for (const char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
			char *d = xstrndup(p, (size_t)(s - p));
			if (seen(dirs, ndirs, d)) {
				free(d);
				continue;
			}
			XGROW(dirs, alloc, ndirs + 1);
			dirs[ndirs++] = d;
		}
	}
	if (ndirs) {
		const char **argv = xcalloc(ndirs + 5, sizeof(*argv));
		size_t k = 0;
		argv[k++] = "mmd";
		argv[k++] = "-i";
		argv[k++] = dev;
		for (size_t i = 0; i < ndirs; i++) {
			char *d = xasprintf("::%s", dirs[i]);
			free(dirs[i]);
			argv[k++] = dirs[i] = d;
		}
		argv[k] = NULL;
		r = output_tool_run(argv, f->epoch, NULL, err);
		free(argv);
		if (r < 0) {
			uk_err_wrap(err, "create directories in '%s'", f->image);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dst = xasprintf("::%s", files[i].dst);
		const char *argv[] = { "mcopy", "-o", "-i", dev, files[i].src, dst, NULL };
		r = output_tool_run(argv, f->epoch, NULL, err);
		if (r < 0) {
			uk_err_wrap(err, "copy '%s' into '%s'", files[i].src, f->image);
			goto out;
		}
	}
	r = 0;
out:
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	return r;
}
