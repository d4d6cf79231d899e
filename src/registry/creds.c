// SPDX-License-Identifier: Apache-2.0
/*
 * Registry credentials: UNIKIT_REGISTRY_AUTH for CI, then Docker's config
 * file with its credential helpers. Secrets stay in struct reg_cred and go
 * nowhere else: no error message here quotes a value read from these sources.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/internal.h"
#include "util/fs.h"
#include "util/proc.h"

#define DOCKER_CONFIG_MAX (1u << 20)
#define HELPER_OUT_MAX (64u << 10)

void reg_cred_release(struct reg_cred *cred)
{
	if (cred->secret)
		explicit_bzero(cred->secret, strlen(cred->secret));
	free(cred->user);
	free(cred->secret);
	cred->user = NULL;
	cred->secret = NULL;
	cred->identity_token = false;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *reg_base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64_chars[(v >> 18) & 63];
		*o++ = b64_chars[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64_chars[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;
	return p ? (int)(p - b64_chars) : -1;
}

char *reg_base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *out = xmalloc(n / 4 * 3 + 4), *o = out;
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n && s[i] != '='; i++) {
		int v = b64_value(s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((acc >> bits) & 0xff);
		}
	}
	for (; i < n; i++) {
		if (s[i] != '=') {
			free(out);
			return NULL;
		}
	}
	*o = '\0';
	if (len)
		*len = (size_t)(o - out);
	return out;
}

char *reg_host_normalise(const char *s)
{
	if (str_has_prefix(s, "https://"))
		s += 8;
	else if (str_has_prefix(s, "http://"))
		s += 7;
	size_t n = strcspn(s, "/");
	char *host = xstrndup(s, n);
	if (!strcmp(host, "index.docker.io") || !strcmp(host, "registry-1.docker.io") ||
	    !strcmp(host, "registry.hub.docker.com")) {
		free(host);
		host = xstrdup("docker.io");
	}
	return host;
}

static bool host_matches(const char *key, size_t key_len, const char *registry)
{
	_cleanup_free_ char *k = xstrndup(key, key_len);
	_cleanup_free_ char *norm = reg_host_normalise(k);
	return strcmp(norm, registry) == 0;
}

/* Copies up to an unescaped stop character, undoing '\' escapes; returns the end. */
static const char *env_field(const char *s, const char *stops, char **out)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	for (; *s && !strchr(stops, *s); s++) {
		if (*s == '\\' && s[1])
			s++;
		strbuf_addch(&sb, *s);
	}
	*out = strbuf_detach(&sb, NULL);
	return s;
}

int reg_cred_from_env(const char *value, const char *registry, struct reg_cred *cred,
		      struct uk_err *err)
{
	const char *s = value;
	int entry = 0;

	while (*s) {
		_cleanup_free_ char *host = NULL, *user = NULL, *secret = NULL;
		entry++;
		while (*s == ',' || *s == '\n' || *s == ' ')
			s++;
		if (!*s)
			break;
		s = env_field(s, "=,\n", &host);
		if (*s != '=')
			return uk_err_setc(
				err, UK_ERR_INPUT,
				"UNIKIT_REGISTRY_AUTH: entry %d: expected HOST=USER:PASSWORD",
				entry);
		s = env_field(s + 1, ":,\n", &user);
		if (*s != ':')
			return uk_err_setc(
				err, UK_ERR_INPUT,
				"UNIKIT_REGISTRY_AUTH: entry %d ('%s'): expected HOST=USER:PASSWORD",
				entry, host);
		s = env_field(s + 1, ",\n", &secret);
		if (!*host || !*user)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "UNIKIT_REGISTRY_AUTH: entry %d: empty host or user",
					   entry);
		if (!cred->user && host_matches(host, strlen(host), registry)) {
			cred->user = TAKE_PTR(user);
			cred->secret = TAKE_PTR(secret);
		} else if (secret) {
			explicit_bzero(secret, strlen(secret));
		}
	}
	return 0;
}

static int cred_from_auths_entry(json_t *entry, const char *path, const char *key,
				 struct reg_cred *cred, struct uk_err *err)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	const char *user = json_string_value(json_object_get(entry, "username"));
	const char *pass = json_string_value(json_object_get(entry, "password"));
	const char *identity = json_string_value(json_object_get(entry, "identitytoken"));

	if (identity && *identity) {
		cred->user = xstrdup(user && *user ? user : "<token>");
		cred->secret = xstrdup(identity);
		cred->identity_token = true;
		return 0;
	}
	if (auth && *auth) {
		size_t len;
		_cleanup_free_ char *plain = reg_base64_decode(auth, &len);
		char *colon = plain ? memchr(plain, ':', len) : NULL;
		if (!colon) {
			if (plain)
				explicit_bzero(plain, len);
			return uk_err_setc(
				err, UK_ERR_INPUT,
				"'%s': auths '%s': 'auth' is not base64 of USER:PASSWORD", path,
				key);
		}
		cred->user = xstrndup(plain, (size_t)(colon - plain));
		cred->secret = xstrdup(colon + 1);
		explicit_bzero(plain, len);
		return 0;
	}
	if (user && *user && pass) {
		cred->user = xstrdup(user);
		cred->secret = xstrdup(pass);
	}
	return 0;
}

