// SPDX-License-Identifier: Apache-2.0
#include "util/size.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char suffixes[] = "KMGT"; /* suffixes[i] is enum size_unit i + 1 */

/* The hint after "unknown unit", by the unit of a bare number. */
static const char *const unit_hints[] = {
	[SIZE_BYTES] = "use K, M, G or T; no unit is bytes",
	[SIZE_KIB] = "use K, M, G or T; no unit is K",
	[SIZE_MIB] = "use M, G or T; no unit is M",
	[SIZE_GIB] = "use G or T; no unit is G",
	[SIZE_TIB] = "use T; no unit is T",
};

static bool all_alpha(const char *s)
{
	for (; *s; s++) {
		if (!isalpha((unsigned char)*s))
			return false;
	}
	return true;
}

/* The unit that suffix names, or -1; "" is the unit of a bare number. */
static int suffix_unit(const char *suffix, enum size_unit unit)
{
	const char *p;

	if (!*suffix)
		return (int)unit;
	p = strchr(suffixes, toupper((unsigned char)suffix[0]));
	if (!p)
		return -1;
	if (suffix[1] && strcasecmp(suffix + 1, "b") != 0 && strcasecmp(suffix + 1, "ib") != 0)
		return -1;
	return (int)(p - suffixes) + 1;
}

int size_parse(const char *s, enum size_unit unit, uint64_t *bytes, struct uk_err *err)
{
	size_t ndigits = strspn(s, "0123456789");
	const char *suffix = s + ndigits;
	uint64_t v = 0;
	int u;

	BUG_ON(unit > SIZE_TIB);
	if (ndigits == 0)
		return uk_err_setc(err, UK_ERR_INPUT, "size '%s': not a positive number", s);
	u = suffix_unit(suffix, unit);
	if (u < (int)unit) {
		/* "1X" names a unit we do not know; "1.5G" and "1 G" are not numbers */
		if (all_alpha(suffix))
			return uk_err_setc(err, UK_ERR_INPUT, "size '%s': unknown unit (%s)", s,
					   unit_hints[unit]);
		return uk_err_setc(err, UK_ERR_INPUT, "size '%s': not a positive number", s);
	}
	for (size_t i = 0; i < ndigits; i++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return uk_err_setc(err, UK_ERR_INPUT, "size '%s': too large", s);
	}
	if (v == 0)
		return uk_err_setc(err, UK_ERR_INPUT, "size '%s': not a positive number", s);
	if (v > (uint64_t)INT64_MAX >> (10 * u))
		return uk_err_setc(err, UK_ERR_INPUT, "size '%s': too large", s);
	*bytes = v << (10 * u);
	return 0;
}
