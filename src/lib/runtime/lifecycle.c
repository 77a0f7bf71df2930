/* Lifecycle operations on an existing container: start, state, kill,
 * delete, list, pause/resume, pids, update. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "create.h"
#include "hooks.h"
#include "record.h"
#include "runtime.h"
#include "util/cleanup.h"
#include "util/log.h"

const char *container_status_name(enum container_status s)
{
  static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
  return names[s];
}

void container_info_free(struct container_info *c)
{
  free(c->id);
  free(c->bundle);
  free(c->rootfs);
  free(c->created);
  free(c->owner);
  free(c->annotations_json);
  memset(c, 0, sizeof *c);
}

int runtime_check_id(const char *id, struct vessel_error *err)
{
  if (!id || !id[0])
    return vessel_error_set(err, EINVAL, "container id is empty");
  size_t n = strlen(id);
  if (n > 1024 || !strcmp(id, ".") || !strcmp(id, ".."))
    return vessel_error_set(err, EINVAL, "invalid container id `%s`", id);
  for (const char *p = id; *p; p++) {
    char ch = *p;
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '+' || ch == '-' || ch == '.';
    if (!ok)
      return vessel_error_set(
          err, EINVAL, "invalid container id `%s`: only letters, digits and `_+-.` are allowed",
          id);
  }
  return 0;
}

/* Opens, locks and reads a container's record. */
static int load(const struct runtime_ctx *ctx, const char *id, struct container_record *rec,
                struct vessel_error *err)
{
  int fd = record_open(ctx, id, err);
  if (fd < 0)
    return -1;
  if (flock(fd, LOCK_EX) < 0 || record_read(fd, rec, err) < 0) {
    if (!err->msg[0])
      vessel_error_set(err, errno, "lock `%s`", id);
    close(fd);
    return -1;
  }
  return fd;
}

int runtime_start(const struct runtime_ctx *ctx, const char *id, struct vessel_error *err)
{
  struct container_record rec = {0};
  _cleanup_close_ int recfd = load(ctx, id, &rec, err);
  if (recfd < 0)
    return -1;
  int r = -1;
  _cleanup_close_ int fd = -1;
  _cleanup_close_ int exec_fd = -1;
  enum container_status status = record_status(&rec);
  if (status != CONTAINER_CREATED) {
    vessel_error_set(err, EINVAL, "container `%s` is %s, not created", id,
                     container_status_name(status));
    goto out;
  }
  char path[64];
  /* with poststart hooks, wait for the process to exec: our own reader of
   * the init's exec pipe sees EOF when the init's end closes at execve */
  if (rec.has_poststart && rec.exec_fd >= 0) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)rec.pid, rec.exec_fd);
    exec_fd = open(path, O_RDONLY | O_CLOEXEC);
  }
  snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)rec.pid, rec.start_fd);
  fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "s", 1) != 1) {
    vessel_error_set(err, errno, "start container `%s`", id);
    goto out;
  }
  if (exec_fd >= 0) {
    char b;
    while (read(exec_fd, &b, 1) < 0 && errno == EINTR)
      ;
  }
  struct spec *s = rec.has_poststart ? container_load_spec(recfd, err) : NULL;
  if (s) {
    if (s->hooks.n[SPEC_HOOK_POSTSTART]) {
      _cleanup_free_ char *state = record_state_json(&rec, CONTAINER_RUNNING);
      hooks_run_warn(&s->hooks, SPEC_HOOK_POSTSTART, state);
    }
    spec_free(s);
  }
  r = 0;
out:
  container_record_free(&rec);
  return r;
}

