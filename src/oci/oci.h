/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI image references, descriptors and the local store: an OCI image layout
 * directory (oci-layout, index.json, blobs/sha256/) whose names live in the
 * org.opencontainers.image.ref.name annotation of index.json's manifests.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "util/err.h"

#define OCI_DIGEST_MAX 72 /* "sha256:" + 64 hex + NUL, rounded */

/* A reference normalised as Docker does: nginx = docker.io/library/nginx:latest. */
struct oci_ref {
	char *domain; /* "docker.io", "localhost:5000", ... */
	char *path;   /* "library/nginx" */
	char *tag;    /* "latest" unless a digest was given alone; may be NULL then */
	char *digest; /* "sha256:..." or NULL */
};

int oci_ref_parse(struct oci_ref *ref, const char *s, struct uk_err *err);
void oci_ref_release(struct oci_ref *ref);
/* The full normalised name ("docker.io/library/nginx:latest[@sha256:...]"); caller frees. */
char *oci_ref_string(const struct oci_ref *ref);

struct oci_desc {
	char *media_type;
	char digest[OCI_DIGEST_MAX];
	int64_t size;
};

/* One platform's image, resolved from the store. */
struct oci_image {
	char *name; /* normalised reference */
	char manifest_digest[OCI_DIGEST_MAX];
	json_t *manifest; /* owned */
	json_t *config;	  /* owned: the parsed image config blob */
	char config_digest[OCI_DIGEST_MAX];
	struct oci_desc *layers; /* owned, in application order */
	size_t n_layers;
};

void oci_image_release(struct oci_image *img);

struct store; /* opaque */

/* Opens (creating when missing) the store at dir. */
int store_open(struct store **out, const char *dir, struct uk_err *err);
void store_free(struct store *store);
const char *store_dir(const struct store *store);

/*
 * Resolves a reference (a name, or name@digest) to one platform's image;
 * an index is resolved for arch ("amd64", "arm64"; NULL is the host's).
 * A name that is not in the store fails with code UK_ERR_NOT_FOUND.
 */
int store_image_resolve(struct store *store, const char *ref, const char *arch,
			struct oci_image *img, struct uk_err *err);

/*
 * Reading a blob: the bytes are hashed as they are read and the last read
 * (the one that returns 0) fails with UK_ERR_CORRUPT, naming the digest, when
 * they do not match. Callers must read to the end before trusting what they read.
 */
struct store_blob;
int store_blob_open(struct store *store, const char *digest, struct store_blob **out,
		    struct uk_err *err);
ssize_t store_blob_read(struct store_blob *b, void *buf, size_t len, struct uk_err *err);
void store_blob_close(struct store_blob *b);
/* Reads a whole (small) blob, verified, NUL-terminated; fails above max bytes. */
int store_blob_read_all(struct store *store, const char *digest, size_t max, char **out,
			size_t *len, struct uk_err *err);
bool store_blob_exists(struct store *store, const char *digest);

/*
 * Writing a blob: streamed to a temporary file, hashed, and renamed into
 * blobs/sha256/ only on commit. With expected set, a mismatch is UK_ERR_CORRUPT
 * and nothing is stored.
 */
struct store_writer;
int store_writer_new(struct store *store, struct store_writer **out, struct uk_err *err);
int store_writer_write(struct store_writer *w, const void *data, size_t len, struct uk_err *err);
int store_writer_commit(struct store_writer *w, const char *expected, char digest[OCI_DIGEST_MAX],
			int64_t *size, struct uk_err *err);
void store_writer_free(struct store_writer *w); /* aborts an uncommitted writer */
int store_blob_put(struct store *store, const void *data, size_t len, char digest[OCI_DIGEST_MAX],
		   struct uk_err *err);

/*
 * Names a manifest or index (already stored as a blob) in index.json,
 * replacing an earlier entry of that name. Takes the store's lock.
 */
int store_tag(struct store *store, const char *name, const struct oci_desc *desc,
	      struct uk_err *err);
