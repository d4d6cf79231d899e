// SPDX-License-Identifier: Apache-2.0
/* The values of `unikit run` options, with LinuxKit's syntax. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/run.h"
#include "util/size.h"

/* Formats a -disk may name; QEMU knows more, these are the ones for VM disks. */
static const char *const disk_formats[] = {
	"raw", "qcow2", "qcow", "qed", "vdi", "vhdx", "vmdk", "vpc", "parallels",
};

static bool parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool known_format(const char *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(disk_formats); i++) {
		if (!strcmp(f, disk_formats[i]))
			return true;
	}
	return false;
}

void run_disk_release(struct run_disk *d)
{
	free(d->path);
	free(d->format);
	d->path = NULL;
	d->format = NULL;
	d->size_mb = 0;
}

int run_disk_parse(const char *spec, struct run_disk *out, struct uk_err *err)
{
	struct run_disk d = { 0 };
	const char *p = spec;
	bool have_size = false;

	while (true) {
		size_t n = strcspn(p, ",");
		_cleanup_free_ char *item = xstrndup(p, n);
		char *eq = strchr(item, '=');
		const char *key = "file", *val = item;

		if (eq) {
			*eq = '\0';
			key = item;
			val = eq + 1;
		}
		if (!strcmp(key, "file")) {
			if (d.path || !*val) {
				const char *why = d.path ? "more than one file" : "empty file name";
				run_disk_release(&d);
				return uk_err_setc(err, UK_ERR_INPUT, "disk '%s': %s", spec, why);
			}
			d.path = xstrdup(val);
		} else if (!strcmp(key, "size")) {
			uint64_t bytes;
			if (have_size || size_parse(val, SIZE_MIB, &bytes, err) < 0) {
				run_disk_release(&d);
				if (have_size)
					return uk_err_setc(err, UK_ERR_INPUT,
							   "disk '%s': more than one size", spec);
				return uk_err_wrap(err, "disk '%s'", spec);
			}
			d.size_mb = bytes >> 20;
			have_size = true;
		} else if (!strcmp(key, "format")) {
			if (d.format || !known_format(val)) {
				bool twice = d.format != NULL;
				run_disk_release(&d);
				if (twice)
					return uk_err_setc(err, UK_ERR_INPUT,
							   "disk '%s': more than one format", spec);
				return uk_err_setc(err, UK_ERR_INPUT,
						   "disk '%s': unknown format '%s' (raw, qcow2, "
						   "qcow, qed, vdi, vhdx, vmdk, vpc or parallels)",
						   spec, val);
			}
			d.format = xstrdup(val);
		} else {
			run_disk_release(&d);
			return uk_err_setc(err, UK_ERR_INPUT,
					   "disk '%s': unknown key '%s' (file, size or format)",
					   spec, key);
		}
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (!d.path && !have_size) {
		run_disk_release(&d);
		return uk_err_setc(err, UK_ERR_INPUT, "disk '%s': needs a file or a size", spec);
	}
	*out = d;
	return 0;
}

int run_publish_parse(const char *spec, struct run_publish *out, struct uk_err *err)
{
	struct run_publish p = { .addr = "127.0.0.1" };
	_cleanup_free_ char *s = xstrdup(spec);
	char *slash = strrchr(s, '/');
	char *parts[3];
	size_t n = 0;
	uint64_t v;

	if (slash) {
		*slash = '\0';
		if (!strcasecmp(slash + 1, "udp"))
			p.udp = true;
		else if (strcasecmp(slash + 1, "tcp"))
			return uk_err_setc(err, UK_ERR_INPUT,
					   "publish '%s': unknown protocol '%s' (tcp or udp)", spec,
					   slash + 1);
	}
	for (char *c = s;; c++) {
		if (n == ARRAY_SIZE(parts))
			return uk_err_setc(err, UK_ERR_INPUT,
					   "publish '%s': expected [ADDR:]HOST:GUEST[/tcp|udp]",
					   spec);
		parts[n++] = c;
		c = strchr(c, ':');
		if (!c)
			break;
		*c = '\0';
	}
	if (n < 2)
		return uk_err_setc(err, UK_ERR_INPUT,
				   "publish '%s': expected [ADDR:]HOST:GUEST[/tcp|udp]", spec);
	if (n == 3) {
		struct in_addr a;
		if (inet_pton(AF_INET, parts[0], &a) != 1)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "publish '%s': '%s' is not an IPv4 address", spec,
					   parts[0]);
		inet_ntop(AF_INET, &a, p.addr, sizeof(p.addr));
	}
	if (!parse_uint(parts[n - 2], strlen(parts[n - 2]), 65535, &v) || v == 0)
		return uk_err_setc(err, UK_ERR_INPUT, "publish '%s': bad host port '%s'", spec,
				   parts[n - 2]);
	p.host_port = (uint16_t)v;
	if (!parse_uint(parts[n - 1], strlen(parts[n - 1]), 65535, &v) || v == 0)
		return uk_err_setc(err, UK_ERR_INPUT, "publish '%s': bad guest port '%s'", spec,
				   parts[n - 1]);
	p.guest_port = (uint16_t)v;
	*out = p;
	return 0;
}

