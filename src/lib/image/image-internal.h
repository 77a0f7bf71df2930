/* Internals shared by the image module's files: the store handle, sha256
 * digests, verified blobs, the index and recursive removal. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "util/error.h"

#define SHA256_HEX_LEN 64
#define DIGEST_LEN (7 + SHA256_HEX_LEN) /* "sha256:" + hex */
#define JSON_BLOB_MAX (4u << 20)

struct image_store {
  char *root;
  char *layers_path; /* root/layers */
  int imagesfd, blobsfd, layersfd, lockfd;
};

/* sha256 */
struct sha256_ctx;
struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *buf, size_t len);
/* Writes "sha256:<hex>" into out (DIGEST_LEN + 1 bytes) and frees c. */
void sha256_final(struct sha256_ctx *c, char out[static DIGEST_LEN + 1]);
void sha256_free(struct sha256_ctx *c);
void sha256_digest(const void *buf, size_t len, char out[static DIGEST_LEN + 1]);
/* True for "sha256:" + 64 lowercase hex digits. */
bool digest_valid(const char *d);

/* A blob being written: a temp file in blobs/sha256 hashed as it grows. */
struct blob_writer {
  int dirfd, fd;
  char tmp[32];
  struct sha256_ctx *hash;
  unsigned long long size;
};
int blob_writer_open(struct image_store *s, struct blob_writer *w, struct vessel_error *err);
int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct vessel_error *err);
/* fsyncs and renames the temp file to its digest; fills digest. */
int blob_writer_commit(struct blob_writer *w, char digest[static DIGEST_LEN + 1],
                       struct vessel_error *err);
/* Removes the temp file of an uncommitted writer. */
void blob_writer_abort(struct blob_writer *w);
int blob_write(struct image_store *s, const void *buf, size_t len, char digest[static DIGEST_LEN + 1],
               struct vessel_error *err);
/* Reads a small blob and verifies its digest. */
int blob_read(struct image_store *s, const char *digest, char **out, size_t *len,
              struct vessel_error *err);
/* Opens a blob after verifying its whole content; returns the fd at offset 0. */
int blob_open_verified(struct image_store *s, const char *digest, struct vessel_error *err);
json_t *blob_read_json(struct image_store *s, const char *digest, struct vessel_error *err);

/* Index (images/index.json) under the store lock. */
int store_lock(struct image_store *s, struct vessel_error *err);
void store_unlock(struct image_store *s);
json_t *index_load(struct image_store *s, struct vessel_error *err);
int index_save(struct image_store *s, json_t *index, struct vessel_error *err);
/* Gives name (normalised) to the image of desc, moving it from any other. */
int index_set_name(json_t *index, json_t *desc, const char *name, struct vessel_error *err);
/* Removes blobs and layer dirs that no image of index uses. */
int store_gc(struct image_store *s, json_t *index, struct vessel_error *err);

/* Names: normalises "name[:tag]" into "name:tag" (":latest" default). */
int image_name_normalize(const char *in, char **out, struct vessel_error *err);

/* Chain ids of a config's diff_ids (hex only, malloc'd vector). */
char **image_chain_ids(json_t *config, struct vessel_error *err);
/* Unpacks a layer blob into layers/<chain hex> unless already there. */
int store_ensure_layer(struct image_store *s, const char *layer_digest, const char *chain_hex,
                       struct vessel_error *err);

/* rm -rf of name inside dirfd, never following symlinks. */
int rm_rf_at(int dirfd, const char *name);

/* Unpack with the option to sync the tree before it appears under dir. */
int unpack_layer(int tar_fd, const char *dir, bool allow_devices, bool sync,
                 unsigned long long *size, struct vessel_error *err);

#define ANNOT_REF "org.opencontainers.image.ref.name"
#define ANNOT_NAME "io.vessel.image.name"
#define ANNOT_ID "io.vessel.image.id"
#define ANNOT_SIZE "io.vessel.image.size"
#define ANNOT_CREATED "org.opencontainers.image.created"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
