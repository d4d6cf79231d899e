// SPDX-License-Identifier: Apache-2.0
/*
 * unikit-init: PID 1 of unikit images (docs/init.md). Also `poweroff`,
 * `reboot`, `halt` and `modprobe` when called by those names. `--test-root DIR` runs the
 * same boot, supervision and shutdown logic as an ordinary process (a child
 * subreaper) on DIR, without mounts, modules or a real poweroff.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"

/* How long after the services start the CPU feature modules are loaded. */
#define CPU_MODULES_DELAY_MS 1000

static const char *const action_name[] = { "", "poweroff", "reboot", "halt" };

static _Noreturn void fatal(struct init *in, const char *msg)
{
	log_info("fatal: %s; powering off", msg);
	if (in->test)
		exit(1);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* poweroff, reboot, halt [-f]: ask PID 1 (BusyBox init's signals), or -f: do it now. */
static int shutdown_command(const char *name, int argc, char **argv)
{
	int sig = SIGUSR2, cmd = RB_POWER_OFF;
	bool force = false;

	if (!strcmp(name, "reboot")) {
		sig = SIGTERM;
		cmd = RB_AUTOBOOT;
	} else if (!strcmp(name, "halt")) {
		sig = SIGUSR1;
		cmd = RB_HALT_SYSTEM;
	}
	/* as PID 1, argv holds the kernel command line words it did not know: not ours */
	for (int i = 1; i < argc && getpid() != 1; i++) {
		if (strcmp(argv[i], "-f") != 0) {
			fprintf(stderr, "usage: %s [-f]\n", name);
			return 2;
		}
		force = true;
	}
	if (force) {
		sync();
		reboot(cmd);
		fprintf(stderr, "%s: %s\n", name, strerror(errno));
		return 1;
	}
	/* the tests run init as an ordinary process and name it here */
	const char *env = getenv("UNIKIT_INIT_PID");
	pid_t pid = env ? (pid_t)strtol(env, NULL, 10) : 1;
	if (pid <= 0 || kill(pid, sig) < 0) {
		fprintf(stderr, "%s: cannot signal init (pid %d): %s\n", name, (int)pid,
			strerror(pid <= 0 ? EINVAL : errno));
		return 1;
	}
	return 0;
}

/*
 * Without /dev/console in the initramfs the kernel starts init with no fds 0-2:
 * they are held by placeholders until devtmpfs is mounted, so no other fd
 * takes their numbers, then the console replaces them.
 */
static void hold_std_fds(void)
{
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			open("/", O_RDONLY | O_DIRECTORY);
}

static void console_fds(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISCHR(st.st_mode))
		return;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static void resolv_conf_target(void)
{
	char target[PATH_MAX], path[PATH_MAX + 8];
	ssize_t n = readlink("/etc/resolv.conf", target, sizeof(target) - 1);

	if (n <= 0)
		return;
	target[n] = '\0';
	pathf(path, sizeof(path), "%s%s", target[0] == '/' ? "" : "/etc/", target);
	char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		mkdir_p(path, 0755);
		*slash = '/';
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static void set_rlimits(void)
{
	struct rlimit nofile = { 1048576, 1048576 }, nproc = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_NPROC, &nproc) < 0)
		log_warn("cannot set rlimits: %s", strerror(errno));
}

/* Runs the executables of DIR in order, each to its end (/etc/init.d, /etc/shutdown.d). */
static void run_scripts(struct init *in, const char *dir)
{
	size_t n;
	char **names = list_dir(dir, &n);
	char st[64];

	for (size_t i = 0; names && i < n; i++) {
		char path[PATH_MAX];
		struct stat sb;
		pathf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode) || !(sb.st_mode & 0111))
			continue;
		char *argv[] = { path, NULL };
		log_debug("running '%s'", path);
		int status = sup_run(in, argv, -1);
		if (status != 0)
			log_info("'%s' failed: %s", path,
				 status < 0 ? "did not start" : status_str(status, st, sizeof(st)));
	}
	free_list(names, n);
}

static void start_service(struct init *in, struct job *j)
{
	j->state = JOB_IDLE;
	if (runtime_start(in, j) < 0) {
		/* a service that cannot start is one that failed: its policy decides */
		j->state = JOB_RUNNING;
		j->exited = true;
		j->status = 1 << 8;
	}
}