int runtime_info(const struct runtime_ctx *ctx, const char *id, struct container_info *out,
                 struct vessel_error *err)
{
  _cleanup_close_ int fd = record_open(ctx, id, err);
  if (fd < 0)
    return -1;
  struct container_record rec = {0};
  if (record_read(fd, &rec, err) < 0)
    return -1;
  out->status = record_status(&rec);
  out->pid = out->status == CONTAINER_STOPPED ? 0 : rec.pid;
  out->id = rec.id;
  out->bundle = rec.bundle;
  out->rootfs = rec.rootfs;
  out->created = rec.created;
  out->owner = rec.owner;
  out->annotations_json = rec.annotations_json;
  free(rec.cgroup_path);
  return 0;
}

int runtime_state_json(const struct runtime_ctx *ctx, const char *id, char **json,
                       struct vessel_error *err)
{
  _cleanup_close_ int fd = record_open(ctx, id, err);
  if (fd < 0)
    return -1;
  struct container_record rec = {0};
  if (record_read(fd, &rec, err) < 0)
    return -1;
  *json = record_state_json(&rec, record_status(&rec));
  container_record_free(&rec);
  return *json ? 0 : vessel_error_set(err, ENOMEM, "state of `%s`", id);
}

int runtime_kill(const struct runtime_ctx *ctx, const char *id, int sig, bool all,
                 struct vessel_error *err)
{
  struct container_record rec = {0};
  _cleanup_close_ int recfd = load(ctx, id, &rec, err);
  if (recfd < 0)
    return -1;
  int r = 0;
  enum container_status status = record_status(&rec);
  if (all) {
    struct cgroup *cg = record_cgroup(&rec, err);
    r = cg ? cgroup_kill_all(cg, sig, err) : -1;
    if (cg)
      cgroup_free(cg);
  } else if (status == CONTAINER_STOPPED) {
    r = vessel_error_set(err, ESRCH, "container `%s` is not running", id);
  } else if (kill(rec.pid, sig) < 0) {
    r = vessel_error_set(err, errno, "kill container `%s`", id);
  }
  container_record_free(&rec);
  return r;
}

/* Waits (bounded) until the init is gone. */
static void wait_gone(const struct container_record *rec)
{
  for (int i = 0; i < 2000 && proc_start_time(rec->pid) == rec->start_time && rec->pid > 0; i++) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}

int runtime_delete(const struct runtime_ctx *ctx, const char *id, bool force,
                   struct vessel_error *err)
{
  struct container_record rec = {0};
  _cleanup_close_ int recfd = load(ctx, id, &rec, err);
  if (recfd < 0) {
    if (force && err->code == ENOENT)
      return 0;
    /* a create killed before its first write left an empty record and
     * nothing else: forced delete removes it */
    if (force && err->code == EINVAL)
      return record_remove(ctx, id, err);
    return -1;
  }
  int r = -1;
  struct cgroup *cg = record_cgroup(&rec, err);
  enum container_status status = record_status(&rec);
  if ((status == CONTAINER_RUNNING || status == CONTAINER_PAUSED) && !force) {
    vessel_error_set(err, EBUSY, "cannot delete container `%s` that is %s (use --force)", id,
                     container_status_name(status));
    goto out;
  }
  if (status != CONTAINER_STOPPED) {
    if (cg)
      cgroup_kill_all(cg, SIGKILL, err);
    kill(rec.pid, SIGKILL);
    /* killed tasks of a frozen cgroup only die once thawed */
    if (status == CONTAINER_PAUSED && cg)
      cgroup_freeze(cg, false, err);
    wait_gone(&rec);
  }
  struct spec *s = rec.has_poststop ? container_load_spec(recfd, err) : NULL;
  if (s) {
    if (s->hooks.n[SPEC_HOOK_POSTSTOP]) {
      _cleanup_free_ char *state = record_state_json(&rec, CONTAINER_STOPPED);
      hooks_run_warn(&s->hooks, SPEC_HOOK_POSTSTOP, state);
    }
    spec_free(s);
  }
  if (cg && cgroup_destroy(cg, true, err) < 0)
    goto out;
  if (record_remove(ctx, id, err) < 0)
    goto out;
  r = 0;
out:
  if (cg)
    cgroup_free(cg);
  container_record_free(&rec);
  return r;
}

