// SPDX-License-Identifier: Apache-2.0
/* Small helpers shared by the package builder: string vectors, the host's architecture, the epoch.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "pkg/pkg-internal.h"

void strv_push_take(struct strv *sv, char *s)
{
	XGROW(sv->v, sv->alloc, sv->n + 2);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strv_push(struct strv *sv, const char *s)
{
	strv_push_take(sv, xstrdup(s));
}

bool strv_contains(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++) {
		if (strcmp(sv->v[i], s) == 0)
			return true;
	}
	return false;
}

void strv_sort(struct strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), str_ptr_cmp);
}

void strv_release(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

const char **strv_argv(const struct strv *sv)
{
	const char **argv = xcalloc(sv->n + 1, sizeof(*argv));

	for (size_t i = 0; i < sv->n; i++)
		argv[i] = sv->v[i];
	return argv;
}

const char *pkg_host_arch(void)
{
	static const struct {
		const char *machine, *arch;
	} map[] = {
		{ "x86_64", "amd64" },	  { "aarch64", "arm64" },   { "s390x", "s390x" },
		{ "riscv64", "riscv64" }, { "ppc64le", "ppc64le" }, { "i686", "386" },
	};
	static char machine[65];
	struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (strcmp(u.machine, map[i].machine) == 0)
			return map[i].arch;
	}
	snprintf(machine, sizeof(machine), "%s", u.machine);
	return machine;
}

int64_t pkg_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;

	if (!s || !*s)
		return 0;
	long long v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return 0;
	return v;
}

extern char **environ;

const char *const *pkg_c_locale_env(void)
{
	static const char **env;

	if (env)
		return env;
	size_t n = 0;
	while (environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (str_has_prefix(environ[i], "LC_") || str_has_prefix(environ[i], "LANG=") ||
		    str_has_prefix(environ[i], "LANGUAGE="))
			continue;
		env[k++] = environ[i];
	}
	env[k++] = "LC_ALL=C";
	env[k] = NULL;
	return env;
}
