// SPDX-License-Identifier: Apache-2.0
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STDERR_KEEP 4096

bool proc_have(const char *prog)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		_cleanup_free_ char *cand = xasprintf("%.*s/%s", (int)n, n ? path : ".", prog);
		if (access(cand, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static const char *last_line(struct strbuf *sb)
{
	while (sb->len && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r'))
		strbuf_setlen(sb, sb->len - 1);
	const char *nl = strrchr(sb->buf, '\n');
	return nl ? nl + 1 : sb->buf;
}

int proc_run(const char *const argv[], const struct proc_opts *opts, struct uk_err *err)
{
	static const struct proc_opts defaults = PROC_OPTS_INIT;
	_cleanup_strbuf_ struct strbuf errbuf = STRBUF_INIT;
	_cleanup_close_ int devnull = -1;
	int errpipe[2] = { -1, -1 }, outpipe[2] = { -1, -1 };
	size_t out_max;
	pid_t pid;

	if (!opts)
		opts = &defaults;
	out_max = opts->out_max ? opts->out_max : 64u << 20;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return uk_err_errno(err, "open /dev/null");
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return uk_err_errno(err, "run '%s': pipe", argv[0]);
	if (opts->stdout_fd < 0 && opts->out && pipe2(outpipe, O_CLOEXEC) < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		return uk_err_errno(err, "run '%s': pipe", argv[0]);
	}

	pid = fork();
	if (pid < 0) {
		uk_err_errno(err, "run '%s'", argv[0]);
		close(errpipe[0]);
		close(errpipe[1]);
		if (outpipe[0] >= 0) {
			close(outpipe[0]);
			close(outpipe[1]);
		}
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		int in = opts->stdin_fd >= 0 ? opts->stdin_fd : devnull;
		int out = opts->stdout_fd >= 0 ? opts->stdout_fd
					       : (outpipe[1] >= 0 ? outpipe[1] : devnull);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errpipe[1], 2) < 0)
			_exit(127);
		if (opts->cwd && chdir(opts->cwd) < 0) {
			dprintf(2, "chdir '%s': %s\n", opts->cwd, strerror(errno));
			_exit(127);
		}
		if (opts->envp)
			execvpe(argv[0], (char *const *)argv, (char *const *)opts->envp);
		else
			execvp(argv[0], (char *const *)argv);
		dprintf(2, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}

	close(errpipe[1]);
	if (outpipe[1] >= 0)
		close(outpipe[1]);

	struct pollfd fds[2] = { { .fd = errpipe[0], .events = POLLIN },
				 { .fd = outpipe[0], .events = POLLIN } };
	int open_fds = outpipe[0] >= 0 ? 2 : 1;
	bool too_much = false;
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[65536];
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				strbuf_add(&errbuf, buf, (size_t)n);
				if (errbuf.len > 2 * STDERR_KEEP) {
					memmove(errbuf.buf, errbuf.buf + errbuf.len - STDERR_KEEP,
						STDERR_KEEP);
					strbuf_setlen(&errbuf, STDERR_KEEP);
				}
			} else if (opts->out->len + (size_t)n <= out_max) {
				strbuf_add(opts->out, buf, (size_t)n);
			} else {
				too_much = true;
			}
		}
	}

	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return uk_err_errno(err, "wait for '%s'", argv[0]);
	}
	if (WIFSIGNALED(status))
		return uk_err_set(err, "'%s' killed by signal %d%s%s", argv[0], WTERMSIG(status),
				  errbuf.len ? ": " : "", last_line(&errbuf));
	if (WEXITSTATUS(status) != 0)
		return uk_err_set(err, "'%s' exited with status %d%s%s", argv[0],
				  WEXITSTATUS(status), errbuf.len ? ": " : "", last_line(&errbuf));
	if (too_much)
		return uk_err_set(err, "'%s' wrote more than %zu bytes", argv[0], out_max);
	return 0;
}
