// SPDX-License-Identifier: Apache-2.0
/*
 * rootfs_assemble(): a spec and a store become one root, in LinuxKit's order
 * (moby/build/build.go): the kernel, the init images, the volumes, the onboot,
 * onshutdown and service containers, then the files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs/internal.h"
#include "util/strbuf.h"

/* init images get resolv.conf as a link to where the running system writes it */
#define RESOLV_LINK "/run/resolvconf/resolv.conf"
#define APK_DB "lib/apk/db/installed"

struct dup {
	char *image; /* normalised reference */
	char *root;  /* where it was extracted: "containers/onboot/000-x/rootfs" */
};

struct assembly {
	struct rootfs *r;
	const struct spec *spec;
	struct store *store;
	const struct rootfs_opts *opts;
	struct rootfs_ids ids;
	struct dup *dups;
	size_t ndups;
};

static const char *where_cb(const void *ctx, const json_t *node)
{
	return spec_where(ctx, node);
}

/* Prefixes err with the position of node, when the spec knows it. */
static int at(const struct assembly *a, const json_t *node, struct uk_err *err)
{
	const char *w = node ? spec_where(a->spec, node) : NULL;

	return w ? uk_err_wrap(err, "%s", w) : -1;
}

_printf_(4, 5) static int fail_at(const struct assembly *a, const json_t *node, struct uk_err *err,
				  const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	const char *w = node ? spec_where(a->spec, node) : NULL;
	if (w)
		return uk_err_setc(err, UK_ERR_INPUT, "%s: %s", w, msg);
	return uk_err_setc(err, UK_ERR_INPUT, "%s", msg);
}

static const char *str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- images ---- */

struct blob_src {
	struct store_blob *b;
};

static ssize_t blob_read(void *ctx, void *buf, size_t len, struct uk_err *err)
{
	return store_blob_read(((struct blob_src *)ctx)->b, buf, len, err);
}

static int resolve(struct assembly *a, const json_t *ref, struct oci_image *img, struct uk_err *err)
{
	const char *name = json_string_value(ref);

	if (store_image_resolve(a->store, name, a->opts->arch, img, err) == 0)
		return 0;
	if (err->code == UK_ERR_NOT_FOUND) {
		uk_err_release(err);
		return fail_at(a, ref, err,
			       "image '%s' is not in the store (add it with 'unikit cache import')",
			       name);
	}
	uk_err_wrap(err, "image '%s'", name);
	return at(a, ref, err);
}

/*
 * Applies the image's layers, in order, to a new root of their own. A hook
 * (kernel.tar) only applies to an image of one layer: with more, a later
 * layer could still replace the file.
 */
static int flatten_hook(struct assembly *a, const json_t *ref, const struct oci_image *img,
			struct rootfs_tar_hook *hook, struct rootfs_node **out, struct uk_err *err)
{
	struct rootfs_node *root = rootfs_tree_new_root(&a->r->tree);

	for (size_t i = 0; i < img->n_layers; i++) {
		struct blob_src bs = { NULL };
		struct rootfs_tar_src src = { .read = blob_read, .ctx = &bs };
		int rc = store_blob_open(a->store, img->layers[i].digest, &bs.b, err);
		if (rc == 0) {
			rc = rootfs_apply_tar_hook(a->r, root, &src, true,
						   img->n_layers == 1 ? hook : NULL, err);
			store_blob_close(bs.b);
		}
		if (rc < 0) {
			rootfs_tree_remove(&a->r->tree, root);
			uk_err_wrap(err, "image '%s' layer %s", json_string_value(ref),
				    img->layers[i].digest);
			return at(a, ref, err);
		}
	}
	*out = root;
	return 0;
}

static int flatten(struct assembly *a, const json_t *ref, const struct oci_image *img,
		   struct rootfs_node **out, struct uk_err *err)
{
	return flatten_hook(a, ref, img, NULL, out, err);
}

/* The directories of a relative path, made in the root (LinuxKit's tarPrefix). */
static int prefix_dirs(struct assembly *a, const char *path, struct uk_err *err)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (rootfs_put_dir(a->r, a->r->root, p, 0755, 0, 0, err) < 0)
			return -1;
		*s = c;
		if (!c)
			return 0;
	}
}

