// SPDX-License-Identifier: Apache-2.0
/* unikit run [qemu] [options] PATH: boot what `unikit build` wrote, in QEMU. */
#include "run/run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/size.h"

/* Exit statuses beyond 0, 1 (an error) and 2 (a usage error); docs/run.md. */
enum {
	EXIT_PANIC = 3,
	EXIT_TIMEOUT = 124, /* as timeout(1) */
};

/* How long the KVM check may take before KVM counts as not working. */
#define KVM_PROBE_MS 2000

static const char usage[] =
	"usage: unikit run [qemu] [options] PATH\n"
	"\n"
	"Boot PATH in QEMU with the console on this terminal (Ctrl-A X quits, Ctrl-A C\n"
	"switches to QEMU's monitor). PATH is what 'unikit build' wrote:\n"
	"  PREFIX             PREFIX-kernel, PREFIX-initrd.img and PREFIX-cmdline: direct kernel\n"
	"                     boot; with PREFIX-squashfs.img or PREFIX-erofs.img instead of the\n"
	"                     initrd, that image is the root disk (root=/dev/vda is added)\n"
	"  IMAGE.iso          a CD-ROM image (any ISO 9660 image is booted as a CD)\n"
	"  IMAGE              a disk image: raw, qcow2, vpc (VHD), vhdx, vmdk, vdi, qed;\n"
	"                     the format is read from the content\n"
	"  IMAGE.efi          an EFI application (unified kernel image): booted by UEFI\n"
	"                     firmware from a generated EFI system partition\n"
	"\n"
	"Boot mode (detected unless given):\n"
	"  -kernel            PATH is a PREFIX with -kernel, -initrd.img and -cmdline\n"
	"  -squashfs          PATH is a PREFIX with -kernel and -squashfs.img (or -erofs.img)\n"
	"  -iso               PATH is a CD-ROM image\n"
	"  -uefi              boot through UEFI firmware (OVMF)\n"
	"  -fw FILE           the UEFI firmware (default: OVMF or AAVMF, found in the usual\n"
	"                     places)\n"
	"\n"
	"Machine:\n"
	"  -cpus N            number of CPUs (default 1)\n"
	"  -mem SIZE          memory, in MiB or with M/G (default 1024)\n"
	"  -arch A            x86_64 (default on this machine) or aarch64 (qemu-system-aarch64,\n"
	"                     machine virt; anything but a kernel boots through UEFI)\n"
	"  -accel A           auto, kvm or tcg (default auto: KVM if it is proven to run a\n"
	"                     guest here, else TCG; the environment's UNIKIT_QEMU_ACCEL\n"
	"                     applies when -accel is not given)\n"
	"  -qemu BIN          the QEMU binary (default qemu-system-ARCH from PATH)\n"
	"  -device ARG        add a QEMU device, as QEMU's -device ARG (repeatable)\n"
	"  -usb               add a USB controller\n"
	"\n"
	"Disks and data:\n"
	"  -disk [file=]PATH[,size=N][,format=F]\n"
	"                     add a disk (repeatable; virtio disks, after the boot disk if any);\n"
	"                     a missing file is created with qemu-img when a size is given\n"
	"                     (qcow2 unless a format is); without a file: STATE/disk.img, ...\n"
	"  -data STRING       metadata for the guest: an ISO 9660 CD-ROM labelled 'cidata'\n"
	"                     with STRING as 'config' and as cloud-init's 'user-data'\n"
	"  -data-file FILE    the same, with the content of FILE\n"
	"  -state DIR         the VM's state directory (default PATH-state): pid file,\n"
	"                     MAC address, UUID, created disks, metadata ISO, console.log\n"
	"\n"
	"Network:\n"
	"  -networking MODE   user (default), tap,IF, bridge,BR or none\n"
	"  -publish [ADDR:]HOST:GUEST[/tcp|udp]\n"
	"                     forward ADDR:HOST (default ADDR 127.0.0.1) on this machine to\n"
	"                     the guest's port GUEST (user networking; repeatable)\n"
	"\n"
	"Console and scripting:\n"
	"  -gui               show the display in a window (the serial console stays here)\n"
	"  -detached          run in the background; the console goes to STATE/console.log\n"
	"                     and QEMU's pid to STATE/qemu.pid\n"
	"  -wait-for REGEX    succeed as soon as a console line matches REGEX (POSIX\n"
	"                     extended), then stop the VM (with -detached: leave it running)\n"
	"  -timeout SECONDS   stop the VM and fail (status 124) when it runs this long\n"
	"  -v                 show the QEMU command line\n"
	"\n"
	"A clean poweroff exits 0; a guest kernel panic stops the VM and exits 3.\n";

