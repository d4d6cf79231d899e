// SPDX-License-Identifier: Apache-2.0
/*
 * The boot initramfs of the disk-root formats (kernel+squashfs, kernel+erofs,
 * kernel+iso). A kernel with everything built in mounts root= by itself; a
 * modular one (Debian's) needs its disk and file system modules loaded
 * first. This initramfs holds those modules, taken from the root's own
 * lib/modules with the dependencies their .modinfo names, busybox (the
 * static one from the host) and an /init script that loads them, mounts the
 * root read-only and switches to it.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/cpio.h"
#include "output/disk.h"
#include "output/modinfo.h"
#include "output/root.h"
#include "output/tool.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define BUSYBOX "/bin/busybox"
#define MODULE_MAX (64u << 20)

/* What a root on a disk may need: the disks QEMU and clouds attach, and the file systems. */
static const char *const wanted[] = {
	"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod",   "sr_mod", "cdrom",
	"ata_piix",   "ahci",	    "nvme",	   "squashfs", "erofs",	 "isofs",
};

static const char init_script[] =
	"#!/bin/busybox sh\n"
	"# unikit: load the disk and file system modules, mount root= read-only, start its init\n"
	"export PATH=/bin\n"
	"busybox mount -t proc proc /proc\n"
	"busybox mount -t sysfs sysfs /sys\n"
	"busybox mount -t devtmpfs devtmpfs /dev\n"
	"while read -r m; do busybox insmod \"/lib/modules/$m.ko\" 2>/dev/null; done </etc/modules\n"
	"root=/dev/vda fstype= init=\n"
	"for a in $(busybox cat /proc/cmdline); do\n"
	"\tcase \"$a\" in\n"
	"\troot=*) root=${a#root=} ;;\n"
	"\trootfstype=*) fstype=${a#rootfstype=} ;;\n"
	"\tinit=*) init=${a#init=} ;;\n"
	"\tesac\n"
	"done\n"
	"# the type from the magic numbers, rather than mount trying (and logging) each\n"
	"fstype_of() {\n"
	"\t[ \"$(busybox dd if=\"$1\" bs=4 count=1 2>/dev/null)\" = hsqs ] && echo squashfs && return\n"
	"\t[ \"$(busybox dd if=\"$1\" bs=1 skip=32769 count=5 2>/dev/null)\" = CD001 ] &&\n"
	"\t\techo iso9660 && return\n"
	"\t[ \"$(busybox dd if=\"$1\" bs=4 skip=256 count=1 2>/dev/null | busybox od -An -tx1 |\n"
	"\t\tbusybox tr -d ' ')\" = e2e1f5e0 ] && echo erofs\n"
	"}\n"
	"mounted=\n"
	"for try in $(busybox seq 100); do\n"
	"\tfor dev in \"$root\" /dev/vda /dev/sr0 /dev/sda /dev/nvme0n1; do\n"
	"\t\t[ -b \"$dev\" ] || continue\n"
	"\t\tt=${fstype:-$(fstype_of \"$dev\")}\n"
	"\t\tif busybox mount -o ro ${t:+-t \"$t\"} \"$dev\" /newroot 2>/dev/null; then\n"
	"\t\t\tmounted=$dev\n"
	"\t\t\tbreak 2\n"
	"\t\tfi\n"
	"\tdone\n"
	"\tbusybox usleep 100000\n"
	"done\n"
	"if [ -z \"$mounted\" ]; then\n"
	"\techo \"unikit: cannot mount the root file system $root (${fstype:-any type})\"\n"
	"\tbusybox poweroff -f\n"
	"fi\n"
	"if [ -z \"$init\" ]; then\n"
	"\tinit=/sbin/init\n"
	"\t[ -e /newroot/init ] && init=/init\n"
	"fi\n"
	"busybox mount --move /dev /newroot/dev 2>/dev/null || busybox umount /dev\n"
	"busybox umount /sys /proc\n"
	"exec busybox switch_root /newroot \"$init\"\n"
	"echo \"unikit: cannot start $init on $mounted\"\n"
	"busybox poweroff -f\n";

