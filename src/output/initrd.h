/* SPDX-License-Identifier: Apache-2.0 */
/* The initramfs writer and small helpers the output formats share. */
#pragma once

#include <stdint.h>

#include "output/output.h"
#include "rootfs/rootfs.h"
#include "util/err.h"

/* The gzip level of the initramfs (LinuxKit's default level). */
#define OUTPUT_GZIP_LEVEL 6

/*
 * Writes the initramfs to fd: the microcode cpio (if any), uncompressed, then
 * every entry except what is below boot/ as one cpio newc archive in one gzip
 * member, compressed on every core. *ucode_len receives the length of the
 * uncompressed part (0 without microcode).
 */
int output_initrd_write(struct rootfs *root, int fd, uint64_t *ucode_len, struct uk_err *err);

/* The number of compression threads: the cores this process may use. */
unsigned output_threads(void);

/* Copies len bytes (all when len is UINT64_MAX) from in at off to out. */
int output_copy_fd(int out, int in, uint64_t off, uint64_t len, struct uk_err *err);

/* Writes the file at src to dst atomically, with mode. */
int output_copy_file(const char *dst, const char *src, mode_t mode, struct uk_err *err);

/* "DIR/NAME-SUFFIX"; caller frees. */
char *output_path(const struct output_ctx *ctx, const char *suffix);
