// SPDX-License-Identifier: Apache-2.0
/*
 * unikit cache: the local image store. Subcommands are rows of one table
 * (CACHE_SUBCOMMANDS): the usage text and the dispatch both come from it, so
 * adding `pull` or `push` is adding a row and its handler, which gets argv
 * with argv[0] the subcommand's name and parses its own options with
 * cmd_opts_parse(), which adds -cache DIR and -h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/registry-cli.h"
#include "oci/oci.h"

static int cache_import(int argc, char **argv);
static int cache_ls(int argc, char **argv);
static int cache_rm(int argc, char **argv);
static int cache_clean(int argc, char **argv);
static int cache_export(int argc, char **argv);

/* X(name, handler, arguments, summary) */
#define CACHE_SUBCOMMANDS(X)                                                          \
	X(import, cache_import, " [-name NAME] [-arch ARCH] FILE|DIR|-...",           \
	  "import images from oci-archives, docker-archives (docker save) and\n"      \
	  "        OCI layout directories; NAME names the images that have no name\n" \
	  "        or only a tag (as umoci writes)")                                  \
	X(ls, cache_ls, " [-bytes]", "list the named images: name, digest and size")  \
	X(rm, cache_rm, " REF...", "remove names (their blobs go at the next clean)") \
	X(clean, cache_clean, "",                                                     \
	  "remove every blob no name reaches, and temporary files that killed\n"      \
	  "        processes left (partial downloads among them)")                    \
	X(export, cache_export, " [-arch ARCH] -o FILE|- REF...",                     \
	  "write images as one oci-archive (with -arch, only that platform's\n"       \
	  "        manifest of an index)")                                            \
	X(pull, cmd_cache_pull,                                                       \
	  " [-arch ARCH] [-q] [-mirror [REGISTRY=]URL] [-insecure-registry HOST]\n"   \
	  "        [-cert-file FILE] REF...",                                         \
	  "pull images from their registries (docs/registry.md)")                     \
	X(push, cmd_cache_push,                                                       \
	  " [-q] [-insecure-registry HOST] [-cert-file FILE] [-chunk-size SIZE]\n"    \
	  "        REF [REMOTE]",                                                     \
	  "push an image to its registry, or to REMOTE")

struct cache_sub {
	const char *name;
	const char *what; /* "cache NAME", for cmd_bad_option() */
	int (*fn)(int argc, char **argv);
	const char *usage; /* "unikit cache NAME ARGS" */
};

#define SUB_ROW(n, f, args, summary) \
	{ #n, "cache " #n, f, "usage: unikit cache " #n " [-cache DIR]" args "\n" },
static const struct cache_sub subcommands[] = { CACHE_SUBCOMMANDS(SUB_ROW) };
#undef SUB_ROW

#define USAGE_ROW(n, f, args, summary) "  " #n args "\n        " summary "\n"
static const char cache_usage[] =
	"usage: unikit cache SUBCOMMAND [-cache DIR] [OPTIONS] [ARGS]\n"
	"\n"
	"The local image store: an OCI image layout directory at -cache DIR, else\n"
	"$UNIKIT_CACHE, else $XDG_CACHE_HOME/unikit, else ~/.cache/unikit.\n"
	"\n"
	"Subcommands:\n" CACHE_SUBCOMMANDS(
		USAGE_ROW) "\n"
			   "References are normalised as Docker does: nginx is docker.io/library/nginx:latest.\n"
			   "ARCH is amd64, arm64, arm/v7, ... (default: the host's). Options may be given\n"
			   "with one dash or two (-cache, --cache).\n";
#undef USAGE_ROW

static const struct cache_sub *find_sub(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (!strcmp(subcommands[i].name, name))
			return &subcommands[i];
	}
	return NULL;
}

/* The subcommands' own options; -cache DIR and -h are cmd_opts_parse()'s. */
enum { OPT_ARCH = 1, OPT_NAME, OPT_BYTES };

struct sub_args {
	const char *cache_dir;
	const char *arch;
	const char *name;
	const char *output;
	bool bytes;
};

static int sub_option(void *ctx, int val, char *arg)
{
	struct sub_args *a = ctx;

	switch (val) {
	case OPT_ARCH:
		a->arch = arg;
		break;
	case OPT_NAME:
		a->name = arg;
		break;
	case OPT_BYTES:
		a->bytes = true;
		break;
	case 'o':
		a->output = arg;
		break;
	}
	return -1;
}

/*
 * Parses argv (argv[0] the subcommand) with its options: -1 with *first the
 * index of its first argument, or the exit status to return.
 */
