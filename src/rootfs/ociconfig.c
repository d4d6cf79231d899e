// SPDX-License-Identifier: Apache-2.0
/*
 * config.json and runtime.json for a container, as LinuxKit's ConfigToOCI
 * makes them (moby/config.go): the YAML entry beats the image's
 * org.mobyproject.config label, which beats the image config, which beats the
 * defaults. Two deliberate differences, documented in docs/build.md:
 * capabilities + capabilities.add and binds + binds.add are de-duplicated
 * (LinuxKit's mergeStrings never marks what it has seen), and a volume named
 * as the source of a `mounts` bind is rewritten (LinuxKit rewrites a copy).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rootfs/internal.h"
#include "util/strbuf.h"

#define OCI_VERSION "1.0.2-dev"
#define LABEL_KEY "org.mobyproject.config"

static const char *const rlimit_names[] = {
	"RLIMIT_CPU",	   "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
	"RLIMIT_CORE",	   "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK",  "RLIMIT_AS",	   "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

/* The fields of an image entry that a label may set too. */
static const char *const label_keys[] = {
	"capabilities",
	"capabilities.add",
	"ambient",
	"mounts",
	"binds",
	"binds.add",
	"devices",
	"tmpfs",
	"command",
	"env",
	"cwd",
	"net",
	"pid",
	"ipc",
	"uts",
	"userns",
	"hostname",
	"readonly",
	"maskedPaths",
	"readonlyPaths",
	"uid",
	"gid",
	"additionalGids",
	"noNewPrivileges",
	"oomScoreAdj",
	"rootfsPropagation",
	"cgroupsPath",
	"resources",
	"sysctl",
	"rlimits",
	"uidMappings",
	"gidMappings",
	"annotations",
	"runtime",
};

struct cfg {
	const struct rootfs_oci_in *in;
	const json_t *yaml;
	json_t *label; /* owned */
	const json_t *img;
	struct uk_err *err;
};

static bool contains(const json_t *tree, const json_t *node)
{
	const char *key;
	json_t *v;
	size_t i;

	if (tree == node)
		return true;
	if (json_is_object(tree)) {
		json_object_foreach((json_t *)tree, key, v)
		{
			if (contains(v, node))
				return true;
		}
	} else if (json_is_array(tree)) {
		json_array_foreach(tree, i, v)
		{
			if (contains(v, node))
				return true;
		}
	}
	return false;
}

/* An input error about node: "FILE:LINE:COL: ..." for the YAML, "label ...: ..." for the label. */
_printf_(3, 4) static int bad(const struct cfg *c, const json_t *node, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (c->label && node && contains(c->label, node))
		return uk_err_setc(c->err, UK_ERR_INPUT, "label %s: %s", LABEL_KEY, msg);
	const char *w = c->in->where && node ? c->in->where(c->in->where_ctx, node) : NULL;
	if (w)
		return uk_err_setc(c->err, UK_ERR_INPUT, "%s: %s", w, msg);
	return uk_err_setc(c->err, UK_ERR_INPUT, "%s", msg);
}

/* The YAML's value of key, else the label's (a JSON null counts as absent). */
static const json_t *pick(const struct cfg *c, const char *key)
{
	const json_t *v = json_object_get(c->yaml, key);

	if (v && !json_is_null(v))
		return v;
	v = c->label ? json_object_get(c->label, key) : NULL;
	return v && !json_is_null(v) ? v : NULL;
}

static int want_strings(const struct cfg *c, const json_t *v, const char *key)
{
	size_t i;
	json_t *s;

	if (!json_is_array(v))
		return bad(c, v, "'%s' must be a list of strings", key);
	json_array_foreach(v, i, s)
	{
		if (!json_is_string(s))
			return bad(c, s, "'%s' must be a list of strings", key);
	}
	return 0;
}

static int want_string(const struct cfg *c, const json_t *v, const char *key)
{
	if (v && !json_is_string(v))
		return bad(c, v, "'%s' must be a string", key);
	return 0;
}

/* pick() of a list of strings; *out is NULL when neither has it. */
static int pick_strings(const struct cfg *c, const char *key, const json_t **out)
{
	*out = pick(c, key);
	return *out ? want_strings(c, *out, key) : 0;
}

/* A string where empty means unset (LinuxKit's assignStringEmpty): YAML, then label. */
static int pick_nonempty(const struct cfg *c, const char *key, const char **out)
{
	const json_t *y = json_object_get(c->yaml, key);
	const json_t *l = c->label ? json_object_get(c->label, key) : NULL;

	*out = NULL;
	if (y && !json_is_null(y) && want_string(c, y, key) < 0)
		return -1;
	if (l && !json_is_null(l) && want_string(c, l, key) < 0)
		return -1;
	if (json_is_string(y) && *json_string_value(y))
		*out = json_string_value(y);
	else if (json_is_string(l) && *json_string_value(l))
		*out = json_string_value(l);
	return 0;
}

