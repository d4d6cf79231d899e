/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the fmt-*.c files share: the build's inputs as plain values, outputs
 * that appear complete or not at all, and the intermediate files several
 * formats of one build use (a raw disk, the root tar), made once in
 * ctx->tmpdir.
 */
#pragma once

#include <stdbool.h>

#include "output/boot.h"
#include "output/output.h"
#include "output/root.h"
#include "output/vdisk.h"
#include "util/fs.h"

/* The kernel, initramfs, command line, ... of the build; fails when the spec has no kernel. */
int output_emit_boot(struct output_ctx *ctx, const char *format, bool initrd, struct output_boot *b,
		     struct uk_err *err);
/* The disk size: -size, or LinuxKit's default 1024M. */
uint64_t output_emit_size(const struct output_ctx *ctx);

/*
 * One output file: NAME+suffix in ctx->dir, or ctx->out_file when the format
 * writes a single file (single) and -o was given ("-": standard output).
 * path is where to write it by name (a temporary file), fd is open on it.
 */
struct output_dest {
	struct fs_atomic a;
	char *path;
	int fd;
	bool to_stdout;
	char *final; /* for messages */
};
#define OUTPUT_DEST_INIT                                                                       \
	{                                                                                      \
		.a = FS_ATOMIC_INIT, .path = NULL, .fd = -1, .to_stdout = false, .final = NULL \
	}
int output_dest_open(struct output_ctx *ctx, const char *suffix, bool single, struct output_dest *d,
		     struct uk_err *err);
/* Moves the file into place (or copies it to standard output). */
int output_dest_commit(struct output_dest *d, struct uk_err *err);
void output_dest_abort(struct output_dest *d);
#define _cleanup_dest_ _cleanup_(output_dest_abort)

/* The raw BIOS or EFI disk of this build, made once; *path stays owned by ctx->tmpdir. */
enum output_disk_kind { OUTPUT_DISK_BIOS, OUTPUT_DISK_EFI };
int output_emit_disk(struct output_ctx *ctx, enum output_disk_kind kind, const char *format,
		     char **path, struct uk_err *err);
/* Checks (before anything is written) that -size holds the disk and the tools are there. */
int output_emit_disk_check(struct output_ctx *ctx, enum output_disk_kind kind, const char *format,
			   struct uk_err *err);

/* A disk format: the raw disk of kind, converted (or copied when raw), to NAME+suffix. */
int output_emit_disk_format(struct output_ctx *ctx, enum output_disk_kind kind, bool raw,
			    enum output_vdisk vkind, const char *format, const char *suffix,
			    struct uk_err *err);

/* The root tar of this build (boot/ left out), made once. */
int output_emit_root_tar(struct output_ctx *ctx, char **path, struct output_tar_info *info,
			 struct uk_err *err);
/* The root extracted under fakeroot for an erofs or ISO root; remove it when done. */
int output_emit_root_stage(struct output_ctx *ctx, char **stage, struct output_tar_info *info,
			   struct uk_err *err);
void output_emit_root_stage_remove(const char *stage);

/* A disk-root format: NAME-kernel, NAME-cmdline, NAME-root-initrd.img and the image. */
enum output_rootfs_kind { OUTPUT_ROOT_SQUASHFS, OUTPUT_ROOT_EROFS, OUTPUT_ROOT_ISO };
int output_emit_kernel_root(struct output_ctx *ctx, enum output_rootfs_kind kind,
			    struct uk_err *err);
int output_emit_kernel_root_check(struct output_ctx *ctx, enum output_rootfs_kind kind,
				  struct uk_err *err);

/* The tools a format runs (and the files it embeds), checked before anything is written. */
int output_emit_need(const char *const *tools, const char *const *files, struct uk_err *err);
