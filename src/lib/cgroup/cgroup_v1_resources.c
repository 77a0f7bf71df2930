/* OCI linux.resources onto cgroup v1 control files, one controller at a
 * time. A limit whose controller is not mounted is an error naming it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

struct v1 {
  struct cgroup *cg;
  struct cg_hier *h;
  int fd;
  struct vessel_error *err;
};

/* Opens the controller's hierarchy for limit (the first field set, used in
 * the message when the controller is missing). */
static int use(struct v1 *w, struct cgroup *cg, enum cg_ctrl c, const char *limit,
               struct vessel_error *err)
{
  *w = (struct v1){.cg = cg, .err = err, .fd = -1, .h = cg_find_hier(cg, c)};
  if (!w->h)
    return cg_unsupported(err, "%s: the %s controller is not mounted", limit, cg_ctrl_name(c));
  w->fd = cg_hier_fd(cg, w->h, err);
  return w->fd < 0 ? -1 : 0;
}

static int put(struct v1 *w, const char *name, const char *value)
{
  return cg_write(w->cg, w->h, w->fd, name, value, false, w->err);
}

static int put_line(struct v1 *w, const char *name, const char *value)
{
  return cg_write(w->cg, w->h, w->fd, name, value, true, w->err);
}

static int put_i64(struct v1 *w, const char *name, int64_t v)
{
  char buf[24];
  snprintf(buf, sizeof buf, "%" PRId64, v);
  return put(w, name, buf);
}

static int put_u64(struct v1 *w, const char *name, uint64_t v)
{
  char buf[24];
  snprintf(buf, sizeof buf, "%" PRIu64, v);
  return put(w, name, buf);
}

/* A file the kernel may lack (deprecated or optional features): warn. */
static int put_optional(struct v1 *w, const char *name, const char *limit, uint64_t v, bool sign)
{
  char buf[24];
  if (sign)
    snprintf(buf, sizeof buf, "%" PRId64, (int64_t)v);
  else
    snprintf(buf, sizeof buf, "%" PRIu64, v);
  int r = cg_write_optional(w->cg, w->h, w->fd, name, buf, w->err);
  if (r == 0)
    log_warning("%s ignored: this kernel has no `%s`", limit, name);
  return r < 0 ? -1 : 0;
}

/* v1 takes -1 for "no limit"; compare limits with that as the top */
static bool raises(int64_t new_limit, int64_t cur)
{
  if (cur < 0)
    return false;
  return new_limit < 0 || new_limit > cur;
}

static int apply_memory(struct cgroup *cg, const struct spec_resources *r, bool update,
                        struct vessel_error *err)
{
  const typeof(r->memory) *m = &r->memory;
  const char *first = m->limit.set                ? "memory limit"
                      : m->reservation.set        ? "memory reservation"
                      : m->swap.set               ? "memory swap"
                      : m->kernel.set             ? "memory kernel"
                      : m->kernel_tcp.set         ? "memory kernelTCP"
                      : m->swappiness.set         ? "memory swappiness"
                      : m->disable_oom_killer_set ? "memory disableOOMKiller"
                      : m->use_hierarchy_set      ? "memory useHierarchy"
                                                  : NULL;
  if (!first)
    return 0;
  struct v1 w;
  if (use(&w, cg, CG_MEMORY, first, err) < 0)
    return -1;
  if (m->use_hierarchy_set &&
      put_optional(&w, "memory.use_hierarchy", "memory useHierarchy", m->use_hierarchy, false) < 0)
    return -1;
  bool swap = m->swap.set;
  if (swap && !cg_has_file(w.h, w.fd, "memory.memsw.limit_in_bytes")) {
    log_warning("memory swap limit ignored: swap accounting is off on this host");
    swap = false;
  }
  /* the kernel keeps memory <= memory+swap at every step: raise memsw
   * first, lower memory first */
  bool swap_first = false;
  if (swap && m->limit.set && update) {
    char cur[32];
    long long v;
    struct vessel_error e;
    if (cg_read(cg, w.h, w.fd, "memory.limit_in_bytes", cur, sizeof cur, &e) < 0) {
      if (e.code != ENOENT || !w.h->fake) { /* never written in a fake tree: no limit */
        *err = e;
        return -1;
      }
    } else if (parse_i64(cur, &v) == 0) {
      swap_first = raises(m->limit.v, v);
    }
  }
  if (swap && swap_first && put_i64(&w, "memory.memsw.limit_in_bytes", m->swap.v) < 0)
    return -1;
  if (m->limit.set && put_i64(&w, "memory.limit_in_bytes", m->limit.v) < 0)
    return -1;
  if (swap && !swap_first && put_i64(&w, "memory.memsw.limit_in_bytes", m->swap.v) < 0)
    return -1;
  if (m->reservation.set && put_i64(&w, "memory.soft_limit_in_bytes", m->reservation.v) < 0)
    return -1;
  if (m->kernel.set && put_optional(&w, "memory.kmem.limit_in_bytes", "memory kernel limit",
                                    (uint64_t)m->kernel.v, true) < 0)
    return -1;
  if (m->kernel_tcp.set &&
      put_optional(&w, "memory.kmem.tcp.limit_in_bytes", "memory kernelTCP limit",
                   (uint64_t)m->kernel_tcp.v, true) < 0)
    return -1;
  if (m->swappiness.set) {
    if (m->swappiness.v > 100)
      return vessel_error_set(err, EINVAL, "memory swappiness %" PRIu64 " is above 100",
                              m->swappiness.v);
    if (put_u64(&w, "memory.swappiness", m->swappiness.v) < 0)
      return -1;
  }
  if (m->disable_oom_killer_set &&
      put(&w, "memory.oom_control", m->disable_oom_killer ? "1" : "0") < 0)
    return -1;
  return 0;
}

