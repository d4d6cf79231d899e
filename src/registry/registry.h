/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An OCI distribution client (libcurl): pulls images from a registry into the
 * local store and pushes them from it (docs/registry.md).
 *
 * Credentials come from UNIKIT_REGISTRY_AUTH, then ~/.docker/config.json
 * (credHelpers, credsStore, auths); they never appear in an error message.
 * The library never prints: progress goes to the callback in the options.
 */
#pragma once

#include <stdint.h>

#include "oci/oci.h"
#include "util/err.h"

/* A registry mirror (LinuxKit's -mirror REGISTRY=URL; registry NULL: every registry). */
struct registry_mirror {
	const char *registry; /* "docker.io", "localhost:5000", or NULL */
	const char *url;      /* "http://127.0.0.1:5000", "https://mirror.example/prefix" */
};

enum registry_event_kind {
	REGISTRY_EV_START,    /* an operation begins: total_size and n_blobs are known */
	REGISTRY_EV_BLOB,     /* a blob begins to move */
	REGISTRY_EV_PROGRESS, /* bytes moved (done, total_done) */
	REGISTRY_EV_DONE,     /* a blob is stored (pull) or uploaded (push) */
	REGISTRY_EV_EXISTS,   /* a blob is already there: nothing moves */
	REGISTRY_EV_MOUNTED,  /* push: the registry mounted the blob from another repository */
	REGISTRY_EV_RETRY,    /* a transient failure; message says which, retrying */
	REGISTRY_EV_MANIFEST, /* a manifest or index is stored (pull) or put (push) */
	REGISTRY_EV_FINISH,   /* the operation is done; ref is the name, digest its manifest */
	REGISTRY_EV_MISSING, /* pull_missing: the store lacks ref or a blob of it (message: what) */
};

struct registry_event {
	enum registry_event_kind kind;
	const char *ref;     /* the reference the operation is about */
	const char *digest;  /* the blob or manifest, when the event is about one */
	const char *message; /* REGISTRY_EV_RETRY: why */
	int64_t size;	     /* the blob's size */
	int64_t done;	     /* bytes of this blob moved so far */
	int64_t total_size;  /* bytes the operation moves in all (blobs not already there) */
	int64_t total_done;  /* bytes moved so far in all */
	int n_blobs;	     /* REGISTRY_EV_START: blobs to move */
};

typedef void (*registry_progress_fn)(void *ctx, const struct registry_event *ev);

struct registry_opts {
	/* Platform: "amd64", "arm64/v8", "linux/arm/v7"; NULL: the host's. */
	const char *arch;
	/* Registries where plain HTTP and unverified TLS are allowed (plus
	 * UNIKIT_INSECURE_REGISTRIES). */
	const char *const *insecure;
	size_t n_insecure;
	const struct registry_mirror *mirrors;
	size_t n_mirrors;
	/* Extra CA certificate files trusted for every registry (-cert-file). */
	const char *const *cert_files;
	size_t n_cert_files;
	int parallel;	    /* blobs that move at once; 0: 4 */
	int64_t chunk_size; /* push: blobs larger than this go up in PATCH chunks of it; 0: 32 MiB
			     */
	registry_progress_fn progress; /* may be NULL */
	void *progress_ctx;
};

/*
 * Pulls ref from its registry into the store and names it there (the
 * normalised reference). The index or manifest is stored as the registry
 * serves it (same digest); from an index, only the platform's manifest,
 * config and layers are fetched. Blobs already in the store are not fetched.
 * A reference pinned by digest whose image is complete in the store needs
 * no network at all.
 */
int registry_pull(struct store *store, const char *ref, const struct registry_opts *opts,
		  struct uk_err *err);

/*
 * What `build` calls for every image: nothing happens (and no network is used)
 * when ref already resolves in the store for opts->arch with its config and
 * all its layers; otherwise REGISTRY_EV_MISSING is emitted and the image is
 * pulled as by registry_pull(), which fetches only the blobs the store lacks.
 * When that pull fails, the error says first what the store lacks ("image
 * 'R': layer sha256:... is not in the store and could not be pulled: ...").
 */
int registry_pull_missing(struct store *store, const char *ref, const struct registry_opts *opts,
			  struct uk_err *err);

/*
 * Pushes the image named ref in the store to remote (NULL: to ref itself).
 * A name that holds an index pushes the index and its manifests; several
 * store entries of that name for different platforms push as one index.
 */
int registry_push(struct store *store, const char *ref, const char *remote,
		  const struct registry_opts *opts, struct uk_err *err);

/*
 * LinuxKit's push of a package: the image named ref (one architecture's
 * manifest) goes to remote (NULL: ref) tagged TAG-ARCH, ARCH the one in its
 * config; then TAG becomes an OCI index of every TAG-A the registry holds for
 * A in arches, the ones pushed from hosts of other architectures included.
 */
int registry_push_arch(struct store *store, const char *ref, const char *remote,
		       const char *const *arches, size_t n_arches, const struct registry_opts *opts,
		       struct uk_err *err);
