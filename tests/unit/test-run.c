// SPDX-License-Identifier: Apache-2.0
/* cmocka.h needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/run.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strbuf.h"

/* ---- helpers ---------------------------------------------------------- */

static char *tmpdir_new(void)
{
	char *d = xstrdup("/tmp/unikit-test-run-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void tmpdir_free(char *d)
{
	struct uk_err err = { 0 };
	assert_int_equal(fs_rm_rf(d, &err), 0);
	free(d);
}

static void write_file(const char *path, const void *data, size_t len)
{
	struct uk_err err = { 0 };
	assert_int_equal(fs_write_file_atomic(path, data, len, 0644, &err), 0);
}

/* Index of the first argument equal to s at or after from, or -1. */
static int argv_find(const struct run_argv *a, const char *s, int from)
{
	for (int i = from; i < (int)a->n; i++) {
		if (!strcmp(a->v[i], s))
			return i;
	}
	return -1;
}

/* The value that follows option opt whose value starts with prefix. */
static const char *opt_value(const struct run_argv *a, const char *opt, const char *prefix)
{
	for (size_t i = 0; i + 1 < a->n; i++) {
		if (!strcmp(a->v[i], opt) && str_has_prefix(a->v[i + 1], prefix))
			return a->v[i + 1];
	}
	return NULL;
}

/* ---- option values ---------------------------------------------------- */

static void test_disk_parse(void **state)
{
	struct uk_err err = { 0 };
	struct run_disk d;

	assert_int_equal(run_disk_parse("data.img", &d, &err), 0);
	assert_string_equal(d.path, "data.img");
	assert_null(d.format);
	assert_int_equal(d.size_mb, 0);
	run_disk_release(&d);

	assert_int_equal(run_disk_parse("file=x.qcow2,size=1G,format=qcow2", &d, &err), 0);
	assert_string_equal(d.path, "x.qcow2");
	assert_string_equal(d.format, "qcow2");
	assert_int_equal(d.size_mb, 1024);
	run_disk_release(&d);

	/* LinuxKit's form for a disk in the state directory */
	assert_int_equal(run_disk_parse("size=100M", &d, &err), 0);
	assert_null(d.path);
	assert_int_equal(d.size_mb, 100);
	run_disk_release(&d);

	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{ "", "empty file name" },
		{ "format=raw", "needs a file or a size" },
		{ "a,b", "more than one file" },
		{ "x,size=1G,size=2G", "more than one size" },
		{ "x,format=ext4", "unknown format 'ext4'" },
		{ "x,format=raw,format=raw", "more than one format" },
		{ "x,bus=ide", "unknown key 'bus'" },
		{ "x,size=big", "size 'big'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(run_disk_parse(bad[i].spec, &d, &err), -1);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s': got '%s'", bad[i].spec, err.msg);
		uk_err_release(&err);
	}
}

static void test_publish_parse(void **state)
{
	struct uk_err err = { 0 };
	struct run_publish p;

	assert_int_equal(run_publish_parse("8080:80", &p, &err), 0);
	assert_string_equal(p.addr, "127.0.0.1");
	assert_int_equal(p.host_port, 8080);
	assert_int_equal(p.guest_port, 80);
	assert_false(p.udp);
	assert_int_equal(run_publish_parse("0.0.0.0:53:5353/UDP", &p, &err), 0);
	assert_string_equal(p.addr, "0.0.0.0");
	assert_int_equal(p.host_port, 53);
	assert_int_equal(p.guest_port, 5353);
	assert_true(p.udp);
	assert_int_equal(run_publish_parse("127.0.0.2:1:65535/tcp", &p, &err), 0);
	assert_string_equal(p.addr, "127.0.0.2");
	assert_int_equal(p.guest_port, 65535);

	const char *bad[] = { "80",	  "a:80",	"80:b",		 "0:80",
			      "80:65536", "80:80/sctp", ":80:80",	 "host:80:80",
			      "1:2:3:4",  "80:",	"127.0.0.1:80:", "::1:80:80" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (run_publish_parse(bad[i], &p, &err) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "publish '"));
		uk_err_release(&err);
	}
}

static void test_publish_check(void **state)
{
	struct uk_err err = { 0 };
	struct run_publish p = { .addr = "127.0.0.1" };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	p.host_port = ntohs(sa.sin_port);
	p.guest_port = 80;
	assert_int_equal(run_publish_check(&p, &err), -1);
	assert_int_equal(err.code, EADDRINUSE);
	assert_non_null(strstr(err.msg, "already in use"));
	uk_err_release(&err);
	close(fd);
	/* free again */
	assert_int_equal(run_publish_check(&p, &err), 0);
}

