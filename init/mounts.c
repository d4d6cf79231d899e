// SPDX-License-Identifier: Apache-2.0
/* The root switch, the kernel filesystems, init.conf mounts, and unmounting at the end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"

#define RAMFS_MAGIC 0x858458f6
#define TMPFS_MAGIC 0x01021994
#define NEWROOT "/.unikit-root"

static int copy_file(int sdir, int ddir, const char *name, const struct stat *st)
{
	int in = openat(sdir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int out = in < 0 ? -1
			 : openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				  st->st_mode & 07777);
	int r = 0;

	if (in < 0 || out < 0 || copy_all(out, in, st->st_size) < 0)
		r = -1;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

/* Hard links are made again in the copy: the first copy of each inode is remembered. */
struct links {
	struct {
		ino_t ino;
		char *path;
	} * v;
	size_t n;
};

static bool link_again(struct links *l, const struct stat *st, int ddir, const char *name,
		       const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].ino == st->st_ino)
			return linkat(AT_FDCWD, l->v[i].path, ddir, name, 0) == 0;
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (!l->v)
		abort();
	l->v[l->n].ino = st->st_ino;
	l->v[l->n].path = malloc(PATH_MAX);
	if (!l->v[l->n].path)
		abort();
	pathf(l->v[l->n++].path, PATH_MAX, NEWROOT "%s/%s", path, name);
	return false;
}

/* Copies the entries of sdir (PATH) on device DEV into ddir, deleting the copied files. */
static int copy_tree(int sdir, int ddir, dev_t dev, const char *path, struct links *links)
{
	int fd = dup(sdir);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		log_warn("switch root: cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) && r == 0) {
		const char *name = de->d_name;
		struct stat st;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(ddir, name, st.st_mode & 07777) < 0) {
				r = -1;
				break;
			}
			int s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			int t = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			char sub[PATH_MAX];
			if (s < 0 || t < 0 || pathf(sub, sizeof(sub), "%s/%s", path, name) < 0)
				r = -1;
			else
				r = copy_tree(s, t, dev, sub, links);
			if (s >= 0)
				close(s);
			if (t >= 0)
				close(t);
		} else if (S_ISREG(st.st_mode)) {
			if (st.st_nlink < 2 || !link_again(links, &st, ddir, name, path))
				r = copy_file(sdir, ddir, name, &st);
			if (r == 0)
				unlinkat(sdir, name, 0);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
			if (n < 0)
				r = -1;
			else {
				target[n] = '\0';
				r = symlinkat(target, ddir, name);
			}
		} else {
			r = mknodat(ddir, name, st.st_mode, st.st_rdev);
		}
		if (r == 0) {
			struct timespec ts[2] = { st.st_atim, st.st_mtim };
			fchownat(ddir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
			if (!S_ISLNK(st.st_mode))
				fchmodat(ddir, name, st.st_mode & 07777, 0);
			utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW);
		} else {
			log_warn("switch root: cannot copy '%s/%s': %s", path, name,
				 strerror(errno));
		}
	}
	closedir(d);
	return r;
}

