/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bootable formats from plain inputs: a kernel, an initramfs and a
 * command line become a unified kernel image, ISOs and disk images. The
 * fmt-*.c files gather these inputs from the build; tests call them directly.
 */
#pragma once

#include <stdint.h>

#include "util/err.h"

struct output_boot {
	const char *kernel;   /* a bzImage with the EFI stub */
	const char *initrd;   /* the initramfs file, or NULL */
	const char *cmdline;  /* never NULL */
	const char *name;     /* the image's name (os-release, volume labels) */
	const char *tmpdir;   /* scratch space (removed by the caller) */
	int64_t epoch;	      /* every timestamp written */
	const char *sign_key; /* Secure Boot: sign EFI binaries with sbsign, or NULL */
	const char *sign_cert;
};

/* Boot loader files from Debian's packages (see scripts/deps/formats.txt). */
#define OUTPUT_UKI_STUB "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
#define OUTPUT_SYSTEMD_BOOT "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
#define OUTPUT_ISOLINUX_BIN "/usr/lib/ISOLINUX/isolinux.bin"
#define OUTPUT_ISOHYBRID_MBR "/usr/lib/ISOLINUX/isohdpfx.bin"
#define OUTPUT_LDLINUX_C32 "/usr/lib/syslinux/modules/bios/ldlinux.c32"
#define OUTPUT_SYSLINUX_MBR "/usr/lib/syslinux/mbr/mbr.bin"

/* A section to add to a PE image. */
struct output_pe_section {
	const char *name; /* up to 8 bytes: ".linux" */
	const char *path; /* the content from a file, */
	const void *data; /* or from memory */
	size_t len;
};

/*
 * Writes stub (a PE32+ EFI application) with sections appended to out_fd,
 * laid out after the stub's own sections with its alignments, the image size
 * and checksum updated (what objcopy --add-section --change-section-vma does).
 */
int output_pe_add_sections(const char *stub, const struct output_pe_section *s, size_t n,
			   int out_fd, struct uk_err *err);

/*
 * Writes the unified kernel image for b to path: the kernel, initrd, command
 * line and an os-release on systemd's EFI stub, signed when b has a key.
 */
int output_uki_make(const struct output_boot *b, const char *path, struct uk_err *err);
/* Signs the EFI binary in at path to out with b's key and certificate (sbsign). */
int output_efi_sign(const struct output_boot *b, const char *in, const char *out,
		    struct uk_err *err);

/* syslinux.cfg (and isolinux.cfg): boot the kernel at once with b's command line. */
char *output_syslinux_cfg(const struct output_boot *b, const char *kernel, const char *initrd);

/* Disk images: raw files of size bytes at path (created or replaced). */
int output_disk_bios_make(const struct output_boot *b, uint64_t size, const char *path,
			  struct uk_err *err);
int output_disk_efi_make(const struct output_boot *b, uint64_t size, const char *path,
			 struct uk_err *err);
/* The smallest -size that holds b's files. */
int output_disk_bios_need(const struct output_boot *b, uint64_t *need, struct uk_err *err);
int output_disk_efi_need(const struct output_boot *b, uint64_t *need, struct uk_err *err);

/* ISOs at path: BIOS (isolinux, hybrid MBR), EFI with the UKI, EFI with systemd-boot + kernel +
 * initrd. */
int output_iso_bios_make(const struct output_boot *b, const char *path, struct uk_err *err);
int output_iso_efi_make(const struct output_boot *b, const char *path, struct uk_err *err);
int output_iso_efi_initrd_make(const struct output_boot *b, const char *path, struct uk_err *err);
