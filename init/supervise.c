// SPDX-License-Identifier: Apache-2.0
/*
 * The event loop: one poll over the signalfd and every job's output pipe.
 * Children are reaped with waitpid(-1, WNOHANG) until none is left to reap,
 * whoever they are: helpers init waits for (struct waiter), containers
 * (struct job), and orphans the kernel reparented to init. sup_step() only
 * records what happened; the boot and supervision code in main.c and
 * runtime.c acts on it, so nothing here calls back into them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

#define LOG_ROTATE_BYTES (1 << 20)
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000
#define BACKOFF_RESET_MS 10000

const char *status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		msgf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		msgf(buf, len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		msgf(buf, len, "wait status %#x", (unsigned)status);
	return buf;
}

struct job *job_new(struct init *in, enum job_kind kind, const char *dir, const char *name)
{
	static const char *const prefix[] = { "onboot.", "", "onshutdown." };
	struct job *j = calloc(1, sizeof(*j));
	int fds[2];

	if (!j)
		abort();
	pathf(j->name, sizeof(j->name), "%s", name);
	pathf(j->dir, sizeof(j->dir), "%s/%s", dir, name);
	j->kind = kind;
	j->rfd = j->wfd = j->logfd = -1;
	j->conf.restart = RESTART_ON_FAILURE;
	if (pipe2(fds, O_CLOEXEC) == 0) {
		j->rfd = fds[0];
		j->wfd = fds[1];
		fcntl(j->rfd, F_SETFL, O_NONBLOCK);
	} else {
		log_warn("'%s': cannot make a pipe: %s", name, strerror(errno));
	}
	pathf(j->logpath, sizeof(j->logpath), "%s/var/log/%s%s.log", in->root, prefix[kind], name);
	j->logfd = open(j->logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (j->logfd < 0)
		log_debug("cannot open '%s': %s", j->logpath, strerror(errno));
	in->jobs = realloc(in->jobs, (in->njobs + 1) * sizeof(*in->jobs));
	if (!in->jobs)
		abort();
	in->jobs[in->njobs++] = j;
	return j;
}

void job_free(struct job *j)
{
	if (!j)
		return;
	if (j->rfd >= 0)
		close(j->rfd);
	if (j->wfd >= 0)
		close(j->wfd);
	if (j->logfd >= 0)
		close(j->logfd);
	for (size_t i = 0; i < j->nmounted; i++)
		free(j->mounted[i]);
	conf_release(&j->conf);
	free(j);
}

static void job_log(struct job *j, const char *line, size_t len)
{
	if (j->logfd < 0)
		return;
	if (j->logsize + (off_t)len > LOG_ROTATE_BYTES) {
		/* keep one old file: NAME.log.1 */
		char old[PATH_MAX + 4];
		close(j->logfd);
		pathf(old, sizeof(old), "%s.1", j->logpath);
		rename(j->logpath, old);
		j->logfd = open(j->logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		j->logsize = 0;
		if (j->logfd < 0)
			return;
	}
	write_all(j->logfd, line, len);
	j->logsize += (off_t)len;
}

static void job_line(struct job *j)
{
	char out[LINE_MAX_LEN + NAME_MAX + 4];
	size_t n = j->linelen;

	int m = snprintf(out, sizeof(out), "%s: %.*s\n", j->name, (int)n, j->line);
	console_write(out, (size_t)m < sizeof(out) ? (size_t)m : sizeof(out) - 1);
	j->line[n] = '\n';
	job_log(j, j->line, n + 1);
	msgf(j->tail[j->tail_next], TAIL_WIDTH, "%.*s", (int)n, j->line);
	j->tail_next = (j->tail_next + 1) % TAIL_LINES;
	if (j->tail_count < TAIL_LINES)
		j->tail_count++;
	j->linelen = 0;
}

void job_output(struct job *j, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			job_line(j);
			continue;
		}
		j->line[j->linelen++] = buf[i];
		if (j->linelen == sizeof(j->line) - 1)
			job_line(j);
	}
}

