/* Lifecycle of existing containers: stop, kill, wait, pause, rename, prune
 * and the processes of one. The monitor holds a container's `lock` while it
 * runs; everything here reads that and the runtime's state, and changes the
 * record only through record_update (a lock on `lock` itself). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/spares.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/fs.h"
#include "util/log.h"

#define STOP_DEFAULT_S 10
#define KILL_WAIT_MS 10000
#define POLL_MS 20

static bool is_up(const struct engine_container *c)
{
  return c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED;
}

/* Finds a container that must be running (or paused): c is filled and must
 * be cleared by the caller only on success. */
static int lookup_up(struct engine *e, const char *ref, struct engine_container *c,
                     struct vessel_error *err)
{
  if (engine_lookup(e, ref, c, err) < 0)
    return -1;
  if (is_up(c))
    return 0;
  vessel_error_set(err, 0, "container `%s` is not running", c->name);
  engine_container_clear(c);
  return -1;
}

static void sleep_ms(long ms)
{
  nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

/* Waits up to ms for the container to stop: its monitor let go of the lock
 * (the exit is recorded by then) and the runtime runs nothing. */
static bool wait_stopped(struct engine *e, const char *id, int dirfd, long ms)
{
  for (long waited = 0;; waited += POLL_MS) {
    if (!engine_container_busy(dirfd, NULL) && !engine_runtime_alive(e, id))
      return true;
    if (waited >= ms)
      return false;
    sleep_ms(POLL_MS);
  }
}

static int set_stop_mark(struct engine_container *c, void *data)
{
  (void)data;
  c->stopped_by_user = true;
  c->restarting = false; /* a monitor waiting to restart it gives up */
  return 0;
}

int engine_mark_stopped(int dirfd)
{
  struct vessel_error err = {0};
  if (record_update(dirfd, set_stop_mark, NULL, NULL, &err) < 0) {
    log_debug("mark the container stopped: %s", err.msg);
    return -1;
  }
  return 0;
}

int engine_stop(struct engine *e, const char *ref, int timeout_s, struct vessel_error *err)
{
  struct engine_container c = {0};
  if (engine_lookup(e, ref, &c, err) < 0)
    return -1;
  int ret = 0;
  _cleanup_close_ int dfd = -1;
  /* marked before the signal: the monitor's restart policy must not undo
   * the stop, nor one waiting out its back-off start it again */
  if (c.mon.restart != ENGINE_RESTART_NO && (dfd = engine_container_dir(e, c.id, err)) >= 0 &&
      engine_mark_stopped(dfd) == 0 && !is_up(&c))
    wait_stopped(e, c.id, dfd, KILL_WAIT_MS);
  if (!is_up(&c))
    goto out;
  if (dfd < 0 && (dfd = engine_container_dir(e, c.id, err)) < 0) {
    ret = -1;
    goto out;
  }
  int sig = c.stop_signal ? runtime_signal_parse(c.stop_signal) : SIGTERM;
  if (sig <= 0)
    sig = SIGTERM;
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  struct vessel_error kerr = {0};
  if (runtime_kill(&ctx, c.id, sig, false, &kerr) < 0)
    log_debug("stop `%s`: %s", c.id, kerr.msg); /* it may have ended meanwhile */
  /* a frozen process only gets its signal once thawed */
  if (c.state == ENGINE_PAUSED && runtime_pause(&ctx, c.id, false, &kerr) < 0)
    log_debug("unpause `%s`: %s", c.id, kerr.msg);
  /* -t, else the container's --stop-timeout, else docker's 10 s */
  long secs = timeout_s >= 0 ? timeout_s : c.stop_timeout_set ? c.stop_timeout : STOP_DEFAULT_S;
  long ms = secs < 0 ? LONG_MAX : secs * 1000L; /* --stop-timeout -1: no SIGKILL */
  if (wait_stopped(e, c.id, dfd, ms))
    goto out;
  log_info("container `%s` did not stop in %lds: SIGKILL", c.name, ms / 1000);
  if (runtime_kill(&ctx, c.id, SIGKILL, true, &kerr) < 0)
    log_debug("kill `%s`: %s", c.id, kerr.msg);
  if (!wait_stopped(e, c.id, dfd, KILL_WAIT_MS))
    ret = vessel_error_set(err, ETIMEDOUT, "container `%s` did not stop after SIGKILL", c.name);
out:
  engine_container_clear(&c);
  return ret;
}

int engine_kill(struct engine *e, const char *ref, int sig, struct vessel_error *err)
{
  struct engine_container c = {0};
  if (lookup_up(e, ref, &c, err) < 0)
    return -1;
  int ret = 0;
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  if (c.mon.restart != ENGINE_RESTART_NO) {
    struct vessel_error ignored = {0};
    _cleanup_close_ int dfd = engine_container_dir(e, c.id, &ignored);
    if (dfd >= 0)
      engine_mark_stopped(dfd);
  }
  if (runtime_kill(&ctx, c.id, sig, false, err) < 0)
    ret = vessel_error_prefix(err, "kill container `%s`", c.name);
  engine_container_clear(&c);
  return ret;
}

/* An exit recorded after the one the wait began with (docker's wait returns
 * at the next stop, even of a container its restart policy brings back). */
static bool exited_since(int dfd, const char *finished_before, int *exit_code)
{
  struct engine_container c = {0};
  bool done = record_load(dfd, &c, NULL) == 0 && c.state == ENGINE_EXITED &&
              (!finished_before || !c.finished_at || strcmp(c.finished_at, finished_before) != 0);
  if (done)
    *exit_code = c.exit_code;
  engine_container_clear(&c);
  return done;
}

int engine_wait(struct engine *e, const char *ref, int *exit_code, struct vessel_error *err)
{
  struct engine_container c = {0};
  if (engine_lookup(e, ref, &c, err) < 0)
    return -1;
  char id[65];
  memcpy(id, c.id, sizeof id);
  bool up = c.state == ENGINE_RUNNING || c.state == ENGINE_PAUSED;
  _cleanup_free_ char *finished = c.finished_at ? strdup(c.finished_at) : NULL;
  *exit_code = c.exit_code;
  engine_container_clear(&c);
  if (!up)
    return 0;
  {
    _cleanup_close_ int dfd = engine_container_dir(e, id, err);
    if (dfd < 0)
      return -1;
    _cleanup_close_ int lock = openat(dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lock < 0)
      return vessel_error_set(err, errno, "open the lock of `%.12s`", id);
    /* each record saved is a rename into the directory */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/containers/%s", e->root, id);
    _cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0 || inotify_add_watch(in, path, IN_MOVED_TO | IN_DELETE_SELF) < 0)
      return vessel_error_set(err, errno, "watch `%.12s`", id);
    /* until the next exit, or until the monitor (the lock's holder) ends;
     * the lock is let go at once so that a start right after us finds it
     * free */
    for (;;) {
      if (exited_since(dfd, finished, exit_code))
        return 0;
      if (flock(lock, LOCK_SH | LOCK_NB) == 0) {
        flock(lock, LOCK_UN);
        break;
      }
      struct pollfd p = {.fd = in, .events = POLLIN};
      if (poll(&p, 1, 200) > 0) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        while (read(in, buf, sizeof buf) > 0)
          ;
      }
    }
  }
  /* a container whose monitor died: only the runtime knows */
  while (engine_runtime_alive(e, id))
    sleep_ms(100);
  if (engine_lookup(e, id, &c, err) < 0)
    return vessel_error_prefix(err, "container `%.12s` was removed", id);
  *exit_code = c.exit_code;
  engine_container_clear(&c);
  return 0;
}

