// SPDX-License-Identifier: Apache-2.0
/*
 * unikit build: spec files and the local image store become a bootable
 * system, in one or more output formats (src/output). LinuxKit's options,
 * with one dash or two.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/registry-cli.h"
#include "oci/oci.h"
#include "output/output.h"
#include "rootfs/prepare.h"
#include "rootfs/rootfs.h"
#include "spec/spec.h"
#include "util/fs.h"
#include "util/size.h"
#include "util/strbuf.h"

static char build_usage[4096];

/* The help lists the formats this binary has. */
__attribute__((constructor)) static void build_usage_init(void)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(
		&sb,
		"usage: unikit build [OPTIONS] SPEC.yml [SPEC.yml...]\n"
		"\n"
		"Builds a bootable system from LinuxKit-style spec files ('-' reads standard\n"
		"input). Images come from the local store; those missing from it are pulled\n"
		"from their registry, and '@pkg:DIR' images are built from their package\n"
		"directory (relative to the spec file). Several files merge in order.\n"
		"Options take one dash or two.\n"
		"\n"
		"Options:\n"
		"  -format F   an output format; repeat it or give a comma list\n"
		"              (default kernel+initrd)\n"
		"  -name N     base name of the outputs (default: the first spec's file name\n"
		"              without its extension)\n"
		"  -dir D      directory for the outputs, made if missing (default .)\n"
		"  -o FILE     the output file of a single-file format; '-' is standard output\n"
		"  -arch A     architecture of the images: amd64 or arm64 (default: this\n"
		"              machine's)\n"
		"  -cache DIR  the image store (default $UNIKIT_CACHE, else\n"
		"              $XDG_CACHE_HOME/unikit, else ~/.cache/unikit)\n"
		"  -pull       pull every image from its registry, even those in the store\n"
		"  -q          no progress display for pulls and package builds\n"
		"  -size S     the disk size of the disk formats, in megabytes, or with M or G\n"
		"              (default 1024M)\n"
		"  -sign-key KEY -sign-cert CERT\n"
		"              sign the EFI binaries (uki, raw-efi, qcow2-efi, iso-efi,\n"
		"              iso-efi-initrd) for Secure Boot with sbsign (PEM files)\n"
		"  -dry-run    check and merge the specs, print the result as YAML, build nothing\n"
		"  -help       show this help\n"
		"\n"
		"Timestamps in the outputs are SOURCE_DATE_EPOCH (default 0): the same specs\n"
		"and images give the same bytes.\n"
		"\n"
		"Formats:\n");
	for (size_t i = 0; i < output_count(); i++)
		strbuf_addf(&sb, "  %-18s %s\n", output_at(i)->name, output_at(i)->description);
	snprintf(build_usage, sizeof(build_usage), "%s", sb.buf);
	strbuf_release(&sb);
}

/* ---- the scratch directory, removed even when a signal ends the build ---- */

static char scratch_path[PATH_MAX];
static int scratch_fd = -1;
static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
static struct sigaction previous[ARRAY_SIZE(cleanup_signals)];

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Only system calls: this runs in a signal handler too. */
static void scratch_remove(void)
{
	char buf[4096];

	if (scratch_fd < 0)
		return;
	for (;;) {
		lseek(scratch_fd, 0, SEEK_SET);
		long n = syscall(SYS_getdents64, scratch_fd, buf, sizeof(buf));
		bool removed = false;
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] == '.' &&
			    (!d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2])))
				continue;
			if (unlinkat(scratch_fd, d->d_name, 0) == 0 ||
			    unlinkat(scratch_fd, d->d_name, AT_REMOVEDIR) == 0)
				removed = true;
		}
		if (!removed)
			break;
	}
	rmdir(scratch_path);
}

