/* SPDX-License-Identifier: Apache-2.0 */
/* What a kernel module (an ELF64 file from the root, so untrusted bytes) says it needs. */
#pragma once

#include <stdint.h>

#include "util/strbuf.h"

struct output_modinfo {
	struct strbuf depends; /* depends= names, one per line */
	struct strbuf pre;     /* softdep= "pre:" names, one per line */
	struct strbuf aliases; /* alias= values, one per line */
};

/*
 * Appends the module's .modinfo values to mi (initialised with STRBUF_INIT
 * members); a file that is not a well-formed ELF64 module adds nothing.
 */
void output_modinfo_read(const uint8_t *p, size_t len, struct output_modinfo *mi);
