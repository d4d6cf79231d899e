/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The QEMU runner behind `unikit run`: what a PATH is (image.c), the option
 * values LinuxKit users type (spec.c), a KVM that really runs a guest (kvm.c),
 * UEFI firmware (firmware.c), the state directory (state.c), the QEMU command
 * line as data (qemu.c), the console watcher (console.c) and the process that
 * sits between QEMU and the terminal (supervise.c).
 *
 * Like every module, nothing here prints or exits. Strings a function returns
 * are owned by the caller unless said otherwise.
 */
#pragma once

#include <regex.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/strbuf.h"

/* ---- A NULL-terminated, growable argument vector ---------------------- */

struct run_argv {
	char **v; /* NULL-terminated once anything was added */
	size_t n, alloc;
};

#define RUN_ARGV_INIT                         \
	{                                     \
		.v = NULL, .n = 0, .alloc = 0 \
	}
#define _cleanup_run_argv_ _cleanup_(run_argv_release)

void run_argv_add(struct run_argv *a, const char *s);
_printf_(2, 3) void run_argv_addf(struct run_argv *a, const char *fmt, ...);
void run_argv_release(struct run_argv *a);
/* The vector quoted for a POSIX shell, one line, for -v. */
char *run_argv_quote(const struct run_argv *a);

/* ---- Option values ---------------------------------------------------- */

enum run_boot {
	RUN_BOOT_AUTO = 0,
	RUN_BOOT_KERNEL,   /* PATH-kernel, PATH-initrd.img, PATH-cmdline */
	RUN_BOOT_ROOTDISK, /* PATH-kernel with PATH-squashfs.img or PATH-erofs.img as /dev/vda */
	RUN_BOOT_ISO,	   /* a CD-ROM image */
	RUN_BOOT_DISK,	   /* a disk image in any format QEMU knows */
	RUN_BOOT_EFI,	   /* an EFI application (a unified kernel image) */
};

enum run_accel { RUN_ACCEL_AUTO = 0, RUN_ACCEL_KVM, RUN_ACCEL_TCG };
enum run_arch { RUN_ARCH_X86_64 = 0, RUN_ARCH_AARCH64 };
enum run_net_mode { RUN_NET_USER = 0, RUN_NET_TAP, RUN_NET_BRIDGE, RUN_NET_NONE };

/* -disk [file=]PATH[,size=N][,format=F] */
struct run_disk {
	char *path;	  /* NULL: a new disk in the state directory */
	char *format;	  /* NULL: detected from the content, or qcow2 for a new disk */
	uint64_t size_mb; /* 0: none given (then the file must exist) */
	bool readonly;
};

int run_disk_parse(const char *spec, struct run_disk *out, struct uk_err *err);
void run_disk_release(struct run_disk *d);

/* -publish [ADDR:]HOST:GUEST[/tcp|udp] */
struct run_publish {
	char addr[16]; /* dotted IPv4; 127.0.0.1 when not given */
	uint16_t host_port, guest_port;
	bool udp;
};

int run_publish_parse(const char *spec, struct run_publish *out, struct uk_err *err);
/* Fails when the host side cannot be bound (the port is in use). */
int run_publish_check(const struct run_publish *p, struct uk_err *err);

/* -networking user | tap,IF | bridge,BR | none ("default" is user). */
int run_net_parse(const char *spec, enum run_net_mode *mode, char **ifname, struct uk_err *err);
int run_accel_parse(const char *s, enum run_accel *out, struct uk_err *err);
const char *run_accel_name(enum run_accel a);
int run_arch_parse(const char *s, enum run_arch *out, struct uk_err *err);
const char *run_arch_name(enum run_arch a);
/* The architecture unikit itself runs on. */
enum run_arch run_arch_host(void);

/* Parses "02:ab:..." (':' or '-' separated) into six bytes. */
int run_mac_parse(const char *s, uint8_t mac[6]);
void run_mac_format(const uint8_t mac[6], char out[18]);

/* ---- What a PATH is --------------------------------------------------- */

/*
 * The format of a disk image from its first bytes (head, at least 64 KiB when
 * the file is that big) and its last 512 bytes (tail, NULL when unknown):
 * one of QEMU's format names, "raw" when nothing else matches. Never NULL.
 */
const char *run_format_detect(const uint8_t *head, size_t head_len, const uint8_t *tail,
			      size_t tail_len);
/* True for an ISO 9660 image that has no MBR boot signature (a pure CD image). */
bool run_format_is_iso(const uint8_t *head, size_t head_len);
/* True for a PE/COFF EFI application (a UKI, or a kernel with an EFI stub). */
bool run_format_is_efi_app(const uint8_t *head, size_t head_len);
/* The same, reading the file. */
int run_format_detect_file(const char *path, const char **format, struct uk_err *err);