static void on_signal(int sig)
{
	scratch_remove();
	for (size_t i = 0; i < ARRAY_SIZE(cleanup_signals); i++) {
		if (cleanup_signals[i] != sig)
			continue;
		if (previous[i].sa_handler != SIG_DFL && previous[i].sa_handler != SIG_IGN) {
			previous[i].sa_handler(sig);
			return;
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int scratch_create(struct uk_err *err)
{
	const char *base = getenv("TMPDIR");
	struct sigaction sa = { .sa_handler = on_signal };

	snprintf(scratch_path, sizeof(scratch_path), "%s/unikit-build-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(scratch_path))
		return uk_err_errno(err, "create a directory like '%s'", scratch_path);
	scratch_fd = open(scratch_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (scratch_fd < 0) {
		rmdir(scratch_path);
		return uk_err_errno(err, "open '%s'", scratch_path);
	}
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(cleanup_signals); i++)
		sigaction(cleanup_signals[i], &sa, &previous[i]);
	return 0;
}

static void scratch_release(void)
{
	if (scratch_fd < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cleanup_signals); i++)
		sigaction(cleanup_signals[i], &previous[i], NULL);
	scratch_remove();
	close(scratch_fd);
	scratch_fd = -1;
}

/* ---- options ---- */

struct build_opts {
	const char **formats;
	size_t nformats;
	const char *name, *dir, *out, *arch, *cache;
	const char *sign_key, *sign_cert;
	uint64_t size;
	bool dry_run, pull, quiet;
};

static int add_formats(struct build_opts *o, char *list)
{
	for (char *f = list, *next; f; f = next) {
		next = strchr(f, ',');
		if (next)
			*next++ = '\0';
		if (!*f)
			continue;
		if (!output_find(f))
			return cmd_usage_error(
				"build: unknown format '%s' (see 'unikit help build')", f);
		bool seen = false;
		for (size_t i = 0; i < o->nformats; i++)
			seen = seen || strcmp(o->formats[i], f) == 0;
		if (seen)
			continue;
		o->formats = xrealloc(o->formats, (o->nformats + 1) * sizeof(*o->formats));
		o->formats[o->nformats++] = f;
	}
	return 0;
}

static const char *normal_arch(const char *a)
{
	if (!strcmp(a, "amd64") || !strcmp(a, "x86_64"))
		return "amd64";
	if (!strcmp(a, "arm64") || !strcmp(a, "aarch64"))
		return "arm64";
	return NULL;
}

static int parse_args(int argc, char **argv, struct build_opts *o)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "o", required_argument, NULL, 'o' },
		{ "arch", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ "cache", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "pull", no_argument, NULL, 'P' },
		{ "sign-key", required_argument, NULL, 'K' },
		{ "sign-cert", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uk_err err = { 0 };
	int c;

	optind = 1;
	while ((c = cmd_getopt("build", argc, argv, "hqo:", opts)) != -1) {
		switch (c) {
		case 'f':
			if (add_formats(o, optarg) != 0)
				return 2;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'a':
			o->arch = normal_arch(optarg);
			if (!o->arch)
				return cmd_usage_error("build: unknown architecture '%s' "
						       "(amd64 or arm64)",
						       optarg);
			break;
		case 's':
			/* a plain number is MiB, as with LinuxKit */
			if (size_parse(optarg, SIZE_MIB, &o->size, &err) < 0) {
				uk_err_wrap(&err, "build: -size");
				cmd_fail(&err);
				return 2;
			}
			break;
		case 'c':
			o->cache = optarg;
			break;
		case 'D':
			o->dry_run = true;
			break;
		case 'P':
			o->pull = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'K':
			o->sign_key = optarg;
			break;
		case 'C':
			o->sign_cert = optarg;
			break;
		case 'h':
			return -1;
		default: /* '?': cmd_getopt() said what was wrong */
			return 2;
		}
	}
	if (optind >= argc)
		return cmd_usage_error("build: no spec file given (see 'unikit help build')");
	if (!o->nformats) {
		static char deflt[] = "kernel+initrd";
		add_formats(o, deflt);
	}
	if (!o->sign_key != !o->sign_cert)
		return cmd_usage_error("build: -sign-key and -sign-cert go together");
	if (o->out && o->nformats != 1)
		return cmd_usage_error("build: -o needs exactly one format");
	return 0;
}

/* The first spec's file name without its extension ("moby" for standard input, as LinuxKit). */
static char *default_name(const char *spec)
{
	if (strcmp(spec, "-") == 0)
		return xstrdup("moby");
	const char *base = strrchr(spec, '/');
	base = base ? base + 1 : spec;
	const char *dot = strrchr(base, '.');
	return dot && dot != base ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
}

static char *spec_dir(const char *spec)
{
	if (strcmp(spec, "-") == 0)
		return xstrdup(".");
	const char *slash = strrchr(spec, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == spec)
		return xstrdup("/");
	return xstrndup(spec, (size_t)(slash - spec));
}

static int source_date_epoch(int64_t *out, struct uk_err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;

	*out = 0;
	if (!s || !*s)
		return 0;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno || v < 0)
		return uk_err_setc(err, UK_ERR_INPUT, "SOURCE_DATE_EPOCH '%s' is not a timestamp",
				   s);
	*out = v;
	return 0;
}

static void announce(void *ctx, const char *verb, const char *ref)
{
	if (!*(const bool *)ctx)
		fprintf(stderr, "%s %s\n", strcmp(verb, "pull") ? "building package" : "pulling",
			ref);
}

static void pkg_log(void *ctx, const char *line)
{
	if (!*(const bool *)ctx)
		fprintf(stderr, "  %s\n", line);
}

/* Makes every image the spec names present in the store: builds @pkg: packages, pulls. */
static int prepare_images(const struct build_opts *o, struct spec *spec, struct store *store,
			  struct uk_err *err)
{
	struct progress *pr = progress_new("pull", o->quiet);
	struct registry_opts ro = { .arch = o->arch,
				    .progress = progress_event,
				    .progress_ctx = pr };
	struct pkg_opts po = PKG_OPTS_INIT;
	po.log = pkg_log;
	po.log_ctx = (void *)&o->quiet;
	struct rootfs_prepare_opts prep = { .pull = o->pull,
					    .registry = &ro,
					    .pkg = &po,
					    .announce = announce,
					    .announce_ctx = (void *)&o->quiet };
	int r = rootfs_prepare_images(spec, store, &prep, err);
	progress_free(pr);
	return r;
}

static int build(const struct build_opts *o, struct spec *spec, const char *first,
		 struct uk_err *err)
{
	_cleanup_free_ char *name = o->name ? xstrdup(o->name) : default_name(first);
	_cleanup_free_ char *sdir = spec_dir(first);
	_cleanup_free_ char *cache = o->cache ? xstrdup(o->cache) : cmd_default_cache_dir();
	const char *dir = o->dir ? o->dir : ".";
	struct store *store = NULL;
	struct rootfs *root = NULL;
	int64_t epoch;
	int rc = -1;

	if (!*name || strchr(name, '/'))
		return uk_err_setc(err, UK_ERR_INPUT, "build: bad output name '%s'", name);
	if (source_date_epoch(&epoch, err) < 0)
		return -1;
	if (fs_mkdir_p(dir, 0755, err) < 0 || store_open(&store, cache, err) < 0)
		return -1;
	if (prepare_images(o, spec, store, err) < 0)
		goto out;
	if (scratch_create(err) < 0)
		goto out;
	struct rootfs_opts ropts = {
		.arch = o->arch, .tmpdir = scratch_path, .epoch = epoch, .spec_dir = sdir
	};
	if (rootfs_assemble(&root, spec, store, &ropts, err) < 0)
		goto out;
	struct output_ctx ctx = {
		.root = root,
		.name = name,
		.dir = dir,
		.out_file = o->out,
		.size = o->size,
		.arch = o->arch,
		.epoch = epoch,
		.tmpdir = scratch_path,
		.sign_key = o->sign_key,
		.sign_cert = o->sign_cert,
	};
	/* what would make a format fail (a missing tool, a small -size) stops the build first */
	for (size_t i = 0; i < o->nformats; i++) {
		const struct output_ops *ops = output_find(o->formats[i]);
		if (ops->check && ops->check(&ctx, err) < 0) {
			uk_err_wrap(err, "format '%s'", o->formats[i]);
			goto out_ctx;
		}
	}
	for (size_t i = 0; i < o->nformats; i++) {
		if (output_find(o->formats[i])->write(&ctx, err) < 0) {
			uk_err_wrap(err, "format '%s'", o->formats[i]);
			goto out_ctx;
		}
	}
	rc = 0;
out_ctx:
	free(ctx.initrd_path);
out:
	rootfs_free(root);
	scratch_release();
	store_free(store);
	return rc;
}

static int build_main(int argc, char **argv)
{
	struct build_opts o = { 0 };
	_cleanup_err_ struct uk_err err = { 0 };
	struct spec spec = SPEC_INIT;
	int rc = parse_args(argc, argv, &o);

	if (rc < 0) {
		free(o.formats);
		fputs(build_usage, stdout);
		return 0;
	}
	if (rc > 0) {
		free(o.formats);
		return rc;
	}
	const char *const *files = (const char *const *)argv + optind;
	if (spec_load(&spec, files, (size_t)(argc - optind), &err) < 0) {
		free(o.formats);
		if (err.code != UK_ERR_INPUT)
			return cmd_fail(&err);
		/* one FILE:LINE:COL: message per line */
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (o.dry_run)
		rc = spec_write_yaml(&spec, stdout, &err);
	else
		rc = build(&o, &spec, files[0], &err);
	spec_release(&spec);
	free(o.formats);
	if (rc < 0)
		return cmd_fail(&err);
	if (o.dry_run && fflush(stdout) != 0)
		return cmd_usage_error("build: write the spec: %s", strerror(errno));
	return 0;
}

const struct cmd cmd_build = {
	.name = "build",
	.summary = "build a bootable system from spec files",
	.usage = build_usage,
	.fn = build_main,
};
