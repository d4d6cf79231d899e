// SPDX-License-Identifier: Apache-2.0
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
#include <unistd.h>

#include "spec/internal.h"
#include "spec/spec.h"
#include "util/err.h"
#include "util/fs.h"

/* Every test runs in its own scratch directory, so file names in messages are short. */
static char scratch[] = "/tmp/unikit-test-spec-XXXXXX";

static int setup(void **state)
{
	if (!mkdtemp(scratch) || chdir(scratch) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct uk_err err = { 0 };

	if (chdir("/") < 0 || fs_rm_rf(scratch, &err) < 0) {
		uk_err_release(&err);
		return -1;
	}
	return 0;
}

static void write_file(const char *name, const char *text)
{
	struct uk_err err = { 0 };

	assert_int_equal(fs_write_file_atomic(name, text, strlen(text), 0644, &err), 0);
}

/* Loads text as t.yml; returns spec_load's result. */
static int load(struct spec *spec, const char *text, struct uk_err *err)
{
	const char *paths[] = { "t.yml" };

	write_file("t.yml", text);
	return spec_load(spec, paths, 1, err);
}

/* Loads text, which must be valid, and returns the root. */
static json_t *load_ok(struct spec *spec, const char *text)
{
	struct uk_err err = { 0 };

	if (load(spec, text, &err) < 0)
		fail_msg("unexpected errors:\n%s", err.msg);
	return spec->root;
}

/* Loads text, which must be invalid; returns the error lines (caller frees). */
static char *load_fail(const char *text)
{
	struct spec spec = SPEC_INIT;
	struct uk_err err = { 0 };

	if (load(&spec, text, &err) == 0)
		fail_msg("'%s' was accepted", text);
	assert_int_equal(err.code, UK_ERR_INPUT);
	assert_null(spec.root);
	return err.msg;
}

static bool has_line(const char *msg, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = msg; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, line, len) && (p[len] == '\n' || p[len] == '\0'))
			return true;
	}
	return false;
}

#define assert_line(msg, line)                                                \
	do {                                                                  \
		if (!has_line((msg), (line)))                                 \
			fail_msg("missing line '%s' in:\n%s", (line), (msg)); \
	} while (0)

static size_t count_lines(const char *msg)
{
	size_t n = 1;

	for (; *msg; msg++)
		n += *msg == '\n';
	return n;
}

/* Walks a path like "services/0/resources/memory/limit". */
static json_t *at(json_t *v, const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;

	for (char *part = strtok_r(copy, "/", &save); part && v;
	     part = strtok_r(NULL, "/", &save)) {
		if (json_is_array(v))
			v = json_array_get(v, strtoul(part, NULL, 10));
		else
			v = json_object_get(v, part);
	}
	return v;
}

static const char *str_at(json_t *v, const char *path)
{
	return json_string_value(at(v, path));
}

static json_int_t int_at(json_t *v, const char *path)
{
	json_t *i = at(v, path);

	assert_true(json_is_integer(i));
	return json_integer_value(i);
}

static const char everything[] =
	"kernel:\n"
	"  image: linuxkit/kernel:6.6.13\n"
	"  cmdline: \"console=ttyS0\"\n"
	"  ucode: intel-ucode.cpio\n"
	"init:\n"
	"  - linuxkit/init:1\n"
	"  - linuxkit/runc:2\n"
	"onboot:\n"
	"  - name: sysctl\n"
	"    image: linuxkit/sysctl:3\n"
	"    sysctl:\n"
	"      net.ipv4.ip_forward: \"1\"\n"
	"onshutdown:\n"
	"  - name: bye\n"
	"    image: busybox\n"
	"    command: [\"/bin/echo\", \"bye\"]\n"
	"services:\n"
	"  - name: web\n"
	"    image: nginx:1.25\n"
	"    capabilities: [CAP_NET_BIND_SERVICE, CAP_CHOWN]\n"
	"    capabilities.add: [CAP_SYS_ADMIN]\n"
	"    ambient: [CAP_NET_BIND_SERVICE]\n"
	"    mounts:\n"
	"      - type: cgroup\n"
	"        options: [rw, nosuid]\n"
	"      - destination: /data\n"
	"        type: bind\n"
	"        source: /var/data\n"
	"        options: [rbind]\n"
	"        uidMappings: [{containerID: 0, hostID: 1000, size: 1}]\n"
	"    binds: [\"/etc/resolv.conf:/etc/resolv.conf\", \"/var:/var:ro\"]\n"
	"    binds.add: [\"cache:/cache\"]\n"
	"    devices:\n"
	"      - {path: /dev/fuse, type: c, major: 10, minor: 229, mode: \"0666\"}\n"
	"    tmpfs: [\"/tmp:size=10m\", /run]\n"
	"    command: [nginx, -g, \"daemon off;\"]\n"
	"    env: [A=1, B=]\n"
	"    cwd: /srv\n"
	"    net: host\n"
	"    pid: new\n"
	"    ipc: none\n"
	"    uts: /run/ns/uts\n"
	"    userns: root\n"
	"    hostname: web1\n"
	"    readonly: true\n"
	"    maskedPaths: [/proc/kcore]\n"
	"    readonlyPaths: [/proc/sys]\n"
	"    uid: 1000\n"
	"    gid: nginx\n"
	"    additionalGids: [10, wheel]\n"
	"    noNewPrivileges: false\n"
	"    oomScoreAdj: -500\n"
	"    rootfsPropagation: shared\n"
	"    cgroupsPath: /web\n"
	"    resources:\n"
	"      devices: [{allow: false, access: rwm}, {allow: true, type: c, major: 1, minor: 3, "
	"access: rw}]\n"
	"      memory: {limit: 536870912, reservation: 0x10, swap: -1, kernel: 1, kernelTCP: 2,\n"
	"               swappiness: 60, disableOOMKiller: true, useHierarchy: false,\n"
	"               checkBeforeUpdate: true}\n"
	"      cpu: {shares: 1024, quota: 50000, burst: 0, period: 100000, realtimeRuntime: 0,\n"
	"            realtimePeriod: 0, cpus: \"0-1\", mems: \"0\", idle: 0}\n"
	"      pids: {limit: 100}\n"
	"      blockio:\n"
	"        weight: 500\n"
	"        leafWeight: 300\n"
	"        weightDevice: [{major: 8, minor: 0, weight: 100, leafWeight: 50}]\n"
	"        throttleReadBpsDevice: [{major: 8, minor: 0, rate: 1048576}]\n"
	"        throttleWriteBpsDevice: [{major: 8, minor: 0, rate: 1}]\n"
	"        throttleReadIOPSDevice: [{major: 8, minor: 0, rate: 2}]\n"
	"        throttleWriteIOPSDevice: [{major: 8, minor: 0, rate: 3}]\n"
	"      hugepageLimits: [{pageSize: 2MB, limit: 0o1000}]\n"
	"      network: {classID: 7, priorities: [{name: eth0, priority: 5}]}\n"
	"      rdma: {mlx5_1: {hcaHandles: 3, hcaObjects: 10000}}\n"
	"      unified: {memory.high: \"1G\"}\n"
	"    rlimits: [\"nofile,1024,4096\", \"RLIMIT_CORE, unlimited, unlimited\"]\n"
	"    uidMappings: [{containerID: 0, hostID: 100000, size: 65536}]\n"
	"    gidMappings: [{containerID: 0, hostID: 100000, size: 65536}]\n"
	"    annotations: {org.example/owner: me}\n"
	"    runtime:\n"
	"      cgroups: [web]\n"
	"      mounts: [{type: overlay, source: overlay, destination: x, options: [rw]}]\n"
	"      mkdir: [/var/lib/web]\n"
	"      interfaces: [{name: wg0, add: wireguard, peer: wg1, createInRoot: true}]\n"
	"      bindNS: {cgroup: /a, ipc: /b, mnt: /c, net: /run/netns/wg0, pid: /e, user: /f, "
	"uts: /g}\n"
	"      namespace: web\n"
	"files:\n"
	"  - path: etc/motd\n"
	"    contents: |\n"
	"      hello\n"
	"    mode: \"0644\"\n"
	"    uid: 0\n"
	"    gid: root\n"
	"  - path: /var/lib/x\n"
	"    directory: true\n"
	"  - path: etc/link\n"
	"    symlink: /etc/motd\n"
	"  - path: etc/ssh/key.pub\n"
	"    source: ~/.ssh/id.pub\n"
	"    optional: true\n"
	"  - path: etc/linuxkit.yml\n"
	"    metadata: yaml\n"
	"volumes:\n"
	"  - name: cache\n"
	"    image: alpine:3.19\n"
	"    readonly: false\n"
	"    format: oci\n"
	"    platforms: [linux/amd64, linux/arm64]\n"
	"trust:\n"
	"  org: [linuxkit]\n"
	"  image: [nginx]\n";

