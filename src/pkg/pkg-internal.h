/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pieces of a package build, private to src/pkg/ (and its unit tests):
 * the recipe (build.yml), the Debian side (apt, .deb files), the entry tree
 * the image layer is made from, and the tar writers.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "pkg/pkg.h"
#include "util/sha256.h"
#include "util/strbuf.h"

struct archive;
struct archive_entry;

/* A growable vector of owned strings. */
struct strv {
	char **v;
	size_t n, alloc;
};

#define STRV_INIT                             \
	{                                     \
		.v = NULL, .n = 0, .alloc = 0 \
	}

void strv_push(struct strv *sv, const char *s);
void strv_push_take(struct strv *sv, char *s);
bool strv_contains(const struct strv *sv, const char *s);
void strv_sort(struct strv *sv);
void strv_release(struct strv *sv);
/* A NULL-terminated copy of the pointers (not the strings), for argv vectors; caller frees. */
const char **strv_argv(const struct strv *sv);

/* ---- build.yml (recipe.c, label.c) ---- */

#define PKG_MODE_UNSET (-1)

struct pkg_file {
	char *src;	/* relative to the package directory; NULL for contents/symlink/directory */
	char *dst;	/* normalised path in the image (no leading "/") */
	char *contents; /* inline contents, or NULL */
	char *symlink;	/* link target, or NULL */
	bool directory;
	int mode; /* PKG_MODE_UNSET: from the source (0644/0755), 0755 for directories */
	uint32_t uid, gid;
	char *where; /* "FILE:LINE:COL" of the entry */
};

struct pkg_program {
	char *output;	  /* normalised path in the image */
	int mode;	  /* PKG_MODE_UNSET: 0755 */
	struct strv cc;	  /* compiler argv, run in the package directory with "-o TMP" added */
	char *file;	  /* a host file built elsewhere, relative to the package directory */
	char *env;	  /* a variable that, when set, names the host file instead */
	struct strv make; /* make's arguments, run in the package directory before reading file */
	char *where;
};

struct pkg_recipe {
	char *path; /* the build.yml, as given */
	char *image, *org, *tag, *gitrepo;
	struct strv arches;
	json_t *config;			/* the org.mobyproject.config label, or NULL */
	json_t *entrypoint, *cmd, *env; /* image config (arrays of strings) or NULL */
	char *workdir;
	/* debian: */
	struct strv debs; /* "name" or "name=version" */
	bool resolve;	  /* add dependencies (no recommends, no suggests) */
	struct strv exclude, trim, keep;
	char *debs_where;
	/* kernel: */
	char *kernel_package;
	struct strv modules;
	struct strv load; /* modules init loads at boot (etc/modules-load) */
	char *kernel_where;
	struct pkg_file *files;
	size_t n_files;
	struct pkg_program *programs;
	size_t n_programs;
};

/*
 * Parses build.yml text (name is used in error positions). Every path is kept
 * as written; the caller resolves them against the package directory.
 */
int pkg_recipe_parse(struct pkg_recipe *r, const char *name, const char *text, size_t len,
		     struct uk_err *err);
int pkg_recipe_load(struct pkg_recipe *r, const char *path, struct uk_err *err);
void pkg_recipe_release(struct pkg_recipe *r);

/* Normalises an image path ("/usr/bin/x", "./x/") to "usr/bin/x"; NULL for "..", "" or "/". */
char *pkg_path_normalise(const char *p);

/* Parses a mode ("0755", 0755, "755"): 0 on success. */
int pkg_mode_parse(const char *s, int *mode);

/* The Levenshtein-closest of words to s when it is close enough, for "did you mean". */
const char *pkg_did_you_mean(const char *s, const char *const *words, size_t n);

/* ---- YAML to JSON for the config label (label.c) ---- */

struct yaml_document_s;
struct yaml_node_s;

/*
 * Converts a YAML node to JSON with YAML 1.1 scalar typing (as LinuxKit's
 * go-yaml reads it: 0666 is octal, yes/no are booleans) and checks it is a
 * valid org.mobyproject.config label: known keys, each of the right shape.
 */
json_t *pkg_label_from_yaml(struct yaml_document_s *doc, struct yaml_node_s *node, const char *file,
			    struct uk_err *err);
/* The JSON value of one YAML scalar node. */
json_t *pkg_yaml_scalar(struct yaml_node_s *node);

/* ---- the trimming rules (tree.c) ---- */

/* True when path (normalised) matches pattern or lies below a path that does. */
bool pkg_glob_match(const char *pattern, const char *path);
/* True when a path from a Debian package is left out: docs, man pages, locales, the recipe's trim.
 */
