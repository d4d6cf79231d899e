// SPDX-License-Identifier: Apache-2.0
/*
 * The spec back to YAML (`build -dry-run`, and `files` entries with
 * `metadata: yaml`), with libyaml's emitter, keys in LinuxKit's order (the
 * schema's). A string that would read back as something else ("true", "0644",
 * "~", "") is double-quoted; a multi-line one is a literal block. The output
 * parses back to the same spec.
 */
#include <errno.h>
#include <inttypes.h>
#include <yaml.h>

#include "spec/internal.h"
#include "spec/spec.h"

struct emit {
	yaml_emitter_t em;
};

static int emit_event(struct emit *e, yaml_event_t *ev)
{
	return yaml_emitter_emit(&e->em, ev) ? 0 : -1;
}

/* Whether a YAML 1.1 reader (PyYAML, old Go yaml) would take s for a non-string. */
static bool yaml11_special(const char *s, size_t len)
{
	static const char *const words[] = { "y",  "Y",	  "yes", "Yes", "YES", "n",
					     "N",  "no",  "No",	 "NO",	"on",  "On",
					     "ON", "off", "Off", "OFF", "<<",  "=" };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (strlen(words[i]) == len && !memcmp(s, words[i], len))
			return true;
	}
	/* sexagesimal and other number forms: digits with ':', '_', '.' */
	if (len && (s[0] == '+' || s[0] == '-' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9')) &&
	    strpbrk(s, "0123456789"))
		return strspn(s, "0123456789abcdefABCDEFxXoObB_:.+-") == len;
	return false;
}

static int emit_string(struct emit *e, const char *s, size_t len)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	yaml_event_t ev;
	bool b;
	int64_t i;
	bool range;

	if (memchr(s, '\n', len))
		style = YAML_LITERAL_SCALAR_STYLE;
	else if (yscalar_resolve_plain(s, len, &b, &i, &range) != YS_STR || yaml11_special(s, len))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style);
	return emit_event(e, &ev);
}

static int emit_plain(struct emit *e, const char *s)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
				     YAML_PLAIN_SCALAR_STYLE);
	return emit_event(e, &ev);
}

static int emit_scalar(struct emit *e, const json_t *v)
{
	char num[32];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return emit_string(e, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_plain(e, num);
	case JSON_TRUE:
		return emit_plain(e, "true");
	case JSON_FALSE:
		return emit_plain(e, "false");
	default:
		return emit_plain(e, "null");
	}
}

static int seq_start(struct emit *e)
{
	yaml_event_t ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	return emit_event(e, &ev);
}

static int seq_end(struct emit *e)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	return emit_event(e, &ev);
}

static int map_start(struct emit *e)
{
	yaml_event_t ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	return emit_event(e, &ev);
}

static int map_end(struct emit *e)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	return emit_event(e, &ev);
}

static int emit_object(struct emit *e, const struct spec_schema *s, const json_t *obj);

static int emit_value(struct emit *e, const struct spec_field *f, const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	switch (f->type) {
	case T_STRING:
	case T_BOOL:
	case T_INT:
	case T_ID:
		return emit_scalar(e, v);
	case T_OBJECT:
		return emit_object(e, f->schema, v);
	case T_STRINGS:
	case T_IDS:
	case T_OBJECTS:
		if (seq_start(e) < 0)
			return -1;
		json_array_foreach(v, i, item)
		{
			int r = f->type == T_OBJECTS ? emit_object(e, f->schema, item)
						     : emit_scalar(e, item);
			if (r < 0)
				return -1;
		}
		return seq_end(e);
	case T_STRMAP:
	case T_OBJMAP:
		if (map_start(e) < 0)
			return -1;
		json_object_foreach((json_t *)v, key, item)
		{
			if (emit_string(e, key, strlen(key)) < 0)
				return -1;
			int r = f->type == T_OBJMAP ? emit_object(e, f->schema, item)
						    : emit_scalar(e, item);
			if (r < 0)
				return -1;
		}
		return map_end(e);
	}
	return -1;
}

static int emit_object(struct emit *e, const struct spec_schema *s, const json_t *obj)
{
	if (map_start(e) < 0)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		const struct spec_field *f = &s->fields[i];
		const json_t *v;

		if (f->alias_of || !(v = json_object_get(obj, f->key)))
			continue;
		if (emit_string(e, f->key, strlen(f->key)) < 0 || emit_value(e, f, v) < 0)
			return -1;
	}
	return map_end(e);
}

static int emit_document(struct emit *e, const json_t *root)
{
	yaml_event_t ev;

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit_event(e, &ev) < 0)
		return -1;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (emit_event(e, &ev) < 0 || emit_object(e, &spec_schema_top, root) < 0)
		return -1;
	yaml_document_end_event_initialize(&ev, 1);
	if (emit_event(e, &ev) < 0)
		return -1;
	yaml_stream_end_event_initialize(&ev);
	return emit_event(e, &ev);
}

int spec_write_yaml(const struct spec *spec, FILE *out, struct uk_err *err)
{
	struct emit e;
	int r;

	if (!yaml_emitter_initialize(&e.em))
		uk_bug(__FILE__, __LINE__, "libyaml: out of memory");
	yaml_emitter_set_output_file(&e.em, out);
	yaml_emitter_set_unicode(&e.em, 1);
	yaml_emitter_set_width(&e.em, -1);
	yaml_emitter_set_indent(&e.em, 2);
	errno = 0;
	r = emit_document(&e, spec->root);
	if (r == 0 && !yaml_emitter_flush(&e.em))
		r = -1;
	if (r < 0) {
		if (e.em.error == YAML_WRITER_ERROR)
			uk_err_errno(err, "write the spec as YAML");
		else
			uk_err_set(err, "write the spec as YAML: %s",
				   e.em.problem ? e.em.problem : "emitter error");
	}
	yaml_emitter_delete(&e.em);
	if (r == 0 && fflush(out) != 0)
		return uk_err_errno(err, "write the spec as YAML");
	return r;
}