static void test_every_field(void **state)
{
	struct spec spec = SPEC_INIT;
	json_t *r = load_ok(&spec, everything);

	assert_string_equal(str_at(r, "kernel/image"), "linuxkit/kernel:6.6.13");
	assert_string_equal(str_at(r, "kernel/cmdline"), "console=ttyS0");
	assert_string_equal(str_at(r, "kernel/binary"), "kernel");
	assert_string_equal(str_at(r, "kernel/tar"), "kernel.tar");
	assert_string_equal(str_at(r, "kernel/ucode"), "intel-ucode.cpio");
	assert_int_equal(json_array_size(at(r, "init")), 2);
	assert_string_equal(str_at(r, "onboot/0/sysctl/net.ipv4.ip_forward"), "1");
	assert_string_equal(str_at(r, "onshutdown/0/command/1"), "bye");

	json_t *w = at(r, "services/0");
	assert_string_equal(str_at(w, "capabilities/1"), "CAP_CHOWN");
	assert_string_equal(str_at(w, "capabilities.add/0"), "CAP_SYS_ADMIN");
	assert_string_equal(str_at(w, "ambient/0"), "CAP_NET_BIND_SERVICE");
	assert_string_equal(str_at(w, "mounts/0/type"), "cgroup");
	assert_int_equal(int_at(w, "mounts/1/uidMappings/0/hostID"), 1000);
	assert_string_equal(str_at(w, "binds.add/0"), "cache:/cache");
	assert_int_equal(int_at(w, "devices/0/minor"), 229);
	assert_string_equal(str_at(w, "devices/0/mode"), "0666");
	assert_string_equal(str_at(w, "tmpfs/1"), "/run");
	assert_string_equal(str_at(w, "command/2"), "daemon off;");
	assert_string_equal(str_at(w, "env/1"), "B=");
	assert_string_equal(str_at(w, "uts"), "/run/ns/uts");
	assert_true(json_is_true(at(w, "readonly")));
	assert_true(json_is_false(at(w, "noNewPrivileges")));
	/* uid and gid: numbers stay numbers, names stay strings */
	assert_int_equal(int_at(w, "uid"), 1000);
	assert_string_equal(str_at(w, "gid"), "nginx");
	assert_int_equal(int_at(w, "additionalGids/0"), 10);
	assert_string_equal(str_at(w, "additionalGids/1"), "wheel");
	assert_int_equal(int_at(w, "oomScoreAdj"), -500);
	assert_int_equal(int_at(w, "resources/memory/limit"), 536870912);
	assert_int_equal(int_at(w, "resources/memory/reservation"), 16);
	assert_int_equal(int_at(w, "resources/memory/swap"), -1);
	assert_true(json_is_true(at(w, "resources/memory/disableOOMKiller")));
	assert_string_equal(str_at(w, "resources/cpu/cpus"), "0-1");
	assert_int_equal(int_at(w, "resources/pids/limit"), 100);
	/* LinuxKit's spelling 'blockio' is stored under the OCI name */
	assert_null(at(w, "resources/blockio"));
	assert_int_equal(int_at(w, "resources/blockIO/throttleWriteIOPSDevice/0/rate"), 3);
	assert_int_equal(int_at(w, "resources/hugepageLimits/0/limit"), 512);
	assert_string_equal(str_at(w, "resources/hugepageLimits/0/pageSize"), "2MB");
	assert_int_equal(int_at(w, "resources/network/priorities/0/priority"), 5);
	assert_int_equal(int_at(w, "resources/rdma/mlx5_1/hcaObjects"), 10000);
	assert_string_equal(str_at(w, "resources/unified/memory.high"), "1G");
	assert_true(json_is_false(at(w, "resources/devices/0/allow")));
	assert_string_equal(str_at(w, "rlimits/1"), "RLIMIT_CORE, unlimited, unlimited");
	assert_int_equal(int_at(w, "gidMappings/0/size"), 65536);
	assert_string_equal(
		json_string_value(json_object_get(at(w, "annotations"), "org.example/owner")),
		"me");
	assert_string_equal(str_at(w, "runtime/mounts/0/destination"), "x");
	assert_true(json_is_true(at(w, "runtime/interfaces/0/createInRoot")));
	assert_string_equal(str_at(w, "runtime/bindNS/net"), "/run/netns/wg0");
	assert_string_equal(str_at(w, "runtime/namespace"), "web");

	assert_string_equal(str_at(r, "files/0/contents"), "hello\n");
	assert_string_equal(str_at(r, "files/0/mode"), "0644");
	assert_int_equal(int_at(r, "files/0/uid"), 0);
	assert_string_equal(str_at(r, "files/0/gid"), "root");
	assert_true(json_is_true(at(r, "files/1/directory")));
	assert_string_equal(str_at(r, "files/2/symlink"), "/etc/motd");
	assert_true(json_is_true(at(r, "files/3/optional")));
	assert_string_equal(str_at(r, "files/4/metadata"), "yaml");
	assert_string_equal(str_at(r, "volumes/0/format"), "oci");
	assert_string_equal(str_at(r, "volumes/0/platforms/1"), "linux/arm64");
	assert_true(json_is_false(at(r, "volumes/0/readonly")));
	assert_string_equal(str_at(r, "trust/org/0"), "linuxkit");
	/* a key that is absent from the YAML is absent from the tree */
	assert_null(at(r, "onboot/0/readonly"));
	assert_null(at(r, "files/1/mode"));
	spec_release(&spec);
}