static void test_net_accel_arch(void **state)
{
	struct uk_err err = { 0 };
	enum run_net_mode mode;
	char *ifname;

	assert_int_equal(run_net_parse("user", &mode, &ifname, &err), 0);
	assert_int_equal(mode, RUN_NET_USER);
	assert_null(ifname);
	assert_int_equal(run_net_parse("default", &mode, &ifname, &err), 0);
	assert_int_equal(mode, RUN_NET_USER);
	assert_int_equal(run_net_parse("none", &mode, &ifname, &err), 0);
	assert_int_equal(mode, RUN_NET_NONE);
	assert_int_equal(run_net_parse("tap,tap0", &mode, &ifname, &err), 0);
	assert_int_equal(mode, RUN_NET_TAP);
	assert_string_equal(ifname, "tap0");
	free(ifname);
	assert_int_equal(run_net_parse("bridge,br0", &mode, &ifname, &err), 0);
	assert_int_equal(mode, RUN_NET_BRIDGE);
	assert_string_equal(ifname, "br0");
	free(ifname);
	const char *bad[] = { "tap", "tap,", "bridge", "none,x", "vmnet", "tap,a,b", "tap,../x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (run_net_parse(bad[i], &mode, &ifname, &err) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		uk_err_release(&err);
	}

	enum run_accel a;
	assert_int_equal(run_accel_parse("tcg", &a, &err), 0);
	assert_int_equal(a, RUN_ACCEL_TCG);
	assert_string_equal(run_accel_name(a), "tcg");
	assert_int_equal(run_accel_parse("hvf", &a, &err), -1);
	uk_err_release(&err);

	enum run_arch arch;
	assert_int_equal(run_arch_parse("arm64", &arch, &err), 0);
	assert_int_equal(arch, RUN_ARCH_AARCH64);
	assert_int_equal(run_arch_parse("x86_64", &arch, &err), 0);
	assert_string_equal(run_qemu_binary(arch), "qemu-system-x86_64");
	assert_int_equal(run_arch_parse("riscv64", &arch, &err), -1);
	uk_err_release(&err);
}

static void test_mac(void **state)
{
	uint8_t m[6];
	char s[18];

	assert_int_equal(run_mac_parse("02:AB:cd:00:11:ff\n", m), 0);
	run_mac_format(m, s);
	assert_string_equal(s, "02:ab:cd:00:11:ff");
	assert_int_equal(run_mac_parse("02-ab-cd-00-11-ff", m), 0);
	assert_int_equal(run_mac_parse("02:ab:cd:00:11", m), -1);
	assert_int_equal(run_mac_parse("02:ab:cd:00:11:ff:00", m), -1);
	assert_int_equal(run_mac_parse("0g:ab:cd:00:11:ff", m), -1);
	assert_int_equal(run_mac_parse("", m), -1);
}

/* ---- formats and PATH detection --------------------------------------- */

static void test_format_detect(void **state)
{
	uint8_t *head = xcalloc(1, 65536);
	uint8_t tail[512] = { 0 };

	assert_string_equal(run_format_detect(head, 65536, tail, 512), "raw");
	memcpy(head, "QFI\xfb\0\0\0\x03", 8);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "qcow2");
	memcpy(head, "QFI\xfb\0\0\0\x01", 8);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "qcow");
	memcpy(head, "KDMV", 4);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "vmdk");
	memcpy(head, "# Disk DescriptorFile\n", 22);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "vmdk");
	memcpy(head, "conectix", 8);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "vpc");
	memcpy(head, "vhdxfile", 8);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "vhdx");
	memcpy(head, "QED\0", 4);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "qed");
	memset(head, 0, 64);
	memcpy(head + 0x40, "\x7f\x10\xda\xbe", 4);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "vdi");
	memset(head, 0, 0x50);
	/* a fixed VHD: raw data and a footer at the end */
	memcpy(tail, "conectix", 8);
	assert_string_equal(run_format_detect(head, 65536, tail, 512), "vpc");
	assert_string_equal(run_format_detect(head, 65536, NULL, 0), "raw");
	/* short files */
	assert_string_equal(run_format_detect(head, 2, NULL, 0), "raw");
	assert_string_equal(run_format_detect((const uint8_t *)"QFI", 3, NULL, 0), "raw");

	/* ISO 9660, pure and hybrid */
	memset(head, 0, 65536);
	memcpy(head + 0x8001, "CD001", 5);
	assert_true(run_format_is_iso(head, 65536));
	assert_false(run_format_is_iso(head, 0x8003));
	head[510] = 0x55;
	head[511] = 0xaa;
	assert_false(run_format_is_iso(head, 65536));
	free(head);
}

static void test_format_efi(void **state)
{
	uint8_t pe[512] = { 0 };

	memcpy(pe, "MZ", 2);
	pe[0x3c] = 0x80;
	memcpy(pe + 0x80, "PE\0\0", 4);
	pe[0x80 + 24] = 0x0b; /* PE32+ */
	pe[0x80 + 25] = 0x02;
	pe[0x80 + 24 + 68] = 10; /* EFI application */
	assert_true(run_format_is_efi_app(pe, sizeof(pe)));
	pe[0x80 + 24 + 68] = 3; /* a Windows console program */
	assert_false(run_format_is_efi_app(pe, sizeof(pe)));
	pe[0x80 + 24 + 68] = 10;
	assert_false(run_format_is_efi_app(pe, 0x80 + 40)); /* cut short */
	pe[0x3c] = 0xff;
	pe[0x3d] = 0xff;
	assert_false(run_format_is_efi_app(pe, sizeof(pe))); /* header out of the file */
	assert_false(run_format_is_efi_app((const uint8_t *)"MZ", 2));
}

