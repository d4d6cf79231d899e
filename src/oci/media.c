// SPDX-License-Identifier: Apache-2.0
/* Media types, digests, descriptors and platforms: the vocabulary of OCI and Docker schema 2. */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "oci/oci.h"

static const struct {
	const char *type;
	enum oci_media_kind kind;
	int compression;
} media_types[] = {
	{ OCI_MT_INDEX, OCI_MEDIA_INDEX, -1 },
	{ DOCKER_MT_LIST, OCI_MEDIA_INDEX, -1 },
	{ OCI_MT_MANIFEST, OCI_MEDIA_MANIFEST, -1 },
	{ DOCKER_MT_MANIFEST, OCI_MEDIA_MANIFEST, -1 },
	{ OCI_MT_CONFIG, OCI_MEDIA_CONFIG, -1 },
	{ DOCKER_MT_CONFIG, OCI_MEDIA_CONFIG, -1 },
	{ OCI_MT_LAYER, OCI_MEDIA_LAYER, OCI_COMPRESSION_NONE },
	{ OCI_MT_LAYER_GZIP, OCI_MEDIA_LAYER, OCI_COMPRESSION_GZIP },
	{ OCI_MT_LAYER_ZSTD, OCI_MEDIA_LAYER, OCI_COMPRESSION_ZSTD },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_MEDIA_LAYER,
	  OCI_COMPRESSION_NONE },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_MEDIA_LAYER,
	  OCI_COMPRESSION_GZIP },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_MEDIA_LAYER,
	  OCI_COMPRESSION_ZSTD },
	{ DOCKER_MT_LAYER_GZIP, OCI_MEDIA_LAYER, OCI_COMPRESSION_GZIP },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", OCI_MEDIA_LAYER,
	  OCI_COMPRESSION_GZIP },
	/* written by some tools for uncompressed Docker layers */
	{ "application/vnd.docker.image.rootfs.diff.tar", OCI_MEDIA_LAYER, OCI_COMPRESSION_NONE },
};

enum oci_media_kind oci_media_kind(const char *media_type)
{
	for (size_t i = 0; media_type && i < ARRAY_SIZE(media_types); i++) {
		if (!strcmp(media_types[i].type, media_type))
			return media_types[i].kind;
	}
	return OCI_MEDIA_OTHER;
}

int oci_layer_compression(const char *media_type)
{
	for (size_t i = 0; media_type && i < ARRAY_SIZE(media_types); i++) {
		if (!strcmp(media_types[i].type, media_type))
			return media_types[i].compression;
	}
	return -1;
}