static void test_empty_and_defaults(void **state)
{
	struct spec spec = SPEC_INIT;
	json_t *r = load_ok(&spec, "# nothing but a comment\n");

	assert_int_equal(json_object_size(r), 0);
	spec_release(&spec);
	r = load_ok(&spec, "kernel:\n  image: k\n  binary: bzImage\n  tar: none\n");
	assert_string_equal(str_at(r, "kernel/binary"), "bzImage");
	assert_string_equal(str_at(r, "kernel/tar"), "none");
	assert_null(at(r, "kernel/ucode"));
	assert_string_equal(spec_where_member(&spec, at(r, "kernel"), "tar"), "t.yml:4:8");
	spec_release(&spec);
	/* an empty kernel image is no kernel image, not an error */
	r = load_ok(&spec, "kernel:\n  image: \"\"\n");
	assert_string_equal(str_at(r, "kernel/image"), "");
	spec_release(&spec);
	r = load_ok(&spec, "kernel:\n  image: k\n");
	/* a default has no position */
	assert_string_equal(str_at(r, "kernel/binary"), "kernel");
	assert_null(spec_where_member(&spec, at(r, "kernel"), "binary"));
	spec_release(&spec);
}

static void test_unknown_keys(void **state)
{
	_cleanup_free_ char *msg = load_fail("kernel:\n"
					     "  image: k\n"
					     "  cmdlne: x\n"
					     "onbot: []\n"
					     "services:\n"
					     "  - name: s\n"
					     "    image: i\n"
					     "    capabilites: []\n"
					     "    resources:\n"
					     "      memory:\n"
					     "        limt: 1\n"
					     "    runtime:\n"
					     "      bindNS: {netns: /x}\n"
					     "      interfaces: [{name: a, createinroot: true}]\n"
					     "    zzz: 1\n"
					     "files:\n"
					     "  - path: a\n"
					     "    contents: b\n"
					     "    mod: \"0600\"\n"
					     "volumes:\n"
					     "  - name: v\n"
					     "    readOnly: true\n");

	assert_line(msg, "t.yml:3:3: unknown key 'cmdlne' in 'kernel' (did you mean 'cmdline'?)");
	assert_line(msg, "t.yml:4:1: unknown key 'onbot' (did you mean 'onboot'?)");
	assert_line(msg, "t.yml:8:5: unknown key 'capabilites' in services entry 's' "
			 "(did you mean 'capabilities'?)");
	assert_line(msg, "t.yml:11:9: unknown key 'limt' in 'memory' (did you mean 'limit'?)");
	assert_line(msg, "t.yml:13:16: unknown key 'netns' in 'bindNS' (did you mean 'net'?)");
	assert_line(msg, "t.yml:14:30: unknown key 'createinroot' in an interface "
			 "(did you mean 'createInRoot'?)");
	assert_line(msg, "t.yml:15:5: unknown key 'zzz' in services entry 's'");
	assert_line(msg, "t.yml:19:5: unknown key 'mod' in a file entry (did you mean 'mode'?)");
	assert_line(msg, "t.yml:22:5: unknown key 'readOnly' in a volume (did you mean "
			 "'readonly'?)");
	assert_int_equal(count_lines(msg), 9);
}

