/* Finding images by name, id or id prefix, and what is done with them:
 * resolve (config and layer dirs), list, tag, remove. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-internal.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/fs.h"

static const char *annot(json_t *desc, const char *key)
{
  return json_string_value(json_object_get(json_object_get(desc, "annotations"), key));
}

static bool is_hex(const char *s)
{
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

/* Returns the index of a descriptor of the image ref names (the named one
 * when ref is a name), or -1 with err. */
static ssize_t find_image(json_t *index, const char *ref, bool *by_name, struct vessel_error *err)
{
  json_t *ms = json_object_get(index, "manifests"), *desc;
  size_t i;
  *by_name = false;
  if (!ref || !*ref)
    return vessel_error_set(err, EINVAL, "an image reference is needed");
  if (strncmp(ref, "sha256:", 7) != 0) {
    _cleanup_free_ char *name = NULL;
    struct vessel_error e2 = {0};
    if (image_name_normalize(ref, &name, &e2) == 0) {
      json_array_foreach(ms, i, desc)
      {
        const char *n = annot(desc, ANNOT_NAME);
        if (n && strcmp(n, name) == 0) {
          *by_name = true;
          return (ssize_t)i;
        }
      }
    }
  }
  const char *prefix = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
  size_t plen = strlen(prefix);
  if (plen >= 4 && plen <= SHA256_HEX_LEN && is_hex(prefix)) {
    ssize_t found = -1;
    const char *found_id = NULL;
    json_array_foreach(ms, i, desc)
    {
      const char *id = annot(desc, ANNOT_ID);
      if (!id || strncmp(id + 7, prefix, plen) != 0)
        continue;
      if (found_id && strcmp(found_id, id) != 0)
        return vessel_error_set(err, EINVAL, "image id prefix `%s` is ambiguous", ref);
      if (found < 0) {
        found = (ssize_t)i;
        found_id = id;
      }
    }
    if (found >= 0)
      return found;
  }
  return vessel_error_set(err, ENOENT, "no image `%s`", ref);
}

static int fill_info(json_t *desc, struct image_info *info, struct vessel_error *err)
{
  const char *n = annot(desc, ANNOT_NAME), *id = annot(desc, ANNOT_ID);
  const char *created = annot(desc, ANNOT_CREATED), *size = annot(desc, ANNOT_SIZE);
  const char *md = json_string_value(json_object_get(desc, "digest"));
  *info = (struct image_info){0};
  if ((n && !(info->name = strdup(n))) || !(info->id = strdup(id ? id : "")) ||
      !(info->manifest_digest = strdup(md ? md : "")) ||
      !(info->created = strdup(created ? created : ""))) {
    image_info_free(info);
    return vessel_error_set(err, ENOMEM, "image info");
  }
  if (size)
    parse_u64(size, &info->size);
  return 0;
}

void image_info_free(struct image_info *i)
{
  if (!i)
    return;
  free(i->name);
  free(i->id);
  free(i->manifest_digest);
  free(i->created);
  *i = (struct image_info){0};
}

void image_config_free(struct image_config *c)
{
  if (!c)
    return;
  strv_free(c->entrypoint);
  strv_free(c->cmd);
  strv_free(c->env);
  strv_free(c->labels);
  free(c->working_dir);
  free(c->user);
  free(c->stop_signal);
  strv_free(c->health_test);
  *c = (struct image_config){0};
}

static int strv_from_json(json_t *a, char ***out)
{
  *out = NULL;
  if (!json_is_array(a))
    return 0;
  char **v = calloc(json_array_size(a) + 1, sizeof *v);
  if (!v)
    return -1;
  size_t i;
  json_t *x;
  json_array_foreach(a, i, x)
  {
    if (!json_is_string(x) || !(v[i] = strdup(json_string_value(x)))) {
      strv_free(v);
      return -1;
    }
  }
  *out = v;
  return 0;
}

static int str_from_json(json_t *s, char **out)
{
  *out = NULL;
  if (!json_is_string(s) || !*json_string_value(s))
    return 0;
  return (*out = strdup(json_string_value(s))) ? 0 : -1;
}

