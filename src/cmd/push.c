// SPDX-License-Identifier: Apache-2.0
/* `unikit push REF [REMOTE]` and `unikit cache push`: an image from the store to a registry. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/registry-cli.h"
#include "registry/registry.h"
#include "util/size.h"

static const struct option push_options[] = {
	{ "chunk-size", required_argument, NULL, REGISTRY_CLI_OPT_CHUNK },
	{ "q", no_argument, NULL, REGISTRY_CLI_OPT_QUIET },
	{ "quiet", no_argument, NULL, REGISTRY_CLI_OPT_QUIET },
	{ "insecure-registry", required_argument, NULL, REGISTRY_CLI_OPT_INSECURE },
	{ "cert-file", required_argument, NULL, REGISTRY_CLI_OPT_CERT },
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

static int push_option(void *ctx, int val, char *arg)
{
	struct registry_cli *cli = ctx;

	if (val == REGISTRY_CLI_OPT_CHUNK) {
		struct uk_err err = { 0 };
		uint64_t chunk;
		/* a plain number is bytes */
		if (size_parse(arg, SIZE_BYTES, &chunk, &err) < 0) {
			uk_err_wrap(&err, "push: -chunk-size");
			cmd_fail(&err);
			return 2;
		}
		cli->opts.chunk_size = (int64_t)chunk;
		return -1;
	}
	return registry_cli_option(cli, val, arg);
}

/* what: the command as typed, "cache push" or "push" */
static int push(const char *what, int argc, char **argv)
{
	struct registry_cli cli = { 0 };
	struct cmd_opts o = { .usage = push_usage,
			      .options = push_options,
			      .option = push_option,
			      .ctx = &cli,
			      .what = what,
			      .help_first = true };
	struct uk_err err = { 0 };
	int first, rc = cmd_opts_parse(&o, argc, argv, &first);

	if (rc >= 0)
		goto out;
	if (first >= argc || argc - first > 2) {
		rc = cmd_usage_error("push: expected REF [REMOTE]");
		goto out;
	}
	rc = registry_cli_start(&cli, "push", o.cache_dir);
	if (rc == 0 &&
	    registry_push(cli.store, argv[first], first + 1 < argc ? argv[first + 1] : NULL,
			  &cli.opts, &err) < 0)
		rc = cmd_fail(&err);
out:
	registry_cli_release(&cli);
	return rc;
}

int cmd_cache_push(int argc, char **argv)
{
	return push("cache push", argc, argv);
}

static int push_main(int argc, char **argv)
{
	return push("push", argc, argv);
}

const struct cmd cmd_push = {
	.name = "push",
	.summary = "push an image from the store to a registry",
	.usage = push_usage,
	.fn = push_main,
};
