// SPDX-License-Identifier: Apache-2.0
/*
 * JSON as LinuxKit writes config.json and runtime.json (Go's
 * json.MarshalIndent with four spaces): keys in insertion order, Go's string
 * escapes, and unsigned 64-bit integers (rlimits), which jansson cannot hold,
 * carried as marked strings.
 */
#include <stdio.h>
#include <string.h>

#include "rootfs/internal.h"
#include "util/strbuf.h"

/* "\0u64\0" followed by the digits: no YAML or JSON input reaches jansson with a NUL in it. */
static const char u64_mark[] = "\0u64";
#define U64_MARK_LEN 5

json_t *rootfs_json_u64(uint64_t v)
{
	char buf[U64_MARK_LEN + 21];

	if (v <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)v);
	memcpy(buf, u64_mark, U64_MARK_LEN);
	int n = snprintf(buf + U64_MARK_LEN, sizeof(buf) - U64_MARK_LEN, "%llu",
			 (unsigned long long)v);
	return json_stringn(buf, U64_MARK_LEN + (size_t)n);
}

static void dump_string(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	strbuf_addch(sb, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			strbuf_addstr(sb, "\\\"");
			continue;
		case '\\':
			strbuf_addstr(sb, "\\\\");
			continue;
		case '\n':
			strbuf_addstr(sb, "\\n");
			continue;
		case '\r':
			strbuf_addstr(sb, "\\r");
			continue;
		case '\t':
			strbuf_addstr(sb, "\\t");
			continue;
		default:
			break;
		}
		/* Go escapes control characters and, for HTML safety, < > & and U+2028/9 */
		if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			strbuf_addstr(sb, "\\u00");
			strbuf_addch(sb, hex[c >> 4]);
			strbuf_addch(sb, hex[c & 15]);
		} else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
			strbuf_addstr(sb, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
			i += 2;
		} else {
			strbuf_addch(sb, (char)c);
		}
	}
	strbuf_addch(sb, '"');
}

static void indent(struct strbuf *sb, unsigned depth)
{
	strbuf_addch(sb, '\n');
	for (unsigned i = 0; i < depth; i++)
		strbuf_addstr(sb, "    ");
}

static void dump(struct strbuf *sb, const json_t *j, unsigned depth)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *v;
		bool first = true;
		if (json_object_size(j) == 0) {
			strbuf_addstr(sb, "{}");
			break;
		}
		strbuf_addch(sb, '{');
		json_object_foreach((json_t *)j, key, v)
		{
			if (!first)
				strbuf_addch(sb, ',');
			first = false;
			indent(sb, depth + 1);
			dump_string(sb, key, strlen(key));
			strbuf_addstr(sb, ": ");
			dump(sb, v, depth + 1);
		}
		indent(sb, depth);
		strbuf_addch(sb, '}');
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;
		if (json_array_size(j) == 0) {
			strbuf_addstr(sb, "[]");
			break;
		}
		strbuf_addch(sb, '[');
		json_array_foreach(j, i, v)
		{
			if (i)
				strbuf_addch(sb, ',');
			indent(sb, depth + 1);
			dump(sb, v, depth + 1);
		}
		indent(sb, depth);
		strbuf_addch(sb, ']');
		break;
	}
	case JSON_STRING: {
		const char *s = json_string_value(j);
		size_t len = json_string_length(j);
		if (len > U64_MARK_LEN && memcmp(s, u64_mark, U64_MARK_LEN) == 0)
			strbuf_add(sb, s + U64_MARK_LEN, len - U64_MARK_LEN);
		else
			dump_string(sb, s, len);
		break;
	}
	case JSON_INTEGER:
		strbuf_addf(sb, "%lld", (long long)json_integer_value(j));
		break;
	case JSON_REAL:
		strbuf_addf(sb, "%.17g", json_real_value(j));
		break;
	case JSON_TRUE:
		strbuf_addstr(sb, "true");
		break;
	case JSON_FALSE:
		strbuf_addstr(sb, "false");
		break;
	case JSON_NULL:
		strbuf_addstr(sb, "null");
		break;
	}
}

char *rootfs_json_dump(const json_t *j)
{
	struct strbuf sb = STRBUF_INIT;

	dump(&sb, j, 0);
	return strbuf_detach(&sb, NULL);
}