int reg_cred_from_docker_config(const char *json, const char *path, const char *registry,
				struct reg_cred *cred, char **helper, struct uk_err *err)
{
	json_error_t jerr;
	json_t *root = json_loads(json, 0, &jerr);
	const char *key;
	json_t *val;
	int rc = 0;

	*helper = NULL;
	if (!root)
		return uk_err_setc(err, UK_ERR_INPUT, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				   jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return uk_err_setc(err, UK_ERR_INPUT, "'%s': not a JSON object", path);
	}
	json_object_foreach(json_object_get(root, "credHelpers"), key, val)
	{
		if (json_is_string(val) && host_matches(key, strlen(key), registry)) {
			*helper = xstrdup(json_string_value(val));
			goto out;
		}
	}
	json_object_foreach(json_object_get(root, "auths"), key, val)
	{
		if (json_is_object(val) && host_matches(key, strlen(key), registry)) {
			rc = cred_from_auths_entry(val, path, key, cred, err);
			if (rc < 0 || cred->user)
				goto out;
		}
	}
	const char *store = json_string_value(json_object_get(root, "credsStore"));
	if (store && *store)
		*helper = xstrdup(store);
out:
	json_decref(root);
	return rc;
}

/* What a helper is asked for: Docker Hub's credentials are kept under its v1 URL. */
static const char *helper_server_url(const char *registry)
{
	return strcmp(registry, "docker.io") == 0 ? "https://index.docker.io/v1/" : registry;
}

int reg_cred_from_helper(const char *helper, const char *registry, struct reg_cred *cred,
			 struct uk_err *err)
{
	_cleanup_free_ char *prog = xasprintf("docker-credential-%s", helper);
	_cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
	struct proc_opts po = PROC_OPTS_INIT;
	const char *server = helper_server_url(registry);
	const char *argv[] = { prog, "get", NULL };
	int pfd[2];
	int rc;

	if (strchr(helper, '/'))
		return uk_err_setc(err, UK_ERR_INPUT, "credential helper '%s': invalid name",
				   helper);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return uk_err_errno(err, "credential helper '%s': pipe", prog);
	/* The server name is far below the pipe's capacity: write it all before the child runs. */
	if (xwrite_all(pfd[1], server, strlen(server)) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return uk_err_errno(err, "credential helper '%s': write", prog);
	}
	close(pfd[1]);
	po.stdin_fd = pfd[0];
	po.out = &out;
	po.out_max = HELPER_OUT_MAX;
	struct uk_err perr = { 0 };
	rc = proc_run(argv, &po, &perr);
	close(pfd[0]);
	if (rc < 0) {
		/* Helpers say "credentials not found" on stdout and exit 1: that is no credentials.
		 */
		bool not_found = strstr(out.buf, "not found") != NULL;
		explicit_bzero(out.buf, out.len);
		if (not_found) {
			uk_err_release(&perr);
			return 0;
		}
		/* The helper's own message may echo what it read; keep only what failed. */
		uk_err_release(&perr);
		return uk_err_set(err, "credential helper '%s' failed for '%s'", prog, registry);
	}
	json_t *root = json_loadb(out.buf, out.len, 0, NULL);
	explicit_bzero(out.buf, out.len);
	const char *user = json_string_value(json_object_get(root, "Username"));
	const char *secret = json_string_value(json_object_get(root, "Secret"));
	if (!user || !secret) {
		json_decref(root);
		return uk_err_set(err,
				  "credential helper '%s': output is not {\"Username\",\"Secret\"}",
				  prog);
	}
	cred->user = xstrdup(user);
	cred->secret = xstrdup(secret);
	cred->identity_token = strcmp(user, "<token>") == 0;
	json_decref(root);
	return 0;
}

static char *docker_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	if (dir && *dir)
		return xasprintf("%s/config.json", dir);
	const char *home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	return xasprintf("%s/.docker/config.json", home);
}

int reg_cred_lookup(const char *registry, struct reg_cred *cred, struct uk_err *err)
{
	const char *env = getenv("UNIKIT_REGISTRY_AUTH");
	_cleanup_free_ char *path = NULL, *text = NULL, *helper = NULL;

	if (env && *env) {
		if (reg_cred_from_env(env, registry, cred, err) < 0)
			return -1;
		if (cred->user)
			return 0;
	}
	path = docker_config_path();
	if (!path || access(path, F_OK) < 0)
		return 0;
	if (fs_read_file(path, DOCKER_CONFIG_MAX, &text, NULL, err) < 0)
		return -1;
	int rc = reg_cred_from_docker_config(text, path, registry, cred, &helper, err);
	explicit_bzero(text, strlen(text));
	if (rc < 0)
		return -1;
	if (!cred->user && helper)
		return reg_cred_from_helper(helper, registry, cred, err);
	return 0;
}
