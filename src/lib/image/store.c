/* The image store on disk: OCI layout directories, the index under a flock,
 * name validation and garbage collection of unreferenced blobs and layers. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static int open_dir(int dirfd, const char *name, struct vessel_error *err)
{
  if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
    return vessel_error_set(err, errno, "mkdir `%s`", name);
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s`", name);
  return fd;
}

void image_store_close(struct image_store *s)
{
  if (!s)
    return;
  int fds[] = {s->imagesfd, s->blobsfd, s->layersfd, s->lockfd};
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(s->root);
  free(s->layers_path);
  free(s);
}

struct image_store *image_store_open(const char *root, struct vessel_error *err)
{
  struct image_store *s = calloc(1, sizeof *s);
  if (!s) {
    vessel_error_set(err, ENOMEM, "image store");
    return NULL;
  }
  s->imagesfd = s->blobsfd = s->layersfd = s->lockfd = -1;
  _cleanup_close_ int rootfd = -1, sha = -1;
  if (fs_mkdir_p(root, 0700, err) < 0)
    goto fail;
  rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    vessel_error_set(err, errno, "open `%s`", root);
    goto fail;
  }
  s->root = strdup(root);
  if (!s->root || asprintf(&s->layers_path, "%s/layers", root) < 0) {
    s->layers_path = NULL;
    vessel_error_set(err, ENOMEM, "image store");
    goto fail;
  }
  if ((s->imagesfd = open_dir(rootfd, "images", err)) < 0 ||
      (s->layersfd = open_dir(rootfd, "layers", err)) < 0 ||
      (sha = open_dir(s->imagesfd, "blobs", err)) < 0 ||
      (s->blobsfd = open_dir(sha, "sha256", err)) < 0)
    goto fail;
  s->lockfd = openat(s->imagesfd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lockfd < 0) {
    vessel_error_set(err, errno, "open `%s/images/index.lock`", root);
    goto fail;
  }
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}\n";
  if (faccessat(s->imagesfd, "oci-layout", F_OK, 0) < 0 &&
      fs_write_atomic(s->imagesfd, "oci-layout", layout, sizeof layout - 1, true, err) < 0)
    goto fail;
  return s;
fail:
  vessel_error_prefix(err, "image store `%s`", root);
  image_store_close(s);
  return NULL;
}

int store_lock(struct image_store *s, struct vessel_error *err)
{
  while (flock(s->lockfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return vessel_error_set(err, errno, "lock `%s/images/index.lock`", s->root);
  return 0;
}

void store_unlock(struct image_store *s)
{
  flock(s->lockfd, LOCK_UN);
}

json_t *index_load(struct image_store *s, struct vessel_error *err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len;
  struct vessel_error e2 = {0};
  if (fs_read_fileat(s->imagesfd, "index.json", &buf, &len, &e2) < 0) {
    if (e2.code != ENOENT) {
      *err = e2;
      return NULL;
    }
    return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests");
  }
  json_error_t je;
  json_t *idx = json_loadb(buf, len, 0, &je);
  if (!idx || !json_is_array(json_object_get(idx, "manifests"))) {
    json_decref(idx);
    vessel_error_set(err, EINVAL, "`%s/images/index.json`: not an OCI index", s->root);
    return NULL;
  }
  return idx;
}

int index_save(struct image_store *s, json_t *index, struct vessel_error *err)
{
  _cleanup_free_ char *buf = json_dumps(index, JSON_INDENT(2));
  if (!buf)
    return vessel_error_set(err, ENOMEM, "index.json");
  return fs_write_atomic(s->imagesfd, "index.json", buf, strlen(buf), true, err);
}

/* name component: [a-z0-9]+ joined by single '.', '_', "__" or runs of '-' */
static bool name_valid(const char *n)
{
  size_t len = strlen(n);
  if (len == 0 || len > 255)
    return false;
  const char *p = n;
  for (;;) {
    if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p))
      return false;
    while (islower((unsigned char)*p) || isdigit((unsigned char)*p))
      p++;
    if (*p == '\0')
      return true;
    if (*p == '/') {
      p++;
      continue;
    }
    if (*p == '.')
      p++;
    else if (*p == '_')
      p += p[1] == '_' ? 2 : 1;
    else if (*p == '-')
      while (*p == '-')
        p++;
    else
      return false;
  }
}

