// SPDX-License-Identifier: Apache-2.0
/* `unikit push REF [REMOTE]` and `unikit cache push`: an image from the store to a registry. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/registry-cli.h"
#include "registry/registry.h"
#include "util/size.h"

enum { OPT_QUIET = 1, OPT_CACHE, OPT_INSECURE, OPT_CERT, OPT_CHUNK, OPT_HELP };

static const struct option push_options[] = {
	{ "q", no_argument, NULL, OPT_QUIET },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "insecure-registry", required_argument, NULL, OPT_INSECURE },
	{ "cert-file", required_argument, NULL, OPT_CERT },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK },
	{ "h", no_argument, NULL, OPT_HELP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char push_usage[] =
	"usage: unikit cache push [-cache DIR] [options] REF [REMOTE]\n"
	"       unikit push [-cache DIR] [options] REF [REMOTE]\n"
	"\n"
	"Push the image the store names REF to its registry, or to REMOTE. Blobs the\n"
	"registry has are skipped, blobs another repository of that registry holds are\n"
	"mounted, manifests and indexes go up byte for byte (same digests).\n"
	"\n"
	"Options:\n"
	"  -q                      no progress display\n"
	"  -cache DIR              the store (default: $UNIKIT_CACHE or ~/.cache/unikit)\n"
	"  -insecure-registry H    allow plain HTTP and unverified TLS for registry H; repeatable\n"
	"  -cert-file FILE         also trust the CA certificates in FILE; repeatable\n"
	"  -chunk-size SIZE        upload blobs larger than SIZE in chunks of SIZE (default 32M)\n"
	"\n"
	"Credentials: UNIKIT_REGISTRY_AUTH=\"HOST=USER:PASSWORD[,HOST=USER:PASSWORD]\", then\n"
	"~/.docker/config.json (auths, credHelpers, credsStore). See docs/registry.md.\n";

int cmd_cache_push(int argc, char **argv)
{
	struct registry_cli cli = { 0 };
	struct store *store = NULL;
	struct uk_err err = { 0 };
	int c, rc = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "", push_options, NULL)) != -1) {
		switch (c) {
		case OPT_QUIET:
			cli.quiet = true;
			break;
		case OPT_CACHE:
			free(cli.cache_dir);
			cli.cache_dir = xstrdup(optarg);
			break;
		case OPT_INSECURE:
			registry_cli_add_insecure(&cli, optarg);
			break;
		case OPT_CERT:
			registry_cli_add_cert_file(&cli, optarg);
			break;
		case OPT_CHUNK: {
			uint64_t chunk;
			/* a plain number is bytes */
			if (size_parse(optarg, SIZE_BYTES, &chunk, &err) < 0) {
				registry_cli_release(&cli);
				uk_err_wrap(&err, "push: -chunk-size");
				cmd_fail(&err);
				return 2;
			}
			cli.opts.chunk_size = (int64_t)chunk;
			break;
		}
		case OPT_HELP:
			registry_cli_release(&cli);
			fputs(push_usage, stdout);
			return 0;
		default:
			registry_cli_release(&cli);
			return cmd_usage_error("push: unknown option or missing value '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc || argc - optind > 2) {
		registry_cli_release(&cli);
		return cmd_usage_error("push: expected REF [REMOTE]");
	}
	if (!cli.cache_dir)
		cli.cache_dir = cmd_default_cache_dir();
	struct progress *pr = progress_new("push", cli.quiet);
	cli.opts.progress = progress_event;
	cli.opts.progress_ctx = pr;
	if (store_open(&store, cli.cache_dir, &err) < 0)
		rc = cmd_fail(&err);
	else if (registry_push(store, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL,
			       &cli.opts, &err) < 0)
		rc = cmd_fail(&err);
	store_free(store);
	progress_free(pr);
	registry_cli_release(&cli);
	return rc;
}

const struct cmd cmd_push = {
	.name = "push",
	.summary = "push an image from the store to a registry",
	.usage = push_usage,
	.fn = cmd_cache_push,
};