static int pick_bool(const struct cfg *c, const char *key, bool *out)
{
	const json_t *v = pick(c, key);

	*out = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return bad(c, v, "'%s' must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static bool has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* a, then what b adds, without repeats (new reference) */
static json_t *merge_unique(const json_t *a, const json_t *b)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;

	if (a) {
		json_array_foreach(a, i, v)
		{
			if (!has_string(out, json_string_value(v)))
				json_array_append(out, v);
		}
	}
	if (b) {
		json_array_foreach(b, i, v)
		{
			if (!has_string(out, json_string_value(v)))
				json_array_append(out, v);
		}
	}
	return out;
}

static json_t *split(const char *s, char sep)
{
	json_t *out = json_array();

	for (;;) {
		const char *e = strchr(s, sep);
		if (!e) {
			json_array_append_new(out, json_string(s));
			return out;
		}
		json_array_append_new(out, json_stringn(s, (size_t)(e - s)));
		s = e + 1;
	}
}

static json_t *mount_new(const char *dest, const char *type, const char *source, json_t *options)
{
	json_t *m = json_object();

	json_object_set_new(m, "destination", json_string(dest));
	if (type && *type)
		json_object_set_new(m, "type", json_string(type));
	if (source && *source)
		json_object_set_new(m, "source", json_string(source));
	if (options && json_array_size(options))
		json_object_set(m, "options", options);
	json_decref(options);
	return m;
}

/* ---- volumes as bind sources (LinuxKit's updateMountsAndBindsFromVolumes) ---- */

static const json_t *find_volume(const struct cfg *c, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(c->in->volumes, i, v)
	{
		const json_t *n = json_object_get(v, "name");
		if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
			return v;
	}
	return NULL;
}

static char *volume_merged(const char *name)
{
	return xasprintf("/containers/volumes/%s/merged", name);
}

/* YAML binds with volume names as sources rewritten to the volume (new reference). */
static int volume_binds(const struct cfg *c, const json_t *binds, json_t **out)
{
	json_t *res = json_array();
	size_t i;
	json_t *b;

	json_array_foreach(binds, i, b)
	{
		const char *s = json_string_value(b);
		if (*s == '/') {
			json_array_append(res, b);
			continue;
		}
		json_t *parts = split(s, ':');
		const char *name = json_string_value(json_array_get(parts, 0));
		const json_t *vol = find_volume(c, name);
		if (!vol) {
			bad(c, b, "volume '%s' not found", name);
			json_decref(parts);
			json_decref(res);
			return -1;
		}
		if (json_is_true(json_object_get(vol, "readonly")) &&
		    (json_array_size(parts) < 3 ||
		     strcmp(json_string_value(json_array_get(parts, 2)), "ro") != 0)) {
			bad(c, b, "volume '%s' is read-only, but the bind is read-write", name);
			json_decref(parts);
			json_decref(res);
			return -1;
		}
		_cleanup_free_ char *merged = volume_merged(name);
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, merged);
		for (size_t k = 1; k < json_array_size(parts); k++) {
			strbuf_addch(&sb, ':');
			strbuf_addstr(&sb, json_string_value(json_array_get(parts, k)));
		}
		json_array_append_new(res, json_string(sb.buf));
		strbuf_release(&sb);
		json_decref(parts);
	}
	*out = res;
	return 0;
}

/* ---- the pieces of config.json ---- */

static int tmpfs_mounts(const struct cfg *c, json_t *mounts)
{
	const json_t *list;
	size_t i;
	json_t *t;

	if (pick_strings(c, "tmpfs", &list) < 0)
		return -1;
	if (!list)
		return 0;
	json_array_foreach(list, i, t)
	{
		const char *s = json_string_value(t);
		const char *colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			return bad(c, t, "cannot parse tmpfs '%s': too many ':'", s);
		_cleanup_free_ char *dest = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
		json_t *opts = colon ? split(colon + 1, ',') : NULL;
		json_object_set_new(mounts, dest, mount_new(dest, "tmpfs", "tmpfs", opts));
	}
	return 0;
}

static int bind_mounts(const struct cfg *c, json_t *mounts)
{
	const json_t *ybinds = json_object_get(c->yaml, "binds");
	const json_t *yadd = json_object_get(c->yaml, "binds.add");
	const json_t *lbinds = c->label ? json_object_get(c->label, "binds") : NULL;
	json_t *list = NULL, *t;
	size_t i;
	int rc = -1;

	if ((ybinds && want_strings(c, ybinds, "binds") < 0) ||
	    (yadd && want_strings(c, yadd, "binds.add") < 0) ||
	    (lbinds && want_strings(c, lbinds, "binds") < 0))
		return -1;
	if (ybinds) {
		if (volume_binds(c, ybinds, &list) < 0)
			return -1;
	} else {
		json_t *add = NULL;
		if (yadd && volume_binds(c, yadd, &add) < 0)
			return -1;
		list = merge_unique(lbinds, add);
		json_decref(add);
	}
	json_array_foreach(list, i, t)
	{
		json_t *parts = split(json_string_value(t), ':');
		size_t n = json_array_size(parts);
		if (n < 2 || n > 3) {
			json_decref(parts);
			bad(c, t, "cannot parse bind '%s': %s", json_string_value(t),
			    n < 2 ? "missing ':'" : "too many ':'");
			goto out;
		}
		const char *src = json_string_value(json_array_get(parts, 0));
		const char *dest = json_string_value(json_array_get(parts, 1));
		json_t *opts;
		if (n == 3) {
			opts = split(json_string_value(json_array_get(parts, 2)), ',');
			json_array_append_new(opts, json_string("rbind"));
		} else {
			opts = json_pack("[sss]", "rw", "rbind", "rshared");
		}
		json_object_set_new(mounts, dest, mount_new(dest, "bind", src, opts));
		json_decref(parts);
	}
	rc = 0;
out:
	json_decref(list);
	return rc;
}