struct module {
	char *name;    /* "virtio_blk" */
	char *path;    /* in the tar */
	char *depends; /* names and aliases it needs first, one per line */
	char *aliases; /* one per line */
	bool needed;
	void *data;
	size_t len;
};

struct modules {
	struct module *m;
	size_t n, alloc;
	char **order; /* needed names, dependencies first */
	size_t norder;
};

static void modules_release(struct modules *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->m[i].name);
		free(ms->m[i].path);
		free(ms->m[i].depends);
		free(ms->m[i].aliases);
		free(ms->m[i].data);
	}
	free(ms->m);
	free(ms->order);
}

static bool has_line(const char *lines, const char *s)
{
	size_t n = strlen(s);
	for (const char *p = lines; (p = strstr(p, s)); p++)
		if ((p == lines || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* A module by its name, else by one of its aliases ("crc32c"). */
static struct module *find(struct modules *ms, const char *name)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->m[i].name, name) == 0)
			return &ms->m[i];
	for (size_t i = 0; i < ms->n; i++)
		if (has_line(ms->m[i].aliases, name))
			return &ms->m[i];
	return NULL;
}

/* Adds the words of s (separated by any of seps) to sb, one per line. */
static void add_words(struct strbuf *sb, const char *s, size_t len, const char *seps)
{
	while (len) {
		size_t skip = strspn(s, seps), w;
		if (skip >= len)
			break;
		s += skip;
		len -= skip;
		for (w = 0; w < len && !strchr(seps, s[w]); w++)
			;
		strbuf_add(sb, s, w);
		strbuf_addch(sb, '\n');
		s += w;
		len -= w;
	}
}

static void softdep_pre(struct strbuf *sb, const char *s, size_t len)
{
	/* "pre: a b post: c": the names between "pre:" and the next "post:" */
	bool pre = false;
	while (len) {
		size_t skip = strspn(s, " "), w;
		if (skip >= len)
			break;
		s += skip;
		len -= skip;
		for (w = 0; w < len && s[w] != ' '; w++)
			;
		if (w == 4 && !strncmp(s, "pre:", 4))
			pre = true;
		else if (w == 5 && !strncmp(s, "post:", 5))
			pre = false;
		else if (pre) {
			strbuf_add(sb, s, w);
			strbuf_addch(sb, '\n');
		}
		s += w;
		len -= w;
	}
}

#define SH_FIELD64(sh, off)                                                                    \
	((uint64_t)output_get_le32((sh) + (off)) | (uint64_t)output_get_le32((sh) + (off) + 4) \
							   << 32)

void output_modinfo_read(const uint8_t *p, size_t len, struct output_modinfo *mi)
{
	if (len < 64 ||
	    memcmp(p,
		   "\x7f"
		   "ELF",
		   4) != 0 ||
	    p[4] != 2 || p[5] != 1)
		return;
	uint64_t shoff = SH_FIELD64(p, 0x28);
	uint16_t shentsize = output_get_le16(p + 0x3a), shnum = output_get_le16(p + 0x3c);
	uint16_t shstrndx = output_get_le16(p + 0x3e);
	if (shentsize < 64 || shstrndx >= shnum || shoff > len ||
	    (uint64_t)shnum * shentsize > len - shoff)
		return;
	const uint8_t *strtab = p + shoff + (size_t)shstrndx * shentsize;
	uint64_t str_off = SH_FIELD64(strtab, 0x18), str_size = SH_FIELD64(strtab, 0x20);
	if (str_off > len || str_size > len - str_off)
		return;
	for (uint16_t i = 0; i < shnum; i++) {
		const uint8_t *sh = p + shoff + (size_t)i * shentsize;
		uint32_t name = output_get_le32(sh);
		uint64_t off = SH_FIELD64(sh, 0x18), size = SH_FIELD64(sh, 0x20);
		if (name >= str_size || off > len || size > len - off)
			continue;
		if (strncmp((const char *)p + str_off + name, ".modinfo",
			    (size_t)(str_size - name)) != 0)
			continue;
		for (uint64_t k = 0; k < size;) {
			const char *s = (const char *)p + off + k;
			size_t l = strnlen(s, (size_t)(size - k));
			if (l > 8 && !strncmp(s, "depends=", 8))
				add_words(&mi->depends, s + 8, l - 8, ",");
			else if (l > 8 && !strncmp(s, "softdep=", 8))
				softdep_pre(&mi->pre, s + 8, l - 8);
			else if (l > 6 && !strncmp(s, "alias=", 6))
				add_words(&mi->aliases, s + 6, l - 6, "\n");
			k += l + 1;
		}
		return;
	}
}
#undef SH_FIELD64

