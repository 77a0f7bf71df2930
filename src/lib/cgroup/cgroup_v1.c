/* cgroup v1 manager (also the v1 half of hybrid, whose cgroup2 mount is one
 * more hierarchy without controllers): one directory per hierarchy. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_internal.h"
#include "util/log.h"

#define CPUSET_VALUE_MAX 4096

struct cpuset_copy {
  bool loaded;
  char cpus[CPUSET_VALUE_MAX], mems[CPUSET_VALUE_MAX];
};

/* A new v1 cpuset cgroup starts with empty cpus and mems and takes no task
 * (ENOSPC) until they are set: copy them from the parent of the first
 * directory made; everything below it is new too and takes the same. */
static int cpuset_fill(struct cgroup *cg, struct cg_hier *h, int parentfd, int dirfd, bool created,
                       bool leaf, void *data, struct vessel_error *err)
{
  struct cpuset_copy *c = data;
  if (!created)
    return 0;
  if (!c->loaded) {
    if (cg_read(cg, h, parentfd, "cpuset.cpus", c->cpus, sizeof c->cpus, err) < 0 ||
        cg_read(cg, h, parentfd, "cpuset.mems", c->mems, sizeof c->mems, err) < 0)
      return vessel_error_prefix(err, "copy the parent's cpuset");
    c->loaded = true;
  }
  if (cg_write(cg, h, dirfd, "cpuset.cpus", c->cpus, false, err) < 0 ||
      cg_write(cg, h, dirfd, "cpuset.mems", c->mems, false, err) < 0)
    return -1;
  return 0;
}

static void rollback_all(struct cgroup *cg)
{
  for (size_t i = 0; i < cg->n_hiers; i++)
    cg_rollback(cg, &cg->hiers[i]);
}

/* Hierarchies a container joins only when it asks for one of their limits
 * (cpuset, hugetlb, net_cls, net_prio, rdma) or never (named ones such as
 * name=systemd, perf_event, misc). The others it always joins: accounting
 * (podman stats, containerd metrics), pause, ps and kill --all need them.
 * Each hierarchy costs a mkdir, a migration, a bind into the container and an
 * rmdir, about 4% of a `run` apiece on the benchmark host. */
static bool v1_hier_wanted(const struct cg_hier *h, const struct spec_resources *r)
{
  unsigned always = CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT) | CG_BIT(CG_MEMORY) | CG_BIT(CG_DEVICES) |
                    CG_BIT(CG_FREEZER) | CG_BIT(CG_PIDS) | CG_BIT(CG_BLKIO);
  if (h->unified || (h->controllers & always))
    return true;
  if (!r)
    return false;
  unsigned want = 0;
  if (r->cpu.cpus || r->cpu.mems)
    want |= CG_BIT(CG_CPUSET);
  if (r->n_hugepage_limits)
    want |= CG_BIT(CG_HUGETLB);
  if (r->network.class_id.set)
    want |= CG_BIT(CG_NET_CLS);
  if (r->network.n_priorities)
    want |= CG_BIT(CG_NET_PRIO);
  if (r->n_rdma)
    want |= CG_BIT(CG_RDMA);
  return (h->controllers & want) != 0;
}

static int v1_create(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err)
{
  struct cpuset_copy cpuset = {0};
  for (size_t i = 0; i < cg->n_hiers; i++) {
    struct cg_hier *h = &cg->hiers[i];
    if (!v1_hier_wanted(h, res)) {
      h->skipped = true;
      continue;
    }
    cg_level_fn fn = (h->controllers & CG_BIT(CG_CPUSET)) ? cpuset_fill : NULL;
    if (cg_mkpath(cg, h, fn, &cpuset, err) < 0) {
      rollback_all(cg);
      return -1;
    }
  }
  if (res && cg_v1_apply(cg, res, false, err) < 0) {
    rollback_all(cg);
    return -1;
  }
  for (size_t i = 0; i < cg->n_hiers; i++)
    cg->hiers[i].created_depth = -1;
  return 0;
}

static int v1_update(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err)
{
  return cg_v1_apply(cg, res, true, err);
}