static void test_image_detect(void **state)
{
	char *dir = tmpdir_new();
	_cleanup_free_ char *prefix = xasprintf("%s/img", dir);
	_cleanup_free_ char *kernel = xasprintf("%s-kernel", prefix);
	_cleanup_free_ char *initrd = xasprintf("%s-initrd.img", prefix);
	_cleanup_free_ char *cmdline = xasprintf("%s-cmdline", prefix);
	_cleanup_free_ char *squashfs = xasprintf("%s-squashfs.img", prefix);
	struct uk_err err = { 0 };
	struct run_image img;

	/* nothing there */
	assert_int_equal(run_image_detect(prefix, RUN_BOOT_AUTO, &img, &err), -1);
	assert_int_equal(err.code, UK_ERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "not found"));
	uk_err_release(&err);

	/* a kernel without an initrd */
	write_file(kernel, "k", 1);
	assert_int_equal(run_image_detect(prefix, RUN_BOOT_AUTO, &img, &err), -1);
	assert_non_null(strstr(err.msg, "initrd '"));
	uk_err_release(&err);

	/* kernel+initrd, the command line's white space folded */
	write_file(initrd, "i", 1);
	write_file(cmdline, " console=ttyS0\n  quiet \n", 24);
	assert_int_equal(run_image_detect(prefix, RUN_BOOT_AUTO, &img, &err), 0);
	assert_int_equal(img.boot, RUN_BOOT_KERNEL);
	assert_string_equal(img.kernel, kernel);
	assert_string_equal(img.initrd, initrd);
	assert_string_equal(img.cmdline, "console=ttyS0   quiet");
	assert_string_equal(img.prefix, prefix);
	run_image_release(&img);

	/* a squashfs wins over the initrd, which stays for the modules it may load */
	write_file(squashfs, "s", 1);
	assert_int_equal(run_image_detect(prefix, RUN_BOOT_AUTO, &img, &err), 0);
	assert_int_equal(img.boot, RUN_BOOT_ROOTDISK);
	assert_string_equal(img.file, squashfs);
	assert_string_equal(img.cmdline, "console=ttyS0   quiet root=" RUN_ROOTDISK_DEVICE);
	assert_string_equal(img.initrd, initrd);
	run_image_release(&img);
	/* -kernel forces the initrd boot */
	assert_int_equal(run_image_detect(prefix, RUN_BOOT_KERNEL, &img, &err), 0);
	assert_int_equal(img.boot, RUN_BOOT_KERNEL);
	run_image_release(&img);

	/* disk images by content, whatever their name */
	_cleanup_free_ char *disk = xasprintf("%s/disk.img", dir);
	write_file(disk, "QFI\xfb\0\0\0\x03", 8);
	assert_int_equal(run_image_detect(disk, RUN_BOOT_AUTO, &img, &err), 0);
	assert_int_equal(img.boot, RUN_BOOT_DISK);
	assert_string_equal(img.format, "qcow2");
	assert_string_equal(img.prefix, disk);
	run_image_release(&img);

	/* .iso: a CD whatever the content, and the prefix loses the suffix */
	_cleanup_free_ char *iso = xasprintf("%s/cd.iso", dir);
	write_file(iso, "x", 1);
	assert_int_equal(run_image_detect(iso, RUN_BOOT_AUTO, &img, &err), 0);
	assert_int_equal(img.boot, RUN_BOOT_ISO);
	_cleanup_free_ char *iso_prefix = xasprintf("%s/cd", dir);
	assert_string_equal(img.prefix, iso_prefix);
	run_image_release(&img);
	/* -iso forces it */
	assert_int_equal(run_image_detect(disk, RUN_BOOT_ISO, &img, &err), 0);
	assert_int_equal(img.boot, RUN_BOOT_ISO);
	run_image_release(&img);

	/* an .efi that is not one */
	_cleanup_free_ char *efi = xasprintf("%s/x.efi", dir);
	write_file(efi, "not a PE file", 13);
	assert_int_equal(run_image_detect(efi, RUN_BOOT_AUTO, &img, &err), -1);
	assert_non_null(strstr(err.msg, "not an EFI application"));
	uk_err_release(&err);

	/* empty files and directories */
	_cleanup_free_ char *empty = xasprintf("%s/empty", dir);
	write_file(empty, "", 0);
	assert_int_equal(run_image_detect(empty, RUN_BOOT_AUTO, &img, &err), -1);
	assert_non_null(strstr(err.msg, "is empty"));
	uk_err_release(&err);
	assert_int_equal(run_image_detect(dir, RUN_BOOT_AUTO, &img, &err), -1);
	assert_non_null(strstr(err.msg, "is a directory"));
	uk_err_release(&err);

	tmpdir_free(dir);
}