void job_flush(struct job *j)
{
	char buf[4096];
	ssize_t n;

	while (j->rfd >= 0 && (n = read(j->rfd, buf, sizeof(buf))) > 0)
		job_output(j, buf, (size_t)n);
	if (j->linelen)
		job_line(j);
}

void job_print_tail(struct job *j)
{
	if (j->tail_count == 0) {
		log_info("'%s' wrote nothing", j->name);
		return;
	}
	log_info("last %u line%s of '%s' (%s):", j->tail_count, j->tail_count > 1 ? "s" : "",
		 j->name, j->logpath);
	for (unsigned i = 0; i < j->tail_count; i++) {
		unsigned k = (j->tail_next + TAIL_LINES - j->tail_count + i) % TAIL_LINES;
		log_info("  | %s", j->tail[k]);
	}
}

static void reap(struct init *in)
{
	char st[64];

	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		in->no_children = pid < 0 && errno == ECHILD;
		if (pid <= 0)
			return;
		bool known = false;
		for (size_t i = 0; i < sizeof(in->waiters) / sizeof(in->waiters[0]); i++) {
			struct waiter *w = in->waiters[i];
			if (w && w->pid == pid) {
				w->done = true;
				w->status = status;
				known = true;
			}
		}
		for (size_t i = 0; i < in->njobs && !known; i++) {
			struct job *j = in->jobs[i];
			if (j->pid == pid) {
				j->pid = 0;
				j->exited = true;
				j->status = status;
				known = true;
				log_debug("'%s' (pid %d) ended: %s", j->name, pid,
					  status_str(status, st, sizeof(st)));
			}
		}
		if (!known) {
			log_debug("reaped pid %d: %s", pid, status_str(status, st, sizeof(st)));
			unsigned k = in->unclaimed_next++ % 16;
			in->unclaimed[k].pid = pid;
			in->unclaimed[k].status = status;
		}
	}
}

static void handle_signal(struct init *in, int sig)
{
	enum shutdown_action a;

	switch (sig) {
	case SIGUSR2:
		a = SHUTDOWN_POWEROFF;
		break;
	case SIGTERM:
	case SIGINT: /* Ctrl-Alt-Del, as LinuxKit's inittab: reboot */
		a = SHUTDOWN_REBOOT;
		break;
	case SIGUSR1:
		a = SHUTDOWN_HALT;
		break;
	case SIGCHLD:
		return;
	default:
		log_debug("ignoring signal %d (%s)", sig, strsignal(sig));
		return;
	}
	if (in->shutdown == SHUTDOWN_NONE) {
		static const char *const what[] = { "", "poweroff", "reboot", "halt" };
		log_info("received SIG%s: %s",
			 sig == SIGUSR2	  ? "USR2"
			 : sig == SIGTERM ? "TERM"
			 : sig == SIGINT  ? "INT"
					  : "USR1",
			 what[a]);
		in->shutdown = a;
	}
}

int sup_next_wait(struct init *in)
{
	int64_t now = now_ms(), due = -1;

	for (size_t i = 0; i < in->njobs; i++) {
		struct job *j = in->jobs[i];
		if (j->state == JOB_RUNNING && j->exited)
			return 0; /* an end to act on */
		if (j->state == JOB_BACKOFF && (due < 0 || j->next_start_ms < due))
			due = j->next_start_ms;
	}
	if (in->cpu_modules_at_ms && (due < 0 || in->cpu_modules_at_ms < due))
		due = in->cpu_modules_at_ms;
	if (due < 0)
		return -1;
	return due > now ? (int)(due - now > 60000 ? 60000 : due - now) : 0;
}

/*
 * unikit.shutdown's deadline is an event like a poweroff signal, whichever
 * wait init is in: a nested one (an onshutdown container, a runtime call)
 * wakes for it too.
 */
