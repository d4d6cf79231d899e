// SPDX-License-Identifier: Apache-2.0
/*
 * Root file system images for a kernel that mounts its root from a disk:
 *   squashfs: mksquashfs reads the root tar itself (-tar), so owners and
 *             device nodes come from the tar;
 *   erofs, ISO 9660: mkfs.erofs 1.5 and xorriso read a directory, which is
 *             extracted and read under one fakeroot session: owners and device
 *             nodes are recorded by fakeroot, not by the file system.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/disk.h"
#include "output/iso.h"
#include "output/root.h"
#include "output/tool.h"
#include "util/strbuf.h"

int output_squashfs_make(const char *tar, const char *out, int64_t epoch, struct uk_err *err)
{
	_cleanup_free_ char *t = xasprintf("%" PRId64, epoch > 0 ? epoch : 0);
	/* mksquashfs refuses SOURCE_DATE_EPOCH beside its own, exact, time options */
	const char *argv[] = { "env",
			       "-u",
			       "SOURCE_DATE_EPOCH",
			       "mksquashfs",
			       "-",
			       out,
			       "-tar",
			       "-noappend",
			       "-quiet",
			       "-no-progress",
			       "-all-time",
			       t,
			       "-mkfs-time",
			       t,
			       "-root-time",
			       t,
			       "-root-mode",
			       "0755",
			       "-root-uid",
			       "0",
			       "-root-gid",
			       "0",
			       NULL };
	struct proc_opts o = PROC_OPTS_INIT;
	_cleanup_close_ int fd = -1;

	if (output_tool_need("mksquashfs", err) < 0)
		return -1;
	fd = open(tar, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return uk_err_errno(err, "open '%s'", tar);
	o.stdin_fd = fd;
	/* mksquashfs appends to an existing image unless told not to: start from nothing */
	unlink(out);
	if (output_tool_run(argv, epoch, &o, err) < 0)
		return uk_err_wrap(err, "write the squashfs image");
	return 0;
}

static char *state_of(const char *stage)
{
	return xasprintf("%s.fakeroot", stage);
}

int output_root_stage(const char *tar, const char *stage, struct uk_err *err)
{
	_cleanup_free_ char *state = state_of(stage);
	const char *argv[] = { "fakeroot",	  "-s", state, "--", "bsdtar", "-x", "-p",
			       "--numeric-owner", "-f", tar,   "-C", stage,    NULL };

	if (output_tool_need("fakeroot", err) < 0 || output_tool_need("bsdtar", err) < 0)
		return -1;
	if (mkdir(stage, 0755) < 0)
		return uk_err_errno(err, "create '%s'", stage);
	if (output_tool_run(argv, 0, NULL, err) < 0)
		return uk_err_wrap(err, "extract the root");
	return 0;
}

int output_erofs_make(const char *stage, const char *out, const char *digest, int64_t epoch,
		      struct uk_err *err)
{
	_cleanup_free_ char *state = state_of(stage);
	_cleanup_free_ char *t = xasprintf("-T%" PRId64, epoch > 0 ? epoch : 0);
	struct output_seed seed;
	uint8_t u[16];
	char uuid[40];

	if (output_tool_need("mkfs.erofs", err) < 0)
		return -1;
	const char *strs[] = { "erofs-uuid", digest, t, NULL };
	output_seed_from(&seed, NULL, 0, strs);
	output_seed_bytes(&seed, "uuid", u, sizeof(u));
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	_cleanup_free_ char *uopt = xasprintf("-U%s", uuid);
	const char *argv[] = { "fakeroot", "-i", state, "--", "mkfs.erofs", "--quiet",
			       "-x-1",	   t,	 uopt,	out,  stage,	    NULL };
	unlink(out);
	if (output_tool_run(argv, epoch, NULL, err) < 0)
		return uk_err_wrap(err, "write the erofs image");
	return 0;
}

int output_rootiso_make(const char *stage, const char *out, const char *name, int64_t epoch,
			struct uk_err *err)
{
	_cleanup_free_ char *state = state_of(stage);
	_cleanup_free_ char *volid = output_iso_volid(name);
	_cleanup_(output_iso_args_release) struct output_iso_args a;

	if (output_tool_need("fakeroot", err) < 0 || output_tool_need("xorriso", err) < 0)
		return -1;
	output_iso_args_init(&a, out, volid, epoch);
	/* run under the fakeroot session that extracted the stage */
	static const char *const pre[] = { "fakeroot", "-i", NULL, "--" };
	char **argv = xcalloc(a.n + ARRAY_SIZE(pre) + 2, sizeof(*argv));
	size_t k = 0;
	for (size_t i = 0; i < ARRAY_SIZE(pre); i++)
		argv[k++] = (char *)(pre[i] ? pre[i] : state);
	for (size_t i = 0; i < a.n; i++)
		argv[k++] = a.argv[i];
	_cleanup_free_ char *root = xasprintf("/=%s", stage);
	argv[k++] = root;
	argv[k] = NULL;
	unlink(out);
	int r = output_tool_run((const char *const *)argv, epoch, NULL, err);
	free(argv);
	if (r < 0)
		return uk_err_wrap(err, "write the ISO");
	return 0;
}

char *output_root_cmdline(const char *cmdline)
{
	struct strbuf sb = STRBUF_INIT;
	bool has_root = false;
	const char *p = cmdline;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (str_has_prefix(p, "root="))
			has_root = true;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
	}
	strbuf_addstr(&sb, cmdline);
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == ' '))
		strbuf_setlen(&sb, sb.len - 1);
	if (!has_root)
		strbuf_addf(&sb, "%sroot=" OUTPUT_ROOT_DEVICE, sb.len ? " " : "");
	return strbuf_detach(&sb, NULL);
}
