// SPDX-License-Identifier: Apache-2.0
/*
 * The schema: every key LinuxKit's YAML accepts, with its type, in LinuxKit's
 * order (the order `build -dry-run` prints). The names are LinuxKit's JSON
 * names, which are those of the org.mobyproject.config label; `resources`,
 * `mounts` and the id mappings are the OCI runtime spec's own structures.
 *
 * Beyond the types, the checks below refuse what LinuxKit would only refuse
 * late in a build (a bad bind, an unknown capability, an rlimit it cannot
 * parse, an impossible files entry) or not at all (a '..' in a file path).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/internal.h"
#include "spec/spec.h"

/* ---- capabilities ---------------------------------------------------------- */

static const char *const capabilities[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

const char *const *spec_capabilities(size_t *n)
{
	*n = ARRAY_SIZE(capabilities);
	return capabilities;
}

static const char *const rlimits[] = {
	"RLIMIT_CPU",	   "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
	"RLIMIT_CORE",	   "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK",  "RLIMIT_AS",	   "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, list[i]) == 0)
			return true;
	}
	return false;
}

/* "the string (did you mean 'x'?)" suffix, or "". */
static char *did_you_mean(const char *s, const char *const *cands, size_t n)
{
	const char *near = spec_suggest(s, cands, n);

	return near ? xasprintf(" (did you mean '%s'?)", near) : xstrdup("");
}

/*
 * The same for names that all start with prefix ("CAP_", "RLIMIT_"): the
 * prefix is left out of the comparison, so it makes no near miss.
 */
static char *did_you_mean_prefixed(const char *s, const char *prefix, const char *const *names,
				   size_t n)
{
	size_t plen = strlen(prefix);
	const char *shorts[64];

	BUG_ON(n > ARRAY_SIZE(shorts));
	for (size_t i = 0; i < n; i++)
		shorts[i] = names[i] + plen;
	if (!strncasecmp(s, prefix, plen))
		s += plen;
	const char *near = spec_suggest(s, shorts, n);
	return near ? xasprintf(" (did you mean '%s'?)", near - plen) : xstrdup("");
}

/* A scalar list item's text when it is a valid string (already checked), else NULL. */
static const char *item_text(const struct ynode *n)
{
	bool b;
	int64_t i;
	bool range;

	if (n->kind != YN_SCALAR || ynode_resolve(n, &b, &i, &range) != YS_STR ||
	    memchr(n->text, '\0', n->len))
		return NULL;
	return n->text;
}

static void check_caps(struct parse *p, const struct ynode *seq, const json_t *arr,
		       const char *name)
{
	for (size_t i = 0; i < seq->n; i++) {
		const char *s = item_text(seq->items[i]);

		if (!s || in_list(s, capabilities, ARRAY_SIZE(capabilities)))
			continue;
		if (!strcasecmp(s, "all") || !strcasecmp(s, "none")) {
			if (seq->n > 1)
				spec_parse_error(p, seq->items[i],
						 "'%s' must be alone in '%s', without other "
						 "capabilities",
						 seq->items[i]->text, name);
			continue;
		}
		_cleanup_free_ char *hint =
			did_you_mean_prefixed(s, "CAP_", capabilities, ARRAY_SIZE(capabilities));
		_cleanup_free_ char *shown = SHOW(s);
		spec_parse_error(p, seq->items[i], "unknown capability '%s'%s", shown, hint);
	}
}

/* ---- string checks ----------------------------------------------------------- */

static bool has_space(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return true;
	}
	return false;
}

static void check_ref(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	if (!*s)
		spec_parse_error(p, n, "'%s' must not be empty", name);
	else if (has_space(s))
		spec_parse_error(p, n, "'%s' is not an image reference: it contains whitespace",
				 name);
}

/* kernel.image may be empty: no kernel (and, merged, no change) */
static void check_ref_or_empty(struct parse *p, const struct ynode *n, const char *s,
			       const char *name)
{
	if (*s)
		check_ref(p, n, s, name);
}