static int parse_args(int argc, char **argv, const struct option *options, struct sub_args *a,
		      int *first)
{
	const struct cache_sub *s = find_sub(argv[0]);
	struct cmd_opts o = { .usage = s->usage,
			      .what = s->what,
			      .options = options,
			      .option = sub_option,
			      .ctx = a };
	int r = cmd_opts_parse(&o, argc, argv, first);

	a->cache_dir = o.cache_dir;
	return r;
}

/* "1.2MB", as Docker prints sizes (powers of 1000). */
static void format_size(char *buf, size_t len, int64_t n)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1000) {
		snprintf(buf, len, "%lldB", (long long)n);
		return;
	}
	v /= 1000;
	while (v >= 999.95 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static int cache_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ 0 },
	};
	struct sub_args a = { 0 };
	struct store *store = NULL;
	int i, r = parse_args(argc, argv, opts, &a, &i), rc = 0;

	if (r >= 0)
		return r;
	if (i >= argc)
		return cmd_usage_error("cache import: no file or directory to import");
	if (cmd_store_open(a.cache_dir, &store))
		return 1;
	struct store_import_opts io = { .name = a.name, .arch = a.arch };
	for (; i < argc && rc == 0; i++) {
		struct uk_err err = { 0 };
		struct store_entry *entries = NULL;
		size_t n = 0;
		if (store_import(store, argv[i], &io, &entries, &n, &err) < 0) {
			rc = cmd_fail(&err);
			break;
		}
		for (size_t k = 0; k < n; k++)
			printf("imported %s %s\n", entries[k].name, entries[k].desc.digest);
		store_entries_free(entries, n);
	}
	store_free(store);
	return rc;
}

static int cache_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bytes", no_argument, NULL, OPT_BYTES },
		{ 0 },
	};
	struct sub_args a = { 0 };
	struct store *store = NULL;
	struct store_entry *entries = NULL;
	struct uk_err err = { 0 };
	size_t n = 0;
	int i, r = parse_args(argc, argv, opts, &a, &i), rc = 0;

	if (r >= 0)
		return r;
	if (i < argc)
		return cmd_usage_error("cache ls takes no arguments");
	if (cmd_store_open(a.cache_dir, &store))
		return 1;
	if (store_list(store, &entries, &n, &err) < 0) {
		store_free(store);
		return cmd_fail(&err);
	}
	char(*sizes)[32] = xcalloc(n + 1, sizeof(*sizes));
	int name_w = 4;
	for (size_t k = 0; k < n; k++) {
		int64_t size;
		const char *name = entries[k].name ? entries[k].name : "<none>";
		if (store_size(store, &entries[k].desc, &size, &err) < 0) {
			uk_err_wrap(&err, "image '%s'", name);
			rc = cmd_fail(&err);
			snprintf(sizes[k], sizeof(sizes[k]), "?");
		} else if (a.bytes) {
			snprintf(sizes[k], sizeof(sizes[k]), "%lld", (long long)size);
		} else {
			format_size(sizes[k], sizeof(sizes[k]), size);
		}
		if ((int)strlen(name) > name_w)
			name_w = (int)strlen(name);
	}
	printf("%-*s  %-71s  %s\n", name_w, "NAME", "DIGEST", "SIZE");
	for (size_t k = 0; k < n; k++)
		printf("%-*s  %-71s  %s\n", name_w, entries[k].name ? entries[k].name : "<none>",
		       entries[k].desc.digest, sizes[k]);
	free(sizes);
	store_entries_free(entries, n);
	store_free(store);
	return rc;
}

static int cache_rm(int argc, char **argv)
{
	static const struct option opts[] = { { 0 } };
	struct sub_args a = { 0 };
	struct store *store = NULL;
	int i, r = parse_args(argc, argv, opts, &a, &i), rc = 0;

	if (r >= 0)
		return r;
	if (i >= argc)
		return cmd_usage_error("cache rm: no image to remove");
	if (cmd_store_open(a.cache_dir, &store))
		return 1;
	for (; i < argc; i++) {
		struct uk_err err = { 0 };
		struct oci_ref ref = { 0 };
		if (oci_ref_parse(&ref, argv[i], &err) < 0 ||
		    store_untag(store, argv[i], &err) < 0) {
			rc = cmd_fail(&err);
		} else {
			_cleanup_free_ char *name = oci_ref_string(&ref);
			printf("removed %s\n", name);
		}
		oci_ref_release(&ref);
	}
	store_free(store);
	return rc;
}

