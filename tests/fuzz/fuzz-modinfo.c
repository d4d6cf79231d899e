// SPDX-License-Identifier: Apache-2.0
/* The .modinfo reader of the boot initramfs (src/output/modinit.c) on any bytes. */
#include <stdint.h>
#include <string.h>

#include "output/modinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct output_modinfo mi = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };

	output_modinfo_read(data, size, &mi);
	/* every value is a list of lines, each a non-empty word */
	BUG_ON(mi.depends.len && mi.depends.buf[mi.depends.len - 1] != '\n');
	BUG_ON(strstr(mi.pre.buf, "\n\n") != NULL);
	strbuf_release(&mi.depends);
	strbuf_release(&mi.pre);
	strbuf_release(&mi.aliases);
	return 0;
}
