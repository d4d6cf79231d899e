/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside src/rootfs: the file tree, the data spool, applying tar streams
 * (image layers, kernel.tar) with whiteouts and escape checks, and the
 * container configuration (config.json, runtime.json, init.conf).
 *
 * The tree holds metadata only; file data lives in the spool, a temporary
 * file written once, in order, and read back by offset. Every node of an
 * assembly (the root being built and the images being flattened before they
 * join it) sits in one hash table keyed by (parent, name).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rootfs/rootfs.h"
#include "util/err.h"

/* ---- the spool ---- */

struct rootfs_spool;

/* An unnamed temporary file in dir: it disappears with the process, whatever happens. */
int rootfs_spool_new(struct rootfs_spool **out, const char *dir, struct uk_err *err);
void rootfs_spool_free(struct rootfs_spool *s);
uint64_t rootfs_spool_size(const struct rootfs_spool *s);
int rootfs_spool_write(struct rootfs_spool *s, const void *data, size_t len, struct uk_err *err);
/* Reads exactly len bytes at off (which must lie in what was written). */
int rootfs_spool_pread(struct rootfs_spool *s, void *buf, size_t len, uint64_t off,
		       struct uk_err *err);
/* Copies len bytes at off to the end of the spool; returns the new offset in *new_off. */
int rootfs_spool_copy(struct rootfs_spool *s, uint64_t off, uint64_t len, uint64_t *new_off,
		      struct uk_err *err);

/* ---- the tree ---- */

struct rootfs_node {
	struct rootfs_node *parent;
	struct rootfs_node *first, *next, *prev; /* children; siblings */
	struct rootfs_node *hnext;		 /* hash chain */
	char *linkname;				 /* symlinks */
	uint64_t size, off;			 /* regular files: data in the spool */
	uint64_t ino;				 /* regular files: shared by hard links */
	uint32_t uid, gid;
	uint32_t rdev_major, rdev_minor;
	uint32_t layer; /* the layer that last wrote it (whiteouts only hide lower layers) */
	uint32_t hash;
	mode_t mode;
	bool implicit; /* a directory made only because something below it was written */
	bool linked;   /* a regular file with hard links (its ino is shared) */
	char name[];
};

struct rootfs_tree {
	struct rootfs_node **buckets;
	size_t nbuckets, count;
	uint64_t next_ino;
	uint32_t next_layer;
};

void rootfs_tree_init(struct rootfs_tree *t);
/* Frees every node of every root. */
void rootfs_tree_release(struct rootfs_tree *t);
struct rootfs_node *rootfs_tree_new_root(struct rootfs_tree *t);
struct rootfs_node *rootfs_tree_lookup(const struct rootfs_tree *t, const struct rootfs_node *dir,
				       const char *name, size_t len);
/* A new child (replacing nothing: the name must be free). */
struct rootfs_node *rootfs_tree_add(struct rootfs_tree *t, struct rootfs_node *dir,
				    const char *name, size_t len, mode_t mode);
/* Removes n and everything below it. */
void rootfs_tree_remove(struct rootfs_tree *t, struct rootfs_node *n);
/* Moves n (with everything below it) into dir, under the same name (which must be free there). */
void rootfs_tree_move(struct rootfs_tree *t, struct rootfs_node *n, struct rootfs_node *dir);
/* The path of n relative to root ("" for root itself); caller frees. */
char *rootfs_tree_path(const struct rootfs_node *root, const struct rootfs_node *n);

/*
 * Normalises a path from a tar entry or a spec: leading "/" and "./" go, "."
 * and empty components go, ".." is refused. The result (possibly "" for the
 * root) is written to out, which must hold strlen(path) + 1 bytes.
 */
int rootfs_path_clean(const char *path, char *out, struct uk_err *err);

/*
 * Finds the directory that will hold path (already clean) under root,
 * making missing directories (implicit, 0755, root-owned) and following
 * symbolic links as the system will once it runs: absolute targets from root,
 * relative ones from the link's directory; a link that climbs above root is
 * an escape and an error. *base points into path at the last component.
 */
int rootfs_resolve_parent(struct rootfs_tree *t, struct rootfs_node *root, const char *path,
			  uint32_t layer, struct rootfs_node **dir, const char **base,
			  struct uk_err *err);
/* Like rootfs_resolve_parent(), then the last component, which must exist (no link followed). */
int rootfs_resolve_existing(struct rootfs_tree *t, struct rootfs_node *root, const char *path,
			    struct rootfs_node **out, struct uk_err *err);

/* What an entry writes; the data of a regular file is already in the spool. */
struct rootfs_meta {
	mode_t mode; /* type and permissions */
	uint32_t uid, gid;
	uint64_t size, off;
	const char *linkname;
	uint32_t rdev_major, rdev_minor;
};

/*
 * Writes an entry at path (clean, not "") under root, the way extracting it
 * would: a directory over a directory updates its metadata; anything else
 * replaces what was there (a directory with all it held).
 */
int rootfs_tree_put(struct rootfs_tree *t, struct rootfs_node *root, const char *path,
		    const struct rootfs_meta *m, uint32_t layer, struct rootfs_node **out,
		    struct uk_err *err);

/*
 * Moves everything under src into dst as the kernel unpacks one archive after
 * another: later wins, directories merge, a directory that src only implies
 * follows a symbolic link that dst has at its place. src is left empty.
 */