static void test_firmware(void **state)
{
	char *dir = tmpdir_new();
	_cleanup_free_ char *code = xasprintf("%s/MY_CODE_4M.fd", dir);
	_cleanup_free_ char *vars = xasprintf("%s/MY_VARS_4M.fd", dir);
	_cleanup_free_ char *combined = xasprintf("%s/bios.bin", dir);
	struct run_firmware fw = { 0 };
	struct uk_err err = { 0 };

	write_file(code, "c", 1);
	assert_int_equal(run_firmware_find(RUN_ARCH_X86_64, code, &fw, &err), 0);
	assert_string_equal(fw.code, code);
	assert_null(fw.vars); /* no VARS file yet: a combined image */
	run_firmware_release(&fw);
	write_file(vars, "vv", 2);
	assert_int_equal(run_firmware_find(RUN_ARCH_X86_64, code, &fw, &err), 0);
	assert_string_equal(fw.vars, vars);

	/* the VM's own copy of the variables, kept across runs */
	_cleanup_free_ char *copy = NULL;
	assert_int_equal(run_state_fw_vars(dir, &fw, &copy, &err), 0);
	_cleanup_free_ char *want = xasprintf("%s/MY_VARS_4M.fd", dir);
	assert_string_equal(copy, want);
	run_firmware_release(&fw);

	_cleanup_free_ char *missing = xasprintf("%s/nothing.fd", dir);
	assert_int_equal(run_firmware_find(RUN_ARCH_X86_64, missing, &fw, &err), -1);
	assert_int_equal(err.code, ENOENT);
	uk_err_release(&err);
	write_file(combined, "b", 1);
	assert_int_equal(run_firmware_find(RUN_ARCH_X86_64, combined, &fw, &err), 0);
	assert_null(fw.vars);
	run_firmware_release(&fw);
	tmpdir_free(dir);
}

/* ---- the state directory ---------------------------------------------- */

static void test_state_identity(void **state)
{
	char *dir = tmpdir_new();
	struct uk_err err = { 0 };
	char mac[18], mac2[18], uuid[37], uuid2[37];
	uint8_t m[6];

	assert_int_equal(run_state_prepare(dir, &err), 0);
	assert_int_equal(run_state_mac(dir, mac, &err), 0);
	assert_int_equal(run_mac_parse(mac, m), 0);
	assert_int_equal(m[0] & 0x01, 0);    /* unicast */
	assert_int_equal(m[0] & 0x02, 0x02); /* locally administered */
	assert_int_equal(run_state_mac(dir, mac2, &err), 0);
	assert_string_equal(mac, mac2);

	/* LinuxKit's file: the address alone, no newline */
	_cleanup_free_ char *path = xasprintf("%s/mac-addr", dir);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	assert_int_equal(fs_read_file(path, 100, &buf, &len, &err), 0);
	assert_int_equal(len, 17);
	assert_memory_equal(buf, mac, 17);

	write_file(path, "garbage", 7);
	assert_int_equal(run_state_mac(dir, mac2, &err), -1);
	assert_int_equal(err.code, UK_ERR_CORRUPT);
	uk_err_release(&err);

	assert_int_equal(run_state_uuid(dir, uuid, &err), 0);
	assert_int_equal(strlen(uuid), 36);
	assert_int_equal(uuid[14], '4');
	assert_int_equal(run_state_uuid(dir, uuid2, &err), 0);
	assert_string_equal(uuid, uuid2);
	tmpdir_free(dir);
}

static void test_state_pidfile(void **state)
{
	char *dir = tmpdir_new();
	_cleanup_free_ char *pidfile = xasprintf("%s/" RUN_PIDFILE, dir);
	struct uk_err err = { 0 };
	char pid[32];

	/* a stale pid file (a pid that is not a QEMU) is removed */
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	write_file(pidfile, pid, strlen(pid));
	assert_int_equal(run_state_prepare(dir, &err), 0);
	assert_int_equal(access(pidfile, F_OK), -1);

	/* a live QEMU keeps its state directory: a child whose argv[0] says so */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl("/bin/sleep", "qemu-system-x86_64", "30", (char *)NULL);
		_exit(127);
	}
	usleep(100000);
	snprintf(pid, sizeof(pid), "%d", (int)child);
	write_file(pidfile, pid, strlen(pid));
	assert_int_equal(run_state_prepare(dir, &err), -1);
	assert_int_equal(err.code, EBUSY);
	assert_non_null(strstr(err.msg, "in use by a running VM"));
	uk_err_release(&err);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	/* removed only when it still names the pid */
	run_state_pidfile_remove(dir, child + 1);
	assert_int_equal(access(pidfile, F_OK), 0);
	run_state_pidfile_remove(dir, child);
	assert_int_equal(access(pidfile, F_OK), -1);
	tmpdir_free(dir);
}

