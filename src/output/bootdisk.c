// SPDX-License-Identifier: Apache-2.0
/*
 * BIOS and UEFI disk images as plain files, with no loop device and no root:
 *   BIOS: an MBR (syslinux's boot code) with one bootable FAT partition that
 *         holds syslinux (installed by its mtools-based installer), the
 *         kernel, the initramfs and syslinux.cfg;
 *   UEFI: a GPT (written here) with one EFI system partition that holds the
 *         unified kernel image as \EFI\BOOT\BOOTX64.EFI, the path firmware
 *         boots from a disk with no boot entries.
 * The partition fills the disk (-size); identifiers come from the content.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "output/boot.h"
#include "output/disk.h"
#include "output/fat.h"
#include "output/gpt.h"
#include "output/tool.h"
#include "util/fs.h"
#include "util/strbuf.h"

/* ldlinux.sys and ldlinux.c32, which the syslinux installer writes */
#define SYSLINUX_FILES_SIZE (256 * 1024)
/* the GPT's backup copy at the end of the disk */
#define GPT_BACKUP_SIZE (33 * OUTPUT_SECTOR)

static int sizes_of(const struct output_boot *b, uint64_t *sizes, size_t *n, struct uk_err *err)
{
	*n = 0;
	if (output_file_size(b->kernel, &sizes[(*n)++], err) < 0)
		return -1;
	if (b->initrd && output_file_size(b->initrd, &sizes[(*n)++], err) < 0)
		return -1;
	return 0;
}

int output_disk_bios_need(const struct output_boot *b, uint64_t *need, struct uk_err *err)
{
	uint64_t sizes[4];
	size_t n;

	if (sizes_of(b, sizes, &n, err) < 0)
		return -1;
	sizes[n++] = SYSLINUX_FILES_SIZE;
	sizes[n++] = strlen(b->cmdline) + 256;
	*need = output_align(OUTPUT_PART_START_LBA * OUTPUT_SECTOR + output_fat_need(sizes, n),
			     OUTPUT_MIB);
	return 0;
}

int output_disk_efi_need(const struct output_boot *b, uint64_t *need, struct uk_err *err)
{
	uint64_t sizes[4];
	size_t n;

	if (sizes_of(b, sizes, &n, err) < 0)
		return -1;
	/* the unified kernel image is the kernel, the initramfs and a 100 KiB stub */
	uint64_t uki = 128 * 1024;
	for (size_t i = 0; i < n; i++)
		uki += sizes[i];
	*need = output_align(OUTPUT_PART_START_LBA * OUTPUT_SECTOR + output_fat_need(&uki, 1) +
				     GPT_BACKUP_SIZE,
			     OUTPUT_MIB);
	return 0;
}

static int seed_of(const struct output_boot *b, const char *what, uint64_t size,
		   struct output_seed *seed, struct uk_err *err)
{
	_cleanup_free_ char *sz = xasprintf("%" PRIu64, size);
	const char *paths[] = { b->kernel, b->initrd, NULL };
	const char *strs[] = { what, b->cmdline, sz, NULL };
	return output_seed_make(seed, paths, strs, err);
}

static int create_sized(const char *path, uint64_t size, int *fd, struct uk_err *err)
{
	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd < 0)
		return uk_err_errno(err, "create '%s'", path);
	if (ftruncate(*fd, (off_t)size) < 0)
		return uk_err_errno(err, "resize '%s'", path);
	return 0;
}

char *output_syslinux_cfg(const struct output_boot *b, const char *kernel, const char *initrd)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL %s\n", kernel);
	if (b->initrd)
		strbuf_addf(&sb, "  INITRD %s\n", initrd);
	strbuf_addstr(&sb, "  APPEND ");
	for (const char *p = b->cmdline; *p; p++)
		strbuf_addch(&sb, *p == '\n' || *p == '\r' ? ' ' : *p);
	strbuf_addch(&sb, '\n');
	return strbuf_detach(&sb, NULL);
}

int output_disk_bios_make(const struct output_boot *b, uint64_t size, const char *path,
			  struct uk_err *err)
{
	struct output_seed seed;
	uint64_t need;
	_cleanup_close_ int fd = -1;

