/* Volumes of the local driver: <root>/volumes/<name>/{volume.json,_data}.
 * A volume is made in a temp directory and renamed into place, so it exists
 * whole or not at all, and the rename makes a name unique; removal renames
 * it away first. volumes/.lock is held shared by whoever uses volumes (a run
 * until its record names them) and exclusive by removal, so a volume in use
 * is never removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "runtime/copyup.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define VOLUME_RECORD "volume.json"
#define VOLUME_DATA "_data"
#define VOLUMES_MAX 65536

static int volumes_dir(struct engine *e, struct vessel_error *err)
{
  _cleanup_free_ char *p = NULL;
  if (asprintf(&p, "%s/volumes", e->root) < 0)
    return vessel_error_set(err, ENOMEM, "volumes");
  if (fs_mkdir_p(p, 0700, err) < 0)
    return -1;
  int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s`", p);
  return fd;
}

int volume_lock(struct engine *e, bool exclusive, struct vessel_error *err)
{
  _cleanup_close_ int dir = volumes_dir(e, err);
  if (dir < 0)
    return -1;
  int fd = openat(dir, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return vessel_error_set(err, errno, "open the volumes lock");
  while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR) {
      int e2 = errno;
      close(fd);
      return vessel_error_set(err, e2, "lock the volumes");
    }
  return fd;
}

static int check_name(const char *name, struct vessel_error *err)
{
  struct vessel_error ignored;
  if (name_check(name, &ignored) < 0)
    return vessel_error_set(err, 0, "bad volume name `%s`: 1 to 128 of [a-zA-Z0-9][a-zA-Z0-9_.-]*",
                            name);
  return 0;
}

void engine_volume_clear(struct engine_volume *v)
{
  free(v->name);
  free(v->driver);
  free(v->mountpoint);
  free(v->created);
  strv_free(v->labels);
  memset(v, 0, sizeof *v);
}

void engine_volume_list_free(struct engine_volume *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    engine_volume_clear(&v[i]);
  free(v);
}

static int volume_load(struct engine *e, int dir, const char *name, struct engine_volume *out,
                       struct vessel_error *err)
{
  _cleanup_free_ char *path = NULL, *text = NULL;
  size_t len;
  if (asprintf(&path, "%s/" VOLUME_RECORD, name) < 0)
    return vessel_error_set(err, ENOMEM, "volume");
  if (fs_read_fileat(dir, path, &text, &len, err) < 0) {
    if (err->code == ENOENT)
      return vessel_error_set(err, ENOENT, "no such volume `%s`", name);
    return -1;
  }
  json_error_t jerr;
  json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  struct engine_volume v = {0};
  const char *created = json_string_value(json_object_get(o, "created"));
  json_t *labels = json_object_get(o, "labels");
  v.anonymous = json_is_true(json_object_get(o, "anonymous"));
  int r = 0;
  if (!o || !created || (labels && !json_is_object(labels)))
    r = vessel_error_set(err, 0, "the record of volume `%s` is damaged", name);
  else if (!(v.name = strdup(name)) || !(v.driver = strdup("local")) ||
           !(v.created = strdup(created)) || bundle_volume_path(e->root, name, &v.mountpoint) < 0 ||
           labels_from_json(labels ? labels : json_object(), &v.labels) < 0)
    r = vessel_error_set(err, ENOMEM, "volume `%s`", name);
  json_decref(o);
  if (r < 0) {
    engine_volume_clear(&v);
    return -1;
  }
  *out = v;
  return 0;
}

int engine_volume_get(struct engine *e, const char *name, struct engine_volume *out,
                      struct vessel_error *err)
{
  if (check_name(name, err) < 0)
    return -1;
  _cleanup_close_ int dir = volumes_dir(e, err);
  if (dir < 0)
    return -1;
  return volume_load(e, dir, name, out, err);
}

static int random_hex(char out[65], struct vessel_error *err)
{
  return engine_id_new(out, err);
}

int engine_volume_create(struct engine *e, const char *name, char **labels, bool anonymous,
                         bool exist_ok, struct engine_volume *out, struct vessel_error *err)
{
  char generated[65];
  if (!name) {
    if (random_hex(generated, err) < 0)
      return -1;
    name = generated;
  }
  if (check_name(name, err) < 0)
    return -1;
  for (size_t i = 0; labels && labels[i]; i++)
    if (labels[i][0] == '=' || !labels[i][0])
      return vessel_error_set(err, 0, "bad label `%s`: KEY=VALUE", labels[i]);
  /* shared: prune (exclusive) clears temp dirs only when no create runs */
  _cleanup_close_ int lock = volume_lock(e, false, err);
  if (lock < 0)
    return -1;
  _cleanup_close_ int dir = volumes_dir(e, err);
  if (dir < 0)
    return -1;
  char tmp[80], rnd[65];
  if (random_hex(rnd, err) < 0)
    return -1;
  snprintf(tmp, sizeof tmp, ".tmp-%.16s", rnd);
  if (mkdirat(dir, tmp, 0701) < 0)
    return vessel_error_set(err, errno, "create volume `%s`", name);
  _cleanup_close_ int tfd = openat(dir, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_free_ char *created = engine_now_rfc3339();
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:o, s:b}", "name", name, "driver", "local", "created",
                created ? created : "", "labels", labels_json(labels), "anonymous", anonymous);
  _cleanup_free_ char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
  json_decref(o);
  int r = 0;
  if (tfd < 0 || mkdirat(tfd, VOLUME_DATA, 0755) < 0)
    r = vessel_error_set(err, errno, "create volume `%s`", name);
  else if (!text)
    r = vessel_error_set(err, ENOMEM, "volume `%s`", name);
  else if (fs_write_atomic(tfd, VOLUME_RECORD, text, strlen(text), true, err) < 0)
    r = -1;
  else if (fchmodat(tfd, VOLUME_DATA, 0755, 0) < 0) /* whatever the umask */
    r = vessel_error_set(err, errno, "create volume `%s`", name);
  /* renameat fails on an existing (non-empty) directory: the name is taken */
  else if (renameat(dir, tmp, dir, name) < 0) {
    int e2 = errno;
    struct vessel_error ignored;
    engine_remove_tree(dir, tmp, &ignored);
    if ((e2 == EEXIST || e2 == ENOTEMPTY) && exist_ok)
      return out ? volume_load(e, dir, name, out, err) : 0;
    if (e2 == EEXIST || e2 == ENOTEMPTY)
      return vessel_error_set(err, EEXIST, "the volume name `%s` is already in use", name);
    return vessel_error_set(err, e2, "create volume `%s`", name);
  }
  if (r < 0) {
    struct vessel_error ignored;
    engine_remove_tree(dir, tmp, &ignored);
    return -1;
  }
  return out ? volume_load(e, dir, name, out, err) : 0;
}