/* Extracts an image (filtered) into the directory at path, made fresh. */
static int extract_to(struct assembly *a, const json_t *ref, const struct oci_image *img,
		      const char *path, struct uk_err *err)
{
	struct rootfs_node *tree, *dst;

	if (flatten(a, ref, img, &tree, err) < 0)
		return -1;
	if (rootfs_filter_image(a->r, tree, NULL, err) < 0 || prefix_dirs(a, path, err) < 0 ||
	    rootfs_resolve_existing(&a->r->tree, a->r->root, path, &dst, err) < 0 ||
	    rootfs_tree_merge(&a->r->tree, a->r->root, dst, tree, err) < 0) {
		rootfs_tree_remove(&a->r->tree, tree);
		return -1;
	}
	rootfs_tree_remove(&a->r->tree, tree);
	return 0;
}

/* ---- the kernel ---- */

static int export_file(struct assembly *a, const struct rootfs_node *n, const char *name,
		       char **path, struct uk_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/%s-XXXXXX", a->r->tmpdir, name);
	_cleanup_free_ char *buf = xmalloc(65536);
	_cleanup_close_ int fd = mkostemp(p, O_CLOEXEC);
	uint64_t off = n->off, left = n->size;

	if (fd < 0)
		return uk_err_errno(err, "create '%s'", p);
	*path = xstrdup(p);
	while (left) {
		size_t len = left < 65536 ? (size_t)left : 65536;
		if (rootfs_spool_pread(a->r->spool, buf, len, off, err) < 0)
			return -1;
		if (xwrite_all(fd, buf, len) < 0)
			return uk_err_errno(err, "write '%s'", p);
		off += len;
		left -= len;
	}
	return 0;
}

/* A regular file of the kernel image, by name; NULL name or "none" means not wanted. */
static int kernel_file(struct assembly *a, struct rootfs_node *img, const char *name,
		       const char *what, const json_t *ref, struct rootfs_node **out,
		       struct uk_err *err)
{
	_cleanup_free_ char *clean = xmalloc(strlen(name) + 1);

	if (rootfs_path_clean(name, clean, err) < 0)
		return at(a, ref, err);
	if (rootfs_resolve_existing(&a->r->tree, img, clean, out, err) < 0 ||
	    !S_ISREG((*out)->mode)) {
		uk_err_release(err);
		return fail_at(a, ref, err, "did not find the %s '%s' in kernel image '%s'", what,
			       name, json_string_value(ref));
	}
	return 0;
}

static int put_from(struct assembly *a, const char *path, const struct rootfs_node *n,
		    struct uk_err *err)
{
	struct rootfs_meta m = { .mode = S_IFREG | (n->mode & 07777),
				 .size = n->size,
				 .off = n->off };

	return rootfs_tree_put(&a->r->tree, a->r->root, path, &m, 0, NULL, err);
}

/* kernel.tar, unpacked into the root as it streams out of the kernel image's layer */
static int kernel_tar_hook(void *ctx, const struct rootfs_tar_src *data, struct uk_err *err)
{
	struct assembly *a = ctx;

	return rootfs_apply_tar(a->r, a->r->root, data, false, err);
}

