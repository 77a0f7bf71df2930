/* The `linux` object: namespaces, id mappings, devices, paths, sysctls and
 * the other Linux-only settings (resources and seccomp have their own files). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>

#include "spec_internal.h"
#include "util/cleanup.h"

/* The kernel takes at most this many lines in uid_map / gid_map. */
#define ID_MAP_MAX 340

int spec_id_mappings_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                          struct spec_id_mapping **out, size_t *count)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0)
    return -1;
  if (n > ID_MAP_MAX)
    return jerr(c, p, "too many mappings (%zu, the kernel takes %d)", n, ID_MAP_MAX);
  struct spec_id_mapping *maps;
  if (JALLOC(c, p, n, maps) < 0)
    return -1;
  *out = maps;
  *count = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    json_t *e = json_array_get(v, i);
    static const char *const keys[] = {"containerID", "hostID", "size"};
    uint32_t *fields[] = {&maps[i].container_id, &maps[i].host_id, &maps[i].size};
    if (jv_object(c, e, &ip) < 0)
      return -1;
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
      int r = jm_u32(c, e, &ip, keys[k], fields[k]);
      if (r <= 0)
        return r < 0 ? -1 : jmissing(c, &ip, keys[k]);
    }
    struct jpath sp = jp_key(&ip, "size");
    if (maps[i].size == 0)
      return jerr(c, &sp, "must be at least 1");
    if ((uint64_t)maps[i].container_id + maps[i].size > (uint64_t)UINT32_MAX + 1 ||
        (uint64_t)maps[i].host_id + maps[i].size > (uint64_t)UINT32_MAX + 1)
      return jerr(c, &sp, "the range goes past id 4294967295");
  }
  return 0;
}

static int namespaces_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                           struct spec_linux *l)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, l->namespaces) < 0)
    return -1;
  l->n_namespaces = n;
  int seen = 0;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    struct jpath tp = jp_key(&ip, "type");
    json_t *e = json_array_get(v, i);
    struct spec_namespace *ns = &l->namespaces[i];
    const char *type;
    int r;
    if (jv_object(c, e, &ip) < 0 || (r = jm_cstr(c, e, &ip, "type", &type)) < 0)
      return -1;
    if (r == 0)
      return jmissing(c, &ip, "type");
    ns->type = spec_namespace_from_name(type);
    if (ns->type == 0)
      return jerr(c, &tp, "unknown namespace type `%s`", type);
    if (seen & ns->type)
      return jerr(c, &tp, "duplicate namespace type `%s`", type);
    seen |= ns->type;
    if (jm_str(c, e, &ip, "path", &ns->path) < 0)
      return -1;
    if (ns->path && ns->path[0] == '\0') {
      free(ns->path);
      ns->path = NULL;
    } else if (ns->path && ns->path[0] != '/') {
      struct jpath pp = jp_key(&ip, "path");
      return jerr(c, &pp, "`%s` must be an absolute path", ns->path);
    }
  }
  return 0;
}

static int time_offsets_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                             struct spec_linux *l)
{
  if (jv_object(c, v, p) < 0)
    return -1;
  const char *clock;
  json_t *e;
  json_object_foreach((json_t *)v, clock, e)
  {
    struct jpath kp = jp_map(p, clock);
    int64_t *secs;
    uint32_t *nsecs;
    if (strcmp(clock, "monotonic") == 0) {
      secs = &l->time_offsets.monotonic_secs;
      nsecs = &l->time_offsets.monotonic_nsecs;
    } else if (strcmp(clock, "boottime") == 0) {
      secs = &l->time_offsets.boottime_secs;
      nsecs = &l->time_offsets.boottime_nsecs;
    } else {
      return jerr(c, &kp, "unknown clock (only `monotonic` and `boottime` have offsets)");
    }
    uint64_t ns = 0;
    if (jv_object(c, e, &kp) < 0 || jm_i64(c, e, &kp, "secs", INT64_MIN, INT64_MAX, secs) < 0 ||
        jm_u64(c, e, &kp, "nanosecs", 999999999, &ns) < 0)
      return -1;
    *nsecs = (uint32_t)ns;
  }
  l->time_offsets.set = true;
  return 0;
}

