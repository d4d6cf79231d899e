// SPDX-License-Identifier: Apache-2.0
/*
 * Image references, checked against the grammar of the distribution project
 * (github.com/distribution/reference) and normalised as Docker does:
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path
 *   domain     := host [ ":" port ]      host: dns components or "[" ipv6 "]"
 *   path       := component ( "/" component )*
 *   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest     := algorithm ":" hex      (the store holds sha256 only)
 *
 * The first component is a registry when it holds a '.' or a ':', is
 * "localhost", or has upper-case letters; otherwise the registry is
 * docker.io, and a one-component path there lives under "library/".
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
	return isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '_');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool valid_tag(const char *t, size_t len)
{
	if (len == 0 || len > TAG_MAX_LEN || !is_word(t[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		if (!is_word(t[i]) && t[i] != '.' && t[i] != '-')
			return false;
	}
	return true;
}

/* One path component: alphanumeric runs joined by '.', '_', '__' or a run of '-'. */
static bool valid_component(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t run = 0;
		while (i < len && is_lower_alnum(s[i])) {
			i++;
			run++;
		}
		if (run == 0)
			return false;
		if (i == len)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < len && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < len && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == len)
			return false; /* a separator must be followed by a run */
	}
	return false;
}

static bool valid_path(const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '/') {
			if (!valid_component(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* A DNS-style host: components of [A-Za-z0-9] with inner '-', joined by '.'. */
static bool valid_dns_host(const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!isascii((unsigned char)s[i]) ||
			    !(isalnum((unsigned char)s[i]) || s[i] == '-'))
				return false;
			continue;
		}
		size_t n = i - start;
		if (n == 0 || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

static bool valid_domain(const char *s, size_t len)
{
	size_t host_len = len;

	if (len > 0 && s[0] == '[') {
		/* an IPv6 literal: "[" hex and ':' "]" */
		const char *close = memchr(s, ']', len);
		if (!close || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++) {
			if (!is_hex(*p) && *p != ':')
				return false;
		}
		host_len = (size_t)(close - s) + 1;
	} else {
		const char *colon = memchr(s, ':', len);
		if (colon)
			host_len = (size_t)(colon - s);
		if (!valid_dns_host(s, host_len))
			return false;
	}
	if (host_len == len)
		return true;
	if (s[host_len] != ':' || host_len + 1 == len)
		return false;
	for (size_t i = host_len + 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

static int check_digest(const char *ref, const char *d, struct uk_err *err)
{
	const char *colon = strchr(d, ':');

	/* algorithm := [A-Za-z][A-Za-z0-9]* ( [+._-] [A-Za-z][A-Za-z0-9]* )* */
	bool alg_ok = colon && colon > d;
	for (const char *p = d; alg_ok && p < colon; p++) {
		bool start = p == d || strchr("+._-", p[-1]);
		if (strchr("+._-", *p))
			alg_ok = !start && p + 1 < colon;
		else if (start)
			alg_ok = isascii((unsigned char)*p) && isalpha((unsigned char)*p);
		else
			alg_ok = isascii((unsigned char)*p) && isalnum((unsigned char)*p);
	}
	size_t hex_len = colon ? strlen(colon + 1) : 0;
	bool hex_ok = hex_len >= 32;
	for (size_t i = 0; hex_ok && i < hex_len; i++)
		hex_ok = is_hex(colon[1 + i]);
	if (!alg_ok || !hex_ok)
		return uk_err_setc(err, UK_ERR_INPUT, "invalid reference '%s': invalid digest '%s'",
				   ref, d);
	if ((size_t)(colon - d) != 6 || strncmp(d, "sha256", 6) != 0)
		return uk_err_setc(err, UK_ERR_INPUT,
				   "invalid reference '%s': unsupported digest algorithm '%.*s'",
				   ref, (int)(colon - d), d);
	if (!oci_digest_valid(d))
		return uk_err_setc(err, UK_ERR_INPUT,
				   "invalid reference '%s': digest '%s' is not 64 lowercase "
				   "hexadecimal digits",
				   ref, d);
	return 0;
}

static bool is_image_id(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (const char *p = s; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	}
	return true;
}

int oci_ref_parse(struct oci_ref *ref, const char *s, struct uk_err *err)
{
	_cleanup_free_ char *domain = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *tag = NULL;
	_cleanup_free_ char *digest = NULL;

	if (!*s)
		return uk_err_setc(err, UK_ERR_INPUT, "invalid reference '': empty reference");
	if (is_image_id(s))
		return uk_err_setc(err, UK_ERR_INPUT,
				   "invalid reference '%s': a 64-digit hexadecimal string is an "
				   "image id, not a name",
				   s);

	size_t name_len = strlen(s);
	const char *at = strchr(s, '@');
	if (at) {
		name_len = (size_t)(at - s);
		if (check_digest(s, at + 1, err) < 0)
			return -1;
		digest = xstrdup(at + 1);
	}
	/* a tag is what follows the last ':' after the last '/' */
	const char *colon = NULL;
	for (const char *p = s; p < s + name_len; p++) {
		if (*p == ':')
			colon = p;
		else if (*p == '/')
			colon = NULL;
	}
	if (colon) {
		size_t tag_len = (size_t)(s + name_len - colon - 1);
		if (!valid_tag(colon + 1, tag_len))
			return uk_err_setc(
				err, UK_ERR_INPUT,
				"invalid reference '%s': invalid tag '%.*s' (up to 128 "
				"letters, digits, '_', '.' and '-', not starting with '.' "
				"or '-')",
				s, (int)tag_len, colon + 1);
		tag = xstrndup(colon + 1, tag_len);
		name_len = (size_t)(colon - s);
	}
	if (name_len == 0)
		return uk_err_setc(err, UK_ERR_INPUT, "invalid reference '%s': no repository name",
				   s);

	const char *slash = memchr(s, '/', name_len);
	const char *rest = s;
	if (slash) {
		size_t n = (size_t)(slash - s);
		bool has_upper = false, has_dot_colon = false;
		for (size_t i = 0; i < n; i++) {
			has_upper |= s[i] >= 'A' && s[i] <= 'Z';
			has_dot_colon |= s[i] == '.' || s[i] == ':';
		}
		bool is_localhost = n == 9 && !strncmp(s, "localhost", 9);
		if (has_dot_colon || is_localhost || has_upper) {
			if (!valid_domain(s, n))
				return uk_err_setc(
					err, UK_ERR_INPUT,
					"invalid reference '%s': invalid registry '%.*s'", s,
					(int)n, s);
			domain = xstrndup(s, n);
			rest = slash + 1;
		}
	}
	size_t rest_len = name_len - (size_t)(rest - s);
	if (!domain || !strcmp(domain, "index.docker.io")) {
		free(domain);
		domain = xstrdup("docker.io");
	}
	if (!strcmp(domain, "docker.io") && !memchr(rest, '/', rest_len))
		path = xasprintf("library/%.*s", (int)rest_len, rest);
	else
		path = xstrndup(rest, rest_len);

	for (size_t i = 0; i < rest_len; i++) {
		if (rest[i] >= 'A' && rest[i] <= 'Z')
			return uk_err_setc(err, UK_ERR_INPUT,
					   "invalid reference '%s': repository name '%.*s' must be "
					   "lowercase",
					   s, (int)rest_len, rest);
	}
	if (rest_len == 0 || !valid_path(rest, rest_len))
		return uk_err_setc(err, UK_ERR_INPUT,
				   "invalid reference '%s': invalid repository name '%.*s'", s,
				   (int)rest_len, rest);
	if (strlen(domain) + 1 + strlen(path) > NAME_MAX_LEN)
		return uk_err_setc(err, UK_ERR_INPUT,
				   "invalid reference '%s': repository name is longer than %d "
				   "characters",
				   s, NAME_MAX_LEN);
	if (!tag && !digest)
		tag = xstrdup("latest");

	ref->domain = TAKE_PTR(domain);
	ref->path = TAKE_PTR(path);
	ref->tag = TAKE_PTR(tag);
	ref->digest = TAKE_PTR(digest);
	return 0;
}

void oci_ref_release(struct oci_ref *ref)
{
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	ref->domain = ref->path = ref->tag = ref->digest = NULL;
}

char *oci_ref_string(const struct oci_ref *ref)
{
	return xasprintf("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "",
			 ref->tag ? ref->tag : "", ref->digest ? "@" : "",
			 ref->digest ? ref->digest : "");
}
