// SPDX-License-Identifier: Apache-2.0
#include "output/vdisk.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/disk.h"
#include "output/tool.h"
#include "util/strbuf.h"

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

/*
 * A VMDK's text descriptor holds a content id (CID) that qemu-img takes from
 * the random generator, and names the extent by the file name qemu-img wrote
 * (a temporary one): both are rewritten, in the space the header gives the
 * descriptor.
 */
static int vmdk_fix(const char *path, const char *name, const struct output_seed *seed,
		    struct uk_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	uint8_t h[64];

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", path);
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "KDMV", 4) != 0)
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': not a VMDK", path);
	uint64_t off = output_get_le32(h + 28) | (uint64_t)output_get_le32(h + 32) << 32;
	uint64_t size = output_get_le32(h + 36) | (uint64_t)output_get_le32(h + 40) << 32;
	if (!off || !size || size > 2048)
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': no VMDK descriptor", path);
	size *= OUTPUT_SECTOR;
	_cleanup_free_ char *d = xcalloc(1, size + 1);
	if (pread(fd, d, size, (off_t)(off * OUTPUT_SECTOR)) != (ssize_t)size)
		return uk_err_errno(err, "read '%s'", path);

	struct strbuf out = STRBUF_INIT;
	bool cid = false, extent = false;
	for (char *line = d, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *q;
		if (str_has_prefix(line, "CID=")) {
			strbuf_addf(&out, "CID=%08" PRIx32 "\n", output_seed_u32(seed, "vmdk-cid"));
			cid = true;
		} else if (str_has_prefix(line, "RW ") && (q = strchr(line, '"'))) {
			strbuf_add(&out, line, (size_t)(q - line));
			strbuf_addf(&out, "\"%s\"\n", name);
			extent = true;
		} else {
			strbuf_addf(&out, "%s\n", line);
		}
	}
	if (!cid || !extent || out.len >= size) {
		strbuf_release(&out);
		return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': unexpected VMDK descriptor", path);
	}
	strbuf_grow(&out, size - out.len);
	memset(out.buf + out.len, 0, size - out.len);
	ssize_t w = pwrite(fd, out.buf, size, (off_t)(off * OUTPUT_SECTOR));
	strbuf_release(&out);
	if (w != (ssize_t)size)
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
	argv[i++] = raw;
	argv[i++] = out;
	argv[i] = NULL;
	int r = output_tool_run(argv, epoch, NULL, err);
	if (r < 0)
		return uk_err_wrap(err, "convert '%s' to %s", raw, kinds[kind].name);
	switch (kind) {
	case OUTPUT_VDISK_VHD_FIXED:
		return vhd_fix(out, false, epoch, &seed, err);
	case OUTPUT_VDISK_VHD_DYNAMIC:
		return vhd_fix(out, true, epoch, &seed, err);
	case OUTPUT_VDISK_VMDK:
		return vmdk_fix(out, name, &seed, err);
	case OUTPUT_VDISK_QCOW2:
		break;
	}
	return 0;
}