int engine_pause(struct engine *e, const char *ref, bool pause, struct vessel_error *err)
{
  struct engine_container c = {0};
  if (lookup_up(e, ref, &c, err) < 0)
    return -1;
  int ret = 0;
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  if (pause && c.state == ENGINE_PAUSED)
    ret = vessel_error_set(err, 0, "container `%s` is already paused", c.name);
  else if (!pause && c.state != ENGINE_PAUSED)
    ret = vessel_error_set(err, 0, "container `%s` is not paused", c.name);
  else if (runtime_pause(&ctx, c.id, pause, err) < 0)
    ret = vessel_error_prefix(err, "%s container `%s`", pause ? "pause" : "unpause", c.name);
  engine_container_clear(&c);
  return ret;
}

static int set_name(struct engine_container *c, void *data)
{
  char *name = strdup(data);
  if (!name)
    return -1;
  free(c->name);
  c->name = name;
  return 0;
}

int engine_rename(struct engine *e, const char *ref, const char *new_name, struct vessel_error *err)
{
  if (name_check(new_name, err) < 0)
    return -1;
  struct engine_container c = {0};
  if (engine_lookup(e, ref, &c, err) < 0)
    return -1;
  int ret = -1;
  _cleanup_close_ int dfd = -1;
  _cleanup_close_ int creating = -1;
  if (strcmp(c.name, new_name) == 0) {
    vessel_error_set(err, 0, "container `%s` already has that name", c.name);
    goto out;
  }
  if ((dfd = engine_container_dir(e, c.id, err)) < 0)
    goto out;
  engine_recover_name(e, new_name);
  if ((creating = engine_create_lock(e, err)) < 0)
    goto out;
  /* the new name first: O_EXCL makes it ours alone */
  if (name_reserve(e->names_fd, new_name, c.id, !c.auto_remove, err) < 0)
    goto out;
  crashpoint("rename-name");
  struct vessel_error uerr = {0};
  if (record_update(dfd, set_name, (void *)new_name, NULL, &uerr) < 0) {
    name_release(e->names_fd, new_name, c.id);
    if (!uerr.msg[0])
      vessel_error_set(&uerr, ENOMEM, "rename");
    *err = uerr;
    vessel_error_prefix(err, "rename `%s`", c.name);
    goto out;
  }
  crashpoint("rename-record");
  name_release(e->names_fd, c.name, c.id);
  ret = 0;
out:
  engine_container_clear(&c);
  return ret;
}

