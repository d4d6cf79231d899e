// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/sha256.h"
#include "util/strbuf.h"

static void test_strbuf(void **state)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	assert_string_equal(sb.buf, "");
	strbuf_addstr(&sb, "abc");
	strbuf_addch(&sb, '-');
	strbuf_addf(&sb, "%d/%s", 42, "x");
	assert_string_equal(sb.buf, "abc-42/x");
	assert_int_equal(sb.len, 8);
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%04d", i);
	assert_int_equal(sb.len, 8 + 4000);
	assert_memory_equal(sb.buf + sb.len - 4, "0999", 4);
	strbuf_reset(&sb);
	assert_string_equal(sb.buf, "");
	char *p = strbuf_detach(&sb, NULL);
	assert_string_equal(p, "");
	free(p);
}

static void test_err_wrap(void **state)
{
	_cleanup_err_ struct uk_err err = { 0 };

	assert_int_equal(uk_err_set(&err, "blob %s", "sha256:ab"), -1);
	uk_err_wrap(&err, "pull '%s'", "nginx");
	uk_err_wrap(&err, "build '%s'", "web.yml");
	assert_string_equal(err.msg, "build 'web.yml': pull 'nginx': blob sha256:ab");
	uk_err_release(&err);
	errno = ENOENT;
	uk_err_errno(&err, "open '%s'", "x");
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(err.msg, "open 'x': No such file or directory");
}

static void test_sha256(void **state)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_atomic_write(void **state)
{
	_cleanup_err_ struct uk_err err = { 0 };
	char dir[] = "/tmp/unikit-test-XXXXXX";
	char *data = NULL;
	size_t len = 0;

	assert_non_null(mkdtemp(dir));
	_cleanup_free_ char *path = xasprintf("%s/a/b/out", dir);
	_cleanup_free_ char *parent = xasprintf("%s/a/b", dir);
	assert_int_equal(fs_mkdir_p(parent, 0755, &err), 0);
	assert_int_equal(fs_write_file_atomic(path, "hello", 5, 0644, &err), 0);
	assert_int_equal(fs_read_file(path, 100, &data, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);

	/* an aborted write leaves the old content and no other file */
	struct fs_atomic a = FS_ATOMIC_INIT;
	assert_int_equal(fs_atomic_open(&a, path, 0644, &err), 0);
	assert_int_equal(xwrite_all(a.fd, "partial", 7), 0);
	fs_atomic_abort(&a);
	assert_int_equal(fs_read_file(path, 100, &data, &len, &err), 0);
	assert_string_equal(data, "hello");
	free(data);
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct proc_opts o = PROC_OPTS_INIT;
	o.out = &out;
	const char *ls[] = { "ls", "-A", parent, NULL };
	assert_int_equal(proc_run(ls, &o, &err), 0);
	assert_string_equal(out.buf, "out\n");

	/* a file larger than the limit is refused */
	assert_int_equal(fs_read_file(path, 3, &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "larger than 3 bytes"));
	uk_err_release(&err);
	assert_int_equal(fs_rm_rf(dir, &err), 0);
	assert_int_equal(access(dir, F_OK), -1);
}

static void test_proc_failure(void **state)
{
	_cleanup_err_ struct uk_err err = { 0 };
	const char *argv[] = { "sh", "-c", "echo first >&2; echo 'the reason' >&2; exit 3", NULL };

	assert_int_equal(proc_run(argv, NULL, &err), -1);
	assert_string_equal(err.msg, "'sh' exited with status 3: the reason");
	uk_err_release(&err);
	const char *missing[] = { "unikit-no-such-program", NULL };
	assert_int_equal(proc_run(missing, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "status 127"));
	assert_true(proc_have("sh"));
	assert_false(proc_have("unikit-no-such-program"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf),	     cmocka_unit_test(test_err_wrap),
		cmocka_unit_test(test_sha256),	     cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_proc_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
