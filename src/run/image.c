// SPDX-License-Identifier: Apache-2.0
/*
 * What a PATH given to `unikit run` is. As LinuxKit decides: a PATH that does
 * not exist but has PATH-kernel next to it is a kernel boot (with
 * PATH-squashfs.img or PATH-erofs.img: root on a disk, else PATH-initrd.img);
 * a PATH ending in .iso is a CD-ROM; anything else is a disk image. unikit
 * also looks at the content: the disk format comes from the image's magic
 * bytes, an ISO 9660 image is a CD-ROM whatever its name, and an EFI
 * application (a unified kernel image) boots through UEFI firmware.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/run.h"
#include "util/fs.h"

#define HEAD_SIZE 65536
#define TAIL_SIZE 512

static bool has_at(const uint8_t *buf, size_t len, size_t off, const void *magic, size_t n)
{
	return off <= len && n <= len - off && memcmp(buf + off, magic, n) == 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

/* Magic numbers at fixed offsets, as QEMU's block drivers probe them. */
static const struct {
	const char *format;
	size_t offset;
	const char *magic;
	size_t len;
} head_magics[] = {
	{ "qed", 0, "QED\0", 4 },
	{ "vhdx", 0, "vhdxfile", 8 },
	{ "vmdk", 0, "KDMV", 4 },		    /* hosted sparse extent */
	{ "vmdk", 0, "COWD", 4 },		    /* ESX sparse extent */
	{ "vmdk", 0, "# Disk DescriptorFile", 21 }, /* a descriptor file */
	{ "vpc", 0, "conectix", 8 },		    /* dynamic VHD: a copy of the footer first */
	{ "vdi", 0x40, "\x7f\x10\xda\xbe", 4 },
	{ "parallels", 0, "WithoutFreeSpace", 16 },
	{ "parallels", 0, "WithouFreSpacExt", 16 },
};

const char *run_format_detect(const uint8_t *head, size_t head_len, const uint8_t *tail,
			      size_t tail_len)
{
	if (has_at(head, head_len, 0, "QFI\xfb", 4) && head_len >= 8)
		return be32(head + 4) == 1 ? "qcow" : "qcow2";
	for (size_t i = 0; i < ARRAY_SIZE(head_magics); i++) {
		if (has_at(head, head_len, head_magics[i].offset, head_magics[i].magic,
			   head_magics[i].len))
			return head_magics[i].format;
	}
	/* a fixed VHD is raw data followed by a 512-byte footer (QEMU reads it as vpc) */
	if (tail && tail_len == TAIL_SIZE && has_at(tail, tail_len, 0, "conectix", 8))
		return "vpc";
	return "raw";
}

bool run_format_is_iso(const uint8_t *head, size_t head_len)
{
	/* the primary volume descriptor at sector 16; a hybrid ISO also has an MBR */
	if (!has_at(head, head_len, 0x8001, "CD001", 5))
		return false;
	return !(head_len >= 512 && head[510] == 0x55 && head[511] == 0xaa);
}

bool run_format_is_efi_app(const uint8_t *head, size_t head_len)
{
	if (!has_at(head, head_len, 0, "MZ", 2) || head_len < 0x40)
		return false;
	uint32_t pe = le32(head + 0x3c);
	/* PE signature, 20-byte COFF header, then the optional header */
	if (pe > head_len || !has_at(head, head_len, pe, "PE\0\0", 4) || head_len - pe < 24 + 70)
		return false;
	const uint8_t *opt = head + pe + 24;
	uint16_t magic = le16(opt);
	if (magic != 0x10b && magic != 0x20b)
		return false;
	return le16(opt + 68) == 10; /* IMAGE_SUBSYSTEM_EFI_APPLICATION */
}

