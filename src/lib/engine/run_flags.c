/* The run flags' part of preparing a container: checks that need the host
 * (bind sources, the stop signal), names for anonymous volumes, and the
 * record's labels, stop signal and timeout and mounts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static int mount_copy(struct engine_mount *to, const struct engine_mount *from)
{
  *to = *from;
  to->source = to->destination = to->tmpfs_options = NULL;
  if ((from->source && !(to->source = strdup(from->source))) ||
      !(to->destination = strdup(from->destination)) ||
      (from->tmpfs_options && !(to->tmpfs_options = strdup(from->tmpfs_options))))
    return -1;
  return 0;
}

void run_flags_mounts_free(struct engine_mount *m, size_t n)
{
  (void)n; /* a partly filled copy ends at the first entry without destination */
  for (size_t i = 0; m && m[i].destination; i++)
    engine_mount_clear(&m[i]);
  free(m);
}

int run_flags_prepare(const struct engine_run_opts *o, const struct image_config *img,
                      struct engine_mount **mounts, struct engine_container *rec,
                      struct vessel_error *err)
{
  for (size_t i = 0; i < o->n_mounts; i++) {
    const struct engine_mount *m = &o->mounts[i];
    struct stat st;
    if (m->type == ENGINE_MOUNT_BIND && stat(m->source, &st) < 0)
      return vessel_error_set(err, errno, "bind source `%s`", m->source);
  }
  if (o->stop_signal && runtime_signal_parse(o->stop_signal) <= 0)
    return vessel_error_set(err, 0, "bad --stop-signal `%s`", o->stop_signal);
  if (o->stop_timeout_set && o->stop_timeout < -1)
    return vessel_error_set(err, 0, "bad --stop-timeout %d", o->stop_timeout);
  for (size_t i = 0; o->labels && o->labels[i]; i++)
    if (!o->labels[i][0] || o->labels[i][0] == '=')
      return vessel_error_set(err, 0, "bad label `%s`: KEY=VALUE", o->labels[i]);

  /* copies the record and the bundle share; anonymous volumes get names */
  struct engine_mount *m = calloc(o->n_mounts + 1, sizeof *m);
  struct engine_mount *kept = calloc(o->n_mounts + 1, sizeof *kept);
  if (!m || !kept) {
    free(m);
    free(kept);
    return vessel_error_set(err, ENOMEM, "mounts");
  }
  *mounts = m;
  rec->mounts = kept;
  for (size_t i = 0; i < o->n_mounts; i++) {
    if (mount_copy(&m[i], &o->mounts[i]) < 0)
      return vessel_error_set(err, ENOMEM, "mounts");
    if (m[i].type == ENGINE_MOUNT_VOLUME && !m[i].source) {
      char name[65];
      if (engine_id_new(name, err) < 0)
        return -1;
      if (!(m[i].source = strdup(name)))
        return vessel_error_set(err, ENOMEM, "mounts");
      m[i].anonymous = true;
    }
    if (mount_copy(&kept[i], &m[i]) < 0)
      return vessel_error_set(err, ENOMEM, "mounts");
    rec->n_mounts = i + 1;
  }
  /* the image's labels, then the run's over them */
  size_t n = 0;
  for (int pass = 0; pass < 2; pass++) {
    char *const *v = pass == 0 ? img->labels : o->labels;
    for (size_t i = 0; v && v[i]; i++) {
      const char *eq = strchr(v[i], '=');
      size_t klen = eq ? (size_t)(eq - v[i]) : strlen(v[i]);
      for (size_t k = 0; k < n; k++)
        if (!strncmp(rec->labels[k], v[i], klen) && rec->labels[k][klen] == '=') {
          free(rec->labels[k]);
          rec->labels[k] = rec->labels[--n];
          rec->labels[n] = NULL;
          break;
        }
      _cleanup_free_ char *kv = NULL;
      if ((eq ? !(kv = strdup(v[i])) : asprintf(&kv, "%s=", v[i]) < 0) ||
          strv_push(&rec->labels, &n, kv) < 0)
        return vessel_error_set(err, ENOMEM, "labels");
    }
  }
  if (o->stop_signal) {
    free(rec->stop_signal);
    if (!(rec->stop_signal = strdup(o->stop_signal)))
      return vessel_error_set(err, ENOMEM, "stop signal");
  }
  rec->stop_timeout = o->stop_timeout;
  rec->stop_timeout_set = o->stop_timeout_set;
  return 0;
}

/* What a run made and must undo: the anonymous volumes of the container,
 * and (failed) the volumes it made on demand. */
void run_flags_cleanup(struct engine *e, const struct engine_container *rec, char **made)
{
  for (size_t i = 0; i < rec->n_mounts; i++) {
    const struct engine_mount *m = &rec->mounts[i];
    struct vessel_error ignored = {0};
    if (m->type == ENGINE_MOUNT_VOLUME && m->anonymous && m->source &&
        engine_volume_remove(e, m->source, &ignored) < 0 && ignored.code != ENOENT)
      log_warning("%s", ignored.msg);
  }
  for (size_t i = 0; made && made[i]; i++) {
    struct vessel_error ignored = {0};
    if (engine_volume_remove(e, made[i], &ignored) < 0 && ignored.code != ENOENT)
      log_warning("%s", ignored.msg);
  }
}

int engine_remove_with_volumes(struct engine *e, const char *ref, bool force, bool volumes,
                               struct vessel_error *err)
{
  struct engine_container c = {0};
  if (volumes && engine_lookup(e, ref, &c, err) < 0)
    return -1;
  int r = engine_remove(e, ref, force, err);
  if (r == 0 && volumes)
    run_flags_cleanup(e, &c, NULL);
  engine_container_clear(&c);
  return r;
}
