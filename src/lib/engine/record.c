/* Container records (container.json) and ids. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/timefmt.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char *const state_names[] = {
    [ENGINE_CREATED] = "created",
    [ENGINE_RUNNING] = "running",
    [ENGINE_PAUSED] = "paused",
    [ENGINE_EXITED] = "exited",
};

const char *engine_state_name(enum engine_state s)
{
  return (size_t)s < ARRAY_SIZE(state_names) ? state_names[s] : "unknown";
}

void engine_container_clear(struct engine_container *c)
{
  free(c->name);
  free(c->image);
  free(c->image_id);
  free(c->created);
  free(c->bundle);
  strv_free(c->cmd);
  strv_free(c->env);
  free(c->workdir);
  free(c->user);
  free(c->hostname);
  free(c->stop_signal);
  free(c->started_at);
  free(c->finished_at);
  record_flags_clear(c);
  free(c->mon.health_cmd);
  free(c->health_status);
  for (size_t i = 0; i < c->n_health_log && i < ENGINE_HEALTH_LOG; i++) {
    free(c->health_log[i].start);
    free(c->health_log[i].end);
    free(c->health_log[i].output);
  }
  memset(c, 0, sizeof *c);
}

int engine_id_new(char out[65], struct vessel_error *err)
{
  unsigned char raw[32];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vessel_error_set(err, errno, "getrandom");
    got += (size_t)n;
  }
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(out + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

bool engine_id_valid(const char *id)
{
  if (strlen(id) != 64)
    return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

static json_t *strv_to_json(char *const *v)
{
  json_t *a = json_array();
  for (size_t i = 0; a && v && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

char *record_to_json(const struct engine_container *c)
{
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_object_set_new(o, "id", json_string(c->id));
  json_object_set_new(o, "name", json_string(c->name ? c->name : ""));
  json_object_set_new(o, "image", json_string(c->image ? c->image : ""));
  json_object_set_new(o, "image_id", json_string(c->image_id ? c->image_id : ""));
  json_object_set_new(o, "created", json_string(c->created ? c->created : ""));
  json_object_set_new(o, "state", json_string(engine_state_name(c->state)));
  json_object_set_new(o, "exit_code", json_integer(c->exit_code));
  json_object_set_new(o, "bundle", json_string(c->bundle ? c->bundle : ""));
  json_object_set_new(o, "cmd", strv_to_json(c->cmd));
  json_object_set_new(o, "env", strv_to_json(c->env));
  json_object_set_new(o, "workdir", json_string(c->workdir ? c->workdir : "/"));
  json_object_set_new(o, "user", json_string(c->user ? c->user : ""));
  json_object_set_new(o, "hostname", json_string(c->hostname ? c->hostname : ""));
  json_object_set_new(o, "auto_remove", json_boolean(c->auto_remove));
  if (c->stop_signal)
    json_object_set_new(o, "stop_signal", json_string(c->stop_signal));
  if (c->started_at)
    json_object_set_new(o, "started_at", json_string(c->started_at));
  if (c->finished_at)
    json_object_set_new(o, "finished_at", json_string(c->finished_at));
  if (record_flags_to_json(o, c) < 0 || monitor_to_json(o, c) < 0) {
    json_decref(o);
    return NULL;
  }
  char *text = json_dumps(o, JSON_INDENT(2));
  json_decref(o);
  return text;
}

static int get_string(json_t *o, const char *key, char **out, struct vessel_error *err)
{
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v))
    return vessel_error_set(err, 0, "container record: `%s` must be a string", key);
  if (!(*out = strdup(json_string_value(v))))
    return vessel_error_set(err, ENOMEM, "container record");
  return 0;
}

/* Fields added after the first records: absent is NULL. */
static int get_optional(json_t *o, const char *key, char **out, struct vessel_error *err)
{
  if (!json_object_get(o, key))
    return 0;
  return get_string(o, key, out, err);
}

static int get_strv(json_t *o, const char *key, char ***out, struct vessel_error *err)
{
  json_t *a = json_object_get(o, key);
  if (!json_is_array(a))
    return vessel_error_set(err, 0, "container record: `%s` must be an array", key);
  size_t n = json_array_size(a);
  _cleanup_strv_ char **v = calloc(n + 1, sizeof *v);
  if (!v)
    return vessel_error_set(err, ENOMEM, "container record");
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(a, i);
    if (!json_is_string(s))
      return vessel_error_set(err, 0, "container record: `%s` holds a non-string", key);
    if (!(v[i] = strdup(json_string_value(s))))
      return vessel_error_set(err, ENOMEM, "container record");
  }
  *out = TAKE_PTR(v);
  return 0;
}

