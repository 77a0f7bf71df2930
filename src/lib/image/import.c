/* Import of a root filesystem tarball as a one-layer OCI image: the tarball
 * is decompressed (any filter libarchive knows), hashed for its diffID and
 * recompressed as a gzip layer blob in one pass, then unpacked right away. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/timefmt.h"
#include "image-internal.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"

#define COPY_BLOCK (1 << 20)

/* "CMD [\"sh\"]" (exec form) or "CMD sh -c x" (shell form). */
static json_t *command_value(const char *kw, const char *rest, struct vessel_error *err)
{
  if (rest[0] == '[') {
    json_error_t je;
    json_t *a = json_loads(rest, 0, &je);
    bool ok = json_is_array(a) && json_array_size(a) > 0;
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) ok = ok && json_is_string(x);
    if (!ok) {
      json_decref(a);
      vessel_error_set(err, EINVAL, "%s: expected a JSON array of strings: `%s`", kw, rest);
      return NULL;
    }
    return a;
  }
  return json_pack("[s,s,s]", "/bin/sh", "-c", rest);
}

static int set_env(json_t *cc, const char *rest, struct vessel_error *err)
{
  _cleanup_free_ char *kv = NULL;
  const char *eq = strchr(rest, '='), *sp = strpbrk(rest, " \t");
  if (eq && (!sp || eq < sp)) {
    kv = strdup(rest);
  } else if (sp) {
    const char *v = sp;
    while (*v == ' ' || *v == '\t')
      v++;
    if (asprintf(&kv, "%.*s=%s", (int)(sp - rest), rest, v) < 0)
      kv = NULL;
  } else {
    return vessel_error_set(err, EINVAL, "ENV: expected `KEY=value`: `%s`", rest);
  }
  if (!kv)
    return vessel_error_set(err, ENOMEM, "ENV");
  size_t klen = (size_t)(strchr(kv, '=') - kv);
  if (klen == 0)
    return vessel_error_set(err, EINVAL, "ENV: empty name in `%s`", rest);
  json_t *env = json_object_get(cc, "Env");
  if (!env) {
    env = json_array();
    json_object_set_new(cc, "Env", env);
  }
  size_t i;
  json_t *x;
  json_array_foreach(env, i, x)
  {
    const char *s = json_string_value(x);
    if (s && strncmp(s, kv, klen + 1) == 0)
      return json_array_set_new(env, i, json_string(kv));
  }
  return json_array_append_new(env, json_string(kv));
}

static int set_label(json_t *cc, const char *rest, struct vessel_error *err)
{
  const char *eq = strchr(rest, '=');
  if (!eq || eq == rest)
    return vessel_error_set(err, EINVAL, "LABEL: expected `key=value`: `%s`", rest);
  _cleanup_free_ char *key = strndup(rest, (size_t)(eq - rest));
  _cleanup_free_ char *val = strdup(eq + 1);
  if (!key || !val)
    return vessel_error_set(err, ENOMEM, "LABEL");
  size_t vl = strlen(val);
  if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
    val[vl - 1] = '\0';
    memmove(val, val + 1, vl - 1);
  }
  json_t *labels = json_object_get(cc, "Labels");
  if (!labels) {
    labels = json_object();
    json_object_set_new(cc, "Labels", labels);
  }
  return json_object_set_new(labels, key, json_string(val));
}

static int apply_change(json_t *cc, const char *change, struct vessel_error *err)
{
  const char *p = change;
  while (isspace((unsigned char)*p))
    p++;
  size_t kwlen = strcspn(p, " \t");
  char kw[16];
  if (kwlen == 0 || kwlen >= sizeof kw)
    return vessel_error_set(err, EINVAL, "unknown change `%s`", change);
  for (size_t i = 0; i < kwlen; i++)
    kw[i] = (char)toupper((unsigned char)p[i]);
  kw[kwlen] = '\0';
  const char *rest = p + kwlen;
  while (isspace((unsigned char)*rest))
    rest++;
  _cleanup_free_ char *val = strdup(rest);
  if (!val)
    return vessel_error_set(err, ENOMEM, "change");
  for (size_t l = strlen(val); l && isspace((unsigned char)val[l - 1]); l--)
    val[l - 1] = '\0';
  if (!*val)
    return vessel_error_set(err, EINVAL, "change `%s` has no value", change);

  if (strcmp(kw, "CMD") == 0 || strcmp(kw, "ENTRYPOINT") == 0) {
    json_t *v = command_value(kw, val, err);
    if (!v)
      return -1;
    return json_object_set_new(cc, kw[0] == 'C' ? "Cmd" : "Entrypoint", v);
  }
  if (strcmp(kw, "ENV") == 0)
    return set_env(cc, val, err);
  if (strcmp(kw, "LABEL") == 0)
    return set_label(cc, val, err);
  static const struct {
    const char *kw, *key;
  } simple[] = {{"WORKDIR", "WorkingDir"}, {"USER", "User"}, {"STOPSIGNAL", "StopSignal"}};
  for (size_t i = 0; i < ARRAY_SIZE(simple); i++) {
    if (strcmp(kw, simple[i].kw) != 0)
      continue;
    if (strcmp(kw, "WORKDIR") != 0 && strpbrk(val, " \t"))
      return vessel_error_set(err, EINVAL, "%s takes one word: `%s`", kw, val);
    return json_object_set_new(cc, simple[i].key, json_string(val));
  }
  return vessel_error_set(err, EINVAL, "unknown change `%s`", change);
}

