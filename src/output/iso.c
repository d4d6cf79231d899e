// SPDX-License-Identifier: Apache-2.0
/*
 * Bootable ISOs with xorriso, from files grafted in place (nothing is staged):
 *   iso-bios:       isolinux via El Torito, and an isohybrid MBR so that the
 *                   image also boots from a USB stick;
 *   iso-efi:        an El Torito EFI image (a FAT file system) holding the
 *                   unified kernel image as \EFI\BOOT\BOOTX64.EFI;
 *   iso-efi-initrd: the same with systemd-boot as BOOTX64.EFI, and the kernel
 *                   and initramfs as files beside it, named by a loader entry.
 * Timestamps come from the epoch and the GPT disk GUID from the content.
 */
#include "output/iso.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output/boot.h"
#include "output/disk.h"
#include "output/fat.h"
#include "output/tool.h"
#include "util/fs.h"
#include "util/strbuf.h"

char *output_iso_timestring(int64_t epoch)
{
	/* xorriso takes the time 0 for "not set": the epoch 0 becomes one second later */
	time_t t = epoch > 0 ? (time_t)epoch : 1;
	struct tm tm;
	char buf[32];

	if (!gmtime_r(&t, &tm) || tm.tm_year < 70 || tm.tm_year > 999)
		return xstrdup("1970010100000100");
	strftime(buf, sizeof(buf), "%Y%m%d%H%M%S00", &tm);
	return xstrdup(buf);
}

char *output_iso_volid(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = name; *p && sb.len < 32; p++) {
		char c = *p;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		strbuf_addch(&sb, (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
	}
	if (!sb.len)
		strbuf_addstr(&sb, "UNIKIT");
	return strbuf_detach(&sb, NULL);
}

void output_iso_args_init(struct output_iso_args *a, const char *out, const char *volid,
			  int64_t epoch)
{
	memset(a, 0, sizeof(*a));
	a->date = output_iso_timestring(epoch);
	a->volid = xstrdup(volid);
	a->mod = xasprintf("--modification-date=%s", a->date);
	output_iso_arg(a, "xorriso");
	output_iso_arg(a, "-as");
	output_iso_arg(a, "mkisofs");
	output_iso_arg(a, "-quiet");
	output_iso_arg(a, "-o");
	output_iso_arg(a, out);
	output_iso_arg(a, "-V");
	output_iso_arg(a, a->volid);
	output_iso_arg(a, "-R");
	output_iso_arg(a, "--set_all_file_dates");
	output_iso_arg(a, a->date);
	output_iso_arg(a, a->mod);
	output_iso_arg(a, "-graft-points");
}

void output_iso_arg(struct output_iso_args *a, const char *s)
{
	XGROW(a->argv, a->alloc, a->n + 2);
	a->argv[a->n++] = xstrdup(s);
	a->argv[a->n] = NULL;
}

void output_iso_graft(struct output_iso_args *a, const char *iso_path, const char *host_path)
{
	_cleanup_free_ char *g = xasprintf("%s=%s", iso_path, host_path);
	output_iso_arg(a, g);
}

int output_iso_run(struct output_iso_args *a, int64_t epoch, struct uk_err *err)
{
	if (output_tool_need("xorriso", err) < 0)
		return -1;
	if (output_tool_run((const char *const *)a->argv, epoch, NULL, err) < 0)
		return uk_err_wrap(err, "write the ISO");
	return 0;
}

void output_iso_args_release(struct output_iso_args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->argv[i]);
	free(a->argv);
	free(a->date);
	free(a->volid);
	free(a->mod);
	memset(a, 0, sizeof(*a));
}

int output_iso_bios_make(const struct output_boot *b, const char *path, struct uk_err *err)
{
	_cleanup_(output_iso_args_release) struct output_iso_args a;
	_cleanup_free_ char *volid = output_iso_volid(b->name);

	if (output_tool_file(OUTPUT_ISOLINUX_BIN, err) < 0 ||
	    output_tool_file(OUTPUT_ISOHYBRID_MBR, err) < 0 ||
	    output_tool_file(OUTPUT_LDLINUX_C32, err) < 0)
		return -1;
	_cleanup_free_ char *cfg = output_syslinux_cfg(b, "/boot/kernel", "/boot/initrd.img");
	_cleanup_free_ char *cfg_path = xasprintf("%s/isolinux.cfg", b->tmpdir);
	if (fs_write_file_atomic(cfg_path, cfg, strlen(cfg), 0644, err) < 0)
		return -1;

	output_iso_args_init(&a, path, volid, b->epoch);
	static const char *const boot[] = { "-b",
					    "isolinux/isolinux.bin",
					    "-c",
					    "isolinux/boot.cat",
					    "-no-emul-boot",
					    "-boot-load-size",
					    "4",
					    "-boot-info-table",
					    "-isohybrid-mbr",
					    OUTPUT_ISOHYBRID_MBR };
	for (size_t i = 0; i < ARRAY_SIZE(boot); i++)
		output_iso_arg(&a, boot[i]);
	output_iso_graft(&a, "isolinux/isolinux.bin", OUTPUT_ISOLINUX_BIN);
	output_iso_graft(&a, "isolinux/ldlinux.c32", OUTPUT_LDLINUX_C32);
	output_iso_graft(&a, "isolinux/isolinux.cfg", cfg_path);
	output_iso_graft(&a, "boot/kernel", b->kernel);
	if (b->initrd)
		output_iso_graft(&a, "boot/initrd.img", b->initrd);
	int r = output_iso_run(&a, b->epoch, err);
	unlink(cfg_path);
	return r;
}

