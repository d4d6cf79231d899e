/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI image references, descriptors and the local store: an OCI image layout
 * directory (oci-layout, index.json, blobs/sha256/) whose names live in the
 * org.opencontainers.image.ref.name annotation of index.json's manifests.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

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

/* Media types unikit reads: OCI and Docker schema 2. */
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define DOCKER_MT_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MT_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define OCI_ANNOT_REF_NAME "org.opencontainers.image.ref.name"

enum oci_media_kind {
	OCI_MEDIA_OTHER,
	OCI_MEDIA_INDEX,    /* OCI index or Docker manifest list */
	OCI_MEDIA_MANIFEST, /* OCI or Docker schema 2 image manifest */
	OCI_MEDIA_CONFIG,
	OCI_MEDIA_LAYER,
};
enum oci_media_kind oci_media_kind(const char *media_type);

enum oci_compression { OCI_COMPRESSION_NONE, OCI_COMPRESSION_GZIP, OCI_COMPRESSION_ZSTD };
/* The compression a layer media type names; -1 when it is not a layer type unikit reads. */
int oci_layer_compression(const char *media_type);
/* The compression the first bytes of a blob show (magic numbers); NONE when neither. */
enum oci_compression oci_compression_sniff(const void *head, size_t len);

/* True for "sha256:" followed by 64 lowercase hex digits (the only algorithm the store holds). */
bool oci_digest_valid(const char *digest);

/*
 * Reads a descriptor object ({mediaType, digest, size}); the digest must be
 * valid and the size non-negative. Errors name what is wrong, not where:
 * callers wrap them with the blob they were reading.
 */
int oci_desc_from_json(struct oci_desc *desc, const json_t *obj, struct uk_err *err);
void oci_desc_release(struct oci_desc *desc);
void oci_desc_copy(struct oci_desc *dst, const struct oci_desc *src);

/* A platform as OCI spells it: os "linux", architecture "amd64", variant "v8" or "". */
struct oci_platform {
	char os[16];
	char arch[16];
	char variant[16];
};

/*
 * Parses "amd64", "arm64", "arm/v7", "linux/arm64/v8" and the kernel's names
 * ("x86_64", "aarch64"); NULL or "" is the host's platform.
 */
int oci_platform_parse(struct oci_platform *p, const char *arch, struct uk_err *err);
/* "linux/amd64", "linux/arm/v7"; caller frees. */
char *oci_platform_string(const struct oci_platform *p);
/* Whether an index entry's platform object matches the platform asked for. */
bool oci_platform_match(const struct oci_platform *want, const json_t *platform);

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

/*
 * Directories the registry client keeps in the store, one file per blob named
 * by its hex digest: partial downloads (src/registry/partial.c) and where
 * blobs came from (src/registry/sources.c). store_gc() prunes them.
 */
#define STORE_DIR_PARTIAL "registry-partial"
#define STORE_DIR_SOURCES "registry-sources"

/*
 * Opens (creating when missing) the store at dir. An existing directory must
 * be empty or already an OCI image layout. While the store is open the
 * process holds a shared lock on STORE/.gc.lock, so `cache clean` (which needs
 * it exclusive) never removes a blob another process is about to name or read;
 * index.json is read under a shared flock on STORE/.lock and rewritten under
 * an exclusive one. Open one handle per store per process: a second handle
 * would wait on the first in store_gc().
 */
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

/* A named entry of index.json. */
struct store_entry {
	char *name;	      /* the normalised reference; NULL for an entry without a name */
	struct oci_desc desc; /* a manifest or an index */
};
void store_entries_free(struct store_entry *entries, size_t n);

/* The entries of index.json, sorted by name. */
int store_list(struct store *store, struct store_entry **out, size_t *n, struct uk_err *err);

/*
 * The descriptor a reference names (the manifest or index itself, not a
 * platform's manifest): by name, or by digest when the reference has one.
 * *name (optional) receives the normalised reference. UK_ERR_NOT_FOUND when absent.
 */
int store_lookup(struct store *store, const char *ref, struct oci_desc *desc, char **name,
		 struct uk_err *err);

