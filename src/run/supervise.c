// SPDX-License-Identifier: Apache-2.0
/*
 * Sitting between QEMU and the terminal. QEMU's stdio is three pipes: the
 * console (serial and monitor, multiplexed by -nographic) comes out of one and
 * goes to the caller's out_fd, a log and the watcher; keystrokes go into
 * another; QEMU's own messages come out of the third. Everything happens in
 * one poll loop, signals included (signalfd), so a match, a timeout, a panic,
 * Ctrl-C or QEMU's exit are all handled in one place, and QEMU is always
 * stopped and reaped before the function returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "run/run.h"
#include "util/proc.h"

/* After a panic, the rest of the kernel's report still comes; this long at most. */
#define PANIC_DRAIN_MS 1500
#define STOP_GRACE_MS 5000
#define ERR_KEEP 4096

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void run_result_release(struct run_result *r)
{
	free(r->qemu_msg);
	r->qemu_msg = NULL;
}

/* The signals the loop handles; blocked while it runs so signalfd sees them. */
static void loop_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

/* The terminal in raw mode, as QEMU's -nographic sets it, and back. */
struct tty_state {
	int fd;
	struct termios saved;
};

static void tty_raw(struct tty_state *t, int fd)
{
	struct termios raw;

	t->fd = -1;
	if (fd < 0 || !isatty(fd) || tcgetpgrp(fd) != getpgrp() || tcgetattr(fd, &t->saved) < 0)
		return;
	raw = t->saved;
	raw.c_iflag &=
		~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_oflag |= OPOST;
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) == 0)
		t->fd = fd;
}

static void tty_restore(struct tty_state *t)
{
	if (t->fd >= 0)
		tcsetattr(t->fd, TCSANOW, &t->saved);
	t->fd = -1;
}

/* Keystrokes are read only where reading cannot stop us (SIGTTIN in the background). */
static bool may_read(int fd)
{
	if (fd < 0)
		return false;
	if (!isatty(fd))
		return true;
	return tcgetpgrp(fd) == getpgrp();
}

static void close_pipe(int p[2])
{
	for (int i = 0; i < 2; i++) {
		if (p[i] >= 0)
			close(p[i]);
		p[i] = -1;
	}
}

/*
 * Forks and execs QEMU with the pipes as its stdio. It gets its own process
 * group (a Ctrl-C on a cooked terminal is unikit's to handle) and dies with
 * unikit if unikit is killed outright.
 */
static pid_t spawn(const struct run_argv *argv, int in, int out, int errfd, const sigset_t *mask,
		   struct uk_err *err)
{
	int status[2];
	pid_t parent = getpid();