/* Writes an El Torito EFI image (FAT, sized to its files) at path. */
static int efi_image(const struct output_boot *b, const struct output_fat_file *files, size_t n,
		     const char *path, struct uk_err *err)
{
	uint64_t sizes[8], total;
	struct output_seed seed;
	const char *paths[9];

	BUG_ON(n > ARRAY_SIZE(sizes));
	for (size_t i = 0; i < n; i++) {
		if (output_file_size(files[i].src, &sizes[i], err) < 0)
			return -1;
		paths[i] = files[i].src;
	}
	paths[n] = NULL;
	const char *strs[] = { "efi-image", NULL };
	if (output_seed_make(&seed, paths, strs, err) < 0)
		return -1;
	total = output_align(output_fat_need(sizes, n), OUTPUT_MIB);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return uk_err_errno(err, "create '%s'", path);
	if (ftruncate(fd, (off_t)total) < 0)
		return uk_err_errno(err, "resize '%s'", path);
	struct output_fat fat = { .image = path, .offset = 0, .epoch = b->epoch };
	if (output_fat_format(&fat, total, 0, "UNIKIT-EFI", output_seed_u32(&seed, "fat-serial"),
			      err) < 0 ||
	    output_fat_copy(&fat, files, n, err) < 0)
		return -1;
	return 0;
}

static int efi_iso(const struct output_boot *b, const char *efi_img, const char *path,
		   struct uk_err *err)
{
	_cleanup_(output_iso_args_release) struct output_iso_args a;
	_cleanup_free_ char *volid = output_iso_volid(b->name);
	struct output_seed seed;
	const char *paths[] = { efi_img, NULL };
	const char *strs[] = { "efi-iso", b->name, NULL };
	uint8_t g[16];
	char guid[33];

	if (output_seed_make(&seed, paths, strs, err) < 0)
		return -1;
	output_seed_guid(&seed, "iso-gpt-guid", g);
	for (size_t i = 0; i < 16; i++)
		snprintf(guid + 2 * i, 3, "%02x", g[i]);

	output_iso_args_init(&a, path, volid, b->epoch);
	/* the EFI image is both the El Torito EFI entry and, for USB sticks, a GPT partition */
	static const char *const boot[] = { "-e", "boot/efi.img", "-no-emul-boot",
					    "-isohybrid-gpt-basdat" };
	for (size_t i = 0; i < ARRAY_SIZE(boot); i++)
		output_iso_arg(&a, boot[i]);
	output_iso_arg(&a, "--gpt_disk_guid");
	output_iso_arg(&a, guid);
	output_iso_graft(&a, "boot/efi.img", efi_img);
	return output_iso_run(&a, b->epoch, err);
}

int output_iso_efi_make(const struct output_boot *b, const char *path, struct uk_err *err)
{
	_cleanup_free_ char *uki = xasprintf("%s/iso-BOOTX64.EFI", b->tmpdir);
	_cleanup_free_ char *img = xasprintf("%s/iso-efi.img", b->tmpdir);
	struct output_fat_file f = { uki, "/EFI/BOOT/BOOTX64.EFI" };
	int r = -1;

	if (output_uki_make(b, uki, err) < 0 || efi_image(b, &f, 1, img, err) < 0)
		goto out;
	r = efi_iso(b, img, path, err);
out:
	unlink(uki);
	unlink(img);
	return r;
}

int output_iso_efi_initrd_make(const struct output_boot *b, const char *path, struct uk_err *err)
{
	_cleanup_free_ char *boot = xasprintf("%s/iso-systemd-boot.efi", b->tmpdir);
	_cleanup_free_ char *loader = xasprintf("%s/iso-loader.conf", b->tmpdir);
	_cleanup_free_ char *entry = xasprintf("%s/iso-entry.conf", b->tmpdir);
	_cleanup_free_ char *img = xasprintf("%s/iso-efi-initrd.img", b->tmpdir);
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	const char *boot_efi = OUTPUT_SYSTEMD_BOOT;
	int r = -1;

	if (output_tool_file(OUTPUT_SYSTEMD_BOOT, err) < 0)
		return -1;
	if (b->sign_key) {
		if (output_efi_sign(b, OUTPUT_SYSTEMD_BOOT, boot, err) < 0)
			return -1;
		boot_efi = boot;
	}
	static const char loader_conf[] = "timeout 0\ndefault unikit.conf\n";
	strbuf_addstr(&sb, "title unikit\nlinux /unikit/kernel\n");
	if (b->initrd)
		strbuf_addstr(&sb, "initrd /unikit/initrd.img\n");
	strbuf_addstr(&sb, "options ");
	for (const char *p = b->cmdline; *p; p++)
		strbuf_addch(&sb, *p == '\n' || *p == '\r' ? ' ' : *p);
	strbuf_addch(&sb, '\n');
	if (fs_write_file_atomic(loader, loader_conf, strlen(loader_conf), 0644, err) < 0 ||
	    fs_write_file_atomic(entry, sb.buf, sb.len, 0644, err) < 0)
		goto out;
	struct output_fat_file files[] = {
		{ boot_efi, "/EFI/BOOT/BOOTX64.EFI" },	  { loader, "/loader/loader.conf" },
		{ entry, "/loader/entries/unikit.conf" }, { b->kernel, "/unikit/kernel" },
		{ b->initrd, "/unikit/initrd.img" },
	};
	if (efi_image(b, files, b->initrd ? 5 : 4, img, err) < 0)
		goto out;
	r = efi_iso(b, img, path, err);
out:
	unlink(boot);
	unlink(loader);
	unlink(entry);
	unlink(img);
	return r;
}
