// SPDX-License-Identifier: Apache-2.0
/* Unit tests of init/ (built from its files but main.c, with the host compiler). */
/* cmocka.h needs these first */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

static char tmpdir[] = "/tmp/test-init.XXXXXX";

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Parses TEXT; returns the parse result, with the message in err. */
static int parse(const char *text, struct conf *c, char *err, size_t errlen)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 1);

	assert_non_null(buf);
	memcpy(buf, text, len + 1);
	return conf_parse("init.conf", buf, len, c, err, errlen);
}

static void test_conf_all_directives(void **state)
{
	struct conf c;
	char err[256] = "";

	int r = parse("# made by unikit build\n"
		      "\n"
		      "cgroup\tsystemreserved\n"
		      "mkdir\t/var/lib/x\n"
		      "mount\toverlay\toverlay\trootfs\tlowerdir=/l,upperdir=/u,workdir=/w\n"
		      "mount\ttmpfs\t-\t/run/x\t-\n"
		      "interface\teth1\tveth\teth1-peer\ttrue\n"
		      "interface\teth0\t-\t-\tfalse\n"
		      "bindns\tnet\t/run/netns/x\n"
		      "namespace\tservices.linuxkit\n"
		      "restart\talways\r\n",
		      &c, err, sizeof(err));
	assert_int_equal(r, 0);
	assert_int_equal(c.n, 9);
	assert_int_equal(c.v[0].type, DIR_CGROUP);
	assert_int_equal(c.v[0].line, 3);
	assert_string_equal(c.v[0].f[0], "systemreserved");
	assert_int_equal(c.v[2].type, DIR_MOUNT);
	assert_string_equal(c.v[2].f[2], "rootfs");
	assert_string_equal(c.v[2].f[3], "lowerdir=/l,upperdir=/u,workdir=/w");
	assert_null(c.v[3].f[1]);
	assert_null(c.v[3].f[3]);
	assert_int_equal(c.v[4].type, DIR_INTERFACE);
	assert_string_equal(c.v[4].f[2], "eth1-peer");
	assert_null(c.v[5].f[1]);
	assert_int_equal(c.v[6].type, DIR_BINDNS);
	assert_int_equal(c.v[7].type, DIR_NAMESPACE);
	assert_int_equal(c.restart, RESTART_ALWAYS);
	conf_release(&c);
}

