/* `linux.resources`: cgroup limits, also the input of `update --resources`.
 * Names that end up in cgroup file names or lines (hugepage sizes, unified
 * keys, interface and RDMA device names) are checked here so they cannot
 * reach another file or inject another line. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "util/cleanup.h"

/* A blkio weight: 0 is "not set", as runc reads it (dockerd sends 0 for
 * every container without --blkio-weight). */
static int opt_weight(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
                      struct opt_u64 *out)
{
  struct opt_u64 w = {0};
  int r = jm_opt_u64(c, obj, p, key, UINT64_MAX, &w);
  if (r <= 0 || w.v == 0)
    return r < 0 ? -1 : 0;
  if (w.v < 10 || w.v > 1000) {
    struct jpath kp = jp_key(p, key);
    return jerr(c, &kp, "%" PRIu64 " is out of range [10, 1000]", w.v);
  }
  *out = w;
  return r;
}

/* A name written into a cgroup file: no separator, blank or control byte. */
static bool plain_name(const char *s, size_t max)
{
  size_t n = strlen(s);
  if (n == 0 || n > max)
    return false;
  for (; *s; s++)
    if (*s == '/' || isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
      return false;
  return true;
}

static int device_rules_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                             struct spec_resources *r)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, r->devices) < 0)
    return -1;
  r->n_devices = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    json_t *e = json_array_get(v, i);
    struct spec_device_rule *d = &r->devices[i];
    const char *type = "a", *access = "rwm";
    int rc;
    d->major = d->minor = -1;
    if (jv_object(c, e, &ip) < 0 || (rc = jm_bool(c, e, &ip, "allow", &d->allow)) < 0)
      return -1;
    if (rc == 0)
      return jmissing(c, &ip, "allow");
    if (jm_cstr(c, e, &ip, "type", &type) < 0 || jm_cstr(c, e, &ip, "access", &access) < 0 ||
        jm_i64(c, e, &ip, "major", -1, UINT32_MAX, &d->major) < 0 ||
        jm_i64(c, e, &ip, "minor", -1, UINT32_MAX, &d->minor) < 0)
      return -1;
    if (type[0] == '\0')
      type = "a";
    if (strlen(type) != 1 || !strchr("acb", type[0])) {
      struct jpath tp = jp_key(&ip, "type");
      return jerr(c, &tp, "unknown device type `%s` (a, c or b)", type);
    }
    d->type = type[0];
    bool seen[3] = {false, false, false};
    struct jpath ap = jp_key(&ip, "access");
    if (access[0] == '\0')
      return jerr(c, &ap, "must not be empty");
    for (const char *a = access; *a; a++) {
      const char *at = strchr("rwm", *a);
      if (!at)
        return jerr(c, &ap, "`%s` may only hold the letters r, w and m", access);
      seen[at - "rwm"] = true;
    }
    size_t k = 0;
    for (size_t j = 0; j < 3; j++)
      if (seen[j])
        d->access[k++] = "rwm"[j];
    d->access[k] = '\0';
  }
  return 0;
}

/* 0 is "not set" for these, as runc reads them: dockerd sends a 0 for every
 * limit a container does not have, at create and at `docker update` (a 0
 * written to cpu.cfs_quota_us or pids.max would be refused or stop every
 * fork). */
static void zero_unset_i64(struct opt_i64 *o)
{
  if (o->set && o->v == 0)
    o->set = false;
}

static void zero_unset_u64(struct opt_u64 *o)
{
  if (o->set && o->v == 0)
    o->set = false;
}

static int memory_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                       struct spec_resources *r)
{
  static const char *const keys[] = {"limit", "reservation", "swap", "kernel", "kernelTCP"};
  struct opt_i64 *vals[] = {&r->memory.limit, &r->memory.reservation, &r->memory.swap,
                            &r->memory.kernel, &r->memory.kernel_tcp};
  if (jv_object(c, v, p) < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
    if (jm_opt_i64(c, v, p, keys[i], -1, INT64_MAX, vals[i]) < 0)
      return -1;
    zero_unset_i64(vals[i]);
  }
  int a, b;
  if (jm_opt_u64(c, v, p, "swappiness", 100, &r->memory.swappiness) < 0 ||
      (a = jm_bool(c, v, p, "disableOOMKiller", &r->memory.disable_oom_killer)) < 0 ||
      (b = jm_bool(c, v, p, "useHierarchy", &r->memory.use_hierarchy)) < 0 ||
      jm_bool(c, v, p, "checkBeforeUpdate", &r->memory.check_before_update) < 0)
    return -1;
  r->memory.disable_oom_killer_set = a > 0;
  r->memory.use_hierarchy_set = b > 0;
  return 0;
}

