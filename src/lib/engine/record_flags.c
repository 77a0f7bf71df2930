/* The run flags a container record keeps: labels, the stop timeout and the
 * mounts (volume names, so that volume rm knows who uses one). Absent in
 * older records: no labels, the default timeout, no mounts. */
#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define RECORD_MOUNTS_MAX 4096

static const char *const mount_types[] = {
    [ENGINE_MOUNT_BIND] = "bind",
    [ENGINE_MOUNT_VOLUME] = "volume",
    [ENGINE_MOUNT_TMPFS] = "tmpfs",
};

/* here, not with the run flags: vessel-monitor links the record alone */
void engine_mount_clear(struct engine_mount *m)
{
  free(m->source);
  free(m->destination);
  free(m->tmpfs_options);
  memset(m, 0, sizeof *m);
}

int bundle_volume_path(const char *root, const char *name, char **out)
{
  return asprintf(out, "%s/volumes/%s/_data", root, name) < 0 ? -1 : 0;
}

void record_flags_clear(struct engine_container *c)
{
  strv_free(c->labels);
  for (size_t i = 0; i < c->n_mounts; i++)
    engine_mount_clear(&c->mounts[i]);
  free(c->mounts);
}

/* K=V strings as a JSON object (docker's Config.Labels) */
json_t *labels_json(char *const *labels)
{
  json_t *o = json_object();
  for (size_t i = 0; o && labels && labels[i]; i++) {
    const char *eq = strchr(labels[i], '=');
    _cleanup_free_ char *k = strndup(labels[i], eq ? (size_t)(eq - labels[i]) : strlen(labels[i]));
    if (k)
      json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
  }
  return o;
}

int labels_from_json(json_t *o, char ***out)
{
  _cleanup_strv_ char **v = calloc(json_object_size(o) + 1, sizeof *v);
  if (!v)
    return -1;
  size_t n = 0;
  const char *k;
  json_t *val;
  json_object_foreach(o, k, val)
  {
    if (!json_is_string(val) || asprintf(&v[n], "%s=%s", k, json_string_value(val)) < 0)
      return -1;
    n++;
  }
  *out = TAKE_PTR(v);
  return 0;
}

int record_flags_to_json(json_t *o, const struct engine_container *c)
{
  if (c->labels && c->labels[0])
    json_object_set_new(o, "labels", labels_json(c->labels));
  if (c->stop_timeout_set)
    json_object_set_new(o, "stop_timeout", json_integer(c->stop_timeout));
  if (!c->n_mounts)
    return 0;
  json_t *a = json_array();
  for (size_t i = 0; a && i < c->n_mounts; i++) {
    const struct engine_mount *m = &c->mounts[i];
    json_t *j = json_pack("{s:s, s:s, s:b, s:b}", "type", mount_types[m->type], "destination",
                          m->destination, "readonly", m->readonly, "anonymous", m->anonymous);
    if (m->source)
      json_object_set_new(j, "source", json_string(m->source));
    if (m->nocopy)
      json_object_set_new(j, "nocopy", json_true());
    if (m->tmpfs_size)
      json_object_set_new(j, "tmpfs_size", json_integer(m->tmpfs_size));
    if (m->tmpfs_mode)
      json_object_set_new(j, "tmpfs_mode", json_integer(m->tmpfs_mode));
    if (m->tmpfs_options)
      json_object_set_new(j, "tmpfs_options", json_string(m->tmpfs_options));
    json_array_append_new(a, j);
  }
  return json_object_set_new(o, "mounts", a);
}

static int bad(struct vessel_error *err, const char *what)
{
  return vessel_error_set(err, 0, "container record: bad `%s`", what);
}

int record_flags_from_json(json_t *o, struct engine_container *c, struct vessel_error *err)
{
  json_t *labels = json_object_get(o, "labels");
  if (labels && (!json_is_object(labels) || labels_from_json(labels, &c->labels) < 0))
    return bad(err, "labels");
  json_t *t = json_object_get(o, "stop_timeout");
  if (t) {
    if (!json_is_integer(t) || json_integer_value(t) < -1 || json_integer_value(t) > 1000000)
      return bad(err, "stop_timeout");
    c->stop_timeout = (int)json_integer_value(t);
    c->stop_timeout_set = true;
  }
  json_t *mounts = json_object_get(o, "mounts");
  if (!mounts)
    return 0;
  if (!json_is_array(mounts) || json_array_size(mounts) > RECORD_MOUNTS_MAX)
    return bad(err, "mounts");
  size_t n = json_array_size(mounts);
  if (!(c->mounts = calloc(n ? n : 1, sizeof *c->mounts)))
    return vessel_error_set(err, ENOMEM, "container record");
  for (size_t i = 0; i < n; i++) {
    json_t *j = json_array_get(mounts, i);
    struct engine_mount *m = &c->mounts[i];
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *dst = json_string_value(json_object_get(j, "destination"));
    const char *src = json_string_value(json_object_get(j, "source"));
    const char *opts = json_string_value(json_object_get(j, "tmpfs_options"));
    size_t k = 0;
    while (type && k < ARRAY_SIZE(mount_types) && strcmp(type, mount_types[k]))
      k++;
    if (!type || k == ARRAY_SIZE(mount_types) || !dst)
      return bad(err, "mounts");
    m->type = (enum engine_mount_type)k;
    m->readonly = json_is_true(json_object_get(j, "readonly"));
    m->anonymous = json_is_true(json_object_get(j, "anonymous"));
    m->nocopy = json_is_true(json_object_get(j, "nocopy"));
    m->tmpfs_size = json_integer_value(json_object_get(j, "tmpfs_size"));
    m->tmpfs_mode = (unsigned)json_integer_value(json_object_get(j, "tmpfs_mode")) & 07777;
    c->n_mounts = i + 1;
    if (!(m->destination = strdup(dst)) || (src && !(m->source = strdup(src))) ||
        (opts && !(m->tmpfs_options = strdup(opts))))
      return vessel_error_set(err, ENOMEM, "container record");
  }
  return 0;
}

json_t *inspect_mounts_json(struct engine *e, const struct engine_container *c)
{
  json_t *a = json_array();
  for (size_t i = 0; a && i < c->n_mounts; i++) {
    const struct engine_mount *m = &c->mounts[i];
    _cleanup_free_ char *path = NULL;
    const char *src = m->source ? m->source : "";
    if (m->type == ENGINE_MOUNT_VOLUME && m->source &&
        bundle_volume_path(e->root, m->source, &path) == 0)
      src = path;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", mount_types[m->type], "Source",
                          src, "Destination", m->destination, "Mode", "", "RW", !m->readonly,
                          "Propagation", m->type == ENGINE_MOUNT_TMPFS ? "" : "rprivate");
    if (j && m->type == ENGINE_MOUNT_VOLUME) {
      json_object_set_new(j, "Name", json_string(src == path ? m->source : ""));
      json_object_set_new(j, "Driver", json_string("local"));
    }
    json_array_append_new(a, j);
  }
  return a;
}
