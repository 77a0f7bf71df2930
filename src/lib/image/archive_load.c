/* image load: a docker-archive or oci-archive read as untrusted input. Every
 * regular entry becomes a blob (hashed as it is written, so entries can come
 * in any order and nothing is written by its tar name); blobs/sha256/<hex>
 * must hash to <hex>; each layer must match its diff_id and unpack safely.
 * The index changes only at the end; a failure collects what was written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-internal.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/fs.h"
#include "util/log.h"

#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MAX_LINK_HOPS 8

struct loader {
  struct image_store *s;
  json_t *files; /* normalised tar name -> "sha256:..." */
  json_t *links; /* normalised tar name -> normalised target */
  json_t *index;
  char **loaded;
  size_t n_loaded;
};

/* "./a//b/../c/" -> "a/c", relative to base_dir when given; a ".." above
 * the archive's top is refused. */
static int normalize(const char *in, const char *base_dir, char **out, struct vessel_error *err)
{
  size_t cap = strlen(in) + (base_dir ? strlen(base_dir) : 0) + 2;
  if (cap > 4096)
    return vessel_error_set(err, ENAMETOOLONG, "entry `%.64s...`: name too long", in);
  _cleanup_free_ char *joined = malloc(cap), *res = malloc(cap);
  if (!joined || !res)
    return vessel_error_set(err, ENOMEM, "entry name");
  snprintf(joined, cap, "%s%s%s", base_dir && in[0] != '/' ? base_dir : "",
           base_dir && in[0] != '/' && base_dir[0] ? "/" : "", in);
  size_t len = 0;
  char *save = NULL;
  for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0)
      continue;
    if (strcmp(c, "..") == 0) {
      if (len == 0)
        return vessel_error_set(err, EPERM, "entry `%s`: `..` leaves the archive", in);
      char *up = memrchr(res, '/', len);
      len = up ? (size_t)(up - res) : 0;
      continue;
    }
    len += (size_t)sprintf(res + len, "%s%s", len ? "/" : "", c);
  }
  res[len] = '\0';
  *out = TAKE_PTR(res);
  return 0;
}

static bool is_hex64(const char *s)
{
  if (strlen(s) != SHA256_HEX_LEN)
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

static int read_entry(struct loader *l, struct archive *a, const char *name,
                      unsigned long long *total, struct vessel_error *err)
{
  const char *blob_name = strncmp(name, "blobs/", 6) == 0 ? name + 6 : NULL;
  if (blob_name && strncmp(blob_name, "sha256/", 7) != 0)
    return vessel_error_set(err, EINVAL, "entry `%s`: only sha256 blobs are supported", name);
  if (blob_name && !is_hex64(blob_name + 7))
    return vessel_error_set(err, EINVAL, "entry `%s`: a blob name must be 64 hex digits", name);
  struct blob_writer w;
  if (blob_writer_open(l->s, &w, err) < 0)
    return -1;
  _cleanup_free_ char *buf = malloc(ARCHIVE_BLOCK);
  if (!buf) {
    blob_writer_abort(&w);
    return vessel_error_set(err, ENOMEM, "entry `%s`", name);
  }
  la_ssize_t n;
  while ((n = archive_read_data(a, buf, ARCHIVE_BLOCK)) > 0) {
    *total += (unsigned long long)n;
    if (*total > ARCHIVE_MAX_TOTAL) {
      blob_writer_abort(&w);
      return vessel_error_set(err, EFBIG, "archive larger than %llu bytes", ARCHIVE_MAX_TOTAL);
    }
    if (blob_writer_write(&w, buf, (size_t)n, err) < 0) {
      blob_writer_abort(&w);
      return -1;
    }
  }
  if (n < 0) {
    blob_writer_abort(&w);
    return vessel_error_set(err, EINVAL, "entry `%s`: %s", name, archive_error_string(a));
  }
  char digest[DIGEST_LEN + 1];
  if (blob_writer_commit(&w, digest, err) < 0)
    return -1;
  if (blob_name && strcmp(digest + 7, blob_name + 7) != 0)
    return vessel_error_set(err, EIO, "blob `sha256:%s` is corrupted (content hashes to `%s`)",
                            blob_name + 7, digest);
  return json_object_set_new(l->files, name, json_string(digest)) == 0
             ? 0
             : vessel_error_set(err, ENOMEM, "entry `%s`", name);
}

static int read_archive(struct loader *l, int fd, struct vessel_error *err)
{
  struct archive *a = archive_read_new();
  if (!a)
    return vessel_error_set(err, ENOMEM, "libarchive");
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  int r = 0;
  unsigned long long total = 0;
  size_t entries = 0;
  struct archive_entry *e;
  if (archive_read_open_fd(a, fd, ARCHIVE_BLOCK) != ARCHIVE_OK) {
    r = vessel_error_set(err, EINVAL, "not a tar archive: %s", archive_error_string(a));
    goto out;
  }
  for (;;) {
    int h = archive_read_next_header(a, &e);
    if (h == ARCHIVE_EOF)
      break;
    if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
      r = vessel_error_set(err, EINVAL, "not a tar archive: %s", archive_error_string(a));
      goto out;
    }
    if (++entries > ARCHIVE_MAX_ENTRIES) {
      r = vessel_error_set(err, E2BIG, "more than %d entries", ARCHIVE_MAX_ENTRIES);
      goto out;
    }
    const char *raw = archive_entry_pathname(e);
    _cleanup_free_ char *name = NULL;
    if (!raw || normalize(raw, NULL, &name, err) < 0) {
      r = raw ? -1 : vessel_error_set(err, EINVAL, "entry without a name");
      goto out;
    }
    mode_t type = archive_entry_filetype(e);
    const char *hl = archive_entry_hardlink(e);
    if (hl || type == AE_IFLNK) {
      /* docker's older save links identical layers to one another */
      _cleanup_free_ char *dir = strdup(name), *target = NULL;
      char *slash = dir ? strrchr(dir, '/') : NULL;
      if (dir)
        *(slash ? slash : dir) = '\0';
      const char *t = hl ? hl : archive_entry_symlink(e);
      if (!dir || !t || normalize(t, hl ? NULL : dir, &target, err) < 0) {
        r = t && dir ? -1 : vessel_error_set(err, EINVAL, "entry `%s`: bad link", raw);
        goto out;
      }
      json_object_set_new(l->links, name, json_string(target));
    } else if (type == AE_IFREG) {
      if ((r = read_entry(l, a, name, &total, err)) < 0)
        goto out;
    } else if (type != AE_IFDIR) {
      r = vessel_error_set(err, EINVAL, "entry `%s`: not a file or directory", raw);
      goto out;
    }
  }
out:
  archive_read_free(a);
  return r;
}