static void test_state_disk(void **state)
{
	char *dir = tmpdir_new();
	struct uk_err err = { 0 };
	struct run_disk d = { 0 };

	if (!proc_have("qemu-img")) {
		tmpdir_free(dir);
		skip();
	}
	/* no path: the state directory's disk.img, disk1.img, ...; qcow2 by default */
	d.size_mb = 16;
	assert_int_equal(run_state_disk(dir, 1, &d, &err), 0);
	_cleanup_free_ char *want = xasprintf("%s/disk1.img", dir);
	assert_string_equal(d.path, want);
	assert_string_equal(d.format, "qcow2");
	const char *format;
	assert_int_equal(run_format_detect_file(d.path, &format, &err), 0);
	assert_string_equal(format, "qcow2");
	run_disk_release(&d);

	/* an existing file: its format from its content, whatever the name says */
	d.path = xstrdup(want);
	assert_int_equal(run_state_disk(dir, 0, &d, &err), 0);
	assert_string_equal(d.format, "qcow2");
	run_disk_release(&d);

	/* a raw disk of a given size */
	d.path = xasprintf("%s/raw.qcow2", dir);
	d.format = xstrdup("raw");
	d.size_mb = 3;
	assert_int_equal(run_state_disk(dir, 0, &d, &err), 0);
	struct stat st;
	assert_int_equal(stat(d.path, &st), 0);
	assert_int_equal(st.st_size, 3 << 20);
	run_disk_release(&d);

	/* missing, and no size to make it */
	d.path = xasprintf("%s/missing.img", dir);
	assert_int_equal(run_state_disk(dir, 0, &d, &err), -1);
	assert_non_null(strstr(err.msg, "give a size to create it"));
	uk_err_release(&err);
	run_disk_release(&d);
	tmpdir_free(dir);
}

/* Appends a newc entry (c_filesize, name, data), padded as the kernel reads it. */
static void cpio_entry(struct strbuf *sb, const char *name, const char *data)
{
	strbuf_addf(sb, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", 1u,
		    0100644u, 0u, 0u, 1u, 0u, strlen(data), 0u, 0u, 0u, 0u, strlen(name) + 1, 0u);
	strbuf_add(sb, name, strlen(name) + 1);
	while (sb->len % 4)
		strbuf_addch(sb, 0);
	strbuf_addstr(sb, data);
	while (sb->len % 4)
		strbuf_addch(sb, 0);
}

static void cpio_archive(struct strbuf *sb, const char *name, const char *data)
{
	cpio_entry(sb, name, data);
	cpio_entry(sb, "TRAILER!!!", "");
}

static void gzip_append(struct strbuf *sb, const void *data, size_t len)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
	size_t bound = libdeflate_gzip_compress_bound(c, len);

	strbuf_grow(sb, bound);
	size_t n = libdeflate_gzip_compress(c, data, len, sb->buf + sb->len, bound);
	assert_true(n > 0);
	strbuf_setlen(sb, sb->len + n);
	libdeflate_free_compressor(c);
}

/* run_state_initrd on data: 1 when it made dir/initrd.cpio (its content in *out), else 0. */
static int state_initrd(const char *dir, const struct strbuf *data, struct strbuf *out)
{
	struct uk_err err = { 0 };
	_cleanup_free_ char *src = xasprintf("%s/x-initrd.img", dir);
	_cleanup_free_ char *made = xasprintf("%s/initrd.cpio", dir);
	char *initrd = xstrdup(src);

	unlink(made);
	write_file(src, data->buf, data->len);
	assert_int_equal(run_state_initrd(dir, &initrd, &err), 0);
	int r = strcmp(initrd, src) != 0;
	if (r) {
		_cleanup_free_ char *text = NULL;
		size_t len;
		assert_string_equal(initrd, made);
		assert_int_equal(fs_read_file(made, 1 << 20, &text, &len, &err), 0);
		strbuf_reset(out);
		strbuf_add(out, text, len);
	} else {
		assert_int_equal(access(made, F_OK), -1);
	}
	free(initrd);
	return r;
}

static void test_state_initrd(void **state)
{
	char *dir = tmpdir_new();
	_cleanup_strbuf_ struct strbuf main_cpio = STRBUF_INIT, early = STRBUF_INIT,
				       in = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT;

	cpio_archive(&main_cpio, "init", "#!/bin/sh\necho hello from the initramfs\n");
	cpio_archive(&early, "kernel/x86/microcode/GenuineIntel.bin", "ucode");

	/* one gzip member, as unikit and LinuxKit write it: inflated */
	gzip_append(&in, main_cpio.buf, main_cpio.len);
	assert_int_equal(state_initrd(dir, &in, &out), 1);
	assert_int_equal(out.len, main_cpio.len);
	assert_memory_equal(out.buf, main_cpio.buf, main_cpio.len);

	/* an uncompressed early cpio (microcode) first, zeros after the member: kept */
	strbuf_reset(&in);
	strbuf_add(&in, early.buf, early.len);
	strbuf_add(&in, "\0\0\0\0", 4);
	gzip_append(&in, main_cpio.buf, main_cpio.len);
	strbuf_add(&in, "\0\0\0\0\0\0\0\0", 8);
	strbuf_add(&want, early.buf, early.len);
	strbuf_add(&want, main_cpio.buf, main_cpio.len);
	assert_int_equal(state_initrd(dir, &in, &out), 1);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.buf, want.buf, want.len);

	/* uncompressed already: nothing to do */
	assert_int_equal(state_initrd(dir, &main_cpio, &out), 0);
	/* another compression (xz's magic), a gzip of something not cpio, a cut member */
	strbuf_reset(&in);
	strbuf_add(&in,
		   "\xfd"
		   "7zXZ\0 and the rest",
		   19);
	assert_int_equal(state_initrd(dir, &in, &out), 0);
	strbuf_reset(&in);
	gzip_append(&in, "not a cpio archive", 18);
	assert_int_equal(state_initrd(dir, &in, &out), 0);
	strbuf_reset(&in);
	gzip_append(&in, main_cpio.buf, main_cpio.len);
	strbuf_setlen(&in, in.len - 9);
	assert_int_equal(state_initrd(dir, &in, &out), 0);
	/* an early cpio that does not end (no trailer) */
	strbuf_reset(&in);
	cpio_entry(&in, "init", "x");
	gzip_append(&in, main_cpio.buf, main_cpio.len);
	assert_int_equal(state_initrd(dir, &in, &out), 0);
	tmpdir_free(dir);
}