struct run_image {
	enum run_boot boot;
	char *prefix;  /* the default state directory is PREFIX-state */
	char *kernel;  /* KERNEL, ROOTDISK */
	char *initrd;  /* KERNEL; ROOTDISK when PATH-initrd.img exists too */
	char *cmdline; /* KERNEL, ROOTDISK: PATH-cmdline ("" when absent); ROOTDISK adds root= */
	char *file;    /* ISO, DISK, EFI: the image; ROOTDISK: the root filesystem image */
	char *format;  /* DISK: the detected format; ROOTDISK: "raw" */
};

/* The device a ROOTDISK boot's root filesystem is seen as by the guest. */
#define RUN_ROOTDISK_DEVICE "/dev/vda"

/*
 * Decides what path is, as LinuxKit does (see docs/run.md); forced is
 * RUN_BOOT_AUTO or the mode -kernel, -squashfs or -iso asked for. A missing
 * kernel, initrd or image is an error naming the file.
 */
int run_image_detect(const char *path, enum run_boot forced, struct run_image *img,
		     struct uk_err *err);
void run_image_release(struct run_image *img);
const char *run_boot_name(enum run_boot b);

/* ---- Acceleration ----------------------------------------------------- */

/*
 * Proves that KVM runs a guest: a forked child creates a VM whose vCPU goes
 * from real mode to 64-bit mode and runs CPUID, RDTSC and SSE2 instructions
 * to a halt; the parent waits at most timeout_ms. Returns 0 when it works,
 * else -1 with *reason (owned by the caller) saying what failed.
 */
int run_kvm_probe(int timeout_ms, char **reason);

/* ---- UEFI firmware ---------------------------------------------------- */

struct run_firmware {
	char *code; /* read-only code image, or the whole image when vars is NULL */
	char *vars; /* the template of the variable store, NULL for a combined image */
};

/*
 * Finds OVMF (AAVMF for aarch64) in the usual Debian, Ubuntu, Fedora, Arch
 * and openSUSE places, or takes fw (from -fw): a *CODE* file pairs with the
 * *VARS* file next to it, anything else is a combined image.
 */
int run_firmware_find(enum run_arch arch, const char *fw, struct run_firmware *out,
		      struct uk_err *err);
void run_firmware_release(struct run_firmware *fw);

/* ---- The state directory ---------------------------------------------- */

/*
 * Creates dir and fails when a VM still runs from it (its pid file names a
 * live QEMU); a stale pid file is removed.
 */
int run_state_prepare(const char *dir, struct uk_err *err);
/* The VM's MAC address (dir/mac-addr), made once: random, unicast, locally administered. */
int run_state_mac(const char *dir, char mac[18], struct uk_err *err);
/* The VM's UUID (dir/uuid), made once. */
int run_state_uuid(const char *dir, char uuid[37], struct uk_err *err);
/*
 * Resolves disk index (0, 1, ...) of the -disk list: a disk without a path is
 * dir/disk.img, dir/disk1.img, ...; a missing file with a size is created
 * with qemu-img (qcow2 unless a format is given); an existing file's format
 * is detected from its content unless given.
 */
int run_state_disk(const char *dir, size_t index, struct run_disk *d, struct uk_err *err);
/*
 * Writes dir/data.iso: an ISO 9660 volume labelled "cidata" holding data as
 * `config` (LinuxKit's metadata) and `user-data` (cloud-init's NoCloud), and a
 * `meta-data` with the instance id.
 */
int run_state_metadata_iso(const char *dir, const char *data, size_t len, const char *uuid,
			   char **iso, struct uk_err *err);
/* Writes dir/esp.img: a FAT EFI system partition with efi as the default boot loader. */
int run_state_esp(const char *dir, enum run_arch arch, const char *efi, char **esp,
		  struct uk_err *err);
/* The VM's own copy of the firmware's variable store (or of a combined image). */
int run_state_fw_vars(const char *dir, const struct run_firmware *fw, char **vars,
		      struct uk_err *err);
/*
 * When *initrd is a gzip-compressed initramfs (archives one after another,
 * each a gzip member or uncompressed, as unikit, LinuxKit and dracut write
 * them), writes it decompressed to dir/initrd.cpio and points *initrd there;
 * any other leaves *initrd as it is. The guest's kernel then copies what it
 * would have inflated in emulated code.
 */
int run_state_initrd(const char *dir, char **initrd, struct uk_err *err);
/* Removes dir/qemu.pid if it still names pid. */
void run_state_pidfile_remove(const char *dir, pid_t pid);
#define RUN_PIDFILE "qemu.pid"
#define RUN_CONSOLE_LOG "console.log"

/* ---- The QEMU command line -------------------------------------------- */

enum run_console {
	RUN_CONSOLE_STDIO = 0, /* serial and monitor multiplexed on stdio (-nographic) */
	RUN_CONSOLE_GUI,       /* a display window; the serial stays on stdio */
	RUN_CONSOLE_DETACHED,  /* no display, serial to a file, QEMU daemonizes */
};