int runtime_list(const struct runtime_ctx *ctx, struct container_info **out, size_t *n,
                 struct vessel_error *err)
{
  *out = NULL;
  *n = 0;
  _cleanup_closedir_ DIR *d = opendir(ctx->state_root);
  if (!d)
    return errno == ENOENT ? 0 : vessel_error_set(err, errno, "open `%s`", ctx->state_root);
  struct dirent *e;
  size_t cap = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || e->d_type != DT_REG)
      continue;
    struct container_info info = {0};
    struct vessel_error ignore;
    if (runtime_info(ctx, e->d_name, &info, &ignore) < 0)
      continue; /* half-made by a crashed create: not a container yet */
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      struct container_info *nv = realloc(*out, cap * sizeof **out);
      if (!nv) {
        container_info_free(&info);
        return vessel_error_set(err, ENOMEM, "list");
      }
      *out = nv;
    }
    (*out)[(*n)++] = info;
  }
  return 0;
}

static struct cgroup *running_cgroup(const struct runtime_ctx *ctx, const char *id,
                                     struct container_record *rec, int *recfd,
                                     struct vessel_error *err)
{
  *recfd = load(ctx, id, rec, err);
  if (*recfd < 0)
    return NULL;
  if (record_status(rec) == CONTAINER_STOPPED) {
    vessel_error_set(err, ESRCH, "container `%s` is not running", id);
    return NULL;
  }
  return record_cgroup(rec, err);
}

int runtime_pause(const struct runtime_ctx *ctx, const char *id, bool pause,
                  struct vessel_error *err)
{
  struct container_record rec = {0};
  _cleanup_close_ int recfd = -1;
  struct cgroup *cg = running_cgroup(ctx, id, &rec, &recfd, err);
  int r = -1;
  if (cg) {
    enum container_status want = pause ? CONTAINER_RUNNING : CONTAINER_PAUSED;
    enum container_status now = record_status(&rec);
    if (now != want)
      vessel_error_set(err, EINVAL, "container `%s` is %s, not %s", id, container_status_name(now),
                       container_status_name(want));
    else
      r = cgroup_freeze(cg, pause, err);
  }
  if (cg)
    cgroup_free(cg);
  container_record_free(&rec);
  return r;
}

int runtime_pids(const struct runtime_ctx *ctx, const char *id, pid_t **pids, size_t *n,
                 struct vessel_error *err)
{
  struct container_record rec = {0};
  _cleanup_close_ int recfd = -1;
  struct cgroup *cg = running_cgroup(ctx, id, &rec, &recfd, err);
  int r = cg ? cgroup_pids(cg, pids, n, err) : -1;
  if (cg)
    cgroup_free(cg);
  container_record_free(&rec);
  return r;
}

int runtime_update(const struct runtime_ctx *ctx, const char *id, const struct spec_resources *res,
                   struct vessel_error *err)
{
  struct container_record rec = {0};
  _cleanup_close_ int recfd = -1;
  struct cgroup *cg = running_cgroup(ctx, id, &rec, &recfd, err);
  int r = cg ? cgroup_update(cg, res, err) : -1;
  if (cg)
    cgroup_free(cg);
  container_record_free(&rec);
  return r;
}

struct spec_process *runtime_container_process(const struct runtime_ctx *ctx, const char *id,
                                               struct vessel_error *err)
{
  _cleanup_close_ int fd = record_open(ctx, id, err);
  if (fd < 0)
    return NULL;
  struct spec *s = container_load_spec(fd, err);
  if (!s)
    return NULL;
  struct spec_process *p = malloc(sizeof *p);
  if (!p) {
    spec_free(s);
    vessel_error_set(err, ENOMEM, "exec");
    return NULL;
  }
  /* steal the process out of the spec */
  *p = s->process;
  memset(&s->process, 0, sizeof s->process);
  spec_free(s);
  return p;
}