int engine_prune(struct engine *e, char ***ids, struct vessel_error *err)
{
  struct engine_container *v = NULL;
  size_t n = 0, n_ids = 0;
  if (engine_list(e, &v, &n, err) < 0)
    return -1;
  _cleanup_strv_ char **out = calloc(1, sizeof *out);
  int ret = out ? 0 : vessel_error_set(err, ENOMEM, "prune");
  for (size_t i = 0; i < n && ret == 0; i++) {
    if (is_up(&v[i]))
      continue;
    struct vessel_error gone = {0};
    _cleanup_close_ int dfd = engine_container_dir(e, v[i].id, &gone);
    if (dfd < 0)
      continue; /* removed meanwhile */
    /* hold its lock while removing it: a start waits, or we skip it */
    _cleanup_close_ int lock = -1;
    if (engine_container_busy(dfd, &lock) || lock < 0 || engine_runtime_alive(e, v[i].id))
      continue;
    struct engine_container fresh = {0};
    struct vessel_error lerr = {0};
    if (record_load(dfd, &fresh, &lerr) < 0)
      continue;
    bool up = is_up(&fresh);
    if (!up) {
      if (engine_destroy(e, fresh.id, fresh.name) < 0)
        log_warning("container `%s` was not removed completely", fresh.name);
      if (strv_push(&out, &n_ids, fresh.id) < 0)
        ret = vessel_error_set(err, ENOMEM, "prune");
    }
    engine_container_clear(&fresh);
  }
  engine_list_free(v, n);
  if (ret == 0 && spares_prune(e->containers_fd, err) < 0)
    ret = -1;
  if (ret == 0)
    *ids = TAKE_PTR(out);
  return ret;
}

int engine_pids(struct engine *e, const char *ref, pid_t **pids, size_t *n,
                struct vessel_error *err)
{
  struct engine_container c = {0};
  if (lookup_up(e, ref, &c, err) < 0)
    return -1;
  int ret = 0;
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  if (runtime_pids(&ctx, c.id, pids, n, err) < 0)
    ret = vessel_error_prefix(err, "processes of `%s`", c.name);
  engine_container_clear(&c);
  return ret;
}