static int cpu_list(struct jctx *c, const json_t *v, const struct jpath *p, const char *key,
                    char **out)
{
  int rc = jm_str(c, v, p, key, out);
  if (rc <= 0)
    return rc;
  if (!spec_cpu_list_valid(*out)) {
    struct jpath kp = jp_key(p, key);
    return jerr(c, &kp, "`%s` is not a list like `0-3,7`", *out);
  }
  if (**out == '\0') {
    free(*out);
    *out = NULL;
  }
  return 0;
}

static int cpu_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                    struct spec_resources *r)
{
  if (jv_object(c, v, p) < 0 || jm_opt_u64(c, v, p, "shares", UINT64_MAX, &r->cpu.shares) < 0 ||
      jm_opt_i64(c, v, p, "quota", -1, INT64_MAX, &r->cpu.quota) < 0 ||
      jm_opt_u64(c, v, p, "burst", UINT64_MAX, &r->cpu.burst) < 0 ||
      jm_opt_u64(c, v, p, "period", UINT64_MAX, &r->cpu.period) < 0 ||
      jm_opt_i64(c, v, p, "realtimeRuntime", -1, INT64_MAX, &r->cpu.realtime_runtime) < 0 ||
      jm_opt_u64(c, v, p, "realtimePeriod", UINT64_MAX, &r->cpu.realtime_period) < 0 ||
      jm_opt_i64(c, v, p, "idle", 0, 1, &r->cpu.idle) < 0 ||
      cpu_list(c, v, p, "cpus", &r->cpu.cpus) < 0 || cpu_list(c, v, p, "mems", &r->cpu.mems) < 0)
    return -1;
  zero_unset_u64(&r->cpu.shares);
  zero_unset_i64(&r->cpu.quota);
  zero_unset_u64(&r->cpu.period);
  zero_unset_i64(&r->cpu.realtime_runtime);
  zero_unset_u64(&r->cpu.realtime_period);
  return 0;
}

enum { BLKIO_WEIGHT, BLKIO_RATE };

static int blkio_devices_fill(struct jctx *c, const json_t *v, const struct jpath *p, int kind,
                              struct spec_blkio_device **out, size_t *count)
{
  size_t n;
  struct spec_blkio_device *devs;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, devs) < 0)
    return -1;
  *out = devs;
  *count = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    json_t *e = json_array_get(v, i);
    struct spec_blkio_device *d = &devs[i];
    int rc;
    if (jv_object(c, e, &ip) < 0)
      return -1;
    if ((rc = jm_i64(c, e, &ip, "major", 0, UINT32_MAX, &d->major)) <= 0)
      return rc < 0 ? -1 : jmissing(c, &ip, "major");
    if ((rc = jm_i64(c, e, &ip, "minor", 0, UINT32_MAX, &d->minor)) <= 0)
      return rc < 0 ? -1 : jmissing(c, &ip, "minor");
    if (kind == BLKIO_RATE) {
      if ((rc = jm_u64(c, e, &ip, "rate", UINT64_MAX, &d->rate)) <= 0)
        return rc < 0 ? -1 : jmissing(c, &ip, "rate");
    } else if (opt_weight(c, e, &ip, "weight", &d->weight) < 0 ||
               opt_weight(c, e, &ip, "leafWeight", &d->leaf_weight) < 0) {
      return -1;
    }
  }
  return 0;
}

static int block_io_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                         struct spec_resources *r)
{
  if (jv_object(c, v, p) < 0 || opt_weight(c, v, p, "weight", &r->block_io.weight) < 0 ||
      opt_weight(c, v, p, "leafWeight", &r->block_io.leaf_weight) < 0)
    return -1;
  const struct {
    const char *key;
    int kind;
    struct spec_blkio_device **devs;
    size_t *n;
  } lists[] = {
      {"weightDevice", BLKIO_WEIGHT, &r->block_io.weight_device, &r->block_io.n_weight_device},
      {"throttleReadBpsDevice", BLKIO_RATE, &r->block_io.throttle_read_bps,
       &r->block_io.n_throttle_read_bps},
      {"throttleWriteBpsDevice", BLKIO_RATE, &r->block_io.throttle_write_bps,
       &r->block_io.n_throttle_write_bps},
      {"throttleReadIOPSDevice", BLKIO_RATE, &r->block_io.throttle_read_iops,
       &r->block_io.n_throttle_read_iops},
      {"throttleWriteIOPSDevice", BLKIO_RATE, &r->block_io.throttle_write_iops,
       &r->block_io.n_throttle_write_iops},
  };
  for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
    json_t *a = jm(v, lists[i].key);
    struct jpath kp = jp_key(p, lists[i].key);
    if (a && blkio_devices_fill(c, a, &kp, lists[i].kind, lists[i].devs, lists[i].n) < 0)
      return -1;
  }
  return 0;
}

/* "2MB", "1GB", "64KB": digits and a unit, as in hugetlb.<size>.limit_in_bytes */
static bool page_size_valid(const char *s)
{
  size_t digits = strspn(s, "0123456789");
  return digits > 0 && digits <= 10 && s[digits] && strchr("KMGTP", s[digits]) &&
         s[digits + 1] == 'B' && s[digits + 2] == '\0';
}

