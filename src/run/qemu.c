// SPDX-License-Identifier: Apache-2.0
/*
 * The QEMU command line, built as data from a resolved struct run_vm. Every
 * device is virtio (a Debian cloud kernel has no AHCI driver, and virtio is
 * what LinuxKit's kernels build in): disks are virtio-blk (/dev/vda, vdb, ...
 * in order), CD-ROMs hang off one virtio-scsi controller (/dev/sr0, sr1, ...),
 * the NIC is virtio-net and a virtio-rng feeds the guest's entropy pool. The
 * device that boots gets bootindex=0, which SeaBIOS and OVMF both honour.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

void run_argv_add(struct run_argv *a, const char *s)
{
	XGROW(a->v, a->alloc, a->n + 2);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void run_argv_addf(struct run_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		BUG_ON(1);
	va_end(ap);
	XGROW(a->v, a->alloc, a->n + 2);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void run_argv_release(struct run_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->alloc = 0;
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "_@%+=:,./-",
			    *s))
			return false;
	}
	return true;
}

char *run_argv_quote(const struct run_argv *a)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < a->n; i++) {
		if (i)
			strbuf_addch(&sb, ' ');
		if (shell_safe(a->v[i])) {
			strbuf_addstr(&sb, a->v[i]);
			continue;
		}
		strbuf_addch(&sb, '\'');
		for (const char *p = a->v[i]; *p; p++) {
			if (*p == '\'')
				strbuf_addstr(&sb, "'\\''");
			else
				strbuf_addch(&sb, *p);
		}
		strbuf_addch(&sb, '\'');
	}
	return strbuf_detach(&sb, NULL);
}

char *run_qemu_escape(const char *value)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = value; *p; p++) {
		strbuf_addch(&sb, *p);
		if (*p == ',')
			strbuf_addch(&sb, ',');
	}
	return strbuf_detach(&sb, NULL);
}

const char *run_qemu_binary(enum run_arch arch)
{
	return arch == RUN_ARCH_AARCH64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
}

const char *run_qemu_package(enum run_arch arch)
{
	return arch == RUN_ARCH_AARCH64 ? "qemu-system-arm" : "qemu-system-x86";
}

/* -drive if=none,id=ID,file=FILE,format=FMT[,readonly=on] -device virtio-blk-pci,... */
static void add_disk(struct run_argv *a, const char *id, const char *file, const char *format,
		     bool readonly, bool boot)
{
	_cleanup_free_ char *f = run_qemu_escape(file);
	_cleanup_free_ char *fmt = run_qemu_escape(format);

	run_argv_add(a, "-drive");
	run_argv_addf(a, "if=none,id=%s,file=%s,format=%s%s", id, f, fmt,
		      readonly ? ",readonly=on" : "");
	run_argv_add(a, "-device");
	run_argv_addf(a, "virtio-blk-pci,drive=%s%s", id, boot ? ",bootindex=0" : "");
}

static void add_cdrom(struct run_argv *a, bool *have_scsi, const char *id, const char *file,
		      bool boot)
{
	_cleanup_free_ char *f = run_qemu_escape(file);

	if (!*have_scsi) {
		run_argv_add(a, "-device");
		run_argv_add(a, "virtio-scsi-pci,id=scsi0");
		*have_scsi = true;
	}
	run_argv_add(a, "-drive");
	run_argv_addf(a, "if=none,id=%s,file=%s,format=raw,media=cdrom,readonly=on", id, f);
	run_argv_add(a, "-device");
	run_argv_addf(a, "scsi-cd,bus=scsi0.0,drive=%s%s", id, boot ? ",bootindex=0" : "");
}

static void add_machine(const struct run_vm *vm, struct run_argv *a)
{
	bool kvm = vm->accel == RUN_ACCEL_KVM;

	run_argv_add(a, "-machine");
	if (vm->arch == RUN_ARCH_AARCH64)
		run_argv_add(a, kvm ? "virt,gic-version=host" : "virt");
	else
		run_argv_add(a, "q35");
	run_argv_add(a, "-accel");
	run_argv_add(a, kvm ? "kvm" : "tcg");
	/* the host's CPU under KVM; under TCG every feature QEMU emulates */
	run_argv_add(a, "-cpu");
	run_argv_add(a, kvm ? "host" : "max");
	run_argv_add(a, "-smp");
	run_argv_addf(a, "%u", vm->cpus);
	run_argv_add(a, "-m");
	run_argv_addf(a, "%u", vm->mem_mb);
	run_argv_add(a, "-uuid");
	run_argv_add(a, vm->uuid);
	run_argv_add(a, "-pidfile");
	run_argv_add(a, vm->pidfile);
	run_argv_add(a, "-object");
	run_argv_add(a, "rng-random,id=rng0,filename=/dev/urandom");
	run_argv_add(a, "-device");
	run_argv_add(a, "virtio-rng-pci,rng=rng0");
}

