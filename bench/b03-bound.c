// SPDX-License-Identifier: Apache-2.0
// b03's floor: the least an init can do to run bench/b03-boot.yml's two
// containers with crun. bench/b03-boot.sh puts it in place of unikit's init
// in the same initramfs and boots it on the same kernel and QEMU: no modules,
// no hostname, no loopback, only the mounts crun cannot do without, crun run
// from one sealed copy (its cheapest way to start), no supervision. What
// unikit's first service costs beyond this boot is unikit's init; what this
// boot costs beyond the trivial init is the kernel and crun running the
// containers, which no init can avoid.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ONBOOT "/containers/onboot/000-first"
#define SERVICE "/containers/services/svc"

static int crun_fd = -1;

static void say(const char *what)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd >= 0) {
		dprintf(fd, "b03-bound: %s\n", what);
		close(fd);
	}
}

// The bind mounts unikit build asks for in a bundle's init.conf
// ("mount<TAB>-<TAB>SRC<TAB>DST<TAB>bind"): a rootfs shared by two containers.
static void bundle_mounts(const char *bundle)
{
	char path[256], line[1024], src[512], dst[512];

	snprintf(path, sizeof(path), "%s/init.conf", bundle);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "mount\t-\t%511s\t%511s\tbind", src, dst) == 2 &&
		    mount(src, dst, NULL, MS_BIND, NULL) < 0)
			say("a bind mount of init.conf failed");
	if (f)
		fclose(f);
}

static int crun(char *const argv[])
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		fexecve(crun_fd, argv, env);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

int main(void)
{
	struct stat st;

	// the initramfs cannot be pivot_root's old root: a bind mount of it can
	mkdir("/newroot", 0755);
	if (mount("/", "/newroot", NULL, MS_BIND | MS_REC, NULL) < 0 || chdir("/newroot") < 0 ||
	    mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
		say("cannot bind the root onto itself");
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	mount("tmpfs", "/run", "tmpfs", 0, NULL);
	mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL);
	mkdir("/run/unikit", 0755);
	bundle_mounts(ONBOOT);
	bundle_mounts(SERVICE);

	int src = open("/usr/bin/crun", O_RDONLY | O_CLOEXEC);
	crun_fd = memfd_create("crun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (src < 0 || crun_fd < 0 || fstat(src, &st) < 0 ||
	    sendfile(crun_fd, src, NULL, st.st_size) != st.st_size ||
	    fcntl(crun_fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) <
		    0) {
		say("cannot copy crun into a sealed memfd");
		reboot(RB_POWER_OFF);
	}
	close(src);

	// the service's poweroff signals PID 1; give up after 20 s
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if (crun((char *[]){ "crun", "run", "--bundle", ONBOOT, "first", NULL }) != 0)
		say("the onboot container failed");
	if (crun((char *[]){ "crun", "run", "--detach", "--bundle", SERVICE, "svc", NULL }) != 0)
		say("the service did not start");
	struct timespec limit = { 20, 0 };
	int sig;
	while ((sig = sigtimedwait(&all, NULL, &limit)) == SIGCHLD)
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	if (sig < 0)
		say("no poweroff from the service in 20 s");
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
