/* image save: images of the store written as a docker-archive (manifest.json,
 * <config>.json, <diff_id>/layer.tar uncompressed) or an oci-archive (the
 * store's own blobs under an OCI layout), blobs verified as they are read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-internal.h"
#include "util/cleanup.h"

struct saver {
  struct image_store *s;
  struct archive *a;
  json_t *written; /* entry names already in the tar, as a set */
};

/* One image's parts, read and checked. */
struct saved_image {
  struct image_info info;
  char *tag; /* the name it is saved under, or NULL */
  json_t *manifest, *config;
  char *config_raw;
  size_t config_len;
};

static void saved_image_clear(struct saved_image *im)
{
  image_info_free(&im->info);
  free(im->tag);
  json_decref(im->manifest);
  json_decref(im->config);
  free(im->config_raw);
}

static int read_image(struct image_store *s, const char *ref, struct saved_image *im,
                      struct vessel_error *err)
{
  *im = (struct saved_image){0};
  if (image_resolve(s, ref, NULL, NULL, &im->info, err) < 0)
    return -1;
  _cleanup_free_ char *norm = NULL;
  struct vessel_error e2 = {0};
  if (im->info.name && image_name_normalize(ref, &norm, &e2) == 0 &&
      strcmp(norm, im->info.name) == 0)
    im->tag = TAKE_PTR(norm);
  im->manifest = blob_read_json(s, im->info.manifest_digest, err);
  if (!im->manifest)
    return -1;
  const char *cfg =
      json_string_value(json_object_get(json_object_get(im->manifest, "config"), "digest"));
  if (!digest_valid(cfg))
    return vessel_error_set(err, EINVAL, "manifest `%s`: no config digest",
                            im->info.manifest_digest);
  if (blob_read(s, cfg, &im->config_raw, &im->config_len, err) < 0)
    return -1;
  json_error_t je;
  im->config = json_loadb(im->config_raw, im->config_len, 0, &je);
  if (!json_is_object(im->config))
    return vessel_error_set(err, EINVAL, "config `%s`: not a JSON object", cfg);
  json_t *layers = json_object_get(im->manifest, "layers");
  json_t *ids = json_object_get(json_object_get(im->config, "rootfs"), "diff_ids");
  if (!json_is_array(layers) || json_array_size(layers) != json_array_size(ids))
    return vessel_error_set(err, EINVAL, "image `%s`: layers and diff_ids differ in number", ref);
  size_t i;
  json_t *l;
  json_array_foreach(layers, i, l)
  {
    if (!digest_valid(json_string_value(json_object_get(l, "digest"))) ||
        !digest_valid(json_string_value(json_array_get(ids, i))))
      return vessel_error_set(err, EINVAL, "image `%s`: bad layer digest", ref);
  }
  return 0;
}

static bool once(struct saver *sv, const char *name)
{
  if (json_object_get(sv->written, name))
    return false;
  json_object_set_new(sv->written, name, json_true());
  return true;
}

static int add_blob(struct saver *sv, const char *digest, struct vessel_error *err)
{
  char name[32 + DIGEST_LEN];
  snprintf(name, sizeof name, "blobs/sha256/%s", digest + 7);
  if (!once(sv, name))
    return 0;
  _cleanup_close_ int fd = blob_open_verified(sv->s, digest, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return vessel_error_set(err, errno, "stat blob `%s`", digest);
  return tar_add_fd(sv->a, name, fd, (unsigned long long)st.st_size, err);
}

static int save_oci(struct saver *sv, struct saved_image *ims, size_t n, struct vessel_error *err)
{
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  if (tar_add_buf(sv->a, "oci-layout", layout, sizeof layout - 1, err) < 0 ||
      tar_add_dir(sv->a, "blobs", err) < 0 || tar_add_dir(sv->a, "blobs/sha256", err) < 0)
    return -1;
  json_t *index =
      json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests");
  if (!index)
    return vessel_error_set(err, ENOMEM, "index.json");
  _cleanup_free_ char *buf = NULL;
  int r = -1;
  for (size_t i = 0; i < n; i++) {
    struct saved_image *im = &ims[i];
    const char *cfg =
        json_string_value(json_object_get(json_object_get(im->manifest, "config"), "digest"));
    if (add_blob(sv, im->info.manifest_digest, err) < 0 || add_blob(sv, cfg, err) < 0)
      goto out;
    size_t j;
    json_t *l;
    json_array_foreach(json_object_get(im->manifest, "layers"), j, l)
    {
      if (add_blob(sv, json_string_value(json_object_get(l, "digest")), err) < 0)
        goto out;
    }
    _cleanup_free_ char *mraw = NULL;
    size_t mlen;
    if (blob_read(sv->s, im->info.manifest_digest, &mraw, &mlen, err) < 0)
      goto out;
    json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", MT_MANIFEST, "digest",
                             im->info.manifest_digest, "size", (json_int_t)mlen);
    if (desc && im->tag)
      json_object_set_new(
          desc, "annotations",
          json_pack("{s:s, s:s}", ANNOT_REF, im->tag, "io.containerd.image.name", im->tag));
    if (!desc || json_array_append_new(json_object_get(index, "manifests"), desc) < 0) {
      vessel_error_set(err, ENOMEM, "index.json");
      goto out;
    }
  }
  buf = json_dumps(index, JSON_COMPACT);
  r = buf ? tar_add_buf(sv->a, "index.json", buf, strlen(buf), err)
          : vessel_error_set(err, ENOMEM, "index.json");
out:
  json_decref(index);
  return r;
}