static int until_shutdown(struct init *in, int timeout_ms)
{
	if (!in->shutdown_at_ms || in->shutdown != SHUTDOWN_NONE)
		return timeout_ms;
	int64_t left = in->shutdown_at_ms - now_ms();
	if (left <= 0) {
		log_info("unikit.shutdown=%d: powering off", in->opt.shutdown_s);
		in->shutdown = SHUTDOWN_POWEROFF;
		return 0;
	}
	return timeout_ms < 0 || left < timeout_ms ? (int)left : timeout_ms;
}

void sup_step(struct init *in, int timeout_ms)
{
	struct pollfd *pfd = calloc(in->njobs + 1, sizeof(*pfd));
	struct job **owner = calloc(in->njobs + 1, sizeof(*owner));
	nfds_t n = 0;

	if (!pfd || !owner)
		abort();
	pfd[n++] = (struct pollfd){ .fd = in->sigfd, .events = POLLIN };
	for (size_t i = 0; i < in->njobs; i++) {
		if (in->jobs[i]->rfd < 0)
			continue;
		owner[n] = in->jobs[i];
		pfd[n++] = (struct pollfd){ .fd = in->jobs[i]->rfd, .events = POLLIN };
	}
	int r = poll(pfd, n, until_shutdown(in, timeout_ms));
	if (r < 0 && errno != EINTR)
		log_warn("poll: %s", strerror(errno));
	if (r > 0 && (pfd[0].revents & POLLIN)) {
		struct signalfd_siginfo si;
		while (read(in->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			handle_signal(in, (int)si.ssi_signo);
	}
	for (nfds_t i = 1; r > 0 && i < n; i++) {
		char buf[4096];
		ssize_t got;
		if (!pfd[i].revents)
			continue;
		while ((got = read(pfd[i].fd, buf, sizeof(buf))) > 0)
			job_output(owner[i], buf, (size_t)got);
	}
	free(pfd);
	free(owner);
	reap(in);
	until_shutdown(in, 0);
}

void sup_claim(struct init *in, struct job *j, pid_t pid)
{
	char st[64];

	j->pid = pid;
	for (unsigned i = 0; i < 16; i++) {
		if (in->unclaimed[i].pid != pid)
			continue;
		in->unclaimed[i].pid = 0;
		j->pid = 0;
		j->exited = true;
		j->status = in->unclaimed[i].status;
		log_debug("'%s' (pid %d) ended already: %s", j->name, (int)pid,
			  status_str(j->status, st, sizeof(st)));
		return;
	}
}

pid_t sup_spawn(struct init *in, char *const argv[], int out_fd)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("cannot start '%s': %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	sigprocmask(SIG_SETMASK, &in->oldmask, NULL);
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0 && null != STDIN_FILENO) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	}
	/* the runtime runs from its sealed copy (runtime.c) */
	if (in->runtime_fd >= 0 && !strcmp(argv[0], in->runtime))
		fexecve(in->runtime_fd, argv, environ);
	else
		execv(argv[0], argv);
	dprintf(STDERR_FILENO, INIT_NAME ": cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

int sup_run(struct init *in, char *const argv[], int out_fd)
{
	struct waiter w = { 0 };
	size_t slot = 0;

	while (slot < sizeof(in->waiters) / sizeof(in->waiters[0]) && in->waiters[slot])
		slot++;
	if (slot == sizeof(in->waiters) / sizeof(in->waiters[0])) {
		log_warn("cannot run '%s': too many nested waits", argv[0]);
		return -1;
	}
	/*
	 * An unknown child reaped from now on may be what this run starts (a
	 * detached container) and is claimed right after it: nothing older, whose
	 * pid may have been reused since.
	 */
	memset(in->unclaimed, 0, sizeof(in->unclaimed));
	w.pid = sup_spawn(in, argv, out_fd);
	if (w.pid < 0)
		return -1;
	in->waiters[slot] = &w;
	while (!w.done)
		sup_step(in, -1);
	in->waiters[slot] = NULL;
	return w.status;
}

void sup_wait_job(struct init *in, struct job *j, int64_t limit_ms)
{
	int64_t start = now_ms(), grace = (int64_t)in->opt.grace_s * 1000;
	int64_t term_at = limit_ms >= 0 ? start + limit_ms : INT64_MAX, kill_at = INT64_MAX;
	bool termed = false, killed = false;

	while (!j->exited) {
		int64_t now = now_ms();
		/* a poweroff during the boot stops the onboot container that runs */
		if (in->shutdown != SHUTDOWN_NONE && j->kind == JOB_ONBOOT && term_at > now)
			term_at = now;
		if (!termed && now >= term_at && j->pid > 0) {
			log_info("stopping '%s' (SIGTERM)", j->name);
			kill(j->pid, SIGTERM);
			termed = true;
			kill_at = now + grace;
		}
		if (!killed && now >= kill_at && j->pid > 0) {
			log_info("'%s' still runs after %d s: SIGKILL", j->name, in->opt.grace_s);
			kill(j->pid, SIGKILL);
			killed = true;
		}
		int64_t next = termed ? (killed ? 1000 : kill_at - now) : term_at - now;
		sup_step(in, (int)(next > 1000 ? 1000 : next < 0 ? 0 : next));
	}
}

void sup_stop_jobs(struct init *in, enum job_kind kind, int64_t grace_ms)
{
	int64_t deadline = now_ms() + grace_ms;
	size_t running = 0;

	for (size_t i = 0; i < in->njobs; i++) {
		struct job *j = in->jobs[i];
		if (j->kind != kind)
			continue;
		j->stopping = true;
		if (j->state == JOB_BACKOFF)
			j->state = JOB_DONE;
		if (j->state == JOB_RUNNING && j->pid > 0) {
			log_debug("sending SIGTERM to '%s' (pid %d)", j->name, j->pid);
			kill(j->pid, SIGTERM);
			running++;
		}
	}
	for (bool killed = false; running > 0;) {
		int64_t now = now_ms();
		running = 0;
		for (size_t i = 0; i < in->njobs; i++) {
			struct job *j = in->jobs[i];
			if (j->kind != kind || j->state != JOB_RUNNING || j->pid <= 0)
				continue;
			running++;
			if (!killed && now >= deadline) {
				log_info("'%s' did not stop in %lld ms: SIGKILL", j->name,
					 (long long)grace_ms);
				kill(j->pid, SIGKILL);
			}
		}
		if (!killed && now >= deadline)
			killed = true;
		if (running == 0 || (killed && now >= deadline + 5000))
			break;
		sup_step(in, killed ? 200 : (int)(deadline - now > 200 ? 200 : deadline - now));
	}
}

int64_t sup_next_backoff(struct job *j, int64_t now)
{
	if (j->backoff_ms == 0 || now - j->started_ms >= BACKOFF_RESET_MS)
		j->backoff_ms = BACKOFF_FIRST_MS;
	else if (j->backoff_ms < BACKOFF_MAX_MS)
		j->backoff_ms =
			j->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : j->backoff_ms * 2;
	return j->backoff_ms;
}

void sup_service_exited(struct init *in, struct job *j, int64_t now)
{
	char st[64];
	bool failed = !WIFEXITED(j->status) || WEXITSTATUS(j->status) != 0;

	j->exited = false;
	status_str(j->status, st, sizeof(st));
	if (in->shutdown != SHUTDOWN_NONE || j->stopping) {
		j->state = JOB_DONE;
		return;
	}
	if (j->conf.restart == RESTART_NO || (j->conf.restart == RESTART_ON_FAILURE && !failed)) {
		log_info("service '%s' ended with %s; restart policy '%s': not restarted", j->name,
			 st, restart_policy_name(j->conf.restart));
		if (failed)
			job_print_tail(j);
		j->state = JOB_DONE;
		return;
	}
	int64_t delay = sup_next_backoff(j, now);
	j->restarts++;
	log_info("service '%s' ended with %s; restart %u in %lld ms", j->name, st, j->restarts,
		 (long long)delay);
	j->state = JOB_BACKOFF;
	j->next_start_ms = now + delay;
}
