/* OCI linux.resources onto cgroup v2 control files, converting the v1-shaped
 * values (shares, memory+swap, blkio weight) the spec carries. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

int cg_v2_available(struct cgroup *cg, unsigned *mask, struct vessel_error *err)
{
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/cgroup.controllers", cg->hiers[0].mount);
  _cleanup_free_ char *buf = NULL;
  if (fs_read_fileat(AT_FDCWD, p, &buf, NULL, err) < 0)
    return -1;
  *mask = 0;
  for (char *s = buf; *s;) {
    size_t len = strcspn(s, " \n");
    int c = cg_ctrl_from_name(s, len);
    if (c >= 0 && c != CG_NAMED)
      *mask |= CG_BIT(c);
    s += len;
    s += strspn(s, " \n");
  }
  return 0;
}

struct need {
  bool set;
  enum cg_ctrl ctrl;
  const char *limit;
};

/* A unified key must be a plain file name of the container's cgroup. */
static int unified_key_ok(const char *key, struct vessel_error *err)
{
  if (!key || !*key || strchr(key, '/') || !strcmp(key, ".") || !strcmp(key, "..") ||
      strlen(key) > NAME_MAX)
    return vessel_error_set(err, EINVAL, "unified: `%s` is not a cgroup file name", key ? key : "");
  return 0;
}

int cg_v2_needed(struct cgroup *cg, const struct spec_resources *r, unsigned avail, unsigned *mask,
                 struct vessel_error *err)
{
  const struct need table[] = {
      {r->memory.limit.set, CG_MEMORY, "memory limit"},
      {r->memory.reservation.set, CG_MEMORY, "memory reservation"},
      {r->memory.swap.set, CG_MEMORY, "memory swap"},
      {r->cpu.shares.set, CG_CPU, "cpu shares"},
      {r->cpu.quota.set, CG_CPU, "cpu quota"},
      {r->cpu.period.set, CG_CPU, "cpu period"},
      {r->cpu.burst.set, CG_CPU, "cpu burst"},
      {r->cpu.idle.set, CG_CPU, "cpu idle"},
      {r->cpu.cpus && *r->cpu.cpus, CG_CPUSET, "cpu cpus"},
      {r->cpu.mems && *r->cpu.mems, CG_CPUSET, "cpu mems"},
      {r->pids_limit.set, CG_PIDS, "pids limit"},
      {r->block_io.weight.set, CG_IO, "blockIO weight"},
      {r->block_io.n_weight_device > 0, CG_IO, "blockIO weightDevice"},
      {r->block_io.n_throttle_read_bps > 0, CG_IO, "blockIO throttleReadBpsDevice"},
      {r->block_io.n_throttle_write_bps > 0, CG_IO, "blockIO throttleWriteBpsDevice"},
      {r->block_io.n_throttle_read_iops > 0, CG_IO, "blockIO throttleReadIOPSDevice"},
      {r->block_io.n_throttle_write_iops > 0, CG_IO, "blockIO throttleWriteIOPSDevice"},
      {r->n_hugepage_limits > 0, CG_HUGETLB, "hugepageLimits"},
      {r->n_rdma > 0, CG_RDMA, "rdma"},
  };
  *mask = 0;
  for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
    if (!table[i].set)
      continue;
    if (!(avail & CG_BIT(table[i].ctrl)))
      return cg_unsupported(err, "%s: the %s controller is not available in `%s`", table[i].limit,
                            cg_ctrl_name(table[i].ctrl), cg->root);
    *mask |= CG_BIT(table[i].ctrl);
  }
  for (size_t i = 0; i < r->n_unified; i++) {
    const char *key = r->unified[i].key;
    if (unified_key_ok(key, err) < 0)
      return -1;
    int c = cg_ctrl_from_name(key, strcspn(key, "."));
    if (c < 0 || c == CG_NAMED)
      continue; /* cgroup.* and other core files */
    if (!(avail & CG_BIT(c)))
      return cg_unsupported(err, "unified `%s`: the %s controller is not available in `%s`", key,
                            cg_ctrl_name((enum cg_ctrl)c), cg->root);
    *mask |= CG_BIT(c);
  }
  return 0;
}