	if (output_disk_bios_need(b, &need, err) < 0 ||
	    output_size_check("raw-bios", size, need, err) < 0)
		return -1;
	if (output_tool_file(OUTPUT_SYSLINUX_MBR, err) < 0 || output_tool_need("syslinux", err) < 0)
		return -1;
	if (seed_of(b, "raw-bios", size, &seed, err) < 0)
		return -1;
	if (create_sized(path, size, &fd, err) < 0)
		return -1;

	uint64_t part_bytes = size - OUTPUT_PART_START_LBA * OUTPUT_SECTOR;
	struct output_mbr_part p = {
		.type = part_bytes >= 256 * OUTPUT_MIB ? 0x0c : 0x0e,
		.bootable = true,
		.lba_start = OUTPUT_PART_START_LBA,
		.lba_count = part_bytes / OUTPUT_SECTOR,
	};
	if (output_mbr_write(fd, OUTPUT_SYSLINUX_MBR, output_seed_u32(&seed, "disk-signature"), &p,
			     1, err) < 0)
		return -1;
	if (close(TAKE_FD(fd)) < 0)
		return uk_err_errno(err, "write '%s'", path);

	struct output_fat fat = { .image = path,
				  .offset = OUTPUT_PART_START_LBA * OUTPUT_SECTOR,
				  .epoch = b->epoch };
	if (output_fat_format(&fat, part_bytes, OUTPUT_PART_START_LBA, "UNIKIT",
			      output_seed_u32(&seed, "fat-serial"), err) < 0)
		return -1;
	_cleanup_free_ char *off = xasprintf("%" PRIu64, fat.offset);
	const char *argv[] = { "syslinux", "--install", "--offset", off, path, NULL };
	if (output_tool_run(argv, b->epoch, NULL, err) < 0)
		return uk_err_wrap(err, "install syslinux in '%s'", path);

	_cleanup_free_ char *cfg = output_syslinux_cfg(b, "/kernel", "/initrd.img");
	_cleanup_free_ char *cfg_path = xasprintf("%s/syslinux.cfg", b->tmpdir);
	if (fs_write_file_atomic(cfg_path, cfg, strlen(cfg), 0644, err) < 0)
		return -1;
	struct output_fat_file files[3] = {
		{ cfg_path, "/syslinux.cfg" },
		{ b->kernel, "/kernel" },
		{ b->initrd, "/initrd.img" },
	};
	if (output_fat_copy(&fat, files, b->initrd ? 3 : 2, err) < 0)
		return -1;
	unlink(cfg_path);
	return 0;
}

int output_disk_efi_make(const struct output_boot *b, uint64_t size, const char *path,
			 struct uk_err *err)
{
	struct output_seed seed;
	uint64_t need;
	_cleanup_close_ int fd = -1;

	if (output_disk_efi_need(b, &need, err) < 0 ||
	    output_size_check("raw-efi", size, need, err) < 0)
		return -1;
	if (seed_of(b, "raw-efi", size, &seed, err) < 0)
		return -1;
	_cleanup_free_ char *uki = xasprintf("%s/BOOTX64.EFI", b->tmpdir);
	if (output_uki_make(b, uki, err) < 0)
		return -1;
	if (create_sized(path, size, &fd, err) < 0)
		return -1;

	struct output_gpt_part esp = {
		.first_lba = OUTPUT_PART_START_LBA,
		.last_lba = output_gpt_last_usable(size),
		.name = "EFI system partition",
	};
	memcpy(esp.type, output_gpt_type_esp, 16);
	output_seed_guid(&seed, "esp-guid", esp.guid);
	uint8_t disk_guid[16];
	output_seed_guid(&seed, "disk-guid", disk_guid);
	if (output_gpt_write(fd, size, disk_guid, &esp, 1, err) < 0)
		return -1;
	if (close(TAKE_FD(fd)) < 0)
		return uk_err_errno(err, "write '%s'", path);

	struct output_fat fat = { .image = path,
				  .offset = OUTPUT_PART_START_LBA * OUTPUT_SECTOR,
				  .epoch = b->epoch };
	uint64_t part_bytes = (esp.last_lba - esp.first_lba + 1) * OUTPUT_SECTOR;
	if (output_fat_format(&fat, part_bytes, OUTPUT_PART_START_LBA, "UNIKIT-EFI",
			      output_seed_u32(&seed, "fat-serial"), err) < 0)
		return -1;
	struct output_fat_file f = { uki, "/EFI/BOOT/BOOTX64.EFI" };
	if (output_fat_copy(&fat, &f, 1, err) < 0)
		return -1;
	unlink(uki);
	return 0;
}