static int cmp_name(const void *a, const void *b)
{
  return strcmp(((const struct engine_volume *)a)->name, ((const struct engine_volume *)b)->name);
}

int engine_volume_list(struct engine *e, struct engine_volume **out, size_t *n_out,
                       struct vessel_error *err)
{
  int dir = volumes_dir(e, err);
  if (dir < 0)
    return -1;
  _cleanup_closedir_ DIR *d = fdopendir(dir);
  if (!d) {
    close(dir);
    return vessel_error_set(err, errno, "list volumes");
  }
  struct engine_volume *v = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < VOLUMES_MAX) {
    if (de->d_name[0] == '.')
      continue;
    struct engine_volume one;
    struct vessel_error e2 = {0};
    if (volume_load(e, dirfd(d), de->d_name, &one, &e2) < 0) {
      log_debug("skip volume `%s`: %s", de->d_name, e2.msg);
      continue;
    }
    struct engine_volume *nv = realloc(v, (n + 1) * sizeof *nv);
    if (!nv) {
      engine_volume_clear(&one);
      engine_volume_list_free(v, n);
      return vessel_error_set(err, ENOMEM, "list volumes");
    }
    v = nv;
    v[n++] = one;
  }
  if (n)
    qsort(v, n, sizeof *v, cmp_name);
  *out = v;
  *n_out = n;
  return 0;
}

