// SPDX-License-Identifier: Apache-2.0
#include "output/vdisk.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/disk.h"
#include "output/tool.h"

/* seconds from the Unix epoch to the VHD epoch (2000-01-01 00:00:00 UTC) */
#define VHD_EPOCH 946684800
#define VHD_FOOTER 512

/*
 * The identifiers of a converted disk derive from its first MiB: the
 * partition table there holds identifiers derived from everything on the
 * disk, and the size.
 */
static int seed_of_disk(const char *raw, const char *kind, struct output_seed *seed,
			struct uk_err *err)
{
	_cleanup_close_ int fd = open(raw, O_RDONLY | O_CLOEXEC);
	uint64_t size;

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", raw);
	_cleanup_free_ uint8_t *buf = xcalloc(1, OUTPUT_MIB);
	ssize_t n = xread_all(fd, buf, OUTPUT_MIB);
	if (n < 0)
		return uk_err_errno(err, "read '%s'", raw);
	if (output_file_size(raw, &size, err) < 0)
		return -1;
	_cleanup_free_ char *sz = xasprintf("%" PRIu64, size);
	const char *strs[] = { kind, sz, NULL };
	output_seed_from(seed, buf, (size_t)n, strs);
	return 0;
}

/* A VHD footer: timestamp, unique id and checksum (all big-endian, ones' complement sum). */
static void vhd_fix_footer(uint8_t *f, int64_t epoch, const struct output_seed *seed)
{
	uint32_t sum = 0;
	int64_t t = epoch - VHD_EPOCH;

	output_be32(f + 24, t < 0 ? 0 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
	output_seed_guid(seed, "vhd-unique-id", f + 68);
	memset(f + 64, 0, 4);
	for (size_t i = 0; i < VHD_FOOTER; i++)
		sum += f[i];
	output_be32(f + 64, ~sum);
}

static int vhd_fix(const char *path, bool dynamic, int64_t epoch, const struct output_seed *seed,
		   struct uk_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	uint8_t f[VHD_FOOTER];
	uint64_t size;

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", path);
	if (output_file_size(path, &size, err) < 0)
		return -1;
	if (size < VHD_FOOTER ||
	    pread(fd, f, VHD_FOOTER, (off_t)(size - VHD_FOOTER)) != VHD_FOOTER ||
	    memcmp(f, "conectix", 8) != 0)
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': no VHD footer", path);
	vhd_fix_footer(f, epoch, seed);
	if (pwrite(fd, f, VHD_FOOTER, (off_t)(size - VHD_FOOTER)) != VHD_FOOTER ||
	    (dynamic && pwrite(fd, f, VHD_FOOTER, 0) != VHD_FOOTER))
		return uk_err_errno(err, "write '%s'", path);
	return 0;
}

/* The streamOptimized descriptor's content id ("CID=%08x") comes from the random generator. */
static int vmdk_fix(const char *path, const struct output_seed *seed, struct uk_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	char buf[65536 + 1];

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", path);
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return uk_err_errno(err, "read '%s'", path);
	buf[n] = '\0';
	char *cid = memmem(buf, (size_t)n, "\nCID=", 5);
	if (!cid || cid + 5 + 8 > buf + n)
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': no VMDK descriptor", path);
	char hex[9];
	snprintf(hex, sizeof(hex), "%08" PRIx32, output_seed_u32(seed, "vmdk-cid"));
	if (pwrite(fd, hex, 8, cid + 5 - buf) != 8)
		return uk_err_errno(err, "write '%s'", path);
	return 0;
}

int output_vdisk_convert(const char *raw, enum output_vdisk kind, const char *out, const char *name,
			 int64_t epoch, struct uk_err *err)
{
	static const struct {
		const char *fmt, *opts, *name;
	} kinds[] = {
		[OUTPUT_VDISK_QCOW2] = { "qcow2", NULL, "qcow2" },
		[OUTPUT_VDISK_VHD_FIXED] = { "vpc", "subformat=fixed,force_size=on", "vhd" },
		[OUTPUT_VDISK_VHD_DYNAMIC] = { "vpc", "subformat=dynamic,force_size=on",
					       "dynamic-vhd" },
		[OUTPUT_VDISK_VMDK] = { "vmdk", "subformat=streamOptimized", "vmdk" },
	};
	struct output_seed seed;
	const char *argv[12];
	size_t i = 0;

	if (output_tool_need("qemu-img", err) < 0 ||
	    seed_of_disk(raw, kinds[kind].name, &seed, err) < 0)
		return -1;
	argv[i++] = "qemu-img";
	argv[i++] = "convert";
	argv[i++] = "-q";
	argv[i++] = "-f";
	argv[i++] = "raw";
	argv[i++] = "-O";
	argv[i++] = kinds[kind].fmt;
	if (kinds[kind].opts) {
		argv[i++] = "-o";
		argv[i++] = kinds[kind].opts;
	}
	/*
	 * A VMDK descriptor names its extent file: qemu-img writes it under its
	 * final name, in a directory of its own beside out, then it moves to out.
	 */
	_cleanup_free_ char *dir = NULL, *named = NULL;
	if (kind == OUTPUT_VDISK_VMDK) {
		dir = xasprintf("%s.d", out);
		named = xasprintf("%s/%s", dir, name);
		if (mkdir(dir, 0700) < 0)
			return uk_err_errno(err, "create '%s'", dir);
	}
	argv[i++] = raw;
	argv[i++] = named ? named : out;
	argv[i] = NULL;
	int r = output_tool_run(argv, epoch, NULL, err);
	if (named) {
		if (r == 0 && rename(named, out) < 0)
			r = uk_err_errno(err, "rename '%s'", named);
		unlink(named);
		rmdir(dir);
	}
	if (r < 0)
		return uk_err_wrap(err, "convert '%s' to %s", raw, kinds[kind].name);
	switch (kind) {
	case OUTPUT_VDISK_VHD_FIXED:
		return vhd_fix(out, false, epoch, &seed, err);
	case OUTPUT_VDISK_VHD_DYNAMIC:
		return vhd_fix(out, true, epoch, &seed, err);
	case OUTPUT_VDISK_VMDK:
		return vmdk_fix(out, &seed, err);
	case OUTPUT_VDISK_QCOW2:
		break;
	}
	return 0;
}