static const char *default_mountpoint(const char *type)
{
	static const char *const map[][2] = {
		{ "proc", "/proc" },	     { "devpts", "/dev/pts" },
		{ "sysfs", "/sys" },	     { "cgroup", "/sys/fs/cgroup" },
		{ "mqueue", "/dev/mqueue" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (strcmp(map[i][0], type) == 0)
			return map[i][1];
	}
	return "";
}

/* One `mounts` entry, checked; *opts_out is a new reference (or NULL). */
static int mount_fields(const struct cfg *c, const json_t *m, const char **type, const char **src,
			const char **dest, json_t **opts_out)
{
	const json_t *t = json_object_get(m, "type"), *s = json_object_get(m, "source"),
		     *d = json_object_get(m, "destination"), *o = json_object_get(m, "options");

	if (!json_is_object(m))
		return bad(c, m, "a mount must be a map");
	if (want_string(c, t, "type") < 0 || want_string(c, s, "source") < 0 ||
	    want_string(c, d, "destination") < 0 || (o && want_strings(c, o, "options") < 0))
		return -1;
	*type = t ? json_string_value(t) : "";
	*src = s ? json_string_value(s) : "";
	*dest = d ? json_string_value(d) : "";
	*opts_out = o ? json_copy((json_t *)o) : NULL;
	return 0;
}

static int full_mounts(const struct cfg *c, json_t *mounts)
{
	const json_t *list = pick(c, "mounts");
	bool from_yaml = list && list == json_object_get(c->yaml, "mounts");
	size_t i;
	json_t *m;

	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad(c, list, "'mounts' must be a list");
	json_array_foreach(list, i, m)
	{
		const char *tp, *src, *dest;
		json_t *opts;
		_cleanup_free_ char *merged = NULL;
		if (mount_fields(c, m, &tp, &src, &dest, &opts) < 0)
			return -1;
		if (from_yaml && strcmp(tp, "bind") == 0 && *src && *src != '/') {
			const json_t *vol = find_volume(c, src);
			if (!vol) {
				json_decref(opts);
				return bad(c, m, "volume '%s' not found", src);
			}
			if (json_is_true(json_object_get(vol, "readonly"))) {
				bool ro = false;
				size_t k;
				json_t *o;
				json_array_foreach(opts, k, o)
				{
					const char *os = json_string_value(o);
					if (strcmp(os, "rw") == 0 || strcmp(os, "ro") == 0) {
						ro = strcmp(os, "ro") == 0;
						break;
					}
				}
				if (!ro) {
					json_decref(opts);
					return bad(
						c, m,
						"volume '%s' is read-only, but the mount is read-write",
						src);
				}
			}
			src = merged = volume_merged(src);
		}
		if (!*tp) {
			static const char *const implied[] = { "mqueue", "devpts", "proc", "sysfs",
							       "cgroup" };
			for (size_t k = 0; k < ARRAY_SIZE(implied); k++) {
				if (strcmp(src, implied[k]) == 0)
					tp = implied[k];
			}
		}
		if (!*tp && strcmp(dest, "/dev") == 0)
			tp = "tmpfs";
		if (!*tp) {
			json_decref(opts);
			return bad(c, m, "mount for destination '%s' is missing a type", dest);
		}
		if (!*src)
			src = tp;
		if (!*dest)
			dest = default_mountpoint(tp);
		if (!*dest) {
			json_decref(opts);
			return bad(c, m, "mount of type '%s' is missing a destination", tp);
		}
		json_object_set_new(mounts, dest, mount_new(dest, tp, src, opts));
	}
	return 0;
}

static int mount_list(const struct cfg *c, bool readonly, json_t **out)
{
	json_t *mounts = json_object();
	const char *key;
	json_t *v;

	json_object_set_new(
		mounts, "/proc",
		mount_new("/proc", "proc", "proc",
			  json_pack("[ssss]", "nosuid", "nodev", "noexec", "relatime")));
	json_t *dev = json_pack("[ssss]", "nosuid", "strictatime", "mode=755", "size=65536k");
	json_t *sys = json_pack("[sss]", "nosuid", "noexec", "nodev");
	if (readonly) {
		json_array_append_new(dev, json_string("ro"));
		json_array_append_new(sys, json_string("ro"));
	}
	json_object_set_new(mounts, "/dev", mount_new("/dev", "tmpfs", "tmpfs", dev));
	json_object_set_new(mounts, "/dev/pts",
			    mount_new("/dev/pts", "devpts", "devpts",
				      json_pack("[sssss]", "nosuid", "noexec", "newinstance",
						"ptmxmode=0666", "mode=0620")));
	json_object_set_new(mounts, "/sys", mount_new("/sys", "sysfs", "sysfs", sys));
	json_object_set_new(
		mounts, "/sys/fs/cgroup",
		mount_new("/sys/fs/cgroup", "cgroup", "cgroup",
			  json_pack("[sssss]", "nosuid", "noexec", "nodev", "relatime", "ro")));
	if (tmpfs_mounts(c, mounts) < 0 || bind_mounts(c, mounts) < 0 ||
	    full_mounts(c, mounts) < 0) {
		json_decref(mounts);
		return -1;
	}
	/* sorted by destination, so /dev comes before /dev/pts */
	size_t n = json_object_size(mounts), i = 0;
	const char **keys = xmalloc((n ? n : 1) * sizeof(*keys));
	json_object_foreach(mounts, key, v) keys[i++] = key;
	qsort(keys, n, sizeof(*keys), str_ptr_cmp);
	json_t *list = json_array();
	for (i = 0; i < n; i++)
		json_array_append(list, json_object_get(mounts, keys[i]));
	free(keys);
	json_decref(mounts);
	*out = list;
	return 0;
}

static int add_namespace(const struct cfg *c, json_t *list, const char *key, const char *type,
			 const char *deflt, bool none_is_new)
{
	const char *v;

	if (pick_nonempty(c, key, &v) < 0)
		return -1;
	if (!v)
		v = deflt;
	if (strcmp(v, "host") == 0 || strcmp(v, "root") == 0)
		return 0;
	if (strcmp(v, "new") == 0 || (none_is_new && strcmp(v, "none") == 0))
		v = "";
	json_t *ns = json_pack("{ss}", "type", type);
	if (*v)
		json_object_set_new(ns, "path", json_string(v));
	json_array_append_new(list, ns);
	return 0;
}

static int namespaces(const struct cfg *c, json_t **out)
{
	json_t *list = json_array();

	if (add_namespace(c, list, "net", "network", "root", true) < 0 ||
	    add_namespace(c, list, "ipc", "ipc", "root", false) < 0 ||
	    add_namespace(c, list, "uts", "uts", "root", false) < 0 ||
	    add_namespace(c, list, "pid", "pid", "", false) < 0 ||
	    add_namespace(c, list, "userns", "user", "root", false) < 0) {
		json_decref(list);
		return -1;
	}
	json_array_append_new(list, json_pack("{ss}", "type", "mount"));
	json_array_append_new(list, json_pack("{ss}", "type", "cgroup"));
	*out = list;
	return 0;
}

/* The capabilities the spec module knows (moby/sys/capability's list, in kernel order). */
static bool known_cap(const char *s)
{
	size_t n;
	const char *const *caps = spec_capabilities(&n);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(caps[i], s) == 0)
			return true;
	}
	return false;
}

/* A capability list with LinuxKit's single "all" / "none" (new reference). */
static int cap_list(const struct cfg *c, const json_t *list, json_t **out)
{
	json_t *res = json_array();
	size_t i;
	json_t *v;

	if (list && json_array_size(list) == 1) {
		const char *s = json_string_value(json_array_get(list, 0));
		if (strcasecmp(s, "none") == 0) {
			*out = res;
			return 0;
		}
		if (strcasecmp(s, "all") == 0) {
			size_t n;
			const char *const *caps = spec_capabilities(&n);
			for (i = 0; i < n; i++)
				json_array_append_new(res, json_string(caps[i]));
			*out = res;
			return 0;
		}
	}
	if (list) {
		json_array_foreach(list, i, v)
		{
			if (!known_cap(json_string_value(v))) {
				json_decref(res);
				return bad(c, v, "unknown capability '%s'", json_string_value(v));
			}
			if (!has_string(res, json_string_value(v)))
				json_array_append(res, v);
		}
	}
	*out = res;
	return 0;
}