static int kernel(struct assembly *a, const json_t *k, struct uk_err *err)
{
	const json_t *ref = json_object_get(k, "image");
	const char *binary = str(k, "binary"), *tar = str(k, "tar"), *ucode = str(k, "ucode");
	const char *cmdline = str(k, "cmdline");
	struct oci_image img = { 0 };
	struct rootfs_node *tree = NULL, *kn, *tn = NULL, *un = NULL;
	_cleanup_free_ char *tar_clean = NULL;
	struct rootfs_tar_hook hook = { .fn = kernel_tar_hook, .ctx = a };
	int rc = -1;

	if (!json_is_string(ref) || !*json_string_value(ref))
		return 0;
	free(a->r->cmdline);
	a->r->cmdline = xstrdup(cmdline ? cmdline : "");
	if (!tar)
		tar = "kernel.tar";
	if (*tar && strcmp(tar, "none") != 0) {
		tar_clean = xmalloc(strlen(tar) + 1);
		if (rootfs_path_clean(tar, tar_clean, err) < 0)
			return at(a, ref, err);
		hook.path = tar_clean;
	}
	if (resolve(a, ref, &img, err) < 0)
		return -1;
	if (flatten_hook(a, ref, &img, hook.path ? &hook : NULL, &tree, err) < 0)
		goto out;
	if (kernel_file(a, tree, binary && *binary ? binary : "kernel", "kernel", ref, &kn, err) <
	    0)
		goto out;
	if (hook.path && !hook.seen && kernel_file(a, tree, tar, "kernel tar", ref, &tn, err) < 0)
		goto out;
	if (ucode && *ucode && kernel_file(a, tree, ucode, "ucode", ref, &un, err) < 0)
		goto out;

	if (rootfs_put_dir(a->r, a->r->root, "boot", 0755, 0, 0, err) < 0 ||
	    rootfs_put_file(a->r, a->r->root, "boot/cmdline", 0644, 0, 0, a->r->cmdline,
			    strlen(a->r->cmdline), err) < 0 ||
	    put_from(a, "boot/kernel", kn, err) < 0 ||
	    export_file(a, kn, "kernel", &a->r->kernel_path, err) < 0)
		goto out;
	if (un && (put_from(a, "boot/ucode.cpio", un, err) < 0 ||
		   export_file(a, un, "ucode", &a->r->ucode_path, err) < 0))
		goto out;
	/* a kernel image of several layers: kernel.tar was spooled, and is unpacked from there */
	if (tn && rootfs_apply_spooled_tar(a->r, a->r->root, tn->off, tn->size, err) < 0) {
		uk_err_wrap(err, "kernel image '%s': %s", json_string_value(ref), tar);
		at(a, ref, err);
		goto out;
	}
	rc = 0;
out:
	if (tree)
		rootfs_tree_remove(&a->r->tree, tree);
	oci_image_release(&img);
	return rc;
}

/* ---- init images ---- */

struct apk_db {
	uint64_t off, size;
};

