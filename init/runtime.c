// SPDX-License-Identifier: Apache-2.0
/*
 * Containers through the OCI runtime, as LinuxKit runs them: the init.conf
 * directives that come before `create` (cgroup, mkdir, mount), then
 * `RUNTIME create --bundle DIR --pid-file F NAME`, the interfaces and bindns
 * directives on the created process, then `RUNTIME start NAME`. Without
 * interfaces or bindns, one `RUNTIME run` does it all: `--detach` for a
 * service, in the foreground (it waits and deletes) for onboot and
 * onshutdown. A detached container's process is reparented to init when the
 * runtime exits, so the loop reaps it like any child. Everything the runtime
 * and the container write goes into the job's pipe: the console, the log file
 * and the failure tail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

#define ONSHUTDOWN_LIMIT_MS 30000

static const char *const kind_name[] = { "onboot", "service", "onshutdown" };

/*
 * crun and runc protect themselves against CVE-2019-5736 by copying their own
 * binary into a sealed memfd and executing that, unless they already run
 * from one: under TCG each copy and re-exec of a dynamically linked crun
 * costs tenths of a second, and it happens on every create, start and delete.
 * So init makes that copy once, sealed the way the runtimes check for
 * (runc's memfd-bind does the same), and runs the runtime from it. Scripts
 * (the host tests' fake runtimes) cannot run from a close-on-exec fd: they
 * run from their path.
 */
static void runtime_seal(struct init *in)
{
	const unsigned seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	char magic[4];
	struct stat st;
	int src = open(in->runtime, O_RDONLY | O_CLOEXEC);
	int fd = -1;

	if (src < 0 || fstat(src, &st) < 0 || pread(src, magic, 4, 0) != 4 ||
	    memcmp(magic, "\177ELF", 4) != 0)
		goto out;
	fd = memfd_create("unikit-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		goto out;
	if (copy_all(fd, src, st.st_size) < 0 || fcntl(fd, F_ADD_SEALS, seals) < 0)
		goto fail;
	in->runtime_fd = fd;
	fd = -1;
	log_debug("'%s' runs from a sealed copy in memory", in->runtime);
	goto out;
fail:
	log_debug("cannot copy '%s' into memory: %s", in->runtime, strerror(errno));
	close(fd);
out:
	if (src >= 0)
		close(src);
}

int runtime_find(struct init *in)
{
	static const char *const names[] = { "crun", "runc" };
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin",
					    "/usr/local/bin" };
	const char *env = in->test ? getenv("UNIKIT_INIT_RUNTIME") : NULL;

	if (env && *env) {
		pathf(in->runtime, sizeof(in->runtime), "%s", env);
		runtime_seal(in);
		return 0;
	}
	for (size_t n = 0; n < 2; n++) {
		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			pathf(in->runtime, sizeof(in->runtime), "%s%s/%s", in->root, dirs[d],
			      names[n]);
			if (access(in->runtime, X_OK) == 0) {
				runtime_seal(in);
				return 0;
			}
		}
	}
	in->runtime[0] = '\0';
	return -1;
}

/* A path from init.conf: absolute under the root, else under the container directory. */
static void resolve(struct init *in, struct job *j, const char *p, char *out, size_t len)
{
	if (p[0] == '/')
		pathf(out, len, "%s%s", in->root, p);
	else
		pathf(out, len, "%s/%s", j->dir, p);
}