static int parse_config(json_t *cfg, struct image_config *c, struct vessel_error *err)
{
  json_t *cc = json_object_get(cfg, "config");
  *c = (struct image_config){0};
  if (!cc)
    return 0;
  if (strv_from_json(json_object_get(cc, "Entrypoint"), &c->entrypoint) < 0 ||
      strv_from_json(json_object_get(cc, "Cmd"), &c->cmd) < 0 ||
      strv_from_json(json_object_get(cc, "Env"), &c->env) < 0 ||
      str_from_json(json_object_get(cc, "WorkingDir"), &c->working_dir) < 0 ||
      str_from_json(json_object_get(cc, "User"), &c->user) < 0 ||
      str_from_json(json_object_get(cc, "StopSignal"), &c->stop_signal) < 0)
    goto fail;
  json_t *hc = json_object_get(cc, "Healthcheck");
  if (json_is_object(hc)) {
    if (strv_from_json(json_object_get(hc, "Test"), &c->health_test) < 0)
      goto fail;
    c->health_interval_ns = json_integer_value(json_object_get(hc, "Interval"));
    c->health_timeout_ns = json_integer_value(json_object_get(hc, "Timeout"));
    c->health_start_period_ns = json_integer_value(json_object_get(hc, "StartPeriod"));
    c->health_retries = (int)json_integer_value(json_object_get(hc, "Retries"));
  }
  json_t *labels = json_object_get(cc, "Labels");
  if (json_is_object(labels)) {
    c->labels = calloc(json_object_size(labels) + 1, sizeof *c->labels);
    if (!c->labels)
      goto fail;
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(labels, k, v)
    {
      if (asprintf(&c->labels[i], "%s=%s", k, json_string_value(v) ? json_string_value(v) : "") <
          0) {
        c->labels[i] = NULL;
        goto fail;
      }
      i++;
    }
  }
  return 0;
fail:
  image_config_free(c);
  return vessel_error_set(err, EINVAL, "image config: bad `config` object");
}