/*
 * Calls fn once for every descriptor reachable from root (root first, a
 * parent before its children), reading and verifying each index and
 * manifest on the way. With platform set, an index contributes only the
 * manifest for that platform. A missing or corrupt index or manifest is an
 * error naming its digest, except that with STORE_WALK_SKIP_MISSING a
 * missing one is passed to fn and not descended into (an index may list
 * platforms the store does not hold). Config and layer blobs are not read.
 */
enum { STORE_WALK_SKIP_MISSING = 1 };
typedef int (*store_walk_fn)(void *ctx, const struct oci_desc *desc, struct uk_err *err);
int store_walk(struct store *store, const struct oci_desc *root,
	       const struct oci_platform *platform, unsigned flags, store_walk_fn fn, void *ctx,
	       struct uk_err *err);

/*
 * Follows an index (and nested indexes) down to the manifest for platform;
 * a manifest is copied as it is. UK_ERR_NOT_FOUND names the platforms there are.
 */
int store_select_platform(struct store *store, const struct oci_desc *desc,
			  const struct oci_platform *platform, struct oci_desc *out,
			  struct uk_err *err);

/* The bytes every distinct blob reachable from desc takes (what `cache ls` shows). */
int store_size(struct store *store, const struct oci_desc *desc, int64_t *size, struct uk_err *err);

/* Removes a name from index.json; its blobs stay until store_gc(). */
int store_untag(struct store *store, const char *ref, struct uk_err *err);

struct store_gc_stats {
	size_t blobs;	       /* blobs removed */
	int64_t bytes;	       /* their size */
	size_t temporaries;    /* stale temporary files removed */
	size_t partials;       /* partial downloads removed (STORE_DIR_PARTIAL) */
	int64_t partial_bytes; /* their size */
	size_t sources;	       /* records of where removed blobs came from (STORE_DIR_SOURCES) */
};

/*
 * Removes every blob that no entry of index.json reaches, every stale
 * temporary file, every partial download (no pull is running: each was left by
 * a pull that died) and the source records of blobs no longer in the store.
 * It needs the store to itself: with wait false it fails with code EWOULDBLOCK
 * while another process has the store open, otherwise it waits.
 */
int store_gc(struct store *store, bool wait, struct store_gc_stats *stats, struct uk_err *err);

struct store_import_opts {
	/*
	 * Names images the source leaves unnamed, or names only by a tag
	 * ("latest", as umoci does): "repo" or "repo:tag". NULL: such images are an error.
	 */
	const char *name;
	/* Import only this platform's manifest from an index; NULL: everything. */
	const char *arch;
};

/*
 * Imports an oci-archive (a tar of an OCI layout, possibly compressed), a
 * docker-archive (`docker save`: manifest.json, layer tars and configs) or
 * an OCI layout directory; "-" reads an archive from stdin. Every blob is
 * verified (against its digest, and docker-archive layers against the
 * config's diff_ids) before anything is named; on failure nothing is named
 * and the blobs this import added are removed. *out receives the names given.
 */
int store_import(struct store *store, const char *path, const struct store_import_opts *opts,
		 struct store_entry **out, size_t *n_out, struct uk_err *err);

struct store_export_opts {
	const char *arch; /* export only this platform's manifest of an index; NULL: all */
	int64_t epoch;	  /* mtime of the archive's entries */
};

/*
 * Writes the named images as an oci-archive (a tar of an OCI layout whose
 * index.json names each one by its normalised reference) to path, atomically;
 * "-" writes to stdout. Every blob is verified as it is copied.
 */
int store_export(struct store *store, const char *const *refs, size_t n_refs, const char *path,
		 const struct store_export_opts *opts, struct uk_err *err);

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
int64_t store_blob_size(const struct store_blob *b); /* the file's size, known at open */
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
/* Stores what fd holds up to its end (with expected: verified against it). */
int store_blob_put_fd(struct store *store, int fd, const char *expected,
		      char digest[OCI_DIGEST_MAX], int64_t *size, struct uk_err *err);

/*
 * Names a manifest or index (already stored as a blob) in index.json,
 * replacing an earlier entry of that name. Takes the store's lock. The name
 * is normalised first ("nginx" is stored as "docker.io/library/nginx:latest").
 */
int store_tag(struct store *store, const char *name, const struct oci_desc *desc,
	      struct uk_err *err);
