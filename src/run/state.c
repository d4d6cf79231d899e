// SPDX-License-Identifier: Apache-2.0
/*
 * The state directory of a VM (PATH-state unless -state says otherwise), as
 * LinuxKit keeps it, and a little more:
 *   qemu.pid     QEMU's pid while it runs
 *   mac-addr     the NIC's MAC address, made once (LinuxKit's file and format)
 *   uuid         the SMBIOS UUID, made once
 *   disk.img     disks made for -disk size=N without a file (disk1.img, ...)
 *   data.iso     the -data / -data-file metadata disk
 *   esp.img      the EFI system partition an .efi image boots from
 *   initrd.cpio  the initramfs, decompressed (initrd.c)
 *   *VARS*.fd    the VM's UEFI variable store
 *   console.log  the console of the last run
 * Every file appears whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/run.h"
#include "util/fs.h"
#include "util/proc.h"

static int random_bytes(void *buf, size_t len, struct uk_err *err)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return uk_err_errno(err, "getrandom");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The pid in dir/qemu.pid, or 0 when there is none (or it is not a number). */
static pid_t read_pidfile(const char *path)
{
	struct uk_err err = { 0 };
	_cleanup_free_ char *buf = NULL;
	char *end;

	if (fs_read_file(path, 64, &buf, NULL, &err) < 0) {
		uk_err_release(&err);
		return 0;
	}
	errno = 0;
	long pid = strtol(buf, &end, 10);
	if (errno || end == buf || pid <= 0 || pid > INT32_MAX)
		return 0;
	return (pid_t)pid;
}

/* True when pid is alive and is a QEMU (pids are reused after a crash). */
static bool is_qemu(pid_t pid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/cmdline", (int)pid);
	_cleanup_free_ char *cmdline = NULL;
	struct uk_err err = { 0 };
	size_t len;

	if (kill(pid, 0) < 0 && errno != EPERM)
		return false;
	if (fs_read_file(path, 1 << 20, &cmdline, &len, &err) < 0) {
		uk_err_release(&err);
		return true; /* alive, and we cannot tell: assume the worst */
	}
	const char *base = strrchr(cmdline, '/');
	return strstr(base ? base : cmdline, "qemu") != NULL;
}

int run_state_prepare(const char *dir, struct uk_err *err)
{
	if (fs_mkdir_p(dir, 0755, err) < 0)
		return uk_err_wrap(err, "state directory");
	_cleanup_free_ char *pidfile = xasprintf("%s/" RUN_PIDFILE, dir);
	pid_t pid = read_pidfile(pidfile);
	if (pid > 0 && is_qemu(pid))
		return uk_err_setc(err, EBUSY,
				   "state directory '%s' is in use by a running VM (QEMU pid %d)",
				   dir, (int)pid);
	if (unlink(pidfile) < 0 && errno != ENOENT)
		return uk_err_errno(err, "remove stale '%s'", pidfile);
	return 0;
}

void run_state_pidfile_remove(const char *dir, pid_t pid)
{
	_cleanup_free_ char *pidfile = xasprintf("%s/" RUN_PIDFILE, dir);
	if (read_pidfile(pidfile) == pid)
		unlink(pidfile);
}

int run_state_mac(const char *dir, char mac[18], struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/mac-addr", dir);
	_cleanup_free_ char *buf = NULL;
	uint8_t m[6];

	if (fs_read_file(path, 64, &buf, NULL, err) == 0) {
		if (run_mac_parse(buf, m) < 0)
			return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': not a MAC address", path);
		run_mac_format(m, mac);
		return 0;
	}
	if (err->code != ENOENT)
		return -1;
	uk_err_release(err);
	if (random_bytes(m, sizeof(m), err) < 0)
		return -1;
	m[0] &= (uint8_t)~0x01; /* unicast */
	m[0] |= 0x02;		/* locally administered */
	run_mac_format(m, mac);
	return fs_write_file_atomic(path, mac, 17, 0644, err);
}