static void check_entry_name(struct parse *p, const struct ynode *n, const char *s,
			     const char *name)
{
	/* the name becomes a directory: containers/services/NAME */
	if (!*s)
		spec_parse_error(p, n, "'%s' must not be empty", name);
	else if (strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..") || has_space(s))
		spec_parse_error(p, n,
				 "'%s' must be usable as a directory name (no '/', no "
				 "whitespace, not '.' or '..')",
				 name);
}

static void check_volume_name(struct parse *p, const struct ynode *n, const char *s,
			      const char *name)
{
	if (!*s || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s))
		spec_parse_error(p, n, "'%s' must be made of a-z, 0-9, '_' and '-'", name);
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void check_bind(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	size_t colons = count_char(s, ':');
	const char *a = strchr(s, ':');
	const char *b = a ? strchr(a + 1, ':') : NULL;

	if (colons < 1 || colons > 2 || a == s || a[1] == '\0' || a[1] == ':' ||
	    (b && b[1] == '\0')) {
		_cleanup_free_ char *shown = SHOW(s);
		spec_parse_error(p, n, "bind '%s' must be 'SOURCE:DESTINATION[:OPTIONS]'", shown);
	}
}

static void check_tmpfs(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	const char *a = strchr(s, ':');

	if (!*s || a == s || count_char(s, ':') > 1 || (a && a[1] == '\0')) {
		_cleanup_free_ char *shown = SHOW(s);
		spec_parse_error(p, n, "tmpfs '%s' must be 'DESTINATION[:OPTIONS]'", shown);
	}
}

static char *trim(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return xstrndup(s, len);
}

/* An rlimit value: a decimal number or "unlimited". */
static bool rlimit_value(const char *s, uint64_t *v)
{
	if (!strcasecmp(s, "unlimited")) {
		*v = UINT64_MAX;
		return true;
	}
	if (!*s)
		return false;
	*v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (uint64_t)(*s - '0'), v))
			return false;
	}
	return true;
}

static void check_rlimit(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	const char *c1 = strchr(s, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	_cleanup_free_ char *shown = SHOW(s);

	if (!c2) {
		spec_parse_error(p, n, "rlimit '%s' must be 'NAME,SOFT,HARD'", shown);
		return;
	}
	_cleanup_free_ char *res = trim(s, (size_t)(c1 - s));
	_cleanup_free_ char *soft = trim(c1 + 1, (size_t)(c2 - c1 - 1));
	_cleanup_free_ char *hard = trim(c2 + 1, strlen(c2 + 1));
	for (char *q = res; *q; q++)
		*q = (char)(*q >= 'a' && *q <= 'z' ? *q - 'a' + 'A' : *q);
	_cleanup_free_ char *full =
		str_has_prefix(res, "RLIMIT_") ? xstrdup(res) : xasprintf("RLIMIT_%s", res);
	if (!in_list(full, rlimits, ARRAY_SIZE(rlimits))) {
		_cleanup_free_ char *hint =
			did_you_mean_prefixed(res, "RLIMIT_", rlimits, ARRAY_SIZE(rlimits));
		_cleanup_free_ char *shown_res = SHOW(res);
		spec_parse_error(p, n, "unknown rlimit '%s'%s", shown_res, hint);
		return;
	}
	uint64_t sv, hv;
	if (!rlimit_value(soft, &sv) || !rlimit_value(hard, &hv))
		spec_parse_error(p, n, "rlimit '%s': the limits must be numbers or 'unlimited'",
				 shown);
	else if (sv > hv)
		spec_parse_error(p, n, "rlimit '%s': the soft limit is above the hard limit",
				 shown);
}

static void check_env(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s)
		spec_parse_error(p, n, "'%s' must be 'NAME=VALUE'", name);
}

static void check_absolute(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	if (s[0] != '/')
		spec_parse_error(p, n, "'%s' must be an absolute path", name);
}

static void check_namespace(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	static const char *const words[] = { "host", "root", "new", "none" };

	if (s[0] == '/' || in_list(s, words, ARRAY_SIZE(words)))
		return;
	_cleanup_free_ char *hint = did_you_mean(s, words, ARRAY_SIZE(words));
	spec_parse_error(p, n, "'%s' must be 'host', 'new', 'none' or a namespace path%s", name,
			 hint);
}