struct opts {
	enum run_boot boot;
	bool uefi, gui, detached, usb, verbose;
	const char *fw, *state, *qemu, *wait_for, *data, *data_file;
	enum run_arch arch;
	bool accel_given;
	enum run_accel accel;
	unsigned cpus, mem_mb, timeout_s;
	enum run_net_mode net;
	char *net_if;
	struct run_disk *disks;
	size_t n_disks, disks_alloc;
	struct run_publish *publish;
	size_t n_publish, publish_alloc;
	char **devices;
	size_t n_devices, devices_alloc;
};

static void opts_release(struct opts *o)
{
	for (size_t i = 0; i < o->n_disks; i++)
		run_disk_release(&o->disks[i]);
	free(o->disks);
	free(o->publish);
	free(o->devices);
	free(o->net_if);
}

enum {
	OPT_CPUS = 256,
	OPT_MEM,
	OPT_DISK,
	OPT_STATE,
	OPT_NETWORKING,
	OPT_PUBLISH,
	OPT_DATA,
	OPT_DATA_FILE,
	OPT_UEFI,
	OPT_FW,
	OPT_ACCEL,
	OPT_ARCH,
	OPT_QEMU,
	OPT_DEVICE,
	OPT_GUI,
	OPT_DETACHED,
	OPT_KERNEL,
	OPT_ISO,
	OPT_SQUASHFS,
	OPT_USB,
	OPT_WAIT_FOR,
	OPT_TIMEOUT,
};

