/* SPDX-License-Identifier: Apache-2.0 */
/* A newc cpio archive built in memory (small archives: the boot initramfs). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/strbuf.h"

struct output_cpio {
	struct strbuf buf;
	uint32_t ino;
	int64_t mtime;
};

void output_cpio_init(struct output_cpio *c, int64_t mtime);
void output_cpio_release(struct output_cpio *c);
/* Adds an entry; data/len for regular files and symlinks (the target), rdev for devices. */
void output_cpio_add(struct output_cpio *c, const char *path, mode_t mode, const void *data,
		     size_t len, uint32_t rdev_major, uint32_t rdev_minor);
/* Ends the archive and writes it to fd compressed with gzip. */
int output_cpio_finish_gzip(struct output_cpio *c, int fd, struct uk_err *err);