static void add_firmware(const struct run_vm *vm, struct run_argv *a)
{
	if (!vm->uefi)
		return;
	_cleanup_free_ char *code = run_qemu_escape(vm->fw_code);
	run_argv_add(a, "-drive");
	if (!vm->fw_vars) {
		run_argv_addf(a, "if=pflash,format=raw,unit=0,file=%s", code);
		return;
	}
	_cleanup_free_ char *vars = run_qemu_escape(vm->fw_vars);
	run_argv_addf(a, "if=pflash,format=raw,unit=0,readonly=on,file=%s", code);
	run_argv_add(a, "-drive");
	run_argv_addf(a, "if=pflash,format=raw,unit=1,file=%s", vars);
}

static void add_storage(const struct run_vm *vm, struct run_argv *a)
{
	const struct run_image *img = vm->image;
	bool have_scsi = false;

	switch (img->boot) {
	case RUN_BOOT_KERNEL:
	case RUN_BOOT_ROOTDISK:
		run_argv_add(a, "-kernel");
		run_argv_add(a, img->kernel);
		if (img->initrd) {
			run_argv_add(a, "-initrd");
			run_argv_add(a, img->initrd);
		}
		if (img->cmdline && *img->cmdline) {
			run_argv_add(a, "-append");
			run_argv_add(a, img->cmdline);
		}
		/* the root filesystem is the first disk: RUN_ROOTDISK_DEVICE */
		if (img->boot == RUN_BOOT_ROOTDISK)
			add_disk(a, "root", img->file, img->format, true, false);
		break;
	case RUN_BOOT_DISK:
		add_disk(a, "boot", img->file, img->format, false, true);
		break;
	case RUN_BOOT_EFI:
		add_disk(a, "esp", vm->esp, "raw", false, true);
		break;
	case RUN_BOOT_ISO:
		add_cdrom(a, &have_scsi, "cd0", img->file, true);
		break;
	case RUN_BOOT_AUTO:
		BUG_ON(1);
	}
	for (size_t i = 0; i < vm->n_disks; i++) {
		_cleanup_free_ char *id = xasprintf("disk%zu", i);
		add_disk(a, id, vm->disks[i].path, vm->disks[i].format, vm->disks[i].readonly,
			 false);
	}
	if (vm->metadata_iso)
		add_cdrom(a, &have_scsi, "cidata", vm->metadata_iso, false);
}

static void add_network(const struct run_vm *vm, struct run_argv *a)
{
	struct strbuf netdev = STRBUF_INIT;

	switch (vm->net) {
	case RUN_NET_NONE:
		run_argv_add(a, "-nic");
		run_argv_add(a, "none");
		return;
	case RUN_NET_USER:
		strbuf_addstr(&netdev, "user,id=net0");
		for (size_t i = 0; i < vm->n_publish; i++) {
			const struct run_publish *p = &vm->publish[i];
			strbuf_addf(&netdev, ",hostfwd=%s:%s:%u-:%u", p->udp ? "udp" : "tcp",
				    p->addr, p->host_port, p->guest_port);
		}
		break;
	case RUN_NET_TAP:
		strbuf_addf(&netdev, "tap,id=net0,ifname=%s,script=no,downscript=no", vm->net_if);
		break;
	case RUN_NET_BRIDGE:
		strbuf_addf(&netdev, "bridge,id=net0,br=%s", vm->net_if);
		break;
	}
	run_argv_add(a, "-netdev");
	run_argv_add(a, netdev.buf);
	run_argv_add(a, "-device");
	run_argv_addf(a, "virtio-net-pci,netdev=net0,mac=%s", vm->mac);
	strbuf_release(&netdev);
}

static void add_console(const struct run_vm *vm, struct run_argv *a)
{
	switch (vm->console) {
	case RUN_CONSOLE_STDIO:
		/* serial and monitor on stdio, multiplexed: Ctrl-A X quits, Ctrl-A C the monitor */
		run_argv_add(a, "-nographic");
		break;
	case RUN_CONSOLE_GUI:
		run_argv_add(a, "-serial");
		run_argv_add(a, "mon:stdio");
		break;
	case RUN_CONSOLE_DETACHED: {
		_cleanup_free_ char *log = run_qemu_escape(vm->console_log);
		run_argv_add(a, "-display");
		run_argv_add(a, "none");
		run_argv_add(a, "-monitor");
		run_argv_add(a, "none");
		run_argv_add(a, "-chardev");
		run_argv_addf(a, "file,id=console,path=%s", log);
		run_argv_add(a, "-serial");
		run_argv_add(a, "chardev:console");
		run_argv_add(a, "-daemonize");
		break;
	}
	}
}

void run_qemu_argv(const struct run_vm *vm, struct run_argv *a)
{
	run_argv_add(a, vm->qemu);
	add_machine(vm, a);
	add_firmware(vm, a);
	add_storage(vm, a);
	add_network(vm, a);
	add_console(vm, a);
	if (vm->usb)
		run_argv_add(a, "-usb");
	for (size_t i = 0; i < vm->n_devices; i++) {
		run_argv_add(a, "-device");
		run_argv_add(a, vm->devices[i]);
	}
}