int run_state_uuid(const char *dir, char uuid[37], struct uk_err *err)
{
	_cleanup_free_ char *path = xasprintf("%s/uuid", dir);
	_cleanup_free_ char *buf = NULL;
	uint8_t u[16];

	if (fs_read_file(path, 64, &buf, NULL, err) == 0) {
		size_t n = strcspn(buf, " \t\r\n");
		bool ok = n == 36;
		for (size_t i = 0; ok && i < n; i++) {
			bool dash = i == 8 || i == 13 || i == 18 || i == 23;
			ok = dash ? buf[i] == '-'
				  : strchr("0123456789abcdefABCDEF", buf[i]) != NULL;
		}
		if (!ok)
			return uk_err_setc(err, UK_ERR_CORRUPT, "'%s': not a UUID", path);
		memcpy(uuid, buf, 36);
		uuid[36] = '\0';
		return 0;
	}
	if (err->code != ENOENT)
		return -1;
	uk_err_release(err);
	if (random_bytes(u, sizeof(u), err) < 0)
		return -1;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(uuid, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	return fs_write_file_atomic(path, uuid, 36, 0644, err);
}

/* A temporary name next to path, for files that tools write and we rename. */
static char *tmp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xasprintf(".%s.tmp-%d", path, (int)getpid());
	return xasprintf("%.*s/.%s.tmp-%d", (int)(slash - path), path, slash + 1, (int)getpid());
}