static int capabilities(const struct cfg *c, json_t **out)
{
	const json_t *ycaps = json_object_get(c->yaml, "capabilities");
	const json_t *yadd = json_object_get(c->yaml, "capabilities.add");
	const json_t *lcaps = c->label ? json_object_get(c->label, "capabilities") : NULL;
	const json_t *ambient_in;
	json_t *merged, *caps = NULL, *ambient = NULL;

	if ((ycaps && want_strings(c, ycaps, "capabilities") < 0) ||
	    (yadd && want_strings(c, yadd, "capabilities.add") < 0) ||
	    (lcaps && want_strings(c, lcaps, "capabilities") < 0) ||
	    pick_strings(c, "ambient", &ambient_in) < 0)
		return -1;
	merged = ycaps ? json_incref((json_t *)ycaps) : merge_unique(lcaps, yadd);
	int rc = cap_list(c, merged, &caps);
	json_decref(merged);
	if (rc < 0 || cap_list(c, ambient_in, &ambient) < 0) {
		json_decref(caps);
		return -1;
	}
	/* the bounding set: effective and ambient, sorted */
	json_t *bset = merge_unique(caps, ambient);
	size_t n = json_array_size(bset);
	const char **names = xmalloc((n ? n : 1) * sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = json_string_value(json_array_get(bset, i));
	qsort(names, n, sizeof(*names), str_ptr_cmp);
	json_t *bounding = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(bounding, json_string(names[i]));
	free(names);
	json_decref(bset);

	json_t *obj = json_object();
	if (json_array_size(bounding)) {
		json_object_set(obj, "bounding", bounding);
		if (json_array_size(caps))
			json_object_set(obj, "effective", caps);
		json_object_set(obj, "inheritable", bounding);
		json_object_set(obj, "permitted", bounding);
		if (json_array_size(ambient))
			json_object_set(obj, "ambient", ambient);
	}
	json_decref(bounding);
	json_decref(caps);
	json_decref(ambient);
	*out = obj;
	return 0;
}

static int parse_limit(const struct cfg *c, const json_t *node, const char *s, uint64_t *out)
{
	_cleanup_free_ char *t = xstrdup(s);
	char *p = t, *end;

	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (strcasecmp(p, "unlimited") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (!*p || *end || errno || *p == '-' || *p == '+')
		return bad(c, node, "cannot parse '%s' as a limit", p);
	*out = v;
	return 0;
}

static int rlimits(const struct cfg *c, json_t **out)
{
	const json_t *list;
	size_t i;
	json_t *v;

	*out = NULL;
	if (pick_strings(c, "rlimits", &list) < 0)
		return -1;
	if (!list || !json_array_size(list))
		return 0;
	json_t *res = json_array();
	json_array_foreach(list, i, v)
	{
		json_t *parts = split(json_string_value(v), ',');
		uint64_t soft, hard;
		if (json_array_size(parts) != 3) {
			json_decref(parts);
			json_decref(res);
			return bad(c, v, "cannot parse rlimit '%s'", json_string_value(v));
		}
		/* "name,soft,hard": a third comma belongs to the hard limit, as with SplitN */
		const char *s = json_string_value(v);
		const char *c1 = strchr(s, ','), *c2 = strchr(c1 + 1, ',');
		_cleanup_free_ char *name = xstrndup(s, (size_t)(c1 - s));
		_cleanup_free_ char *softs = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
		json_decref(parts);
		char *p = name, *e;
		while (isspace((unsigned char)*p))
			p++;
		e = p + strlen(p);
		while (e > p && isspace((unsigned char)e[-1]))
			*--e = '\0';
		for (char *q = p; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		_cleanup_free_ char *limit =
			str_has_prefix(p, "RLIMIT_") ? xstrdup(p) : xasprintf("RLIMIT_%s", p);
		bool known = false;
		for (size_t k = 0; k < ARRAY_SIZE(rlimit_names); k++)
			known = known || strcmp(rlimit_names[k], limit) == 0;
		if (!known) {
			json_decref(res);
			return bad(c, v, "unknown limit '%s'", limit);
		}
		if (parse_limit(c, v, softs, &soft) < 0 || parse_limit(c, v, c2 + 1, &hard) < 0) {
			json_decref(res);
			return -1;
		}
		json_t *r = json_object();
		json_object_set_new(r, "type", json_string(limit));
		json_object_set_new(r, "hard", rootfs_json_u64(hard));
		json_object_set_new(r, "soft", rootfs_json_u64(soft));
		json_array_append_new(res, r);
	}
	*out = res;
	return 0;
}

static int resolve_id(const struct cfg *c, const json_t *v, uint32_t *out)
{
	struct uk_err e = { 0 };

	if (rootfs_ids_resolve(c->in->ids, v, out, &e) < 0) {
		bad(c, v, "%s", e.msg);
		uk_err_release(&e);
		return -1;
	}
	return 0;
}

static int user(const struct cfg *c, json_t **out)
{
	const json_t *uid = pick(c, "uid"), *gid = pick(c, "gid"), *ag = pick(c, "additionalGids");
	uint32_t u = 0, g = 0;
	size_t i;
	json_t *v;

	if ((uid && resolve_id(c, uid, &u) < 0) || (gid && resolve_id(c, gid, &g) < 0))
		return -1;
	json_t *obj = json_object();
	json_object_set_new(obj, "uid", json_integer(u));
	json_object_set_new(obj, "gid", json_integer(g));
	if (ag) {
		if (!json_is_array(ag)) {
			json_decref(obj);
			return bad(c, ag, "'additionalGids' must be a list");
		}
		json_t *list = json_array();
		json_array_foreach(ag, i, v)
		{
			uint32_t id;
			if (resolve_id(c, v, &id) < 0) {
				json_decref(list);
				json_decref(obj);
				return -1;
			}
			json_array_append_new(list, json_integer(id));
		}
		if (json_array_size(list))
			json_object_set(obj, "additionalGids", list);
		json_decref(list);
	}
	*out = obj;
	return 0;
}

/* ---- resources: LinuxKit reads them as YAML, with Go's lower-cased field names ---- */

struct field {
	const char *name;
	const struct field *fields; /* an object (or a list of objects) with these fields */
	bool list;
	bool map; /* free-form keys */
};

static const struct field f_device[] = { { "allow" }, { "type" },   { "major" },
					 { "minor" }, { "access" }, { NULL } };
static const struct field f_memory[] = { { "limit" },
					 { "reservation" },
					 { "swap" },
					 { "kernel" },
					 { "kernelTCP" },
					 { "swappiness" },
					 { "disableOOMKiller" },
					 { "useHierarchy" },
					 { "checkBeforeUpdate" },
					 { NULL } };
static const struct field f_cpu[] = {
	{ "shares" },	      { "quota" }, { "burst" }, { "period" }, { "realtimeRuntime" },
	{ "realtimePeriod" }, { "cpus" },  { "mems" },	{ "idle" },   { NULL }
};
static const struct field f_pids[] = { { "limit" }, { NULL } };
static const struct field f_weight_dev[] = {
	{ "major" }, { "minor" }, { "weight" }, { "leafWeight" }, { NULL }
};
static const struct field f_throttle_dev[] = { { "major" }, { "minor" }, { "rate" }, { NULL } };
static const struct field f_blockio[] = {
	{ "weight" },
	{ "leafWeight" },
	{ "weightDevice", f_weight_dev, true },
	{ "throttleReadBpsDevice", f_throttle_dev, true },
	{ "throttleWriteBpsDevice", f_throttle_dev, true },
	{ "throttleReadIOPSDevice", f_throttle_dev, true },
	{ "throttleWriteIOPSDevice", f_throttle_dev, true },
	{ NULL },
};
static const struct field f_hugepage[] = { { "pageSize" }, { "limit" }, { NULL } };
static const struct field f_priority[] = { { "name" }, { "priority" }, { NULL } };
static const struct field f_network[] = { { "classID" },
					  { "priorities", f_priority, true },
					  { NULL } };
static const struct field f_resources[] = {
	{ "devices", f_device, true },
	{ "memory", f_memory },
	{ "cpu", f_cpu },
	{ "pids", f_pids },
	{ "blockIO", f_blockio },
	{ "hugepageLimits", f_hugepage, true },
	{ "network", f_network },
	{ "rdma", NULL, false, true },
	{ "unified", NULL, false, true },
	{ NULL },
};
static const struct field f_idmap[] = { { "containerID" }, { "hostID" }, { "size" }, { NULL } };

/* A copy of v with field names in their OCI spelling (matched case-insensitively). */
static int canonical(const struct cfg *c, const json_t *v, const struct field *fields,
		     const char *what, json_t **out)
{
	const char *key;
	json_t *x;

	if (!json_is_object(v))
		return bad(c, v, "'%s' must be a map", what);
	json_t *res = json_object();
	json_object_foreach((json_t *)v, key, x)
	{
		const struct field *f = fields;
		while (f->name && strcasecmp(f->name, key) != 0)
			f++;
		if (!f->name) {
			json_decref(res);
			return bad(c, v, "unknown field '%s' in '%s'", key, what);
		}
		json_t *val;
		if (f->fields && f->list) {
			size_t i;
			json_t *item;
			if (!json_is_array(x)) {
				json_decref(res);
				return bad(c, x, "'%s' must be a list", f->name);
			}
			val = json_array();
			json_array_foreach(x, i, item)
			{
				json_t *ci;
				if (canonical(c, item, f->fields, f->name, &ci) < 0) {
					json_decref(val);
					json_decref(res);
					return -1;
				}
				json_array_append_new(val, ci);
			}
		} else if (f->fields) {
			if (canonical(c, x, f->fields, f->name, &val) < 0) {
				json_decref(res);
				return -1;
			}
		} else {
			val = json_deep_copy(x);
		}
		json_object_set_new(res, f->name, val);
	}
	*out = res;
	return 0;
}

static int parse_octal(const struct cfg *c, const json_t *v, const char *what, long *out)
{
	char buf[32];
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		s = buf;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
	} else {
		return bad(c, v, "%s must be an octal number", what);
	}
	errno = 0;
	long m = strtol(s, &end, 8);
	if (!*s || *end || errno || m < 0 || m > 07777777)
		return bad(c, v, "cannot parse %s '%s' as an octal value", what, s);
	*out = m;
	return 0;
}

static int devices(const struct cfg *c, json_t *resources, json_t **out)
{
	const json_t *list = pick(c, "devices");
	json_t *cg = json_object_get(resources, "devices");
	size_t i;
	json_t *d;

	*out = NULL;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad(c, list, "'devices' must be a list");
	if (!cg) {
		cg = json_array();
		json_object_set_new(resources, "devices", cg);
	}
	json_t *res = json_array();
	json_array_foreach(list, i, d)
	{
		const json_t *path = json_object_get(d, "path"), *type = json_object_get(d, "type");
		const json_t *major = json_object_get(d, "major"),
			     *minor = json_object_get(d, "minor");
		if (!json_is_object(d) || !json_is_string(path) || !json_is_string(type) ||
		    (major && !json_is_integer(major)) || (minor && !json_is_integer(minor))) {
			json_decref(res);
			return bad(c, d,
				   "a device needs a path, a type, and integer major and minor");
		}
		if (strcmp(json_string_value(path), "all") == 0) {
			json_array_append_new(cg, json_pack("{sbsOss}", "allow", 1, "type", type,
							    "access", "rwm"));
			continue;
		}
		long mode = 0;
		const json_t *m = json_object_get(d, "mode");
		if (!m) {
			json_decref(res);
			return bad(c, d, "device '%s' needs a mode", json_string_value(path));
		}
		if (parse_octal(c, m, "device mode", &mode) < 0) {
			json_decref(res);
			return -1;
		}
		json_int_t maj = major ? json_integer_value(major) : 0;
		json_int_t min = minor ? json_integer_value(minor) : 0;
		json_array_append_new(res,
				      json_pack("{sOsOsIsIsI}", "path", path, "type", type, "major",
						maj, "minor", min, "fileMode", (json_int_t)mode));
		json_array_append_new(cg, json_pack("{sbsOsIsIss}", "allow", 1, "type", type,
						    "major", maj, "minor", min, "access", "rwm"));
	}
	if (json_array_size(cg) == 0)
		json_object_del(resources, "devices");
	if (json_array_size(res))
		*out = res;
	else
		json_decref(res);
	return 0;
}

static int id_mappings(const struct cfg *c, const char *key, json_t **out)
{
	const json_t *list = pick(c, key);
	size_t i;
	json_t *m;

	*out = NULL;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad(c, list, "'%s' must be a list", key);
	json_t *res = json_array();
	json_array_foreach(list, i, m)
	{
		json_t *cm;
		if (canonical(c, m, f_idmap, key, &cm) < 0) {
			json_decref(res);
			return -1;
		}
		json_t *ordered = json_object();
		for (const struct field *f = f_idmap; f->name; f++) {
			json_t *x = json_object_get(cm, f->name);
			if (x)
				json_object_set(ordered, f->name, x);
			else
				json_object_set_new(ordered, f->name, json_integer(0));
		}
		json_decref(cm);
		json_array_append_new(res, ordered);
	}
	if (json_array_size(res))
		*out = res;
	else
		json_decref(res);
	return 0;
}

static int string_map(const struct cfg *c, const char *key, json_t **out)
{
	const json_t *m = pick(c, key);
	const char *k;
	json_t *v;

	*out = NULL;
	if (!m)
		return 0;
	if (!json_is_object(m))
		return bad(c, m, "'%s' must be a map", key);
	json_object_foreach((json_t *)m, k, v)
	{
		if (!json_is_string(v))
			return bad(c, v, "'%s' values must be strings", key);
	}
	if (json_object_size(m))
		*out = json_deep_copy(m);
	return 0;
}

/* ---- runtime.json (LinuxKit's assignRuntime) ---- */

static int runtime_config(const struct cfg *c, json_t **out)
{
	const json_t *y = json_object_get(c->yaml, "runtime");
	const json_t *l = c->label ? json_object_get(c->label, "runtime") : NULL;
	static const char *const lists[] = { "cgroups", "mounts", "mkdir", "interfaces" };
	static const char *const ns[] = { "cgroup", "ipc", "mnt", "net", "pid", "user", "uts" };
	json_t *rt = json_object();

	if ((y && !json_is_null(y) && !json_is_object(y)) || (l && !json_is_object(l))) {
		json_decref(rt);
		return bad(c, y ? y : l, "'runtime' must be a map");
	}
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		const json_t *v = y ? json_object_get(y, lists[i]) : NULL;
		if (!v || json_is_null(v))
			v = l ? json_object_get(l, lists[i]) : NULL;
		if (v && !json_is_null(v) && !json_is_array(v)) {
			json_decref(rt);
			return bad(c, v, "'runtime.%s' must be a list", lists[i]);
		}
		json_t *list = json_array();
		size_t k;
		json_t *e;
		json_array_foreach(v, k, e)
		{
			if (i == 0 || i == 2) {
				if (!json_is_string(e)) {
					json_decref(list);
					json_decref(rt);
					return bad(c, e, "'runtime.%s' must be a list of strings",
						   lists[i]);
				}
				json_array_append(list, e);
			} else if (i == 1) {
				const char *tp, *src, *dest;
				json_t *opts;
				if (mount_fields(c, e, &tp, &src, &dest, &opts) < 0) {
					json_decref(list);
					json_decref(rt);
					return -1;
				}
				json_array_append_new(list, mount_new(dest, tp, src, opts));
			} else {
				const json_t *name = json_object_get(e, "name"),
					     *add = json_object_get(e, "add"),
					     *peer = json_object_get(e, "peer"),
					     *cir = json_object_get(e, "createInRoot");
				if (!json_is_object(e) || want_string(c, name, "name") < 0 ||
				    want_string(c, add, "add") < 0 ||
				    want_string(c, peer, "peer") < 0 ||
				    (cir && !json_is_boolean(cir))) {
					json_decref(list);
					json_decref(rt);
					return c->err->msg ? -1 : bad(c, e, "bad interface");
				}
				json_t *itf = json_object();
				if (name && *json_string_value(name))
					json_object_set(itf, "name", (json_t *)name);
				if (add && *json_string_value(add))
					json_object_set(itf, "add", (json_t *)add);
				if (peer && *json_string_value(peer))
					json_object_set(itf, "peer", (json_t *)peer);
				json_object_set_new(itf, "createInRoot",
						    json_boolean(json_is_true(cir)));
				json_array_append_new(list, itf);
			}
		}
		json_object_set_new(rt, lists[i], list);
	}
	const json_t *ybns = y ? json_object_get(y, "bindNS") : NULL;
	const json_t *lbns = l ? json_object_get(l, "bindNS") : NULL;
	json_t *bns = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		const json_t *v = ybns ? json_object_get(ybns, ns[i]) : NULL;
		if (!v || json_is_null(v))
			v = lbns ? json_object_get(lbns, ns[i]) : NULL;
		if (want_string(c, v, ns[i]) < 0) {
			json_decref(bns);
			json_decref(rt);
			return -1;
		}
		json_object_set_new(bns, ns[i], json_string(v ? json_string_value(v) : ""));
	}
	json_object_set_new(rt, "bindNS", bns);
	const json_t *nsv = y ? json_object_get(y, "namespace") : NULL;
	if (!nsv || json_is_null(nsv))
		nsv = l ? json_object_get(l, "namespace") : NULL;
	if (want_string(c, nsv, "namespace") < 0) {
		json_decref(rt);
		return -1;
	}
	json_object_set_new(rt, "namespace", json_string(nsv ? json_string_value(nsv) : ""));
	*out = rt;
	return 0;
}