struct layer_out {
  struct blob_writer *blob;
  struct vessel_error *err;
  bool failed;
};

static la_ssize_t layer_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
  struct layer_out *o = data;
  if (blob_writer_write(o->blob, buf, len, o->err) < 0) {
    o->failed = true;
    archive_set_error(a, EIO, "write layer blob");
    return -1;
  }
  return (la_ssize_t)len;
}

/* Streams the decompressed tarball from in_fd into a gzip layer blob;
 * fills the blob digest, its size and the diffID. */
static int write_layer(struct image_store *s, int in_fd, const char *path,
                       char layer[static DIGEST_LEN + 1], unsigned long long *layer_size,
                       char diff_id[static DIGEST_LEN + 1], struct vessel_error *err)
{
  struct blob_writer bw;
  if (blob_writer_open(s, &bw, err) < 0)
    return -1;
  struct layer_out o = {.blob = &bw, .err = err};
  struct archive *in = archive_read_new(), *out = archive_write_new();
  struct archive_entry *e = archive_entry_new();
  struct sha256_ctx *h = sha256_new();
  _cleanup_free_ char *buf = malloc(COPY_BLOCK);
  int r = -1;
  if (!in || !out || !e || !h || !buf) {
    vessel_error_set(err, ENOMEM, "libarchive");
    goto out;
  }
  archive_read_support_filter_all(in);
  archive_read_support_format_raw(in);
  struct archive_entry *ie;
  if (archive_read_open_fd(in, in_fd, COPY_BLOCK) != ARCHIVE_OK ||
      archive_read_next_header(in, &ie) != ARCHIVE_OK) {
    vessel_error_set(err, EINVAL, "read `%s`: %s", path, archive_error_string(in));
    goto out;
  }
  archive_write_set_format_raw(out);
  archive_write_add_filter_gzip(out);
  archive_write_set_filter_option(out, "gzip", "compression-level", "3");
  /* no time in the gzip header: the same tarball gives the same layer digest */
  archive_write_set_filter_option(out, "gzip", "timestamp", NULL);
  archive_write_set_bytes_in_last_block(out, 1);
  if (archive_write_open(out, &o, NULL, layer_write_cb, NULL) != ARCHIVE_OK) {
    vessel_error_set(err, EIO, "layer blob: %s", archive_error_string(out));
    goto out;
  }
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_pathname(e, "layer.tar");
  if (archive_write_header(out, e) != ARCHIVE_OK) {
    vessel_error_set(err, EIO, "layer blob: %s", archive_error_string(out));
    goto out;
  }
  la_ssize_t n;
  while ((n = archive_read_data(in, buf, COPY_BLOCK)) > 0) {
    sha256_update(h, buf, (size_t)n);
    if (archive_write_data(out, buf, (size_t)n) != n) {
      if (!o.failed)
        vessel_error_set(err, EIO, "layer blob: %s", archive_error_string(out));
      goto out;
    }
  }
  if (n < 0) {
    vessel_error_set(err, EINVAL, "read `%s`: %s", path, archive_error_string(in));
    goto out;
  }
  if (archive_write_close(out) != ARCHIVE_OK) {
    if (!o.failed)
      vessel_error_set(err, EIO, "layer blob: %s", archive_error_string(out));
    goto out;
  }
  sha256_final(h, diff_id);
  h = NULL;
  *layer_size = bw.size;
  r = blob_writer_commit(&bw, layer, err);
  bw.fd = -1;
out:
  if (r < 0)
    blob_writer_abort(&bw);
  sha256_free(h);
  archive_entry_free(e);
  archive_write_free(out);
  archive_read_free(in);
  return r;
}

static int write_json_blob(struct image_store *s, json_t *j, char digest[static DIGEST_LEN + 1],
                           size_t *size, struct vessel_error *err)
{
  _cleanup_free_ char *buf = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  if (!buf)
    return vessel_error_set(err, ENOMEM, "json");
  *size = strlen(buf);
  return blob_write(s, buf, *size, digest, err);
}