static void test_wrong_types(void **state)
{
	_cleanup_free_ char *msg =
		load_fail("kernel:\n"
			  "  cmdline: 42\n"
			  "init: linuxkit/init\n"
			  "onboot:\n"
			  "  - name: a\n"
			  "    image: i\n"
			  "    readonly: yes\n"
			  "    command: [ls, {a: b}]\n"
			  "    uid: 1.5\n"
			  "    additionalGids: [[1]]\n"
			  "    oomScoreAdj: \"5\"\n"
			  "    sysctl: {kernel.x: 1}\n"
			  "    resources: [1]\n"
			  "    runtime:\n"
			  "      interfaces: {name: x}\n"
			  "    binds:\n"
			  "    env: [!!int 12]\n"
			  "    cwd: !custom x\n"
			  "    pid: 99999999999999999999\n"
			  "    uidMappings: [{containerID: 0, hostID: -1, size: 1}]\n"
			  "files:\n"
			  "  - path: a\n"
			  "    contents: x\n"
			  "    optional: 1\n");

	assert_line(msg, "t.yml:2:12: 'cmdline' must be a string, not the integer 42 "
			 "(quote it to make it a string)");
	assert_line(msg, "t.yml:3:7: 'init' must be a list of strings, not the string "
			 "'linuxkit/init'");
	assert_line(msg, "t.yml:7:15: 'readonly' must be a boolean (true or false), not the "
			 "string 'yes' (YAML 1.2 booleans are true and false)");
	assert_line(msg, "t.yml:8:19: 'command[1]' must be a string, not a mapping");
	assert_line(msg, "t.yml:9:10: 'uid' must be a user or group id (a number or a name), "
			 "not the number 1.5");
	assert_line(msg, "t.yml:10:22: 'additionalGids[0]' must be a user or group id (a number "
			 "or a name), not a list");
	assert_line(msg, "t.yml:11:18: 'oomScoreAdj' must be an integer, not the string '5'");
	assert_line(msg, "t.yml:12:24: 'sysctl.kernel.x' must be a string, not the integer 1 "
			 "(quote it to make it a string)");
	assert_line(msg, "t.yml:13:16: 'resources' must be a mapping, not a list");
	assert_line(msg, "t.yml:15:19: 'interfaces' must be a list of mappings, not a mapping");
	assert_line(msg, "t.yml:16:11: 'binds' must be a list of strings, not empty (null)");
	assert_line(msg, "t.yml:17:11: 'env[0]' must be a string, not the integer 12 "
			 "(quote it to make it a string)");
	assert_line(msg, "t.yml:18:10: 'cwd' must be a string, not a value tagged '!custom'");
	assert_line(msg, "t.yml:19:10: 'pid' must be a string, not the integer "
			 "99999999999999999999 (quote it to make it a string)");
	assert_line(msg, "t.yml:20:44: 'hostID' is out of range: -1 is not in [0, 4294967295]");
	assert_line(msg, "t.yml:24:15: 'optional' must be a boolean (true or false), not the "
			 "integer 1");
	assert_int_equal(count_lines(msg), 16);
}

static void test_value_checks(void **state)
{
	_cleanup_free_ char *msg =
		load_fail("services:\n"
			  "  - name: a/b\n"
			  "    image: \"my image\"\n"
			  "    capabilities: [CAP_NET_ADMN, all]\n"
			  "    ambient: [sys_time]\n"
			  "    binds: [/a, \":/b\", \"/a:/b:\"]\n"
			  "    tmpfs: [\"/a:b:c\"]\n"
			  "    rlimits: [\"nofile,10\", \"nofle,1,2\", \"core,x,1\", \"as,5,4\"]\n"
			  "    env: [NOVALUE]\n"
			  "    cwd: relative\n"
			  "    net: hots\n"
			  "    rootfsPropagation: shard\n"
			  "    oomScoreAdj: 1001\n"
			  "    devices: [{path: /dev/x, type: z, mode: \"999\"}]\n"
			  "    resources: {devices: [{allow: true, type: q, access: rx}]}\n"
			  "    mounts: [{source: /x, destination: /y}, {type: tmpfs}]\n");

	assert_line(msg, "t.yml:2:11: 'name' must be usable as a directory name (no '/', no "
			 "whitespace, not '.' or '..')");
	assert_line(msg, "t.yml:3:12: 'image' is not an image reference: it contains whitespace");
	assert_line(msg, "t.yml:4:20: unknown capability 'CAP_NET_ADMN' (did you mean "
			 "'CAP_NET_ADMIN'?)");
	assert_line(msg, "t.yml:4:34: 'all' must be alone in 'capabilities', without other "
			 "capabilities");
	assert_line(msg, "t.yml:5:15: unknown capability 'sys_time' (did you mean "
			 "'CAP_SYS_TIME'?)");
	assert_line(msg, "t.yml:6:13: bind '/a' must be 'SOURCE:DESTINATION[:OPTIONS]'");
	assert_line(msg, "t.yml:6:17: bind ':/b' must be 'SOURCE:DESTINATION[:OPTIONS]'");
	assert_line(msg, "t.yml:6:24: bind '/a:/b:' must be 'SOURCE:DESTINATION[:OPTIONS]'");
	assert_line(msg, "t.yml:7:13: tmpfs '/a:b:c' must be 'DESTINATION[:OPTIONS]'");
	assert_line(msg, "t.yml:8:15: rlimit 'nofile,10' must be 'NAME,SOFT,HARD'");
	assert_line(msg, "t.yml:8:28: unknown rlimit 'NOFLE' (did you mean 'RLIMIT_NOFILE'?)");
	assert_line(msg, "t.yml:8:41: rlimit 'core,x,1': the limits must be numbers or "
			 "'unlimited'");
	assert_line(msg, "t.yml:8:53: rlimit 'as,5,4': the soft limit is above the hard limit");
	assert_line(msg, "t.yml:9:11: 'env[0]' must be 'NAME=VALUE'");
	assert_line(msg, "t.yml:10:10: 'cwd' must be an absolute path");
	assert_line(msg, "t.yml:11:10: 'net' must be 'host', 'new', 'none' or a namespace path "
			 "(did you mean 'host'?)");
	assert_line(msg, "t.yml:12:24: 'rootfsPropagation' must be shared, slave, private or "
			 "unbindable (or rshared, rslave, rprivate, runbindable) (did you mean "
			 "'shared'?)");
	assert_line(msg, "t.yml:13:18: 'oomScoreAdj' is out of range: 1001 is not in [-1000, "
			 "1000]");
	assert_line(msg, "t.yml:14:36: 'type' must be 'c', 'b', 'u' or 'p'");
	assert_line(msg, "t.yml:14:45: 'mode' must be an octal string such as \"0644\"");
	assert_line(msg, "t.yml:15:47: 'type' must be 'a', 'c' or 'b'");
	assert_line(msg, "t.yml:15:58: 'access' must be made of the letters r, w and m");
	assert_line(msg, "t.yml:16:14: mount has no 'type' (only a source of mqueue, devpts, "
			 "proc, sysfs or cgroup implies it)");
	assert_line(msg, "t.yml:16:45: mount of type 'tmpfs' has no 'destination'");
	assert_int_equal(count_lines(msg), 24);
}