static int make_cgroup(struct init *in, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;

	pathf(path, sizeof(path), "%s/sys/fs/cgroup/cgroup.controllers", in->root);
	if (stat(path, &st) == 0 || !in->opt.cgroup_v1) {
		pathf(path, sizeof(path), "%s/sys/fs/cgroup/%s", in->root, name);
		if (mkdir_p(path, 0755) < 0) {
			msgf(err, errlen, "cannot create cgroup '%s': %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* cgroup v1: the group under every controller */
	pathf(path, sizeof(path), "%s/sys/fs/cgroup", in->root);
	size_t n;
	char **ctl = list_dir(path, &n);
	for (size_t i = 0; ctl && i < n; i++) {
		char sub[PATH_MAX];
		pathf(sub, sizeof(sub), "%s/%s/%s", path, ctl[i], name);
		if (mkdir_p(sub, 0755) < 0)
			log_debug("cannot create cgroup '%s': %s", sub, strerror(errno));
	}
	free_list(ctl, n);
	return 0;
}

static int do_mount(struct init *in, struct job *j, const struct directive *d, char *err,
		    size_t errlen)
{
	char dst[PATH_MAX], src[PATH_MAX];
	const char *opts = d->f[3] ? d->f[3] : "";
	bool bind = strstr(opts, "bind") != NULL;

	resolve(in, j, d->f[2], dst, sizeof(dst));
	if (mkdir_p(dst, 0755) < 0) {
		msgf(err, errlen, "cannot create mount point '%s': %s", dst, strerror(errno));
		return -1;
	}
	/* an overlay's upper and work directories must exist */
	for (const char *p = opts; *p;) {
		size_t n = strcspn(p, ",");
		if ((!strncmp(p, "upperdir=", 9) || !strncmp(p, "workdir=", 8)) && n < PATH_MAX) {
			char dir[PATH_MAX];
			const char *eq = memchr(p, '=', n);
			pathf(dir, sizeof(dir), "%.*s", (int)(n - (size_t)(eq + 1 - p)), eq + 1);
			mkdir_p(dir, 0755);
		}
		p += n + (p[n] == ',');
	}
	if (in->test) {
		log_debug("test mode: not mounting '%s'", dst);
		return 0;
	}
	if (bind && d->f[1])
		resolve(in, j, d->f[1], src, sizeof(src));
	else
		pathf(src, sizeof(src), "%s", d->f[1] ? d->f[1] : "none");
	if (mounts_mount(d->f[0] ? d->f[0] : "", src, dst, opts) < 0) {
		msgf(err, errlen, "cannot mount '%s' on '%s': %s", src, dst, strerror(errno));
		return -1;
	}
	if (j->nmounted < MOUNTS_MAX)
		j->mounted[j->nmounted++] = strdup(dst);
	return 0;
}

static int bind_ns(struct init *in, struct job *j, const struct directive *d, char *err,
		   size_t errlen)
{
	char path[PATH_MAX], ns[64];

	resolve(in, j, d->f[1], path, sizeof(path));
	if (in->test) {
		log_debug("test mode: not binding the %s namespace on '%s'", d->f[0], path);
		return 0;
	}
	char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		mkdir_p(path, 0755);
		*slash = '/';
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	pathf(ns, sizeof(ns), "/proc/%d/ns/%s", (int)j->pid, d->f[0]);
	if (mount(ns, path, NULL, MS_BIND, NULL) < 0) {
		msgf(err, errlen, "cannot bind the %s namespace on '%s': %s", d->f[0], path,
		     strerror(errno));
		return -1;
	}
	return 0;
}

/* The directives before create (pre) or after it (!pre); 0 or -1 with err. */
static int apply(struct init *in, struct job *j, bool pre, char *err, size_t errlen)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < j->conf.n; i++) {
		const struct directive *d = &j->conf.v[i];
		int r = 0;
		switch (d->type) {
		case DIR_CGROUP:
			if (pre && !in->test)
				r = make_cgroup(in, d->f[0], err, errlen);
			break;
		case DIR_MKDIR:
			if (!pre)
				break;
			resolve(in, j, d->f[0], path, sizeof(path));
			r = mkdir_p(path, 0755);
			if (r < 0)
				msgf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
			break;
		case DIR_MOUNT:
			if (pre)
				r = do_mount(in, j, d, err, errlen);
			break;
		case DIR_INTERFACE:
			if (pre)
				break;
			if (in->test)
				log_debug("test mode: not setting up interface '%s'", d->f[0]);
			else
				r = net_interface(j->pid, d->f[0], d->f[1], d->f[2],
						  !strcmp(d->f[3], "true"), err, errlen);
			break;
		case DIR_BINDNS:
			if (!pre)
				r = bind_ns(in, j, d, err, errlen);
			break;
		case DIR_NAMESPACE: /* containerd's namespace in LinuxKit: nothing to do here */
		case DIR_RESTART:
			break;
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

static void pid_file(struct init *in, struct job *j, char *out, size_t len)
{
	pathf(out, len, "%s/run/unikit/%s.%s.pid", in->root, kind_name[j->kind], j->name);
}

static void undo_mounts(struct job *j)
{
	while (j->nmounted > 0) {
		char *p = j->mounted[--j->nmounted];
		if (umount2(p, 0) < 0)
			umount2(p, MNT_DETACH);
		free(p);
	}
}

static void report(struct job *j, const char *what, const char *why)
{
	log_info("%s '%s' failed: %s%s%s", kind_name[j->kind], j->name, what, why ? ": " : "",
		 why ? why : "");
	job_flush(j);
	job_print_tail(j);
}

/* Whether init.conf acts on the created container: then create and start are apart. */
static bool needs_created(const struct job *j)
{
	for (size_t i = 0; i < j->conf.n; i++)
		if (j->conf.v[i].type == DIR_INTERFACE || j->conf.v[i].type == DIR_BINDNS)
			return true;
	return false;
}

/* The pid in the runtime's pid file, or -1. */
static pid_t read_pid(const char *pidf)
{
	char *text = read_file(pidf, 64, NULL);
	char *end = NULL;
	long pid = text ? strtol(text, &end, 10) : 0;
	bool ok = text && pid > 0 && end != text;

	free(text);
	return ok ? (pid_t)pid : -1;
}

int runtime_start(struct init *in, struct job *j)
{
	char err[512], pidf[PATH_MAX], st[64];
	char *create[] = { in->runtime,	 "create", "--bundle", j->dir,
			   "--pid-file", pidf,	   j->name,    NULL };
	char *start[] = { in->runtime, "start", j->name, NULL };
	char *run_fg[] = { in->runtime, "run", "--bundle", j->dir, j->name, NULL };
	char *run_bg[] = { in->runtime,	 "run", "--detach", "--bundle", j->dir,
			   "--pid-file", pidf,	j->name,    NULL };
	bool apart = needs_created(j);
	const char *what = apart ? "create" : "run";

	if (!in->runtime[0]) {
		report(j, "no OCI runtime", "neither crun nor runc is in the image");
		return -1;
	}
	j->exited = false;
	j->stopping = false;
	j->foreground = false;
	j->started_ms = now_ms(); /* a failed try counts as a short run, for the backoff */
	if (apply(in, j, true, err, sizeof(err)) < 0) {
		report(j, "init.conf", err);
		undo_mounts(j);
		return -1;
	}
	/*
	 * Each runtime call is a program to load and run: the fewer the faster
	 * the boot. Without interfaces or bindns, `run` does create and start in
	 * one; for onboot and onshutdown containers, `run` in the foreground
	 * also waits and deletes (it passes signals on to the container).
	 */
	if (!apart && j->kind != JOB_SERVICE) {
		j->pid = sup_spawn(in, run_fg, j->wfd);
		if (j->pid < 0) {
			j->pid = 0;
			report(j, "run", "cannot run the runtime");
			undo_mounts(j);
			return -1;
		}
		j->foreground = true;
		j->state = JOB_RUNNING;
		log_debug("%s '%s' runs (pid %d)", kind_name[j->kind], j->name, (int)j->pid);
		return 0;
	}
	pid_file(in, j, pidf, sizeof(pidf));
	unlink(pidf);
	int status = sup_run(in, apart ? create : run_bg, j->wfd);
	j->created = true; /* even a failed create may leave something to delete */
	if (status != 0) {
		report(j, what,
		       status < 0 ? "cannot run the runtime" : status_str(status, st, sizeof(st)));
		runtime_delete(in, j);
		return -1;
	}
	pid_t pid = read_pid(pidf);
	if (pid < 0) {
		report(j, what, "no pid in the runtime's pid file");
		runtime_delete(in, j);
		return -1;
	}
	log_debug("%s '%s' %s (pid %d)", kind_name[j->kind], j->name, apart ? "created" : "started",
		  (int)pid);
	j->state = JOB_RUNNING;
	sup_claim(in, j, pid);
	if (!apart)
		return 0;
	if (apply(in, j, false, err, sizeof(err)) < 0) {
		report(j, "init.conf", err);
		goto kill;
	}
	status = sup_run(in, start, j->wfd);
	if (status != 0) {
		report(j, "start",
		       status < 0 ? "cannot run the runtime" : status_str(status, st, sizeof(st)));
		goto kill;
	}
	log_debug("%s '%s' started (pid %d)", kind_name[j->kind], j->name, (int)pid);
	return 0;
kill:
	if (j->pid > 0)
		kill(j->pid, SIGKILL);
	while (!j->exited)
		sup_step(in, 1000);
	runtime_delete(in, j);
	return -1;
}

void runtime_delete(struct init *in, struct job *j)
{
	char pidf[PATH_MAX];
	char *del[] = { in->runtime, "delete", "-f", j->name, NULL };

	if (j->created) {
		int status = sup_run(in, del, j->wfd);
		if (status != 0)
			log_debug("'%s delete' of '%s' failed", in->runtime, j->name);
		else
			log_debug("%s '%s' deleted", kind_name[j->kind], j->name);
		j->created = false;
	}
	job_flush(j);
	undo_mounts(j);
	pid_file(in, j, pidf, sizeof(pidf));
	unlink(pidf);
}

static void remove_job(struct init *in, struct job *j)
{
	for (size_t i = 0; i < in->njobs; i++) {
		if (in->jobs[i] == j) {
			in->jobs[i] = in->jobs[--in->njobs];
			break;
		}
	}
	job_free(j);
}

void runtime_run_all(struct init *in, enum job_kind kind, const char *dir)
{
	size_t n;
	char **names = list_dir(dir, &n);
	char err[512], st[64];

	for (size_t i = 0; names && i < n; i++) {
		struct stat sb;
		char path[PATH_MAX];
		pathf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (options_skips(&in->opt, names[i])) {
			log_info("%s '%s' skipped (unikit.skip)", kind_name[kind], names[i]);
			continue;
		}
		/* a poweroff during the boot skips the onboot containers left */
		if (kind == JOB_ONBOOT && in->shutdown != SHUTDOWN_NONE)
			break;
		struct job *j = job_new(in, kind, dir, names[i]);
		pathf(path, sizeof(path), "%s/init.conf", j->dir);
		if (conf_load(path, &j->conf, err, sizeof(err)) < 0) {
			log_info("%s '%s' not run: %s", kind_name[kind], j->name, err);
			remove_job(in, j);
			continue;
		}
		log_phase("%s %s", kind_name[kind], j->name);
		if (runtime_start(in, j) == 0) {
			sup_wait_job(in, j, kind == JOB_ONSHUTDOWN ? ONSHUTDOWN_LIMIT_MS : -1);
			/* a runtime killed before it could clean up leaves the container */
			if (j->foreground && WIFSIGNALED(j->status))
				j->created = true;
			job_flush(j);
			if (j->status != 0) {
				report(j, status_str(j->status, st, sizeof(st)), NULL);
			}
			runtime_delete(in, j);
		}
		remove_job(in, j);
	}
	free_list(names, n);
}