static const struct option long_opts[] = {
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "networking", required_argument, NULL, OPT_NETWORKING },
	{ "publish", required_argument, NULL, OPT_PUBLISH },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "data-file", required_argument, NULL, OPT_DATA_FILE },
	{ "uefi", no_argument, NULL, OPT_UEFI },
	{ "fw", required_argument, NULL, OPT_FW },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "gui", no_argument, NULL, OPT_GUI },
	{ "detached", no_argument, NULL, OPT_DETACHED },
	{ "kernel", no_argument, NULL, OPT_KERNEL },
	{ "iso", no_argument, NULL, OPT_ISO },
	{ "squashfs", no_argument, NULL, OPT_SQUASHFS },
	{ "usb", no_argument, NULL, OPT_USB },
	{ "wait-for", required_argument, NULL, OPT_WAIT_FOR },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool parse_count(const char *s, unsigned max, unsigned *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0 || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static int set_boot(struct opts *o, enum run_boot b, const char *opt)
{
	if (o->boot != RUN_BOOT_AUTO && o->boot != b)
		return cmd_usage_error("-%s: another boot mode was already given", opt);
	o->boot = b;
	return 0;
}

/* Returns -1 to go on, else the exit status. */
static int parse_opt(struct opts *o, int c, const char *arg)
{
	struct uk_err err = { 0 };
	uint64_t bytes;

	switch (c) {
	case OPT_CPUS:
		if (!parse_count(arg, 1024, &o->cpus))
			return cmd_usage_error("-cpus '%s': not a number of CPUs", arg);
		return -1;
	case OPT_MEM:
		/* a plain number is MiB, as with LinuxKit */
		if (size_parse(arg, SIZE_MIB, &bytes, &err) < 0 || bytes > (uint64_t)16 << 40) {
			if (!err.msg)
				uk_err_setc(&err, UK_ERR_INPUT, "size '%s': too large", arg);
			uk_err_wrap(&err, "-mem");
			cmd_fail(&err);
			return 2;
		}
		o->mem_mb = (unsigned)(bytes >> 20);
		return -1;
	case OPT_DISK:
		XGROW(o->disks, o->disks_alloc, o->n_disks + 1);
		if (run_disk_parse(arg, &o->disks[o->n_disks], &err) < 0) {
			cmd_fail(&err);
			return 2;
		}
		o->n_disks++;
		return -1;
	case OPT_PUBLISH:
		XGROW(o->publish, o->publish_alloc, o->n_publish + 1);
		if (run_publish_parse(arg, &o->publish[o->n_publish], &err) < 0) {
			cmd_fail(&err);
			return 2;
		}
		o->n_publish++;
		return -1;
	case OPT_DEVICE:
		XGROW(o->devices, o->devices_alloc, o->n_devices + 1);
		o->devices[o->n_devices++] = (char *)arg;
		return -1;
	case OPT_NETWORKING:
		free(o->net_if);
		if (run_net_parse(arg, &o->net, &o->net_if, &err) < 0) {
			cmd_fail(&err);
			return 2;
		}
		return -1;
	case OPT_ACCEL:
		if (run_accel_parse(arg, &o->accel, &err) < 0) {
			cmd_fail(&err);
			return 2;
		}
		o->accel_given = true;
		return -1;
	case OPT_ARCH:
		if (run_arch_parse(arg, &o->arch, &err) < 0) {
			cmd_fail(&err);
			return 2;
		}
		return -1;
	case OPT_TIMEOUT:
		if (!parse_count(arg, 7 * 24 * 3600, &o->timeout_s))
			return cmd_usage_error("-timeout '%s': not a number of seconds", arg);
		return -1;
	case OPT_STATE:
		o->state = arg;
		return -1;
	case OPT_DATA:
		o->data = arg;
		return -1;
	case OPT_DATA_FILE:
		o->data_file = arg;
		return -1;
	case OPT_FW:
		o->fw = arg;
		return -1;
	case OPT_QEMU:
		o->qemu = arg;
		return -1;
	case OPT_WAIT_FOR:
		o->wait_for = arg;
		return -1;
	case OPT_UEFI:
		o->uefi = true;
		return -1;
	case OPT_GUI:
		o->gui = true;
		return -1;
	case OPT_DETACHED:
		o->detached = true;
		return -1;
	case OPT_USB:
		o->usb = true;
		return -1;
	case OPT_KERNEL:
		return set_boot(o, RUN_BOOT_KERNEL, "kernel") ? 2 : -1;
	case OPT_SQUASHFS:
		return set_boot(o, RUN_BOOT_ROOTDISK, "squashfs") ? 2 : -1;
	case OPT_ISO:
		return set_boot(o, RUN_BOOT_ISO, "iso") ? 2 : -1;
	case 'v':
		o->verbose = true;
		return -1;
	case 'h':
		fputs(usage, stdout);
		return 0;
	default:
		return 2; /* '?': cmd_getopt() said what was wrong */
	}
}

/* LinuxKit's other `run` back ends, named so their users get a clear answer. */
static const char *const other_backends[] = {
	"aws",	  "azure",	  "gcp",      "hyperkit", "hyperv",  "openstack",
	"packet", "equinixmetal", "scaleway", "vbox",	  "vcenter", "virtualization",
};

static int parse_args(int argc, char **argv, struct opts *o, const char **path)
{
	int c;

	/* options may come before or after PATH (and after LinuxKit's "qemu") */
	optind = 0;
	while ((c = cmd_getopt("run", argc, argv, "vh", long_opts)) != -1) {
		int r = parse_opt(o, c, optarg);
		if (r >= 0)
			return r;
	}
	int left = argc - optind;
	char **rest = argv + optind;
	if (left == 2 && !strcmp(rest[0], "qemu")) {
		rest++;
		left--;
	}
	if (left == 2) {
		for (size_t i = 0; i < ARRAY_SIZE(other_backends); i++) {
			if (!strcmp(rest[0], other_backends[i]))
				return cmd_usage_error("run back end '%s' is not supported: unikit "
						       "runs images in QEMU",
						       rest[0]);
		}
	}
	if (left == 0 || (left == 1 && !strcmp(rest[0], "qemu") && access("qemu", F_OK) < 0 &&
			  access("qemu-kernel", F_OK) < 0))
		return cmd_usage_error("run: missing PATH (see 'unikit help run')");
	if (left > 1)
		return cmd_usage_error("run: one PATH expected, got '%s' and '%s'", rest[0],
				       rest[1]);
	*path = rest[0];
	return -1;
}

/* Everything resolved before QEMU starts. */
struct prep {
	struct run_image img;
	struct run_firmware fw;
	const char *qemu;
	enum run_accel accel;
	bool uefi;
	char *data;
	size_t data_len;
	char *state, *pidfile, *console_log;
	char mac[18], uuid[37];
	char *metadata_iso, *esp, *fw_vars;
};

static void prep_release(struct prep *p)
{
	run_image_release(&p->img);
	run_firmware_release(&p->fw);
	free(p->data);
	free(p->state);
	free(p->pidfile);
	free(p->console_log);
	free(p->metadata_iso);
	free(p->esp);
	free(p->fw_vars);
}

/* KVM when it is proven to run a guest here, else TCG, saying why in one line. */
static int choose_accel(const struct opts *o, struct prep *p, struct uk_err *err)
{
	bool native = o->arch == run_arch_host();
	_cleanup_free_ char *reason = NULL;

	switch (o->accel) {
	case RUN_ACCEL_TCG:
		p->accel = RUN_ACCEL_TCG;
		return 0;
	case RUN_ACCEL_KVM: {
		if (!native)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "accel kvm: cannot run %s guests on this %s machine",
					   run_arch_name(o->arch), run_arch_name(run_arch_host()));
		int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return uk_err_errno(err, "accel kvm: open '/dev/kvm'");
		close(fd);
		p->accel = RUN_ACCEL_KVM;
		return 0;
	}
	case RUN_ACCEL_AUTO:
		break;
	}
	if (!native) {
		p->accel = RUN_ACCEL_TCG;
		if (o->verbose)
			fprintf(stderr, "unikit: using TCG: %s guest on a %s machine\n",
				run_arch_name(o->arch), run_arch_name(run_arch_host()));
		return 0;
	}
	if (run_kvm_probe(KVM_PROBE_MS, &reason) == 0) {
		p->accel = RUN_ACCEL_KVM;
		if (o->verbose)
			fprintf(stderr, "unikit: using KVM\n");
		return 0;
	}
	p->accel = RUN_ACCEL_TCG;
	fprintf(stderr, "unikit: KVM does not work here (%s); using TCG, which is slower\n",
		reason);
	return 0;
}

