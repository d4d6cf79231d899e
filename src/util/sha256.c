// SPDX-License-Identifier: Apache-2.0
#include "util/sha256.h"

#include <openssl/evp.h>

void sha256_init(struct sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		uk_bug(__FILE__, __LINE__, "EVP sha256 init");
	h->md = ctx;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->md, data, len) != 1)
		uk_bug(__FILE__, __LINE__, "EVP sha256 update");
}

void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->md, md, &n) != 1 || n != sizeof(md))
		uk_bug(__FILE__, __LINE__, "EVP sha256 final");
	for (size_t i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[SHA256_HEX_LEN] = '\0';
	sha256_release(h);
}

void sha256_release(struct sha256 *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_final_hex(&h, hex);
}
