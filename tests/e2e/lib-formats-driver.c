// SPDX-License-Identifier: Apache-2.0
/*
 * Drives the format writers of src/output/ from plain inputs, for the format
 * tests (tests/e2e/lib-formats.sh builds it against build/libunikit.a):
 *   lib-formats-driver FORMAT OUT KERNEL INITRD CMDLINE
 * SIZE (bytes), EPOCH, NAME, TMPDIR, SIGN_KEY and SIGN_CERT come from the
 * environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/boot.h"
#include "output/disk.h"
#include "output/vdisk.h"
#include "util/err.h"

int main(int argc, char **argv)
{
	struct uk_err err = { 0 };
	struct output_boot b = { 0 };
	uint64_t size = OUTPUT_DISK_DEFAULT_SIZE;
	int r;

	if (argc != 6) {
		fprintf(stderr, "usage: %s FORMAT OUT KERNEL INITRD CMDLINE\n", argv[0]);
		return 2;
	}
	const char *fmt = argv[1], *out = argv[2];
	b.kernel = argv[3];
	b.initrd = *argv[4] ? argv[4] : NULL;
	b.cmdline = argv[5];
	b.name = getenv("NAME") ? getenv("NAME") : "test";
	b.tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	b.epoch = getenv("EPOCH") ? strtoll(getenv("EPOCH"), NULL, 10) : 0;
	b.sign_key = getenv("SIGN_KEY");
	b.sign_cert = getenv("SIGN_CERT");
	if (getenv("SIZE") && output_size_parse(getenv("SIZE"), &size, &err) < 0)
		goto fail;

	if (!strcmp(fmt, "uki"))
		r = output_uki_make(&b, out, &err);
	else if (!strcmp(fmt, "raw-bios"))
		r = output_disk_bios_make(&b, size, out, &err);
	else if (!strcmp(fmt, "raw-efi"))
		r = output_disk_efi_make(&b, size, out, &err);
	else if (!strcmp(fmt, "iso-bios"))
		r = output_iso_bios_make(&b, out, &err);
	else if (!strcmp(fmt, "iso-efi"))
		r = output_iso_efi_make(&b, out, &err);
	else if (!strcmp(fmt, "iso-efi-initrd"))
		r = output_iso_efi_initrd_make(&b, out, &err);
	else if (!strcmp(fmt, "qcow2"))
		r = output_vdisk_convert(b.kernel, OUTPUT_VDISK_QCOW2, out, b.name, b.epoch, &err);
	else if (!strcmp(fmt, "vhd"))
		r = output_vdisk_convert(b.kernel, OUTPUT_VDISK_VHD_FIXED, out, b.name, b.epoch,
					 &err);
	else if (!strcmp(fmt, "dynamic-vhd"))
		r = output_vdisk_convert(b.kernel, OUTPUT_VDISK_VHD_DYNAMIC, out, b.name, b.epoch,
					 &err);
	else if (!strcmp(fmt, "vmdk"))
		r = output_vdisk_convert(b.kernel, OUTPUT_VDISK_VMDK, out, b.name, b.epoch, &err);
	else if (!strcmp(fmt, "gcp")) {
		FILE *f = fopen(out, "we");
		r = f ? output_gcp_write(b.kernel, fileno(f), b.epoch, &err) : -1;
		if (f)
			fclose(f);
	} else {
		fprintf(stderr, "unknown format '%s'\n", fmt);
		return 2;
	}
	if (r == 0)
		return 0;
fail:
	fprintf(stderr, "error: %s\n", err.msg);
	uk_err_release(&err);
	return 1;
}
