// SPDX-License-Identifier: Apache-2.0
/*
 * The package's content hash: every file below the package directory (path,
 * type, mode as git sees it, contents), in path order. Git-like modes (0644
 * or 0755) keep the hash the same across checkouts with different umasks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkg/pkg-internal.h"

static int hash_file(struct sha256 *h, int dfd, const char *name, const char *rel,
		     const struct stat *st, struct uk_err *err)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	uint64_t total = 0;

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", rel);
	strbuf_addf(&sb, "F %s %s %llu\n", rel, (st->st_mode & 0111) ? "0755" : "0644",
		    (unsigned long long)st->st_size);
	sha256_update(h, sb.buf, sb.len + 1);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uk_err_errno(err, "read '%s'", rel);
		}
		if (n == 0)
			break;
		sha256_update(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (total != (uint64_t)st->st_size)
		return uk_err_set(err, "'%s' changed while it was read", rel);
	return 0;
}

static int hash_tree(struct sha256 *h, int dfd, struct strbuf *rel, int depth, struct uk_err *err)
{
	_cleanup_(strv_release) struct strv names = STRV_INIT;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (depth > 64)
		return uk_err_set(err, "'%s': directories nested too deep", rel->buf);
	int fd = dup(dfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return uk_err_errno(err, "read directory '%s'", rel->len ? rel->buf : ".");
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	}
	closedir(d);
	strv_sort(&names);

	size_t base = rel->len;
	for (size_t i = 0; i < names.n && ret == 0; i++) {
		struct stat st;
		strbuf_setlen(rel, base);
		if (base)
			strbuf_addch(rel, '/');
		strbuf_addstr(rel, names.v[i]);
		if (fstatat(dfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = uk_err_errno(err, "stat '%s'", rel->buf);
			break;
		}
		if (S_ISREG(st.st_mode)) {
			ret = hash_file(h, dfd, names.v[i], rel->buf, &st, err);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(dfd, names.v[i], target, sizeof(target) - 1);
			if (n < 0) {
				ret = uk_err_errno(err, "read link '%s'", rel->buf);
				break;
			}
			target[n] = '\0';
			_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
			strbuf_addf(&sb, "L %s %s\n", rel->buf, target);
			sha256_update(h, sb.buf, sb.len + 1);
		} else if (S_ISDIR(st.st_mode)) {
			_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
			strbuf_addf(&sb, "D %s\n", rel->buf);
			sha256_update(h, sb.buf, sb.len + 1);
			_cleanup_close_ int sub = openat(
				dfd, names.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				ret = uk_err_errno(err, "open directory '%s'", rel->buf);
				break;
			}
			ret = hash_tree(h, sub, rel, depth + 1, err);
		} else {
			ret = uk_err_setc(err, UK_ERR_INPUT,
					  "'%s' is not a file, a directory or a symlink", rel->buf);
		}
	}
	strbuf_setlen(rel, base);
	return ret;
}

int pkg_hash_dir(struct sha256 *h, const char *dir, struct uk_err *err)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strbuf_ struct strbuf rel = STRBUF_INIT;

	if (dfd < 0)
		return uk_err_errno(err, "open directory '%s'", dir);
	if (hash_tree(h, dfd, &rel, 0, err) < 0)
		return uk_err_wrap(err, "hash '%s'", dir);
	return 0;
}

static bool valid_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	}
	return true;
}

int pkg_tag_expand(const char *tmpl, const char *hash, char **out, struct uk_err *err)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	const char *p = tmpl;

	while (*p) {
		const char *open = strstr(p, "{{");
		if (!open) {
			strbuf_addstr(&sb, p);
			break;
		}
		strbuf_add(&sb, p, (size_t)(open - p));
		const char *close = strstr(open, "}}");
		if (!close)
			return uk_err_setc(err, UK_ERR_INPUT, "tag '%s': '{{' without '}}'", tmpl);
		const char *a = open + 2, *b = close;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		if ((size_t)(b - a) != strlen(".Hash") || strncmp(a, ".Hash", 5) != 0)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "tag '%s': only {{.Hash}} can be used in a tag", tmpl);
		strbuf_addstr(&sb, hash);
		p = close + 2;
	}
	if (!valid_tag(sb.buf))
		return uk_err_setc(err, UK_ERR_INPUT, "tag '%s' is not a valid image tag", sb.buf);
	*out = strbuf_detach(&sb, NULL);
	return 0;
}
