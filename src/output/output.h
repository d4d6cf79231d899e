/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Output formats are data: each src/output/fmt-NAME.c defines
 * `const struct output_ops output_fmt_NAME` ('-' and '+' in the format's name
 * become '_' in the symbol), and the Makefile lists them in
 * build/gen/outputs.h. One assembled root is written in every format asked for.
 */
#pragma once

#include <stdint.h>

#include "rootfs/rootfs.h"
#include "util/err.h"

struct output_ctx {
	struct rootfs *root;
	const char *name;     /* base name of the outputs: -name, else the spec's base name */
	const char *dir;      /* output directory (-dir), "." by default */
	const char *out_file; /* -o FILE ("-" is stdout), for single-file formats; else NULL */
	uint64_t size;	      /* -size in bytes for disk formats (0: the default) */
	const char *arch;     /* "amd64" | "arm64" */
	int64_t epoch;	      /* fixed timestamp for everything written */
	const char *tmpdir;   /* private scratch directory, removed after the build */
	const char *sign_key; /* Secure Boot signing (-sign-key / -sign-cert), or NULL */
	const char *sign_cert;
	/*
	 * The initramfs (cpio newc, gzip, ucode prepended), made at most once per
	 * build by output_initrd_path() for the formats that need the file.
	 */
	char *initrd_path;
};

struct output_ops {
	const char *name;	 /* as given to -format: "kernel+initrd", "iso-bios", ... */
	const char *description; /* one line for `unikit build -help` */
	/* Writes the format's outputs atomically (all appear, or none). */
	int (*write)(struct output_ctx *ctx, struct uk_err *err);
	/*
	 * Optional (NULL: nothing to check): called for every format of a build
	 * before any of them writes, it fails on what would make write() fail
	 * (a missing tool, a -size too small for the content), so that a bad
	 * build writes nothing.
	 */
	int (*check)(struct output_ctx *ctx, struct uk_err *err);
};

/* The table of every format, in the order `build -help` lists them. */
const struct output_ops *output_find(const char *name);
size_t output_count(void);
const struct output_ops *output_at(size_t i);

/*
 * The initramfs as a file, written on first use (in ctx->tmpdir), or the
 * NAME-initrd.img that the kernel+initrd format has already written.
 */
const char *output_initrd_path(struct output_ctx *ctx, struct uk_err *err);