static void test_required(void **state)
{
	_cleanup_free_ char *msg = load_fail("onboot:\n"
					     "  - image: a\n"
					     "onshutdown:\n"
					     "  - name: b\n"
					     "services:\n"
					     "  - {}\n"
					     "volumes:\n"
					     "  - image: x\n"
					     "files:\n"
					     "  - contents: x\n"
					     "  - path: \"\"\n"
					     "    contents: y\n");

	assert_line(msg, "t.yml:2:5: missing 'name' in an entry of 'onboot'");
	assert_line(msg, "t.yml:4:5: missing 'image' in onshutdown entry 'b'");
	assert_line(msg, "t.yml:6:5: missing 'name' in an entry of 'services'");
	assert_line(msg, "t.yml:6:5: missing 'image' in an entry of 'services'");
	assert_line(msg, "t.yml:8:5: missing 'name' in a volume");
	assert_line(msg, "t.yml:10:5: missing 'path' in a file entry");
	assert_line(msg, "t.yml:11:11: 'path' must name a file below /");
	assert_int_equal(count_lines(msg), 7);
}

static void test_files(void **state)
{
	_cleanup_free_ char *msg = load_fail("files:\n"
					     "  - path: a\n"
					     "    contents: x\n"
					     "    source: /y\n"
					     "  - path: b\n"
					     "    metadata: yaml\n"
					     "    contents: x\n"
					     "  - path: c\n"
					     "    source: /y\n"
					     "    metadata: json\n"
					     "  - path: d\n"
					     "    directory: true\n"
					     "    contents: x\n"
					     "  - path: e\n"
					     "    symlink: /x\n"
					     "    directory: true\n"
					     "  - path: f\n"
					     "    mode: \"0644\"\n"
					     "  - path: g\n"
					     "    contents: x\n"
					     "    mode: 0644\n"
					     "  - path: h\n"
					     "    directory: true\n"
					     "    mode: \"rwx\"\n"
					     "  - path: i\n"
					     "    contents: x\n"
					     "    mode: \"17777\"\n"
					     "  - path: x/../../etc/j\n"
					     "    metadata: toml\n"
					     "  - path: k\n"
					     "    symlink: /l\n"
					     "    source: /m\n");

	assert_line(msg, "t.yml:4:13: file 'a': 'contents' and 'source' exclude each other");
	assert_line(msg, "t.yml:7:15: file 'b': 'contents' and 'metadata' exclude each other");
	assert_line(msg, "t.yml:10:15: file 'c': 'source' and 'metadata' exclude each other");
	assert_line(msg, "t.yml:13:15: file 'd': 'directory' and 'contents' exclude each other");
	assert_line(msg, "t.yml:16:16: file 'e': 'directory' and 'symlink' exclude each other");
	assert_line(msg, "t.yml:17:5: file 'f' has nothing to write: give 'contents', 'source', "
			 "'metadata', 'symlink' or 'directory: true'");
	assert_line(msg, "t.yml:21:11: 'mode' must be a string, not the integer 0644 "
			 "(quote it to make it a string)");
	assert_line(msg, "t.yml:24:11: 'mode' must be an octal string such as \"0644\"");
	assert_line(msg, "t.yml:27:11: 'mode' must be an octal string such as \"0644\"");
	assert_line(msg, "t.yml:28:11: 'path' must stay inside the image: no '..'");
	assert_line(msg, "t.yml:29:15: 'metadata' must be 'yaml' or 'json'");
	assert_line(msg, "t.yml:32:13: file 'k': 'symlink' and 'source' exclude each other");
	assert_int_equal(count_lines(msg), 12);

	/* directory: false is no directory */
	struct spec spec = SPEC_INIT;
	load_ok(&spec, "files:\n  - {path: a, directory: false, contents: x, mode: \"7777\"}\n");
	spec_release(&spec);
}

static void test_duplicates(void **state)
{
	_cleanup_free_ char *msg = load_fail("onboot:\n"
					     "  - {name: a, image: x}\n"
					     "  - {name: a, image: x}\n"
					     "services:\n"
					     "  - {name: s, image: x}\n"
					     "  - name: s\n"
					     "    image: y\n"
					     "    image: z\n"
					     "volumes:\n"
					     "  - name: v\n"
					     "  - name: v\n");

	/* onboot names may repeat (LinuxKit numbers them), services may not */
	assert_line(msg, "t.yml:8:5: duplicate key 'image' (first at line 7, column 5)");
	assert_line(msg, "t.yml:6:11: duplicate service name 's' (first at t.yml:5:12)");
	assert_line(msg, "t.yml:11:11: duplicate volume name 'v' (first at t.yml:10:11)");
	assert_int_equal(count_lines(msg), 3);
}

static void test_volume_refs(void **state)
{
	_cleanup_free_ char *msg =
		load_fail("services:\n"
			  "  - name: a\n"
			  "    image: x\n"
			  "    binds: [\"cach:/c\", \"ro:/r\", \"ro:/r2:ro\", \"/h:/h\"]\n"
			  "    mounts: [{type: bind, source: gone, destination: /g}]\n"
			  "volumes:\n"
			  "  - name: cache\n"
			  "  - {name: ro, readonly: true}\n");

	assert_line(msg, "t.yml:4:13: bind source 'cach' is neither an absolute path nor a volume "
			 "(did you mean 'cache'?)");
	assert_line(msg, "t.yml:4:24: volume 'ro' is read-only: mount it with the option 'ro'");
	assert_line(msg, "t.yml:5:35: bind source 'gone' is neither an absolute path nor a "
			 "volume");
	assert_int_equal(count_lines(msg), 3);
}