int run_state_disk(const char *dir, size_t index, struct run_disk *d, struct uk_err *err)
{
	struct stat st;

	if (!d->path) {
		if (index == 0)
			d->path = xasprintf("%s/disk.img", dir);
		else
			d->path = xasprintf("%s/disk%zu.img", dir, index);
	}
	if (stat(d->path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return uk_err_setc(err, UK_ERR_INPUT, "disk '%s' is a directory", d->path);
		if (d->format)
			return 0;
		const char *format;
		if (run_format_detect_file(d->path, &format, err) < 0)
			return uk_err_wrap(err, "disk");
		d->format = xstrdup(format);
		return 0;
	}
	if (errno != ENOENT)
		return uk_err_errno(err, "disk '%s'", d->path);
	if (d->size_mb == 0)
		return uk_err_setc(err, UK_ERR_NOT_FOUND,
				   "disk '%s' does not exist (give a size to create it)", d->path);
	if (!d->format)
		d->format = xstrdup("qcow2");

	_cleanup_free_ char *tmp = tmp_name(d->path);
	_cleanup_free_ char *size = xasprintf("%" PRIu64 "M", d->size_mb);
	const char *argv[] = { "qemu-img", "create", "-q", "-f", d->format, tmp, size, NULL };
	if (proc_run(argv, NULL, err) < 0) {
		unlink(tmp);
		return uk_err_wrap(err, "create disk '%s'", d->path);
	}
	if (rename(tmp, d->path) < 0) {
		uk_err_errno(err, "create disk '%s'", d->path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The ISO 9660 writers, in order of preference; they take mkisofs's options. */
static const char *const iso_tools[][3] = {
	{ "xorriso", "-as", "mkisofs" },
	{ "genisoimage", NULL, NULL },
	{ "mkisofs", NULL, NULL },
};

/* Fills the staging directory with what the ISO holds. */
static int metadata_stage(const char *stage, const char *data, size_t len, const char *uuid,
			  struct uk_err *err)
{
	static const char *const names[] = { "config", "user-data" };
	_cleanup_free_ char *meta = xasprintf("instance-id: unikit-%s\n", uuid);
	_cleanup_free_ char *meta_path = xasprintf("%s/meta-data", stage);

	if (fs_mkdir_p(stage, 0700, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", stage, names[i]);
		if (fs_write_file_atomic(path, data, len, 0644, err) < 0)
			return -1;
	}
	return fs_write_file_atomic(meta_path, meta, strlen(meta), 0644, err);
}

static int metadata_write(const char *const tool[3], const char *stage, const char *out,
			  struct uk_err *err)
{
	/* Joliet and Rock Ridge keep "user-data" as it is; the label is what NoCloud looks for */
	static const char *const opts[] = {
		"-quiet", "-input-charset", "utf-8", "-V", "cidata", "-J", "-r", "-o"
	};
	_cleanup_run_argv_ struct run_argv argv = RUN_ARGV_INIT;

	for (size_t i = 0; i < 3 && tool[i]; i++)
		run_argv_add(&argv, tool[i]);
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		run_argv_add(&argv, opts[i]);
	run_argv_add(&argv, out);
	run_argv_add(&argv, stage);
	return proc_run((const char *const *)argv.v, NULL, err);
}

int run_state_metadata_iso(const char *dir, const char *data, size_t len, const char *uuid,
			   char **iso, struct uk_err *err)
{
	_cleanup_free_ char *out = xasprintf("%s/data.iso", dir);
	_cleanup_free_ char *tmp = tmp_name(out);
	_cleanup_free_ char *stage = xasprintf("%s/.cidata.tmp-%d", dir, (int)getpid());
	struct uk_err ignored = { 0 };
	size_t t;
	int r;

	for (t = 0; t < ARRAY_SIZE(iso_tools); t++) {
		if (proc_have(iso_tools[t][0]))
			break;
	}
	if (t == ARRAY_SIZE(iso_tools))
		return uk_err_setc(err, UK_ERR_NOT_FOUND,
				   "metadata ISO: neither 'xorriso' nor 'genisoimage' found in "
				   "PATH (install xorriso)");

	r = metadata_stage(stage, data, len, uuid, err);
	if (r == 0)
		r = metadata_write(iso_tools[t], stage, tmp, err);
	if (r == 0 && rename(tmp, out) < 0)
		r = uk_err_errno(err, "rename into '%s'", out);
	unlink(tmp);
	if (fs_rm_rf(stage, &ignored) < 0)
		uk_err_release(&ignored);
	if (r < 0)
		return uk_err_wrap(err, "metadata ISO '%s'", out);
	*iso = TAKE_PTR(out);
	return 0;
}

int run_state_esp(const char *dir, enum run_arch arch, const char *efi, char **esp,
		  struct uk_err *err)
{
	_cleanup_free_ char *out = xasprintf("%s/esp.img", dir);
	_cleanup_free_ char *tmp = tmp_name(out);
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint64_t size;

	if (!proc_have("mformat") || !proc_have("mcopy"))
		return uk_err_setc(err, UK_ERR_NOT_FOUND,
				   "EFI boot: 'mformat' and 'mcopy' not found in PATH (install "
				   "mtools)");
	if (stat(efi, &st) < 0)
		return uk_err_errno(err, "EFI boot: '%s'", efi);
	/* room for the file and the FAT's own structures, in whole MiB */
	size = (uint64_t)st.st_size + (uint64_t)st.st_size / 16 + (4u << 20);
	size = (size + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return uk_err_errno(err, "EFI boot: create '%s'", tmp);
	if (ftruncate(fd, (off_t)size) < 0) {
		uk_err_errno(err, "EFI boot: size '%s'", tmp);
		unlink(tmp);
		return -1;
	}
	_cleanup_free_ char *dst = xasprintf(
		"::/EFI/BOOT/%s", arch == RUN_ARCH_AARCH64 ? "BOOTAA64.EFI" : "BOOTX64.EFI");
	const char *format[] = { "mformat", "-i", tmp, "-v", "ESP", "::", NULL };
	const char *mkdir[] = { "mmd", "-i", tmp, "::/EFI", "::/EFI/BOOT", NULL };
	const char *copy[] = { "mcopy", "-i", tmp, efi, dst, NULL };
	if (proc_run(format, NULL, err) < 0 || proc_run(mkdir, NULL, err) < 0 ||
	    proc_run(copy, NULL, err) < 0) {
		unlink(tmp);
		return uk_err_wrap(err, "EFI boot: ESP '%s'", out);
	}
	if (rename(tmp, out) < 0) {
		uk_err_errno(err, "EFI boot: ESP '%s'", out);
		unlink(tmp);
		return -1;
	}
	*esp = TAKE_PTR(out);
	return 0;
}

static int copy_file(const char *src, const char *dst, struct uk_err *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;

	if (fs_read_file(src, 256u << 20, &data, &len, err) < 0)
		return -1;
	return fs_write_file_atomic(dst, data, len, 0644, err);
}

int run_state_fw_vars(const char *dir, const struct run_firmware *fw, char **vars,
		      struct uk_err *err)
{
	const char *src = fw->vars ? fw->vars : fw->code;
	const char *base = strrchr(src, '/');
	_cleanup_free_ char *dst = xasprintf("%s/%s", dir, base ? base + 1 : src);
	struct stat s_src, s_dst;

	if (stat(src, &s_src) < 0)
		return uk_err_errno(err, "firmware '%s'", src);
	/* the VM keeps its variables; a copy of another size belongs to other firmware */
	if (stat(dst, &s_dst) < 0 || s_dst.st_size != s_src.st_size) {
		if (copy_file(src, dst, err) < 0)
			return uk_err_wrap(err, "firmware variables");
	}
	*vars = TAKE_PTR(dst);
	return 0;
}