/* The name of a container using the volume (malloc'd), NULL when none. */
static char *volume_user(struct engine *e, const char *name)
{
  struct engine_container *cs = NULL;
  size_t n = 0;
  struct vessel_error ignored;
  if (engine_list(e, &cs, &n, &ignored) < 0)
    return strdup("?"); /* not knowing is being in use */
  char *user = NULL;
  for (size_t i = 0; i < n && !user; i++)
    for (size_t k = 0; k < cs[i].n_mounts && !user; k++)
      if (cs[i].mounts[k].type == ENGINE_MOUNT_VOLUME && cs[i].mounts[k].source &&
          !strcmp(cs[i].mounts[k].source, name))
        user = strdup(cs[i].name ? cs[i].name : cs[i].id);
  engine_list_free(cs, n);
  return user;
}

/* Renamed away, then removed: never a half-removed volume under its name. */
static int remove_locked(struct engine *e, int dir, const char *name, struct vessel_error *err)
{
  char gone[65], tmp[96];
  if (engine_id_new(gone, err) < 0)
    return -1;
  snprintf(tmp, sizeof tmp, ".rm-%.16s", gone);
  (void)e;
  if (renameat(dir, name, dir, tmp) < 0) {
    if (errno == ENOENT)
      return vessel_error_set(err, ENOENT, "no such volume `%s`", name);
    return vessel_error_set(err, errno, "remove volume `%s`", name);
  }
  return engine_remove_tree(dir, tmp, err);
}

int volume_remove_unchecked(struct engine *e, const char *name, struct vessel_error *err)
{
  if (check_name(name, err) < 0)
    return -1;
  _cleanup_close_ int dir = volumes_dir(e, err);
  if (dir < 0)
    return -1;
  return remove_locked(e, dir, name, err);
}

int engine_volume_remove(struct engine *e, const char *name, struct vessel_error *err)
{
  if (check_name(name, err) < 0)
    return -1;
  _cleanup_close_ int lock = volume_lock(e, true, err);
  if (lock < 0)
    return -1;
  _cleanup_close_ int dir = volumes_dir(e, err);
  if (dir < 0)
    return -1;
  struct engine_volume v;
  if (volume_load(e, dir, name, &v, err) < 0)
    return -1;
  engine_volume_clear(&v);
  _cleanup_free_ char *user = volume_user(e, name);
  if (user)
    return vessel_error_set(err, 0, "volume `%s` is in use by container `%s`", name, user);
  return remove_locked(e, dir, name, err);
}

/* What a create or rm killed half-way left: .tmp-* and .rm-* entries. The
 * caller holds the lock exclusive, so none of them is in the making. */
static void remove_leftovers(int dir)
{
  _cleanup_closedir_ DIR *d = fs_opendirat(dir, ".");
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strncmp(de->d_name, ".tmp-", 5) && strncmp(de->d_name, ".rm-", 4))
      continue;
    struct vessel_error ignored;
    if (engine_remove_tree(dir, de->d_name, &ignored) < 0)
      log_debug("%s", ignored.msg);
  }
}

int engine_volume_prune(struct engine *e, bool all, char ***names, struct vessel_error *err)
{
  _cleanup_close_ int lock = volume_lock(e, true, err);
  if (lock < 0)
    return -1;
  struct engine_volume *v = NULL;
  size_t n = 0;
  if (engine_volume_list(e, &v, &n, err) < 0)
    return -1;
  _cleanup_strv_ char **removed = calloc(n + 1, sizeof *removed);
  size_t k = 0;
  _cleanup_close_ int dir = volumes_dir(e, err);
  int r = removed && dir >= 0 ? 0 : -1;
  for (size_t i = 0; r == 0 && i < n; i++) {
    if (!all && !v[i].anonymous)
      continue;
    _cleanup_free_ char *user = volume_user(e, v[i].name);
    if (user)
      continue;
    struct vessel_error one = {0};
    if (remove_locked(e, dir, v[i].name, &one) < 0) {
      log_warning("%s", one.msg);
      continue;
    }
    removed[k++] = TAKE_PTR(v[i].name);
  }
  engine_volume_list_free(v, n);
  if (r < 0)
    return err->msg[0] ? -1 : vessel_error_set(err, ENOMEM, "volume prune");
  remove_leftovers(dir);
  *names = TAKE_PTR(removed);
  return 0;
}