/* ---- the QEMU command line -------------------------------------------- */

static void vm_init(struct run_vm *vm, struct run_image *img)
{
	memset(vm, 0, sizeof(*vm));
	vm->qemu = "qemu-system-x86_64";
	vm->arch = RUN_ARCH_X86_64;
	vm->accel = RUN_ACCEL_TCG;
	vm->cpus = 2;
	vm->mem_mb = 512;
	vm->uuid = "0e0b4e2c-4b0a-4c1e-9d6f-3a3f3f3f3f3f";
	vm->mac = "02:00:00:00:00:01";
	vm->pidfile = "st/qemu.pid";
	vm->image = img;
}

static void test_argv_kernel(void **state)
{
	struct run_image img = {
		.boot = RUN_BOOT_KERNEL,
		.kernel = "p-kernel",
		.initrd = "p-initrd.img",
		.cmdline = "console=ttyS0 quiet",
	};
	struct run_disk disks[] = {
		{ .path = "st/disk.img", .format = "qcow2" },
		{ .path = "odd,name.raw", .format = "raw" },
	};
	struct run_publish pub[] = {
		{ .addr = "127.0.0.1", .host_port = 8080, .guest_port = 80 },
		{ .addr = "0.0.0.0", .host_port = 5353, .guest_port = 53, .udp = true },
	};
	char *devices[] = { "virtio-balloon" };
	struct run_vm vm;
	_cleanup_run_argv_ struct run_argv a = RUN_ARGV_INIT;

	vm_init(&vm, &img);
	vm.disks = disks;
	vm.n_disks = ARRAY_SIZE(disks);
	vm.publish = pub;
	vm.n_publish = ARRAY_SIZE(pub);
	vm.metadata_iso = "st/data.iso";
	vm.devices = devices;
	vm.n_devices = 1;
	run_qemu_argv(&vm, &a);

	assert_string_equal(a.v[0], "qemu-system-x86_64");
	assert_null(a.v[a.n]);
	assert_string_equal(opt_value(&a, "-machine", ""), "q35");
	assert_string_equal(opt_value(&a, "-accel", ""), "tcg");
	assert_string_equal(opt_value(&a, "-cpu", ""), "max");
	assert_string_equal(opt_value(&a, "-smp", ""), "2");
	assert_string_equal(opt_value(&a, "-m", ""), "512");
	assert_string_equal(opt_value(&a, "-pidfile", ""), "st/qemu.pid");
	assert_string_equal(opt_value(&a, "-uuid", ""), vm.uuid);
	assert_string_equal(opt_value(&a, "-kernel", ""), "p-kernel");
	assert_string_equal(opt_value(&a, "-initrd", ""), "p-initrd.img");
	assert_string_equal(opt_value(&a, "-append", ""), "console=ttyS0 quiet");
	/* disks in order, commas in names doubled, none of them booting */
	int d0 = argv_find(&a, "if=none,id=disk0,file=st/disk.img,format=qcow2", 0);
	int d1 = argv_find(&a, "if=none,id=disk1,file=odd,,name.raw,format=raw", 0);
	assert_true(d0 > 0 && d1 > d0);
	assert_true(argv_find(&a, "virtio-blk-pci,drive=disk0", 0) > 0);
	assert_null(opt_value(&a, "-device", "virtio-blk-pci,drive=disk1,bootindex"));
	/* the metadata CD on virtio-scsi */
	assert_true(argv_find(&a, "virtio-scsi-pci,id=scsi0", 0) > 0);
	assert_true(argv_find(&a,
			      "if=none,id=cidata,file=st/data.iso,format=raw,media=cdrom,"
			      "readonly=on",
			      0) > 0);
	assert_true(argv_find(&a, "scsi-cd,bus=scsi0.0,drive=cidata", 0) > 0);
	/* user networking with the forwards */
	assert_string_equal(opt_value(&a, "-netdev", ""),
			    "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,"
			    "hostfwd=udp:0.0.0.0:5353-:53");
	assert_string_equal(opt_value(&a, "-device", "virtio-net"),
			    "virtio-net-pci,netdev=net0,mac=02:00:00:00:00:01");
	assert_true(argv_find(&a, "-nographic", 0) > 0);
	assert_null(opt_value(&a, "-drive", "if=pflash"));
	/* pass-through devices come last */
	assert_string_equal(a.v[a.n - 1], "virtio-balloon");
	assert_string_equal(a.v[a.n - 2], "-device");
}