int record_from_json(const char *text, size_t len, struct engine_container *out,
                     struct vessel_error *err)
{
  json_error_t jerr;
  json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!o)
    return vessel_error_set(err, 0, "container record: %s (line %d)", jerr.text, jerr.line);
  struct engine_container c = {0};
  int r = -1;
  json_t *id = json_object_get(o, "id");
  json_t *st = json_object_get(o, "state");
  json_t *code = json_object_get(o, "exit_code");
  if (!json_is_string(id) || !engine_id_valid(json_string_value(id))) {
    vessel_error_set(err, 0, "container record: bad `id`");
    goto out;
  }
  strcpy(c.id, json_string_value(id));
  if (!json_is_integer(code) || json_integer_value(code) < -1 || json_integer_value(code) > 255) {
    vessel_error_set(err, 0, "container record: bad `exit_code`");
    goto out;
  }
  c.exit_code = (int)json_integer_value(code);
  size_t s;
  for (s = 0; s < ARRAY_SIZE(state_names); s++)
    if (json_is_string(st) && strcmp(json_string_value(st), state_names[s]) == 0)
      break;
  if (s == ARRAY_SIZE(state_names)) {
    vessel_error_set(err, 0, "container record: bad `state`");
    goto out;
  }
  c.state = (enum engine_state)s;
  c.auto_remove = json_is_true(json_object_get(o, "auto_remove"));
  if (get_string(o, "name", &c.name, err) < 0 || get_string(o, "image", &c.image, err) < 0 ||
      get_string(o, "image_id", &c.image_id, err) < 0 ||
      get_string(o, "created", &c.created, err) < 0 ||
      get_string(o, "bundle", &c.bundle, err) < 0 || get_strv(o, "cmd", &c.cmd, err) < 0 ||
      get_strv(o, "env", &c.env, err) < 0 || get_string(o, "workdir", &c.workdir, err) < 0 ||
      get_string(o, "user", &c.user, err) < 0 || get_string(o, "hostname", &c.hostname, err) < 0 ||
      get_optional(o, "stop_signal", &c.stop_signal, err) < 0 ||
      get_optional(o, "started_at", &c.started_at, err) < 0 ||
      get_optional(o, "finished_at", &c.finished_at, err) < 0 || monitor_from_json(o, &c, err) < 0)
    goto out;
  if (record_flags_from_json(o, &c, err) < 0)
    goto out;
  *out = c;
  memset(&c, 0, sizeof c);
  r = 0;
out:
  engine_container_clear(&c);
  json_decref(o);
  return r;
}

int record_save(int dirfd, const struct engine_container *c, struct vessel_error *err)
{
  _cleanup_free_ char *text = record_to_json(c);
  if (!text)
    return vessel_error_set(err, ENOMEM, "container record");
  /* a --rm container goes with its process: nothing of it must outlive a
   * power loss, so no fsync (each cost 0.2-0.4 ms of every run) */
  if (fs_write_atomic(dirfd, ENGINE_RECORD, text, strlen(text), !c->auto_remove, err) < 0)
    return vessel_error_prefix(err, "save the record of `%s`", c->id);
  return 0;
}

int record_load(int dirfd, struct engine_container *c, struct vessel_error *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (fs_read_fileat(dirfd, ENGINE_RECORD, &text, &len, err) < 0)
    return -1;
  return record_from_json(text, len, c, err);
}

int record_update(int dirfd, int (*fn)(struct engine_container *c, void *data), void *data,
                  struct engine_container *out, struct vessel_error *err)
{
  /* an open-file-description lock on byte 0 of the directory's `lock`: it
   * never meets the monitor's flock of the same file, and a lock file of its
   * own was one more inode made and removed per container (ext4 without a
   * journal spends ~0.2 ms on each) */
  _cleanup_close_ int lock = openat(dirfd, "lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  if (lock < 0 || fcntl(lock, F_OFD_SETLKW, &fl) < 0)
    return vessel_error_set(err, errno, "lock the container record");
  struct engine_container c = {0};
  if (record_load(dirfd, &c, err) < 0)
    return -1;
  int r = fn(&c, data);
  if (r == 0)
    r = record_save(dirfd, &c, err);
  if (r == 0 && out) {
    engine_container_clear(out);
    *out = c;
  } else {
    engine_container_clear(&c);
  }
  return r;
}

char *engine_now_rfc3339(void)
{
  char buf[TIME_RFC3339_MAX];
  time_rfc3339_now(buf);
  return strdup(buf);
}

struct state_change {
  enum engine_state state;
  int exit_code;
};

static int apply_state(struct engine_container *c, void *data)
{
  const struct state_change *sc = data;
  char *now = engine_now_rfc3339();
  if (!now)
    return -1;
  c->state = sc->state;
  c->exit_code = sc->exit_code;
  if (sc->state == ENGINE_RUNNING) {
    free(c->started_at);
    c->started_at = now;
  } else {
    free(c->finished_at);
    c->finished_at = now;
  }
  return 0;
}

int record_set_state(int dirfd, enum engine_state state, int exit_code,
                     struct engine_container *out, struct vessel_error *err)
{
  struct state_change sc = {state, exit_code};
  struct vessel_error inner = {0};
  if (record_update(dirfd, apply_state, &sc, out, &inner) < 0) {
    if (!inner.msg[0])
      vessel_error_set(&inner, ENOMEM, "container record");
    *err = inner;
    return -1;
  }
  return 0;
}