static void test_conf_default_and_policies(void **state)
{
	struct conf c;
	char err[256];

	assert_int_equal(parse("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.restart, RESTART_ON_FAILURE);
	conf_release(&c);
	assert_int_equal(parse("restart\tno", &c, err, sizeof(err)), 0);
	assert_int_equal(c.restart, RESTART_NO);
	assert_string_equal(restart_policy_name(c.restart), "no");
	conf_release(&c);
	assert_int_equal(parse("restart\ton-failure\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.restart, RESTART_ON_FAILURE);
	conf_release(&c);
}

static void test_conf_errors(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "restart\tsometimes\n",
		  "init.conf:1: restart must be 'no', 'on-failure' or 'always'" },
		{ "# c\nmount\ttmpfs\ttmpfs\t/x\n", "init.conf:2: 'mount' takes 4 fields, got 3" },
		{ "mkdir /x\n", "init.conf:1: fields are separated by one TAB, not spaces" },
		{ "mkdir\t\t/x\n",
		  "init.conf:1: empty field (use '-' for an empty value, one TAB between fields)" },
		{ "\n\nmkdri\t/x\n", "init.conf:3: unknown directive 'mkdri'" },
		{ "bindns\tnetwork\t/x\n",
		  "init.conf:1: unknown namespace (cgroup, ipc, mnt, net, pid, user, uts)" },
		{ "interface\teth0\t-\t-\tyes\n",
		  "init.conf:1: CREATEINROOT must be 'true' or 'false'" },
		{ "interface\tv0\tveth\t-\tfalse\n", "init.conf:1: a veth pair needs a peer" },
		{ "cgroup\t/abs\n", "init.conf:1: a cgroup is a relative path without '..'" },
		{ "cgroup\ta/../../b\n", "init.conf:1: a cgroup is a relative path without '..'" },
		{ "mkdir\t-\n", "init.conf:1: the field must not be '-'" },
		{ "mount\ttmpfs\ttmpfs\t-\t-\n", "init.conf:1: a mount needs a destination" },
		{ "restart\tno\tnow\n", "init.conf:1: 'restart' takes 1 field, got 2" },
		{ "a\tb\tc\td\te\tf\tg\n", "init.conf:1: too many fields" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf c = { 0 };
		char err[256] = "";
		assert_int_equal(parse(cases[i].text, &c, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].message);
		assert_null(c.v);
	}
}

static void test_conf_nul_and_missing_file(void **state)
{
	struct conf c;
	char err[256], path[64];
	char *buf = malloc(8);

	memcpy(buf, "mkdir\0x", 8);
	assert_int_equal(conf_parse("f", buf, 7, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "f: contains a NUL byte");
	snprintf(path, sizeof(path), "%s/none/init.conf", tmpdir);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.restart, RESTART_ON_FAILURE);
}

static void test_options(void **state)
{
	struct options o;

	options_parse("console=ttyS0 unikit.debug unikit.quiet unikit.cgroup=v1 "
		      "unikit.skip=web,000-db unikit.skip=sshd unikit.grace=3 unikit.shutdown=7 "
		      "unikit.modules=0 quiet\n",
		      &o);
	assert_true(o.debug);
	assert_true(o.quiet);
	assert_true(o.cgroup_v1);
	assert_true(o.modules_off);
	assert_int_equal(o.grace_s, 3);
	assert_int_equal(o.shutdown_s, 7);
	assert_string_equal(o.skip, "web,000-db,sshd");
	assert_true(options_skips(&o, "web"));
	assert_true(options_skips(&o, "001-web"));
	assert_true(options_skips(&o, "000-db"));
	assert_false(options_skips(&o, "001-db"));
	assert_true(options_skips(&o, "sshd"));
	assert_false(options_skips(&o, "ssh"));
	assert_false(options_skips(&o, "webs"));

	options_parse("unikit.grace=x unikit.cgroup=v3 unikit.debug=1 unikit.shutdown", &o);
	assert_false(o.debug);
	assert_false(o.cgroup_v1);
	assert_int_equal(o.grace_s, 10);
	assert_int_equal(o.shutdown_s, -1);
	assert_false(options_skips(&o, "anything"));
}

static void test_backoff(void **state)
{
	struct job j = { 0 };
	static const int64_t want[] = { 100,  200,   400,   800,   1600, 3200,
					6400, 12800, 25600, 30000, 30000 };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		j.started_ms = 1000;
		assert_int_equal(sup_next_backoff(&j, 1500), want[i]);
	}
	/* a run of 10 s or more starts over */
	j.started_ms = 1000;
	assert_int_equal(sup_next_backoff(&j, 11000), 100);
	assert_int_equal(sup_next_backoff(&j, 2000), 200);
}

static void test_service_exited(void **state)
{
	struct init in = { .root = tmpdir };
	struct job j = {
		.kind = JOB_SERVICE, .state = JOB_RUNNING, .rfd = -1, .wfd = -1, .logfd = -1
	};

	j.conf.restart = RESTART_ON_FAILURE;
	j.exited = true;
	j.status = 1 << 8; /* exit status 1 */
	sup_service_exited(&in, &j, 5000);
	assert_int_equal(j.state, JOB_BACKOFF);
	assert_int_equal(j.next_start_ms, 5100);
	assert_int_equal(j.restarts, 1);
	assert_false(j.exited);

	j.state = JOB_RUNNING;
	j.status = 0;
	sup_service_exited(&in, &j, 6000);
	assert_int_equal(j.state, JOB_DONE);

	j.state = JOB_RUNNING;
	j.conf.restart = RESTART_ALWAYS;
	sup_service_exited(&in, &j, 6000);
	assert_int_equal(j.state, JOB_BACKOFF);

	j.state = JOB_RUNNING;
	j.conf.restart = RESTART_NO;
	j.status = SIGSEGV; /* killed by a signal */
	sup_service_exited(&in, &j, 6000);
	assert_int_equal(j.state, JOB_DONE);

	j.state = JOB_RUNNING;
	j.conf.restart = RESTART_ALWAYS;
	in.shutdown = SHUTDOWN_POWEROFF;
	sup_service_exited(&in, &j, 6000);
	assert_int_equal(j.state, JOB_DONE);
}

static void test_status_str(void **state)
{
	char buf[64];

	assert_string_equal(status_str(3 << 8, buf, sizeof(buf)), "exit status 3");
	status_str(SIGKILL, buf, sizeof(buf));
	assert_memory_equal(buf, "signal 9 (", 10);
}

static void test_job_output(void **state)
{
	struct init in = { .root = tmpdir };
	char path[PATH_MAX], big[3000];

	snprintf(path, sizeof(path), "%s/var/log", tmpdir);
	assert_int_equal(mkdir_p(path, 0755), 0);
	struct job *j = job_new(&in, JOB_SERVICE, "/containers/services", "web");
	assert_string_equal(j->dir, "/containers/services/web");
	for (int i = 0; i < 12; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line %d\n", i);
		job_output(j, line, (size_t)n);
	}
	job_output(j, "no newline", 10);
	assert_int_equal(j->tail_count, 10);
	job_flush(j);
	/* the tail keeps the last 10 lines, oldest first */
	unsigned first = (j->tail_next + TAIL_LINES - j->tail_count) % TAIL_LINES;
	assert_string_equal(j->tail[first], "line 3");
	assert_string_equal(j->tail[(j->tail_next + TAIL_LINES - 1) % TAIL_LINES], "no newline");
	memset(big, 'x', sizeof(big));
	job_output(j, big, sizeof(big));
	job_flush(j);
	snprintf(path, sizeof(path), "%s/var/log/web.log", tmpdir);
	size_t len;
	char *log = read_file(path, 1 << 20, &len);
	assert_non_null(log);
	assert_memory_equal(log, "line 0\nline 1\n", 14);
	assert_non_null(strstr(log, "line 11\nno newline\nxxx"));
	assert_int_equal(len, 12 * 7 + 2 * 1 + 11 + sizeof(big) + 3);
	free(log);
	assert_int_equal(in.njobs, 1);
	job_free(j);
	free(in.jobs);
}

static void collect(struct modules *m, const char *name, void *arg)
{
	char *out = arg;
	size_t len = strlen(out);

	snprintf(out + len, 256 - len, "%s ", name);
}

static void test_modules_match(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], got[256] = "";

	snprintf(dir, sizeof(dir), "%s/lib/modules/6.1.0", tmpdir);
	assert_int_equal(mkdir_p(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/modules.alias", dir);
	write_text(path, "# Aliases extracted from modules themselves.\n"
			 "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n"
			 "alias virtio:d00000001v* virtio_net\n"
			 "alias virtio:d00000004v* virtio_rng\n"
			 "alias fs-ext4 ext4\n"
			 "alias *:d00000001v* catch_all\n");
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	write_text(path, "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko\n"
			 "kernel/drivers/net/virtio_net.ko.xz: kernel/net/core/net-failover.ko\n"
			 "kernel/drivers/virtio/virtio.ko:\n"
			 "kernel/net/core/net-failover.ko:\n");
	struct modules *m = modules_open(dir);
	assert_non_null(m);
	modules_match(m, "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", collect, got);
	assert_string_equal(got, "virtio_pci ");
	got[0] = '\0';
	modules_match(m, "virtio:d00000001v00001AF4", collect, got);
	assert_string_equal(got, "virtio_net catch_all ");
	got[0] = '\0';
	modules_match(m, "pci:v00008086d00001237sv*", collect, got);
	assert_string_equal(got, "");
	/* names are found with '-' and '_' alike; an unknown one is ENOENT */
	assert_int_equal(modules_load(m, "no_such_module", ""), -1);
	modules_close(m);
	snprintf(path, sizeof(path), "%s/nothing", tmpdir);
	assert_null(modules_open(path));
}

static void test_list_dir_and_mkdir(void **state)
{
	char path[PATH_MAX];
	size_t n;

	snprintf(path, sizeof(path), "%s/d/c", tmpdir);
	assert_int_equal(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/d/a", tmpdir);
	write_text(path, "");
	snprintf(path, sizeof(path), "%s/d/.hidden", tmpdir);
	write_text(path, "");
	snprintf(path, sizeof(path), "%s/d/b", tmpdir);
	write_text(path, "0123456789");
	snprintf(path, sizeof(path), "%s/d", tmpdir);
	char **v = list_dir(path, &n);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c");
	free_list(v, n);
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_null(list_dir(path, &n));
	assert_int_equal(mkdir_p("", 0755), -1);
	snprintf(path, sizeof(path), "%s/d/b", tmpdir);
	assert_null(read_file(path, 4, NULL));
	char buf[8];
	assert_int_equal(pathf(buf, sizeof(buf), "%s", "12345678"), -1);
	assert_string_equal(buf, "");
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *argv[] = { "rm", "-rf", tmpdir, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_all_directives),
		cmocka_unit_test(test_conf_default_and_policies),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_nul_and_missing_file),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_service_exited),
		cmocka_unit_test(test_status_str),
		cmocka_unit_test(test_job_output),
		cmocka_unit_test(test_modules_match),
		cmocka_unit_test(test_list_dir_and_mkdir),
	};

	/* init's messages go to stdout, where TAP goes: keep them apart */
	log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return cmocka_run_group_tests(tests, setup, teardown);
}
