/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Assembly: a spec and a store become one root filesystem, kept as a sorted
 * stream of entries whose data is spooled to a temporary file (never held in
 * memory), and read back as many times as there are output formats.
 *
 * The root holds everything LinuxKit puts in it, including boot/kernel,
 * boot/cmdline and boot/ucode.cpio; writers that must leave boot/ out (the
 * initramfs) skip it.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "oci/oci.h"
#include "spec/spec.h"
#include "util/err.h"

struct rootfs; /* opaque */

struct rootfs_opts {
	const char *arch;     /* "amd64", "arm64"; NULL: the host's */
	const char *tmpdir;   /* where the spool lives; NULL: $TMPDIR or /tmp */
	int64_t epoch;	      /* mtime of every entry (SOURCE_DATE_EPOCH) */
	const char *spec_dir; /* base for relative `files` sources: the first spec's directory */
};

int rootfs_assemble(struct rootfs **out, const struct spec *spec, struct store *store,
		    const struct rootfs_opts *opts, struct uk_err *err);
void rootfs_free(struct rootfs *root);

struct rootfs_entry {
	const char *path; /* relative, no leading "/" or "./"; directories without a trailing "/" */
	mode_t mode;	  /* file type and permission bits */
	uint32_t uid, gid;
	uint64_t size;	      /* regular files */
	const char *linkname; /* symlink target, or the hard-link target's path */
	bool hardlink;
	uint32_t rdev_major, rdev_minor;
	int64_t mtime;
	/*
	 * 1, 2, ... in walk order. Hard links share one file: the first of them
	 * in the walk is a regular file with the data; the others have hardlink
	 * set, linkname naming the first, and the same ino; nlink counts them all.
	 */
	uint32_t ino;
	uint32_t nlink;
};

struct rootfs_data; /* the data of the current regular file */
/* Reads the current entry's data; returns bytes read, 0 at its end, -1 with err. */
ssize_t rootfs_data_read(struct rootfs_data *d, void *buf, size_t len, struct uk_err *err);

/*
 * Calls fn for every entry in sorted path order (a directory before what it
 * holds). Returning -1 from fn stops the walk with that error.
 */
typedef int (*rootfs_entry_fn)(void *ctx, const struct rootfs_entry *e, struct rootfs_data *data,
			       struct uk_err *err);
int rootfs_foreach(struct rootfs *root, rootfs_entry_fn fn, void *ctx, struct uk_err *err);

/* The kernel image, its command line and the optional microcode, for the writers. */
const char *
rootfs_kernel_path(const struct rootfs *root); /* a file; NULL when the spec has no kernel */
const char *rootfs_cmdline(const struct rootfs *root);	  /* never NULL */
const char *rootfs_ucode_path(const struct rootfs *root); /* a file or NULL */
