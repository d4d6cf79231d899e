// SPDX-License-Identifier: Apache-2.0
/* unikit: build lean, immutable, bootable Linux systems from OCI images, and boot them. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/fs.h"

#define CMD(n) extern const struct cmd cmd_##n;
#include "cmds.h"
#undef CMD

static const struct cmd *const commands[] = {
#define CMD(n) &cmd_##n,
#include "cmds.h"
#undef CMD
};

static const struct cmd *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

static void usage(FILE *f)
{
	fputs("usage: unikit COMMAND [OPTIONS] [ARGS]\n\n"
	      "Build lean, immutable, bootable Linux systems from OCI images, and boot them.\n\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!commands[i]->hidden)
			fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	}
	fputs("  help       show help for a command\n\n"
	      "Run 'unikit help COMMAND' or 'unikit COMMAND -help' for a command's options.\n",
	      f);
}

int main(int argc, char **argv)
{
	const struct cmd *cmd;

	fs_atomic_install_signal_cleanup();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "-help") || !strcmp(name, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "-version") || !strcmp(name, "--version"))
		name = "version";
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		cmd = find_command(argv[2]);
		if (!cmd)
			return cmd_usage_error("unknown command '%s'", argv[2]);
		if (argc > 3) {
			/* `help cache ls`: the subcommand's own -h */
			char *sub[] = { argv[2], argv[3], "-h", NULL };
			return cmd->fn(3, sub);
		}
		return cmd_help(cmd);
	}
	cmd = find_command(name);
	if (!cmd) {
		cmd_usage_error("unknown command '%s'", name);
		usage(stderr);
		return 2;
	}
	return cmd->fn(argc - 1, argv + 1);
}