static void test_argv_boot_devices(void **state)
{
	struct run_image img = { .boot = RUN_BOOT_ISO, .file = "boot.iso", .format = "raw" };
	struct run_vm vm;
	struct run_argv a = RUN_ARGV_INIT;

	/* an ISO boots from the first CD, the metadata CD comes second */
	vm_init(&vm, &img);
	vm.metadata_iso = "st/data.iso";
	run_qemu_argv(&vm, &a);
	int cd0 = argv_find(&a, "scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0", 0);
	int cd1 = argv_find(&a, "scsi-cd,bus=scsi0.0,drive=cidata", 0);
	assert_true(cd0 > 0 && cd1 > cd0);
	assert_int_equal(argv_find(&a, "virtio-scsi-pci,id=scsi0", cd0 + 1),
			 -1); /* one controller */
	assert_null(opt_value(&a, "-kernel", ""));
	run_argv_release(&a);

	/* a disk image boots from the first virtio disk */
	img = (struct run_image){ .boot = RUN_BOOT_DISK, .file = "d.vhd", .format = "vpc" };
	run_qemu_argv(&vm, &a);
	assert_true(argv_find(&a, "if=none,id=boot,file=d.vhd,format=vpc", 0) > 0);
	assert_true(argv_find(&a, "virtio-blk-pci,drive=boot,bootindex=0", 0) > 0);
	run_argv_release(&a);

	/* root on a disk: the image is read-only and first, so it is /dev/vda */
	struct run_disk extra = { .path = "x.img", .format = "raw" };
	img = (struct run_image){ .boot = RUN_BOOT_ROOTDISK,
				  .kernel = "k",
				  .file = "p-squashfs.img",
				  .format = "raw",
				  .cmdline = "root=/dev/vda" };
	vm.disks = &extra;
	vm.n_disks = 1;
	run_qemu_argv(&vm, &a);
	int root = argv_find(&a, "if=none,id=root,file=p-squashfs.img,format=raw,readonly=on", 0);
	int disk0 = argv_find(&a, "if=none,id=disk0,file=x.img,format=raw", 0);
	assert_true(root > 0 && disk0 > root);
	assert_null(opt_value(&a, "-initrd", ""));
	run_argv_release(&a);

	/* UEFI: read-only code, the VM's writable variables; an EFI app boots from the ESP */
	img = (struct run_image){ .boot = RUN_BOOT_EFI, .file = "u.efi" };
	vm.n_disks = 0;
	vm.uefi = true;
	vm.fw_code = "/fw/CODE.fd";
	vm.fw_vars = "st/VARS.fd";
	vm.esp = "st/esp.img";
	run_qemu_argv(&vm, &a);
	assert_string_equal(opt_value(&a, "-drive", "if=pflash,format=raw,unit=0"),
			    "if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd");
	assert_string_equal(opt_value(&a, "-drive", "if=pflash,format=raw,unit=1"),
			    "if=pflash,format=raw,unit=1,file=st/VARS.fd");
	assert_true(argv_find(&a, "virtio-blk-pci,drive=esp,bootindex=0", 0) > 0);
	run_argv_release(&a);
	/* a combined image is one writable flash */
	vm.fw_vars = NULL;
	run_qemu_argv(&vm, &a);
	assert_string_equal(opt_value(&a, "-drive", "if=pflash"),
			    "if=pflash,format=raw,unit=0,file=/fw/CODE.fd");
	assert_null(opt_value(&a, "-drive", "if=pflash,format=raw,unit=1"));
	run_argv_release(&a);
}

static void test_argv_modes(void **state)
{
	struct run_image img = { .boot = RUN_BOOT_KERNEL, .kernel = "k", .initrd = "i" };
	struct run_vm vm;
	struct run_argv a = RUN_ARGV_INIT;

	/* KVM: the host CPU; no command line when the file is empty */
	vm_init(&vm, &img);
	vm.accel = RUN_ACCEL_KVM;
	vm.net = RUN_NET_NONE;
	run_qemu_argv(&vm, &a);
	assert_string_equal(opt_value(&a, "-accel", ""), "kvm");
	assert_string_equal(opt_value(&a, "-cpu", ""), "host");
	assert_string_equal(opt_value(&a, "-nic", ""), "none");
	assert_null(opt_value(&a, "-netdev", ""));
	assert_null(opt_value(&a, "-append", ""));
	run_argv_release(&a);

	/* tap and bridge */
	vm.net = RUN_NET_TAP;
	vm.net_if = "tap0";
	run_qemu_argv(&vm, &a);
	assert_string_equal(opt_value(&a, "-netdev", ""),
			    "tap,id=net0,ifname=tap0,script=no,downscript=no");
	run_argv_release(&a);
	vm.net = RUN_NET_BRIDGE;
	vm.net_if = "br0";
	run_qemu_argv(&vm, &a);
	assert_string_equal(opt_value(&a, "-netdev", ""), "bridge,id=net0,br=br0");
	run_argv_release(&a);

	/* detached: no display, the console to a file, QEMU daemonizes */
	vm.console = RUN_CONSOLE_DETACHED;
	vm.console_log = "st/console.log";
	run_qemu_argv(&vm, &a);
	assert_int_equal(argv_find(&a, "-nographic", 0), -1);
	assert_string_equal(opt_value(&a, "-display", ""), "none");
	assert_string_equal(opt_value(&a, "-chardev", ""), "file,id=console,path=st/console.log");
	assert_string_equal(opt_value(&a, "-serial", ""), "chardev:console");
	assert_true(argv_find(&a, "-daemonize", 0) > 0);
	run_argv_release(&a);

	/* a window; the serial console stays on stdio */
	vm.console = RUN_CONSOLE_GUI;
	vm.usb = true;
	run_qemu_argv(&vm, &a);
	assert_int_equal(argv_find(&a, "-nographic", 0), -1);
	assert_string_equal(opt_value(&a, "-serial", ""), "mon:stdio");
	assert_true(argv_find(&a, "-usb", 0) > 0);
	run_argv_release(&a);

	/* aarch64 */
	vm.arch = RUN_ARCH_AARCH64;
	vm.qemu = run_qemu_binary(vm.arch);
	vm.accel = RUN_ACCEL_TCG;
	run_qemu_argv(&vm, &a);
	assert_string_equal(a.v[0], "qemu-system-aarch64");
	assert_string_equal(opt_value(&a, "-machine", ""), "virt");
	assert_string_equal(opt_value(&a, "-cpu", ""), "max");
	run_argv_release(&a);
}