int run_publish_check(const struct run_publish *p, struct uk_err *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->host_port) };
	_cleanup_close_ int fd = -1;
	int one = 1;

	inet_pton(AF_INET, p->addr, &sa.sin_addr);
	fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return uk_err_errno(err, "publish port %u", p->host_port);
	/* as QEMU's user networking does, so a port in TIME_WAIT is not "in use" */
	if (!p->udp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EADDRINUSE)
			return uk_err_setc(err, EADDRINUSE,
					   "publish %s:%u:%u/%s: port %u on %s is already in use",
					   p->addr, p->host_port, p->guest_port,
					   p->udp ? "udp" : "tcp", p->host_port, p->addr);
		return uk_err_errno(err, "publish %s:%u:%u/%s: bind %s:%u", p->addr, p->host_port,
				    p->guest_port, p->udp ? "udp" : "tcp", p->addr, p->host_port);
	}
	return 0;
}

int run_net_parse(const char *spec, enum run_net_mode *mode, char **ifname, struct uk_err *err)
{
	static const struct {
		const char *name;
		enum run_net_mode mode;
		bool needs_if;
	} modes[] = {
		{ "user", RUN_NET_USER, false }, { "default", RUN_NET_USER, false },
		{ "tap", RUN_NET_TAP, true },	 { "bridge", RUN_NET_BRIDGE, true },
		{ "none", RUN_NET_NONE, false },
	};
	size_t n = strcspn(spec, ",");
	const char *arg = spec[n] ? spec + n + 1 : NULL;

	*ifname = NULL;
	if (n == 0 && !arg) {
		*mode = RUN_NET_USER;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (strlen(modes[i].name) != n || strncmp(spec, modes[i].name, n))
			continue;
		if (modes[i].needs_if && (!arg || !*arg))
			return uk_err_setc(err, UK_ERR_INPUT,
					   "networking '%s': needs an interface, as in '%s,NAME'",
					   spec, modes[i].name);
		if (!modes[i].needs_if && arg)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "networking '%s': '%s' takes no argument", spec,
					   modes[i].name);
		if (arg && (strchr(arg, ',') || strchr(arg, '/') || strlen(arg) > 15))
			return uk_err_setc(err, UK_ERR_INPUT,
					   "networking '%s': '%s' is not an interface name", spec,
					   arg);
		*mode = modes[i].mode;
		if (arg)
			*ifname = xstrdup(arg);
		return 0;
	}
	return uk_err_setc(err, UK_ERR_INPUT,
			   "networking '%s': unknown mode (user, tap,IF, bridge,BR or none)", spec);
}

static const char *const accel_names[] = {
	[RUN_ACCEL_AUTO] = "auto",
	[RUN_ACCEL_KVM] = "kvm",
	[RUN_ACCEL_TCG] = "tcg",
};

int run_accel_parse(const char *s, enum run_accel *out, struct uk_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(accel_names); i++) {
		if (!strcmp(s, accel_names[i])) {
			*out = (enum run_accel)i;
			return 0;
		}
	}
	return uk_err_setc(err, UK_ERR_INPUT, "accel '%s': unknown (auto, kvm or tcg)", s);
}

const char *run_accel_name(enum run_accel a)
{
	return accel_names[a];
}

static const char *const arch_names[] = {
	[RUN_ARCH_X86_64] = "x86_64",
	[RUN_ARCH_AARCH64] = "aarch64",
};

int run_arch_parse(const char *s, enum run_arch *out, struct uk_err *err)
{
	static const struct {
		const char *alias;
		enum run_arch arch;
	} aliases[] = { { "amd64", RUN_ARCH_X86_64 }, { "arm64", RUN_ARCH_AARCH64 } };

	for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++) {
		if (!strcmp(s, arch_names[i])) {
			*out = (enum run_arch)i;
			return 0;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
		if (!strcmp(s, aliases[i].alias)) {
			*out = aliases[i].arch;
			return 0;
		}
	}
	return uk_err_setc(err, UK_ERR_INPUT, "arch '%s': unknown (x86_64 or aarch64)", s);
}

const char *run_arch_name(enum run_arch a)
{
	return arch_names[a];
}

enum run_arch run_arch_host(void)
{
#if defined(__aarch64__)
	return RUN_ARCH_AARCH64;
#else
	return RUN_ARCH_X86_64;
#endif
}

int run_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	size_t i = 0;

	for (size_t b = 0; b < 6; b++) {
		int hi = hex_digit(s[i]), lo = hi < 0 ? -1 : hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		m[b] = (uint8_t)(hi << 4 | lo);
		i += 2;
		if (b < 5) {
			if (s[i] != ':' && s[i] != '-')
				return -1;
			i++;
		}
	}
	/* trailing white space (a newline an editor added) is fine */
	for (; s[i]; i++) {
		if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t')
			return -1;
	}
	memcpy(mac, m, 6);
	return 0;
}

void run_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