static int v1_clone_fd(struct cgroup *cg, struct vessel_error *err)
{
  return -1; /* one fd cannot place a task in several hierarchies */
}

static int v1_enter(struct cgroup *cg, pid_t pid, struct vessel_error *err)
{
  char buf[24];
  snprintf(buf, sizeof buf, "%d", (int)pid);
  for (size_t i = 0; i < cg->n_hiers; i++) {
    struct cg_hier *h = &cg->hiers[i];
    if (h->skipped)
      continue;
    struct vessel_error open_err = {0};
    int fd = cg_hier_fd(cg, h, &open_err);
    /* reopened from a record: a hierarchy create skipped has no directory */
    if (fd < 0 && open_err.code == ENOENT) {
      h->skipped = true;
      continue;
    }
    if (fd < 0)
      *err = open_err;
    if (fd < 0 || cg_write(cg, h, fd, "cgroup.procs", buf, true, err) < 0)
      return vessel_error_prefix(err, "move process %d into cgroup `%s`", (int)pid, cg->path);
  }
  return 0;
}

static struct cg_hier *freezer(struct cgroup *cg, struct vessel_error *err)
{
  struct cg_hier *h = cg_find_hier(cg, CG_FREEZER);
  if (!h)
    cg_unsupported(err, "freeze cgroup `%s`: the freezer controller is not mounted", cg->path);
  return h;
}

static int v1_is_frozen(struct cgroup *cg, struct vessel_error *err)
{
  struct cg_hier *h = freezer(cg, err);
  if (!h)
    return -1;
  int fd = cg_hier_fd(cg, h, err);
  char state[32];
  if (fd < 0 || cg_read(cg, h, fd, "freezer.state", state, sizeof state, err) < 0)
    return -1;
  return strcmp(state, "FROZEN") == 0;
}

static int v1_freeze(struct cgroup *cg, bool frozen, struct vessel_error *err)
{
  struct cg_hier *h = freezer(cg, err);
  if (!h)
    return -1;
  int fd = cg_hier_fd(cg, h, err);
  if (fd < 0)
    return -1;
  const char *want = frozen ? "FROZEN" : "THAWED";
  /* the kernel passes through FREEZING until every task stopped; writing
   * again nudges tasks that forked meanwhile */
  for (unsigned attempt = 0;; attempt++) {
    if (cg_write(cg, h, fd, "freezer.state", want, false, err) < 0)
      return -1;
    char state[32];
    if (cg_read(cg, h, fd, "freezer.state", state, sizeof state, err) < 0)
      return -1;
    if (!strcmp(state, want))
      return 0;
    if (!cg_backoff(attempt, 5000))
      break;
  }
  if (frozen) {
    struct vessel_error ignored;
    cg_write(cg, h, fd, "freezer.state", "THAWED", false, &ignored);
  }
  return vessel_error_set(err, ETIMEDOUT, "%s cgroup `%s`", frozen ? "freeze" : "thaw", cg->path);
}

static struct cg_hier *v1_procs_hier(struct cgroup *cg)
{
  struct cg_hier *h = cg_find_hier(cg, CG_PIDS);
  return h ? h : &cg->hiers[0];
}

static int v1_kill_all(struct cgroup *cg, int sig, struct vessel_error *err)
{
  if (cg_signal_procs(cg, v1_procs_hier(cg), sig, err) < 0)
    return -1;
  if (sig == SIGKILL) {
    /* frozen tasks would hold SIGKILL until thawed */
    struct cg_hier *h = cg_find_hier(cg, CG_FREEZER);
    struct vessel_error ignored;
    int fd = h ? cg_hier_fd(cg, h, &ignored) : -1;
    if (fd >= 0)
      cg_write_optional(cg, h, fd, "freezer.state", "THAWED", &ignored);
  }
  return 0;
}

const struct cgroup_ops cgroup_v1_ops = {
    .create = v1_create,
    .update = v1_update,
    .clone_fd = v1_clone_fd,
    .enter = v1_enter,
    .freeze = v1_freeze,
    .is_frozen = v1_is_frozen,
    .procs_hier = v1_procs_hier,
    .kill_all = v1_kill_all,
};