static bool tag_valid(const char *t)
{
  size_t len = strlen(t);
  if (len == 0 || len > 128 || t[0] == '.' || t[0] == '-')
    return false;
  for (const char *p = t; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

int image_name_normalize(const char *in, char **out, struct vessel_error *err)
{
  if (!in)
    return vessel_error_set(err, EINVAL, "an image name is needed");
  const char *colon = strrchr(in, ':');
  const char *slash = strrchr(in, '/');
  _cleanup_free_ char *name = NULL;
  const char *tag = "latest";
  if (colon && (!slash || colon > slash)) {
    name = strndup(in, (size_t)(colon - in));
    tag = colon + 1;
  } else {
    name = strdup(in);
  }
  if (!name)
    return vessel_error_set(err, ENOMEM, "image name");
  if (!name_valid(name))
    return vessel_error_set(err, EINVAL,
                            "invalid image name `%s`: lowercase letters and digits separated by "
                            "`.`, `_`, `-` or `/`",
                            in);
  if (!tag_valid(tag))
    return vessel_error_set(err, EINVAL, "invalid tag in `%s`: up to 128 of [A-Za-z0-9_.-]", in);
  if (asprintf(out, "%s:%s", name, tag) < 0)
    return vessel_error_set(err, ENOMEM, "image name");
  return 0;
}

char **image_chain_ids(json_t *config, struct vessel_error *err)
{
  json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > 1000) {
    vessel_error_set(err, EINVAL, "image config: no rootfs.diff_ids");
    return NULL;
  }
  size_t n = json_array_size(ids);
  _cleanup_strv_ char **out = calloc(n + 1, sizeof *out);
  if (!out) {
    vessel_error_set(err, ENOMEM, "chain ids");
    return NULL;
  }
  char chain[DIGEST_LEN + 1] = "";
  for (size_t i = 0; i < n; i++) {
    const char *d = json_string_value(json_array_get(ids, i));
    if (!digest_valid(d)) {
      vessel_error_set(err, EINVAL, "image config: bad diff_id `%s`", d ? d : "");
      return NULL;
    }
    if (i == 0) {
      strcpy(chain, d);
    } else {
      char buf[2 * DIGEST_LEN + 2];
      snprintf(buf, sizeof buf, "%s %s", chain, d);
      sha256_digest(buf, strlen(buf), chain);
    }
    out[i] = strdup(chain + 7);
    if (!out[i]) {
      vessel_error_set(err, ENOMEM, "chain ids");
      return NULL;
    }
  }
  return TAKE_PTR(out);
}

/* Adds every blob and layer an image uses to keep (a JSON object as a set). */
static int mark_image(struct image_store *s, const char *manifest_digest, json_t *keep,
                      json_t *keep_layers, struct vessel_error *err)
{
  json_object_set_new(keep, manifest_digest + 7, json_true());
  json_t *m = blob_read_json(s, manifest_digest, err);
  if (!m)
    return -1;
  const char *cfg = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
  if (!digest_valid(cfg)) {
    json_decref(m);
    return vessel_error_set(err, EINVAL, "manifest `%s`: no config digest", manifest_digest);
  }
  json_object_set_new(keep, cfg + 7, json_true());
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(m, "layers"), i, l)
  {
    const char *d = json_string_value(json_object_get(l, "digest"));
    if (digest_valid(d))
      json_object_set_new(keep, d + 7, json_true());
  }
  json_t *c = blob_read_json(s, cfg, err);
  json_decref(m);
  if (!c)
    return -1;
  char **chain = image_chain_ids(c, err);
  json_decref(c);
  if (!chain)
    return -1;
  for (char **p = chain; *p; p++)
    json_object_set_new(keep_layers, *p, json_true());
  strv_free(chain);
  return 0;
}

/* "<chain id>.init" (init_layer.c) goes with its layer */
static bool kept_init_layer(json_t *keep, const char *name)
{
  size_t n = strlen(name);
  if (n <= 5 || strcmp(name + n - 5, ".init") != 0)
    return false;
  char layer[NAME_MAX + 1];
  snprintf(layer, sizeof layer, "%.*s", (int)(n - 5), name);
  return json_object_get(keep, layer) != NULL;
}

static void sweep(int dirfd, json_t *keep)
{
  _cleanup_closedir_ DIR *d = fs_opendirat(dirfd, ".");
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    /* a temp entry (a blob or layer being written) is a leftover of a
     * killed command: every writer holds the store lock that gc runs under */
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (json_object_get(keep, de->d_name) || kept_init_layer(keep, de->d_name))
      continue;
    log_debug("image store: removing unused `%s`", de->d_name);
    rm_rf_at(dirfd, de->d_name);
  }
}

int store_gc(struct image_store *s, json_t *index, struct vessel_error *err)
{
  json_t *keep = json_object(), *keep_layers = json_object();
  int r = 0;
  size_t i;
  json_t *desc;
  json_array_foreach(json_object_get(index, "manifests"), i, desc)
  {
    const char *d = json_string_value(json_object_get(desc, "digest"));
    if (!digest_valid(d))
      vessel_error_set(err, EINVAL, "index entry %zu: bad digest", i);
    if (!digest_valid(d) || mark_image(s, d, keep, keep_layers, err) < 0) {
      /* unsure what is in use: remove nothing */
      r = vessel_error_prefix(err, "garbage collection");
      goto out;
    }
  }
  sweep(s->blobsfd, keep);
  sweep(s->layersfd, keep_layers);
out:
  json_decref(keep);
  json_decref(keep_layers);
  return r;
}