/* ---- the label ---- */

static int load_label(struct cfg *c)
{
	const json_t *labels = c->img ? json_object_get(c->img, "Labels") : NULL;
	const json_t *s = json_is_object(labels) ? json_object_get(labels, LABEL_KEY) : NULL;
	json_error_t jerr;
	const char *key;
	json_t *v;

	if (!json_is_string(s) || !*json_string_value(s))
		return 0;
	c->label = json_loads(json_string_value(s), 0, &jerr);
	if (!c->label)
		return uk_err_setc(c->err, UK_ERR_INPUT, "label %s: not valid JSON: %s", LABEL_KEY,
				   jerr.text);
	if (!json_is_object(c->label))
		return uk_err_setc(c->err, UK_ERR_INPUT, "label %s: not a JSON object", LABEL_KEY);
	json_object_foreach(c->label, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(label_keys); i++)
			known = known || strcmp(label_keys[i], key) == 0;
		if (strcmp(key, "name") == 0 || strcmp(key, "image") == 0)
			return uk_err_setc(c->err, UK_ERR_INPUT,
					   "label %s: '%s' cannot be set there", LABEL_KEY, key);
		if (!known)
			return uk_err_setc(c->err, UK_ERR_INPUT, "label %s: unknown key '%s'",
					   LABEL_KEY, key);
	}
	return 0;
}