struct v2 {
  struct cgroup *cg;
  struct cg_hier *h;
  int fd;
  struct vessel_error *err;
};

static int put(struct v2 *w, const char *name, const char *value)
{
  return cg_write(w->cg, w->h, w->fd, name, value, false, w->err);
}

static int put_line(struct v2 *w, const char *name, const char *value)
{
  return cg_write(w->cg, w->h, w->fd, name, value, true, w->err);
}

static int put_max(struct v2 *w, const char *name, int64_t v)
{
  char buf[24];
  if (v < 0)
    return put(w, name, "max");
  snprintf(buf, sizeof buf, "%" PRId64, v);
  return put(w, name, buf);
}

static int put_optional(struct v2 *w, const char *name, const char *limit, const char *value)
{
  int r = cg_write_optional(w->cg, w->h, w->fd, name, value, w->err);
  if (r == 0)
    log_warning("%s ignored: this kernel has no `%s`", limit, name);
  return r < 0 ? -1 : 0;
}

static void unsupported(bool set, const char *limit)
{
  if (set)
    log_warning("%s ignored: cgroup v2 has no such setting", limit);
}

static int apply_memory(struct v2 *w, const struct spec_resources *r, bool update)
{
  const typeof(r->memory) *m = &r->memory;
  unsupported(m->kernel.set, "memory kernel");
  unsupported(m->kernel_tcp.set, "memory kernelTCP");
  unsupported(m->swappiness.set, "memory swappiness");
  unsupported(m->disable_oom_killer_set && m->disable_oom_killer, "memory disableOOMKiller");
  /* OCI swap is memory+swap (v1); v2 limits swap alone. 0 leaves it, -1 is
   * unlimited. */
  const char *swap = NULL;
  char swapbuf[24];
  if (m->swap.set && m->swap.v == -1) {
    swap = "max";
  } else if (m->swap.set && m->swap.v != 0) {
    if (!m->limit.set || m->limit.v <= 0)
      return vessel_error_set(w->err, EINVAL, "memory swap: needs a memory limit on cgroup v2");
    if (m->swap.v < m->limit.v)
      return vessel_error_set(w->err, EINVAL,
                              "memory swap %" PRId64 " is below the memory limit %" PRId64
                              " (it counts memory plus swap)",
                              m->swap.v, m->limit.v);
    snprintf(swapbuf, sizeof swapbuf, "%" PRId64, m->swap.v - m->limit.v);
    swap = swapbuf;
  } else if (m->limit.set && m->limit.v == -1 && !m->swap.set) {
    swap = "max"; /* as v1: an unlimited memory means unlimited swap too */
  }
  if (m->check_before_update && update && m->limit.set && m->limit.v > 0) {
    char cur[32];
    long long used;
    if (cg_read(w->cg, w->h, w->fd, "memory.current", cur, sizeof cur, w->err) < 0)
      return -1;
    if (parse_i64(cur, &used) == 0 && used > m->limit.v)
      return vessel_error_set(w->err, EBUSY,
                              "memory limit %" PRId64 " is below the current usage %lld",
                              m->limit.v, used);
  }
  if (m->limit.set && put_max(w, "memory.max", m->limit.v) < 0)
    return -1;
  if (m->reservation.set && put_max(w, "memory.low", m->reservation.v) < 0)
    return -1;
  if (swap && put_optional(w, "memory.swap.max", "memory swap limit", swap) < 0)
    return -1;
  return 0;
}

