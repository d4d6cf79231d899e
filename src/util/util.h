/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers every module uses: cleanup attributes, ownership transfer,
 * allocation that aborts on exhaustion, EINTR-safe I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _must_check_ __attribute__((warn_unused_result))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

/* Moves ownership out of a cleanup variable: the variable is left empty. */
#define TAKE_PTR(p)                     \
	({                              \
		__typeof__(p) _p = (p); \
		(p) = NULL;             \
		_p;                     \
	})
#define TAKE_FD(fd)             \
	({                      \
		int _fd = (fd); \
		(fd) = -1;      \
		_fd;            \
	})

#define BUG_ON(cond)                                       \
	do {                                               \
		if (cond)                                  \
			uk_bug(__FILE__, __LINE__, #cond); \
	} while (0)

_noreturn_ void uk_bug(const char *file, int line, const char *what);

void freep(void *p);
void closep(int *fd);
void fclosep(FILE **f);

/* Allocation: these abort the program when memory is exhausted. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
_printf_(1, 2) char *xasprintf(const char *fmt, ...);
/* Grows *p (of *alloc elements of size) to hold at least n elements. */
void xgrow(void **p, size_t *alloc, size_t n, size_t size);
#define XGROW(p, alloc, n) xgrow((void **)&(p), &(alloc), (n), sizeof(*(p)))

/* I/O that retries on EINTR and short counts; they return 0 or -1 with errno. */
int xwrite_all(int fd, const void *buf, size_t len);
/* Returns bytes read (less than len only at end of file), or -1 with errno. */
ssize_t xread_all(int fd, void *buf, size_t len);

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
bool streq_ptr(const char *a, const char *b);
/* qsort()'s comparison for an array of strings (char * elements), in strcmp() order. */
int str_ptr_cmp(const void *a, const void *b);
/* The value of hex digit c (either case), or -1. */
int hex_digit(int c);