static int cache_clean(int argc, char **argv)
{
	static const struct option opts[] = { { 0 } };
	struct sub_args a = { 0 };
	struct store *store = NULL;
	struct store_gc_stats st = { 0 };
	struct uk_err err = { 0 };
	int i, rc = parse_args(argc, argv, opts, &a, &i);

	if (rc >= 0)
		return rc;
	if (i < argc)
		return cmd_usage_error("cache clean takes no arguments");
	if (cmd_store_open(a.cache_dir, &store))
		return 1;
	int r = store_gc(store, false, &st, &err);
	if (r < 0 && err.code == EWOULDBLOCK) {
		fprintf(stderr, "unikit: waiting for other unikit processes using '%s'\n",
			store_dir(store));
		uk_err_release(&err);
		r = store_gc(store, true, &st, &err);
	}
	store_free(store);
	if (r < 0)
		return cmd_fail(&err);
	char size[32];
	format_size(size, sizeof(size), st.bytes);
	printf("removed %zu blob%s (%s)", st.blobs, st.blobs == 1 ? "" : "s", size);
	/* the registry client's files are mentioned when there were some */
	if (st.partials) {
		format_size(size, sizeof(size), st.partial_bytes);
		printf(", %zu partial download%s (%s)", st.partials, st.partials == 1 ? "" : "s",
		       size);
	}
	if (st.sources)
		printf(", %zu source record%s", st.sources, st.sources == 1 ? "" : "s");
	printf(" and %zu temporary file%s\n", st.temporaries, st.temporaries == 1 ? "" : "s");
	return 0;
}

static int64_t source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return 0;
	return v;
}

static int cache_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, OPT_ARCH },
		{ "o", required_argument, NULL, 'o' },
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	struct sub_args a = { 0 };
	struct store *store = NULL;
	struct uk_err err = { 0 };
	int i, rc = parse_args(argc, argv, opts, &a, &i);

	if (rc >= 0)
		return rc;
	if (!a.output)
		return cmd_usage_error("cache export: no output file (-o FILE)");
	if (i >= argc)
		return cmd_usage_error("cache export: no image to export");
	if (!strcmp(a.output, "-") && isatty(STDOUT_FILENO))
		return cmd_usage_error("cache export: refusing to write an archive to a terminal");
	if (cmd_store_open(a.cache_dir, &store))
		return 1;
	struct store_export_opts eo = { .arch = a.arch, .epoch = source_date_epoch() };
	int r = store_export(store, (const char *const *)argv + i, (size_t)(argc - i), a.output,
			     &eo, &err);
	store_free(store);
	return r < 0 ? cmd_fail(&err) : 0;
}

static bool is_cache_option(const char *arg, bool *takes_value)
{
	const char *s = arg[0] == '-' ? arg + 1 + (arg[1] == '-') : NULL;

	*takes_value = s && !strcmp(s, "cache");
	return s && (*takes_value || str_has_prefix(s, "cache="));
}

static int cache_main(int argc, char **argv)
{
	/* `cache -cache DIR ls` as well as `cache ls -cache DIR`: move it after the subcommand */
	int lead = 1;
	bool takes_value;
	while (lead < argc && is_cache_option(argv[lead], &takes_value))
		lead += takes_value ? 2 : 1;
	if (lead > argc)
		return cmd_bad_option("cache", argv[argc - 1], true);
	if (lead >= argc) {
		fputs(cache_usage, stderr);
		return 2;
	}
	if (lead > 1) {
		_cleanup_free_ char **v = xcalloc((size_t)argc + 1, sizeof(*v));
		v[0] = argv[0];
		v[1] = argv[lead];
		memcpy(v + 2, argv + 1, (size_t)(lead - 1) * sizeof(*v));
		memcpy(v + 1 + lead, argv + lead + 1, (size_t)(argc - lead - 1) * sizeof(*v));
		memcpy(argv, v, (size_t)argc * sizeof(*v));
	}
	const char *name = argv[1];
	if (!strcmp(name, "help") || !strcmp(name, "-h") || !strcmp(name, "-help") ||
	    !strcmp(name, "--help")) {
		fputs(cache_usage, stdout);
		return 0;
	}
	if (name[0] == '-' && name[1])
		return cmd_bad_option("cache", name, false);
	const struct cache_sub *s = find_sub(name);
	if (!s) {
		cmd_usage_error("unknown cache subcommand '%s'", name);
		fputs(cache_usage, stderr);
		return 2;
	}
	return s->fn(argc - 1, argv + 1);
}

const struct cmd cmd_cache = {
	.name = "cache",
	.summary = "manage the local image store",
	.usage = cache_usage,
	.fn = cache_main,
};