enum oci_compression oci_compression_sniff(const void *head, size_t len)
{
	const unsigned char *p = head;

	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return OCI_COMPRESSION_GZIP;
	if (len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return OCI_COMPRESSION_ZSTD;
	return OCI_COMPRESSION_NONE;
}

bool oci_digest_valid(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
		return false;
	for (const char *p = digest + 7; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	}
	return true;
}

int oci_desc_from_json(struct oci_desc *desc, const json_t *obj, struct uk_err *err)
{
	if (!json_is_object(obj))
		return uk_err_setc(err, UK_ERR_CORRUPT, "a descriptor is not an object");
	const json_t *mt = json_object_get(obj, "mediaType");
	const json_t *dg = json_object_get(obj, "digest");
	const json_t *sz = json_object_get(obj, "size");
	if (mt && !json_is_string(mt))
		return uk_err_setc(err, UK_ERR_CORRUPT, "descriptor: mediaType is not a string");
	if (!json_is_string(dg))
		return uk_err_setc(err, UK_ERR_CORRUPT, "descriptor: no digest");
	if (!oci_digest_valid(json_string_value(dg)))
		return uk_err_setc(err, UK_ERR_CORRUPT,
				   "descriptor: unsupported digest '%s' (expected sha256 and 64 "
				   "lowercase hexadecimal digits)",
				   json_string_value(dg));
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return uk_err_setc(err, UK_ERR_CORRUPT, "descriptor %s: no valid size",
				   json_string_value(dg));
	desc->media_type = mt ? xstrdup(json_string_value(mt)) : NULL;
	memcpy(desc->digest, json_string_value(dg), 7 + 64 + 1);
	desc->size = json_integer_value(sz);
	return 0;
}

void oci_desc_release(struct oci_desc *desc)
{
	free(desc->media_type);
	desc->media_type = NULL;
}

void oci_desc_copy(struct oci_desc *dst, const struct oci_desc *src)
{
	dst->media_type = src->media_type ? xstrdup(src->media_type) : NULL;
	memcpy(dst->digest, src->digest, sizeof(dst->digest));
	dst->size = src->size;
}

static const struct {
	const char *alias;
	const char *arch;
	const char *variant;
} arch_aliases[] = {
	{ "x86_64", "amd64", "" },    { "x86-64", "amd64", "" }, { "aarch64", "arm64", "" },
	{ "armv7l", "arm", "v7" },    { "armhf", "arm", "v7" },	 { "armv6l", "arm", "v6" },
	{ "armel", "arm", "v6" },     { "i386", "386", "" },	 { "i686", "386", "" },
	{ "ppc64el", "ppc64le", "" },
};

static int set_field(char *dst, size_t size, const char *src, size_t len, const char *what,
		     const char *whole, struct uk_err *err)
{
	if (len == 0 || len >= size)
		return uk_err_setc(err, UK_ERR_INPUT, "invalid platform '%s': bad %s", whole, what);
	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return uk_err_setc(err, UK_ERR_INPUT, "invalid platform '%s': bad %s",
					   whole, what);
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int oci_platform_parse(struct oci_platform *p, const char *arch, struct uk_err *err)
{
	struct oci_platform r = { .os = "linux" };
	struct utsname u;

	if (!arch || !*arch) {
		if (uname(&u) < 0)
			return uk_err_errno(err, "uname");
		arch = u.machine;
	}
	const char *parts[3];
	size_t lens[3], n = 0;
	for (const char *s = arch;;) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);
		if (n == 3)
			return uk_err_setc(err, UK_ERR_INPUT, "invalid platform '%s'", arch);
		parts[n] = s;
		lens[n++] = len;
		if (!slash)
			break;
		s = slash + 1;
	}
	size_t i = 0;
	if (n == 3 || (lens[0] == 5 && !strncmp(parts[0], "linux", 5) && n > 1)) {
		if (lens[0] != 5 || strncmp(parts[0], "linux", 5) != 0)
			return uk_err_setc(err, UK_ERR_INPUT,
					   "invalid platform '%s': only linux is supported", arch);
		i = 1;
	}
	if (set_field(r.arch, sizeof(r.arch), parts[i], lens[i], "architecture", arch, err) < 0)
		return -1;
	if (i + 1 < n && set_field(r.variant, sizeof(r.variant), parts[i + 1], lens[i + 1],
				   "variant", arch, err) < 0)
		return -1;
	for (size_t k = 0; k < ARRAY_SIZE(arch_aliases); k++) {
		if (!strcmp(r.arch, arch_aliases[k].alias)) {
			snprintf(r.arch, sizeof(r.arch), "%s", arch_aliases[k].arch);
			if (!r.variant[0])
				snprintf(r.variant, sizeof(r.variant), "%s",
					 arch_aliases[k].variant);
			break;
		}
	}
	*p = r;
	return 0;
}

char *oci_platform_string(const struct oci_platform *p)
{
	return xasprintf("%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
}

/* arm64 images usually leave the variant out: it means v8. */
static const char *default_variant(const char *arch)
{
	return !strcmp(arch, "arm64") ? "v8" : "";
}

bool oci_platform_match(const struct oci_platform *want, const json_t *platform)
{
	const char *os = json_string_value(json_object_get(platform, "os"));
	const char *arch = json_string_value(json_object_get(platform, "architecture"));
	const char *variant = json_string_value(json_object_get(platform, "variant"));

	if (!os || !arch || strcmp(os, want->os) != 0 || strcmp(arch, want->arch) != 0)
		return false;
	if (!want->variant[0])
		return true;
	if (!variant || !*variant)
		variant = default_variant(arch);
	const char *wv = want->variant;
	return !strcmp(variant, wv);
}
