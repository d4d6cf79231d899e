/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 through OpenSSL's libcrypto (which uses SHA-NI where the CPU has it). */
#pragma once

#include "util/util.h"

#define SHA256_HEX_LEN 64

struct sha256 {
	void *md; /* EVP_MD_CTX */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL to hex, and releases the context. */
void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1]);
/* Releases a context without a result (safe after final, and on a zeroed struct). */
void sha256_release(struct sha256 *h);
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);