/* ---- putting it together ---- */

static json_t *image_strings(const json_t *img, const char *key)
{
	const json_t *v = img ? json_object_get(img, key) : NULL;
	size_t i;
	json_t *s, *res = json_array();

	if (json_is_array(v)) {
		json_array_foreach(v, i, s)
		{
			if (json_is_string(s))
				json_array_append(res, s);
		}
	}
	return res;
}

static int process(const struct cfg *c, json_t *spec)
{
	json_t *p = json_object(), *v = NULL;
	const json_t *cmd, *env;
	const char *cwd;

	json_object_set_new(spec, "process", p);
	if (user(c, &v) < 0)
		return -1;
	json_object_set_new(p, "user", v);

	if (pick_strings(c, "command", &cmd) < 0 || pick_strings(c, "env", &env) < 0 ||
	    pick_nonempty(c, "cwd", &cwd) < 0)
		return -1;
	json_t *args;
	if (cmd) {
		args = json_copy((json_t *)cmd);
	} else {
		args = image_strings(c->img, "Entrypoint");
		json_t *more = image_strings(c->img, "Cmd");
		json_array_extend(args, more);
		json_decref(more);
	}
	if (json_array_size(args))
		json_object_set(p, "args", args);
	json_decref(args);
	json_t *envs = env ? json_copy((json_t *)env) : image_strings(c->img, "Env");
	if (json_array_size(envs))
		json_object_set(p, "env", envs);
	json_decref(envs);
	if (!cwd) {
		const json_t *wd = c->img ? json_object_get(c->img, "WorkingDir") : NULL;
		cwd = json_is_string(wd) && *json_string_value(wd) ? json_string_value(wd) : "/";
	}
	json_object_set_new(p, "cwd", json_string(cwd));

	if (capabilities(c, &v) < 0)
		return -1;
	json_object_set_new(p, "capabilities", v);
	if (rlimits(c, &v) < 0)
		return -1;
	if (v)
		json_object_set_new(p, "rlimits", v);
	bool nnp;
	if (pick_bool(c, "noNewPrivileges", &nnp) < 0)
		return -1;
	if (nnp)
		json_object_set_new(p, "noNewPrivileges", json_true());
	const json_t *oom = pick(c, "oomScoreAdj");
	if (oom) {
		if (!json_is_integer(oom))
			return bad(c, oom, "'oomScoreAdj' must be an integer");
		json_object_set_new(p, "oomScoreAdj", json_integer(json_integer_value(oom)));
	}
	return 0;
}

