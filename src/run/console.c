// SPDX-License-Identifier: Apache-2.0
/* Watching the guest's console: the -wait-for pattern, kernel panics, the last lines. */
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

/* A console line longer than this is cut (and watched) in pieces. */
#define LINE_MAX_LEN 65536

/*
 * What the kernel prints first when it panics (kernel/panic.c), after the
 * optional printk time stamp; the rest of the line says why.
 */
static const char panic_prefix[] = "Kernel panic - not syncing";

int run_watch_init(struct run_watch *w, const char *pattern, struct uk_err *err)
{
	memset(w, 0, sizeof(*w));
	strbuf_init(&w->line, 0);
	if (pattern) {
		int r = regcomp(&w->re, pattern, REG_EXTENDED | REG_NOSUB);
		if (r != 0) {
			char msg[256];
			regerror(r, &w->re, msg, sizeof(msg));
			return uk_err_setc(err, UK_ERR_INPUT, "wait-for '%s': %s", pattern, msg);
		}
		w->have_re = true;
	}
	return 0;
}

void run_watch_release(struct run_watch *w)
{
	if (w->have_re)
		regfree(&w->re);
	w->have_re = false;
	free(w->panic_line);
	w->panic_line = NULL;
	strbuf_release(&w->line);
	for (size_t i = 0; i < RUN_WATCH_LINES; i++) {
		free(w->ring[i]);
		w->ring[i] = NULL;
	}
	w->ring_next = w->ring_count = 0;
}

/* The panic message in line, or NULL. */
static const char *find_panic(const char *line)
{
	const char *p = line;

	/* "[   12.345678] " */
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (close && close[1] == ' ')
			p = close + 2;
	}
	return str_has_prefix(p, panic_prefix) ? p : NULL;
}

static void line_done(struct run_watch *w)
{
	if (w->have_re && !w->matched && regexec(&w->re, w->line.buf, 0, NULL, 0) == 0)
		w->matched = true;
	if (!w->panicked) {
		const char *panic = find_panic(w->line.buf);
		if (panic) {
			w->panicked = true;
			w->panic_line = xstrdup(panic);
		}
	}
	free(w->ring[w->ring_next]);
	w->ring[w->ring_next] = strbuf_detach(&w->line, NULL);
	w->ring_next = (w->ring_next + 1) % RUN_WATCH_LINES;
	if (w->ring_count < RUN_WATCH_LINES)
		w->ring_count++;
}

void run_watch_feed(struct run_watch *w, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c == '\n') {
			line_done(w);
			continue;
		}
		/* CR (from CRLF and progress lines) and NUL bytes do not belong in a line */
		if (c == '\r' || c == '\0')
			continue;
		strbuf_addch(&w->line, c);
		if (w->line.len >= LINE_MAX_LEN)
			line_done(w);
	}
	/* a prompt ("login: ") comes without a newline */
	if (w->have_re && !w->matched && w->line.len > 0 &&
	    regexec(&w->re, w->line.buf, 0, NULL, 0) == 0)
		w->matched = true;
}

char *run_watch_tail(const struct run_watch *w, size_t max_lines)
{
	struct strbuf sb = STRBUF_INIT;
	size_t want = w->ring_count;
	size_t partial = w->line.len > 0 ? 1 : 0;

	if (want + partial > max_lines)
		want = max_lines > partial ? max_lines - partial : 0;
	for (size_t i = 0; i < want; i++) {
		size_t idx = (w->ring_next + RUN_WATCH_LINES - want + i) % RUN_WATCH_LINES;
		strbuf_addstr(&sb, w->ring[idx]);
		strbuf_addch(&sb, '\n');
	}
	if (partial && max_lines > 0) {
		strbuf_addstr(&sb, w->line.buf);
		strbuf_addch(&sb, '\n');
	}
	return strbuf_detach(&sb, NULL);
}
