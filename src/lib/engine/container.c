/* The engine's containers at rest: opening the engine, finding, listing and
 * removing containers. A container directory's `lock` is held (flock) by the
 * process that runs it, so a lock that can be taken means nothing runs it. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/fs.h"
#include "util/log.h"

#define REMOVE_WAIT_MS 10000

static int open_dir(const char *base, const char *sub, char **path, struct vessel_error *err)
{
  _cleanup_free_ char *p = NULL;
  if (asprintf(&p, "%s/%s", base, sub) < 0)
    return vessel_error_set(err, ENOMEM, "path");
  if (fs_mkdir_p(p, 0700, err) < 0)
    return -1;
  int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s`", p);
  if (path)
    *path = TAKE_PTR(p);
  return fd;
}

struct engine *engine_open(const char *root, const char *runroot, struct vessel_error *err)
{
  if (root[0] != '/' || runroot[0] != '/') {
    vessel_error_set(err, 0, "--root and --runroot must be absolute paths");
    return NULL;
  }
  struct engine *e = calloc(1, sizeof *e);
  if (!e) {
    vessel_error_set(err, ENOMEM, "engine");
    return NULL;
  }
  e->containers_fd = e->names_fd = -1;
  if (!(e->root = strdup(root)) || !(e->runroot = strdup(runroot))) {
    vessel_error_set(err, ENOMEM, "engine");
    goto fail;
  }
  if ((e->containers_fd = open_dir(root, "containers", NULL, err)) < 0 ||
      (e->names_fd = open_dir(root, "names", NULL, err)) < 0)
    goto fail;
  int fd = open_dir(runroot, "runtime", &e->runtime_root, err);
  if (fd < 0)
    goto fail;
  close(fd);
  if (!(e->images = image_store_open(root, err)))
    goto fail;
  return e;
fail:
  engine_close(e);
  return NULL;
}

void engine_close(struct engine *e)
{
  if (!e)
    return;
  if (e->images)
    image_store_close(e->images);
  if (e->containers_fd >= 0)
    close(e->containers_fd);
  if (e->names_fd >= 0)
    close(e->names_fd);
  free(e->root);
  free(e->runroot);
  free(e->runtime_root);
  free(e);
}

int engine_container_busy(int dirfd, int *lock_fd)
{
  _cleanup_close_ int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return 0;
  if (flock(fd, LOCK_EX | LOCK_NB) < 0)
    return errno == EWOULDBLOCK ? 1 : 0;
  if (lock_fd)
    *lock_fd = TAKE_FD(fd);
  return 0;
}

/* The runtime's view of a container: its status and init pid, or false
 * when it has none or it stopped. */
static bool runtime_status(struct engine *e, const char *id, enum container_status *st, pid_t *pid)
{
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  struct container_info info = {0};
  struct vessel_error ignored;
  if (runtime_info(&ctx, id, &info, &ignored) < 0)
    return false;
  bool alive = info.status != CONTAINER_STOPPED && info.pid > 0;
  *st = info.status;
  *pid = info.pid;
  container_info_free(&info);
  return alive;
}

/* A container whose monitor died (vessel run killed) may still run: the
 * runtime's state says so. */
bool engine_runtime_alive(struct engine *e, const char *id)
{
  enum container_status st;
  pid_t pid;
  return runtime_status(e, id, &st, &pid);
}

int engine_container_dir(struct engine *e, const char *id, struct vessel_error *err)
{
  int fd = openat(e->containers_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "no such container `%.12s`", id);
  return fd;
}

static int load(struct engine *e, const char *id, struct engine_container *c,
                struct vessel_error *err)
{
  _cleanup_close_ int dfd =
      openat(e->containers_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return vessel_error_set(err, errno, "no container `%s`", id);
  if (record_load(dfd, c, err) < 0)
    return vessel_error_prefix(err, "container `%.12s`", id);
  /* a monitor killed in its back-off restarts nothing */
  if (c->restarting && !engine_container_busy(dfd, NULL))
    c->restarting = false;
  if (c->state != ENGINE_RUNNING && c->state != ENGINE_PAUSED)
    return 0;
  enum container_status st = CONTAINER_STOPPED;
  pid_t pid = 0;
  bool alive = runtime_status(e, id, &st, &pid);
  /* a record left running by a monitor that died is over, unless the
   * runtime still runs it */
  if (!alive && !engine_container_busy(dfd, NULL)) {
    c->state = ENGINE_EXITED;
    c->exit_code = -1;
    return 0;
  }
  c->state = alive && st == CONTAINER_PAUSED ? ENGINE_PAUSED : ENGINE_RUNNING;
  c->pid = alive ? pid : 0;
  return 0;
}

int engine_lookup(struct engine *e, const char *ref, struct engine_container *out,
                  struct vessel_error *err)
{
  char id[65];
  struct vessel_error ignored;
  if (!ref[0])
    return vessel_error_set(err, 0, "empty container name");
  if (name_check(ref, &ignored) == 0 && name_lookup(e->names_fd, ref, id, &ignored) == 0)
    return load(e, id, out, err);
  /* a full id or a unique prefix of one */
  size_t n = strlen(ref);
  if (n > 64 || strspn(ref, "0123456789abcdef") != n)
    return vessel_error_set(err, 0, "no such container `%s`", ref);
  _cleanup_closedir_ DIR *d = fs_opendirat(e->containers_fd, ".");
  if (!d)
    return vessel_error_set(err, errno, "list containers");
  rewinddir(d);
  char found[65] = "";
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!engine_id_valid(de->d_name) || strncmp(de->d_name, ref, n) != 0)
      continue;
    if (found[0])
      return vessel_error_set(err, 0, "the id prefix `%s` names several containers", ref);
    memcpy(found, de->d_name, 65);
  }
  if (!found[0])
    return vessel_error_set(err, 0, "no such container `%s`", ref);
  return load(e, found, out, err);
}