static int init_images(struct assembly *a, const json_t *init, struct uk_err *err)
{
	struct apk_db *dbs = NULL;
	size_t ndbs = 0, i;
	json_t *ref;
	int rc = -1;

	json_array_foreach(init, i, ref)
	{
		struct oci_image img = { 0 };
		struct rootfs_node *tree, *db = NULL;
		if (resolve(a, ref, &img, err) < 0)
			goto out;
		int r = flatten(a, ref, &img, &tree, err);
		oci_image_release(&img);
		if (r < 0)
			goto out;
		/* LinuxKit keeps every init image's apk database, not only the last one */
		if (rootfs_resolve_existing(&a->r->tree, tree, APK_DB, &db, err) < 0)
			uk_err_release(err);
		else if (S_ISREG(db->mode)) {
			dbs = xrealloc(dbs, (ndbs + 1) * sizeof(*dbs));
			dbs[ndbs++] = (struct apk_db){ db->off, db->size };
		}
		if (rootfs_filter_image(a->r, tree, RESOLV_LINK, err) < 0 ||
		    rootfs_tree_merge(&a->r->tree, a->r->root, a->r->root, tree, err) < 0) {
			rootfs_tree_remove(&a->r->tree, tree);
			uk_err_wrap(err, "init image '%s'", json_string_value(ref));
			at(a, ref, err);
			goto out;
		}
		rootfs_tree_remove(&a->r->tree, tree);
	}
	if (ndbs > 1) {
		struct rootfs_meta m = { .mode = S_IFREG | 0644 };
		m.off = rootfs_spool_size(a->r->spool);
		for (i = 0; i < ndbs; i++) {
			uint64_t dummy;
			if (rootfs_spool_copy(a->r->spool, dbs[i].off, dbs[i].size, &dummy, err) <
				    0 ||
			    rootfs_spool_write(a->r->spool, "\n\n", 2, err) < 0)
				goto out;
			m.size += dbs[i].size + 2;
		}
		if (rootfs_tree_put(&a->r->tree, a->r->root, APK_DB, &m, 0, NULL, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(dbs);
	return rc;
}

/* ---- containers ---- */

static const char *dup_find(const struct assembly *a, const char *image)
{
	for (size_t i = 0; i < a->ndups; i++) {
		if (strcmp(a->dups[i].image, image) == 0)
			return a->dups[i].root;
	}
	return NULL;
}

static json_t *mount_json(const char *type, const char *source, const char *dest, json_t *opts)
{
	json_t *m = json_object();

	json_object_set_new(m, "destination", json_string(dest));
	if (type)
		json_object_set_new(m, "type", json_string(type));
	if (source)
		json_object_set_new(m, "source", json_string(source));
	if (opts)
		json_object_set_new(m, "options", opts);
	return m;
}

static int restart_policy(struct assembly *a, const json_t *config, const json_t *entry,
			  const char **out, struct uk_err *err)
{
	const json_t *ann = json_object_get(config, "annotations");
	const char *v = str(ann, "org.unikit.restart");

	*out = "on-failure";
	if (!v)
		return 0;
	if (strcmp(v, "no") && strcmp(v, "on-failure") && strcmp(v, "always")) {
		const json_t *node = json_object_get(json_object_get(entry, "annotations"),
						     "org.unikit.restart");
		return fail_at(a, node ? node : entry, err,
			       "annotation 'org.unikit.restart' must be 'no', 'on-failure' or "
			       "'always', not '%s'",
			       v);
	}
	*out = v;
	return 0;
}

static int put_text(struct assembly *a, const char *dir, const char *name, const char *text,
		    struct uk_err *err)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);

	return rootfs_put_file(a->r, a->r->root, p, 0644, 0, 0, text, strlen(text), err);
}

static int bundle(struct assembly *a, const json_t *entry, const char *section, const char *prefix,
		  bool service, struct uk_err *err)
{
	const json_t *ref = json_object_get(entry, "image");
	const char *name = str(entry, "name");
	_cleanup_free_ char *path = xasprintf("containers/%s/%s%s", section, prefix, name);
	struct oci_image img = { 0 };
	struct rootfs_oci_out oci = { 0 };
	struct rootfs_oci_in in = {
		.entry = entry,
		.ids = &a->ids,
		.volumes = json_object_get(a->spec->root, "volumes"),
		.where = where_cb,
		.where_ctx = a->spec,
	};
	_cleanup_free_ char *root = NULL, *config = NULL, *runtime = NULL, *conf = NULL;
	_cleanup_free_ char *rootfs = xasprintf("/%s/rootfs", path), *src = NULL;
	const char *restart = NULL;
	int rc = -1;

	if (resolve(a, ref, &img, err) < 0)
		return -1;
	in.image_config = img.config;
	if (rootfs_oci_config(&in, &oci, err) < 0) {
		uk_err_wrap(err, "%s '%s'", section, name);
		goto out;
	}
	const char *found = dup_find(a, img.name);
	if (!found) {
		root = xasprintf("%s/%s", path, oci.readonly ? "rootfs" : "lower");
		if (extract_to(a, ref, &img, root, err) < 0)
			goto out;
		a->dups = xrealloc(a->dups, (a->ndups + 1) * sizeof(*a->dups));
		a->dups[a->ndups++] = (struct dup){ xstrdup(img.name), xstrdup(root) };
	} else {
		root = xstrdup(found);
		if (prefix_dirs(a, path, err) < 0)
			goto out;
	}

	/* the rootfs mounts go before the entry's own runtime mounts */
	json_t *mounts = json_array();
	src = xasprintf("/%s", root);
	if (!oci.readonly) {
		_cleanup_free_ char *tmp = xasprintf("%s/tmp", path);
		_cleanup_free_ char *tmp_abs = xasprintf("/%s", tmp);
		_cleanup_free_ char *lower = xasprintf("lowerdir=/%s", root);
		_cleanup_free_ char *upper = xasprintf("upperdir=/%s/upper", tmp);
		_cleanup_free_ char *work = xasprintf("workdir=/%s/work", tmp);
		_cleanup_free_ char *rootfs_rel = xasprintf("%s/rootfs", path);
		if (rootfs_put_dir(a->r, a->r->root, tmp, 0755, 0, 0, err) < 0 ||
		    rootfs_put_dir(a->r, a->r->root, rootfs_rel, 0755, 0, 0, err) < 0) {
			json_decref(mounts);
			goto out;
		}
		json_array_append_new(mounts, mount_json("tmpfs", "tmpfs", tmp_abs, NULL));
		json_array_append_new(mounts, mount_json(NULL, NULL, tmp_abs,
							 json_pack("[ss]", "remount", "private")));
		json_array_append_new(mounts, mount_json("overlay", "overlay", rootfs,
							 json_pack("[sss]", lower, upper, work)));
	} else {
		if (found) {
			_cleanup_free_ char *rootfs_rel = xasprintf("%s/rootfs", path);
			if (rootfs_put_dir(a->r, a->r->root, rootfs_rel, 0755, 0, 0, err) < 0) {
				json_decref(mounts);
				goto out;
			}
		}
		/* bind onto itself when not shared: runc prefers the root to be a mount point */
		json_array_append_new(mounts,
				      mount_json(NULL, src, rootfs, json_pack("[s]", "bind")));
	}
	json_array_extend(mounts, json_object_get(oci.runtime, "mounts"));
	json_object_set_new(oci.runtime, "mounts", mounts);

	if (service && restart_policy(a, oci.config, entry, &restart, err) < 0)
		goto out;
	config = rootfs_json_dump(oci.config);
	runtime = rootfs_json_dump(oci.runtime);
	if (rootfs_init_conf(oci.runtime, restart, &conf, err) < 0) {
		uk_err_wrap(err, "%s '%s'", section, name);
		at(a, entry, err);
		goto out;
	}
	if (put_text(a, path, "config.json", config, err) < 0 ||
	    put_text(a, path, "runtime.json", runtime, err) < 0 ||
	    put_text(a, path, "init.conf", conf, err) < 0)
		goto out;
	rc = 0;
out:
	rootfs_oci_out_release(&oci);
	oci_image_release(&img);
	return rc;
}

static int containers(struct assembly *a, const char *section, bool numbered, struct uk_err *err)
{
	const json_t *list = json_object_get(a->spec->root, section);
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
	{
		char prefix[32] = "";
		if (numbered)
			snprintf(prefix, sizeof(prefix), "%03zu-", i);
		if (bundle(a, e, section, prefix, strcmp(section, "services") == 0, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- volumes ---- */

static int spool_blob(struct assembly *a, const char *digest, uint64_t *off, uint64_t *size,
		      struct uk_err *err)
{
	struct store_blob *b;
	_cleanup_free_ char *buf = xmalloc(65536);

	if (store_blob_open(a->store, digest, &b, err) < 0)
		return -1;
	*off = rootfs_spool_size(a->r->spool);
	*size = 0;
	for (;;) {
		ssize_t n = store_blob_read(b, buf, 65536, err);
		if (n < 0 || (n > 0 && rootfs_spool_write(a->r->spool, buf, (size_t)n, err) < 0)) {
			store_blob_close(b);
			return -1;
		}
		if (n == 0)
			break;
		*size += (uint64_t)n;
	}
	store_blob_close(b);
	return 0;
}

static int put_blob(struct assembly *a, const char *blobs, const char *digest, uint64_t *size,
		    struct uk_err *err)
{
	struct rootfs_meta m = { .mode = S_IFREG | 0644 };
	const char *hex = strchr(digest, ':');
	_cleanup_free_ char *p = xasprintf("%s/%s", blobs, hex ? hex + 1 : digest);

	if (spool_blob(a, digest, &m.off, &m.size, err) < 0)
		return -1;
	if (size)
		*size = m.size;
	return rootfs_tree_put(&a->r->tree, a->r->root, p, &m, 0, NULL, err);
}

/* The volume's image as an OCI image layout (format: oci), one manifest per platform. */
static int volume_oci(struct assembly *a, const json_t *vol, const char *lower, struct uk_err *err)
{
	const json_t *ref = json_object_get(vol, "image");
	const json_t *platforms = json_object_get(vol, "platforms");
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", lower);
	json_t *index = json_pack("{sis[]}", "schemaVersion", 2, "manifests");
	_cleanup_free_ char *idx = NULL;
	size_t n = json_array_size(platforms) ? json_array_size(platforms) : 1;
	int rc = -1;

	if (prefix_dirs(a, blobs, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *platform = json_string_value(json_array_get(platforms, i));
		const char *arch = a->opts->arch;
		if (platform) {
			const char *slash = strchr(platform, '/');
			arch = slash ? slash + 1 : platform;
		}
		struct oci_image img = { 0 };
		if (store_image_resolve(a->store, json_string_value(ref), arch, &img, err) < 0) {
			uk_err_wrap(err, "volume image '%s' for '%s'", json_string_value(ref),
				    arch ? arch : "this machine");
			at(a, ref, err);
			goto out;
		}
		uint64_t msize;
		int r = put_blob(a, blobs, img.manifest_digest, &msize, err);
		r = r < 0 ? r : put_blob(a, blobs, img.config_digest, NULL, err);
		for (size_t l = 0; r == 0 && l < img.n_layers; l++)
			r = put_blob(a, blobs, img.layers[l].digest, NULL, err);
		const char *mt = str(img.manifest, "mediaType");
		json_t *desc =
			json_pack("{sssssIs{ss}}", "mediaType",
				  mt ? mt : "application/vnd.oci.image.manifest.v1+json", "digest",
				  img.manifest_digest, "size", (json_int_t)msize, "annotations",
				  "org.opencontainers.image.ref.name", img.name);
		const char *os = str(img.config, "os"), *carch = str(img.config, "architecture");
		if (os && carch)
			json_object_set_new(desc, "platform",
					    json_pack("{ssss}", "architecture", carch, "os", os));
		json_array_append_new(json_object_get(index, "manifests"), desc);
		oci_image_release(&img);
		if (r < 0)
			goto out;
	}
	idx = rootfs_json_dump(index);
	if (put_text(a, lower, "index.json", idx, err) < 0 ||
	    put_text(a, lower, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(index);
	return rc;
}

static int volumes(struct assembly *a, struct uk_err *err)
{
	const json_t *list = json_object_get(a->spec->root, "volumes");
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		const char *name = str(v, "name"), *format = str(v, "format");
		const json_t *ref = json_object_get(v, "image");
		_cleanup_free_ char *base = xasprintf("containers/volumes/%s", name);
		_cleanup_free_ char *lower = xasprintf("%s/lower", base);
		_cleanup_free_ char *tmp = xasprintf("%s/tmp", base);
		_cleanup_free_ char *merged = xasprintf("%s/merged", base);
		bool ro = json_is_true(json_object_get(v, "readonly"));
		int r;

		if (json_is_string(ref) && *json_string_value(ref)) {
			if (format && strcmp(format, "oci") == 0) {
				r = prefix_dirs(a, lower, err) < 0 ? -1
								   : volume_oci(a, v, lower, err);
			} else {
				struct oci_image img = { 0 };
				r = resolve(a, ref, &img, err);
				if (r == 0)
					r = extract_to(a, ref, &img, lower, err);
				oci_image_release(&img);
			}
		} else {
			r = prefix_dirs(a, lower, err);
		}
		if (r < 0 || rootfs_put_dir(a->r, a->r->root, tmp, 0755, 0, 0, err) < 0 ||
		    rootfs_put_dir(a->r, a->r->root, merged, 0755, 0, 0, err) < 0)
			return uk_err_wrap(err, "volume '%s'", name);

		/* as LinuxKit's init does: an overlay with a tmpfs upper, "ro" when read-only */
		struct strbuf conf = STRBUF_INIT;
		strbuf_addstr(&conf, "# unikit init.conf: how the volume is mounted at boot\n");
		strbuf_addf(&conf, "mount\ttmpfs\ttmpfs\t/%s\t-\n", tmp);
		strbuf_addf(&conf, "mkdir\t/%s/upper\nmkdir\t/%s/work\n", tmp, tmp);
		strbuf_addf(&conf,
			    "mount\toverlay\toverlay\t/%s\tlowerdir=/%s,upperdir=/%s/upper,"
			    "workdir=/%s/work%s\n",
			    merged, lower, tmp, tmp, ro ? ",ro" : "");
		r = put_text(a, base, "init.conf", conf.buf, err);
		strbuf_release(&conf);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* ---- files ---- */

static int file_mode(struct assembly *a, const json_t *f, bool dir, mode_t *out, struct uk_err *err)
{
	const json_t *m = json_object_get(f, "mode");
	char *end;

	*out = dir ? 0700 : 0600;
	if (!m)
		return 0;
	const char *s = json_string_value(m);
	errno = 0;
	long v = s ? strtol(s, &end, 8) : -1;
	if (!s || !*s || *end || errno || v < 0 || v > 07777)
		return fail_at(a, m, err, "cannot parse file mode '%s' as an octal value",
			       s ? s : "?");
	*out = (mode_t)v;
	return 0;
}

/* Reads a source file into the spool. */
static int spool_source(struct assembly *a, const char *path, uint64_t *off, uint64_t *size,
			struct uk_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = xmalloc(65536);

	if (fd < 0)
		return uk_err_errno(err, "open '%s'", path);
	*off = rootfs_spool_size(a->r->spool);
	*size = 0;
	for (;;) {
		ssize_t n = read(fd, buf, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return uk_err_errno(err, "read '%s'", path);
		if (n == 0)
			return 0;
		if (rootfs_spool_write(a->r->spool, buf, (size_t)n, err) < 0)
			return -1;
		*size += (uint64_t)n;
	}
}

static void normalise_ref(json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	struct oci_ref ref = { 0 };
	struct uk_err err = { 0 };

	if (!json_is_string(v))
		return;
	if (oci_ref_parse(&ref, json_string_value(v), &err) < 0) {
		uk_err_release(&err);
		return;
	}
	char *full = oci_ref_string(&ref);
	json_object_set_new(obj, key, json_string(full));
	free(full);
	oci_ref_release(&ref);
}

/* The resolved spec, image references spelt out in full (LinuxKit's metadata). */
static int metadata(struct assembly *a, const json_t *node, const char *kind, char **out,
		    size_t *len, struct uk_err *err)
{
	json_t *copy = json_deep_copy(a->spec->root);
	static const char *const sections[] = { "onboot", "onshutdown", "services", "volumes" };
	size_t i;
	json_t *v;
	int rc = -1;

	normalise_ref(json_object_get(copy, "kernel"), "image");
	json_t *init = json_object_get(copy, "init");
	json_array_foreach(init, i, v)
	{
		json_t *wrap = json_pack("{sO}", "image", v);
		normalise_ref(wrap, "image");
		json_array_set(init, i, json_object_get(wrap, "image"));
		json_decref(wrap);
	}
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		json_array_foreach(json_object_get(copy, sections[s]), i, v)
			normalise_ref(v, "image");
	}
	if (strcmp(kind, "json") == 0) {
		*out = rootfs_json_dump(copy);
		*len = strlen(*out);
		rc = 0;
	} else if (strcmp(kind, "yaml") == 0) {
		struct spec tmp = { .root = copy, .where = a->spec->where };
		FILE *f = open_memstream(out, len);
		if (!f)
			abort();
		rc = spec_write_yaml(&tmp, f, err);
		fclose(f);
		if (rc < 0) {
			free(*out);
			*out = NULL;
		}
	} else {
		rc = fail_at(a, node, err, "unsupported metadata type '%s' (yaml or json)", kind);
	}
	json_decref(copy);
	return rc;
}

/* The leading directories of a files entry that do not exist yet. */
static int file_parents(struct assembly *a, const char *path, mode_t mode, uint32_t uid,
			uint32_t gid, struct uk_err *err)
{
	_cleanup_free_ char *p = xstrdup(path);
	mode_t dmode = mode;
	struct rootfs_node *n;

	if (dmode & 0700)
		dmode |= 0100;
	if (dmode & 0070)
		dmode |= 0010;
	if (dmode & 0007)
		dmode |= 0001;
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (rootfs_resolve_existing(&a->r->tree, a->r->root, p, &n, err) == 0) {
			*s = '/';
			continue;
		}
		if (err->code != UK_ERR_NOT_FOUND)
			return -1;
		uk_err_release(err);
		if (rootfs_put_dir(a->r, a->r->root, p, dmode, uid, gid, err) < 0)
			return -1;
		*s = '/';
	}
	return 0;
}

static int one_file(struct assembly *a, const json_t *f, struct uk_err *err)
{
	const json_t *pnode = json_object_get(f, "path");
	const char *raw = json_string_value(pnode);
	bool dir = json_is_true(json_object_get(f, "directory"));
	const char *symlink = str(f, "symlink"), *contents = str(f, "contents");
	const char *source = str(f, "source"), *meta = str(f, "metadata");
	struct rootfs_meta m = { 0 };
	mode_t mode;
	uint32_t uid, gid;

	if (!raw || !*raw)
		return fail_at(a, f, err, "a file needs a path");
	_cleanup_free_ char *path = xmalloc(strlen(raw) + 1);
	if (rootfs_path_clean(raw, path, err) < 0)
		return at(a, pnode, err);
	if (!*path)
		return fail_at(a, pnode, err, "file path '%s' names the root", raw);
	if (file_mode(a, f, dir, &mode, err) < 0)
		return -1;
	const json_t *u = json_object_get(f, "uid"), *g = json_object_get(f, "gid");
	if (rootfs_ids_resolve(&a->ids, u, &uid, err) < 0)
		return at(a, u, err);
	if (rootfs_ids_resolve(&a->ids, g, &gid, err) < 0)
		return at(a, g, err);

	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (dir) {
		m.mode = S_IFDIR | mode;
	} else if (symlink && *symlink) {
		m.mode = S_IFLNK | mode;
		m.linkname = symlink;
	} else if (contents) {
		m.mode = S_IFREG | mode;
		if (rootfs_spool_data(a->r, contents, strlen(contents), &m.off, err) < 0)
			return -1;
		m.size = strlen(contents);
	} else if (source && *source) {
		_cleanup_free_ char *full = NULL;
		const char *home = getenv("HOME");
		if (str_has_prefix(source, "~/") && home)
			full = xasprintf("%s%s", home, source + 1);
		else if (*source != '/' && a->opts->spec_dir)
			full = xasprintf("%s/%s", a->opts->spec_dir, source);
		else
			full = xstrdup(source);
		if (json_is_true(json_object_get(f, "optional")) && access(full, R_OK) < 0)
			return 0;
		m.mode = S_IFREG | mode;
		if (spool_source(a, full, &m.off, &m.size, err) < 0) {
			uk_err_wrap(err, "file '%s'", raw);
			return at(a, json_object_get(f, "source"), err);
		}
	} else if (meta && *meta) {
		if (metadata(a, json_object_get(f, "metadata"), meta, &data, &len, err) < 0)
			return -1;
		m.mode = S_IFREG | mode;
		m.size = len;
		if (rootfs_spool_data(a->r, data, len, &m.off, err) < 0)
			return -1;
	} else {
		return fail_at(a, f, err, "contents of file '%s' not specified", raw);
	}
	m.uid = uid;
	m.gid = gid;
	if (file_parents(a, path, mode, uid, gid, err) < 0 ||
	    rootfs_tree_put(&a->r->tree, a->r->root, path, &m, 0, NULL, err) < 0) {
		uk_err_wrap(err, "file '%s'", raw);
		return at(a, pnode, err);
	}
	return 0;
}

static int files(struct assembly *a, struct uk_err *err)
{
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(a->spec->root, "files"), i, f)
	{
		if (one_file(a, f, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- all of it ---- */

int rootfs_assemble(struct rootfs **out, const struct spec *spec, struct store *store,
		    const struct rootfs_opts *opts, struct uk_err *err)
{
	struct assembly a = { .spec = spec, .store = store, .opts = opts };
	static const char *const sections[] = { "onboot", "onshutdown", "services" };
	uint32_t id = 100;
	int rc = -1;

	if (rootfs_new(&a.r, opts->tmpdir, opts->epoch, err) < 0)
		return -1;
	/* every container gets an id its name stands for, in order */
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(spec->root, sections[s]), i, e)
			rootfs_ids_add(&a.ids, str(e, "name") ? str(e, "name") : "", id++);
	}
	if (kernel(&a, json_object_get(spec->root, "kernel"), err) < 0 ||
	    init_images(&a, json_object_get(spec->root, "init"), err) < 0 || volumes(&a, err) < 0 ||
	    containers(&a, "onboot", true, err) < 0 ||
	    containers(&a, "onshutdown", true, err) < 0 ||
	    containers(&a, "services", false, err) < 0 || files(&a, err) < 0)
		goto out;
	*out = TAKE_PTR(a.r);
	rc = 0;
out:
	rootfs_free(a.r);
	rootfs_ids_release(&a.ids);
	for (size_t i = 0; i < a.ndups; i++) {
		free(a.dups[i].image);
		free(a.dups[i].root);
	}
	free(a.dups);
	return rc;
}
