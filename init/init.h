/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unikit's PID 1 (docs/init.md). One static program, nothing but libc: it
 * mounts, loads modules, runs containers/onboot/ in order with the OCI
 * runtime, supervises containers/services/, and on poweroff runs
 * containers/onshutdown/, stops everything and powers the machine off.
 *
 * The files: main.c (boot and shutdown sequences, signals), log.c (console,
 * boot phases, kernel command line), mounts.c, modules.c, net.c (hostname,
 * loopback, rtnetlink), conf.c (init.conf), runtime.c (crun/runc and the
 * init.conf directives), supervise.c (event loop, reaping, restarts).
 */
#pragma once

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define INIT_NAME "unikit"

/* ---- log.c: console output, boot phases, the kernel command line ---- */

struct options {
	bool debug;	  /* unikit.debug */
	bool quiet;	  /* unikit.quiet */
	bool cgroup_v1;	  /* unikit.cgroup=v1 */
	char skip[512];	  /* unikit.skip=NAME[,NAME...] */
	int grace_s;	  /* unikit.grace=SECONDS (default 10) */
	int shutdown_s;	  /* unikit.shutdown=SECONDS, -1 when absent */
	bool modules_off; /* unikit.modules=0 */
};

extern bool log_debug_on, log_quiet;
extern int log_fd; /* the console: stdout */
/* Opens the active consoles other than /dev/console (after /dev and /sys are mounted). */
void log_open_consoles(void);
/* Writes to /dev/console and every other active console. */
void console_write(const char *buf, size_t len);

