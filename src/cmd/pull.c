// SPDX-License-Identifier: Apache-2.0
/*
 * `unikit cache pull REF...` (and `unikit pull`, the same): images from a
 * registry into the store, with a progress display. The options and the
 * display are shared with push (src/cmd/push.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/registry-cli.h"
#include "registry/registry.h"

/* ---- options ---- */

int registry_cli_start(struct registry_cli *cli, const char *verb, const char *cache_dir)
{
	cli->progress = progress_new(verb, cli->quiet);
	cli->opts.progress = progress_event;
	cli->opts.progress_ctx = cli->progress;
	return cmd_store_open(cache_dir, &cli->store);
}

void registry_cli_release(struct registry_cli *cli)
{
	store_free(cli->store);
	progress_free(cli->progress);
	for (size_t i = 0; i < cli->opts.n_mirrors; i++)
		free((char *)cli->mirrors[i].registry);
	free(cli->insecure);
	free(cli->mirrors);
	free(cli->cert_files);
	memset(cli, 0, sizeof(*cli));
}

static int registry_cli_add_mirror(struct registry_cli *cli, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *url = eq ? eq + 1 : arg;
	size_t n = cli->opts.n_mirrors;

	if (!str_has_prefix(url, "http://") && !str_has_prefix(url, "https://"))
		return cmd_usage_error(
			"-mirror '%s': expected REGISTRY=URL or URL, with http:// or https://",
			arg);
	cli->mirrors = xrealloc(cli->mirrors, (n + 1) * sizeof(*cli->mirrors));
	cli->mirrors[n].registry = eq ? xstrndup(arg, (size_t)(eq - arg)) : NULL;
	cli->mirrors[n].url = url;
	cli->opts.mirrors = cli->mirrors;
	cli->opts.n_mirrors = n + 1;
	return 0;
}

static void registry_cli_add_insecure(struct registry_cli *cli, const char *host)
{
	size_t n = cli->opts.n_insecure;
	cli->insecure = xrealloc(cli->insecure, (n + 1) * sizeof(*cli->insecure));
	cli->insecure[n] = host;
	cli->opts.insecure = cli->insecure;
	cli->opts.n_insecure = n + 1;
}

static void registry_cli_add_cert_file(struct registry_cli *cli, const char *path)
{
	size_t n = cli->opts.n_cert_files;
	cli->cert_files = xrealloc(cli->cert_files, (n + 1) * sizeof(*cli->cert_files));
	cli->cert_files[n] = path;
	cli->opts.cert_files = cli->cert_files;
	cli->opts.n_cert_files = n + 1;
}

int registry_cli_option(struct registry_cli *cli, int val, char *arg)
{
	switch (val) {
	case REGISTRY_CLI_OPT_QUIET:
		cli->quiet = true;
		break;
	case REGISTRY_CLI_OPT_INSECURE:
		registry_cli_add_insecure(cli, arg);
		break;
	case REGISTRY_CLI_OPT_CERT:
		registry_cli_add_cert_file(cli, arg);
		break;
	}
	return -1;
}

/* ---- progress ---- */

struct blob_line {
	char digest[24]; /* "sha256:" + 12 hex digits */
	int64_t size, done;
	double start, end;
	const char *state; /* "", "done", "exists", "mounted" */
};

struct progress {
	const char *verb; /* "pull", "push" */
	bool quiet, tty;
	double start, last_draw;
	int drawn; /* lines drawn last time (tty) */
	struct blob_line *lines;
	size_t n_lines, alloc_lines;
	int64_t total_size, total_done;
	char *ref;
};

struct progress *progress_new(const char *verb, bool quiet)
{
	struct progress *pr = xcalloc(1, sizeof(*pr));
	pr->verb = verb;
	pr->quiet = quiet;
	pr->tty = isatty(STDERR_FILENO) && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
	return pr;
}

