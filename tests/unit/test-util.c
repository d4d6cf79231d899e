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
#include "util/size.h"
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
	strbuf_add(&sb, NULL, 0); /* nothing to add: the pointer is not read */
	assert_int_equal(sb.len, 0);
	char *p = strbuf_detach(&sb, NULL);
	assert_string_equal(p, "");
	free(p);
}

/* qsort() with str_ptr_cmp orders the strings, not the pointers to them. */
static void test_str_ptr_cmp(void **state)
{
	char late[] = "b.cert", early[] = "a.cert", mid[] = "a.crt";
	/* the strings stored in an order their addresses do not follow */
	const char *v[] = { late, early, mid };

	qsort(v, 3, sizeof(*v), str_ptr_cmp);
	assert_string_equal(v[0], "a.cert");
	assert_string_equal(v[1], "a.crt");
	assert_string_equal(v[2], "b.cert");
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

static void test_size_parse(void **state)
{
	static const struct {
		const char *s;
		enum size_unit unit;
		uint64_t bytes;
	} good[] = {
		/* a bare number counts in the unit */
		{ "123", SIZE_BYTES, 123 },
		{ "512", SIZE_MIB, 512ull << 20 },
		{ "3", SIZE_KIB, 3072 },
		{ "0064", SIZE_BYTES, 64 },
		/* each suffix, either case, with B or iB after it */
		{ "64K", SIZE_BYTES, 64ull << 10 },
		{ "64k", SIZE_BYTES, 64ull << 10 },
		{ "32M", SIZE_BYTES, 32ull << 20 },
		{ "32m", SIZE_MIB, 32ull << 20 },
		{ "2G", SIZE_MIB, 2ull << 30 },
		{ "2g", SIZE_BYTES, 2ull << 30 },
		{ "1T", SIZE_MIB, 1ull << 40 },
		{ "1t", SIZE_BYTES, 1ull << 40 },
		{ "2GB", SIZE_MIB, 2ull << 30 },
		{ "2gib", SIZE_MIB, 2ull << 30 },
		{ "64KiB", SIZE_BYTES, 64ull << 10 },
		{ "1024Mb", SIZE_MIB, 1ull << 30 },
		/* the largest sizes there are: INT64_MAX bytes, rounded down to the unit */
		{ "9223372036854775807", SIZE_BYTES, INT64_MAX },
		{ "8796093022207", SIZE_MIB, 8796093022207ull << 20 },
		{ "8388607T", SIZE_BYTES, 8388607ull << 40 },
	};
	static const struct {
		const char *s;
		enum size_unit unit;
		const char *msg;
	} bad[] = {
		{ "", SIZE_BYTES, "size '': not a positive number" },
		{ "", SIZE_MIB, "size '': not a positive number" },
		{ "0", SIZE_MIB, "size '0': not a positive number" },
		{ "0K", SIZE_BYTES, "size '0K': not a positive number" },
		{ "000G", SIZE_MIB, "size '000G': not a positive number" },
		{ "G", SIZE_MIB, "size 'G': not a positive number" },
		{ "big", SIZE_MIB, "size 'big': not a positive number" },
		{ "-1", SIZE_BYTES, "size '-1': not a positive number" },
		{ "+1", SIZE_BYTES, "size '+1': not a positive number" },
		{ " 1", SIZE_BYTES, "size ' 1': not a positive number" },
		{ "1 G", SIZE_MIB, "size '1 G': not a positive number" },
		{ "1.5G", SIZE_MIB, "size '1.5G': not a positive number" },
		{ "1G5", SIZE_MIB, "size '1G5': not a positive number" },
		{ "0x10", SIZE_BYTES, "size '0x10': not a positive number" },
		{ "12K", SIZE_MIB, "size '12K': unknown unit (use M, G or T; no unit is M)" },
		{ "1B", SIZE_BYTES,
		  "size '1B': unknown unit (use K, M, G or T; no unit is bytes)" },
		{ "1P", SIZE_BYTES,
		  "size '1P': unknown unit (use K, M, G or T; no unit is bytes)" },
		{ "1Gi", SIZE_MIB, "size '1Gi': unknown unit (use M, G or T; no unit is M)" },
		{ "1GBB", SIZE_MIB, "size '1GBB': unknown unit (use M, G or T; no unit is M)" },
		/* overflow: of the digits, and of the digits times the unit */
		{ "99999999999999999999", SIZE_BYTES, "size '99999999999999999999': too large" },
		{ "9223372036854775808", SIZE_BYTES, "size '9223372036854775808': too large" },
		{ "8796093022208", SIZE_MIB, "size '8796093022208': too large" },
		{ "8388608T", SIZE_BYTES, "size '8388608T': too large" },
		{ "18446744073709551616K", SIZE_BYTES, "size '18446744073709551616K': too large" },
	};
	_cleanup_err_ struct uk_err err = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t bytes = 1;
		if (size_parse(good[i].s, good[i].unit, &bytes, &err) < 0)
			fail_msg("'%s': %s", good[i].s, err.msg);
		if (bytes != good[i].bytes)
			fail_msg("'%s': got %llu, want %llu", good[i].s, (unsigned long long)bytes,
				 (unsigned long long)good[i].bytes);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t bytes = 1;
		if (size_parse(bad[i].s, bad[i].unit, &bytes, &err) == 0)
			fail_msg("'%s': read as %llu", bad[i].s, (unsigned long long)bytes);
		assert_int_equal(err.code, UK_ERR_INPUT);
		assert_string_equal(err.msg, bad[i].msg);
		/* nothing is written on failure */
		assert_int_equal(bytes, 1);
		uk_err_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf),	     cmocka_unit_test(test_err_wrap),
		cmocka_unit_test(test_sha256),	     cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_proc_failure), cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_str_ptr_cmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