static void check_propagation(struct parse *p, const struct ynode *n, const char *s,
			      const char *name)
{
	static const char *const words[] = { "shared",	"slave",  "private",  "unbindable",
					     "rshared", "rslave", "rprivate", "runbindable" };

	if (in_list(s, words, ARRAY_SIZE(words)))
		return;
	_cleanup_free_ char *hint = did_you_mean(s, words, ARRAY_SIZE(words));
	spec_parse_error(p, n,
			 "'%s' must be shared, slave, private or unbindable (or rshared, "
			 "rslave, rprivate, runbindable)%s",
			 name, hint);
}

static void check_mode(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	size_t len = strlen(s);
	unsigned long v =
		len && len <= 5 && strspn(s, "01234567") == len ? strtoul(s, NULL, 8) : 07777 + 1;

	if (v > 07777)
		spec_parse_error(p, n, "'%s' must be an octal string such as \"0644\"", name);
}

static void check_choice(struct parse *p, const struct ynode *n, const char *s, const char *name,
			 const char *const *words, size_t nw)
{
	if (in_list(s, words, nw))
		return;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < nw; i++)
		strbuf_addf(&sb, "%s'%s'", i == 0 ? "" : i + 1 == nw ? " or " : ", ", words[i]);
	_cleanup_free_ char *hint = did_you_mean(s, words, nw);
	spec_parse_error(p, n, "'%s' must be %s%s", name, sb.buf, hint);
	strbuf_release(&sb);
}

static void check_metadata(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	static const char *const words[] = { "yaml", "json" };
	check_choice(p, n, s, name, words, ARRAY_SIZE(words));
}

static void check_format(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	static const char *const words[] = { "oci", "filesystem" };
	check_choice(p, n, s, name, words, ARRAY_SIZE(words));
}

static void check_device_type(struct parse *p, const struct ynode *n, const char *s,
			      const char *name)
{
	static const char *const words[] = { "c", "b", "u", "p" };
	check_choice(p, n, s, name, words, ARRAY_SIZE(words));
}

static void check_cgroup_type(struct parse *p, const struct ynode *n, const char *s,
			      const char *name)
{
	static const char *const words[] = { "a", "c", "b" };
	check_choice(p, n, s, name, words, ARRAY_SIZE(words));
}

static void check_access(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	if (!*s || strspn(s, "rwm") != strlen(s))
		spec_parse_error(p, n, "'%s' must be made of the letters r, w and m", name);
}

static void check_file_path(struct parse *p, const struct ynode *n, const char *s, const char *name)
{
	const char *c = s;

	while (*c == '/')
		c++;
	if (!*c) {
		spec_parse_error(p, n, "'%s' must name a file below /", name);
		return;
	}
	for (; *c; c = *c ? c + 1 : c) {
		const char *end = strchrnul(c, '/');

		if (end - c == 2 && c[0] == '.' && c[1] == '.') {
			spec_parse_error(p, n, "'%s' must stay inside the image: no '..'", name);
			return;
		}
		c = end;
	}
}

/* ---- whole-entry checks --------------------------------------------------------- */

static const struct ynode *later(const struct ynode *a, const struct ynode *b)
{
	if (a->line != b->line)
		return a->line > b->line ? a : b;
	return a->col > b->col ? a : b;
}

static void conflict(struct parse *p, const char *path, const struct ynode *a, const char *an,
		     const struct ynode *b, const char *bn)
{
	_cleanup_free_ char *shown = SHOW(path ? path : "?");
	spec_parse_error(p, later(a, b), "file '%s': '%s' and '%s' exclude each other", shown, an,
			 bn);
}