bool pkg_trimmed(const char *path, const struct strv *trim, const struct strv *keep);

/* ---- apt (apt.c) ---- */

struct deb_pkg {
	char *name, *version, *arch;
	char sha256[SHA256_HEX_LEN + 1];
	char *filename; /* the archive's pool path */
	int64_t size;
};

struct deb_list {
	struct deb_pkg *v;
	size_t n, alloc;
};

#define DEB_LIST_INIT                         \
	{                                     \
		.v = NULL, .n = 0, .alloc = 0 \
	}

void deb_list_release(struct deb_list *l);
struct deb_pkg *deb_list_find(struct deb_list *l, const char *name);

/* Parsers for apt's output, exposed for the unit tests. */
int apt_parse_simulation(const char *out, struct deb_list *l, struct uk_err *err);
int apt_parse_policy(const char *out, struct deb_list *l);
int apt_parse_show(const char *out, struct deb_list *l, struct uk_err *err);
/* The linux-image-VERSION package a meta package depends on ("apt-cache depends" output), or NULL.
 */
char *apt_parse_kernel_depends(const char *out);

/*
 * Resolves names ("pkg" or "pkg=version") to exact versions with their
 * archive SHA256: with resolve, dependencies are added as apt would install
 * them on an empty system, without recommends or suggests; names in exclude
 * are then dropped. Sorted by name. Uses the host's apt lists; downloads
 * nothing. cache, when not NULL, is a directory where apt keeps its parsed
 * lists between runs (apt checks them against the lists itself).
 */
int apt_resolve(const struct strv *names, bool resolve, const struct strv *exclude,
		const char *cache, struct deb_list *out, struct uk_err *err);
/* Follows a kernel meta package (linux-image-cloud-amd64) to the package it depends on. */
int apt_kernel_package(const char *name, const char *cache, char **out, struct uk_err *err);
/*
 * Makes dir/FILE.deb present and verified for p (downloading it with
 * apt-get download into a private directory when missing or corrupt) and
 * sets *path to it.
 */
int apt_fetch(const struct deb_pkg *p, const char *dir, const char *cache, char **path,
	      struct uk_err *err);

/* ---- .deb files (deb.c) ---- */

/*
 * Called for each entry of data.tar but its root, with the entry's normalised
 * path; the data is read from a with archive_read_data().
 */
typedef int (*deb_entry_fn)(void *ctx, const char *path, struct archive *a, struct archive_entry *e,
			    struct uk_err *err);
/* Reads a .deb (an ar archive) and walks its data.tar.*; control.tar (maintainer scripts) is
 * skipped. */
int deb_foreach(const char *path, deb_entry_fn fn, void *ctx, struct uk_err *err);

/* ---- the entry tree (tree.c) ---- */

enum tree_type { TREE_DIR, TREE_REG, TREE_SYMLINK, TREE_CHR, TREE_BLK, TREE_FIFO };

struct tree_entry {
	char *path; /* normalised */
	enum tree_type type;
	mode_t perm; /* permission bits, with setuid/setgid/sticky */
	uint32_t uid, gid;
	uint64_t off, size; /* regular files: where the data is in the spool */
	uint64_t data_id;   /* regular files with the same id are hard links */
	char *link;	    /* symlink target */
	uint32_t rmajor, rminor;
	bool implicit; /* a parent directory nobody declared */
};

struct tree; /* a set of entries by path, their data spooled to an unnamed temporary file */

int tree_new(struct tree **out, const char *tmpdir, struct uk_err *err);
void tree_free(struct tree *t);
static inline void tree_freep(struct tree **t)
{
	tree_free(*t);
}
size_t tree_count(const struct tree *t);
const struct tree_entry *tree_get(const struct tree *t, const char *path);

/* Adds (or replaces) an entry; e->path and e->link are copied. Missing parents become directories.
 */
int tree_add(struct tree *t, const struct tree_entry *e, struct uk_err *err);
/* Adds a regular file whose data is read from fd (to its end) or from memory. */
int tree_add_fd(struct tree *t, const char *path, int fd, mode_t perm, uint32_t uid, uint32_t gid,
		struct uk_err *err);
int tree_add_data(struct tree *t, const char *path, const void *data, size_t len, mode_t perm,
		  uint32_t uid, uint32_t gid, struct uk_err *err);
/* Adds an entry of an archive being read (data from archive_read_data()); hard links are kept. */
int tree_add_archive_entry(struct tree *t, const char *path, struct archive *a,
			   struct archive_entry *ae, struct uk_err *err);