int store_ensure_layer(struct image_store *s, const char *layer_digest, const char *chain_hex,
                       struct vessel_error *err)
{
  if (faccessat(s->layersfd, chain_hex, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  _cleanup_close_ int fd = blob_open_verified(s, layer_digest, err);
  if (fd < 0)
    return -1;
  _cleanup_free_ char *dir = NULL;
  if (asprintf(&dir, "%s/%s", s->layers_path, chain_hex) < 0)
    return vessel_error_set(err, ENOMEM, "layer dir");
  return unpack_layer(fd, dir, false, true, NULL, err);
}

static int resolve_locked(struct image_store *s, const char *ref, struct image_config *config,
                          char ***layer_dirs, struct image_info *info, struct vessel_error *err)
{
  json_t *index = index_load(s, err);
  if (!index)
    return -1;
  json_t *m = NULL, *cfg = NULL;
  char **chain = NULL, **dirs = NULL;
  int r = -1;
  bool by_name;
  ssize_t at = find_image(index, ref, &by_name, err);
  if (at < 0)
    goto out;
  json_t *desc = json_array_get(json_object_get(index, "manifests"), (size_t)at);
  m = blob_read_json(s, json_string_value(json_object_get(desc, "digest")), err);
  if (!m)
    goto out;
  const char *cfg_digest =
      json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
  if (!digest_valid(cfg_digest)) {
    vessel_error_set(err, EINVAL, "manifest of `%s`: no config digest", ref);
    goto out;
  }
  if (!(cfg = blob_read_json(s, cfg_digest, err)) || !(chain = image_chain_ids(cfg, err)))
    goto out;
  json_t *layers = json_object_get(m, "layers");
  size_t n = strv_length(chain);
  if (json_array_size(layers) != n) {
    vessel_error_set(err, EINVAL, "image `%s`: %zu layers but %zu diff_ids", ref,
                     json_array_size(layers), n);
    goto out;
  }
  if (layer_dirs) {
    dirs = calloc(n + 1, sizeof *dirs);
    if (!dirs) {
      vessel_error_set(err, ENOMEM, "layer dirs");
      goto out;
    }
    for (size_t i = 0; i < n; i++) {
      const char *ld = json_string_value(json_object_get(json_array_get(layers, i), "digest"));
      if (store_ensure_layer(s, ld, chain[i], err) < 0)
        goto out;
      if (asprintf(&dirs[i], "%s/%s", s->layers_path, chain[i]) < 0) {
        dirs[i] = NULL;
        vessel_error_set(err, ENOMEM, "layer dirs");
        goto out;
      }
    }
  }
  if (config && parse_config(cfg, config, err) < 0)
    goto out;
  if (info && fill_info(desc, info, err) < 0) {
    if (config)
      image_config_free(config);
    goto out;
  }
  if (info && info->id && strcmp(info->id, cfg_digest) != 0) {
    free(info->id);
    info->id = strdup(cfg_digest);
  }
  if (layer_dirs)
    *layer_dirs = TAKE_PTR(dirs);
  r = 0;
out:
  if (r < 0)
    vessel_error_prefix(err, "image `%s`", ref);
  strv_free(dirs);
  strv_free(chain);
  json_decref(cfg);
  json_decref(m);
  json_decref(index);
  return r;
}

int image_resolve(struct image_store *s, const char *ref, struct image_config *config,
                  char ***layer_dirs, struct image_info *info, struct vessel_error *err)
{
  if (store_lock(s, err) < 0)
    return -1;
  int r = resolve_locked(s, ref, config, layer_dirs, info, err);
  store_unlock(s);
  return r;
}

int image_list(struct image_store *s, struct image_info **out, size_t *n, struct vessel_error *err)
{
  if (store_lock(s, err) < 0)
    return -1;
  json_t *index = index_load(s, err);
  store_unlock(s);
  if (!index)
    return -1;
  json_t *ms = json_object_get(index, "manifests");
  size_t count = json_array_size(ms);
  struct image_info *v = calloc(count ? count : 1, sizeof *v);
  if (!v) {
    json_decref(index);
    return vessel_error_set(err, ENOMEM, "image list");
  }
  size_t i;
  json_t *desc;
  json_array_foreach(ms, i, desc)
  {
    if (fill_info(desc, &v[i], err) < 0) {
      for (size_t j = 0; j < i; j++)
        image_info_free(&v[j]);
      free(v);
      json_decref(index);
      return -1;
    }
  }
  json_decref(index);
  *out = v;
  *n = count;
  return 0;
}

/* Index entries of the image with id, other than skip. */
static size_t count_image(json_t *ms, const char *id, ssize_t skip)
{
  size_t n = 0, i;
  json_t *desc;
  json_array_foreach(ms, i, desc)
  {
    const char *d = annot(desc, ANNOT_ID);
    if ((ssize_t)i != skip && d && strcmp(d, id) == 0)
      n++;
  }
  return n;
}

/* Gives name to the image desc describes: the name leaves any other image
 * (which keeps an untagged entry when that was its last name), and an
 * untagged entry of this image is reused. */
int index_set_name(json_t *index, json_t *desc, const char *name, struct vessel_error *err)
{
  json_t *ms = json_object_get(index, "manifests"), *d;
  const char *id = annot(desc, ANNOT_ID);
  size_t i;
  json_array_foreach(ms, i, d)
  {
    const char *n = annot(d, ANNOT_NAME);
    if (!n || strcmp(n, name) != 0)
      continue;
    const char *other = annot(d, ANNOT_ID);
    if (other && id && strcmp(other, id) == 0)
      return 0; /* already there */
    json_t *a = json_object_get(d, "annotations");
    if (other && count_image(ms, other, (ssize_t)i) > 0) {
      json_array_remove(ms, i);
    } else {
      json_object_del(a, ANNOT_NAME);
      json_object_del(a, ANNOT_REF);
    }
    break;
  }
  json_t *nd = json_deep_copy(desc);
  if (!nd)
    return vessel_error_set(err, ENOMEM, "index");
  json_t *a = json_object_get(nd, "annotations");
  json_object_set_new(a, ANNOT_NAME, json_string(name));
  json_object_set_new(a, ANNOT_REF, json_string(name));
  /* an untagged entry of this image becomes the named one */
  json_array_foreach(ms, i, d)
  {
    const char *other = annot(d, ANNOT_ID);
    if (!annot(d, ANNOT_NAME) && other && id && strcmp(other, id) == 0)
      return json_array_set_new(ms, i, nd) == 0 ? 0 : vessel_error_set(err, ENOMEM, "index");
  }
  return json_array_append_new(ms, nd) == 0 ? 0 : vessel_error_set(err, ENOMEM, "index");
}

int image_tag(struct image_store *s, const char *ref, const char *name, struct vessel_error *err)
{
  _cleanup_free_ char *norm = NULL;
  if (image_name_normalize(name, &norm, err) < 0)
    return -1;
  if (store_lock(s, err) < 0)
    return -1;
  int r = -1;
  bool by_name;
  json_t *index = index_load(s, err);
  if (!index)
    goto out;
  ssize_t at = find_image(index, ref, &by_name, err);
  if (at < 0)
    goto out;
  json_t *desc = json_deep_copy(json_array_get(json_object_get(index, "manifests"), (size_t)at));
  if (!desc) {
    vessel_error_set(err, ENOMEM, "index");
    goto out;
  }
  r = index_set_name(index, desc, norm, err);
  json_decref(desc);
  if (r == 0)
    r = index_save(s, index, err);
out:
  json_decref(index);
  store_unlock(s);
  return r < 0 ? vessel_error_prefix(err, "tag `%s` as `%s`", ref, name) : 0;
}

int image_remove(struct image_store *s, const char *ref, struct vessel_error *err)
{
  if (store_lock(s, err) < 0)
    return -1;
  int r = -1;
  bool by_name;
  _cleanup_free_ char *id = NULL;
  json_t *index = index_load(s, err);
  if (!index)
    goto out;
  json_t *ms = json_object_get(index, "manifests");
  ssize_t at = find_image(index, ref, &by_name, err);
  if (at < 0)
    goto out;
  id = strdup(annot(json_array_get(ms, (size_t)at), ANNOT_ID) ?: "");
  if (!id) {
    vessel_error_set(err, ENOMEM, "index");
    goto out;
  }
  if (!by_name && count_image(ms, id, -1) > 1) {
    vessel_error_set(err, EBUSY, "image `%s` has several names: remove them by name", ref);
    goto out;
  }
  json_array_remove(ms, (size_t)at);
  if (index_save(s, index, err) < 0)
    goto out;
  crashpoint("rmi-index");
  r = 0;
  /* the name is gone for good; a failed collection only leaves garbage */
  if (count_image(ms, id, -1) == 0 && store_gc(s, index, err) < 0)
    r = -1;
out:
  json_decref(index);
  store_unlock(s);
  return r < 0 ? vessel_error_prefix(err, "remove image `%s`", ref) : 0;
}