static int apply_cpu(struct cgroup *cg, const struct spec_resources *r, struct vessel_error *err)
{
  const typeof(r->cpu) *c = &r->cpu;
  const char *first = c->shares.set             ? "cpu shares"
                      : c->quota.set            ? "cpu quota"
                      : c->period.set           ? "cpu period"
                      : c->burst.set            ? "cpu burst"
                      : c->realtime_period.set  ? "cpu realtimePeriod"
                      : c->realtime_runtime.set ? "cpu realtimeRuntime"
                      : c->idle.set             ? "cpu idle"
                                                : NULL;
  if (first) {
    struct v1 w;
    if (use(&w, cg, CG_CPU, first, err) < 0)
      return -1;
    if (c->shares.set && put_u64(&w, "cpu.shares", c->shares.v) < 0)
      return -1;
    if (c->period.set && c->quota.set) {
      /* the new period may not fit the old quota (or the reverse): try the
       * other order when the kernel refuses */
      struct vessel_error first_err;
      w.err = &first_err;
      int ok = put_u64(&w, "cpu.cfs_period_us", c->period.v);
      w.err = err;
      if (ok < 0 && first_err.code != EINVAL) {
        *err = first_err;
        return -1;
      }
      if (put_i64(&w, "cpu.cfs_quota_us", c->quota.v) < 0)
        return -1;
      if (ok < 0 && put_u64(&w, "cpu.cfs_period_us", c->period.v) < 0)
        return -1;
    } else if (c->period.set) {
      if (put_u64(&w, "cpu.cfs_period_us", c->period.v) < 0)
        return -1;
    } else if (c->quota.set) {
      if (put_i64(&w, "cpu.cfs_quota_us", c->quota.v) < 0)
        return -1;
    }
    if (c->burst.set && put_optional(&w, "cpu.cfs_burst_us", "cpu burst", c->burst.v, false) < 0)
      return -1;
    if (c->realtime_period.set && put_u64(&w, "cpu.rt_period_us", c->realtime_period.v) < 0)
      return -1;
    if (c->realtime_runtime.set && put_i64(&w, "cpu.rt_runtime_us", c->realtime_runtime.v) < 0)
      return -1;
    if (c->idle.set && put_optional(&w, "cpu.idle", "cpu idle", (uint64_t)c->idle.v, true) < 0)
      return -1;
  }
  bool cpus = c->cpus && *c->cpus, mems = c->mems && *c->mems;
  if (cpus || mems) {
    struct v1 w;
    if (use(&w, cg, CG_CPUSET, cpus ? "cpu cpus" : "cpu mems", err) < 0)
      return -1;
    if (cpus && put(&w, "cpuset.cpus", c->cpus) < 0)
      return -1;
    if (mems && put(&w, "cpuset.mems", c->mems) < 0)
      return -1;
  }
  return 0;
}

static int apply_pids(struct cgroup *cg, const struct spec_resources *r, struct vessel_error *err)
{
  if (!r->pids_limit.set)
    return 0;
  struct v1 w;
  if (use(&w, cg, CG_PIDS, "pids limit", err) < 0)
    return -1;
  if (r->pids_limit.v <= 0)
    return put(&w, "pids.max", "max");
  return put_i64(&w, "pids.max", r->pids_limit.v);
}

static int put_devs(struct v1 *w, const char *file, const struct spec_blkio_device *d, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char buf[80];
    snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major, d[i].minor,
             d[i].rate);
    if (put_line(w, file, buf) < 0)
      return -1;
  }
  return 0;
}