static int prepare(struct opts *o, const char *path, struct prep *p, struct uk_err *err)
{
	if (run_image_detect(path, o->boot, &p->img, err) < 0)
		return -1;
	p->qemu = o->qemu ? o->qemu : run_qemu_binary(o->arch);
	if (!proc_have(p->qemu)) {
		if (o->qemu)
			return uk_err_setc(err, UK_ERR_NOT_FOUND, "QEMU '%s' not found", p->qemu);
		return uk_err_setc(err, UK_ERR_NOT_FOUND,
				   "QEMU '%s' not found in PATH (install %s)", p->qemu,
				   run_qemu_package(o->arch));
	}
	/* an EFI application needs UEFI; so does anything but a kernel on aarch64 */
	p->uefi = o->uefi || p->img.boot == RUN_BOOT_EFI ||
		  (o->arch == RUN_ARCH_AARCH64 &&
		   (p->img.boot == RUN_BOOT_ISO || p->img.boot == RUN_BOOT_DISK));
	if (p->uefi && run_firmware_find(o->arch, o->fw, &p->fw, err) < 0)
		return -1;
	if (o->data_file) {
		if (fs_read_file(o->data_file, 16u << 20, &p->data, &p->data_len, err) < 0)
			return uk_err_wrap(err, "-data-file");
	} else if (o->data) {
		p->data = xstrdup(o->data);
		p->data_len = strlen(o->data);
	}
	for (size_t i = 0; i < o->n_publish; i++) {
		if (run_publish_check(&o->publish[i], err) < 0)
			return -1;
	}
	if (choose_accel(o, p, err) < 0)
		return -1;

	p->state = o->state ? xstrdup(o->state) : xasprintf("%s-state", p->img.prefix);
	if (run_state_prepare(p->state, err) < 0)
		return -1;
	if (o->net != RUN_NET_NONE && run_state_mac(p->state, p->mac, err) < 0)
		return -1;
	if (run_state_uuid(p->state, p->uuid, err) < 0)
		return -1;
	for (size_t i = 0; i < o->n_disks; i++) {
		if (run_state_disk(p->state, i, &o->disks[i], err) < 0)
			return -1;
	}
	if (p->data && run_state_metadata_iso(p->state, p->data, p->data_len, p->uuid,
					      &p->metadata_iso, err) < 0)
		return -1;
	if (p->img.boot == RUN_BOOT_EFI &&
	    run_state_esp(p->state, o->arch, p->img.file, &p->esp, err) < 0)
		return -1;
	if (p->uefi && run_state_fw_vars(p->state, &p->fw, &p->fw_vars, err) < 0)
		return -1;
	if (p->img.initrd && run_state_initrd(p->state, &p->img.initrd, err) < 0)
		return -1;
	p->pidfile = xasprintf("%s/" RUN_PIDFILE, p->state);
	p->console_log = xasprintf("%s/" RUN_CONSOLE_LOG, p->state);
	return 0;
}