static void test_argv_quote(void **state)
{
	_cleanup_run_argv_ struct run_argv a = RUN_ARGV_INIT;

	run_argv_add(&a, "qemu");
	run_argv_add(&a, "-append");
	run_argv_add(&a, "console=ttyS0 it's");
	run_argv_addf(&a, "file=%s,format=raw", "a b");
	run_argv_add(&a, "");
	_cleanup_free_ char *q = run_argv_quote(&a);
	assert_string_equal(q, "qemu -append 'console=ttyS0 it'\\''s' 'file=a b,format=raw' ''");
	_cleanup_free_ char *e = run_qemu_escape("a,b,,c");
	assert_string_equal(e, "a,,b,,,,c");
}

/* ---- the console watcher ---------------------------------------------- */

static void test_watch(void **state)
{
	struct run_watch w;
	struct uk_err err = { 0 };

	assert_int_equal(run_watch_init(&w, "login: *$", &err), 0);
	run_watch_feed(&w, "Welcome\r\nunikit log", 19);
	assert_false(w.matched);
	/* a prompt without a newline matches, across reads */
	run_watch_feed(&w, "in: ", 4);
	assert_true(w.matched);
	assert_false(w.panicked);
	_cleanup_free_ char *tail = run_watch_tail(&w, 5);
	assert_string_equal(tail, "Welcome\nunikit login: \n");
	run_watch_release(&w);

	/* panics, with and without a time stamp; not in the middle of a line */
	assert_int_equal(run_watch_init(&w, NULL, &err), 0);
	run_watch_feed(&w, "echo Kernel panic - not syncing\n", 32);
	assert_false(w.panicked);
	run_watch_feed(&w, "[    1.234567] Kernel panic - not syncing: VFS: Unable to mount\n", 65);
	assert_true(w.panicked);
	assert_string_equal(w.panic_line, "Kernel panic - not syncing: VFS: Unable to mount");
	assert_false(w.matched);
	run_watch_release(&w);
	assert_int_equal(run_watch_init(&w, NULL, &err), 0);
	run_watch_feed(&w, "Kernel panic - not syncing: Attempted to kill init!\n", 52);
	assert_true(w.panicked);
	run_watch_release(&w);

	/* the ring keeps the last lines */
	assert_int_equal(run_watch_init(&w, NULL, &err), 0);
	for (int i = 0; i < 100; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line %d\n", i);
		run_watch_feed(&w, line, (size_t)n);
	}
	_cleanup_free_ char *last = run_watch_tail(&w, 3);
	assert_string_equal(last, "line 97\nline 98\nline 99\n");
	_cleanup_free_ char *all = run_watch_tail(&w, 1000);
	assert_non_null(strstr(all, "line 80\n"));
	assert_null(strstr(all, "line 79\n"));
	run_watch_release(&w);

	/* a bad pattern is the user's error */
	assert_int_equal(run_watch_init(&w, "a(", &err), -1);
	assert_int_equal(err.code, UK_ERR_INPUT);
	assert_non_null(strstr(err.msg, "wait-for 'a('"));
	uk_err_release(&err);
}

/* ---- the KVM check ---------------------------------------------------- */

static void test_kvm_probe(void **state)
{
	char *reason = NULL;
	/* works or says why, quickly either way */
	int r = run_kvm_probe(2000, &reason);
	if (r == 0)
		assert_null(reason);
	else
		assert_true(reason && *reason);
	free(reason);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_parse),
		cmocka_unit_test(test_publish_parse),
		cmocka_unit_test(test_publish_check),
		cmocka_unit_test(test_net_accel_arch),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_format_detect),
		cmocka_unit_test(test_format_efi),
		cmocka_unit_test(test_image_detect),
		cmocka_unit_test(test_firmware),
		cmocka_unit_test(test_state_identity),
		cmocka_unit_test(test_state_pidfile),
		cmocka_unit_test(test_state_disk),
		cmocka_unit_test(test_state_initrd),
		cmocka_unit_test(test_argv_kernel),
		cmocka_unit_test(test_argv_boot_devices),
		cmocka_unit_test(test_argv_modes),
		cmocka_unit_test(test_argv_quote),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_kvm_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