int mounts_switch_root(void)
{
	struct statfs sfs;
	struct stat st;

	if (statfs("/", &sfs) < 0 || stat("/", &st) < 0)
		return -1;
	if (sfs.f_type != RAMFS_MAGIC && sfs.f_type != TMPFS_MAGIC)
		return 0; /* a real root filesystem: pivot_root works there */
	if (mkdir(NEWROOT, 0755) < 0 && errno != EEXIST)
		return -1;
	/*
	 * The kernel unpacks the initramfs into a tmpfs when it has one and no
	 * root= is given: nothing to copy, only the initial mount to leave
	 * (pivot_root refuses a root mount without a parent). A bind mount of
	 * it, moved onto /, has that parent.
	 */
	if (sfs.f_type == TMPFS_MAGIC) {
		if (mount("/", NEWROOT, NULL, MS_BIND, NULL) < 0 || chdir(NEWROOT) < 0 ||
		    mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
			return -1;
		rmdir(NEWROOT); /* the mount point left in the tree */
		return 1;
	}
	if (mount("rootfs", NEWROOT, "tmpfs", 0, "mode=755") < 0)
		return -1;
	int s = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int t = open(NEWROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct links links = { 0 };
	int r = s < 0 || t < 0 ? -1 : copy_tree(s, t, st.st_dev, "", &links);
	for (size_t i = 0; i < links.n; i++)
		free(links.v[i].path);
	free(links.v);
	if (s >= 0)
		close(s);
	if (t >= 0)
		close(t);
	if (r < 0)
		return -1;
	if (chdir(NEWROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return -1;
	return 2;
}

struct kmount {
	const char *src, *dst, *type;
	unsigned long flags;
	const char *data;
	bool essential; /* a failure stops the boot */
	bool silent;	/* many kernels lack it: no warning */
};

#define NDEV (MS_NOEXEC | MS_NOSUID | MS_NODEV)

/* LinuxKit's rc.init set, in its order. */
static const struct kmount kernel_mounts[] = {
	{ "proc", "/proc", "proc", NDEV | MS_RELATIME, NULL, true, false },
	{ "tmpfs", "/run", "tmpfs", NDEV | MS_RELATIME, "size=10%,mode=755", true, false },
	{ "tmpfs", "/tmp", "tmpfs", NDEV | MS_RELATIME, "size=10%,mode=1777", false, false },
	{ "tmpfs", "/var", "tmpfs", NDEV | MS_RELATIME, "size=50%,mode=755", false, false },
	{ "dev", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC | MS_RELATIME,
	  "size=10m,nr_inodes=248418,mode=755", true, false },
	{ "mqueue", "/dev/mqueue", "mqueue", NDEV, NULL, false, false },
	{ "shm", "/dev/shm", "tmpfs", NDEV, "mode=1777", false, false },
	{ "devpts", "/dev/pts", "devpts", MS_NOEXEC | MS_NOSUID, "gid=5,mode=0620", false, false },
	{ "sysfs", "/sys", "sysfs", NDEV, NULL, true, false },
	{ "securityfs", "/sys/kernel/security", "securityfs", NDEV, NULL, false, true },
	{ "debugfs", "/sys/kernel/debug", "debugfs", NDEV, NULL, false, true },
	{ "configfs", "/sys/kernel/config", "configfs", NDEV, NULL, false, true },
	{ "fusectl", "/sys/fs/fuse/connections", "fusectl", NDEV, NULL, false, true },
	{ "selinuxfs", "/sys/fs/selinux", "selinuxfs", MS_NOEXEC | MS_NOSUID, NULL, false, true },
	{ "pstore", "/sys/fs/pstore", "pstore", NDEV, NULL, false, true },
	{ "bpffs", "/sys/fs/bpf", "bpf", MS_NODEV, NULL, false, true },
	{ "efivarfs", "/sys/firmware/efi/efivars", "efivarfs", NDEV, NULL, false, true },
	{ "binfmt_misc", "/proc/sys/fs/binfmt_misc", "binfmt_misc", NDEV, NULL, false, true },
};

static const struct {
	const char *path;
	mode_t mode;
	dev_t dev;
} dev_nodes[] = {
	{ "/dev/console", S_IFCHR | 0600, 0x501 }, { "/dev/tty1", S_IFCHR | 0620, 0x401 },
	{ "/dev/tty", S_IFCHR | 0666, 0x500 },	   { "/dev/null", S_IFCHR | 0666, 0x103 },
	{ "/dev/kmsg", S_IFCHR | 0660, 0x10b },
};

static const char *const dev_links[][2] = {
	{ "/proc/self/fd", "/dev/fd" },	      { "/proc/self/fd/0", "/dev/stdin" },
	{ "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
	{ "/proc/kcore", "/dev/kcore" },
};

static const struct {
	const char *path;
	mode_t mode;
} var_dirs[] = {
	{ "/var/cache", 0755 }, { "/var/empty", 0555 }, { "/var/lib", 0755 },
	{ "/var/local", 0755 }, { "/var/lock", 0755 },	{ "/var/log", 0755 },
	{ "/var/opt", 0755 },	{ "/var/spool", 0755 }, { "/var/tmp", 01777 },
};

static void cgroup_v1_setup(void)
{
	char *list = read_file("/proc/cgroups", 65536, NULL);

	if (mount("cgroup_root", "/sys/fs/cgroup", "tmpfs", NDEV, "mode=755,size=10m") < 0)
		log_warn("cannot mount '/sys/fs/cgroup': %s", strerror(errno));
	for (char *line = list, *next; line && *line; line = next) {
		char name[64], path[128];
		int hier, num, enabled;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (sscanf(line, "%63s %d %d %d", name, &hier, &num, &enabled) != 4 ||
		    name[0] == '#' || !enabled)
			continue;
		pathf(path, sizeof(path), "/sys/fs/cgroup/%s", name);
		mkdir(path, 0555);
		if (mount(name, path, "cgroup", NDEV, name) < 0)
			log_warn("cannot mount cgroup '%s': %s", name, strerror(errno));
	}
	free(list);
	int fd = open("/sys/fs/cgroup/memory/memory.use_hierarchy", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		write_all(fd, "1", 1);
		close(fd);
	}
	mkdir("/sys/fs/cgroup/systemd", 0555);
	if (mount("cgroup", "/sys/fs/cgroup/systemd", "cgroup", 0, "none,name=systemd") < 0)
		log_warn("cannot mount the systemd cgroup: %s", strerror(errno));
}

/* Whether LIST (/proc/filesystems: "nodev\tproc\n\text4\n") has TYPE. */
static bool fs_type_listed(const char *list, const char *type)
{
	char line[64];

	snprintf(line, sizeof(line), "\t%s\n", type);
	return list && strstr(list, line);
}

/*
 * The optional file systems are mounted with the kernel's module requests
 * off: each request starts /sbin/modprobe (init again) as a new process,
 * which under emulation costs more than the mount, and they come to nothing
 * in most images (bpffs asks for bpf_preload at every mount, binfmt_misc for
 * itself). A type the kernel lacks is loaded here from the image's modules
 * instead, or its mount skipped; so is one without its mount point.
 */
struct optional {
	char modprobe[256];   /* /proc/sys/kernel/modprobe before, "" if unknown */
	char *filesystems;    /* /proc/filesystems */
	struct modules *mods; /* the image's modules, opened at the first type missing */
	bool mods_opened;
};

static void optional_mounts_begin(struct optional *o)
{
	int fd = open("/proc/sys/kernel/modprobe", O_RDWR | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, o->modprobe, sizeof(o->modprobe) - 1) : -1;

	o->modprobe[n > 0 ? n : 0] = '\0';
	if (n > 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, "\n", 1) != 1)
		o->modprobe[0] = '\0';
	if (fd >= 0)
		close(fd);
	o->filesystems = read_file("/proc/filesystems", 65536, NULL);
}

static void optional_mounts_end(struct optional *o)
{
	int fd = o->modprobe[0] ? open("/proc/sys/kernel/modprobe", O_WRONLY | O_CLOEXEC) : -1;

	if (fd >= 0) {
		write_all(fd, o->modprobe, strlen(o->modprobe));
		close(fd);
	}
	free(o->filesystems);
	if (o->mods)
		modules_close(o->mods);
	memset(o, 0, sizeof(*o));
}

static bool optional_mount_possible(struct optional *o, const struct kmount *m)
{
	char alias[64];

	if (access(m->dst, F_OK) < 0)
		return false;
	if (fs_type_listed(o->filesystems, m->type))
		return true;
	if (!o->mods_opened) {
		o->mods = modules_open_root("");
		o->mods_opened = true;
	}
	snprintf(alias, sizeof(alias), "fs-%s", m->type);
	return o->mods && modules_probe(o->mods, alias) == 0;
}

int mounts_setup(void)
{
	mode_t old = umask(0);
	int r = 0;
	struct optional opt = { 0 };
	bool optional = false;

	for (size_t i = 0; i < sizeof(kernel_mounts) / sizeof(kernel_mounts[0]); i++) {
		const struct kmount *m = &kernel_mounts[i];
		if (m->silent != optional) {
			if (optional)
				optional_mounts_end(&opt);
			else
				optional_mounts_begin(&opt);
			optional = m->silent;
		}
		if (m->silent && !optional_mount_possible(&opt, m))
			continue;
		if (!m->silent)
			mkdir(m->dst, 0755);
		if (mount(m->src, m->dst, m->type, m->flags, m->data) == 0 || errno == EBUSY) {
			/* a kernel with DEVTMPFS_MOUNT mounted /dev already */
		} else if (m->essential) {
			log_warn("cannot mount '%s' on '%s': %s", m->type, m->dst, strerror(errno));
			r = -1;
		} else if (!m->silent) {
			log_warn("cannot mount '%s' on '%s': %s", m->type, m->dst, strerror(errno));
		}
		if (!strcmp(m->dst, "/var")) {
			for (size_t k = 0; k < sizeof(var_dirs) / sizeof(var_dirs[0]); k++)
				mkdir(var_dirs[k].path, var_dirs[k].mode);
			symlink("/run", "/var/run");
		} else if (!strcmp(m->dst, "/dev")) {
			for (size_t k = 0; k < sizeof(dev_nodes) / sizeof(dev_nodes[0]); k++)
				mknod(dev_nodes[k].path, dev_nodes[k].mode,
				      makedev(dev_nodes[k].dev >> 8, dev_nodes[k].dev & 0xff));
			for (size_t k = 0; k < sizeof(dev_links) / sizeof(dev_links[0]); k++)
				symlink(dev_links[k][0], dev_links[k][1]);
			mkdir("/dev/mqueue", 01777);
			mkdir("/dev/shm", 01777);
			mkdir("/dev/pts", 0755);
		}
	}
	if (optional)
		optional_mounts_end(&opt);
	umask(old);
	return r;
}

void mounts_finish(bool cgroup_v1)
{
	mode_t old = umask(0);

	if (cgroup_v1)
		cgroup_v1_setup();
	else if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", NDEV, NULL) < 0)
		log_warn("cannot mount cgroup2 on '/sys/fs/cgroup': %s", strerror(errno));
	/* LinuxKit's root is read-only; /run, /tmp and /var are where things are written */
	mount("", "/", NULL, MS_REMOUNT | MS_RDONLY, NULL);
	if (mount("", "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		log_warn("cannot make '/' rshared: %s", strerror(errno));
	umask(old);
}

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
	{ "async", true, MS_SYNCHRONOUS },
	{ "atime", true, MS_NOATIME },
	{ "bind", false, MS_BIND },
	{ "defaults", false, 0 },
	{ "dev", true, MS_NODEV },
	{ "diratime", true, MS_NODIRATIME },
	{ "dirsync", false, MS_DIRSYNC },
	{ "exec", true, MS_NOEXEC },
	{ "mand", false, MS_MANDLOCK },
	{ "noatime", false, MS_NOATIME },
	{ "nodev", false, MS_NODEV },
	{ "nodiratime", false, MS_NODIRATIME },
	{ "noexec", false, MS_NOEXEC },
	{ "nomand", true, MS_MANDLOCK },
	{ "norelatime", true, MS_RELATIME },
	{ "nostrictatime", true, MS_STRICTATIME },
	{ "nosuid", false, MS_NOSUID },
	{ "rbind", false, MS_BIND | MS_REC },
	{ "relatime", false, MS_RELATIME },
	{ "remount", false, MS_REMOUNT },
	{ "ro", false, MS_RDONLY },
	{ "rw", true, MS_RDONLY },
	{ "strictatime", false, MS_STRICTATIME },
	{ "suid", true, MS_NOSUID },
	{ "sync", false, MS_SYNCHRONOUS },
};

static const struct {
	const char *name;
	unsigned long flag;
} propagation[] = {
	{ "private", MS_PRIVATE },	 { "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },	 { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },		 { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

int mounts_mount(const char *type, const char *src, const char *dst, const char *options)
{
	unsigned long flags = 0, prop = 0;
	char data[1024] = "", opt[256];
	size_t dlen = 0;

	for (const char *p = options ? options : ""; *p;) {
		size_t n = strcspn(p, ",");
		bool known = false;
		if (n >= sizeof(opt)) {
			errno = E2BIG;
			return -1;
		}
		memcpy(opt, p, n);
		opt[n] = '\0';
		p += n + (p[n] == ',');
		for (size_t i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++) {
			if (!strcmp(opt, mount_flags[i].name)) {
				flags = mount_flags[i].clear ? flags & ~mount_flags[i].flag
							     : flags | mount_flags[i].flag;
				known = true;
			}
		}
		for (size_t i = 0; i < sizeof(propagation) / sizeof(propagation[0]); i++) {
			if (!strcmp(opt, propagation[i].name)) {
				prop = propagation[i].flag;
				known = true;
			}
		}
		if (!known && n > 0) {
			if (dlen + n + 2 > sizeof(data)) {
				errno = E2BIG;
				return -1;
			}
			dlen += (size_t)snprintf(data + dlen, sizeof(data) - dlen, "%s%s",
						 dlen ? "," : "", opt);
		}
	}
	if (mount(src, dst, type, flags, dlen ? data : NULL) < 0)
		return -1;
	/* a bind mount takes ro only on a remount, propagation only on its own */
	if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
	    mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return -1;
	if (prop && mount(NULL, dst, NULL, prop, NULL) < 0)
		return -1;
	return 0;
}

/* Undoes the octal escapes of /proc/mounts (\040 is a space). */
static void unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3]) {
			*o++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

void mounts_unmount_all(void)
{
	char *text = read_file("/proc/mounts", 1 << 20, NULL);
	char *points[512];
	size_t n = 0;

	for (char *line = text, *next; line && *line && n < 512; line = next) {
		char dev[256], dir[PATH_MAX];
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (sscanf(line, "%255s %4095s", dev, dir) != 2 || !strcmp(dir, "/"))
			continue;
		unescape(dir);
		points[n++] = strdup(dir);
	}
	free(text);
	/* the newest first, so nested mounts go before their parents */
	while (n > 0) {
		char *p = points[--n];
		if (p && umount2(p, 0) < 0 && errno != EINVAL && errno != ENOENT)
			umount2(p, MNT_DETACH);
		free(p);
	}
	sync();
	mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL);
}