static void test_malformed(void **state)
{
	_cleanup_free_ char *msg = load_fail("files:\n"
					     "  - path: a\n"
					     "    contents: |\n"
					     "      one\n"
					     "#     a comment at column 0\n"
					     "      two\n");

	assert_string_equal(msg, "t.yml:6:7: did not find expected key (while parsing a block "
				 "mapping at line 2, column 5)");
	free(msg);
	msg = load_fail("a: [1, 2\n");
	assert_string_equal(msg, "t.yml:2:1: did not find expected ',' or ']' (while parsing a "
				 "flow sequence at line 1, column 4)");
	free(msg);
	msg = load_fail("kernel: {}\n---\nkernel: {}\n");
	assert_string_equal(msg, "t.yml:2:1: a spec file holds one YAML document, this is the "
				 "second");
	free(msg);
	msg = load_fail("init: [*nope]\n");
	assert_string_equal(msg, "t.yml:1:8: undefined alias '*nope'");
	free(msg);
	msg = load_fail("init: &a [*a]\n");
	assert_string_equal(msg, "t.yml:1:11: alias '*a' refers to a node that contains it");
	free(msg);
	msg = load_fail("init: [\"\xff\"]\n");
	assert_non_null(strstr(msg, "t.yml:1:9: invalid"));
	free(msg);
	msg = load_fail("- a\n");
	assert_string_equal(msg, "t.yml:1:1: 'the document' must be a mapping, not a list");
	free(msg);
	msg = load_fail("init: [\"a\\0b\"]\n? [x]\n: y\n1: z\n");
	assert_line(msg, "t.yml:1:8: 'init[0]' must not contain a NUL character");
	assert_line(msg, "t.yml:2:3: keys must be strings, not a list");
	assert_line(msg, "t.yml:4:1: keys must be strings, not the integer 1");
}

static void test_aliases_and_merge_keys(void **state)
{
	struct spec spec = SPEC_INIT;
	json_t *r = load_ok(&spec, "onboot:\n"
				   "  - &base\n"
				   "    name: a\n"
				   "    image: x\n"
				   "    net: host\n"
				   "    binds: &binds [\"/a:/a\"]\n"
				   "services:\n"
				   "  - <<: *base\n"
				   "    name: b\n"
				   "    binds: *binds\n"
				   "  - <<: [{name: c, image: y}, *base]\n");

	assert_string_equal(str_at(r, "services/0/name"), "b");
	assert_string_equal(str_at(r, "services/0/image"), "x");
	assert_string_equal(str_at(r, "services/0/net"), "host");
	assert_string_equal(str_at(r, "services/0/binds/0"), "/a:/a");
	assert_string_equal(str_at(r, "services/1/name"), "c");
	assert_string_equal(str_at(r, "services/1/image"), "y");
	assert_string_equal(str_at(r, "services/1/net"), "host");
	spec_release(&spec);

	/* a billion laughs through merge keys is cut short */
	_cleanup_free_ char *msg = load_fail(
		"services:\n"
		"  - {name: a, image: x, annotations: &a {k: v}}\n"
		"  - {name: b, image: x, annotations: &b {<<: [*a, *a, *a, *a, *a, *a, *a, *a]}}\n"
		"  - {name: c, image: x, annotations: &c {<<: [*b, *b, *b, *b, *b, *b, *b, *b]}}\n"
		"  - {name: d, image: x, annotations: &d {<<: [*c, *c, *c, *c, *c, *c, *c, *c]}}\n"
		"  - {name: e, image: x, annotations: &e {<<: [*d, *d, *d, *d, *d, *d, *d, *d]}}\n"
		"  - {name: f, image: x, annotations: &f {<<: [*e, *e, *e, *e, *e, *e, *e, *e]}}\n"
		"  - {name: g, image: x, annotations: &g {<<: [*f, *f, *f, *f, *f, *f, *f, *f]}}\n"
		"  - {name: h, image: x, annotations: &h {<<: [*g, *g, *g, *g, *g, *g, *g, *g]}}\n");
	assert_non_null(strstr(msg, "the document expands to too many nodes"));
	assert_int_equal(count_lines(msg), 1);
}

static void test_all_errors_and_cap(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "services:\n");
	for (int i = 0; i < 150; i++)
		strbuf_addf(&sb, "  - {name: s%d, image: x, readonly: maybe}\n", i);
	_cleanup_free_ char *msg = load_fail(sb.buf);
	strbuf_release(&sb);
	assert_int_equal(count_lines(msg), SPEC_MAX_ERRORS + 1);
	assert_line(msg, "t.yml:2:36: 'readonly' must be a boolean (true or false), not the "
			 "string 'maybe'");
	assert_line(msg, "too many errors, only the first 100 are shown");
}

static void test_merge(void **state)
{
	struct spec spec = SPEC_INIT;
	struct uk_err err = { 0 };

	write_file("a.yml", "kernel:\n"
			    "  image: k1\n"
			    "  cmdline: one\n"
			    "  binary: bzImage\n"
			    "  ucode: u.cpio\n"
			    "init: [i1]\n"
			    "onboot: [{name: o, image: x}]\n"
			    "services: [{name: s1, image: x}]\n"
			    "files: [{path: f1, contents: x}]\n"
			    "trust: {org: [a]}\n");
	write_file("b.yml", "kernel:\n"
			    "  image: k2\n"
			    "  cmdline: \"\"\n"
			    "  tar: none\n"
			    "  ucode: \"\"\n"
			    "init: [i2]\n"
			    "onboot: [{name: o, image: y}]\n"
			    "services: [{name: s2, image: y}]\n"
			    "volumes: [{name: v}]\n"
			    "trust: {org: [b], image: [c]}\n");
	const char *paths[] = { "a.yml", "b.yml" };
	assert_int_equal(spec_load(&spec, paths, 2, &err), 0);
	json_t *r = spec.root;
	/* later non-empty fields win; tar and ucode win when given at all */
	assert_string_equal(str_at(r, "kernel/image"), "k2");
	assert_string_equal(str_at(r, "kernel/cmdline"), "one");
	assert_string_equal(str_at(r, "kernel/binary"), "bzImage");
	assert_string_equal(str_at(r, "kernel/tar"), "none");
	assert_string_equal(str_at(r, "kernel/ucode"), "");
	assert_string_equal(str_at(r, "init/1"), "i2");
	assert_int_equal(json_array_size(at(r, "onboot")), 2);
	assert_string_equal(str_at(r, "services/1/name"), "s2");
	assert_int_equal(json_array_size(at(r, "files")), 1);
	assert_int_equal(json_array_size(at(r, "volumes")), 1);
	assert_string_equal(str_at(r, "trust/org/1"), "b");
	assert_string_equal(str_at(r, "trust/image/0"), "c");
	/* positions point into the right file */
	assert_string_equal(spec_where(&spec, at(r, "kernel/image")), "b.yml:2:10");
	assert_string_equal(spec_where_member(&spec, at(r, "kernel"), "cmdline"), "a.yml:3:12");
	assert_string_equal(spec_where(&spec, at(r, "services/0")), "a.yml:8:12");
	assert_string_equal(spec_where(&spec, at(r, "services/1/name")), "b.yml:8:19");
	assert_string_equal(spec_where_member(&spec, at(r, "kernel"), "binary"), "a.yml:4:11");
	spec_release(&spec);

	/* service names are unique across files; errors of every file are listed */
	write_file("c.yml", "services: [{name: s1, image: z}]\nonboot: [{name: bad, image: 1}]\n");
	const char *paths2[] = { "a.yml", "c.yml" };
	assert_int_equal(spec_load(&spec, paths2, 2, &err), -1);
	assert_line(err.msg, "c.yml:2:29: 'image' must be a string, not the integer 1 (quote it "
			     "to make it a string)");
	assert_line(err.msg, "c.yml:1:19: duplicate service name 's1' (first at a.yml:8:19)");
	assert_int_equal(count_lines(err.msg), 2);
	uk_err_release(&err);

	/* a missing file is an error among the others */
	const char *paths3[] = { "c.yml", "missing.yml" };
	assert_int_equal(spec_load(&spec, paths3, 2, &err), -1);
	assert_line(err.msg, "open 'missing.yml': No such file or directory");
	assert_int_equal(count_lines(err.msg), 2);
	uk_err_release(&err);
	assert_int_equal(spec_load(&spec, NULL, 0, &err), -1);
	uk_err_release(&err);
}