static int linux_section(const struct cfg *c, json_t *spec)
{
	json_t *lx = json_object(), *v;
	const json_t *x;

	json_object_set_new(spec, "linux", lx);
	if (id_mappings(c, "uidMappings", &v) < 0)
		return -1;
	if (v)
		json_object_set_new(lx, "uidMappings", v);
	if (id_mappings(c, "gidMappings", &v) < 0)
		return -1;
	if (v)
		json_object_set_new(lx, "gidMappings", v);
	if (string_map(c, "sysctl", &v) < 0)
		return -1;
	if (v)
		json_object_set_new(lx, "sysctl", v);

	json_t *resources;
	x = pick(c, "resources");
	if (x) {
		if (canonical(c, x, f_resources, "resources", &resources) < 0)
			return -1;
	} else {
		resources = json_object();
	}
	json_object_set_new(lx, "resources", resources);
	json_t *devs;
	x = pick(c, "cgroupsPath");
	if (want_string(c, x, "cgroupsPath") < 0)
		return -1;
	if (x && *json_string_value(x))
		json_object_set(lx, "cgroupsPath", (json_t *)x);
	if (namespaces(c, &v) < 0)
		return -1;
	json_object_set_new(lx, "namespaces", v);
	if (devices(c, resources, &devs) < 0)
		return -1;
	if (devs)
		json_object_set_new(lx, "devices", devs);
	x = pick(c, "rootfsPropagation");
	if (want_string(c, x, "rootfsPropagation") < 0)
		return -1;
	if (x && *json_string_value(x))
		json_object_set(lx, "rootfsPropagation", (json_t *)x);
	static const char *const paths[] = { "maskedPaths", "readonlyPaths" };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (pick_strings(c, paths[i], &x) < 0)
			return -1;
		if (x && json_array_size(x))
			json_object_set_new(lx, paths[i], json_copy((json_t *)x));
	}
	return 0;
}

int rootfs_oci_config(const struct rootfs_oci_in *in, struct rootfs_oci_out *out,
		      struct uk_err *err)
{
	struct cfg c = { .in = in, .yaml = in->entry, .err = err };
	json_t *spec = NULL, *v = NULL;
	bool readonly;
	int rc = -1;

	if (in->image_config) {
		c.img = json_object_get(in->image_config, "config");
		if (!json_is_object(c.img))
			c.img = NULL;
	}
	if (load_label(&c) < 0 || pick_bool(&c, "readonly", &readonly) < 0)
		goto out;

	spec = json_object();
	json_object_set_new(spec, "ociVersion", json_string(OCI_VERSION));
	if (process(&c, spec) < 0)
		goto out;
	json_t *root = json_pack("{ss}", "path", "rootfs");
	if (readonly)
		json_object_set_new(root, "readonly", json_true());
	json_object_set_new(spec, "root", root);
	const char *hostname;
	if (pick_nonempty(&c, "hostname", &hostname) < 0)
		goto out;
	if (hostname)
		json_object_set_new(spec, "hostname", json_string(hostname));
	if (mount_list(&c, readonly, &v) < 0)
		goto out;
	json_object_set_new(spec, "mounts", v);
	if (string_map(&c, "annotations", &v) < 0)
		goto out;
	if (v)
		json_object_set_new(spec, "annotations", v);
	if (linux_section(&c, spec) < 0 || runtime_config(&c, &v) < 0)
		goto out;
	out->config = spec;
	out->runtime = v;
	out->readonly = readonly;
	spec = NULL;
	rc = 0;
out:
	json_decref(spec);
	json_decref(c.label);
	return rc;
}

