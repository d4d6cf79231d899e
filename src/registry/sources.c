// SPDX-License-Identifier: Apache-2.0
/*
 * Where blobs came from: STORE/registry-sources/HEX holds one line
 * "REGISTRY<TAB>REPOSITORY" per repository a blob was pulled from or pushed
 * to. A push asks a registry to mount a blob from such a repository instead
 * of uploading it again. The file is a hint: losing it costs an upload.
 * `cache clean` (store_gc()) removes the records of blobs it removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/fs.h"

#define SOURCES_MAX (256u << 10)

static char *sources_path(struct store *store, const char *digest)
{
	return xasprintf("%s/" STORE_DIR_SOURCES "/%s", store_dir(store), digest + 7);
}

static bool line_field_ok(const char *s)
{
	return *s && !strpbrk(s, "\t\n");
}

void reg_sources_add(struct store *store, const char *digest, const char *registry,
		     const char *repo)
{
	_cleanup_free_ char *path = NULL, *text = NULL, *line = NULL;
	_cleanup_close_ int fd = -1;
	struct uk_err err = { 0 };

	if (!oci_digest_valid(digest) || !line_field_ok(registry) || !line_field_ok(repo))
		return;
	path = sources_path(store, digest);
	line = xasprintf("%s\t%s\n", registry, repo);
	if (fs_read_file(path, SOURCES_MAX, &text, NULL, &err) == 0) {
		size_t n = strlen(line);
		for (const char *p = text; *p;) {
			if (!strncmp(p, line, n))
				return; /* already recorded */
			const char *nl = strchr(p, '\n');
			if (!nl)
				break;
			p = nl + 1;
		}
	} else {
		uk_err_release(&err);
		_cleanup_free_ char *dir = xasprintf("%s/" STORE_DIR_SOURCES, store_dir(store));
		if (fs_mkdir_p(dir, 0755, &err) < 0) {
			uk_err_release(&err);
			return;
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	/* One short write with O_APPEND: concurrent writers do not interleave within a line. */
	if (fd >= 0 && xwrite_all(fd, line, strlen(line)) < 0)
		return;
}

char *reg_sources_find(struct store *store, const char *digest, const char *registry,
		       const char *repo)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct uk_err err = { 0 };
	char *found = NULL;

	if (!oci_digest_valid(digest))
		return NULL;
	path = sources_path(store, digest);
	if (fs_read_file(path, SOURCES_MAX, &text, NULL, &err) < 0) {
		uk_err_release(&err);
		return NULL;
	}
	size_t rlen = strlen(registry);
	for (char *p = text; *p;) {
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (!strncmp(p, registry, rlen) && p[rlen] == '\t' && strcmp(p + rlen + 1, repo)) {
			free(found);
			found = xstrdup(p + rlen + 1);
		}
		p = nl + 1;
	}
	return found;
}