int rootfs_tree_merge(struct rootfs_tree *t, struct rootfs_node *dst_root, struct rootfs_node *dst,
		      struct rootfs_node *src, struct uk_err *err);

/* ---- tar streams ---- */

/* Where a tar stream comes from: read returns bytes, 0 at the end, -1 with err. */
struct rootfs_tar_src {
	ssize_t (*read)(void *ctx, void *buf, size_t len, struct uk_err *err);
	void *ctx;
};

struct rootfs;

/*
 * Applies a (possibly gzip, zstd, xz or bzip2 compressed) tar stream under root
 * as one layer. With whiteouts, OCI whiteout entries hide what lower layers
 * wrote; without, they are ordinary files. Errors name the path; the caller
 * adds which image and layer.
 */
int rootfs_apply_tar(struct rootfs *r, struct rootfs_node *root, const struct rootfs_tar_src *src,
		     bool whiteouts, struct uk_err *err);

/*
 * A regular file that rootfs_apply_tar_hook() hands to fn as a stream instead
 * of writing it to the tree (kernel.tar, unpacked straight into the root).
 */
struct rootfs_tar_hook {
	const char *path; /* clean */
	int (*fn)(void *ctx, const struct rootfs_tar_src *data, struct uk_err *err);
	void *ctx;
	bool seen;
};

int rootfs_apply_tar_hook(struct rootfs *r, struct rootfs_node *root,
			  const struct rootfs_tar_src *src, bool whiteouts,
			  struct rootfs_tar_hook *hook, struct uk_err *err);

/* A tar stream read from a region of the spool (kernel.tar). */
int rootfs_apply_spooled_tar(struct rootfs *r, struct rootfs_node *root, uint64_t off,
			     uint64_t size, struct uk_err *err);

/* ---- the assembly ---- */

struct rootfs {
	struct rootfs_tree tree;
	struct rootfs_spool *spool;
	struct rootfs_node *root;
	int64_t epoch;
	char *tmpdir;	 /* private directory for the kernel and ucode files */
	bool own_tmpdir; /* made by us, removed by rootfs_free() */
	char *kernel_path, *ucode_path, *cmdline;
};

/* An empty assembly: a root, a spool in tmpdir (NULL: $TMPDIR or /tmp). */
int rootfs_new(struct rootfs **out, const char *tmpdir, int64_t epoch, struct uk_err *err);

/* Writes data as a new regular file's content; *off receives its place in the spool. */
int rootfs_spool_data(struct rootfs *r, const void *data, size_t len, uint64_t *off,
		      struct uk_err *err);
/* rootfs_tree_put() for a regular file with the given content. */
int rootfs_put_file(struct rootfs *r, struct rootfs_node *root, const char *path, mode_t perm,
		    uint32_t uid, uint32_t gid, const void *data, size_t len, struct uk_err *err);
int rootfs_put_dir(struct rootfs *r, struct rootfs_node *root, const char *path, mode_t perm,
		   uint32_t uid, uint32_t gid, struct uk_err *err);
int rootfs_put_symlink(struct rootfs *r, struct rootfs_node *root, const char *path,
		       const char *target, mode_t perm, uint32_t uid, uint32_t gid,
		       struct uk_err *err);

/* LinuxKit's filter for every image's files: drops, replacements, the files that must exist. */
int rootfs_filter_image(struct rootfs *r, struct rootfs_node *img, const char *resolv_symlink,
			struct uk_err *err);

/* ---- container configuration (LinuxKit's ConfigToOCI) ---- */

/* Names allocated ids (100, 101, ... in container order); later duplicates win. */
struct rootfs_ids {
	char **names;
	uint32_t *ids;
	size_t n, alloc;
};

void rootfs_ids_add(struct rootfs_ids *ids, const char *name, uint32_t id);
void rootfs_ids_release(struct rootfs_ids *ids);
/* An id from a JSON integer or name ("" and "root" are 0); NULL is 0. */
int rootfs_ids_resolve(const struct rootfs_ids *ids, const json_t *v, uint32_t *out,
		       struct uk_err *err);

/* Where a spec node came from, for messages ("FILE:LINE:COL"), or NULL. */
typedef const char *(*rootfs_where_fn)(const void *ctx, const json_t *node);

struct rootfs_oci_in {
	const json_t *entry;	    /* the spec's image entry (name, image, fields) */
	const json_t *image_config; /* the image's config blob, or NULL */
	const struct rootfs_ids *ids;
	const json_t *volumes; /* the spec's volumes array, or NULL */
	rootfs_where_fn where;
	const void *where_ctx;
};

struct rootfs_oci_out {
	json_t *config;	 /* config.json */
	json_t *runtime; /* runtime.json, before the rootfs mounts are put in front */
	bool readonly;
};

int rootfs_oci_config(const struct rootfs_oci_in *in, struct rootfs_oci_out *out,
		      struct uk_err *err);
void rootfs_oci_out_release(struct rootfs_oci_out *out);

/*
 * init.conf (docs/layout.md) for a runtime.json; restart is the service's
 * policy, NULL for onboot and onshutdown containers.
 */
int rootfs_init_conf(const json_t *runtime, const char *restart, char **out, struct uk_err *err);

/* JSON as LinuxKit writes it (Go's MarshalIndent, four spaces, no final newline); caller frees. */
char *rootfs_json_dump(const json_t *j);
/* A JSON integer for any uint64_t (values above INT64_MAX are printed by rootfs_json_dump only). */
json_t *rootfs_json_u64(uint64_t v);