static int hugepages_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                          struct spec_resources *r)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, r->hugepage_limits) < 0)
    return -1;
  r->n_hugepage_limits = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    json_t *e = json_array_get(v, i);
    struct spec_hugepage_limit *h = &r->hugepage_limits[i];
    int rc;
    if (jv_object(c, e, &ip) < 0 || jm_str_req(c, e, &ip, "pageSize", &h->page_size) < 0)
      return -1;
    if (!page_size_valid(h->page_size)) {
      struct jpath kp = jp_key(&ip, "pageSize");
      return jerr(c, &kp, "`%s` is not a page size like `2MB`", h->page_size);
    }
    if ((rc = jm_u64(c, e, &ip, "limit", UINT64_MAX, &h->limit)) <= 0)
      return rc < 0 ? -1 : jmissing(c, &ip, "limit");
  }
  return 0;
}

static int network_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                        struct spec_resources *r)
{
  if (jv_object(c, v, p) < 0 ||
      jm_opt_u64(c, v, p, "classID", UINT32_MAX, &r->network.class_id) < 0)
    return -1;
  json_t *a = jm(v, "priorities");
  if (!a)
    return 0;
  struct jpath ap = jp_key(p, "priorities");
  size_t n;
  if (jv_array(c, a, &ap, &n) < 0 || JALLOC(c, &ap, n, r->network.priorities) < 0)
    return -1;
  r->network.n_priorities = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(&ap, i);
    json_t *e = json_array_get(a, i);
    struct spec_net_priority *np = &r->network.priorities[i];
    int rc;
    if (jv_object(c, e, &ip) < 0 || jm_str_req(c, e, &ip, "name", &np->name) < 0)
      return -1;
    if (!plain_name(np->name, 15)) {
      struct jpath kp = jp_key(&ip, "name");
      return jerr(c, &kp, "`%s` is not an interface name", np->name);
    }
    if ((rc = jm_u32(c, e, &ip, "priority", &np->priority)) <= 0)
      return rc < 0 ? -1 : jmissing(c, &ip, "priority");
  }
  return 0;
}

static int rdma_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                     struct spec_resources *r)
{
  if (jv_object(c, v, p) < 0 || JALLOC(c, p, json_object_size(v), r->rdma) < 0)
    return -1;
  const char *dev;
  json_t *e;
  json_object_foreach((json_t *)v, dev, e)
  {
    struct jpath kp = jp_map(p, dev);
    struct spec_rdma *rd = &r->rdma[r->n_rdma];
    if (!plain_name(dev, 64))
      return jerr(c, &kp, "not a device name");
    if (!(rd->device = strdup(dev)))
      return joom(c, &kp);
    r->n_rdma++;
    if (jv_object(c, e, &kp) < 0 ||
        jm_opt_u64(c, e, &kp, "hcaHandles", UINT32_MAX, &rd->hca_handles) < 0 ||
        jm_opt_u64(c, e, &kp, "hcaObjects", UINT32_MAX, &rd->hca_objects) < 0)
      return -1;
  }
  return 0;
}

static int unified_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                        struct spec_resources *r)
{
  if (jv_kv(c, v, p, &r->unified, &r->n_unified) < 0)
    return -1;
  for (size_t i = 0; i < r->n_unified; i++) {
    const char *k = r->unified[i].key;
    if (strchr(k, '/') || strcmp(k, ".") == 0 || strcmp(k, "..") == 0) {
      struct jpath kp = jp_map(p, k);
      return jerr(c, &kp, "not a cgroup file name");
    }
  }
  return 0;
}

int spec_resources_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                        struct spec_resources *r)
{
  if (jv_object(c, v, p) < 0)
    return -1;
  json_t *m;
#define SECTION(key, fn)                                                                           \
  if ((m = jm(v, key))) {                                                                          \
    struct jpath kp = jp_key(p, key);                                                              \
    if (fn(c, m, &kp, r) < 0)                                                                      \
      return -1;                                                                                   \
  }
  SECTION("devices", device_rules_fill);
  SECTION("memory", memory_fill);
  SECTION("cpu", cpu_fill);
  SECTION("blockIO", block_io_fill);
  SECTION("hugepageLimits", hugepages_fill);
  SECTION("network", network_fill);
  SECTION("rdma", rdma_fill);
  SECTION("unified", unified_fill);
#undef SECTION
  if ((m = jm(v, "pids"))) {
    struct jpath kp = jp_key(p, "pids");
    if (jv_object(c, m, &kp) < 0 ||
        jm_opt_i64(c, m, &kp, "limit", -1, INT64_MAX, &r->pids_limit) < 0)
      return -1;
    zero_unset_i64(&r->pids_limit);
  }
  return 0;
}