static int devices_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                        struct spec_linux *l)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, l->devices) < 0)
    return -1;
  l->n_devices = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    json_t *e = json_array_get(v, i);
    struct spec_device *d = &l->devices[i];
    const char *type;
    int r;
    if (jv_object(c, e, &ip) < 0 || jm_str_req(c, e, &ip, "path", &d->path) < 0)
      return -1;
    if (d->path[0] != '/') {
      struct jpath pp = jp_key(&ip, "path");
      return jerr(c, &pp, "`%s` must be an absolute path", d->path);
    }
    if ((r = jm_cstr(c, e, &ip, "type", &type)) <= 0)
      return r < 0 ? -1 : jmissing(c, &ip, "type");
    if (strlen(type) != 1 || !strchr("cbup", type[0])) {
      struct jpath tp = jp_key(&ip, "type");
      return jerr(c, &tp, "unknown device type `%s` (c, b, u or p)", type);
    }
    d->type = type[0];
    /* a FIFO has no numbers; the others need both */
    static const char *const nums[] = {"major", "minor"};
    int64_t *vals[] = {&d->major, &d->minor};
    for (size_t k = 0; k < ARRAY_SIZE(nums); k++) {
      r = jm_i64(c, e, &ip, nums[k], 0, UINT32_MAX, vals[k]);
      if (r < 0)
        return -1;
      if (r == 0 && d->type != 'p')
        return jmissing(c, &ip, nums[k]);
    }
    /* podman --privileged sends the host node's whole st_mode (type bits
     * too, 020666): the permission bits are what counts, as in runc */
    if (jm_opt_u64(c, e, &ip, "fileMode", 0177777, &d->file_mode) < 0 ||
        jm_opt_u64(c, e, &ip, "uid", UINT32_MAX, &d->uid) < 0 ||
        jm_opt_u64(c, e, &ip, "gid", UINT32_MAX, &d->gid) < 0)
      return -1;
    d->file_mode.v &= 07777;
  }
  return 0;
}

static int propagation_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                            unsigned long *out)
{
  static const struct {
    const char *name;
    unsigned long flags;
  } table[] = {
      {"", 0},
      {"private", MS_PRIVATE},
      {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},
      {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},
      {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE},
      {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  const char *name;
  if (jv_cstr(c, v, p, &name) < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(table); i++)
    if (strcmp(table[i].name, name) == 0) {
      *out = table[i].flags;
      return 0;
    }
  return jerr(c, p, "unknown propagation `%s`", name);
}

static int personality_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                            struct spec_linux *l)
{
  const char *domain;
  int r;
  if (jv_object(c, v, p) < 0 || (r = jm_cstr(c, v, p, "domain", &domain)) < 0)
    return -1;
  if (r == 0)
    return jmissing(c, p, "domain");
  if (strcmp(domain, "LINUX") == 0)
    l->personality.domain = PER_LINUX;
  else if (strcmp(domain, "LINUX32") == 0)
    l->personality.domain = PER_LINUX32;
  else {
    struct jpath dp = jp_key(p, "domain");
    return jerr(c, &dp, "unknown personality domain `%s` (LINUX or LINUX32)", domain);
  }
  _cleanup_strv_ char **flags = NULL;
  if (jm_strv(c, v, p, "flags", 0, &flags) < 0)
    return -1;
  if (flags && flags[0]) {
    struct jpath fp = jp_key(p, "flags");
    return jerr(c, &fp, "personality flag `%s` is not supported", flags[0]);
  }
  l->personality.set = true;
  return 0;
}

int spec_linux_fill(struct jctx *c, const json_t *v, const struct jpath *p, struct spec_linux *l)
{
  if (jv_object(c, v, p) < 0)
    return -1;
  l->present = true;
  if (jm_str(c, v, p, "cgroupsPath", &l->cgroups_path) < 0 ||
      jm_str(c, v, p, "mountLabel", &l->mount_label) < 0 ||
      jm_strv(c, v, p, "maskedPaths", JSTRV_ABSOLUTE, &l->masked_paths) < 0 ||
      jm_strv(c, v, p, "readonlyPaths", JSTRV_ABSOLUTE, &l->readonly_paths) < 0)
    return -1;

  json_t *m;
#define SECTION(key, call)                                                                         \
  if ((m = jm(v, key))) {                                                                          \
    struct jpath kp = jp_key(p, key);                                                              \
    if ((call) < 0)                                                                                \
      return -1;                                                                                   \
  }
  SECTION("namespaces", namespaces_fill(c, m, &kp, l));
  SECTION("uidMappings", spec_id_mappings_fill(c, m, &kp, &l->uid_mappings, &l->n_uid_mappings));
  SECTION("gidMappings", spec_id_mappings_fill(c, m, &kp, &l->gid_mappings, &l->n_gid_mappings));
  SECTION("timeOffsets", time_offsets_fill(c, m, &kp, l));
  SECTION("devices", devices_fill(c, m, &kp, l));
  SECTION("rootfsPropagation", propagation_fill(c, m, &kp, &l->rootfs_propagation));
  SECTION("sysctl", jv_kv(c, m, &kp, &l->sysctl, &l->n_sysctl));
  SECTION("personality", personality_fill(c, m, &kp, l));
  SECTION("resources", (l->resources = calloc(1, sizeof *l->resources))
                           ? spec_resources_fill(c, m, &kp, l->resources)
                           : vessel_error_set(c->err, ENOMEM, "linux.resources"));
  SECTION("seccomp", (l->seccomp = calloc(1, sizeof *l->seccomp))
                         ? spec_seccomp_fill(c, m, &kp, l->seccomp)
                         : vessel_error_set(c->err, ENOMEM, "linux.seccomp"));
#undef SECTION
  return 0;
}