static void check_file(struct parse *p, const struct ynode *map, const struct ymap *m,
		       const json_t *obj)
{
	const char *path = json_string_value(json_object_get(obj, "path"));
	const struct ynode *dir = json_is_true(json_object_get(obj, "directory"))
					  ? spec_ymap_get(m, "directory")
					  : NULL;
	const struct ynode *contents = spec_ymap_get(m, "contents");
	const struct ynode *source = spec_ymap_get(m, "source");
	const struct ynode *metadata = spec_ymap_get(m, "metadata");
	const struct ynode *symlink = spec_ymap_get(m, "symlink");

	if (dir && contents)
		conflict(p, path, dir, "directory", contents, "contents");
	if (dir && symlink)
		conflict(p, path, dir, "directory", symlink, "symlink");
	if (dir && source)
		conflict(p, path, dir, "directory", source, "source");
	if (dir && metadata)
		conflict(p, path, dir, "directory", metadata, "metadata");
	if (symlink && contents)
		conflict(p, path, symlink, "symlink", contents, "contents");
	if (symlink && source)
		conflict(p, path, symlink, "symlink", source, "source");
	if (symlink && metadata)
		conflict(p, path, symlink, "symlink", metadata, "metadata");
	if (contents && source)
		conflict(p, path, contents, "contents", source, "source");
	if (contents && metadata)
		conflict(p, path, contents, "contents", metadata, "metadata");
	if (source && metadata)
		conflict(p, path, source, "source", metadata, "metadata");
	/* a 'directory' with the wrong type was reported already */
	bool bad_dir = spec_ymap_get(m, "directory") && !json_object_get(obj, "directory");
	if (!dir && !bad_dir && !contents && !source && !metadata && !symlink && path) {
		_cleanup_free_ char *shown = SHOW(path);
		spec_parse_error(p, map,
				 "file '%s' has nothing to write: give 'contents', 'source', "
				 "'metadata', 'symlink' or 'directory: true'",
				 shown);
	}
}

