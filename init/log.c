// SPDX-License-Identifier: Apache-2.0
/* Console messages, boot phase timings, the kernel command line, small file helpers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

bool log_debug_on, log_quiet;
int log_fd = STDOUT_FILENO;

/* Phases are kept until /run exists, then written to /run/unikit/boot-times. */
#define PHASES_MAX 64
static char phases[PHASES_MAX][96];
static size_t nphases;
static int phase_fd = -1;

void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

int copy_all(int out, int in, off_t size)
{
	for (off_t left = size; left > 0;) {
		ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		left -= n;
	}
	return 0;
}

/*
 * The other consoles: the kernel connects /dev/console (our stdout) to the
 * last console= of the command line that exists, so with LinuxKit's usual
 * "console=tty0 console=ttyS0 console=ttyAMA0" on a PC it is tty0, and a
 * serial console would see nothing. Messages go to every active console.
 */
#define CONSOLES_MAX 8
static int consoles[CONSOLES_MAX];
static size_t nconsoles;

void log_open_consoles(void)
{
	char *active = read_file("/sys/class/tty/console/active", 4096, NULL);
	char *names[CONSOLES_MAX + 1];
	size_t n = 0;

	if (!active)
		return;
	for (char *p = active; *p && n < sizeof(names) / sizeof(names[0]);) {
		p += strspn(p, " \n");
		size_t len = strcspn(p, " \n");
		if (!len)
			break;
		names[n++] = p;
		if (p[len])
			p[len++] = '\0';
		p += len;
	}
	/* the last entry is the one /dev/console already reaches */
	for (size_t i = 0; i + 1 < n && nconsoles < CONSOLES_MAX; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/dev/%s", names[i]);
		int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			consoles[nconsoles++] = fd;
	}
	free(active);
}

void console_write(const char *buf, size_t len)
{
	write_all(log_fd, buf, len);
	for (size_t i = 0; i < nconsoles; i++)
		write_all(consoles[i], buf, len);
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), INIT_NAME ": %s", level);
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);

	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	console_write(buf, len);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

/* "[   3.456]": US microseconds as the console shows a time since boot. */
static const char *stamp(char *buf, size_t len, int64_t us)
{
	msgf(buf, len, "[%4lld.%03lld]", (long long)(us / 1000000), (long long)(us / 1000 % 1000));
	return buf;
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	char level[48], t[32];

	if (!log_debug_on)
		return;
	msgf(level, sizeof(level), "debug: %s ", stamp(t, sizeof(t), since_boot_us()));
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t now_ms(void)
{
	return clock_us(CLOCK_MONOTONIC) / 1000;
}

int64_t since_boot_us(void)
{
	return clock_us(CLOCK_BOOTTIME);
}

static void vphase(int64_t us, bool console, const char *fmt, va_list ap)
{
	char what[80], line[96], t[32];

	vsnprintf(what, sizeof(what), fmt, ap);
	msgf(line, sizeof(line), "%lld.%03lld %s\n", (long long)(us / 1000000),
	     (long long)(us / 1000 % 1000), what);
	if (console && !log_quiet)
		log_info("%s %s", stamp(t, sizeof(t), us), what);
	else if (!console)
		log_debug("%s", what);
	if (phase_fd >= 0)
		write_all(phase_fd, line, strlen(line));
	else if (nphases < PHASES_MAX)
		memcpy(phases[nphases++], line, sizeof(line));
}

void log_phase(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vphase(since_boot_us(), true, fmt, ap);
	va_end(ap);
}

void log_phase_at(int64_t us, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vphase(us, true, fmt, ap);
	va_end(ap);
}

void log_phase_late(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vphase(since_boot_us(), false, fmt, ap);
	va_end(ap);
}

void log_phase_file(const char *path)
{
	phase_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (phase_fd < 0) {
		log_warn("cannot open '%s': %s", path, strerror(errno));
		return;
	}
	for (size_t i = 0; i < nphases; i++)
		write_all(phase_fd, phases[i], strlen(phases[i]));
	nphases = 0;
}

/* A whole non-negative number of at most 6 digits, or -1. */
static int parse_small(const char *s)
{
	int v = 0;

	if (!*s || strlen(s) > 6)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void option_word(const char *w, size_t len, struct options *o)
{
	char word[600];

	if (len >= sizeof(word)) {
		log_warn("kernel command line word too long, ignored");
		return;
	}
	memcpy(word, w, len);
	word[len] = '\0';
	if (strncmp(word, "unikit.", 7) != 0)
		return;
	char *val = strchr(word, '=');
	if (val)
		*val++ = '\0';
	const char *key = word + 7;
	if (!strcmp(key, "debug") && !val) {
		o->debug = true;
	} else if (!strcmp(key, "quiet") && !val) {
		o->quiet = true;
	} else if (!strcmp(key, "cgroup") && val && (!strcmp(val, "v1") || !strcmp(val, "v2"))) {
		o->cgroup_v1 = !strcmp(val, "v1");
	} else if (!strcmp(key, "skip") && val) {
		size_t have = strlen(o->skip);
		snprintf(o->skip + have, sizeof(o->skip) - have, "%s%s", have ? "," : "", val);
	} else if (!strcmp(key, "grace") && val && parse_small(val) >= 0) {
		o->grace_s = parse_small(val);
	} else if (!strcmp(key, "shutdown") && val && parse_small(val) >= 0) {
		o->shutdown_s = parse_small(val);
	} else if (!strcmp(key, "modules") && val && (!strcmp(val, "0") || !strcmp(val, "1"))) {
		o->modules_off = !strcmp(val, "0");
	} else {
		log_warn("kernel command line: unknown or malformed option '%s%s%s' ignored", word,
			 val ? "=" : "", val ? val : "");
	}
}

void options_parse(const char *cmdline, struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->grace_s = 10;
	o->shutdown_s = -1;
	for (const char *p = cmdline; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		const char *start = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (p > start)
			option_word(start, (size_t)(p - start), o);
	}
}

static bool in_list(const char *list, const char *name, size_t len)
{
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && !strncmp(p, name, len))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

bool options_skips(const struct options *o, const char *name)
{
	if (in_list(o->skip, name, strlen(name)))
		return true;
	/* "000-hello" is also "hello" */
	size_t d = strspn(name, "0123456789");
	if (d > 0 && name[d] == '-')
		return in_list(o->skip, name + d + 1, strlen(name + d + 1));
	return false;
}

int pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

void msgf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

char *read_file(const char *path, size_t max, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf)
		abort();
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			close(fd);
			errno = EFBIG;
			return NULL;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *de;

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		v[len] = strdup(de->d_name);
		if (!v[len])
			abort();
		len++;
	}
	closedir(d);
	if (len)
		qsort(v, len, sizeof(*v), cmp_names);
	*n = len;
	return v ? v : calloc(1, sizeof(*v));
}

void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (!*path) {
		errno = ENOENT;
		return -1;
	}
	if (pathf(buf, sizeof(buf), "%s", path) < 0)
		return -1;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}
