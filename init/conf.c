// SPDX-License-Identifier: Apache-2.0
/*
 * init.conf: one directive per line, fields separated by one TAB, '-' for an
 * empty field, '#' starts a comment line (docs/layout.md). The build host
 * writes it from runtime.json, so a bad line is a build bug or a hand edit:
 * the message says which file, which line and what is wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

#define CONF_MAX (1024 * 1024)

static const struct {
	const char *name;
	enum directive_type type;
	int nfields;
} directives[] = {
	{ "cgroup", DIR_CGROUP, 1 },   { "mkdir", DIR_MKDIR, 1 },
	{ "mount", DIR_MOUNT, 4 },     { "interface", DIR_INTERFACE, 4 },
	{ "bindns", DIR_BINDNS, 2 },   { "namespace", DIR_NAMESPACE, 1 },
	{ "restart", DIR_RESTART, 1 },
};

static const char *const namespaces[] = { "cgroup", "ipc", "mnt", "net", "pid", "user", "uts" };

const char *restart_policy_name(enum restart_policy p)
{
	switch (p) {
	case RESTART_NO:
		return "no";
	case RESTART_ALWAYS:
		return "always";
	default:
		return "on-failure";
	}
}

void conf_release(struct conf *c)
{
	free(c->v);
	free(c->text);
	c->v = NULL;
	c->text = NULL;
	c->n = 0;
}

/* Checks the fields of one parsed directive; NULL or the problem. */
static const char *check(struct directive *d, struct conf *c)
{
	switch (d->type) {
	case DIR_CGROUP:
	case DIR_MKDIR:
	case DIR_NAMESPACE:
		if (!d->f[0])
			return "the field must not be '-'";
		if (d->type == DIR_CGROUP && (d->f[0][0] == '/' || strstr(d->f[0], "..")))
			return "a cgroup is a relative path without '..'";
		return NULL;
	case DIR_MOUNT:
		if (!d->f[2])
			return "a mount needs a destination";
		return NULL;
	case DIR_INTERFACE:
		if (!d->f[0])
			return "an interface needs a name";
		if (!d->f[3] || (strcmp(d->f[3], "true") && strcmp(d->f[3], "false")))
			return "CREATEINROOT must be 'true' or 'false'";
		if (d->f[1] && !strcmp(d->f[1], "veth") && !d->f[2])
			return "a veth pair needs a peer";
		return NULL;
	case DIR_BINDNS:
		if (!d->f[0] || !d->f[1])
			return "bindns needs a namespace and a path";
		for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
			if (!strcmp(d->f[0], namespaces[i]))
				return NULL;
		return "unknown namespace (cgroup, ipc, mnt, net, pid, user, uts)";
	case DIR_RESTART:
		if (d->f[0] && !strcmp(d->f[0], "no"))
			c->restart = RESTART_NO;
		else if (d->f[0] && !strcmp(d->f[0], "on-failure"))
			c->restart = RESTART_ON_FAILURE;
		else if (d->f[0] && !strcmp(d->f[0], "always"))
			c->restart = RESTART_ALWAYS;
		else
			return "restart must be 'no', 'on-failure' or 'always'";
		return NULL;
	}
	return "unknown directive";
}

/* Parses one line (NUL-terminated, no newline) into *d; NULL or the problem. */
static const char *parse_line(char *line, struct directive *d, struct conf *c, char *what,
			      size_t wlen)
{
	char *fields[6];
	int n = 0;

	for (char *p = line;;) {
		char *tab = strchr(p, '\t');
		if (n == 6)
			return "too many fields";
		fields[n++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	for (int i = 0; i < n; i++) {
		if (fields[i][0] == '\0')
			return "empty field (use '-' for an empty value, one TAB between fields)";
	}
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		if (strcmp(fields[0], directives[i].name) != 0)
			continue;
		if (n - 1 != directives[i].nfields) {
			msgf(what, wlen, "'%s' takes %d field%s, got %d", fields[0],
			     directives[i].nfields, directives[i].nfields > 1 ? "s" : "", n - 1);
			return what;
		}
		d->type = directives[i].type;
		for (int k = 0; k < 4; k++)
			d->f[k] = k + 1 < n && strcmp(fields[k + 1], "-") ? fields[k + 1] : NULL;
		return check(d, c);
	}
	if (strchr(fields[0], ' '))
		return "fields are separated by one TAB, not spaces";
	msgf(what, wlen, "unknown directive '%.40s'", fields[0]);
	return what;
}

int conf_parse(const char *file, char *text, size_t len, struct conf *out, char *err, size_t errlen)
{
	struct conf c = { .restart = RESTART_ON_FAILURE, .text = text };
	size_t cap = 0;
	int lineno = 0;
	char what[96];

	if (memchr(text, '\0', len)) {
		msgf(err, errlen, "%s: contains a NUL byte", file);
		conf_release(&c);
		return -1;
	}
	for (char *p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		char *end = nl ? nl : text + len;
		lineno++;
		*end = '\0';
		if (end > p && end[-1] == '\r')
			end[-1] = '\0';
		char *line = p;
		p = end + 1;
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (c.n == cap) {
			cap = cap ? cap * 2 : 8;
			c.v = realloc(c.v, cap * sizeof(*c.v));
			if (!c.v)
				abort();
		}
		struct directive *d = &c.v[c.n];
		memset(d, 0, sizeof(*d));
		d->line = lineno;
		const char *problem = parse_line(line, d, &c, what, sizeof(what));
		if (problem) {
			msgf(err, errlen, "%s:%d: %s", file, lineno, problem);
			conf_release(&c);
			return -1;
		}
		c.n++;
	}
	*out = c;
	return 0;
}

int conf_load(const char *file, struct conf *out, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = read_file(file, CONF_MAX, &len);

	if (!text) {
		if (errno == ENOENT) {
			*out = (struct conf){ .restart = RESTART_ON_FAILURE };
			return 0;
		}
		msgf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	return conf_parse(file, text, len, out, err, errlen);
}
