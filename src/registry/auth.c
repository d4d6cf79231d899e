// SPDX-License-Identifier: Apache-2.0
/* WWW-Authenticate challenges (RFC 7235) as registries send them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

void reg_challenge_release(struct reg_challenge *ch)
{
	free(ch->scheme);
	free(ch->realm);
	free(ch->service);
	free(ch->scope);
	free(ch->error);
	memset(ch, 0, sizeof(*ch));
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Reads a token or a quoted string (with \-escapes); returns the end or NULL. */
static const char *read_value(const char *s, char **out)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			strbuf_addch(&sb, *s);
		}
		if (*s != '"')
			return NULL;
		s++;
	} else {
		for (; *s && *s != ',' && *s != ' ' && *s != '\t'; s++)
			strbuf_addch(&sb, *s);
	}
	*out = strbuf_detach(&sb, NULL);
	return s;
}

int reg_challenge_parse(const char *header, struct reg_challenge *ch)
{
	const char *s = skip_space(header);
	size_t n = 0;

	memset(ch, 0, sizeof(*ch));
	while (s[n] && s[n] != ' ' && s[n] != '\t')
		n++;
	if (n == 0)
		return -1;
	ch->scheme = xstrndup(s, n);
	for (char *p = ch->scheme; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	s = skip_space(s + n);
	while (*s) {
		size_t klen = strcspn(s, "=, \t");
		if (s[klen] != '=') {
			/* Another challenge follows, or a token68: the first challenge is complete.
			 */
			if (klen == 0 && *s == ',') {
				s = skip_space(s + 1);
				continue;
			}
			break;
		}
		_cleanup_free_ char *key = xstrndup(s, klen);
		_cleanup_free_ char *val = NULL;
		s = read_value(skip_space(s + klen + 1), &val);
		if (!s) {
			reg_challenge_release(ch);
			return -1;
		}
		char **slot = NULL;
		if (!strcasecmp(key, "realm"))
			slot = &ch->realm;
		else if (!strcasecmp(key, "service"))
			slot = &ch->service;
		else if (!strcasecmp(key, "scope"))
			slot = &ch->scope;
		else if (!strcasecmp(key, "error"))
			slot = &ch->error;
		if (slot && !*slot)
			*slot = TAKE_PTR(val);
		s = skip_space(s);
		if (*s == ',')
			s = skip_space(s + 1);
	}
	if (!strcmp(ch->scheme, "bearer") && (!ch->realm || !*ch->realm)) {
		reg_challenge_release(ch);
		return -1;
	}
	return 0;
}