/* The blob digest of a tar name, through links. */
static const char *lookup(struct loader *l, const char *path, struct vessel_error *err)
{
  _cleanup_free_ char *name = NULL;
  if (normalize(path, NULL, &name, err) < 0)
    return NULL;
  const char *cur = name;
  for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const char *d = json_string_value(json_object_get(l->files, cur));
    if (d)
      return d;
    cur = json_string_value(json_object_get(l->links, cur));
    if (!cur)
      break;
  }
  vessel_error_set(err, ENOENT, "`%s` is missing from the archive", path);
  return NULL;
}

/* The digest of an OCI descriptor whose blob the archive holds, with the
 * size the descriptor gives. */
static const char *blob_of(struct loader *l, json_t *desc, struct vessel_error *err)
{
  const char *digest = json_string_value(json_object_get(desc, "digest"));
  if (!digest_valid(digest)) {
    vessel_error_set(err, EINVAL, "bad digest `%s`", digest ? digest : "");
    return NULL;
  }
  char name[32 + DIGEST_LEN];
  snprintf(name, sizeof name, "blobs/sha256/%s", digest + 7);
  struct stat st;
  if (!json_object_get(l->files, name) ||
      fstatat(l->s->blobsfd, digest + 7, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    vessel_error_set(err, ENOENT, "blob `%s` is missing from the archive", digest);
    return NULL;
  }
  json_t *size = json_object_get(desc, "size");
  if (!json_is_integer(size) || json_integer_value(size) != (json_int_t)st.st_size) {
    vessel_error_set(err, EINVAL, "blob `%s`: its descriptor says %lld bytes, the archive has %lld",
                     digest, json_is_integer(size) ? (long long)json_integer_value(size) : -1LL,
                     (long long)st.st_size);
    return NULL;
  }
  return digest;
}

static const char *layer_media_type(struct image_store *s, const char *digest)
{
  unsigned char magic[4] = {0};
  _cleanup_close_ int fd = openat(s->blobsfd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && read(fd, magic, sizeof magic) == (ssize_t)sizeof magic) {
    if (magic[0] == 0x1f && magic[1] == 0x8b)
      return MT_LAYER_GZIP;
    if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
      return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return MT_LAYER;
}

/* Checks each layer against its diff_id and unpacks it; adds the unpacked
 * bytes to *size. */
static int unpack_layers(struct loader *l, json_t *config, char *const *layers,
                         unsigned long long *size, struct vessel_error *err)
{
  _cleanup_strv_ char **chain = image_chain_ids(config, err);
  if (!chain)
    return -1;
  json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  if (strv_length(chain) != strv_length(layers))
    return vessel_error_set(err, EINVAL, "%zu layers but %zu diff_ids", strv_length(layers),
                            strv_length(chain));
  for (size_t i = 0; layers[i]; i++) {
    _cleanup_close_ int fd = blob_open_verified(l->s, layers[i], err);
    if (fd < 0)
      return -1;
    char diff_id[DIGEST_LEN + 1];
    unsigned long long n = 0;
    if (layer_uncompressed(fd, diff_id, &n, NULL, NULL, err) < 0)
      return vessel_error_prefix(err, "layer `%s`", layers[i]);
    const char *want = json_string_value(json_array_get(ids, i));
    if (strcmp(diff_id, want) != 0)
      return vessel_error_set(err, EIO, "layer `%s` does not match its diff_id `%s`", layers[i],
                              want);
    if (faccessat(l->s->layersfd, chain[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
      continue;
    _cleanup_free_ char *dir = NULL;
    if (lseek(fd, 0, SEEK_SET) < 0 || asprintf(&dir, "%s/%s", l->s->layers_path, chain[i]) < 0)
      return vessel_error_set(err, errno ? errno : ENOMEM, "layer `%s`", layers[i]);
    unsigned long long unpacked = 0;
    if (unpack_layer(fd, dir, false, true, &unpacked, err) < 0)
      return vessel_error_prefix(err, "layer `%s`", layers[i]);
    *size += unpacked;
  }
  return 0;
}

static int note_loaded(struct loader *l, const char *what, struct vessel_error *err)
{
  char **v = realloc(l->loaded, (l->n_loaded + 2) * sizeof *v);
  if (!v)
    return vessel_error_set(err, ENOMEM, "load");
  l->loaded = v;
  if (!(v[l->n_loaded] = strdup(what)))
    return vessel_error_set(err, ENOMEM, "load");
  v[++l->n_loaded] = NULL;
  return 0;
}

/* Adds one verified image to the (unsaved) index under names (may be empty). */
static int add_image(struct loader *l, const char *man_digest, size_t man_size,
                     const char *cfg_digest, json_t *config, char *const *layers, json_t *names,
                     struct vessel_error *err)
{
  unsigned long long size = 0;
  if (unpack_layers(l, config, layers, &size, err) < 0)
    return -1;
  char size_str[32];
  snprintf(size_str, sizeof size_str, "%llu", size);
  const char *created = json_string_value(json_object_get(config, "created"));
  json_t *desc = json_pack("{s:s, s:s, s:I, s:{s:s, s:s, s:s}}", "mediaType", MT_MANIFEST, "digest",
                           man_digest, "size", (json_int_t)man_size, "annotations", ANNOT_ID,
                           cfg_digest, ANNOT_CREATED, created ? created : "", ANNOT_SIZE, size_str);
  if (!desc)
    return vessel_error_set(err, ENOMEM, "index");
  int r = 0;
  size_t i, named = 0;
  json_t *n;
  json_array_foreach(names, i, n)
  {
    _cleanup_free_ char *norm = NULL;
    struct vessel_error e2 = {0};
    /* a name the store cannot hold (a registry port...) leaves the image
     * loaded by id rather than not at all */
    if (!json_is_string(n) || image_name_normalize(json_string_value(n), &norm, &e2) < 0) {
      log_warning("load: image `%s`: name ignored: %s", cfg_digest,
                  json_is_string(n) ? e2.msg : "not a string");
      continue;
    }
    if (index_set_name(l->index, desc, norm, err) < 0 || note_loaded(l, norm, err) < 0) {
      r = -1;
      goto out;
    }
    named++;
  }
  if (named == 0) {
    bool known = false;
    json_t *d;
    json_array_foreach(json_object_get(l->index, "manifests"), i, d)
    {
      const char *id =
          json_string_value(json_object_get(json_object_get(d, "annotations"), ANNOT_ID));
      known = known || (id && strcmp(id, cfg_digest) == 0);
    }
    if ((!known && json_array_append(json_object_get(l->index, "manifests"), desc) < 0))
      r = vessel_error_set(err, ENOMEM, "index");
    else
      r = note_loaded(l, cfg_digest, err);
  }
out:
  json_decref(desc);
  return r;
}

static json_t *read_json(struct loader *l, const char *digest, const char *what,
                         struct vessel_error *err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len;
  if (blob_read(l->s, digest, &buf, &len, err) < 0)
    return NULL;
  json_error_t je;
  json_t *j = json_loadb(buf, len, 0, &je);
  if (!j)
    vessel_error_set(err, EINVAL, "`%s`: not JSON: %s", what, je.text);
  return j;
}

static int load_docker(struct loader *l, const char *manifest_digest, struct vessel_error *err)
{
  json_t *m = read_json(l, manifest_digest, "manifest.json", err);
  if (!m)
    return -1;
  int r = -1;
  if (!json_is_array(m) || json_array_size(m) > ARCHIVE_MAX_IMAGES) {
    vessel_error_set(err, EINVAL, "`manifest.json`: not an array of up to %d images",
                     ARCHIVE_MAX_IMAGES);
    goto out;
  }
  size_t i;
  json_t *entry;
  json_array_foreach(m, i, entry)
  {
    const char *cfg_path = json_string_value(json_object_get(entry, "Config"));
    json_t *lp = json_object_get(entry, "Layers");
    if (!cfg_path || !json_is_array(lp) || json_array_size(lp) > 1000) {
      vessel_error_set(err, EINVAL, "`manifest.json` entry %zu: no Config or Layers", i);
      goto out;
    }
    const char *cfg = lookup(l, cfg_path, err);
    json_t *config = cfg ? blob_read_json(l->s, cfg, err) : NULL;
    if (!config)
      goto out;
    _cleanup_strv_ char **layers = calloc(json_array_size(lp) + 1, sizeof *layers);
    json_t *descs = json_array(), *man = NULL;
    _cleanup_free_ char *cfg_raw = NULL, *man_raw = NULL;
    size_t cfg_len = 0, j;
    json_t *p;
    int a = layers && descs ? 0 : vessel_error_set(err, ENOMEM, "layers");
    json_array_foreach(lp, j, p)
    {
      if (a < 0)
        break;
      const char *d = json_is_string(p) ? lookup(l, json_string_value(p), err) : NULL;
      struct stat st;
      if (!d)
        a = json_is_string(p) ? -1 : vessel_error_set(err, EINVAL, "`manifest.json`: bad Layers");
      else if (fstatat(l->s->blobsfd, d + 7, &st, AT_SYMLINK_NOFOLLOW) < 0)
        a = vessel_error_set(err, errno, "blob `%s`", d);
      else if (!(layers[j] = strdup(d)) ||
               json_array_append_new(descs, json_pack("{s:s, s:s, s:I}", "mediaType",
                                                      layer_media_type(l->s, d), "digest", d,
                                                      "size", (json_int_t)st.st_size)) < 0)
        a = vessel_error_set(err, ENOMEM, "layers");
    }
    if (a == 0)
      a = blob_read(l->s, cfg, &cfg_raw, &cfg_len, err);
    if (a == 0 && !(man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2,
                                    "mediaType", MT_MANIFEST, "config", "mediaType", MT_CONFIG,
                                    "digest", cfg, "size", (json_int_t)cfg_len, "layers", descs)))
      a = vessel_error_set(err, ENOMEM, "manifest");
    json_decref(descs);
    if (a == 0 && !(man_raw = json_dumps(man, JSON_COMPACT | JSON_SORT_KEYS)))
      a = vessel_error_set(err, ENOMEM, "manifest");
    json_decref(man);
    char man_digest[DIGEST_LEN + 1];
    json_t *tags = json_object_get(entry, "RepoTags");
    if (a == 0)
      a = blob_write(l->s, man_raw, strlen(man_raw), man_digest, err);
    if (a == 0)
      a = add_image(l, man_digest, strlen(man_raw), cfg, config, layers,
                    json_is_array(tags) ? tags : NULL, err);
    json_decref(config);
    if (a < 0)
      goto out;
  }
  r = 0;
out:
  json_decref(m);
  return r;
}

static const char *annotation(json_t *desc, const char *key)
{
  return json_string_value(json_object_get(json_object_get(desc, "annotations"), key));
}

static int load_oci_manifest(struct loader *l, json_t *desc, struct vessel_error *err)
{
  const char *md = blob_of(l, desc, err);
  if (!md)
    return -1;
  const char *mt = json_string_value(json_object_get(desc, "mediaType"));
  if (mt && strcmp(mt, MT_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0)
    return vessel_error_set(err, ENOTSUP, "manifest `%s`: media type `%s` is not supported", md,
                            mt);
  _cleanup_free_ char *raw = NULL;
  size_t len;
  if (blob_read(l->s, md, &raw, &len, err) < 0)
    return -1;
  json_error_t je;
  json_t *m = json_loadb(raw, len, 0, &je), *config = NULL;
  _cleanup_strv_ char **layers = NULL;
  int r = -1;
  if (!json_is_object(m)) {
    vessel_error_set(err, EINVAL, "manifest `%s`: not a JSON object", md);
    goto out;
  }
  const char *cfg = blob_of(l, json_object_get(m, "config"), err);
  if (!cfg || !(config = blob_read_json(l->s, cfg, err)))
    goto out;
  json_t *ls = json_object_get(m, "layers");
  if (!json_is_array(ls) || json_array_size(ls) > 1000 ||
      !(layers = calloc(json_array_size(ls) + 1, sizeof *layers))) {
    vessel_error_set(err, EINVAL, "manifest `%s`: bad layers", md);
    goto out;
  }
  size_t i;
  json_t *ld;
  json_array_foreach(ls, i, ld)
  {
    const char *d = blob_of(l, ld, err);
    if (!d || !(layers[i] = strdup(d))) {
      if (d)
        vessel_error_set(err, ENOMEM, "layers");
      goto out;
    }
  }
  const char *name = annotation(desc, "io.containerd.image.name");
  if (!name)
    name = annotation(desc, ANNOT_REF);
  json_t *names = name ? json_pack("[s]", name) : json_array();
  r = add_image(l, md, len, cfg, config, layers, names, err);
  json_decref(names);
out:
  json_decref(config);
  json_decref(m);
  return r;
}

static int load_oci(struct loader *l, const char *index_digest, struct vessel_error *err)
{
  json_t *idx = read_json(l, index_digest, "index.json", err);
  if (!idx)
    return -1;
  json_t *ms = json_object_get(idx, "manifests");
  int r = 0;
  if (!json_is_array(ms) || json_array_size(ms) > ARCHIVE_MAX_IMAGES) {
    r = vessel_error_set(err, EINVAL, "`index.json`: no manifests array of up to %d",
                         ARCHIVE_MAX_IMAGES);
  } else {
    size_t i;
    json_t *desc;
    json_array_foreach(ms, i, desc)
    {
      if ((r = load_oci_manifest(l, desc, err)) < 0)
        break;
    }
  }
  json_decref(idx);
  return r;
}

static int load_locked(struct loader *l, int fd, struct vessel_error *err)
{
  if (read_archive(l, fd, err) < 0)
    return -1;
  crashpoint("load-blobs");
  if (!(l->index = index_load(l->s, err)))
    return -1;
  const char *m = json_string_value(json_object_get(l->files, "manifest.json"));
  const char *idx = json_string_value(json_object_get(l->files, "index.json"));
  int r;
  if (m)
    r = load_docker(l, m, err);
  else if (idx)
    r = load_oci(l, idx, err);
  else
    return vessel_error_set(err, EINVAL,
                            "not a docker-archive or oci-archive: no manifest.json or index.json");
  if (r == 0 && l->n_loaded == 0)
    r = vessel_error_set(err, EINVAL, "the archive holds no image");
  if (r == 0)
    crashpoint("load-layers");
  return r < 0 ? -1 : index_save(l->s, l->index, err);
}

int image_load(struct image_store *s, int in_fd, char ***loaded, struct vessel_error *err)
{
  struct loader l = {.s = s, .files = json_object(), .links = json_object()};
  int r = -1;
  if (!l.files || !l.links) {
    vessel_error_set(err, ENOMEM, "load");
    goto out;
  }
  if (store_lock(s, err) < 0)
    goto out;
  r = load_locked(&l, in_fd, err);
  /* the archive's other files (manifest.json...) and, on failure, all of it */
  json_t *index = r == 0 ? json_incref(l.index) : index_load(s, &(struct vessel_error){0});
  struct vessel_error e2 = {0};
  if (index && store_gc(s, index, &e2) < 0)
    log_debug("load: %s", e2.msg);
  json_decref(index);
  store_unlock(s);
  if (r == 0)
    *loaded = TAKE_PTR(l.loaded);
out:
  strv_free(l.loaded);
  json_decref(l.index);
  json_decref(l.files);
  json_decref(l.links);
  return r < 0 ? vessel_error_prefix(err, "load") : 0;
}