static void start_services(struct init *in)
{
	char dir[PATH_MAX], err[512];
	size_t n, started = 0;

	pathf(dir, sizeof(dir), "%s/containers/services", in->root);
	if (in->shutdown != SHUTDOWN_NONE)
		return; /* a poweroff came during the boot */
	char **names = list_dir(dir, &n);
	for (size_t i = 0; names && i < n; i++) {
		char path[PATH_MAX];
		struct stat sb;
		pathf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (options_skips(&in->opt, names[i])) {
			log_info("service '%s' skipped (unikit.skip)", names[i]);
			continue;
		}
		struct job *j = job_new(in, JOB_SERVICE, dir, names[i]);
		pathf(path, sizeof(path), "%s/init.conf", j->dir);
		if (conf_load(path, &j->conf, err, sizeof(err)) < 0) {
			log_info("service '%s' not started: %s", j->name, err);
			j->state = JOB_DONE;
			continue;
		}
		start_service(in, j);
		started++;
	}
	free_list(names, n);
	log_phase("services started (%zu)", started);
}

static _Noreturn void shutdown_system(struct init *in)
{
	char dir[PATH_MAX];
	enum shutdown_action a = in->shutdown;

	log_phase("shutdown: %s", action_name[a]);
	pathf(dir, sizeof(dir), "%s/etc/shutdown.d", in->root);
	run_scripts(in, dir);
	pathf(dir, sizeof(dir), "%s/containers/onshutdown", in->root);
	runtime_run_all(in, JOB_ONSHUTDOWN, dir);
	sup_stop_jobs(in, JOB_SERVICE, (int64_t)in->opt.grace_s * 1000);
	for (size_t i = 0; i < in->njobs; i++) {
		struct job *j = in->jobs[i];
		if (j->kind == JOB_SERVICE && j->state == JOB_RUNNING)
			runtime_delete(in, j);
	}
	log_phase("services stopped");
	if (in->test) {
		log_info("test mode: shutdown complete (%s)", action_name[a]);
		exit(0);
	}
	/* whatever is left, as BusyBox init does: TERM, a moment, KILL */
	kill(-1, SIGTERM);
	for (int64_t end = now_ms() + 2000; now_ms() < end;) {
		sup_step(in, 100);
		if (in->no_children)
			break;
	}
	kill(-1, SIGKILL);
	sup_step(in, 100);
	sync();
	mounts_unmount_all();
	log_phase("%s", action_name[a]);
	reboot(a == SHUTDOWN_REBOOT ? RB_AUTOBOOT
	       : a == SHUTDOWN_HALT ? RB_HALT_SYSTEM
				    : RB_POWER_OFF);
	fatal(in, strerror(errno));
}

/* The supervision loop: restarts, unikit.shutdown, signals; never returns. */
static _Noreturn void supervise(struct init *in)
{
	/*
	 * The CPU feature modules are only faster versions of what the kernel
	 * has: they wait until the services are under way, not to hold up their
	 * first steps (or their first lines, which pass through this loop).
	 */
	if (!in->test && !in->opt.modules_off)
		in->cpu_modules_at_ms = now_ms() + CPU_MODULES_DELAY_MS;

	for (;;) {
		int64_t now = now_ms();
		if (in->cpu_modules_at_ms && now >= in->cpu_modules_at_ms &&
		    in->shutdown == SHUTDOWN_NONE) {
			in->cpu_modules_at_ms = 0;
			log_phase_late("CPU feature modules loaded (%d)", modules_load_cpu(""));
		}
		if (in->shutdown != SHUTDOWN_NONE)
			shutdown_system(in);
		for (size_t i = 0; i < in->njobs; i++) {
			struct job *j = in->jobs[i];
			if (j->kind != JOB_SERVICE)
				continue;
			if (j->state == JOB_RUNNING && j->exited) {
				job_flush(j);
				runtime_delete(in, j);
				sup_service_exited(in, j, now_ms());
			} else if (j->state == JOB_BACKOFF && now >= j->next_start_ms) {
				start_service(in, j);
			}
		}
		/* a signal read while a runtime ran (a nested wait) has nothing left to wake us */
		if (in->shutdown == SHUTDOWN_NONE)
			sup_step(in, sup_next_wait(in));
	}
}

