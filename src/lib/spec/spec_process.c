/* The `process` object: what runs in the container and with which
 * credentials, capabilities, limits and scheduling. */
#include <inttypes.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "util/cleanup.h"

#ifndef SCHED_ISO
#define SCHED_ISO 4 /* in the spec's list, unknown to mainline kernels */
#endif

bool spec_cpu_list_valid(const char *s)
{
  /* item (',' item)*, item = N | N-M with N <= M */
  while (*s) {
    char *end;
    if (*s < '0' || *s > '9')
      return false;
    unsigned long lo = strtoul(s, &end, 10), hi = lo;
    if (lo > UINT32_MAX)
      return false;
    s = end;
    if (*s == '-') {
      s++;
      if (*s < '0' || *s > '9')
        return false;
      hi = strtoul(s, &end, 10);
      if (hi > UINT32_MAX || hi < lo)
        return false;
      s = end;
    }
    if (*s == ',' && s[1] == '\0')
      return false;
    if (*s == ',')
      s++;
    else if (*s)
      return false;
  }
  return true;
}

static int user_fill(struct jctx *c, const json_t *v, const struct jpath *p, struct spec_user *u)
{
  if (jv_object(c, v, p) < 0 || jm_u32(c, v, p, "uid", &u->uid) < 0 ||
      jm_u32(c, v, p, "gid", &u->gid) < 0 || jm_opt_u64(c, v, p, "umask", 0777, &u->umask) < 0 ||
      jm_str(c, v, p, "username", &u->username) < 0)
    return -1;
  json_t *gids = jm(v, "additionalGids");
  if (!gids)
    return 0;
  struct jpath gp = jp_key(p, "additionalGids");
  size_t n;
  if (jv_array(c, gids, &gp, &n) < 0 || JALLOC(c, &gp, n, u->additional_gids) < 0)
    return -1;
  u->n_additional_gids = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(&gp, i);
    uint64_t gid;
    if (jv_u64(c, json_array_get(gids, i), &ip, UINT32_MAX, &gid) < 0)
      return -1;
    u->additional_gids[i] = (uint32_t)gid;
  }
  return 0;
}

static int caps_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                     struct spec_capabilities *caps)
{
  static const char *const set_names[SPEC_CAP_NSETS] = {
      [SPEC_CAP_BOUNDING] = "bounding",       [SPEC_CAP_EFFECTIVE] = "effective",
      [SPEC_CAP_INHERITABLE] = "inheritable", [SPEC_CAP_PERMITTED] = "permitted",
      [SPEC_CAP_AMBIENT] = "ambient",
  };
  if (jv_object(c, v, p) < 0)
    return -1;
  caps->present = true;
  for (int set = 0; set < SPEC_CAP_NSETS; set++) {
    json_t *a = jm(v, set_names[set]);
    if (!a)
      continue;
    struct jpath sp = jp_key(p, set_names[set]);
    size_t n;
    if (jv_array(c, a, &sp, &n) < 0)
      return -1;
    for (size_t i = 0; i < n; i++) {
      struct jpath ip = jp_index(&sp, i);
      const char *name;
      if (jv_cstr(c, json_array_get(a, i), &ip, &name) < 0)
        return -1;
      int cap = spec_cap_from_name(name);
      if (cap < 0)
        return jerr(c, &ip, "unknown capability `%s`", name);
      caps->sets[set] |= UINT64_C(1) << cap;
    }
  }
  return 0;
}

static int rlimits_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                        struct spec_process *out)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, out->rlimits) < 0)
    return -1;
  uint32_t seen = 0;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    struct jpath tp = jp_key(&ip, "type");
    json_t *e = json_array_get(v, i);
    struct spec_rlimit *rl = &out->rlimits[i];
    const char *type;
    int r;
    if (jv_object(c, e, &ip) < 0 || (r = jm_cstr(c, e, &ip, "type", &type)) < 0)
      return -1;
    if (r == 0)
      return jmissing(c, &ip, "type");
    rl->resource = spec_rlimit_from_name(type);
    if (rl->resource < 0)
      return jerr(c, &tp, "unknown rlimit `%s`", type);
    if (seen & (1u << rl->resource))
      return jerr(c, &tp, "duplicate rlimit `%s`", type);
    seen |= 1u << rl->resource;
    if ((r = jm_u64(c, e, &ip, "soft", UINT64_MAX, &rl->soft)) <= 0)
      return r < 0 ? -1 : jmissing(c, &ip, "soft");
    if ((r = jm_u64(c, e, &ip, "hard", UINT64_MAX, &rl->hard)) <= 0)
      return r < 0 ? -1 : jmissing(c, &ip, "hard");
    if (rl->soft > rl->hard)
      return jerr(c, &ip, "soft limit %" PRIu64 " is above hard limit %" PRIu64, rl->soft,
                  rl->hard);
    out->n_rlimits = i + 1;
  }
  return 0;
}