/* <diff_id>/layer.tar: the layer blob decompressed, checked against its
 * diff_id on the first pass, written on the second. */
static int add_docker_layer(struct saver *sv, const char *digest, const char *diff_id,
                            struct vessel_error *err)
{
  char dir[SHA256_HEX_LEN + 1], name[SHA256_HEX_LEN + 16];
  snprintf(dir, sizeof dir, "%s", diff_id + 7);
  snprintf(name, sizeof name, "%s/layer.tar", dir);
  if (!once(sv, name))
    return 0;
  _cleanup_close_ int fd = blob_open_verified(sv->s, digest, err);
  if (fd < 0)
    return -1;
  char actual[DIGEST_LEN + 1];
  unsigned long long size = 0;
  if (layer_uncompressed(fd, actual, &size, NULL, NULL, err) < 0)
    return vessel_error_prefix(err, "layer `%s`", digest);
  if (strcmp(actual, diff_id) != 0)
    return vessel_error_set(err, EIO, "layer `%s` does not match its diff_id `%s`", digest,
                            diff_id);
  if (lseek(fd, 0, SEEK_SET) < 0)
    return vessel_error_set(err, errno, "seek blob `%s`", digest);
  if (tar_add_dir(sv->a, dir, err) < 0 ||
      layer_uncompressed(fd, actual, &size, sv->a, name, err) < 0)
    return -1;
  return 0;
}

static int save_docker(struct saver *sv, struct saved_image *ims, size_t n,
                       struct vessel_error *err)
{
  json_t *manifest = json_array();
  if (!manifest)
    return vessel_error_set(err, ENOMEM, "manifest.json");
  _cleanup_free_ char *buf = NULL;
  int r = -1;
  for (size_t i = 0; i < n; i++) {
    struct saved_image *im = &ims[i];
    char cfg_name[SHA256_HEX_LEN + 8];
    snprintf(cfg_name, sizeof cfg_name, "%s.json", im->info.id + 7);
    /* one entry per image, with every name it is saved under */
    json_t *entry = NULL, *e;
    size_t k;
    json_array_foreach(manifest, k, e)
    {
      if (strcmp(json_string_value(json_object_get(e, "Config")), cfg_name) == 0)
        entry = e;
    }
    if (entry) {
      json_t *tags = json_object_get(entry, "RepoTags");
      if (im->tag && json_is_array(tags))
        json_array_append_new(tags, json_string(im->tag));
      else if (im->tag)
        json_object_set_new(entry, "RepoTags", json_pack("[s]", im->tag));
      continue;
    }
    if (once(sv, cfg_name) && tar_add_buf(sv->a, cfg_name, im->config_raw, im->config_len, err) < 0)
      goto out;
    json_t *layers = json_array();
    json_t *ids = json_object_get(json_object_get(im->config, "rootfs"), "diff_ids");
    entry = json_pack("{s:s, s:o, s:o}", "Config", cfg_name, "RepoTags",
                      im->tag ? json_pack("[s]", im->tag) : json_null(), "Layers", layers);
    if (!entry || json_array_append_new(manifest, entry) < 0) {
      vessel_error_set(err, ENOMEM, "manifest.json");
      goto out;
    }
    size_t j;
    json_t *l;
    json_array_foreach(json_object_get(im->manifest, "layers"), j, l)
    {
      const char *diff_id = json_string_value(json_array_get(ids, j));
      if (add_docker_layer(sv, json_string_value(json_object_get(l, "digest")), diff_id, err) < 0)
        goto out;
      char name[SHA256_HEX_LEN + 16];
      snprintf(name, sizeof name, "%s/layer.tar", diff_id + 7);
      json_array_append_new(layers, json_string(name));
    }
  }
  buf = json_dumps(manifest, JSON_COMPACT);
  r = buf ? tar_add_buf(sv->a, "manifest.json", buf, strlen(buf), err)
          : vessel_error_set(err, ENOMEM, "manifest.json");
out:
  json_decref(manifest);
  return r;
}

int image_save(struct image_store *s, const char *const *refs, enum image_archive_format format,
               int out_fd, struct vessel_error *err)
{
  size_t n = 0;
  while (refs && refs[n])
    n++;
  if (n == 0)
    return vessel_error_set(err, EINVAL, "save: no image named");
  if (n > ARCHIVE_MAX_IMAGES)
    return vessel_error_set(err, E2BIG, "save: more than %d images", ARCHIVE_MAX_IMAGES);
  struct saved_image *ims = calloc(n, sizeof *ims);
  struct saver sv = {.s = s, .written = json_object()};
  int r = -1;
  if (!ims || !sv.written) {
    vessel_error_set(err, ENOMEM, "save");
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    if (read_image(s, refs[i], &ims[i], err) < 0)
      goto out;
  sv.a = tar_writer_new(out_fd, err);
  if (!sv.a)
    goto out;
  r = format == IMAGE_ARCHIVE_OCI ? save_oci(&sv, ims, n, err) : save_docker(&sv, ims, n, err);
  if (r == 0 && archive_write_close(sv.a) != ARCHIVE_OK)
    r = vessel_error_set(err, EIO, "write archive: %s", archive_error_string(sv.a));
out:
  if (sv.a)
    archive_write_free(sv.a);
  for (size_t i = 0; ims && i < n; i++)
    saved_image_clear(&ims[i]);
  free(ims);
  json_decref(sv.written);
  return r < 0 ? vessel_error_prefix(err, "save") : 0;
}
