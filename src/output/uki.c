// SPDX-License-Identifier: Apache-2.0
/*
 * Unified kernel images: systemd's EFI stub with the kernel, the initramfs,
 * the command line and an os-release added as PE sections (.linux, .initrd,
 * .cmdline, .osrel), the layout systemd-stub and ukify use. The sections are
 * written here rather than with objcopy: the PE headers are simple, and
 * writing them directly keeps the file byte-for-byte reproducible.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/boot.h"
#include "output/disk.h"
#include "output/tool.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define PE_SECTION_HEADER 40u
#define SCN_INITIALIZED_DATA 0x00000040u
#define SCN_MEM_READ 0x40000000u
/* Our sections start on page boundaries (the stub's own alignment may be smaller). */
#define UKI_SECTION_ALIGN 4096u

/* Fields of the PE32+ optional header, by offset from its start. */
enum {
	OPT_MAGIC = 0,
	OPT_SIZE_OF_INIT_DATA = 8,
	OPT_SECTION_ALIGN = 32,
	OPT_FILE_ALIGN = 36,
	OPT_SIZE_OF_IMAGE = 56,
	OPT_SIZE_OF_HEADERS = 60,
	OPT_CHECKSUM = 64,
	OPT_NUM_DIRS = 108,
	OPT_DIRS = 112,
};
#define DIR_SECURITY 4

struct pe_sum {
	uint64_t sum;
};

static void sum_add(struct pe_sum *s, const uint8_t *p, size_t len, uint64_t off)
{
	/* little-endian 16-bit words, wherever the buffer starts */
	size_t i = 0;
	if (off & 1 && len) {
		s->sum += (uint64_t)p[0] << 8;
		i = 1;
	}
	for (; i + 1 < len; i += 2)
		s->sum += output_get_le16(p + i);
	if (i < len)
		s->sum += p[i];
	s->sum = (s->sum & 0xffffffffu) + (s->sum >> 32);
}

static uint32_t sum_final(struct pe_sum *s, uint64_t file_len)
{
	uint64_t v = s->sum;
	while (v >> 16)
		v = (v & 0xffff) + (v >> 16);
	return (uint32_t)(v + file_len);
}

static int write_summed(int fd, const void *buf, size_t len, struct pe_sum *s, uint64_t *off,
			struct uk_err *err)
{
	if (xwrite_all(fd, buf, len) < 0)
		return uk_err_errno(err, "write the EFI image");
	sum_add(s, buf, len, *off);
	*off += len;
	return 0;
}

static int section_size(const struct output_pe_section *s, uint64_t *len, struct uk_err *err)
{
	if (!s->path) {
		*len = s->len;
		return 0;
	}
	return output_file_size(s->path, len, err);
}