static void test_positions(void **state)
{
	struct spec spec = SPEC_INIT;
	json_t *r = load_ok(&spec, "kernel:\n"
				   "  image: k\n"
				   "services:\n"
				   "  - name: web\n"
				   "    image: nginx\n"
				   "    readonly: true\n"
				   "    uid: 10\n"
				   "    command:\n"
				   "      - a\n"
				   "      - b\n");
	json_t *web = at(r, "services/0");

	assert_string_equal(spec_where(&spec, at(web, "image")), "t.yml:5:12");
	assert_string_equal(spec_where(&spec, web), "t.yml:4:5");
	assert_string_equal(spec_where(&spec, at(web, "uid")), "t.yml:7:10");
	assert_string_equal(spec_where(&spec, at(web, "command")), "t.yml:9:7");
	assert_string_equal(spec_where(&spec, at(web, "command/1")), "t.yml:10:9");
	assert_string_equal(spec_where_member(&spec, web, "readonly"), "t.yml:6:15");
	assert_string_equal(spec_where_member(&spec, r, "services"), "t.yml:4:3");
	/* a boolean singleton has no position of its own; a made-up node none at all */
	assert_null(spec_where(&spec, at(web, "readonly")));
	json_t *other = json_string("x");
	assert_null(spec_where(&spec, other));
	json_decref(other);
	spec_release(&spec);
}

static char *write_to_string(const struct spec *spec)
{
	struct uk_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(spec_write_yaml(spec, f, &err), 0);
	fclose(f);
	return buf;
}

static void round_trip(const char *text)
{
	struct spec a = SPEC_INIT, b = SPEC_INIT;

	load_ok(&a, text);
	_cleanup_free_ char *yaml = write_to_string(&a);
	load_ok(&b, yaml);
	if (!json_equal(a.root, b.root)) {
		_cleanup_free_ char *ja = json_dumps(a.root, JSON_SORT_KEYS);
		_cleanup_free_ char *jb = json_dumps(b.root, JSON_SORT_KEYS);
		fail_msg("round trip differs:\n%s\n%s\nyaml:\n%s", ja, jb, yaml);
	}
	/* and the output is a fixed point */
	_cleanup_free_ char *again = write_to_string(&b);
	assert_string_equal(yaml, again);
	spec_release(&a);
	spec_release(&b);
}

static void test_round_trip(void **state)
{
	round_trip(everything);
	round_trip("");
	round_trip(
		"files:\n"
		"  - {path: a, contents: \"true\"}\n"
		"  - {path: b, contents: \"0644\", mode: \"0644\"}\n"
		"  - {path: c, contents: \"\"}\n"
		"  - {path: d, contents: \"~\"}\n"
		"  - {path: e, contents: \"yes\"}\n"
		"  - {path: f, contents: \"  leading\\n\\ttab\\ntrailing  \\n\\n\"}\n"
		"  - {path: g, contents: \"no newline\\nat end\"}\n"
		"  - {path: h, contents: \"caf\xc3\xa9 \xe2\x9c\x93\\u0007\"}\n"
		"  - {path: i, contents: \"- a\\n: b\\n# c\"}\n"
		"  - {path: j, contents: \"1:20\"}\n"
		"  - {path: k, contents: \"<<\"}\n"
		"  - {path: l, contents: \"1e3\"}\n"
		"  - {path: m, contents: \"'quoted' \\\"both\\\"\"}\n"
		"services:\n"
		"  - name: s\n"
		"    image: i\n"
		"    sysctl: {\"on\": \"off\", \"null\": \"\", \"123\": \"-1\"}\n"
		"    command: [\"-\", \"*\", \"&x\", \"!t\", \"%p\", \"@\", \"`\", \"a: b\", \"a #b\"]\n");
}

static void test_write_yaml(void **state)
{
	struct spec spec = SPEC_INIT;

	load_ok(&spec, "files: [{path: b, mode: \"0644\", contents: \"on\"}]\n"
		       "services: [{image: i, name: s, uid: 0, readonly: false}]\n"
		       "kernel: {cmdline: c, image: k}\n");
	_cleanup_free_ char *yaml = write_to_string(&spec);
	/* LinuxKit's key order, whatever the input's; strings that read as other types quoted */
	assert_string_equal(yaml, "kernel:\n"
				  "  image: k\n"
				  "  cmdline: c\n"
				  "  binary: kernel\n"
				  "  tar: kernel.tar\n"
				  "services:\n"
				  "- name: s\n"
				  "  image: i\n"
				  "  readonly: false\n"
				  "  uid: 0\n"
				  "files:\n"
				  "- path: b\n"
				  "  contents: \"on\"\n"
				  "  mode: \"0644\"\n");
	spec_release(&spec);
	load_ok(&spec, "");
	_cleanup_free_ char *empty = write_to_string(&spec);
	assert_string_equal(empty, "{}\n");
	spec_release(&spec);
}

