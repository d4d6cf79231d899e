// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: init's init.conf parser (init/conf.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char err[256];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (conf_parse("fuzz", text, size, &c, err, sizeof(err)) == 0)
		conf_release(&c);
	return 0;
}
