/* SPDX-License-Identifier: Apache-2.0 */
/* What the files of src/oci share about the store; not for other modules. */
#pragma once

#include "oci/oci.h"

struct store {
	char *dir;
	int dfd;      /* the store directory */
	int blobs_fd; /* blobs/sha256 */
	int tmp_fd;   /* .tmp: blobs being written */
	int lock_fd;  /* .lock: flock'ed around index.json; -1 on a read-only store */
	int gc_fd;    /* .gc.lock: held shared while open, exclusive by store_gc(); or -1 */
};

/* The largest index.json, manifest, index or config the store reads. */
#define STORE_JSON_MAX (16u << 20)

/* flock() retrying on EINTR; returns 0 or -1 with errno. */
int store_flock(int fd, int op);
/* flock() on the index lock, retrying on EINTR; a no-op on a read-only store. */
int store_lock(struct store *store, int op, struct uk_err *err);
void store_unlock(struct store *store);

/* Reads index.json (the caller holds the lock); always has a "manifests" array. */
int store_index_load(struct store *store, json_t **out, struct uk_err *err);
/* Replaces index.json atomically (the caller holds the exclusive lock). */
int store_index_save(struct store *store, json_t *index, struct uk_err *err);
/* The name annotation of an index.json entry, or NULL. */
const char *store_entry_name(const json_t *entry);

/* Names several descriptors at once, under one lock and one index.json rewrite. */
int store_tag_many(struct store *store, const char *const *names, const struct oci_desc *descs,
		   size_t n, struct uk_err *err);

/* Reads, verifies and parses a JSON blob (an index, manifest or config). */
int store_blob_json(struct store *store, const char *digest, json_t **out, struct uk_err *err);

/* Like store_blob_put_fd(); *added (may be NULL) tells whether the blob was not in the store
 * before. */
int store_blob_put_fd_ex(struct store *store, int fd, const char *expected,
			 char digest[OCI_DIGEST_MAX], int64_t *size, bool *added,
			 struct uk_err *err);
/* Like store_writer_commit(); *added tells whether the blob was not in the store before. */
int store_writer_commit_ex(struct store_writer *w, const char *expected,
			   char digest[OCI_DIGEST_MAX], int64_t *size, bool *added,
			   struct uk_err *err);

/* Checks that a blob is in the store and matches its digest, reading it through. */
int store_blob_verify(struct store *store, const char *digest, int64_t *size, struct uk_err *err);

/* A set of digests (open addressing over the hex part). */
struct digest_set {
	char (*slots)[65];
	size_t alloc, n;
};
#define DIGEST_SET_INIT                           \
	{                                         \
		.slots = NULL, .alloc = 0, .n = 0 \
	}
/* Adds digest; returns true when it was not there yet. */
bool digest_set_add(struct digest_set *set, const char *digest);
bool digest_set_has(const struct digest_set *set, const char *digest);
void digest_set_release(struct digest_set *set);

/* Removes from the store the blobs in candidates that no entry reaches (store_gc's core). */
int store_gc_candidates(struct store *store, const struct digest_set *candidates,
			struct uk_err *err);

/*
 * The children of an index (its "manifests") or an image manifest (config
 * then layers) as descriptors, checked; kind tells which the blob is.
 */
int store_manifest_children(const json_t *doc, const struct oci_desc *desc,
			    enum oci_media_kind *kind, struct oci_desc **children, size_t *n,
			    struct uk_err *err);
void store_descs_free(struct oci_desc *descs, size_t n);