/* The real boot: root switch, mounts, console, the kernel command line, modules, system. */
static void boot_system(struct init *in, int64_t t0)
{
	int switched = mounts_switch_root();
	int64_t t_root = since_boot_us();

	int mounted = mounts_setup();
	console_fds();
	log_open_consoles();
	if (mounted < 0)
		fatal(in, "cannot mount the kernel filesystems");
	char *cmdline = read_file("/proc/cmdline", 65536, NULL);
	options_parse(cmdline ? cmdline : "", &in->opt);
	free(cmdline);
	mounts_finish(in->opt.cgroup_v1);
	log_quiet = in->opt.quiet;
	log_debug_on = in->opt.debug;
	mkdir_p("/run/unikit", 0755);
	log_phase_file("/run/unikit/boot-times");
	log_phase_at(t0, "init started");
	if (switched < 0)
		fatal(in, "cannot move the initramfs to a tmpfs");
	if (switched > 0) {
		log_debug("the initramfs was a %s", switched == 1 ? "tmpfs: a bind mount of it is /"
								  : "ramfs: copied into a tmpfs");
		log_phase_at(t_root, "root moved to tmpfs");
	}
	log_phase("filesystems mounted");
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (!getenv("HOME"))
		setenv("HOME", "/", 1);
	reboot(RB_DISABLE_CAD); /* Ctrl-Alt-Del becomes SIGINT */
	if (!in->opt.modules_off)
		log_phase("modules loaded (%d)", modules_load_all(""));
	net_hostname();
	net_loopback_up();
	resolv_conf_target();
	set_rlimits();
	log_phase("system configured");
}

static void boot_test(struct init *in, const char *cmdline, int64_t t0)
{
	char path[PATH_MAX];

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		fatal(in, "cannot become a child subreaper");
	options_parse(cmdline, &in->opt);
	log_quiet = in->opt.quiet;
	log_debug_on = in->opt.debug;
	pathf(path, sizeof(path), "%s/run/unikit", in->root);
	mkdir_p(path, 0755);
	pathf(path, sizeof(path), "%s/var/log", in->root);
	mkdir_p(path, 0755);
	pathf(path, sizeof(path), "%s/run/unikit/boot-times", in->root);
	log_phase_file(path);
	log_phase_at(t0, "init started (test mode, root '%s')", in->root);
}

int main(int argc, char **argv)
{
	int64_t t0 = since_boot_us();
	const char *name = basename(argv[0]);
	struct init in = { .root = "", .sigfd = -1, .runtime_fd = -1 };
	const char *cmdline = "";
	char dir[PATH_MAX];

	if (!strcmp(name, "poweroff") || !strcmp(name, "reboot") || !strcmp(name, "halt"))
		return shutdown_command(name, argc, argv);
	if (!strcmp(name, "modprobe"))
		return modules_modprobe(argc, argv);
	/* as PID 1, argv holds the kernel command line words it did not know: not ours */
	for (int i = 1; i < argc && getpid() != 1; i++) {
		if (!strcmp(argv[i], "--test-root") && i + 1 < argc) {
			in.root = argv[++i];
			in.test = true;
		} else if (!strcmp(argv[i], "--cmdline") && i + 1 < argc) {
			cmdline = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--test-root DIR [--cmdline OPTIONS]]\n", name);
			return 2;
		}
	}
	if (!in.test && getpid() != 1) {
		fprintf(stderr, "%s: must run as PID 1 (or with --test-root DIR)\n", name);
		return 2;
	}
	options_parse("", &in.opt);
	if (!in.test)
		hold_std_fds();

	/* every signal waits in the signalfd; children get the old mask back */
	sigset_t all, handled;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &in.oldmask);
	sigemptyset(&handled);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP && (s < 32 || s >= SIGRTMIN))
			sigaddset(&handled, s);
	in.sigfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);

	if (in.test)
		boot_test(&in, cmdline, t0);
	else
		boot_system(&in, t0);
	if (in.sigfd < 0)
		fatal(&in, "cannot create a signalfd");

	pathf(dir, sizeof(dir), "%s/etc/init.d", in.root);
	run_scripts(&in, dir);
	log_phase("init.d done");
	if (runtime_find(&in) < 0)
		log_debug("no OCI runtime (crun or runc) in the image");
	else
		log_debug("OCI runtime '%s'", in.runtime);
	pathf(dir, sizeof(dir), "%s/containers/onboot", in.root);
	runtime_run_all(&in, JOB_ONBOOT, dir);
	log_phase("onboot done");
	start_services(&in);
	if (in.opt.shutdown_s >= 0)
		in.shutdown_at_ms = now_ms() + (int64_t)in.opt.shutdown_s * 1000;
	supervise(&in);
}