static int apply_blkio(struct cgroup *cg, const struct spec_resources *r, struct vessel_error *err)
{
  const typeof(r->block_io) *b = &r->block_io;
  const char *first = b->weight.set              ? "blockIO weight"
                      : b->leaf_weight.set       ? "blockIO leafWeight"
                      : b->n_weight_device       ? "blockIO weightDevice"
                      : b->n_throttle_read_bps   ? "blockIO throttleReadBpsDevice"
                      : b->n_throttle_write_bps  ? "blockIO throttleWriteBpsDevice"
                      : b->n_throttle_read_iops  ? "blockIO throttleReadIOPSDevice"
                      : b->n_throttle_write_iops ? "blockIO throttleWriteIOPSDevice"
                                                 : NULL;
  if (!first)
    return 0;
  struct v1 w;
  if (use(&w, cg, CG_BLKIO, first, err) < 0)
    return -1;
  /* CFQ's files, or BFQ's when that is the scheduler */
  bool bfq = !cg_has_file(w.h, w.fd, "blkio.weight") && cg_has_file(w.h, w.fd, "blkio.bfq.weight");
  const char *weight = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const char *weight_dev = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
  if ((b->weight.set || b->n_weight_device) && !cg_has_file(w.h, w.fd, weight))
    return cg_unsupported(err, "blockIO weight: the blkio controller has no weight here (no CFQ or "
                               "BFQ I/O scheduler)");
  if (b->weight.set && put_u64(&w, weight, b->weight.v) < 0)
    return -1;
  if (b->leaf_weight.set &&
      put_optional(&w, "blkio.leaf_weight", "blockIO leafWeight", b->leaf_weight.v, false) < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_device; i++) {
    const struct spec_blkio_device *d = &b->weight_device[i];
    char buf[80];
    if (d->weight.set) {
      snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
               d->weight.v);
      if (put_line(&w, weight_dev, buf) < 0)
        return -1;
    }
    if (d->leaf_weight.set) {
      snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
               d->leaf_weight.v);
      if (!cg_has_file(w.h, w.fd, "blkio.leaf_weight_device"))
        log_warning("blockIO leafWeight of %s ignored: this kernel has no "
                    "`blkio.leaf_weight_device`",
                    buf);
      else if (put_line(&w, "blkio.leaf_weight_device", buf) < 0)
        return -1;
    }
  }
  if (put_devs(&w, "blkio.throttle.read_bps_device", b->throttle_read_bps, b->n_throttle_read_bps) <
          0 ||
      put_devs(&w, "blkio.throttle.write_bps_device", b->throttle_write_bps,
               b->n_throttle_write_bps) < 0 ||
      put_devs(&w, "blkio.throttle.read_iops_device", b->throttle_read_iops,
               b->n_throttle_read_iops) < 0 ||
      put_devs(&w, "blkio.throttle.write_iops_device", b->throttle_write_iops,
               b->n_throttle_write_iops) < 0)
    return -1;
  return 0;
}

/* "2MB", "1GB", "64KB": digits and a unit, so it is safe in a file name */
static bool page_size_ok(const char *s)
{
  size_t d = strspn(s, "0123456789");
  return d > 0 && d < 8 && strchr("KMG", s[d]) && s[d] && s[d + 1] == 'B' && s[d + 2] == '\0';
}

int cg_hugetlb_file(const char *page_size, const char *suffix, char *buf, size_t size,
                    struct vessel_error *err)
{
  if (!page_size || !page_size_ok(page_size))
    return vessel_error_set(err, EINVAL, "hugepageLimits: bad page size `%s`",
                            page_size ? page_size : "");
  snprintf(buf, size, "hugetlb.%s.%s", page_size, suffix);
  return 0;
}

