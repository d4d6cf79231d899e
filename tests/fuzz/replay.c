// SPDX-License-Identifier: Apache-2.0
/*
 * A replay main for the libFuzzer targets in tests/fuzz/: built with gcc, it
 * feeds every file under the given directories (the corpus) to
 * LLVMFuzzerTestOneInput, so the corpus runs as a regression test. Built with
 * clang -fsanitize=fuzzer, the target links libFuzzer's main instead.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path, int *count)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		int r = 0;

		if (!d) {
			perror(path);
			return -1;
		}
		while (r == 0 && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			_cleanup_free_ char *sub = xasprintf("%s/%s", path, de->d_name);
			r = replay(sub, count);
		}
		closedir(d);
		return r;
	}
	struct uk_err err = { 0 };
	char *data;
	size_t len;
	if (fs_read_file(path, 64u << 20, &data, &len, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		uk_err_release(&err);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	(*count)++;
	return 0;
}

int main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++) {
		if (replay(argv[i], &count) < 0)
			return 1;
	}
	printf("replayed %d inputs\n", count);
	return count > 0 ? 0 : 1;
}