	if (pipe2(status, O_CLOEXEC) < 0)
		return uk_err_errno(err, "run '%s': pipe", argv->v[0]);
	pid_t pid = fork();
	if (pid < 0) {
		close_pipe(status);
		return uk_err_errno(err, "run '%s': fork", argv->v[0]);
	}
	if (pid == 0) {
		int e;
		close(status[0]);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, mask, NULL);
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
			_exit(127);
		execvp(argv->v[0], argv->v);
		e = errno;
		if (write(status[1], &e, sizeof(e)) != sizeof(e))
			_exit(127);
		_exit(127);
	}
	close(status[1]);
	int e;
	ssize_t n;
	do {
		n = read(status[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(status[0]);
	if (n == sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return uk_err_errno(err, "run '%s'", argv->v[0]);
	}
	return pid;
}

struct loop {
	const struct run_supervise_opts *o;
	struct run_result *res;
	pid_t pid;
	bool decided;  /* res->outcome is final */
	bool stopping; /* SIGTERM sent */
	bool reaped;
	int status;
	int64_t kill_at;    /* SIGKILL when stopping takes this long */
	int64_t timeout_at; /* -timeout */
	int64_t panic_at;   /* the end of a panic report */
	struct strbuf err_tail;
};

static void decide(struct loop *l, enum run_outcome outcome, int sig)
{
	if (l->decided)
		return;
	l->decided = true;
	l->res->outcome = outcome;
	l->res->signal = sig;
}

static void stop(struct loop *l)
{
	if (l->stopping || l->reaped)
		return;
	l->stopping = true;
	kill(l->pid, SIGTERM);
	l->kill_at = now_ms() + (l->o->stop_grace_ms ? l->o->stop_grace_ms : STOP_GRACE_MS);
}

static void console_data(struct loop *l, const char *buf, size_t n)
{
	const struct run_supervise_opts *o = l->o;

	if (o->out_fd >= 0 && !(l->decided && l->res->outcome == RUN_OUT_CLOSED)) {
		if (xwrite_all(o->out_fd, buf, n) < 0 && errno == EPIPE) {
			decide(l, RUN_OUT_CLOSED, 0);
			stop(l);
		}
	}
	if (o->log_fd >= 0)
		(void)xwrite_all(o->log_fd, buf, n);
	if (!o->watch)
		return;
	run_watch_feed(o->watch, buf, n);
	if (o->watch->matched) {
		decide(l, RUN_OUT_MATCHED, 0);
		stop(l);
	}
	if (o->watch->panicked && !l->panic_at)
		l->panic_at = now_ms() + PANIC_DRAIN_MS;
	if (o->watch->panicked && o->watch->ring_count > 0) {
		const char *last = o->watch->ring[(o->watch->ring_next + RUN_WATCH_LINES - 1) %
						  RUN_WATCH_LINES];
		if (strstr(last, "---[ end Kernel panic"))
			l->panic_at = now_ms();
	}
}

static void qemu_stderr(struct loop *l, const char *buf, size_t n)
{
	/* QEMU's "terminating on signal 15" after our own SIGTERM is noise */
	if (l->o->err_fd >= 0 && !l->stopping)
		(void)xwrite_all(l->o->err_fd, buf, n);
	strbuf_add(&l->err_tail, buf, n);
	if (l->err_tail.len > 2 * ERR_KEEP) {
		memmove(l->err_tail.buf, l->err_tail.buf + l->err_tail.len - ERR_KEEP, ERR_KEEP);
		strbuf_setlen(&l->err_tail, ERR_KEEP);
	}
}

static char *last_line(struct strbuf *sb)
{
	while (sb->len && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r'))
		strbuf_setlen(sb, sb->len - 1);
	if (!sb->len)
		return NULL;
	const char *nl = strrchr(sb->buf, '\n');
	return xstrdup(nl ? nl + 1 : sb->buf);
}

static int poll_timeout(const struct loop *l)
{
	int64_t now = now_ms(), next = -1;
	const int64_t deadlines[] = { l->stopping ? l->kill_at : 0, l->timeout_at, l->panic_at };

	for (size_t i = 0; i < ARRAY_SIZE(deadlines); i++) {
		if (deadlines[i] && (next < 0 || deadlines[i] < next))
			next = deadlines[i];
	}
	/* once QEMU is reaped, its pipes get a short while to drain */
	if (l->reaped && (next < 0 || next > now + 200))
		next = now + 200;
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static void check_deadlines(struct loop *l)
{
	int64_t now = now_ms();

	if (l->stopping && !l->reaped && now >= l->kill_at) {
		kill(l->pid, SIGKILL);
		l->kill_at = now + 60000;
	}
	if (l->timeout_at && now >= l->timeout_at) {
		l->timeout_at = 0;
		decide(l, RUN_OUT_TIMEOUT, 0);
		stop(l);
	}
	if (l->panic_at && now >= l->panic_at) {
		l->panic_at = 0;
		decide(l, RUN_OUT_PANIC, 0);
		stop(l);
	}
}

static void handle_signals(struct loop *l, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		decide(l, RUN_OUT_SIGNAL, (int)si.ssi_signo);
		stop(l);
	}
	if (!l->reaped) {
		pid_t w = waitpid(l->pid, &l->status, WNOHANG);
		if (w == l->pid)
			l->reaped = true;
	}
}

/* Reads what an fd has; returns false at its end. */
static bool pump(int fd, struct loop *l, void (*sink)(struct loop *, const char *, size_t))
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	sink(l, buf, (size_t)n);
	return true;
}

static void relay_keys(int in_fd, int to_qemu, bool *open)
{
	char buf[4096];
	ssize_t n = read(in_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		*open = false; /* the end of our input; QEMU's stays open */
		return;
	}
	/* a guest that does not read its console must not block us */
	(void)xwrite_all(to_qemu, buf, (size_t)n);
}

static void finish(struct loop *l)
{
	struct run_result *res = l->res;

	res->pid = l->pid;
	res->qemu_msg = last_line(&l->err_tail);
	if (l->decided)
		return;
	if (WIFEXITED(l->status) && WEXITSTATUS(l->status) == 0) {
		decide(l, RUN_OUT_POWEROFF, 0);
		return;
	}
	decide(l, RUN_OUT_QEMU_FAIL, WIFSIGNALED(l->status) ? WTERMSIG(l->status) : 0);
	res->exit_status = WIFEXITED(l->status) ? WEXITSTATUS(l->status) : -1;
}

int run_supervise(const struct run_argv *argv, const struct run_supervise_opts *opts,
		  struct run_result *res, struct uk_err *err)
{
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	struct loop l = { .o = opts, .res = res, .err_tail = STRBUF_INIT };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigset_t set, old_mask;
	struct tty_state tty = { .fd = -1 };
	int sfd = -1, r = -1;

	memset(res, 0, sizeof(*res));
	loop_sigset(&set);
	sigemptyset(&ign.sa_mask);
	if (pipe2(in_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0 ||
	    pipe2(err_pipe, O_CLOEXEC) < 0) {
		uk_err_errno(err, "run QEMU: pipe");
		goto out_pipes;
	}
	fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
	sigprocmask(SIG_BLOCK, &set, &old_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		uk_err_errno(err, "run QEMU: signalfd");
		goto out_signals;
	}

	l.pid = spawn(argv, in_pipe[0], out_pipe[1], err_pipe[1], &old_mask, err);
	if (l.pid < 0)
		goto out_signals;
	close(in_pipe[0]);
	close(out_pipe[1]);
	close(err_pipe[1]);
	in_pipe[0] = out_pipe[1] = err_pipe[1] = -1;

	tty_raw(&tty, opts->in_fd);
	if (opts->timeout_s)
		l.timeout_at = now_ms() + (int64_t)opts->timeout_s * 1000;

	bool out_open = true, err_open = true, in_open = may_read(opts->in_fd);
	while (out_open || err_open || !l.reaped) {
		struct pollfd fds[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = out_open ? out_pipe[0] : -1, .events = POLLIN },
			{ .fd = err_open ? err_pipe[0] : -1, .events = POLLIN },
			{ .fd = in_open && !l.stopping ? opts->in_fd : -1, .events = POLLIN },
		};
		int n = poll(fds, 4, poll_timeout(&l));
		if (n < 0 && errno != EINTR) {
			uk_err_errno(err, "run QEMU: poll");
			stop(&l);
		}
		if (n > 0) {
			if (fds[1].revents)
				out_open = pump(out_pipe[0], &l, console_data);
			if (fds[2].revents)
				err_open = pump(err_pipe[0], &l, qemu_stderr);
			if (fds[3].revents)
				relay_keys(opts->in_fd, in_pipe[1], &in_open);
			if (fds[0].revents)
				handle_signals(&l, sfd);
		}
		check_deadlines(&l);
		if (l.reaped && n == 0)
			break; /* QEMU is gone and its pipes went quiet (a child of it may hold
				  them) */
	}
	finish(&l);
	r = 0;

out_signals:
	tty_restore(&tty);
	if (sfd >= 0)
		close(sfd);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
out_pipes:
	close_pipe(in_pipe);
	close_pipe(out_pipe);
	close_pipe(err_pipe);
	strbuf_release(&l.err_tail);
	return r;
}

void run_stop_pid(pid_t pid, unsigned grace_ms)
{
	if (kill(pid, SIGTERM) < 0)
		return;
	for (unsigned waited = 0; waited < grace_ms; waited += 50) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return;
		usleep(50000);
	}
	kill(pid, SIGKILL);
}

/* The pid QEMU wrote into pidfile. */
static pid_t pidfile_read(const char *pidfile, struct uk_err *err)
{
	char buf[32];
	_cleanup_close_ int fd = open(pidfile, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return uk_err_errno(err, "read QEMU's pid file '%s'", pidfile);
	ssize_t n = xread_all(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return uk_err_setc(err, UK_ERR_CORRUPT, "QEMU's pid file '%s' is empty", pidfile);
	buf[n] = '\0';
	long pid = strtol(buf, NULL, 10);
	if (pid <= 0 || pid > INT32_MAX)
		return uk_err_setc(err, UK_ERR_CORRUPT, "QEMU's pid file '%s' holds no pid",
				   pidfile);
	return (pid_t)pid;
}

/* Follows a detached VM's console log until the watch decides or time runs out. */
static void follow(pid_t pid, int log, const struct run_supervise_opts *o, struct run_result *res)
{
	struct run_watch *w = o->watch;
	int64_t timeout_at = o->timeout_s ? now_ms() + (int64_t)o->timeout_s * 1000 : 0;
	int64_t panic_at = 0;
	sigset_t set, old;
	int sfd;

	loop_sigset(&set);
	sigdelset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	res->outcome = RUN_OUT_RUNNING;
	for (;;) {
		char buf[16384];
		ssize_t n;
		bool alive = kill(pid, 0) == 0 || errno != ESRCH;

		while ((n = read(log, buf, sizeof(buf))) > 0) {
			if (o->out_fd >= 0)
				(void)xwrite_all(o->out_fd, buf, (size_t)n);
			if (w)
				run_watch_feed(w, buf, (size_t)n);
		}
		if (w && w->matched) {
			res->outcome = RUN_OUT_MATCHED;
			break;
		}
		if (w && w->panicked && !panic_at)
			panic_at = now_ms() + PANIC_DRAIN_MS;
		if (panic_at && now_ms() >= panic_at) {
			res->outcome = RUN_OUT_PANIC;
			run_stop_pid(pid, o->stop_grace_ms ? o->stop_grace_ms : STOP_GRACE_MS);
			break;
		}
		if (!alive) {
			res->outcome = RUN_OUT_POWEROFF;
			break;
		}
		if (timeout_at && now_ms() >= timeout_at) {
			res->outcome = RUN_OUT_TIMEOUT;
			run_stop_pid(pid, o->stop_grace_ms ? o->stop_grace_ms : STOP_GRACE_MS);
			break;
		}
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		if (poll(&p, sfd >= 0 ? 1 : 0, 100) > 0) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				res->outcome = RUN_OUT_SIGNAL;
				res->signal = (int)si.ssi_signo;
				run_stop_pid(pid,
					     o->stop_grace_ms ? o->stop_grace_ms : STOP_GRACE_MS);
				break;
			}
		}
	}
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int run_detached(const struct run_argv *argv, const char *pidfile, const char *console_log,
		 const struct run_supervise_opts *opts, struct run_result *res, struct uk_err *err)
{
	memset(res, 0, sizeof(*res));
	/* with -daemonize, QEMU's first process exits once the VM is set up, or fails */
	if (proc_run((const char *const *)argv->v, NULL, err) < 0)
		return -1;
	pid_t pid = pidfile_read(pidfile, err);
	if (pid < 0)
		return -1;
	res->pid = pid;
	res->outcome = RUN_OUT_RUNNING;
	if (!(opts->watch && opts->watch->have_re) && !opts->timeout_s)
		return 0;

	_cleanup_close_ int log = open(console_log, O_RDONLY | O_CLOEXEC);
	if (log < 0)
		return uk_err_errno(err, "follow the console '%s'", console_log);
	follow(pid, log, opts, res);
	return 0;
}
