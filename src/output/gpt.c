// SPDX-License-Identifier: Apache-2.0
#include "output/gpt.h"

#include <string.h>
#include <unistd.h>

#include "output/disk.h"

#define GPT_ENTRIES 128u
#define GPT_ENTRY_SIZE 128u
#define GPT_ARRAY_SECTORS (GPT_ENTRIES * GPT_ENTRY_SIZE / OUTPUT_SECTOR) /* 32 */

const uint8_t output_gpt_type_esp[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
					  0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };

uint32_t output_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = buf;

	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint64_t output_gpt_first_usable(void)
{
	return 2 + GPT_ARRAY_SECTORS;
}

uint64_t output_gpt_last_usable(uint64_t disk_bytes)
{
	return disk_bytes / OUTPUT_SECTOR - 2 - GPT_ARRAY_SECTORS;
}

static void header(uint8_t *h, uint64_t self, uint64_t other, uint64_t disk_bytes,
		   const uint8_t guid[16], uint64_t array_lba, uint32_t array_crc)
{
	memset(h, 0, OUTPUT_SECTOR);
	memcpy(h, "EFI PART", 8);
	output_le32(h + 8, 0x00010000); /* revision 1.0 */
	output_le32(h + 12, 92);	/* header size */
	output_le64(h + 24, self);
	output_le64(h + 32, other);
	output_le64(h + 40, output_gpt_first_usable());
	output_le64(h + 48, output_gpt_last_usable(disk_bytes));
	memcpy(h + 56, guid, 16);
	output_le64(h + 72, array_lba);
	output_le32(h + 80, GPT_ENTRIES);
	output_le32(h + 84, GPT_ENTRY_SIZE);
	output_le32(h + 88, array_crc);
	output_le32(h + 16, output_crc32(0, h, 92));
}

static int put(int fd, const void *buf, size_t len, uint64_t lba, struct uk_err *err)
{
	if (pwrite(fd, buf, len, (off_t)(lba * OUTPUT_SECTOR)) != (ssize_t)len)
		return uk_err_errno(err, "write the partition table");
	return 0;
}

int output_gpt_write(int fd, uint64_t disk_bytes, const uint8_t disk_guid[16],
		     const struct output_gpt_part *parts, size_t n, struct uk_err *err)
{
	uint8_t array[GPT_ENTRIES * GPT_ENTRY_SIZE] = { 0 };
	uint8_t hdr[OUTPUT_SECTOR];
	uint64_t last = disk_bytes / OUTPUT_SECTOR - 1;

	BUG_ON(n > GPT_ENTRIES || disk_bytes % OUTPUT_SECTOR);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = array + i * GPT_ENTRY_SIZE;
		if (parts[i].first_lba < output_gpt_first_usable() ||
		    parts[i].last_lba > output_gpt_last_usable(disk_bytes) ||
		    parts[i].last_lba < parts[i].first_lba)
			return uk_err_set(err, "partition %zu does not fit on the disk", i + 1);
		memcpy(e, parts[i].type, 16);
		memcpy(e + 16, parts[i].guid, 16);
		output_le64(e + 32, parts[i].first_lba);
		output_le64(e + 40, parts[i].last_lba);
		output_le64(e + 48, parts[i].attrs);
		for (size_t k = 0; parts[i].name && parts[i].name[k] && k < 36; k++)
			output_le16(e + 56 + 2 * k, (uint8_t)parts[i].name[k]);
	}
	uint32_t array_crc = output_crc32(0, array, sizeof(array));

	struct output_mbr_part pmbr = {
		.type = 0xee,
		.lba_start = 1,
		.lba_count = last,
	};
	if (output_mbr_write(fd, NULL, 0, &pmbr, 1, err) < 0)
		return -1;
	/* the protective entry's CHS start is 0/0/2 and its end is the maximum */
	header(hdr, 1, last, disk_bytes, disk_guid, 2, array_crc);
	if (put(fd, hdr, sizeof(hdr), 1, err) < 0 || put(fd, array, sizeof(array), 2, err) < 0)
		return -1;
	header(hdr, last, 1, disk_bytes, disk_guid, last - GPT_ARRAY_SECTORS, array_crc);
	if (put(fd, array, sizeof(array), last - GPT_ARRAY_SECTORS, err) < 0 ||
	    put(fd, hdr, sizeof(hdr), last, err) < 0)
		return -1;
	return 0;
}
