/* Images: an OCI image-layout store (content-addressed blobs verified on
 * every write and read, an index with names), import of root filesystem
 * tarballs, and layers unpacked once, read-only, for overlayfs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct image_store;

/* Opens (creating when missing) the store under root: root/images (OCI
 * layout: oci-layout, index.json, blobs/sha256/...), root/layers/<chain id>. */
struct image_store *image_store_open(const char *root, struct vessel_error *err);
void image_store_close(struct image_store *s);

/* The parts of an image config (OCI image-spec config.config) a container
 * is made from. */
struct image_config {
  char **entrypoint; /* NULL-terminated, may be NULL */
  char **cmd;
  char **env;
  char *working_dir;
  char *user;
  char **labels; /* "key=value", NULL-terminated, may be NULL */
  char *stop_signal;
  /* Healthcheck: Test as docker keeps it (["CMD-SHELL", cmd], ["CMD", args...]
   * or ["NONE"]; NULL when the image has none), durations in ns, 0 unset */
  char **health_test;
  long long health_interval_ns, health_timeout_ns, health_start_period_ns;
  int health_retries;
};

struct image_info {
  char *name; /* "busybox:latest" (name:tag), NULL when untagged */
  char *id;   /* "sha256:<hex>" of the config blob */
  char *manifest_digest;
  char *created;           /* RFC 3339 */
  unsigned long long size; /* bytes of the unpacked layers */
};

void image_config_free(struct image_config *c);
void image_info_free(struct image_info *i);

/* Dockerfile-style changes for import: "CMD [\"sh\"]", "CMD sh -c x",
 * "ENTRYPOINT ...", "ENV K=V", "WORKDIR /x", "USER 1000", "LABEL k=v",
 * "STOPSIGNAL SIGTERM". An unknown or malformed change is an error. */
struct image_import_opts {
  const char *name;           /* "busybox" or "busybox:tag"; ":latest" when no tag */
  const char *const *changes; /* NULL-terminated, may be NULL */
};

/* Imports a root filesystem tarball (plain, gzip or zstd; "-" for stdin)
 * as a one-layer image. On failure nothing is left in the store. Returns
 * the image id ("sha256:...", malloc'd) or NULL. */
char *image_import(struct image_store *s, const char *tar_path, const struct image_import_opts *o,
                   struct vessel_error *err);

/* Finds an image by name[:tag], full id, or unique id prefix. Fills the
 * config and the unpacked layer directories (lowest first, absolute paths,
 * malloc'd, NULL-terminated), unpacking layers not unpacked yet. */
int image_resolve(struct image_store *s, const char *ref, struct image_config *config,
                  char ***layer_dirs, struct image_info *info, struct vessel_error *err);

/* Adds the init layer of the image whose layer_dirs image_resolve gave: the
 * mountpoints of /etc/hostname, /etc/hosts and /etc/resolv.conf (under the
 * image's /etc owner and mode) and /proc, /sys and /dev where the image has
 * none, made once per layer stack and removed with it. Leaves layer_dirs as
 * they are when the image's /etc is not a directory. */
int image_add_init_layer(struct image_store *s, char ***layer_dirs, struct vessel_error *err);

int image_list(struct image_store *s, struct image_info **out, size_t *n, struct vessel_error *err);

/* Adds name:tag for an existing image. */
int image_tag(struct image_store *s, const char *ref, const char *name, struct vessel_error *err);

/* Removes a name, and the image when no name is left (blobs and layers no
 * other image uses). */
int image_remove(struct image_store *s, const char *ref, struct vessel_error *err);

/* Unpacks one layer tarball into dir (which must not exist), safely: no entry
 * lands outside dir (.., absolute names, symlinks, hardlinks), whiteouts
 * become overlayfs whiteouts, device nodes are refused unless allow_devices.
 * On failure dir is removed. Exposed for tests and fuzzing. */
int image_unpack_layer(int tar_fd, const char *dir, bool allow_devices, struct vessel_error *err);

/* Image archives: docker-archive (`docker save`: manifest.json, the config
 * blob, each layer an uncompressed tar) and oci-archive (a tar of an OCI
 * image layout). */
enum image_archive_format { IMAGE_ARCHIVE_DOCKER, IMAGE_ARCHIVE_OCI };

/* Writes the images refs names (NULL-terminated) to out_fd as one archive.
 * An image named by name keeps that name in the archive; by id, none. */
int image_save(struct image_store *s, const char *const *refs, enum image_archive_format format,
               int out_fd, struct vessel_error *err);

/* Reads an archive of either format (plain or compressed) from in_fd: every
 * blob is verified against its digest, every layer against its diff_id and
 * unpacked. On failure nothing is added to the store. Fills loaded with a
 * line per image ("busybox:latest", or "sha256:<id>" when untagged). */
int image_load(struct image_store *s, int in_fd, char ***loaded, struct vessel_error *err);

/* Writes the merged view of layer_dirs (lowest first, NULL-terminated) and
 * upper (may be NULL) as a tar to out_fd: overlay whiteouts and opaque
 * directories hide what is below them and are not written. */
int image_export_rootfs(char *const *layer_dirs, const char *upper, int out_fd,
                        struct vessel_error *err);

/* image prune: removes images without a name (with all, every image) whose
 * id is not in keep_ids (NULL-terminated: the images containers were made
 * from), then their unused blobs and layers. Fills removed with the ids. */
int image_prune(struct image_store *s, bool all, char *const *keep_ids, char ***removed,
                struct vessel_error *err);
