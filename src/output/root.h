/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The formats that hold the root file system itself rather than an
 * initramfs: squashfs, erofs and ISO 9660 roots for a kernel that mounts its
 * root from a disk, and the root as a docker or OCI image. They read the
 * root once into a tar (boot/ left out) that they all share.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "rootfs/rootfs.h"
#include "util/err.h"

/* Reads the current entry's data: bytes read, 0 at its end, -1 with err. */
typedef ssize_t (*output_read_fn)(void *rd, void *buf, size_t len, struct uk_err *err);
typedef int (*output_entry_fn)(void *ctx, const struct rootfs_entry *e, output_read_fn read,
			       void *rd, struct uk_err *err);

/* A source of root entries in sorted order (rootfs_foreach() in a build). */
struct output_root {
	int (*walk)(void *src, output_entry_fn fn, void *ctx, struct uk_err *err);
	void *src;
};

/* What output_root_tar_write() wrote: its digest names the layer of the images. */
struct output_tar_info {
	char sha256[65]; /* hex */
	uint64_t size;
};

/* Writes the root, without boot/, as a pax tar at path (owners, devices, links kept). */
int output_root_tar_write(const struct output_root *r, const char *path, int64_t epoch,
			  struct output_tar_info *info, struct uk_err *err);

/* The file systems, from that tar (see docs/formats.md for the tools and their options). */
int output_squashfs_make(const char *tar, const char *out, int64_t epoch, struct uk_err *err);
/*
 * erofs and ISO 9660 roots are made from a directory extracted under
 * fakeroot (so owners and device nodes are kept without root); stage is a
 * directory to create for it, shared by both.
 */
int output_root_stage(const char *tar, const char *stage, struct uk_err *err);
/* The erofs UUID derives from the root's digest (struct output_tar_info). */
int output_erofs_make(const char *stage, const char *out, const char *digest, int64_t epoch,
		      struct uk_err *err);
int output_rootiso_make(const char *stage, const char *out, const char *name, int64_t epoch,
			struct uk_err *err);

/*
 * The small initramfs a modular kernel needs to mount a root from a disk:
 * busybox, the modules for virtio/SCSI/ATA disks and CD-ROMs and for
 * squashfs, erofs and ISO 9660 (taken from the root's lib/modules, with their
 * dependencies), and an /init that loads them, mounts root= (rootfstype=)
 * and switches to it. Written as a gzip'd newc cpio to out_fd.
 */
int output_root_initrd_write(const char *tar, int out_fd, int64_t epoch, struct uk_err *err);

/*
 * The command line for a root on a disk: cmdline plus root=/dev/vda (the
 * first virtio disk) unless it has a root=. The same for the three formats, so
 * that one build may write them all; the boot initramfs also tries /dev/sr0,
 * /dev/sda and /dev/nvme0n1, and finds the file system type by itself.
 */
#define OUTPUT_ROOT_DEVICE "/dev/vda"
char *output_root_cmdline(const char *cmdline);

/* Container images of the root (the tar is their one layer), entrypoint /init. */
struct output_image_opts {
	const char *name; /* the repository name in docker's RepoTags and OCI's ref.name */
	const char *arch; /* "amd64", "arm64" */
	int64_t epoch;
};
int output_docker_write(const char *tar, const struct output_tar_info *info,
			const struct output_image_opts *o, int out_fd, struct uk_err *err);
int output_oci_write(const char *tar, const struct output_tar_info *info,
		     const struct output_image_opts *o, int out_fd, struct uk_err *err);