/* A console line without its escape sequences and control characters. */
static void print_clean(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x1b) {
			/* ESC [ params final, or ESC and one character */
			if (i + 1 < len && s[i + 1] == '[') {
				i += 2;
				while (i < len && !(s[i] >= 0x40 && s[i] <= 0x7e))
					i++;
			} else {
				i++;
			}
			continue;
		}
		if (c < 0x20 && c != '\t')
			continue;
		fputc(c, f);
	}
}

static void print_tail(const struct run_watch *w)
{
	_cleanup_free_ char *tail = run_watch_tail(w, 10);

	if (!*tail)
		return;
	fputs("unikit: last console lines:\n", stderr);
	for (char *line = tail; *line;) {
		char *nl = strchr(line, '\n');
		fputs("  | ", stderr);
		print_clean(stderr, line, (size_t)(nl - line));
		fputc('\n', stderr);
		line = nl + 1;
	}
}

static int report(const struct opts *o, const struct prep *p, const struct run_watch *w,
		  const struct run_result *res)
{
	switch (res->outcome) {
	case RUN_OUT_POWEROFF:
		return 0;
	case RUN_OUT_RUNNING:
		fprintf(stderr,
			"unikit: VM running in the background (QEMU pid %d); console in '%s'\n",
			(int)res->pid, p->console_log);
		return 0;
	case RUN_OUT_MATCHED:
		if (o->detached)
			fprintf(stderr,
				"unikit: console matched '%s'; VM running in the background (QEMU "
				"pid %d); console in '%s'\n",
				o->wait_for, (int)res->pid, p->console_log);
		else
			fprintf(stderr, "unikit: console matched '%s'; VM stopped\n", o->wait_for);
		return 0;
	case RUN_OUT_TIMEOUT:
		if (o->wait_for)
			fprintf(stderr, "unikit: error: timed out after %us waiting for '%s'\n",
				o->timeout_s, o->wait_for);
		else
			fprintf(stderr, "unikit: error: timed out after %us\n", o->timeout_s);
		print_tail(w);
		return EXIT_TIMEOUT;
	case RUN_OUT_PANIC:
		fputs("unikit: error: the guest kernel panicked", stderr);
		if (w->panic_line) {
			fputs(": ", stderr);
			print_clean(stderr, w->panic_line, strlen(w->panic_line));
		}
		fputs("\n", stderr);
		print_tail(w);
		return EXIT_PANIC;
	case RUN_OUT_QEMU_FAIL:
		if (res->signal)
			fprintf(stderr, "unikit: error: QEMU killed by signal %d%s%s\n",
				res->signal, res->qemu_msg ? ": " : "",
				res->qemu_msg ? res->qemu_msg : "");
		else
			fprintf(stderr, "unikit: error: QEMU exited with status %d%s%s\n",
				res->exit_status, res->qemu_msg ? ": " : "",
				res->qemu_msg ? res->qemu_msg : "");
		return 1;
	case RUN_OUT_SIGNAL:
		fprintf(stderr, "unikit: %s; VM stopped\n", strsignal(res->signal));
		return 128 + res->signal;
	case RUN_OUT_CLOSED:
		return 128 + SIGPIPE;
	}
	return 1;
}