static int cmp_created(const void *a, const void *b)
{
  const struct engine_container *x = a, *y = b;
  int r = strcmp(x->created ? x->created : "", y->created ? y->created : "");
  return r ? r : strcmp(x->id, y->id);
}

void engine_list_free(struct engine_container *c, size_t n)
{
  for (size_t i = 0; c && i < n; i++)
    engine_container_clear(&c[i]);
  free(c);
}

int engine_list(struct engine *e, struct engine_container **out, size_t *n_out,
                struct vessel_error *err)
{
  engine_recover(e);
  _cleanup_closedir_ DIR *d = fs_opendirat(e->containers_fd, ".");
  if (!d)
    return vessel_error_set(err, errno, "list containers");
  rewinddir(d);
  struct engine_container *v = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!engine_id_valid(de->d_name))
      continue;
    struct engine_container c = {0};
    struct vessel_error e2 = {0};
    /* a directory without a record is a run that crashed before writing it */
    if (load(e, de->d_name, &c, &e2) < 0) {
      log_debug("skip container `%s`: %s", de->d_name, e2.msg);
      continue;
    }
    struct engine_container *nv = realloc(v, (n + 1) * sizeof *nv);
    if (!nv) {
      engine_container_clear(&c);
      engine_list_free(v, n);
      return vessel_error_set(err, ENOMEM, "list containers");
    }
    v = nv;
    v[n++] = c;
  }
  if (n)
    qsort(v, n, sizeof *v, cmp_created);
  *out = v;
  *n_out = n;
  return 0;
}

int engine_destroy(struct engine *e, const char *id, const char *name)
{
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  struct vessel_error err = {0};
  if (runtime_delete(&ctx, id, true, &err) < 0 && err.code != ENOENT)
    log_debug("runtime delete `%s`: %s", id, err.msg);
  crashpoint("rm-runtime");
  /* nothing should be mounted there on the host (the overlay lives in the
   * engine's own namespace); an older layout's leftovers go too */
  _cleanup_free_ char *rootfs = NULL;
  if (asprintf(&rootfs, "%s/containers/%s/rootfs", e->root, id) >= 0)
    umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
  int r = 0;
  if (engine_remove_tree(e->containers_fd, id, &err) < 0) {
    log_warning("%s", err.msg);
    r = -1;
  }
  crashpoint("rm-dir");
  if (name)
    name_release(e->names_fd, name, id);
  return r;
}

int engine_remove(struct engine *e, const char *ref, bool force, struct vessel_error *err)
{
  struct engine_container c = {0};
  if (engine_lookup(e, ref, &c, err) < 0)
    return engine_recover_ref(e, ref) ? 0 : -1;
  _cleanup_close_ int dfd =
      openat(e->containers_fd, c.id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_close_ int lock = -1;
  bool monitored = dfd >= 0 && engine_container_busy(dfd, &lock);
  if (monitored || c.state == ENGINE_RUNNING || c.state == ENGINE_PAUSED) {
    if (!force) {
      vessel_error_set(err, 0, "container `%s` is running: stop it first or remove it with rm -f",
                       c.name);
      engine_container_clear(&c);
      return -1;
    }
    struct runtime_ctx ctx = {.state_root = e->runtime_root};
    struct vessel_error kerr = {0};
    if (dfd >= 0 && c.mon.restart != ENGINE_RESTART_NO)
      engine_mark_stopped(dfd); /* no restart policy brings it back */
    if (runtime_kill(&ctx, c.id, SIGKILL, true, &kerr) < 0)
      log_debug("kill `%s`: %s", c.id, kerr.msg);
    /* a frozen process takes its SIGKILL only once thawed */
    if (c.state == ENGINE_PAUSED && runtime_pause(&ctx, c.id, false, &kerr) < 0)
      log_debug("unpause `%s`: %s", c.id, kerr.msg);
    /* the process running it notices, records the exit and lets go; without
     * one (it died), the runtime's forced delete below ends the container */
    for (int waited = 0; monitored && engine_container_busy(dfd, &lock); waited += 20) {
      if (waited >= REMOVE_WAIT_MS) {
        vessel_error_set(err, ETIMEDOUT, "container `%s` did not stop after SIGKILL", c.name);
        engine_container_clear(&c);
        return -1;
      }
      nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
  }
  int r = engine_destroy(e, c.id, c.name);
  if (r < 0)
    vessel_error_set(err, EIO, "container `%s` was not removed completely", c.name);
  engine_container_clear(&c);
  return r;
}
