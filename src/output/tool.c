// SPDX-License-Identifier: Apache-2.0
#include "output/tool.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Where each program and file comes from (scripts/deps/formats.txt installs them). */
static const struct {
	const char *what;
	const char *package;
} origins[] = {
	{ "xorriso", "xorriso" },
	{ "mformat", "mtools" },
	{ "mcopy", "mtools" },
	{ "mmd", "mtools" },
	{ "syslinux", "syslinux" },
	{ "qemu-img", "qemu-utils" },
	{ "mksquashfs", "squashfs-tools" },
	{ "mkfs.erofs", "erofs-utils" },
	{ "fakeroot", "fakeroot" },
	{ "bsdtar", "libarchive-tools" },
	{ "sbsign", "sbsigntool" },
	{ "/usr/lib/ISOLINUX/", "isolinux" },
	{ "/usr/lib/syslinux/", "syslinux-common" },
	{ "/usr/lib/systemd/boot/efi/", "systemd-boot-efi" },
	{ "/bin/busybox", "busybox-static" },
};

static const char *package_of(const char *what)
{
	for (size_t i = 0; i < ARRAY_SIZE(origins); i++) {
		const char *o = origins[i].what;
		size_t n = strlen(o);
		if (strcmp(what, o) == 0 || (o[n - 1] == '/' && strncmp(what, o, n) == 0))
			return origins[i].package;
	}
	return NULL;
}

int output_tool_need(const char *prog, struct uk_err *err)
{
	if (proc_have(prog))
		return 0;
	const char *pkg = package_of(prog);
	if (pkg)
		return uk_err_setc(err, UK_ERR_NOT_FOUND,
				   "program '%s' not found (install the Debian package '%s')", prog,
				   pkg);
	return uk_err_setc(err, UK_ERR_NOT_FOUND, "program '%s' not found", prog);
}

int output_tool_file(const char *path, struct uk_err *err)
{
	if (access(path, R_OK) == 0)
		return 0;
	const char *pkg = package_of(path);
	if (pkg)
		return uk_err_setc(err, UK_ERR_NOT_FOUND,
				   "file '%s' not found (install the Debian package '%s')", path,
				   pkg);
	return uk_err_errno(err, "file '%s'", path);
}

static bool overridden(const char *var)
{
	static const char *const ours[] = { "SOURCE_DATE_EPOCH=", "TZ=", "LC_ALL=",
					    "MTOOLS_SKIP_CHECK=", "MTOOLSRC=" };
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++)
		if (str_has_prefix(var, ours[i]))
			return true;
	return false;
}

int output_tool_run(const char *const argv[], int64_t epoch, const struct proc_opts *opts,
		    struct uk_err *err)
{
	struct proc_opts o = PROC_OPTS_INIT;
	size_t n = 0, i = 0;
	int r;

	if (opts)
		o = *opts;
	while (environ[n])
		n++;
	const char **env = xcalloc(n + 6, sizeof(*env));
	_cleanup_free_ char *sde = xasprintf("SOURCE_DATE_EPOCH=%lld", (long long)epoch);
	for (size_t k = 0; k < n; k++)
		if (!overridden(environ[k]))
			env[i++] = environ[k];
	env[i++] = sde;
	env[i++] = "TZ=UTC";
	env[i++] = "LC_ALL=C";
	/* mtools: images are files with partitions at offsets, not floppies */
	env[i++] = "MTOOLS_SKIP_CHECK=1";
	env[i++] = "MTOOLSRC=/dev/null";
	env[i] = NULL;
	o.envp = env;
	r = proc_run(argv, &o, err);
	free(env);
	return r;
}