/* Reads up to HEAD_SIZE bytes from the start and TAIL_SIZE from the end. */
static int read_ends(const char *path, uint8_t *head, size_t *head_len, uint8_t *tail,
		     size_t *tail_len, struct uk_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", path);
	if (fstat(fd, &st) < 0)
		return uk_err_errno(err, "stat '%s'", path);
	ssize_t n = xread_all(fd, head, HEAD_SIZE);
	if (n < 0)
		return uk_err_errno(err, "read '%s'", path);
	*head_len = (size_t)n;
	*tail_len = 0;
	if (st.st_size >= 2 * TAIL_SIZE) {
		if (lseek(fd, st.st_size - TAIL_SIZE, SEEK_SET) < 0)
			return uk_err_errno(err, "seek '%s'", path);
		n = xread_all(fd, tail, TAIL_SIZE);
		if (n < 0)
			return uk_err_errno(err, "read '%s'", path);
		*tail_len = (size_t)n;
	}
	return 0;
}

int run_format_detect_file(const char *path, const char **format, struct uk_err *err)
{
	_cleanup_free_ uint8_t *head = xmalloc(HEAD_SIZE);
	uint8_t tail[TAIL_SIZE];
	size_t head_len, tail_len;

	if (read_ends(path, head, &head_len, tail, &tail_len, err) < 0)
		return -1;
	*format = run_format_detect(head, head_len, tail, tail_len);
	return 0;
}

void run_image_release(struct run_image *img)
{
	free(img->prefix);
	free(img->kernel);
	free(img->initrd);
	free(img->cmdline);
	free(img->file);
	free(img->format);
	memset(img, 0, sizeof(*img));
}