__attribute__((format(printf, 1, 2))) void log_info(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_debug(const char *fmt, ...);
/* One boot phase line "unikit: [   1.234] NAME" (unless quiet), kept for boot-times. */
__attribute__((format(printf, 1, 2))) void log_phase(const char *fmt, ...);
/* The same for a phase that began at US (CLOCK_BOOTTIME microseconds). */
__attribute__((format(printf, 2, 3))) void log_phase_at(int64_t us, const char *fmt, ...);
/*
 * A phase after the boot, once the console is the services' (a shell's
 * prompt may be on it): in boot-times, and on the console with unikit.debug.
 */
__attribute__((format(printf, 1, 2))) void log_phase_late(const char *fmt, ...);
/* Writes the phases so far to PATH and appends the later ones there too. */
void log_phase_file(const char *path);
/* Writes all of buf to fd, retrying on EINTR and short writes. */
void write_all(int fd, const char *buf, size_t len);
/* Copies SIZE bytes from IN's offset to OUT (sendfile); 0, or -1 with errno. */
int copy_all(int out, int in, off_t size);
int64_t now_ms(void);	     /* CLOCK_MONOTONIC */
int64_t since_boot_us(void); /* CLOCK_BOOTTIME */

/* Parses the kernel command line into *o; unknown unikit.* words get a warning. */
void options_parse(const char *cmdline, struct options *o);
/* True if NAME (or NAME without its "NNN-" order prefix) is in unikit.skip. */
bool options_skips(const struct options *o, const char *name);

/* snprintf for paths: -1 with ENAMETOOLONG (and an empty buf) when it does not fit. */
__attribute__((format(printf, 3, 4))) int pathf(char *buf, size_t len, const char *fmt, ...);
/* snprintf for messages, where cutting is fine. */
__attribute__((format(printf, 3, 4))) void msgf(char *buf, size_t len, const char *fmt, ...);
/* Reads a whole small file into a NUL-terminated malloc'd buffer; NULL with errno set. */
char *read_file(const char *path, size_t max, size_t *len);
/* Sorted names of the entries of DIR (no dot files); count in *n; NULL if DIR is unreadable. */
char **list_dir(const char *dir, size_t *n);
void free_list(char **v, size_t n);
/* mkdir -p with MODE; 0 or -1 with errno set. */
int mkdir_p(const char *path, mode_t mode);

/* ---- conf.c: init.conf (docs/layout.md) ---- */

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

enum directive_type {
	DIR_CGROUP,
	DIR_MKDIR,
	DIR_MOUNT,
	DIR_INTERFACE,
	DIR_BINDNS,
	DIR_NAMESPACE,
	DIR_RESTART,
};

struct directive {
	enum directive_type type;
	int line;
	const char *f[4]; /* the fields after the directive's name; NULL for '-' */
};

struct conf {
	struct directive *v;
	size_t n;
	enum restart_policy restart; /* default RESTART_ON_FAILURE */
	char *text;		     /* owns the strings in v */
};

/*
 * Parses TEXT (len bytes and a NUL after them; taken over: freed even on failure).
 * On error returns -1 with "FILE:LINE: message" in err.
 */
int conf_parse(const char *file, char *text, size_t len, struct conf *out, char *err,
	       size_t errlen);
/* Reads and parses FILE; a missing file is an empty configuration. */
int conf_load(const char *file, struct conf *out, char *err, size_t errlen);
void conf_release(struct conf *c);
const char *restart_policy_name(enum restart_policy p);

/* ---- jobs: one per container directory ---- */

enum job_kind { JOB_ONBOOT, JOB_SERVICE, JOB_ONSHUTDOWN };
enum job_state { JOB_IDLE, JOB_RUNNING, JOB_BACKOFF, JOB_DONE };

#define TAIL_LINES 10
#define TAIL_WIDTH 160
#define LINE_MAX_LEN 1024
#define MOUNTS_MAX 16

struct job {
	char name[NAME_MAX + 1];
	char dir[PATH_MAX];
	enum job_kind kind;
	enum job_state state;
	struct conf conf;
	pid_t pid;   /* the container's process while it runs */
	bool exited; /* pid ended; status holds its wait status */
	int status;
	int rfd, wfd; /* its output pipe; init keeps both ends */
	int logfd;    /* /var/log/... */
	char logpath[PATH_MAX];
	off_t logsize;
	char line[LINE_MAX_LEN];
	size_t linelen;
	char tail[TAIL_LINES][TAIL_WIDTH];
	unsigned tail_next, tail_count;
	unsigned restarts;
	int64_t backoff_ms, next_start_ms, started_ms;
	bool stopping;
	bool created;		   /* the runtime knows it: delete it */
	bool foreground;	   /* pid is `RUNTIME run`, which deletes the container itself */
	char *mounted[MOUNTS_MAX]; /* mount points made from init.conf, undone after delete */
	size_t nmounted;
};

/* ---- the whole state ---- */

enum shutdown_action { SHUTDOWN_NONE, SHUTDOWN_POWEROFF, SHUTDOWN_REBOOT, SHUTDOWN_HALT };

struct waiter {
	pid_t pid;
	bool done;
	int status;
};

struct init {
	const char *root; /* "" on a real boot, the test root with --test-root */
	bool test;
	struct options opt;
	int sigfd;
	sigset_t oldmask;
	char runtime[PATH_MAX];
	int runtime_fd; /* a sealed in-memory copy of the runtime, or -1 */
	struct job **jobs;
	size_t njobs;
	struct waiter *waiters[8];
	/* children reaped before anyone knew them: a detached container that
	 * ended before its runtime exited and init read its pid file */
	struct {
		pid_t pid;
		int status;
	} unclaimed[16];
	unsigned unclaimed_next;
	enum shutdown_action shutdown;
	int64_t shutdown_at_ms;	   /* unikit.shutdown deadline, 0 when none */
	int64_t cpu_modules_at_ms; /* when the CPU feature modules are due, 0 when not */
	bool no_children;	   /* the last reap found no child left */
};

/* ---- supervise.c: the event loop ---- */

/*
 * Polls signals and job output for at most timeout_ms (-1 forever); reaps
 * children. unikit.shutdown's deadline ends the wait and sets in->shutdown.
 */
void sup_step(struct init *in, int timeout_ms);
/*
 * How long the supervision loop may wait: 0 when a service ended, else until
 * the next restart or the CPU feature modules are due.
 */
int sup_next_wait(struct init *in);
/* Starts ARGV with its output on out_fd (-1: inherit); the pid or -1 (logged). */
pid_t sup_spawn(struct init *in, char *const argv[], int out_fd);
/*
 * Sets J's pid; if that process was reaped already, J has ended with its
 * status. Call it right after the sup_run() that started the process.
 */
void sup_claim(struct init *in, struct job *j, pid_t pid);
/* Runs ARGV to its end while the loop goes on; its wait status, or -1 if it did not start. */
int sup_run(struct init *in, char *const argv[], int out_fd);
/* Waits until J's process ends; after grace (ms, -1 none) it is sent SIGTERM, then SIGKILL. */
void sup_wait_job(struct init *in, struct job *j, int64_t limit_ms);
/* Stops every running job: SIGTERM, grace_ms, SIGKILL. */
void sup_stop_jobs(struct init *in, enum job_kind kind, int64_t grace_ms);
/* What happens to a service that ended: a restart is scheduled, or it is done. */
void sup_service_exited(struct init *in, struct job *j, int64_t now);
/* The delay before the next restart, doubling from 100 ms to 30 s; reset after 10 s of run. */
int64_t sup_next_backoff(struct job *j, int64_t now);
/* Feeds bytes of output from J: console lines "NAME: ...", the log file, the tail. */
void job_output(struct job *j, const char *buf, size_t len);
void job_flush(struct job *j);
/* Prints J's tail (its last lines of output) on the console. */
void job_print_tail(struct job *j);
/* Describes a wait status: "exit status 3", "signal 9 (Killed)". */
const char *status_str(int status, char *buf, size_t len);
struct job *job_new(struct init *in, enum job_kind kind, const char *dir, const char *name);
void job_free(struct job *j);

/* ---- runtime.c: the OCI runtime and init.conf directives ---- */

/* Finds crun or runc (UNIKIT_INIT_RUNTIME in test mode); 0 or -1. */
int runtime_find(struct init *in);
/* init.conf pre-create directives, `RUNTIME create`, interfaces, bindns, `RUNTIME start`. */
int runtime_start(struct init *in, struct job *j);
/* `RUNTIME delete -f`, then undoes the mounts of init.conf. */
void runtime_delete(struct init *in, struct job *j);
/* Runs every container in DIR in order (onboot, onshutdown): create, start, wait, delete. */
void runtime_run_all(struct init *in, enum job_kind kind, const char *dir);

/* ---- mounts.c ---- */

/*
 * If / is the initramfs, makes it a root the runtime can pivot_root from: 1 a
 * tmpfs, bind-mounted on /; 2 a ramfs, copied into a new tmpfs; 0 nothing to
 * do (a real root file system); -1 failed.
 */
int mounts_switch_root(void);
/* The kernel filesystems (LinuxKit's rc.init set); -1 when an essential one fails. */
int mounts_setup(void);
/* Then the cgroup filesystem, / read-only (as LinuxKit) and rshared. */
void mounts_finish(bool cgroup_v1);
/* mount(2) with fstab-style OPTIONS split into flags and data. */
int mounts_mount(const char *type, const char *src, const char *dst, const char *options);
void mounts_unmount_all(void);

/* ---- modules.c ---- */

/*
 * Makes modules.devname's nodes in /dev, loads /etc/modules-load and the
 * modules for the devices present; the count loaded.
 */
int modules_load_all(const char *root);
/*
 * Loads the modules for the CPU's features (crc32c_intel, aesni_intel): faster
 * versions of what the kernel has already, so nothing waits for them; the count.
 */
int modules_load_cpu(const char *root);
struct modules;
struct modules *modules_open(const char *dir);
/* The running kernel's modules under ROOT, or NULL (a debug line says where none were). */
struct modules *modules_open_root(const char *root);
/* Loads NAME, a module or an alias (fs-efivarfs), with what it needs: 0, or -1 if not there. */
int modules_probe(struct modules *m, const char *name);
void modules_close(struct modules *m);
/* The modules.alias names matching one modalias, in file order, as a callback. */
void modules_match(struct modules *m, const char *modalias,
		   void (*fn)(struct modules *m, const char *name, void *arg), void *arg);
/* Loads NAME and its dependencies (deps first); 1 loaded, 0 already there, -1 failed. */
int modules_load(struct modules *m, const char *name, const char *params);
/* The modprobe command (init called by that name); its exit status. */
int modules_modprobe(int argc, char **argv);

/* ---- net.c ---- */

void net_hostname(void);
void net_loopback_up(void);
/* The directives `interface NAME ADD PEER CREATEINROOT` for the container with PID. */
int net_interface(pid_t pid, const char *name, const char *add, const char *peer,
		  bool create_in_root, char *err, size_t errlen);