static const char *mount_default_destination(const char *type)
{
	static const char *const map[][2] = {
		{ "proc", "/proc" },	     { "devpts", "/dev/pts" },
		{ "sysfs", "/sys" },	     { "cgroup", "/sys/fs/cgroup" },
		{ "mqueue", "/dev/mqueue" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (strcmp(type, map[i][0]) == 0)
			return map[i][1];
	}
	return NULL;
}

/* LinuxKit's rules for what a mount may leave out. */
static void check_mount(struct parse *p, const struct ynode *map, const struct ymap *m,
			const json_t *obj)
{
	static const char *const implied[] = { "mqueue", "devpts", "proc", "sysfs", "cgroup" };
	const char *type = json_string_value(json_object_get(obj, "type"));
	const char *src = json_string_value(json_object_get(obj, "source"));
	const char *dst = json_string_value(json_object_get(obj, "destination"));

	/* a value with the wrong type was reported already */
	if ((!type && spec_ymap_get(m, "type")) || (!src && spec_ymap_get(m, "source")) ||
	    (!dst && spec_ymap_get(m, "destination")))
		return;
	if (!type || !*type) {
		if (src && in_list(src, implied, ARRAY_SIZE(implied)))
			type = src;
		else if (dst && !strcmp(dst, "/dev"))
			type = "tmpfs";
		else {
			spec_parse_error(p, map,
					 "mount has no 'type' (only a source of mqueue, devpts, "
					 "proc, sysfs or cgroup implies it)");
			return;
		}
	}
	if ((!dst || !*dst) && !mount_default_destination(type)) {
		_cleanup_free_ char *shown = SHOW(type);
		spec_parse_error(p, map, "mount of type '%s' has no 'destination'", shown);
	}
}

/* ---- the tables ------------------------------------------------------------------ */

#define STR(k)                               \
	{                                    \
		.key = (k), .type = T_STRING \
	}
#define STRC(k, c)                                         \
	{                                                  \
		.key = (k), .type = T_STRING, .check = (c) \
	}
#define BOOL(k)                            \
	{                                  \
		.key = (k), .type = T_BOOL \
	}
#define INT(k)                            \
	{                                 \
		.key = (k), .type = T_INT \
	}
#define INTR(k, lo, hi)                                             \
	{                                                           \
		.key = (k), .type = T_INT, .min = (lo), .max = (hi) \
	}
#define U32(k) INTR(k, 0, UINT32_MAX)
#define U64(k) INTR(k, 0, INT64_MAX)
#define U16(k) INTR(k, 0, UINT16_MAX)
#define STRS(k)                               \
	{                                     \
		.key = (k), .type = T_STRINGS \
	}
#define STRSC(k, c)                                         \
	{                                                   \
		.key = (k), .type = T_STRINGS, .check = (c) \
	}
#define OBJ(k, s)                                            \
	{                                                    \
		.key = (k), .type = T_OBJECT, .schema = &(s) \
	}
#define OBJS(k, s)                                            \
	{                                                     \
		.key = (k), .type = T_OBJECTS, .schema = &(s) \
	}
#define ALIAS(k, of)                         \
	{                                    \
		.key = (k), .alias_of = (of) \
	}
#define SCHEMA(name, what_, req, chk)           \
	const struct spec_schema name = {       \
		.what = (what_),                \
		.fields = name##_fields,        \
		.n = ARRAY_SIZE(name##_fields), \
		.required = (req),              \
		.check = (chk),                 \
	}

static const char *const req_name_image[] = { "name", "image", NULL };
static const char *const req_path[] = { "path", NULL };
static const char *const req_name[] = { "name", NULL };
static const char *const req_idmap[] = { "containerID", "hostID", "size", NULL };
static const char *const req_device[] = { "path", "type", NULL };
static const char *const req_allow[] = { "allow", NULL };
static const char *const req_limit[] = { "limit", NULL };
static const char *const req_major_minor[] = { "major", "minor", NULL };
static const char *const req_throttle[] = { "major", "minor", "rate", NULL };
static const char *const req_hugepage[] = { "pageSize", "limit", NULL };
static const char *const req_priority[] = { "name", "priority", NULL };

static const struct spec_field spec_schema_kernel_fields[] = {
	STRC("image", check_ref_or_empty), STR("cmdline"), STR("binary"), STR("tar"), STR("ucode"),
};
static SCHEMA(spec_schema_kernel, "'kernel'", NULL, NULL);

static const struct spec_field spec_schema_idmap_fields[] = {
	U32("containerID"),
	U32("hostID"),
	U32("size"),
};
static SCHEMA(spec_schema_idmap, "an id mapping", req_idmap, NULL);

static const struct spec_field spec_schema_mount_fields[] = {
	STR("destination"),
	STR("type"),
	STR("source"),
	STRS("options"),
	OBJS("uidMappings", spec_schema_idmap),
	OBJS("gidMappings", spec_schema_idmap),
	/* the spellings of LinuxKit's JSON schema */
	ALIAS("uidmappings", "uidMappings"),
	ALIAS("gidmappings", "gidMappings"),
};
static SCHEMA(spec_schema_mount, "a mount", NULL, check_mount);
static const struct spec_schema spec_schema_runtime_mount = {
	.what = "a runtime mount",
	.fields = spec_schema_mount_fields,
	.n = ARRAY_SIZE(spec_schema_mount_fields),
};

static const struct spec_field spec_schema_device_fields[] = {
	STR("path"),  STRC("type", check_device_type), INT("major"),
	INT("minor"), STRC("mode", check_mode),
};
static SCHEMA(spec_schema_device, "a device", req_device, NULL);

/* OCI LinuxResources (config-linux.md, "Control groups") */
static const struct spec_field spec_schema_devcg_fields[] = {
	BOOL("allow"), STRC("type", check_cgroup_type), INT("major"),
	INT("minor"),  STRC("access", check_access),
};
static SCHEMA(spec_schema_devcg, "a device cgroup rule", req_allow, NULL);

static const struct spec_field spec_schema_memory_fields[] = {
	INT("limit"),
	INT("reservation"),
	INT("swap"),
	INT("kernel"),
	INT("kernelTCP"),
	U64("swappiness"),
	BOOL("disableOOMKiller"),
	BOOL("useHierarchy"),
	BOOL("checkBeforeUpdate"),
};
static SCHEMA(spec_schema_memory, "'memory'", NULL, NULL);

static const struct spec_field spec_schema_cpu_fields[] = {
	U64("shares"),	       INT("quota"), U64("burst"), U64("period"), INT("realtimeRuntime"),
	U64("realtimePeriod"), STR("cpus"),  STR("mems"),  INT("idle"),
};
static SCHEMA(spec_schema_cpu, "'cpu'", NULL, NULL);

static const struct spec_field spec_schema_pids_fields[] = {
	INT("limit"),
};
static SCHEMA(spec_schema_pids, "'pids'", req_limit, NULL);

static const struct spec_field spec_schema_weightdev_fields[] = {
	INT("major"),
	INT("minor"),
	U16("weight"),
	U16("leafWeight"),
};
static SCHEMA(spec_schema_weightdev, "a weight device", req_major_minor, NULL);

static const struct spec_field spec_schema_throttledev_fields[] = {
	INT("major"),
	INT("minor"),
	U64("rate"),
};
static SCHEMA(spec_schema_throttledev, "a throttle device", req_throttle, NULL);

static const struct spec_field spec_schema_blockio_fields[] = {
	U16("weight"),
	U16("leafWeight"),
	OBJS("weightDevice", spec_schema_weightdev),
	OBJS("throttleReadBpsDevice", spec_schema_throttledev),
	OBJS("throttleWriteBpsDevice", spec_schema_throttledev),
	OBJS("throttleReadIOPSDevice", spec_schema_throttledev),
	OBJS("throttleWriteIOPSDevice", spec_schema_throttledev),
};
static SCHEMA(spec_schema_blockio, "'blockIO'", NULL, NULL);

static const struct spec_field spec_schema_hugepage_fields[] = {
	STR("pageSize"),
	U64("limit"),
};
static SCHEMA(spec_schema_hugepage, "a hugepage limit", req_hugepage, NULL);

static const struct spec_field spec_schema_priority_fields[] = {
	STR("name"),
	U32("priority"),
};
static SCHEMA(spec_schema_priority, "an interface priority", req_priority, NULL);

static const struct spec_field spec_schema_network_fields[] = {
	U32("classID"),
	OBJS("priorities", spec_schema_priority),
};
static SCHEMA(spec_schema_network, "'network'", NULL, NULL);

static const struct spec_field spec_schema_rdma_fields[] = {
	U32("hcaHandles"),
	U32("hcaObjects"),
};
static SCHEMA(spec_schema_rdma, "an rdma limit", NULL, NULL);

static const struct spec_field spec_schema_resources_fields[] = {
	OBJS("devices", spec_schema_devcg),
	OBJ("memory", spec_schema_memory),
	OBJ("cpu", spec_schema_cpu),
	OBJ("pids", spec_schema_pids),
	OBJ("blockIO", spec_schema_blockio),
	OBJS("hugepageLimits", spec_schema_hugepage),
	OBJ("network", spec_schema_network),
	{ .key = "rdma", .type = T_OBJMAP, .schema = &spec_schema_rdma },
	{ .key = "unified", .type = T_STRMAP },
	/* LinuxKit's JSON schema spells it so */
	ALIAS("blockio", "blockIO"),
};
static SCHEMA(spec_schema_resources, "'resources'", NULL, NULL);

static const struct spec_field spec_schema_interface_fields[] = {
	STR("name"),
	STR("add"),
	STR("peer"),
	BOOL("createInRoot"),
};
static SCHEMA(spec_schema_interface, "an interface", NULL, NULL);

static const struct spec_field spec_schema_bindns_fields[] = {
	STR("cgroup"), STR("ipc"), STR("mnt"), STR("net"), STR("pid"), STR("user"), STR("uts"),
};
static SCHEMA(spec_schema_bindns, "'bindNS'", NULL, NULL);

static const struct spec_field spec_schema_runtime_fields[] = {
	STRS("cgroups"),
	OBJS("mounts", spec_schema_runtime_mount),
	STRS("mkdir"),
	OBJS("interfaces", spec_schema_interface),
	OBJ("bindNS", spec_schema_bindns),
	STR("namespace"),
};
static SCHEMA(spec_schema_runtime, "'runtime'", NULL, NULL);

/* name and image first: the label schema is the rest */
static const struct spec_field spec_schema_image_fields[] = {
	STRC("name", check_entry_name),
	STRC("image", check_ref),
	{ .key = "capabilities", .type = T_STRINGS, .list_check = check_caps },
	{ .key = "capabilities.add", .type = T_STRINGS, .list_check = check_caps },
	{ .key = "ambient", .type = T_STRINGS, .list_check = check_caps },
	OBJS("mounts", spec_schema_mount),
	STRSC("binds", check_bind),
	STRSC("binds.add", check_bind),
	OBJS("devices", spec_schema_device),
	STRSC("tmpfs", check_tmpfs),
	STRS("command"),
	STRSC("env", check_env),
	STRC("cwd", check_absolute),
	STRC("net", check_namespace),
	STRC("pid", check_namespace),
	STRC("ipc", check_namespace),
	STRC("uts", check_namespace),
	STRC("userns", check_namespace),
	STR("hostname"),
	BOOL("readonly"),
	STRS("maskedPaths"),
	STRS("readonlyPaths"),
	{ .key = "uid", .type = T_ID },
	{ .key = "gid", .type = T_ID },
	{ .key = "additionalGids", .type = T_IDS },
	BOOL("noNewPrivileges"),
	INTR("oomScoreAdj", -1000, 1000),
	STRC("rootfsPropagation", check_propagation),
	STR("cgroupsPath"),
	OBJ("resources", spec_schema_resources),
	{ .key = "sysctl", .type = T_STRMAP },
	STRSC("rlimits", check_rlimit),
	OBJS("uidMappings", spec_schema_idmap),
	OBJS("gidMappings", spec_schema_idmap),
	{ .key = "annotations", .type = T_STRMAP },
	OBJ("runtime", spec_schema_runtime),
};
const struct spec_schema spec_schema_image = {
	.what = NULL, /* "an 'onboot' entry", ... from the section */
	.fields = spec_schema_image_fields,
	.n = ARRAY_SIZE(spec_schema_image_fields),
	.required = req_name_image,
};
const struct spec_schema spec_schema_label = {
	.what = "the org.mobyproject.config label",
	.fields = spec_schema_image_fields + 2,
	.n = ARRAY_SIZE(spec_schema_image_fields) - 2,
};

static const struct spec_field spec_schema_file_fields[] = {
	STRC("path", check_file_path),
	BOOL("directory"),
	STR("symlink"),
	STR("contents"),
	STR("source"),
	STRC("metadata", check_metadata),
	BOOL("optional"),
	STRC("mode", check_mode),
	{ .key = "uid", .type = T_ID },
	{ .key = "gid", .type = T_ID },
};
static SCHEMA(spec_schema_file, "a file entry", req_path, check_file);

static const struct spec_field spec_schema_volume_fields[] = {
	STRC("name", check_volume_name), STRC("image", check_ref), BOOL("readonly"),
	STRC("format", check_format),	 STRS("platforms"),
};
static SCHEMA(spec_schema_volume, "a volume", req_name, NULL);

static const struct spec_field spec_schema_trust_fields[] = {
	STRS("image"),
	STRS("org"),
};
static SCHEMA(spec_schema_trust, "'trust'", NULL, NULL);

static const struct spec_field spec_schema_top_fields[] = {
	OBJ("kernel", spec_schema_kernel),   STRSC("init", check_ref),
	OBJS("onboot", spec_schema_image),   OBJS("onshutdown", spec_schema_image),
	OBJS("services", spec_schema_image), OBJS("files", spec_schema_file),
	OBJS("volumes", spec_schema_volume), OBJ("trust", spec_schema_trust),
};
SCHEMA(spec_schema_top, NULL, NULL, NULL);

const struct spec_field *spec_schema_find(const struct spec_schema *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->fields[i].key, key) == 0)
			return &s->fields[i];
	}
	return NULL;
}