/* Everything QEMU needs, resolved: paths exist, formats are known. */
struct run_vm {
	const char *qemu; /* the binary */
	enum run_arch arch;
	enum run_accel accel; /* KVM or TCG, never AUTO */
	unsigned cpus, mem_mb;
	const char *uuid, *mac;
	const char *pidfile;
	const struct run_image *image;
	bool uefi;
	const char *fw_code,
		*fw_vars; /* uefi: fw_vars NULL means fw_code is a writable combined image */
	const char *esp;  /* EFI boot: the generated ESP */
	const struct run_disk *disks; /* -disk, resolved */
	size_t n_disks;
	const char *metadata_iso; /* NULL: no -data */
	enum run_net_mode net;
	const char *net_if;
	const struct run_publish *publish;
	size_t n_publish;
	char *const *devices; /* -device pass-through */
	size_t n_devices;
	bool usb;
	enum run_console console;
	const char *console_log; /* DETACHED */
};

/* Builds the QEMU command line; argv[0] is vm->qemu. */
void run_qemu_argv(const struct run_vm *vm, struct run_argv *argv);
/* QEMU's option syntax doubles commas inside a value. */
char *run_qemu_escape(const char *value);
/* The default binary for an architecture: qemu-system-x86_64, qemu-system-aarch64. */
const char *run_qemu_binary(enum run_arch arch);
/* The Debian package that provides it, for error messages. */
const char *run_qemu_package(enum run_arch arch);

/* ---- The console watcher ---------------------------------------------- */

#define RUN_WATCH_LINES 20

/*
 * Splits the console stream into lines and watches them: the -wait-for
 * pattern (a POSIX extended regular expression, also tried on the partial
 * last line so a prompt without a newline matches) and the kernel's panic
 * message. Keeps the last RUN_WATCH_LINES lines.
 */
struct run_watch {
	regex_t re;
	bool have_re;
	bool matched;
	bool panicked;
	char *panic_line;   /* the kernel's panic message, from "Kernel panic" on */
	struct strbuf line; /* the line being received */
	char *ring[RUN_WATCH_LINES];
	size_t ring_next, ring_count;
};

int run_watch_init(struct run_watch *w, const char *pattern, struct uk_err *err);
void run_watch_release(struct run_watch *w);
void run_watch_feed(struct run_watch *w, const char *buf, size_t len);
/* The last lines (the partial one included), oldest first, each ending in '\n'. */
char *run_watch_tail(const struct run_watch *w, size_t max_lines);

/* ---- Running QEMU ----------------------------------------------------- */

enum run_outcome {
	RUN_OUT_POWEROFF,  /* QEMU exited 0: the guest powered off (or Ctrl-A X) */
	RUN_OUT_MATCHED,   /* the -wait-for pattern appeared */
	RUN_OUT_TIMEOUT,   /* -timeout ran out */
	RUN_OUT_PANIC,	   /* the guest kernel panicked */
	RUN_OUT_QEMU_FAIL, /* QEMU exited non-zero or died of a signal */
	RUN_OUT_SIGNAL,	   /* unikit got SIGINT, SIGTERM or SIGHUP */
	RUN_OUT_CLOSED,	   /* the console's reader went away (EPIPE on out_fd) */
	RUN_OUT_RUNNING,   /* detached: QEMU runs in the background */
};

struct run_supervise_opts {
	int in_fd;		/* keystrokes for the guest; -1: none */
	int out_fd;		/* the console; -1: not shown */
	int err_fd;		/* QEMU's own messages; -1: not shown */
	int log_fd;		/* a copy of the console; -1: none */
	unsigned timeout_s;	/* 0: none */
	unsigned stop_grace_ms; /* SIGTERM to SIGKILL; 0: 5000 */
	struct run_watch *watch;
};

struct run_result {
	enum run_outcome outcome;
	int signal;	 /* RUN_OUT_SIGNAL: the signal; RUN_OUT_QEMU_FAIL: QEMU's, or 0 */
	int exit_status; /* RUN_OUT_QEMU_FAIL: QEMU's exit status */
	pid_t pid;	 /* QEMU's pid */
	char *qemu_msg;	 /* the last line QEMU wrote to stderr, or NULL */
};

void run_result_release(struct run_result *r);

/*
 * Runs QEMU in the foreground and relays between it and the given fds until
 * it exits, the pattern matches, time runs out, the guest panics or a signal
 * comes; QEMU is then stopped (SIGTERM, then SIGKILL) and reaped. When in_fd
 * is a terminal it is put in raw mode (so Ctrl-C and Ctrl-A X reach the
 * guest and QEMU) and restored before returning.
 */
int run_supervise(const struct run_argv *argv, const struct run_supervise_opts *opts,
		  struct run_result *res, struct uk_err *err);

/*
 * Starts QEMU in the background (its argv has -daemonize) and reads its pid
 * from pidfile. With a watch or a timeout, then follows console_log like
 * run_supervise follows the console: a match leaves the VM running
 * (RUN_OUT_MATCHED), a timeout or a panic stops it.
 */
int run_detached(const struct run_argv *argv, const char *pidfile, const char *console_log,
		 const struct run_supervise_opts *opts, struct run_result *res, struct uk_err *err);

/* Stops a QEMU that is not our child: SIGTERM, then SIGKILL after grace_ms. */
void run_stop_pid(pid_t pid, unsigned grace_ms);