const char *run_boot_name(enum run_boot b)
{
	static const char *const names[] = {
		[RUN_BOOT_AUTO] = "auto",
		[RUN_BOOT_KERNEL] = "kernel+initrd",
		[RUN_BOOT_ROOTDISK] = "kernel+root disk",
		[RUN_BOOT_ISO] = "iso",
		[RUN_BOOT_DISK] = "disk",
		[RUN_BOOT_EFI] = "efi",
	};
	return names[b];
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* PATH-cmdline, white space folded so a trailing newline does not reach the kernel. */
static int read_cmdline(const char *prefix, char **out, struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s-cmdline", prefix);
	_cleanup_free_ char *raw = NULL;
	size_t len;

	if (!is_file(path)) {
		*out = xstrdup("");
		return 0;
	}
	if (fs_read_file(path, 65536, &raw, &len, err) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n' || raw[i] == '\r' || raw[i] == '\t')
			raw[i] = ' ';
		else if (raw[i] == '\0')
			return uk_err_setc(err, UK_ERR_INPUT, "'%s': holds a NUL byte", path);
	}
	while (len > 0 && raw[len - 1] == ' ')
		raw[--len] = '\0';
	size_t start = strspn(raw, " ");
	*out = xstrdup(raw + start);
	return 0;
}

static int detect_kernel(const char *path, enum run_boot forced, struct run_image *img,
			 struct uk_err *err)
{
	_cleanup_free_ char *kernel = xasprintf("%s-kernel", path);
	_cleanup_free_ char *initrd = xasprintf("%s-initrd.img", path);
	_cleanup_free_ char *squashfs = xasprintf("%s-squashfs.img", path);
	_cleanup_free_ char *erofs = xasprintf("%s-erofs.img", path);
	/* kernel+squashfs/erofs/iso write the initramfs that mounts their root (docs/formats.md) */
	_cleanup_free_ char *root_initrd = xasprintf("%s-root-initrd.img", path);
	_cleanup_free_ char *iso = xasprintf("%s.iso", path);
	const char *root = is_file(squashfs)			  ? squashfs
			   : is_file(erofs)			  ? erofs
			   : is_file(iso) && is_file(root_initrd) ? iso
								  : NULL;

	if (!is_file(kernel))
		return uk_err_setc(err, UK_ERR_NOT_FOUND, "kernel '%s' not found", kernel);
	if (forced == RUN_BOOT_ROOTDISK || (forced != RUN_BOOT_KERNEL && root)) {
		if (!root)
			return uk_err_setc(err, UK_ERR_NOT_FOUND,
					   "root filesystem '%s' (or '%s') not found", squashfs,
					   erofs);
		_cleanup_free_ char *cmdline = NULL;
		if (read_cmdline(path, &cmdline, err) < 0)
			return -1;
		img->boot = RUN_BOOT_ROOTDISK;
		img->file = xstrdup(root);
		img->format = xstrdup("raw");
		img->cmdline =
			xasprintf("%s%sroot=" RUN_ROOTDISK_DEVICE, cmdline, *cmdline ? " " : "");
		if (is_file(root_initrd))
			img->initrd = TAKE_PTR(root_initrd);
		else if (is_file(initrd))
			img->initrd = TAKE_PTR(initrd);
	} else {
		if (!is_file(initrd))
			return uk_err_setc(err, UK_ERR_NOT_FOUND, "initrd '%s' not found", initrd);
		img->boot = RUN_BOOT_KERNEL;
		img->initrd = TAKE_PTR(initrd);
		if (read_cmdline(path, &img->cmdline, err) < 0)
			return -1;
	}
	img->kernel = TAKE_PTR(kernel);
	img->prefix = xstrdup(path);
	return 0;
}

int run_image_detect(const char *path, enum run_boot forced, struct run_image *img,
		     struct uk_err *err)
{
	struct run_image r = { 0 };
	struct stat st;
	bool exists = stat(path, &st) == 0;
	int stat_errno = errno;
	_cleanup_free_ char *kernel = xasprintf("%s-kernel", path);

	if (forced == RUN_BOOT_KERNEL || forced == RUN_BOOT_ROOTDISK ||
	    (forced == RUN_BOOT_AUTO && (!exists || S_ISDIR(st.st_mode)) && is_file(kernel))) {
		if (detect_kernel(path, forced, &r, err) < 0) {
			run_image_release(&r);
			return -1;
		}
		*img = r;
		return 0;
	}
	if (!exists) {
		if (stat_errno == ENOENT)
			return uk_err_setc(err, UK_ERR_NOT_FOUND,
					   "'%s' not found (nor '%s' for a kernel boot)", path,
					   kernel);
		errno = stat_errno;
		return uk_err_errno(err, "'%s'", path);
	}
	if (S_ISDIR(st.st_mode))
		return uk_err_setc(err, UK_ERR_INPUT, "'%s' is a directory, not an image", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return uk_err_setc(err, UK_ERR_INPUT, "'%s' is not an image file", path);

	_cleanup_free_ uint8_t *head = xmalloc(HEAD_SIZE);
	uint8_t tail[TAIL_SIZE];
	size_t head_len, tail_len;
	if (read_ends(path, head, &head_len, tail, &tail_len, err) < 0)
		return -1;
	if (head_len == 0)
		return uk_err_setc(err, UK_ERR_INPUT, "'%s' is empty", path);

	r.file = xstrdup(path);
	if (forced == RUN_BOOT_ISO || str_has_suffix(path, ".iso") ||
	    run_format_is_iso(head, head_len)) {
		r.boot = RUN_BOOT_ISO;
		r.format = xstrdup("raw");
		r.prefix = str_has_suffix(path, ".iso") ? xstrndup(path, strlen(path) - 4)
							: xstrdup(path);
	} else if (run_format_is_efi_app(head, head_len)) {
		r.boot = RUN_BOOT_EFI;
		r.prefix = xstrdup(path);
	} else if (str_has_suffix(path, ".efi")) {
		run_image_release(&r);
		return uk_err_setc(err, UK_ERR_INPUT, "'%s' is not an EFI application", path);
	} else {
		r.boot = RUN_BOOT_DISK;
		r.format = xstrdup(run_format_detect(head, head_len, tail, tail_len));
		r.prefix = xstrdup(path);
	}
	*img = r;
	return 0;
}