static int write_section(int fd, const struct output_pe_section *s, struct pe_sum *sum,
			 uint64_t *off, struct uk_err *err)
{
	if (!s->path)
		return write_summed(fd, s->data, s->len, sum, off, err);
	_cleanup_close_ int in = open(s->path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return uk_err_errno(err, "open '%s'", s->path);
	_cleanup_free_ uint8_t *buf = xmalloc(1 << 20);
	for (;;) {
		ssize_t n = xread_all(in, buf, 1 << 20);
		if (n < 0)
			return uk_err_errno(err, "read '%s'", s->path);
		if (write_summed(fd, buf, (size_t)n, sum, off, err) < 0)
			return -1;
		if (n < (1 << 20))
			return 0;
	}
}

static int pad_to(int fd, uint64_t target, struct pe_sum *sum, uint64_t *off, struct uk_err *err)
{
	static const uint8_t zeros[4096];
	while (*off < target) {
		size_t n = target - *off < sizeof(zeros) ? (size_t)(target - *off) : sizeof(zeros);
		if (write_summed(fd, zeros, n, sum, off, err) < 0)
			return -1;
	}
	return 0;
}

int output_pe_add_sections(const char *stub, const struct output_pe_section *s, size_t n,
			   int out_fd, struct uk_err *err)
{
	_cleanup_free_ char *raw = NULL;
	size_t len = 0;

	if (output_tool_file(stub, err) < 0 || fs_read_file(stub, 16 << 20, &raw, &len, err) < 0)
		return -1;
	uint8_t *img = (uint8_t *)raw;
	if (len < 0x40 || img[0] != 'M' || img[1] != 'Z')
		goto bad;
	uint32_t pe = output_get_le32(img + 0x3c);
	if (pe > len - 24 || memcmp(img + pe, "PE\0\0", 4) != 0)
		goto bad;
	uint8_t *coff = img + pe + 4;
	uint16_t nsect = output_get_le16(coff + 2);
	uint16_t opt_size = output_get_le16(coff + 16);
	uint8_t *opt = coff + 20;
	if ((size_t)(opt - img) + opt_size > len || opt_size < OPT_DIRS ||
	    output_get_le16(opt + OPT_MAGIC) != 0x20b)
		goto bad;
	uint8_t *sect = opt + opt_size;
	size_t table_end = (size_t)(sect - img) + (size_t)(nsect + n) * PE_SECTION_HEADER;
	uint32_t sect_align = output_get_le32(opt + OPT_SECTION_ALIGN);
	uint32_t file_align = output_get_le32(opt + OPT_FILE_ALIGN);
	uint32_t headers = output_get_le32(opt + OPT_SIZE_OF_HEADERS);
	if (!sect_align || !file_align || (size_t)(sect - img) + nsect * PE_SECTION_HEADER > len)
		goto bad;
	if (table_end > headers)
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "EFI stub '%s' has no room for %zu more section headers", stub,
				   n);
	/* the stub ends with its last section; a signature or symbols after it are dropped */
	uint64_t file_end = headers, vm_end = 0;
	for (uint16_t i = 0; i < nsect; i++) {
		const uint8_t *h = sect + i * PE_SECTION_HEADER;
		uint64_t raw_end = (uint64_t)output_get_le32(h + 20) + output_get_le32(h + 16);
		uint64_t v_end = (uint64_t)output_get_le32(h + 12) + output_get_le32(h + 8);
		if (raw_end > len)
			goto bad;
		if (raw_end > file_end)
			file_end = raw_end;
		if (v_end > vm_end)
			vm_end = v_end;
	}
	if (output_get_le32(opt + OPT_NUM_DIRS) > DIR_SECURITY)
		memset(opt + OPT_DIRS + 8 * DIR_SECURITY, 0, 8);

	uint64_t lens[8], vaddr[8], fpos[8];
	uint64_t fcur = output_align(file_end, file_align);
	uint64_t vcur = output_align(vm_end, UKI_SECTION_ALIGN);
	uint32_t init_data = output_get_le32(opt + OPT_SIZE_OF_INIT_DATA);
	BUG_ON(n > ARRAY_SIZE(lens));
	for (size_t i = 0; i < n; i++) {
		uint8_t *h = sect + (nsect + i) * PE_SECTION_HEADER;
		if (section_size(&s[i], &lens[i], err) < 0)
			return -1;
		if (lens[i] > UINT32_MAX / 2)
			return uk_err_setc(err, UK_ERR_INPUT, "section '%s' is too large for PE",
					   s[i].name);
		vaddr[i] = vcur;
		fpos[i] = fcur;
		uint64_t raw_size = output_align(lens[i], file_align);
		memset(h, 0, PE_SECTION_HEADER);
		memcpy(h, s[i].name, strnlen(s[i].name, 8));
		output_le32(h + 8, (uint32_t)lens[i]);
		output_le32(h + 12, (uint32_t)vaddr[i]);
		output_le32(h + 16, (uint32_t)raw_size);
		output_le32(h + 20, (uint32_t)fpos[i]);
		output_le32(h + 36, SCN_INITIALIZED_DATA | SCN_MEM_READ);
		init_data += (uint32_t)raw_size;
		fcur += raw_size;
		vcur = output_align(vcur + lens[i], UKI_SECTION_ALIGN);
		if (vcur > UINT32_MAX || fcur > UINT32_MAX)
			return uk_err_setc(err, UK_ERR_INPUT, "the EFI image would exceed 4 GiB");
	}
	output_le16(coff + 2, (uint16_t)(nsect + n));
	output_le32(opt + OPT_SIZE_OF_INIT_DATA, init_data);
	output_le32(opt + OPT_SIZE_OF_IMAGE,
		    (uint32_t)output_align(n ? vaddr[n - 1] + lens[n - 1] : vm_end, sect_align));
	output_le32(opt + OPT_CHECKSUM, 0);

	struct pe_sum sum = { 0 };
	uint64_t off = 0;
	if (write_summed(out_fd, img, file_end, &sum, &off, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (pad_to(out_fd, fpos[i], &sum, &off, err) < 0 ||
		    write_section(out_fd, &s[i], &sum, &off, err) < 0)
			return -1;
		if (off != fpos[i] + lens[i])
			return uk_err_set(err, "'%s' changed while it was read", s[i].path);
	}
	if (pad_to(out_fd, fcur, &sum, &off, err) < 0)
		return -1;
	uint8_t ck[4];
	output_le32(ck, sum_final(&sum, off));
	if (pwrite(out_fd, ck, 4, (off_t)(opt + OPT_CHECKSUM - img)) != 4)
		return uk_err_errno(err, "write the EFI image");
	return 0;
bad:
	return uk_err_setc(err, UK_ERR_CORRUPT, "'%s' is not a PE32+ EFI application", stub);
}

int output_efi_sign(const struct output_boot *b, const char *in, const char *out,
		    struct uk_err *err)
{
	const char *argv[] = { "sbsign",   "--key", b->sign_key, "--cert", b->sign_cert,
			       "--output", out,	    in,		 NULL };
	if (output_tool_need("sbsign", err) < 0)
		return -1;
	if (output_tool_run(argv, b->epoch, NULL, err) < 0)
		return uk_err_wrap(err, "sign '%s'", in);
	return 0;
}

static char *os_release(const struct output_boot *b)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "NAME=\"unikit\"\nID=unikit\n");
	/* the name is the user's: keep it to characters that need no quoting */
	strbuf_addstr(&sb, "IMAGE_ID=");
	for (const char *p = b->name; *p; p++)
		strbuf_addch(&sb, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
						  (*p >= '0' && *p <= '9') || strchr("._-", *p)
					  ? *p
					  : '_');
	strbuf_addf(&sb, "\nPRETTY_NAME=\"unikit image\"\n");
	return strbuf_detach(&sb, NULL);
}