static int io_priority_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                            struct spec_io_priority *io)
{
  static const struct {
    const char *name;
    int class_;
  } classes[] = {
      {"IOPRIO_CLASS_RT", IOPRIO_CLASS_RT},
      {"IOPRIO_CLASS_BE", IOPRIO_CLASS_BE},
      {"IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE},
  };
  const char *name;
  int64_t prio = 0;
  int r;
  if (jv_object(c, v, p) < 0 || (r = jm_cstr(c, v, p, "class", &name)) < 0)
    return -1;
  if (r == 0)
    return jmissing(c, p, "class");
  io->class_ = -1;
  for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
    if (strcmp(classes[i].name, name) == 0)
      io->class_ = classes[i].class_;
  if (io->class_ < 0) {
    struct jpath cp = jp_key(p, "class");
    return jerr(c, &cp, "unknown I/O priority class `%s`", name);
  }
  if (jm_i64(c, v, p, "priority", 0, 7, &prio) < 0)
    return -1;
  io->priority = (int)prio;
  io->set = true;
  return 0;
}

static int scheduler_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                          struct spec_scheduler *s)
{
  static const struct {
    const char *name;
    int value;
  } policies[] =
      {
          {"SCHED_OTHER", SCHED_NORMAL},
          {"SCHED_FIFO", SCHED_FIFO},
          {"SCHED_RR", SCHED_RR},
          {"SCHED_BATCH", SCHED_BATCH},
          {"SCHED_ISO", SCHED_ISO},
          {"SCHED_IDLE", SCHED_IDLE},
          {"SCHED_DEADLINE", SCHED_DEADLINE},
      },
    flags[] = {
        {"SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK},
        {"SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM},
        {"SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN},
        {"SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY},
        {"SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS},
        {"SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN},
        {"SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX},
    };
  const char *name;
  int r;
  if (jv_object(c, v, p) < 0 || (r = jm_cstr(c, v, p, "policy", &name)) < 0)
    return -1;
  if (r == 0)
    return jmissing(c, p, "policy");
  s->policy = -1;
  for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
    if (strcmp(policies[i].name, name) == 0)
      s->policy = policies[i].value;
  struct jpath pp = jp_key(p, "policy");
  if (s->policy < 0)
    return jerr(c, &pp, "unknown scheduler policy `%s`", name);
  int64_t nice = 0, prio = 0;
  if (jm_i64(c, v, p, "nice", -20, 19, &nice) < 0 ||
      jm_i64(c, v, p, "priority", INT32_MIN, INT32_MAX, &prio) < 0 ||
      jm_u64(c, v, p, "runtime", UINT64_MAX, &s->runtime) < 0 ||
      jm_u64(c, v, p, "deadline", UINT64_MAX, &s->deadline) < 0 ||
      jm_u64(c, v, p, "period", UINT64_MAX, &s->period) < 0)
    return -1;
  s->nice = (int)nice;
  s->priority = (int)prio;
  if (prio != 0 && s->policy != SCHED_FIFO && s->policy != SCHED_RR) {
    struct jpath kp = jp_key(p, "priority");
    return jerr(c, &kp, "only SCHED_FIFO and SCHED_RR take a priority");
  }
  if (s->policy != SCHED_DEADLINE && (s->runtime || s->deadline || s->period))
    return jerr(c, p, "runtime, deadline and period are only for SCHED_DEADLINE");
  json_t *fl = jm(v, "flags");
  if (fl) {
    struct jpath fp = jp_key(p, "flags");
    size_t n;
    if (jv_array(c, fl, &fp, &n) < 0)
      return -1;
    for (size_t i = 0; i < n; i++) {
      struct jpath ip = jp_index(&fp, i);
      if (jv_cstr(c, json_array_get(fl, i), &ip, &name) < 0)
        return -1;
      size_t k = 0;
      while (k < ARRAY_SIZE(flags) && strcmp(flags[k].name, name) != 0)
        k++;
      if (k == ARRAY_SIZE(flags))
        return jerr(c, &ip, "unknown scheduler flag `%s`", name);
      s->flags |= (uint64_t)flags[k].value;
    }
  }
  s->set = true;
  return 0;
}

static int cpu_list_member(struct jctx *c, const json_t *v, const struct jpath *p, const char *key,
                           char **out)
{
  int r = jm_str(c, v, p, key, out);
  if (r <= 0)
    return r;
  struct jpath kp = jp_key(p, key);
  if (!spec_cpu_list_valid(*out))
    return jerr(c, &kp, "`%s` is not a CPU list like `0-3,7`", *out);
  if (**out == '\0') {
    free(*out);
    *out = NULL;
  }
  return 0;
}

int spec_process_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                      struct spec_process *out)
{
  if (jv_object(c, v, p) < 0)
    return -1;
  out->present = true;
  if (jm_bool(c, v, p, "terminal", &out->terminal) < 0 ||
      jm_strv(c, v, p, "args", JSTRV_NONEMPTY, &out->args) < 0 ||
      jm_strv(c, v, p, "env", 0, &out->env) < 0 || jm_str_req(c, v, p, "cwd", &out->cwd) < 0 ||
      jm_bool(c, v, p, "noNewPrivileges", &out->no_new_privileges) < 0 ||
      jm_str(c, v, p, "apparmorProfile", &out->apparmor_profile) < 0 ||
      jm_opt_i64(c, v, p, "oomScoreAdj", -1000, 1000, &out->oom_score_adj) < 0 ||
      jm_str(c, v, p, "selinuxLabel", &out->selinux_label) < 0)
    return -1;
  if (out->cwd[0] != '/') {
    struct jpath kp = jp_key(p, "cwd");
    return jerr(c, &kp, "`%s` must be an absolute path", out->cwd);
  }

  json_t *m;
  if ((m = jm(v, "consoleSize"))) {
    struct jpath kp = jp_key(p, "consoleSize");
    uint32_t h = 0, w = 0;
    if (jv_object(c, m, &kp) < 0 || jm_u32(c, m, &kp, "height", &h) < 0 ||
        jm_u32(c, m, &kp, "width", &w) < 0)
      return -1;
    out->console_size_set = true;
    out->console_height = h;
    out->console_width = w;
  }
  if ((m = jm(v, "user"))) {
    struct jpath kp = jp_key(p, "user");
    if (user_fill(c, m, &kp, &out->user) < 0)
      return -1;
  }
  if ((m = jm(v, "capabilities"))) {
    struct jpath kp = jp_key(p, "capabilities");
    if (caps_fill(c, m, &kp, &out->caps) < 0)
      return -1;
  }
  if ((m = jm(v, "rlimits"))) {
    struct jpath kp = jp_key(p, "rlimits");
    if (rlimits_fill(c, m, &kp, out) < 0)
      return -1;
  }
  if ((m = jm(v, "ioPriority"))) {
    struct jpath kp = jp_key(p, "ioPriority");
    if (io_priority_fill(c, m, &kp, &out->io_priority) < 0)
      return -1;
  }
  if ((m = jm(v, "scheduler"))) {
    struct jpath kp = jp_key(p, "scheduler");
    if (scheduler_fill(c, m, &kp, &out->scheduler) < 0)
      return -1;
  }
  if ((m = jm(v, "execCPUAffinity"))) {
    struct jpath kp = jp_key(p, "execCPUAffinity");
    if (jv_object(c, m, &kp) < 0 ||
        cpu_list_member(c, m, &kp, "initial", &out->exec_cpu_affinity_initial) < 0 ||
        cpu_list_member(c, m, &kp, "final", &out->exec_cpu_affinity_final) < 0)
      return -1;
  }
  return 0;
}