static int apply_hugetlb(struct cgroup *cg, const struct spec_resources *r,
                         struct vessel_error *err)
{
  if (!r->n_hugepage_limits)
    return 0;
  struct v1 w;
  if (use(&w, cg, CG_HUGETLB, "hugepageLimits", err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_hugepage_limits; i++) {
    char file[64];
    if (cg_hugetlb_file(r->hugepage_limits[i].page_size, "limit_in_bytes", file, sizeof file, err) <
            0 ||
        put_u64(&w, file, r->hugepage_limits[i].limit) < 0)
      return -1;
  }
  return 0;
}

static int apply_network(struct cgroup *cg, const struct spec_resources *r,
                         struct vessel_error *err)
{
  struct v1 w;
  if (r->network.class_id.set) {
    if (use(&w, cg, CG_NET_CLS, "network classID", err) < 0 ||
        put_u64(&w, "net_cls.classid", r->network.class_id.v) < 0)
      return -1;
  }
  if (r->network.n_priorities) {
    if (use(&w, cg, CG_NET_PRIO, "network priorities", err) < 0)
      return -1;
    for (size_t i = 0; i < r->network.n_priorities; i++) {
      const struct spec_net_priority *p = &r->network.priorities[i];
      if (!p->name || !*p->name || strpbrk(p->name, " \t\n/") || strlen(p->name) > 15)
        return vessel_error_set(err, EINVAL, "network priorities: bad interface name `%s`",
                                p->name ? p->name : "");
      char buf[48];
      snprintf(buf, sizeof buf, "%s %" PRIu32, p->name, p->priority);
      if (put_line(&w, "net_prio.ifpriomap", buf) < 0)
        return -1;
    }
  }
  return 0;
}

int cg_rdma_line(const struct spec_rdma *d, char *buf, size_t size, struct vessel_error *err)
{
  if (!d->device || !*d->device || strpbrk(d->device, " \t\n=") || strlen(d->device) > 64)
    return vessel_error_set(err, EINVAL, "rdma: bad device name `%s`", d->device ? d->device : "");
  if (!d->hca_handles.set && !d->hca_objects.set)
    return 0;
  int n = snprintf(buf, size, "%s", d->device);
  if (d->hca_handles.set)
    n += snprintf(buf + n, size - (size_t)n, " hca_handle=%" PRIu64, d->hca_handles.v);
  if (d->hca_objects.set)
    snprintf(buf + n, size - (size_t)n, " hca_object=%" PRIu64, d->hca_objects.v);
  return 1;
}

static int apply_rdma(struct cgroup *cg, const struct spec_resources *r, struct vessel_error *err)
{
  if (!r->n_rdma)
    return 0;
  struct v1 w;
  if (use(&w, cg, CG_RDMA, "rdma", err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_rdma; i++) {
    char buf[160];
    int k = cg_rdma_line(&r->rdma[i], buf, sizeof buf, err);
    if (k < 0 || (k > 0 && put_line(&w, "rdma.max", buf) < 0))
      return -1;
  }
  return 0;
}

int cg_device_rule_format(const struct spec_device_rule *d, char *buf, size_t size,
                          struct vessel_error *err)
{
  if (d->type != 'a' && d->type != 'c' && d->type != 'b')
    return vessel_error_set(err, EINVAL, "device rule: bad type `%c`", d->type);
  const char *acc = d->access[0] ? d->access : "rwm";
  if (strspn(acc, "rwm") != strnlen(acc, sizeof d->access))
    return vessel_error_set(err, EINVAL, "device rule: bad access `%.4s`", acc);
  char maj[24] = "*", min[24] = "*";
  if (d->major >= 0)
    snprintf(maj, sizeof maj, "%" PRId64, d->major);
  if (d->minor >= 0)
    snprintf(min, sizeof min, "%" PRId64, d->minor);
  snprintf(buf, size, "%c %s:%s %.3s", d->type, maj, min, acc);
  return 0;
}

static int apply_devices(struct cgroup *cg, const struct spec_resources *r,
                         struct vessel_error *err)
{
  if (!r->n_devices)
    return 0;
  char rules[64];
  for (size_t i = 0; i < r->n_devices; i++) /* check every rule before changing anything */
    if (cg_device_rule_format(&r->devices[i], rules, sizeof rules, err) < 0)
      return vessel_error_prefix(err, "devices[%zu]", i);
  struct v1 w;
  if (use(&w, cg, CG_DEVICES, "device rules", err) < 0)
    return -1;
  _cleanup_close_ int allow = cg_open_lines(w.h, w.fd, "devices.allow");
  _cleanup_close_ int deny = allow < 0 ? -1 : cg_open_lines(w.h, w.fd, "devices.deny");
  if (allow < 0 || deny < 0)
    return cg_file_error(cg, w.h, errno, "open", "devices.allow", NULL, err);
  if (cg_write_line(w.h, deny, "a") < 0)
    return cg_file_error(cg, w.h, errno, "write", "devices.deny", "a", err);
  for (size_t i = 0; i < r->n_devices; i++) {
    cg_device_rule_format(&r->devices[i], rules, sizeof rules, err);
    bool ok = r->devices[i].allow;
    if (cg_write_line(w.h, ok ? allow : deny, rules) < 0)
      return cg_file_error(cg, w.h, errno, "write", ok ? "devices.allow" : "devices.deny", rules,
                           err);
  }
  return 0;
}

int cg_v1_apply(struct cgroup *cg, const struct spec_resources *res, bool update,
                struct vessel_error *err)
{
  if (res->n_unified)
    return cg_unsupported(err, "unified: `%s` needs cgroup v2 but this host uses cgroup v1",
                          res->unified[0].key ? res->unified[0].key : "");
  if (apply_devices(cg, res, err) < 0 || apply_memory(cg, res, update, err) < 0 ||
      apply_cpu(cg, res, err) < 0 || apply_pids(cg, res, err) < 0 ||
      apply_blkio(cg, res, err) < 0 || apply_hugetlb(cg, res, err) < 0 ||
      apply_network(cg, res, err) < 0 || apply_rdma(cg, res, err) < 0)
    return vessel_error_prefix(err, "cgroup `%s`", cg->path);
  return 0;
}