int output_uki_make(const struct output_boot *b, const char *path, struct uk_err *err)
{
	_cleanup_free_ char *osrel = os_release(b);
	struct output_pe_section s[4];
	size_t n = 0;

	s[n++] =
		(struct output_pe_section){ .name = ".osrel", .data = osrel, .len = strlen(osrel) };
	s[n++] = (struct output_pe_section){ .name = ".cmdline",
					     .data = b->cmdline,
					     .len = strlen(b->cmdline) };
	if (b->initrd)
		s[n++] = (struct output_pe_section){ .name = ".initrd", .path = b->initrd };
	s[n++] = (struct output_pe_section){ .name = ".linux", .path = b->kernel };

	_cleanup_free_ char *unsigned_path =
		b->sign_key ? xasprintf("%s/uki-unsigned.efi", b->tmpdir) : NULL;
	const char *target = unsigned_path ? unsigned_path : path;
	_cleanup_close_ int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return uk_err_errno(err, "create '%s'", target);
	if (output_pe_add_sections(OUTPUT_UKI_STUB, s, n, fd, err) < 0)
		return uk_err_wrap(err, "write the unified kernel image");
	if (close(TAKE_FD(fd)) < 0)
		return uk_err_errno(err, "write '%s'", target);
	if (unsigned_path) {
		int r = output_efi_sign(b, unsigned_path, path, err);
		unlink(unsigned_path);
		return r;
	}
	return 0;
}
