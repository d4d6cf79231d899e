// SPDX-License-Identifier: Apache-2.0
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/strbuf.h"

int fs_mkdir_p(const char *path, mode_t mode, struct uk_err *err)
{
	_cleanup_free_ char *p = xstrdup(path);
	char *s;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return uk_err_errno(err, "create directory '%s'", p);
		*s = c;
		if (c == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return uk_err_errno(err, "create directory '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return uk_err_errno(err, "create directory '%s'", path);
	}
	return 0;
}

int fs_read_file(const char *path, size_t max, char **out, size_t *len, struct uk_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	bool is_stdin = strcmp(path, "-") == 0;

	fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return uk_err_errno(err, "open '%s'", path);
	for (;;) {
		strbuf_grow(&sb, 65536);
		ssize_t n = read(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uk_err_errno(err, "read '%s'", path);
		}
		if (n == 0)
			break;
		strbuf_setlen(&sb, sb.len + (size_t)n);
		if (sb.len > max)
			return uk_err_setc(err, UK_ERR_INPUT, "read '%s': larger than %zu bytes",
					   path, max);
	}
	if (len)
		*len = sb.len;
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

static int rm_rf_at(int dfd, const char *name, struct uk_err *err)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return uk_err_errno(err, "remove '%s'", name);

	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return uk_err_errno(err, "open directory '%s'", name);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return uk_err_errno(err, "open directory '%s'", name);
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = rm_rf_at(dirfd(d), de->d_name, err);
	}
	closedir(d);
	if (r < 0)
		return uk_err_wrap(err, "remove '%s'", name);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return uk_err_errno(err, "remove directory '%s'", name);
	return 0;
}

int fs_rm_rf(const char *path, struct uk_err *err)
{
	return rm_rf_at(AT_FDCWD, path, err);
}

/*
 * Temporary names that a signal must remove. Kept in a fixed table so the
 * handler touches no allocator; more pending files than slots simply go
 * unregistered (they are still removed on the normal error paths).
 */
#define PENDING_MAX 64
static char *volatile pending[PENDING_MAX];

static void pending_add(char *name)
{
	for (size_t i = 0; i < PENDING_MAX; i++) {
		if (!pending[i]) {
			pending[i] = name;
			return;
		}
	}
}

static void pending_del(const char *name)
{
	for (size_t i = 0; i < PENDING_MAX; i++) {
		if (pending[i] == name) {
			pending[i] = NULL;
			return;
		}
	}
}

static void cleanup_on_signal(int sig)
{
	for (size_t i = 0; i < PENDING_MAX; i++) {
		if (pending[i])
			unlink(pending[i]);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void fs_atomic_install_signal_cleanup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct sigaction sa = { .sa_handler = cleanup_on_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static mode_t current_umask(void)
{
	mode_t m = umask(022);
	umask(m);
	return m;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int atomic_open(struct fs_atomic *a, const char *path, mode_t mode, bool named,
		       struct uk_err *err)
{
	_cleanup_free_ char *dir = dir_of(path);
	int fd;

	if (!named) {
		fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
		if (fd >= 0) {
			a->path = xstrdup(path);
			a->tmp = NULL;
			a->fd = fd;
			return 0;
		}
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return uk_err_errno(err, "create '%s'", path);
	}

	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		free(tmp);
		return uk_err_errno(err, "create '%s'", path);
	}
	pending_add(tmp);
	if (fchmod(fd, mode & ~current_umask()) < 0) {
		a->fd = fd;
		a->tmp = tmp;
		a->path = NULL;
		fs_atomic_abort(a);
		return uk_err_errno(err, "create '%s'", path);
	}
	a->path = xstrdup(path);
	a->tmp = tmp;
	a->fd = fd;
	return 0;
}

int fs_atomic_open(struct fs_atomic *a, const char *path, mode_t mode, struct uk_err *err)
{
	return atomic_open(a, path, mode, false, err);
}

int fs_atomic_open_named(struct fs_atomic *a, const char *path, mode_t mode, struct uk_err *err)
{
	return atomic_open(a, path, mode, true, err);
}

/*
 * Gives an unnamed (O_TMPFILE) file its final name: a hidden name first
 * (linkat cannot replace an existing file), then rename() replaces the target
 * atomically.
 */
static int link_unnamed(int fd, const char *path, struct uk_err *err)
{
	_cleanup_free_ char *dir = dir_of(path);
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int attempt = 0; attempt < 100; attempt++) {
		_cleanup_free_ char *tmp =
			xasprintf("%s/.unikit-%d-%d.tmp", dir, (int)getpid(), attempt);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0) {
			if (errno == EEXIST)
				continue;
			return uk_err_errno(err, "write '%s'", path);
		}
		pending_add(tmp);
		int r = rename(tmp, path);
		if (r < 0) {
			uk_err_errno(err, "rename into '%s'", path);
			unlink(tmp);
		}
		pending_del(tmp);
		return r < 0 ? -1 : 0;
	}
	errno = EEXIST;
	return uk_err_errno(err, "write '%s'", path);
}

int fs_atomic_commit(struct fs_atomic *a, struct uk_err *err)
{
	int r;

	BUG_ON(a->fd < 0);
	if (a->tmp) {
		r = rename(a->tmp, a->path);
		if (r < 0) {
			uk_err_errno(err, "rename into '%s'", a->path);
		} else {
			pending_del(a->tmp);
			free(a->tmp);
			a->tmp = NULL;
		}
	} else {
		r = link_unnamed(a->fd, a->path, err);
	}
	if (close(a->fd) < 0 && r == 0)
		r = uk_err_errno(err, "close '%s'", a->path);
	a->fd = -1;
	fs_atomic_abort(a);
	return r < 0 ? -1 : 0;
}

void fs_atomic_abort(struct fs_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp) {
		unlink(a->tmp);
		pending_del(a->tmp);
		free(a->tmp);
		a->tmp = NULL;
	}
	free(a->path);
	a->path = NULL;
}

int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 struct uk_err *err)
{
	_cleanup_atomic_ struct fs_atomic a = FS_ATOMIC_INIT;

	if (fs_atomic_open(&a, path, mode, err) < 0)
		return -1;
	if (xwrite_all(a.fd, data, len) < 0)
		return uk_err_errno(err, "write '%s'", path);
	return fs_atomic_commit(&a, err);
}