void progress_free(struct progress *pr)
{
	if (!pr)
		return;
	free(pr->lines);
	free(pr->ref);
	free(pr);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(char *buf, size_t len, double bytes)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	size_t u = 0;
	while (bytes >= 1000 && u + 1 < ARRAY_SIZE(units)) {
		bytes /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

static struct blob_line *line_for(struct progress *pr, const char *digest)
{
	char shortd[24];
	snprintf(shortd, sizeof(shortd), "%.19s", digest ? digest : "");
	for (size_t i = 0; i < pr->n_lines; i++) {
		if (!strcmp(pr->lines[i].digest, shortd))
			return &pr->lines[i];
	}
	XGROW(pr->lines, pr->alloc_lines, pr->n_lines + 1);
	struct blob_line *l = &pr->lines[pr->n_lines++];
	memset(l, 0, sizeof(*l));
	memcpy(l->digest, shortd, sizeof(shortd));
	l->start = now_s();
	l->state = "";
	return l;
}

static void rate(char *buf, size_t len, int64_t bytes, double secs)
{
	char h[24];
	human(h, sizeof(h), secs > 0.001 ? (double)bytes / secs : 0);
	snprintf(buf, len, "%s/s", h);
}

static void draw(struct progress *pr, bool force)
{
	double t = now_s();
	char a[32], b[32], r[32];

	if (!force && t - pr->last_draw < 0.1)
		return;
	pr->last_draw = t;
	if (pr->drawn)
		fprintf(stderr, "\033[%dA", pr->drawn);
	for (size_t i = 0; i < pr->n_lines; i++) {
		struct blob_line *l = &pr->lines[i];
		human(a, sizeof(a), (double)l->done);
		human(b, sizeof(b), (double)l->size);
		double secs = (l->end > 0 ? l->end : t) - l->start;
		rate(r, sizeof(r), l->done, secs);
		if (*l->state)
			fprintf(stderr, "\033[K%s  %-8s %s\n", l->digest, l->state, b);
		else
			fprintf(stderr, "\033[K%s  %s / %s  %s\n", l->digest, a, b, r);
	}
	human(a, sizeof(a), (double)pr->total_done);
	human(b, sizeof(b), (double)pr->total_size);
	rate(r, sizeof(r), pr->total_done, t - pr->start);
	fprintf(stderr, "\033[Ktotal  %s / %s  %s\n", a, b, r);
	pr->drawn = (int)pr->n_lines + 1;
	fflush(stderr);
}

void progress_event(void *ctx, const struct registry_event *ev)
{
	struct progress *pr = ctx;
	struct blob_line *l;
	char a[32], r[32];

	if (pr->quiet)
		return;
	if (!pr->start)
		pr->start = now_s();
	if (ev->total_size)
		pr->total_size = ev->total_size;
	if (ev->total_done)
		pr->total_done = ev->total_done;
	switch (ev->kind) {
	case REGISTRY_EV_START:
		free(pr->ref);
		pr->ref = ev->ref ? xstrdup(ev->ref) : NULL;
		pr->start = now_s();
		if (!pr->tty) {
			human(a, sizeof(a), (double)ev->total_size);
			if (ev->n_blobs)
				fprintf(stderr, "%s %s: %d blobs, %s\n", pr->verb, ev->ref,
					ev->n_blobs, a);
			else
				fprintf(stderr, "%s %s: %s\n", pr->verb, ev->ref, a);
		}
		break;
	case REGISTRY_EV_BLOB:
		l = line_for(pr, ev->digest);
		l->size = ev->size;
		l->start = now_s();
		break;
	case REGISTRY_EV_PROGRESS:
		l = line_for(pr, ev->digest);
		l->size = ev->size;
		l->done = ev->done;
		break;
	case REGISTRY_EV_DONE:
	case REGISTRY_EV_EXISTS:
	case REGISTRY_EV_MOUNTED:
		l = line_for(pr, ev->digest);
		l->size = ev->size;
		l->done = ev->size;
		l->end = now_s();
		l->state = ev->kind == REGISTRY_EV_DONE	    ? "done"
			   : ev->kind == REGISTRY_EV_EXISTS ? "exists"
							    : "mounted";
		if (!pr->tty) {
			human(a, sizeof(a), (double)ev->size);
			if (ev->kind == REGISTRY_EV_DONE) {
				rate(r, sizeof(r), ev->size, l->end - l->start);
				fprintf(stderr, "%s: %s %s in %.1f s (%s)\n", ev->digest, l->state,
					a, l->end - l->start, r);
			} else {
				fprintf(stderr, "%s: %s (%s)\n", ev->digest,
					ev->kind == REGISTRY_EV_EXISTS ? "already there"
								       : "mounted",
					a);
			}
		}
		break;
	case REGISTRY_EV_RETRY:
		if (pr->tty && pr->drawn) {
			/* Keep the message above the redrawn block. */
			fprintf(stderr, "\033[%dA\033[J", pr->drawn);
			pr->drawn = 0;
		}
		fprintf(stderr, "retrying: %s\n", ev->message ? ev->message : "transient failure");
		break;
	case REGISTRY_EV_MISSING:
		return; /* nothing moves yet; build says which image it pulls */
	case REGISTRY_EV_MANIFEST:
		if (!pr->tty)
			fprintf(stderr, "%s: manifest %s\n", pr->verb, ev->digest);
		break;
	case REGISTRY_EV_FINISH: {
		double secs = now_s() - pr->start;
		if (pr->tty && pr->n_lines)
			draw(pr, true);
		human(a, sizeof(a), (double)pr->total_done);
		rate(r, sizeof(r), pr->total_done, secs);
		fprintf(stderr, "%s %s%s%s: %s in %.1f s (%s)\n",
			!strcmp(pr->verb, "pull") ? "pulled" : "pushed", ev->ref,
			ev->digest && *ev->digest ? " " : "", ev->digest ? ev->digest : "", a, secs,
			r);
		pr->n_lines = 0;
		pr->drawn = 0;
		pr->total_done = pr->total_size = 0;
		return;
	}
	}
	if (pr->tty && pr->n_lines)
		draw(pr, ev->kind != REGISTRY_EV_PROGRESS);
}

/* ---- the command ---- */

static const struct option pull_options[] = {
	{ "arch", required_argument, NULL, REGISTRY_CLI_OPT_ARCH },
	{ "platform", required_argument, NULL, REGISTRY_CLI_OPT_ARCH },
	{ "mirror", required_argument, NULL, REGISTRY_CLI_OPT_MIRROR },
	{ "q", no_argument, NULL, REGISTRY_CLI_OPT_QUIET },
	{ "quiet", no_argument, NULL, REGISTRY_CLI_OPT_QUIET },
	{ "insecure-registry", required_argument, NULL, REGISTRY_CLI_OPT_INSECURE },
	{ "cert-file", required_argument, NULL, REGISTRY_CLI_OPT_CERT },
	{ NULL, 0, NULL, 0 },
};

static const char pull_usage[] =
	"usage: unikit cache pull [-cache DIR] [options] REF...\n"
	"\n"
	"Pull images from their registries into the local store, named by their\n"
	"normalised reference. Blobs already in the store are not fetched again; a\n"
	"reference pinned by digest whose image is complete in the store needs no network.\n"
	"\n"
	"Options:\n"
	"  -arch A                 platform: amd64, arm64, arm/v7, linux/arm64/v8 (default: the host's)\n"
	"  -q                      no progress display\n"
	"  -cache DIR              the store (default: $UNIKIT_CACHE or ~/.cache/unikit)\n"
	"  -mirror [REGISTRY=]URL  pull REGISTRY's images (all, without REGISTRY=) from URL; repeatable\n"
	"  -insecure-registry H    allow plain HTTP and unverified TLS for registry H; repeatable\n"
	"  -cert-file FILE         also trust the CA certificates in FILE; repeatable\n"
	"\n"
	"Credentials: UNIKIT_REGISTRY_AUTH=\"HOST=USER:PASSWORD[,HOST=USER:PASSWORD]\", then\n"
	"~/.docker/config.json (auths, credHelpers, credsStore). See docs/registry.md.\n";

static int pull_option(void *ctx, int val, char *arg)
{
	struct registry_cli *cli = ctx;

	if (val == REGISTRY_CLI_OPT_ARCH) {
		cli->opts.arch = arg;
		return -1;
	}
	if (val == REGISTRY_CLI_OPT_MIRROR)
		return registry_cli_add_mirror(cli, arg) != 0 ? 2 : -1;
	return registry_cli_option(cli, val, arg);
}

/* what: the command as typed, "cache pull" or "pull" */
static int pull(const char *what, int argc, char **argv)
{
	struct registry_cli cli = { 0 };
	struct cmd_opts o = { .usage = pull_usage,
			      .options = pull_options,
			      .option = pull_option,
			      .ctx = &cli,
			      .what = what,
			      .help_first = true };
	struct uk_err err = { 0 };
	int first, rc = cmd_opts_parse(&o, argc, argv, &first);

	if (rc >= 0)
		goto out;
	if (first >= argc) {
		rc = cmd_usage_error("cache pull: no image reference given");
		goto out;
	}
	rc = registry_cli_start(&cli, "pull", o.cache_dir);
	for (int i = first; rc == 0 && i < argc; i++) {
		if (registry_pull(cli.store, argv[i], &cli.opts, &err) < 0)
			rc = cmd_fail(&err);
	}
out:
	registry_cli_release(&cli);
	return rc;
}

int cmd_cache_pull(int argc, char **argv)
{
	return pull("cache pull", argc, argv);
}

static int pull_main(int argc, char **argv)
{
	return pull("pull", argc, argv);
}

const struct cmd cmd_pull = {
	.name = "pull",
	.summary = "pull images into the store (same as 'cache pull')",
	.usage = pull_usage,
	.fn = pull_main,
	.hidden = true,
};
