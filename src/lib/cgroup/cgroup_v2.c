/* cgroup v2 manager: one directory in the unified hierarchy, controllers
 * enabled top-down in every ancestor's cgroup.subtree_control. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util/log.h"

struct enable {
  char list[256]; /* "+memory +pids" */
  unsigned depth;
};

/* Enables the controllers in the parent of every level of the path: the
 * root's subtree_control down to the leaf's parent. */
static int enable_level(struct cgroup *cg, struct cg_hier *h, int parentfd, int dirfd, bool created,
                        bool leaf, void *data, struct vessel_error *err)
{
  struct enable *e = data;
  unsigned depth = e->depth++;
  if (!e->list[0])
    return 0;
  if (cg_write(cg, h, parentfd, "cgroup.subtree_control", e->list, false, err) == 0)
    return 0;
  /* the parent's path, for the message */
  const char *p = cg->path + 1;
  for (unsigned i = 0; i < depth; i++)
    p += strcspn(p, "/") + (i + 1 < depth);
  int len = (int)(p - cg->path);
  if (err->code == EBUSY)
    return vessel_error_set(err, EBUSY,
                            "cannot enable `%s` in cgroup `%s%.*s`: it holds processes itself and "
                            "cgroup v2 lets only leaf cgroups hold processes with controllers; "
                            "choose a cgroupsPath outside of it",
                            e->list, h->mount, depth ? len : 0, cg->path);
  return vessel_error_prefix(err, "enable controllers for cgroup `%s`", cg->path);
}

/* "+memory +pids" for the controllers res needs (plus memory and pids for
 * accounting when the host has them). */
static int controllers_for(struct cgroup *cg, const struct spec_resources *res, struct enable *e,
                           struct vessel_error *err)
{
  unsigned avail = 0;
  if (cg_v2_available(cg, &avail, err) < 0)
    return -1;
  unsigned need = 0;
  if (res && cg_v2_needed(cg, res, avail, &need, err) < 0)
    return -1;
  need |= avail & (CG_BIT(CG_MEMORY) | CG_BIT(CG_PIDS));
  e->list[0] = '\0';
  size_t n = 0;
  for (int c = 0; c < CG_NCTRL; c++)
    if (need & CG_BIT(c))
      n += (size_t)snprintf(e->list + n, sizeof e->list - n, "%s+%s", n ? " " : "",
                            cg_ctrl_name((enum cg_ctrl)c));
  return 0;
}

static int v2_create(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err)
{
  struct cg_hier *h = &cg->hiers[0];
  struct enable e = {0};
  if (controllers_for(cg, res, &e, err) < 0)
    return -1;
  if (cg_mkpath(cg, h, enable_level, &e, err) < 0)
    return -1;
  if (res && cg_v2_apply(cg, res, false, err) < 0) {
    cg_rollback(cg, h);
    return -1;
  }
  h->created_depth = -1;
  return 0;
}

static int v2_update(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err)
{
  struct cg_hier *h = &cg->hiers[0];
  if (cg_hier_fd(cg, h, err) < 0)
    return -1;
  struct enable e = {0};
  if (controllers_for(cg, res, &e, err) < 0)
    return -1;
  /* the directories exist: this walk only enables what the update needs */
  if (cg_mkpath(cg, h, enable_level, &e, err) < 0)
    return -1;
  h->created_depth = -1;
  return cg_v2_apply(cg, res, true, err);
}

static int v2_clone_fd(struct cgroup *cg, struct vessel_error *err)
{
  int fd = cg_hier_fd(cg, &cg->hiers[0], err);
  if (fd < 0)
    return -1;
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0)
    return vessel_error_set(err, errno, "duplicate the fd of cgroup `%s`", cg->path);
  return dup;
}

static int v2_enter(struct cgroup *cg, pid_t pid, struct vessel_error *err)
{
  struct cg_hier *h = &cg->hiers[0];
  char buf[24];
  snprintf(buf, sizeof buf, "%d", (int)pid);
  int fd = cg_hier_fd(cg, h, err);
  if (fd < 0 || cg_write(cg, h, fd, "cgroup.procs", buf, true, err) < 0)
    return vessel_error_prefix(err, "move process %d into cgroup `%s`", (int)pid, cg->path);
  return 0;
}

/* "frozen 1" in cgroup.events: 1, 0, or -1 */
static int events_frozen(struct cgroup *cg, struct cg_hier *h, int fd, struct vessel_error *err)
{
  char buf[256];
  if (cg_read(cg, h, fd, "cgroup.events", buf, sizeof buf, err) < 0)
    return -1;
  const char *f = strstr(buf, "frozen ");
  return f && f[7] == '1';
}

static int v2_is_frozen(struct cgroup *cg, struct vessel_error *err)
{
  struct cg_hier *h = &cg->hiers[0];
  int fd = cg_hier_fd(cg, h, err);
  if (fd < 0)
    return -1;
  if (h->fake && !cg_has_file(h, fd, "cgroup.events")) {
    /* a fake tree has no kernel to report the state: take the request */
    char v[8];
    struct vessel_error e;
    return cg_read(cg, h, fd, "cgroup.freeze", v, sizeof v, &e) >= 0 && strcmp(v, "1") == 0;
  }
  return events_frozen(cg, h, fd, err);
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct vessel_error *err)
{
  struct cg_hier *h = &cg->hiers[0];
  int fd = cg_hier_fd(cg, h, err);
  if (fd < 0)
    return -1;
  if (cg_write(cg, h, fd, "cgroup.freeze", frozen ? "1" : "0", false, err) < 0)
    return vessel_error_prefix(err, "%s cgroup `%s`", frozen ? "freeze" : "thaw", cg->path);
  if (h->fake)
    return 0;
  for (unsigned attempt = 0;; attempt++) {
    int r = events_frozen(cg, h, fd, err);
    if (r < 0)
      return -1;
    if (r == frozen)
      return 0;
    if (!cg_backoff(attempt, 5000))
      break;
  }
  if (frozen) {
    struct vessel_error ignored;
    cg_write(cg, h, fd, "cgroup.freeze", "0", false, &ignored);
  }
  return vessel_error_set(err, ETIMEDOUT, "%s cgroup `%s`", frozen ? "freeze" : "thaw", cg->path);
}

static struct cg_hier *v2_procs_hier(struct cgroup *cg)
{
  return &cg->hiers[0];
}

static int v2_kill_all(struct cgroup *cg, int sig, struct vessel_error *err)
{
  struct cg_hier *h = &cg->hiers[0];
  if (sig == SIGKILL && !h->fake) {
    struct vessel_error e;
    int fd = cg_hier_fd(cg, h, &e);
    if (fd < 0) {
      if (e.code == ENOENT) /* no cgroup, no process */
        return 0;
      *err = e;
      return -1;
    }
    /* the kernel kills the whole subtree at once, forks included */
    int r = cg_write_optional(cg, h, fd, "cgroup.kill", "1", err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  return cg_signal_procs(cg, h, sig, err);
}

const struct cgroup_ops cgroup_v2_ops = {
    .create = v2_create,
    .update = v2_update,
    .clone_fd = v2_clone_fd,
    .enter = v2_enter,
    .freeze = v2_freeze,
    .is_frozen = v2_is_frozen,
    .procs_hier = v2_procs_hier,
    .kill_all = v2_kill_all,
};