/* v1 shares [2, 262144] onto v2 weight [1, 10000] */
static uint64_t shares_to_weight(uint64_t shares)
{
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

static int apply_cpu(struct v2 *w, const struct spec_resources *r, bool update)
{
  const typeof(r->cpu) *c = &r->cpu;
  if ((c->realtime_period.set && c->realtime_period.v) ||
      (c->realtime_runtime.set && c->realtime_runtime.v))
    return cg_unsupported(w->err, "cpu realtime: cgroup v2 has no realtime budget");
  char buf[64];
  if (c->shares.set && c->shares.v) {
    snprintf(buf, sizeof buf, "%" PRIu64, shares_to_weight(c->shares.v));
    if (put(w, "cpu.weight", buf) < 0)
      return -1;
  }
  if (c->quota.set || c->period.set) {
    char quota[24] = "max";
    uint64_t period = 100000;
    if (update && !(c->quota.set && c->period.set)) {
      /* keep the half that is not being changed */
      char cur[64];
      if (cg_read(w->cg, w->h, w->fd, "cpu.max", cur, sizeof cur, w->err) < 0)
        return -1;
      char *sp = strchr(cur, ' ');
      unsigned long long p;
      if (sp) {
        *sp = '\0';
        if (parse_u64(sp + 1, &p) == 0)
          period = p;
        snprintf(quota, sizeof quota, "%.23s", cur);
      }
    }
    if (c->quota.set && c->quota.v >= 0)
      snprintf(quota, sizeof quota, "%" PRId64, c->quota.v);
    else if (c->quota.set)
      snprintf(quota, sizeof quota, "max");
    if (c->period.set && c->period.v)
      period = c->period.v;
    snprintf(buf, sizeof buf, "%s %" PRIu64, quota, period);
    if (put(w, "cpu.max", buf) < 0)
      return -1;
  }
  if (c->burst.set) {
    snprintf(buf, sizeof buf, "%" PRIu64, c->burst.v);
    if (put_optional(w, "cpu.max.burst", "cpu burst", buf) < 0)
      return -1;
  }
  if (c->idle.set) {
    snprintf(buf, sizeof buf, "%" PRId64, c->idle.v);
    if (put_optional(w, "cpu.idle", "cpu idle", buf) < 0)
      return -1;
  }
  if (c->cpus && *c->cpus && put(w, "cpuset.cpus", c->cpus) < 0)
    return -1;
  if (c->mems && *c->mems && put(w, "cpuset.mems", c->mems) < 0)
    return -1;
  return 0;
}

/* v1 blkio weight [10, 1000] onto io.weight [1, 10000] */
static uint64_t blkio_to_io_weight(uint64_t v)
{
  if (v < 10)
    v = 10;
  if (v > 1000)
    v = 1000;
  return 1 + (v - 10) * 9999 / 990;
}

struct io_dev {
  int64_t major, minor;
  char rbps[24], wbps[24], riops[24], wiops[24];
};

static int io_add(struct io_dev **devs, size_t *n, const struct spec_blkio_device *d, size_t nd,
                  size_t field, struct vessel_error *err)
{
  for (size_t i = 0; i < nd; i++) {
    size_t k = 0;
    while (k < *n && !((*devs)[k].major == d[i].major && (*devs)[k].minor == d[i].minor))
      k++;
    if (k == *n) {
      struct io_dev *nv = realloc(*devs, (*n + 1) * sizeof *nv);
      if (!nv)
        return vessel_error_set(err, ENOMEM, "blockIO");
      *devs = nv;
      nv[k] = (struct io_dev){.major = d[i].major, .minor = d[i].minor};
      (*n)++;
    }
    char *slot = (char *)&(*devs)[k] + field;
    /* 0 lifts the limit, as writing 0 does on v1 */
    if (d[i].rate)
      snprintf(slot, 24, "%" PRIu64, d[i].rate);
    else
      snprintf(slot, 24, "max");
  }
  return 0;
}

static int apply_io(struct v2 *w, const struct spec_resources *r)
{
  const typeof(r->block_io) *b = &r->block_io;
  unsupported(b->leaf_weight.set, "blockIO leafWeight");
  if (b->weight.set || b->n_weight_device) {
    /* BFQ's file when BFQ schedules the disk, else the io.weight of iocost */
    bool bfq = cg_has_file(w->h, w->fd, "io.bfq.weight");
    const char *file = bfq ? "io.bfq.weight" : "io.weight";
    char buf[80];
    if (b->weight.set && b->weight.v) {
      snprintf(buf, sizeof buf, "%" PRIu64, bfq ? b->weight.v : blkio_to_io_weight(b->weight.v));
      if (put_line(w, file, buf) < 0) /* shares the file with the device lines */
        return -1;
    }
    for (size_t i = 0; i < b->n_weight_device; i++) {
      const struct spec_blkio_device *d = &b->weight_device[i];
      unsupported(d->leaf_weight.set, "blockIO weightDevice leafWeight");
      if (!d->weight.set)
        continue;
      snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
               bfq ? d->weight.v : blkio_to_io_weight(d->weight.v));
      if (put_line(w, file, buf) < 0)
        return -1;
    }
  }
  _cleanup_free_ struct io_dev *devs = NULL;
  size_t n = 0;
  if (io_add(&devs, &n, b->throttle_read_bps, b->n_throttle_read_bps, offsetof(struct io_dev, rbps),
             w->err) < 0 ||
      io_add(&devs, &n, b->throttle_write_bps, b->n_throttle_write_bps,
             offsetof(struct io_dev, wbps), w->err) < 0 ||
      io_add(&devs, &n, b->throttle_read_iops, b->n_throttle_read_iops,
             offsetof(struct io_dev, riops), w->err) < 0 ||
      io_add(&devs, &n, b->throttle_write_iops, b->n_throttle_write_iops,
             offsetof(struct io_dev, wiops), w->err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char line[192];
    int len = snprintf(line, sizeof line, "%" PRId64 ":%" PRId64, devs[i].major, devs[i].minor);
    const struct {
      const char *key, *v;
    } kv[] = {{"rbps", devs[i].rbps},
              {"wbps", devs[i].wbps},
              {"riops", devs[i].riops},
              {"wiops", devs[i].wiops}};
    for (size_t k = 0; k < ARRAY_SIZE(kv); k++)
      if (kv[k].v[0])
        len += snprintf(line + len, sizeof line - (size_t)len, " %s=%s", kv[k].key, kv[k].v);
    if (put_line(w, "io.max", line) < 0)
      return -1;
  }
  return 0;
}

static int apply_misc(struct v2 *w, const struct spec_resources *r)
{
  char buf[160];
  if (r->pids_limit.set && put_max(w, "pids.max", r->pids_limit.v <= 0 ? -1 : r->pids_limit.v) < 0)
    return -1;
  for (size_t i = 0; i < r->n_hugepage_limits; i++) {
    char file[64];
    if (cg_hugetlb_file(r->hugepage_limits[i].page_size, "max", file, sizeof file, w->err) < 0)
      return -1;
    snprintf(buf, sizeof buf, "%" PRIu64, r->hugepage_limits[i].limit);
    if (put(w, file, buf) < 0)
      return -1;
  }
  for (size_t i = 0; i < r->n_rdma; i++) {
    int k = cg_rdma_line(&r->rdma[i], buf, sizeof buf, w->err);
    if (k < 0 || (k > 0 && put_line(w, "rdma.max", buf) < 0))
      return -1;
  }
  unsupported(r->network.class_id.set, "network classID");
  unsupported(r->network.n_priorities > 0, "network priorities");
  return 0;
}

int cg_v2_apply(struct cgroup *cg, const struct spec_resources *res, bool update,
                struct vessel_error *err)
{
  struct v2 w = {.cg = cg, .h = &cg->hiers[0], .err = err};
  w.fd = cg_hier_fd(cg, w.h, err);
  if (w.fd < 0)
    return -1;
  if (res->n_devices && cg_v2_devices_apply(cg, w.h, w.fd, res->devices, res->n_devices, err) < 0)
    return vessel_error_prefix(err, "cgroup `%s`: device rules", cg->path);
  if (apply_memory(&w, res, update) < 0 || apply_cpu(&w, res, update) < 0 ||
      apply_io(&w, res) < 0 || apply_misc(&w, res) < 0)
    return vessel_error_prefix(err, "cgroup `%s`", cg->path);
  /* verbatim, last, so it can refine what the fields above set */
  for (size_t i = 0; i < res->n_unified; i++) {
    const struct spec_kv *kv = &res->unified[i];
    if (unified_key_ok(kv->key, err) < 0 || put(&w, kv->key, kv->value ? kv->value : "") < 0)
      return vessel_error_prefix(err, "cgroup `%s`: unified", cg->path);
  }
  return 0;
}
