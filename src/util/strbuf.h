/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable string (git's rules): buf is never NULL and always
 * NUL-terminated. Initialise with STRBUF_INIT; strbuf_release() frees.
 */
#pragma once

#include <stdarg.h>

#include "util/util.h"

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_empty[];
#define STRBUF_INIT                                       \
	{                                                 \
		.alloc = 0, .len = 0, .buf = strbuf_empty \
	}
#define _cleanup_strbuf_ _cleanup_(strbuf_release)

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
/* Returns the buffer (caller frees) and leaves sb empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen(sb, 0)
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
_printf_(2, 3) void strbuf_addf(struct strbuf *sb, const char *fmt, ...);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
