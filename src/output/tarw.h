/* SPDX-License-Identifier: Apache-2.0 */
/* Writing tar archives (pax, as LinuxKit does) with libarchive, to a file descriptor. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "rootfs/rootfs.h"
#include "util/err.h"

struct output_tar;

int output_tar_new(struct output_tar **out, int fd, struct uk_err *err);
/* One entry; data (may be NULL) supplies e->size bytes for a regular file. */
int output_tar_entry(struct output_tar *t, const struct rootfs_entry *e, struct rootfs_data *data,
		     struct uk_err *err);
/* A regular file whose content is len bytes of fd from offset off. */
int output_tar_file(struct output_tar *t, const char *name, mode_t perm, int64_t mtime, int fd,
		    uint64_t off, uint64_t len, struct uk_err *err);
/* A regular file holding len bytes of data. */
int output_tar_bytes(struct output_tar *t, const char *name, mode_t perm, int64_t mtime,
		     const void *data, size_t len, struct uk_err *err);
int output_tar_finish(struct output_tar *t, struct uk_err *err);
void output_tar_free(struct output_tar *t);