static void test_stdin(void **state)
{
	struct spec spec = SPEC_INIT;
	struct uk_err err = { 0 };
	int saved = dup(STDIN_FILENO);

	write_file("in.yml", "services: [{name: from-stdin, image: x}]\n");
	int fd = open("in.yml", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	const char *paths[] = { "-" };
	int r = spec_load(&spec, paths, 1, &err);
	const char *twice[] = { "-", "-" };
	struct uk_err err2 = { 0 };
	int r2 = spec_load(&(struct spec)SPEC_INIT, twice, 2, &err2);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	assert_int_equal(r, 0);
	assert_string_equal(str_at(spec.root, "services/0/name"), "from-stdin");
	assert_string_equal(spec_where(&spec, at(spec.root, "services/0/image")), "<stdin>:1:38");
	spec_release(&spec);
	assert_int_equal(r2, -1);
	assert_line(err2.msg, "'-' (standard input) can be given only once");
	uk_err_release(&err2);
}

static void test_label(void **state)
{
	struct uk_err err = { 0 };
	json_t *obj = NULL;
	const char ok[] = "{\"capabilities\":[\"CAP_SYS_ADMIN\"],\"binds\":[\"/a:/b\"],"
			  "\"readonly\":true,\"uid\":5,\"resources\":{\"blockIO\":{\"weight\":5}}}";
	assert_int_equal(spec_parse_label(ok, strlen(ok), "label", &obj, &err), 0);
	assert_string_equal(str_at(obj, "capabilities/0"), "CAP_SYS_ADMIN");
	assert_true(json_is_true(at(obj, "readonly")));
	assert_int_equal(int_at(obj, "uid"), 5);
	assert_int_equal(int_at(obj, "resources/blockIO/weight"), 5);
	json_decref(obj);
	const char bad[] = "{\"name\": \"x\", \"capabilites\": [], \"net\": 1}";
	assert_int_equal(spec_parse_label(bad, strlen(bad), "label of 'x'", &obj, &err), -1);
	assert_line(err.msg, "label of 'x':1:2: unknown key 'name' in the org.mobyproject.config "
			     "label");
	assert_line(err.msg, "label of 'x':1:15: unknown key 'capabilites' in the "
			     "org.mobyproject.config label (did you mean 'capabilities'?)");
	assert_line(err.msg, "label of 'x':1:41: 'net' must be a string, not the integer 1 "
			     "(quote it to make it a string)");
	uk_err_release(&err);
	assert_int_equal(spec_parse_label(" \n", 2, "l", &obj, &err), 0);
	assert_int_equal(json_object_size(obj), 0);
	json_decref(obj);
	assert_int_equal(spec_parse_label("[]", 2, "l", &obj, &err), -1);
	assert_string_equal(err.msg, "l:1:1: the label must hold a mapping");
	uk_err_release(&err);
}

static void test_suggest(void **state)
{
	const char *const words[] = { "onboot", "onshutdown", "services", "kernel" };

	assert_int_equal(spec_distance("onbot", "onboot"), 1);
	assert_int_equal(spec_distance("onbaot", "onboot"), 1); /* a swap is one edit */
	assert_int_equal(spec_distance("ReadOnly", "readonly"), 0);
	assert_int_equal(spec_distance("", "abc"), 3);
	assert_string_equal(spec_suggest("servics", words, 4), "services");
	assert_string_equal(spec_suggest("kernl", words, 4), "kernel");
	assert_null(spec_suggest("xyz", words, 4));
	assert_null(spec_suggest("files", words, 4));
	size_t n;
	const char *const *caps = spec_capabilities(&n);
	assert_int_equal(n, 41);
	assert_string_equal(caps[0], "CAP_CHOWN");
	assert_string_equal(caps[n - 1], "CAP_CHECKPOINT_RESTORE");
}

static void test_scalars(void **state)
{
	bool b = false;
	int64_t i = 0;
	bool range = false;

	assert_int_equal(yscalar_resolve_plain("", 0, &b, &i, &range), YS_NULL);
	assert_int_equal(yscalar_resolve_plain("~", 1, &b, &i, &range), YS_NULL);
	assert_int_equal(yscalar_resolve_plain("True", 4, &b, &i, &range), YS_BOOL);
	assert_true(b);
	assert_int_equal(yscalar_resolve_plain("yes", 3, &b, &i, &range), YS_STR);
	assert_int_equal(yscalar_resolve_plain("-42", 3, &b, &i, &range), YS_INT);
	assert_int_equal(i, -42);
	assert_int_equal(yscalar_resolve_plain("0o17", 4, &b, &i, &range), YS_INT);
	assert_int_equal(i, 15);
	assert_int_equal(yscalar_resolve_plain("0xff", 4, &b, &i, &range), YS_INT);
	assert_int_equal(i, 255);
	assert_int_equal(yscalar_resolve_plain("0644", 4, &b, &i, &range), YS_INT);
	assert_int_equal(i, 644);
	assert_int_equal(yscalar_resolve_plain("-9223372036854775808", 20, &b, &i, &range), YS_INT);
	assert_false(range);
	assert_true(i == INT64_MIN);
	assert_int_equal(yscalar_resolve_plain("9223372036854775808", 19, &b, &i, &range), YS_INT);
	assert_true(range);
	assert_int_equal(yscalar_resolve_plain("1.5e3", 5, &b, &i, &range), YS_FLOAT);
	assert_int_equal(yscalar_resolve_plain("-.inf", 5, &b, &i, &range), YS_FLOAT);
	assert_int_equal(yscalar_resolve_plain("1.2.3", 5, &b, &i, &range), YS_STR);
	assert_int_equal(yscalar_resolve_plain("0x", 2, &b, &i, &range), YS_STR);
	assert_int_equal(yscalar_resolve_plain("+", 1, &b, &i, &range), YS_STR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_empty_and_defaults),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_value_checks),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_volume_refs),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_aliases_and_merge_keys),
		cmocka_unit_test(test_all_errors_and_cap),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_write_yaml),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_scalars),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