static int boot(const struct opts *o, struct prep *p, struct run_watch *w)
{
	struct uk_err err = { 0 };
	struct run_vm vm = {
		.qemu = p->qemu,
		.arch = o->arch,
		.accel = p->accel,
		.cpus = o->cpus,
		.mem_mb = o->mem_mb,
		.uuid = p->uuid,
		.mac = p->mac,
		.pidfile = p->pidfile,
		.image = &p->img,
		.uefi = p->uefi,
		.fw_code = p->fw.code,
		.fw_vars = p->fw.vars ? p->fw_vars : NULL,
		.esp = p->esp,
		.disks = o->disks,
		.n_disks = o->n_disks,
		.metadata_iso = p->metadata_iso,
		.net = o->net,
		.net_if = o->net_if,
		.publish = o->publish,
		.n_publish = o->n_publish,
		.devices = o->devices,
		.n_devices = o->n_devices,
		.usb = o->usb,
		.console = o->detached ? RUN_CONSOLE_DETACHED
			   : o->gui    ? RUN_CONSOLE_GUI
				       : RUN_CONSOLE_STDIO,
		.console_log = p->console_log,
	};
	/* a combined firmware image is used through the VM's own writable copy */
	if (p->uefi && !p->fw.vars)
		vm.fw_code = p->fw_vars;
	_cleanup_run_argv_ struct run_argv argv = RUN_ARGV_INIT;
	struct run_result res = { 0 };
	struct run_supervise_opts so = {
		.in_fd = STDIN_FILENO,
		.out_fd = o->detached ? -1 : STDOUT_FILENO,
		.err_fd = STDERR_FILENO,
		.log_fd = -1,
		.timeout_s = o->timeout_s,
		.watch = w,
	};
	int r;

	run_qemu_argv(&vm, &argv);
	if (o->verbose) {
		_cleanup_free_ char *line = run_argv_quote(&argv);
		fprintf(stderr, "unikit: %s\n", line);
	}
	fflush(stdout);
	if (o->detached) {
		r = run_detached(&argv, p->pidfile, p->console_log, &so, &res, &err);
	} else {
		so.log_fd = open(p->console_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (so.log_fd < 0) {
			uk_err_errno(&err, "console log '%s'", p->console_log);
			return cmd_fail(&err);
		}
		r = run_supervise(&argv, &so, &res, &err);
		close(so.log_fd);
		if (r == 0)
			run_state_pidfile_remove(p->state, res.pid);
	}
	if (r < 0)
		return cmd_fail(&err);
	/* the guest may have left the cursor in the middle of a line */
	if (!o->detached && w->line.len > 0 && isatty(STDOUT_FILENO))
		fputs("\r\n", stdout);
	fflush(stdout);
	r = report(o, p, w, &res);
	run_result_release(&res);
	return r;
}

static int run_main(int argc, char **argv)
{
	struct opts o = {
		.arch = run_arch_host(),
		.cpus = 1,
		.mem_mb = 1024,
		.net = RUN_NET_USER,
	};
	struct prep p = { 0 };
	struct run_watch w;
	struct uk_err err = { 0 };
	const char *path = NULL;
	int r;

	r = parse_args(argc, argv, &o, &path);
	if (r >= 0)
		goto out_opts;
	const char *env_accel = getenv("UNIKIT_QEMU_ACCEL");
	if (!o.accel_given && env_accel && *env_accel &&
	    run_accel_parse(env_accel, &o.accel, &err) < 0) {
		uk_err_wrap(&err, "UNIKIT_QEMU_ACCEL");
		r = cmd_fail(&err);
		goto out_opts;
	}
	r = 2;
	if (o.data && o.data_file) {
		cmd_usage_error("-data and -data-file cannot be used together");
		goto out_opts;
	}
	if (o.n_publish && o.net != RUN_NET_USER) {
		cmd_usage_error("-publish needs user networking (-networking user)");
		goto out_opts;
	}
	if (o.detached && o.gui) {
		cmd_usage_error("-detached and -gui cannot be used together");
		goto out_opts;
	}
	if (run_watch_init(&w, o.wait_for, &err) < 0) {
		cmd_fail(&err);
		goto out_opts;
	}
	if (prepare(&o, path, &p, &err) < 0)
		r = cmd_fail(&err);
	else
		r = boot(&o, &p, &w);
	prep_release(&p);
	run_watch_release(&w);
out_opts:
	opts_release(&o);
	return r;
}

const struct cmd cmd_run = {
	.name = "run",
	.summary = "boot an image in QEMU",
	.usage = usage,
	.fn = run_main,
};