/* A module in lib/modules/VERSION/: its name ('-' read as '_'), or NULL */
static char *module_name(const char *path)
{
	if (!str_has_prefix(path, "lib/modules/") || !str_has_suffix(path, ".ko"))
		return NULL;
	const char *base = strrchr(path, '/') + 1;
	char *n = xstrndup(base, strlen(base) - 3);
	for (char *s = n; *s; s++)
		if (*s == '-')
			*s = '_';
	return n;
}

static int read_data(struct archive *a, const char *path, void **data, size_t *len,
		     struct uk_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0) {
			strbuf_release(&sb);
			return uk_err_set(err, "read '%s': %s", path, archive_error_string(a));
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > MODULE_MAX) {
			strbuf_release(&sb);
			return uk_err_setc(err, UK_ERR_INPUT, "module '%s' is too large", path);
		}
		strbuf_add(&sb, buf, (size_t)n);
	}
	*data = strbuf_detach(&sb, len);
	return 0;
}

/* One pass over the tar; pass 0 indexes the modules, pass 1 reads the needed ones. */
static int scan(const char *tar, struct modules *ms, int pass, struct uk_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r = -1;

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, tar, 1 << 16) != ARCHIVE_OK) {
		uk_err_set(err, "open '%s': %s", tar, archive_error_string(a));
		goto out;
	}
	for (;;) {
		int s = archive_read_next_header(a, &e);
		if (s == ARCHIVE_EOF)
			break;
		if (s != ARCHIVE_OK) {
			uk_err_set(err, "read '%s': %s", tar, archive_error_string(a));
			goto out;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		_cleanup_free_ char *name = module_name(archive_entry_pathname(e));
		if (!name)
			continue;
		struct module *m = NULL;
		for (size_t i = 0; i < ms->n && !m; i++)
			if (strcmp(ms->m[i].name, name) == 0)
				m = &ms->m[i];
		if (pass == 0 && !m) {
			void *data;
			size_t len;
			if (read_data(a, archive_entry_pathname(e), &data, &len, err) < 0)
				goto out;
			struct output_modinfo mi = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
			output_modinfo_read(data, len, &mi);
			strbuf_addstr(&mi.pre, mi.depends.buf);
			XGROW(ms->m, ms->alloc, ms->n + 1);
			ms->m[ms->n++] = (struct module){
				.name = TAKE_PTR(name),
				.path = xstrdup(archive_entry_pathname(e)),
				.depends = strbuf_detach(&mi.pre, NULL),
				.aliases = strbuf_detach(&mi.aliases, NULL),
			};
			strbuf_release(&mi.depends);
			free(data);
		} else if (pass == 1 && m && m->needed && !m->data &&
			   strcmp(m->path, archive_entry_pathname(e)) == 0) {
			if (read_data(a, m->path, &m->data, &m->len, err) < 0)
				goto out;
		}
	}
	r = 0;
out:
	archive_read_free(a);
	return r;
}