static char *import_locked(struct image_store *s, int in_fd, const char *tar_path, const char *name,
                           json_t *cc, struct vessel_error *err)
{
  char layer[DIGEST_LEN + 1], diff_id[DIGEST_LEN + 1], cfg_digest[DIGEST_LEN + 1],
      man_digest[DIGEST_LEN + 1], created[TIME_RFC3339_MAX];
  unsigned long long layer_size, unpacked = 0;
  size_t cfg_size = 0, man_size = 0;
  if (write_layer(s, in_fd, tar_path, layer, &layer_size, diff_id, err) < 0)
    return NULL;
  crashpoint("import-blob");
  if (faccessat(s->layersfd, diff_id + 7, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
    _cleanup_close_ int fd = openat(s->blobsfd, layer + 7, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *dir = NULL;
    if (fd < 0 || asprintf(&dir, "%s/%s", s->layers_path, diff_id + 7) < 0) {
      vessel_error_set(err, errno, "open blob `%s`", layer);
      return NULL;
    }
    if (unpack_layer(fd, dir, false, true, &unpacked, err) < 0)
      return NULL;
  }
  time_rfc3339_now(created);
  json_t *cfg = json_pack("{s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, s:[{s:s, s:s, s:s}]}", "created",
                          created, "architecture", "amd64", "os", "linux", "config", cc, "rootfs",
                          "type", "layers", "diff_ids", diff_id, "history", "created", created,
                          "created_by", "vessel import", "comment", tar_path);
  if (!cfg) {
    vessel_error_set(err, ENOMEM, "image config");
    return NULL;
  }
  int r = write_json_blob(s, cfg, cfg_digest, &cfg_size, err);
  json_decref(cfg);
  if (r < 0)
    return NULL;
  json_t *man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
                          "mediaType", MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest",
                          cfg_digest, "size", (json_int_t)cfg_size, "layers", "mediaType",
                          MT_LAYER_GZIP, "digest", layer, "size", (json_int_t)layer_size);
  if (!man) {
    vessel_error_set(err, ENOMEM, "manifest");
    return NULL;
  }
  r = write_json_blob(s, man, man_digest, &man_size, err);
  json_decref(man);
  if (r < 0)
    return NULL;
  crashpoint("import-manifest");

  json_t *index = index_load(s, err);
  if (!index)
    return NULL;
  char size_str[32];
  snprintf(size_str, sizeof size_str, "%llu", unpacked);
  json_t *desc = json_pack("{s:s, s:s, s:I, s:{s:s, s:s, s:s}}", "mediaType", MT_MANIFEST, "digest",
                           man_digest, "size", (json_int_t)man_size, "annotations", ANNOT_ID,
                           cfg_digest, ANNOT_CREATED, created, ANNOT_SIZE, size_str);
  r = desc ? index_set_name(index, desc, name, err) : vessel_error_set(err, ENOMEM, "index");
  json_decref(desc);
  if (r == 0)
    r = index_save(s, index, err);
  json_decref(index);
  if (r < 0)
    return NULL;
  char *id = strdup(cfg_digest);
  if (!id)
    vessel_error_set(err, ENOMEM, "image id");
  return id;
}

char *image_import(struct image_store *s, const char *tar_path, const struct image_import_opts *o,
                   struct vessel_error *err)
{
  _cleanup_free_ char *name = NULL;
  if (!o || image_name_normalize(o->name, &name, err) < 0)
    return NULL;
  json_t *cc = json_object();
  if (!cc) {
    vessel_error_set(err, ENOMEM, "import");
    return NULL;
  }
  for (const char *const *c = o->changes; c && *c; c++) {
    if (apply_change(cc, *c, err) < 0) {
      json_decref(cc);
      vessel_error_prefix(err, "import `%s`", name);
      return NULL;
    }
  }
  bool is_stdin = strcmp(tar_path, "-") == 0;
  _cleanup_close_ int fd = is_stdin ? -1 : open(tar_path, O_RDONLY | O_CLOEXEC);
  if (!is_stdin && fd < 0) {
    vessel_error_set(err, errno, "import `%s`: open `%s`", name, tar_path);
    json_decref(cc);
    return NULL;
  }
  if (store_lock(s, err) < 0) {
    json_decref(cc);
    return NULL;
  }
  char *id = import_locked(s, is_stdin ? STDIN_FILENO : fd, tar_path, name, cc, err);
  if (!id) {
    /* blobs of this import no image uses: gone again */
    json_t *index = index_load(s, &(struct vessel_error){0});
    if (index) {
      struct vessel_error e2 = {0};
      store_gc(s, index, &e2);
      json_decref(index);
    }
    vessel_error_prefix(err, "import `%s`", name);
  }
  store_unlock(s);
  json_decref(cc);
  return id;
}
