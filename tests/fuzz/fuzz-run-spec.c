// SPDX-License-Identifier: Apache-2.0
/*
 * The parsers of `unikit run`: option values (-disk, -publish, -networking,
 * sizes, MAC addresses) and the image format and kind detection, on any bytes.
 * The first byte picks the parser; the rest is its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "util/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_value(uint8_t which, const char *s)
{
	struct uk_err err = { 0 };
	struct run_disk d;
	struct run_publish p;
	enum run_net_mode mode;
	char *ifname = NULL;
	uint64_t bytes;
	uint8_t mac[6];

	switch (which % 5) {
	case 0:
		if (run_disk_parse(s, &d, &err) == 0) {
			BUG_ON(!d.path && !d.size_mb);
			run_disk_release(&d);
		}
		break;
	case 1:
		if (run_publish_parse(s, &p, &err) == 0)
			BUG_ON(p.host_port == 0 || p.guest_port == 0);
		break;
	case 2:
		if (run_net_parse(s, &mode, &ifname, &err) == 0)
			free(ifname);
		break;
	case 3:
		for (enum size_unit u = SIZE_BYTES; u <= SIZE_TIB; u++) {
			if (size_parse(s, u, &bytes, &err) == 0)
				BUG_ON(bytes == 0 || bytes > INT64_MAX ||
				       bytes % (1ull << (10 * u)));
			uk_err_release(&err);
		}
		break;
	case 4:
		if (run_mac_parse(s, mac) == 0) {
			char out[18];
			run_mac_format(mac, out);
		}
		break;
	}
	uk_err_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 0x80) {
		/* image detection on the raw bytes, the tail being the last 512 */
		const uint8_t *tail = size - 1 >= 1024 ? data + size - 512 : NULL;
		const char *format = run_format_detect(data + 1, size - 1, tail, tail ? 512 : 0);
		BUG_ON(!format);
		(void)run_format_is_iso(data + 1, size - 1);
		(void)run_format_is_efi_app(data + 1, size - 1);
		return 0;
	}
	char *s = xstrndup((const char *)data + 1, size - 1);
	parse_value(data[0], s);
	free(s);
	return 0;
}
