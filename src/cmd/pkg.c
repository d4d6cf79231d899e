// SPDX-License-Identifier: Apache-2.0
/* unikit pkg build|show-tag: package images from build.yml recipes, without Docker. */
#include "pkg/pkg.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/registry-cli.h"

#define PKG_USAGE                                                                          \
	"usage: unikit pkg build [-cache DIR] [-force] [-org ORG] [-push] [-q] DIR...\n"   \
	"       unikit pkg show-tag [-org ORG] DIR\n"                                      \
	"\n"                                                                               \
	"Builds the package in each DIR (a directory with a build.yml: Debian packages,\n" \
	"files and programs built on the host; see docs/pkg.md) into the local store as\n" \
	"ORG/IMAGE:TAG, where TAG is a hash of the directory and of the exact Debian\n"    \
	"packages it uses. A package whose tag is already in the store is not rebuilt.\n"  \
	"\n"                                                                               \
	"  -cache DIR   the store (default: $UNIKIT_CACHE, else ~/.cache/unikit);\n"       \
	"               downloaded .deb files are kept in DIR/debs (or in\n"               \
	"               $UNIKIT_DEB_CACHE when it is set)\n"                               \
	"  -force       build even when the store has the tag\n"                           \
	"  -org ORG     use ORG instead of the org in build.yml (it may start with a\n"    \
	"               registry: -org localhost:5000/team)\n"                             \
	"  -push        push each package to its registry after building it (or finding\n" \
	"               it in the store), as LinuxKit does: as TAG-ARCH, then TAG as an\n" \
	"               index of every TAG-ARCH of build.yml's arches the registry has\n"  \
	"  -q           no progress lines\n"                                               \
	"\n"                                                                               \
	"show-tag prints ORG/IMAGE:TAG for DIR without building it.\n"

static void progress(void *ctx, const char *line)
{
	fprintf(stderr, "pkg %s: %s\n", (const char *)ctx, line);
}

/*
 * -push: the package's image, from the store to its registry, as LinuxKit
 * does: tagged TAG-ARCH, and TAG an index of the architectures there.
 */
static int push_package(struct store *store, const struct pkg *p, bool quiet, struct uk_err *err)
{
	struct progress *pr = progress_new("push", quiet);
	struct registry_opts ro = { .progress = progress_event, .progress_ctx = pr };
	size_t n;
	const char *const *arches = pkg_arches(p, &n);
	int r = registry_push_arch(store, pkg_ref(p), NULL, arches, n, &ro, err);

	progress_free(pr);
	if (r < 0)
		return uk_err_wrap(err, "push '%s'", pkg_name(p));
	return 0;
}

static int pkg_build_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cache", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "org", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "push", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct pkg_opts opts = PKG_OPTS_INIT;
	_cleanup_free_ char *cache = NULL;
	_cleanup_err_ struct uk_err err = { 0 };
	struct store *store = NULL;
	bool quiet = false, push = false;
	int c, ret = 0;

	optind = 1;
	while ((c = cmd_getopt("pkg build", argc, argv, "fqh", longopts)) != -1) {
		switch (c) {
		case 'c':
			free(cache);
			cache = xstrdup(optarg);
			break;
		case 'f':
			opts.force = true;
			break;
		case 'o':
			opts.org = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'p':
			push = true;
			break;
		case 'h':
			fputs(PKG_USAGE, stdout);
			return 0;
		default: /* '?': cmd_getopt() said what was wrong */
			return 2;
		}
	}
	if (optind >= argc)
		return cmd_usage_error("pkg build needs a package directory");
	if (!cache)
		cache = cmd_default_cache_dir();
	_cleanup_free_ char *debs = xasprintf("%s/debs", cache);
	const char *env_debs = getenv("UNIKIT_DEB_CACHE");
	opts.deb_dir = env_debs && *env_debs ? env_debs : debs;
	if (store_open(&store, cache, &err) < 0)
		return cmd_fail(&err);
	for (int i = optind; i < argc; i++) {
		struct pkg *p = NULL;
		bool built = false;
		opts.log = quiet ? NULL : progress;
		opts.log_ctx = argv[i];
		if (pkg_open(&p, argv[i], &opts, &err) < 0 ||
		    pkg_build(p, store, &built, &err) < 0) {
			pkg_free(p);
			ret = cmd_fail(&err);
			break;
		}
		if (!quiet && !built)
			fprintf(stderr, "pkg %s: %s is already in the store, nothing to build\n",
				argv[i], pkg_name(p));
		if (push && push_package(store, p, quiet, &err) < 0) {
			pkg_free(p);
			ret = cmd_fail(&err);
			break;
		}
		printf("%s\n", pkg_name(p));
		fflush(stdout);
		pkg_free(p);
	}
	store_free(store);
	return ret;
}

static int pkg_show_tag_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct pkg_opts opts = PKG_OPTS_INIT;
	_cleanup_err_ struct uk_err err = { 0 };
	struct pkg *p = NULL;
	int c;

	optind = 1;
	while ((c = cmd_getopt("pkg show-tag", argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'o':
			opts.org = optarg;
			break;
		case 'h':
			fputs(PKG_USAGE, stdout);
			return 0;
		default: /* '?': cmd_getopt() said what was wrong */
			return 2;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error("pkg show-tag needs one package directory");
	/* apt's parsed lists are kept beside the .deb files, which makes it quick */
	_cleanup_free_ char *cache = cmd_default_cache_dir();
	_cleanup_free_ char *debs = xasprintf("%s/debs", cache);
	const char *env_debs = getenv("UNIKIT_DEB_CACHE");
	opts.deb_dir = env_debs && *env_debs ? env_debs : debs;
	if (pkg_open(&p, argv[optind], &opts, &err) < 0)
		return cmd_fail(&err);
	printf("%s\n", pkg_name(p));
	pkg_free(p);
	return 0;
}

static int pkg_main(int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage_error("pkg needs a subcommand: build or show-tag");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "-help") || !strcmp(argv[1], "--help")) {
		fputs(PKG_USAGE, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "build"))
		return pkg_build_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show-tag"))
		return pkg_show_tag_main(argc - 1, argv + 1);
	if (argv[1][0] == '-' && argv[1][1])
		return cmd_bad_option("pkg", argv[1], false);
	return cmd_usage_error("unknown pkg subcommand '%s' (build or show-tag)", argv[1]);
}

const struct cmd cmd_pkg = {
	.name = "pkg",
	.summary = "build package images from build.yml recipes",
	.usage = PKG_USAGE,
	.fn = pkg_main,
};