char *engine_volume_json(const struct engine_volume *v, struct vessel_error *err)
{
  json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:n, s:s}", "CreatedAt", v->created, "Driver",
                        v->driver, "Labels", labels_json(v->labels), "Mountpoint", v->mountpoint,
                        "Name", v->name, "Options", "Scope", "local");
  char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
  json_decref(o);
  if (!text)
    vessel_error_set(err, ENOMEM, "volume inspect");
  return text;
}

int volume_prepare_mounts(struct engine *e, const struct engine_run_opts *o, char ***made,
                          struct vessel_error *err)
{
  _cleanup_strv_ char **v = calloc(o->n_mounts + 1, sizeof *v);
  if (!v)
    return vessel_error_set(err, ENOMEM, "volumes");
  size_t n = 0;
  for (size_t i = 0; i < o->n_mounts; i++) {
    const struct engine_mount *m = &o->mounts[i];
    if (m->type != ENGINE_MOUNT_VOLUME)
      continue;
    struct engine_volume vol;
    struct vessel_error probe = {0};
    if (engine_volume_get(e, m->source, &vol, &probe) == 0) {
      engine_volume_clear(&vol);
      continue;
    }
    if (probe.code != ENOENT) {
      *err = probe;
      *made = TAKE_PTR(v);
      return -1;
    }
    if (engine_volume_create(e, m->source, NULL, m->anonymous, true, NULL, err) < 0 ||
        !(v[n++] = strdup(m->source))) {
      *made = TAKE_PTR(v);
      return err->msg[0] ? -1 : vessel_error_set(err, ENOMEM, "volumes");
    }
  }
  *made = TAKE_PTR(v);
  return 0;
}

static bool dir_empty(int fd)
{
  _cleanup_closedir_ DIR *d = fs_opendirat(fd, ".");
  if (!d)
    return false;
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      return false;
  return true;
}

int volume_copy_up(struct engine *e, const struct engine_container *c, const char *rootfs,
                   struct vessel_error *err)
{
  _cleanup_close_ int rootfd = -1;
  for (size_t i = 0; i < c->n_mounts; i++) {
    const struct engine_mount *m = &c->mounts[i];
    if (m->type != ENGINE_MOUNT_VOLUME || !m->source || m->nocopy)
      continue;
    _cleanup_free_ char *data = NULL;
    if (bundle_volume_path(e->root, m->source, &data) < 0)
      return vessel_error_set(err, ENOMEM, "volume");
    _cleanup_close_ int to = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (to < 0)
      return vessel_error_set(err, errno, "volume `%s`", m->source);
    /* two first runs on one new volume: one copies, the other then finds
     * it full */
    while (flock(to, LOCK_EX) < 0)
      if (errno != EINTR)
        return vessel_error_set(err, errno, "lock volume `%s`", m->source);
    if (!dir_empty(to))
      continue;
    if (rootfd < 0 && (rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
      return vessel_error_set(err, errno, "open `%s`", rootfs);
    struct vessel_error absent = {0};
    /* resolved inside the root: the image's symlinks cannot point out */
    _cleanup_close_ int from =
        fs_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, &absent);
    if (from < 0)
      continue; /* nothing in the image there */
    struct stat st;
    if (fstat(from, &st) == 0) {
      if (fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0)
        log_debug("volume `%s`: owner and mode: %s", m->source, strerror(errno));
    }
    if (copyup_tree(from, to, err) < 0)
      return vessel_error_prefix(err, "copy the image's `%s` into volume `%s`", m->destination,
                                 m->source);
  }
  return 0;
}