/* Marks name and what it depends on, dependencies first in ms->order. */
static void need(struct modules *ms, const char *name, int depth)
{
	struct module *m = find(ms, name);
	if (!m || m->needed || depth > 32)
		return;
	m->needed = true;
	_cleanup_free_ char *deps = xstrdup(m->depends);
	for (char *s = deps, *tok; (tok = strsep(&s, "\n"));)
		if (*tok)
			need(ms, tok, depth + 1);
	ms->order = xrealloc(ms->order, (ms->norder + 1) * sizeof(*ms->order));
	ms->order[ms->norder++] = m->name;
}

static int busybox_read(void **data, size_t *len, struct uk_err *err)
{
	char *p;
	if (output_tool_file(BUSYBOX, err) < 0 || fs_read_file(BUSYBOX, 64 << 20, &p, len, err) < 0)
		return -1;
	*data = p;
	const uint8_t *b = (const uint8_t *)p;
	/* no program interpreter: a static binary runs in an initramfs with nothing else */
	if (*len < 64 ||
	    memcmp(b,
		   "\x7f"
		   "ELF",
		   4) != 0 ||
	    b[4] != 2)
		goto dynamic;
	uint64_t phoff = output_get_le32(b + 0x20) | (uint64_t)output_get_le32(b + 0x24) << 32;
	uint16_t phentsize = output_get_le16(b + 0x36), phnum = output_get_le16(b + 0x38);
	if (phentsize < 56 || phoff > *len || (uint64_t)phnum * phentsize > *len - phoff)
		goto dynamic;
	for (uint16_t i = 0; i < phnum; i++)
		if (output_get_le32(b + phoff + (size_t)i * phentsize) == 3 /* PT_INTERP */)
			goto dynamic;
	return 0;
dynamic:
	free(p);
	*data = NULL;
	return uk_err_setc(err, UK_ERR_NOT_FOUND,
			   "'%s' is not a static x86-64 busybox (install the Debian package "
			   "'busybox-static')",
			   BUSYBOX);
}

int output_root_initrd_write(const char *tar, int out_fd, int64_t epoch, struct uk_err *err)
{
	struct modules ms = { 0 };
	struct output_cpio c;
	_cleanup_free_ void *bb = NULL;
	size_t bb_len;
	int r = -1;

	output_cpio_init(&c, epoch);
	if (busybox_read(&bb, &bb_len, err) < 0 || scan(tar, &ms, 0, err) < 0)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++)
		need(&ms, wanted[i], 0);
	if (scan(tar, &ms, 1, err) < 0)
		goto out;

	static const char *const dirs[] = { "bin",	   "dev",     "etc",  "lib",
					    "lib/modules", "newroot", "proc", "sys" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		output_cpio_add(&c, dirs[i], S_IFDIR | 0755, NULL, 0, 0, 0);
	output_cpio_add(&c, "bin/busybox", S_IFREG | 0755, bb, bb_len, 0, 0);
	output_cpio_add(&c, "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1);
	struct strbuf list = STRBUF_INIT;
	for (size_t i = 0; i < ms.norder; i++) {
		struct module *m = NULL;
		for (size_t k = 0; k < ms.n && !m; k++)
			if (ms.m[k].name == ms.order[i])
				m = &ms.m[k];
		if (!m || !m->data)
			continue;
		_cleanup_free_ char *p = xasprintf("lib/modules/%s.ko", m->name);
		output_cpio_add(&c, p, S_IFREG | 0644, m->data, m->len, 0, 0);
		strbuf_addf(&list, "%s\n", m->name);
	}
	output_cpio_add(&c, "etc/modules", S_IFREG | 0644, list.buf, list.len, 0, 0);
	strbuf_release(&list);
	output_cpio_add(&c, "init", S_IFREG | 0755, init_script, strlen(init_script), 0, 0);
	r = output_cpio_finish_gzip(&c, out_fd, err);
out:
	output_cpio_release(&c);
	modules_release(&ms);
	return r;
}