/* Appends raw bytes to the spool, for writers that produce a file in pieces. */
int tree_spool_begin(struct tree *t, uint64_t *off);
int tree_spool_write(struct tree *t, const void *data, size_t len, struct uk_err *err);
/* Adds a regular file made of the spool bytes from off to the end. */
int tree_add_spooled(struct tree *t, const char *path, uint64_t off, mode_t perm,
		     struct uk_err *err);
/* Reads len bytes of spooled data at off. */
int tree_read(struct tree *t, uint64_t off, void *buf, size_t len, struct uk_err *err);
/* The entries in path order (a directory before what it holds); valid until the next add. */
const struct tree_entry *const *tree_sorted(struct tree *t);

/* ---- tar writers (tar.c) ---- */

/*
 * Writes the tree as a reproducible tar (sorted, mtime epoch, numeric owners,
 * no user names) through write_fn.
 */
typedef int (*tar_write_fn)(void *ctx, const void *data, size_t len, struct uk_err *err);
int tar_write_tree(struct tree *t, int64_t epoch, tar_write_fn fn, void *ctx, struct uk_err *err);

/* The tree as a gzip-compressed layer blob in the store, with its uncompressed digest. */
int tar_write_layer(struct tree *t, int64_t epoch, struct store *store, struct oci_desc *layer,
		    char diff_id[OCI_DIGEST_MAX], struct uk_err *err);

/* ---- the image (image.c) ---- */

#define PKG_LABEL_CONFIG "org.mobyproject.config"
#define PKG_LABEL_DEBS "org.unikit.debian.packages"

struct pkg_image_info {
	const char *arch;
	int64_t epoch;
	const json_t *label;		/* org.mobyproject.config, or NULL */
	const char *debs;		/* "name=version ..." for the label, or NULL */
	const char *source;		/* gitrepo, or NULL */
	json_t *env, *entrypoint, *cmd; /* NULL: none (env: a default PATH) */
	const char *workdir;
};

/* Stores the config and the manifest of a one-layer image; *manifest describes the manifest. */
int pkg_image_write(struct store *store, const struct pkg_image_info *info,
		    const struct oci_desc *layer, const char *diff_id, struct oci_desc *manifest,
		    struct uk_err *err);

/* ---- the directory hash (hash.c) ---- */

/* Feeds every file below dir (path, type, mode 0644/0755, contents) into h, in path order. */
int pkg_hash_dir(struct sha256 *h, const char *dir, struct uk_err *err);

/* Applies a tag template ("{{.Hash}}" is replaced by hash); a literal tag is kept as it is. */
int pkg_tag_expand(const char *tmpl, const char *hash, char **out, struct uk_err *err);

/* ---- the kernel (kernel.c) ---- */

/* Module names are compared as modprobe does: '-' and '_' are the same. */
char *kmod_name_normalise(const char *name);
/* The module name of a path in modules.dep ("kernel/fs/nls/nls_cp437.ko.xz" -> "nls_cp437"). */
char *kmod_name_from_path(const char *path);
/*
 * Picks from modules.dep text the module files that names (and their
 * dependencies) need. A name found in builtin (modules.builtin text) needs
 * nothing; an unknown name is an error naming it. Adds paths to out, sorted.
 */
int kmod_select(const char *modules_dep, const char *builtin, const struct strv *names,
		struct strv *out, struct uk_err *err);

/*
 * The contents of etc/modules-load for the names in load: each must be one of
 * the modules picked (paths from kmod_select) or built in (then it is left
 * out: there is nothing to load). An unknown name is an error naming it.
 */
int kmod_load_list(const struct strv *load, const struct strv *picked, const char *builtin,
		   struct strbuf *out, struct uk_err *err);

/*
 * Adds "kernel" (the bzImage) and "kernel.tar" (lib/modules/VERSION with the
 * chosen modules and depmod's indexes, and etc/modules-load when load names
 * any) from the kernel .deb at deb_path.
 */
int kernel_add(struct tree *t, const char *deb_path, const struct strv *modules,
	       const struct strv *load, const char *tmpdir, int64_t epoch, struct uk_err *err);

/* ---- misc ---- */

/* The OCI architecture name of the host ("amd64", "arm64", ...). */
const char *pkg_host_arch(void);
/* SOURCE_DATE_EPOCH, or 0. */
int64_t pkg_epoch(void);
/* Runs apt and friends with LC_ALL=C so their output can be parsed. */
const char *const *pkg_c_locale_env(void);