void rootfs_oci_out_release(struct rootfs_oci_out *out)
{
	json_decref(out->config);
	json_decref(out->runtime);
	out->config = out->runtime = NULL;
}

/* ---- ids ---- */

void rootfs_ids_add(struct rootfs_ids *ids, const char *name, uint32_t id)
{
	if (ids->n == ids->alloc) {
		ids->alloc = ids->alloc ? ids->alloc * 2 : 16;
		ids->names = xrealloc(ids->names, ids->alloc * sizeof(*ids->names));
		ids->ids = xrealloc(ids->ids, ids->alloc * sizeof(*ids->ids));
	}
	ids->names[ids->n] = xstrdup(name);
	ids->ids[ids->n++] = id;
}

void rootfs_ids_release(struct rootfs_ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->names[i]);
	free(ids->names);
	free(ids->ids);
	ids->names = NULL;
	ids->ids = NULL;
	ids->n = ids->alloc = 0;
}

int rootfs_ids_resolve(const struct rootfs_ids *ids, const json_t *v, uint32_t *out,
		       struct uk_err *err)
{
	if (!v || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || i > (json_int_t)UINT32_MAX)
			return uk_err_setc(err, UK_ERR_INPUT, "id %lld out of range", (long long)i);
		*out = (uint32_t)i;
		return 0;
	}
	if (!json_is_string(v))
		return uk_err_setc(err, UK_ERR_INPUT, "an id must be a number or a name");
	const char *s = json_string_value(v);
	if (!*s || strcmp(s, "root") == 0) {
		*out = 0;
		return 0;
	}
	for (size_t i = ids ? ids->n : 0; i-- > 0;) {
		if (strcmp(ids->names[i], s) == 0) {
			*out = ids->ids[i];
			return 0;
		}
	}
	return uk_err_setc(err, UK_ERR_INPUT, "no container named '%s' to take an id from", s);
}

/* ---- init.conf (docs/layout.md) ---- */

static int conf_field(struct strbuf *sb, const char *v, struct uk_err *err)
{
	strbuf_addch(sb, '\t');
	if (!v || !*v) {
		strbuf_addch(sb, '-');
		return 0;
	}
	if (strpbrk(v, "\t\n\r"))
		return uk_err_setc(err, UK_ERR_INPUT, "init.conf: '%s' holds a tab or a line break",
				   v);
	strbuf_addstr(sb, v);
	return 0;
}

int rootfs_init_conf(const json_t *runtime, const char *restart, char **out, struct uk_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *v;
	int rc = -1;

	strbuf_addstr(&sb, "# unikit init.conf: made by 'unikit build' from runtime.json\n");
	json_array_foreach(json_object_get(runtime, "cgroups"), i, v)
	{
		strbuf_addstr(&sb, "cgroup");
		if (conf_field(&sb, json_string_value(v), err) < 0)
			goto out;
		strbuf_addch(&sb, '\n');
	}
	json_array_foreach(json_object_get(runtime, "mkdir"), i, v)
	{
		strbuf_addstr(&sb, "mkdir");
		if (conf_field(&sb, json_string_value(v), err) < 0)
			goto out;
		strbuf_addch(&sb, '\n');
	}
	json_array_foreach(json_object_get(runtime, "mounts"), i, v)
	{
		struct strbuf opts = STRBUF_INIT;
		size_t k;
		json_t *o;
		json_array_foreach(json_object_get(v, "options"), k, o)
		{
			if (k)
				strbuf_addch(&opts, ',');
			strbuf_addstr(&opts, json_string_value(o));
		}
		/* an overlay's upper and work directories are made first, as LinuxKit's runtime
		 * does */
		const char *type = json_string_value(json_object_get(v, "type"));
		json_array_foreach(json_object_get(v, "options"), k, o)
		{
			const char *os = json_string_value(o);
			if (!streq_ptr(type, "overlay") ||
			    (!str_has_prefix(os, "upperdir=") && !str_has_prefix(os, "workdir=")))
				continue;
			strbuf_addstr(&sb, "mkdir");
			if (conf_field(&sb, strchr(os, '=') + 1, err) < 0) {
				strbuf_release(&opts);
				goto out;
			}
			strbuf_addch(&sb, '\n');
		}
		strbuf_addstr(&sb, "mount");
		int r = conf_field(&sb, type, err);
		if (r == 0)
			r = conf_field(&sb, json_string_value(json_object_get(v, "source")), err);
		if (r == 0)
			r = conf_field(&sb, json_string_value(json_object_get(v, "destination")),
				       err);
		if (r == 0)
			r = conf_field(&sb, opts.buf, err);
		strbuf_release(&opts);
		if (r < 0)
			goto out;
		strbuf_addch(&sb, '\n');
	}
	json_array_foreach(json_object_get(runtime, "interfaces"), i, v)
	{
		strbuf_addstr(&sb, "interface");
		if (conf_field(&sb, json_string_value(json_object_get(v, "name")), err) < 0 ||
		    conf_field(&sb, json_string_value(json_object_get(v, "add")), err) < 0 ||
		    conf_field(&sb, json_string_value(json_object_get(v, "peer")), err) < 0 ||
		    conf_field(&sb,
			       json_is_true(json_object_get(v, "createInRoot")) ? "true" : "false",
			       err) < 0)
			goto out;
		strbuf_addch(&sb, '\n');
	}
	const char *key;
	json_object_foreach(json_object_get(runtime, "bindNS"), key, v)
	{
		if (!*json_string_value(v))
			continue;
		strbuf_addstr(&sb, "bindns");
		if (conf_field(&sb, key, err) < 0 || conf_field(&sb, json_string_value(v), err) < 0)
			goto out;
		strbuf_addch(&sb, '\n');
	}
	v = json_object_get(runtime, "namespace");
	if (json_is_string(v) && *json_string_value(v)) {
		strbuf_addstr(&sb, "namespace");
		if (conf_field(&sb, json_string_value(v), err) < 0)
			goto out;
		strbuf_addch(&sb, '\n');
	}
	if (restart) {
		strbuf_addstr(&sb, "restart");
		if (conf_field(&sb, restart, err) < 0)
			goto out;
		strbuf_addch(&sb, '\n');
	}
	*out = strbuf_detach(&sb, NULL);
	rc = 0;
out:
	strbuf_release(&sb);
	return rc;
}
