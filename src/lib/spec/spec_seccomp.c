/* `linux.seccomp`: the profile as data. Only names and shapes are checked
 * here; the seccomp module compiles it with libseccomp (and checks the
 * architectures against what libseccomp knows). */
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "util/cleanup.h"

/* seccomp return data is 16 bits */
#define SECCOMP_ERRNO_MAX 0xffff
#define SECCOMP_ARGS_MAX 6

static const struct {
  const char *name;
  enum spec_seccomp_action action;
} actions[] = {
    {"SCMP_ACT_KILL", SPEC_SECCOMP_KILL},
    {"SCMP_ACT_KILL_PROCESS", SPEC_SECCOMP_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SPEC_SECCOMP_KILL_THREAD},
    {"SCMP_ACT_TRAP", SPEC_SECCOMP_TRAP},
    {"SCMP_ACT_ERRNO", SPEC_SECCOMP_ERRNO},
    {"SCMP_ACT_TRACE", SPEC_SECCOMP_TRACE},
    {"SCMP_ACT_ALLOW", SPEC_SECCOMP_ALLOW},
    {"SCMP_ACT_LOG", SPEC_SECCOMP_LOG},
    {"SCMP_ACT_NOTIFY", SPEC_SECCOMP_NOTIFY},
};

static const struct {
  const char *name;
  enum spec_seccomp_op op;
} operators[] = {
    {"SCMP_CMP_NE", SPEC_SECCOMP_OP_NE},
    {"SCMP_CMP_LT", SPEC_SECCOMP_OP_LT},
    {"SCMP_CMP_LE", SPEC_SECCOMP_OP_LE},
    {"SCMP_CMP_EQ", SPEC_SECCOMP_OP_EQ},
    {"SCMP_CMP_GE", SPEC_SECCOMP_OP_GE},
    {"SCMP_CMP_GT", SPEC_SECCOMP_OP_GT},
    {"SCMP_CMP_MASKED_EQ", SPEC_SECCOMP_OP_MASKED_EQ},
};

static const struct {
  const char *name;
  unsigned flag;
} flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SPEC_SECCOMP_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SPEC_SECCOMP_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SPEC_SECCOMP_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SPEC_SECCOMP_FLAG_WAIT_KILLABLE_RECV},
};

/* Reads the required action member `key`. */
static int action_get(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
                      enum spec_seccomp_action *out)
{
  const char *name;
  int r = jm_cstr(c, obj, p, key, &name);
  if (r <= 0)
    return r < 0 ? -1 : jmissing(c, p, key);
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
    if (strcmp(actions[i].name, name) == 0) {
      *out = actions[i].action;
      return 0;
    }
  struct jpath kp = jp_key(p, key);
  return jerr(c, &kp, "unknown seccomp action `%s`", name);
}

static int args_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                     struct spec_seccomp_syscall *sc)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, sc->args) < 0)
    return -1;
  sc->n_args = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    json_t *e = json_array_get(v, i);
    struct spec_seccomp_arg *a = &sc->args[i];
    uint64_t index;
    const char *op;
    int r;
    if (jv_object(c, e, &ip) < 0)
      return -1;
    if ((r = jm_u64(c, e, &ip, "index", SECCOMP_ARGS_MAX - 1, &index)) <= 0)
      return r < 0 ? -1 : jmissing(c, &ip, "index");
    a->index = (unsigned)index;
    if ((r = jm_u64(c, e, &ip, "value", UINT64_MAX, &a->value)) <= 0)
      return r < 0 ? -1 : jmissing(c, &ip, "value");
    if (jm_u64(c, e, &ip, "valueTwo", UINT64_MAX, &a->value_two) < 0)
      return -1;
    if ((r = jm_cstr(c, e, &ip, "op", &op)) <= 0)
      return r < 0 ? -1 : jmissing(c, &ip, "op");
    size_t k = 0;
    while (k < ARRAY_SIZE(operators) && strcmp(operators[k].name, op) != 0)
      k++;
    if (k == ARRAY_SIZE(operators)) {
      struct jpath op_path = jp_key(&ip, "op");
      return jerr(c, &op_path, "unknown seccomp operator `%s`", op);
    }
    a->op = operators[k].op;
  }
  return 0;
}

static int syscalls_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                         struct spec_seccomp *s)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, s->syscalls) < 0)
    return -1;
  s->n_syscalls = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    json_t *e = json_array_get(v, i);
    struct spec_seccomp_syscall *sc = &s->syscalls[i];
    if (jv_object(c, e, &ip) < 0 ||
        jm_strv(c, e, &ip, "names", JSTRV_NONEMPTY | JSTRV_NO_EMPTY, &sc->names) < 0 ||
        action_get(c, e, &ip, "action", &sc->action) < 0 ||
        jm_opt_u64(c, e, &ip, "errnoRet", SECCOMP_ERRNO_MAX, &sc->errno_ret) < 0)
      return -1;
    if (sc->action == SPEC_SECCOMP_NOTIFY && !s->listener_path) {
      struct jpath ap = jp_key(&ip, "action");
      return jerr(c, &ap, "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
    }
    json_t *a = jm(e, "args");
    struct jpath ap = jp_key(&ip, "args");
    if (a && args_fill(c, a, &ap, sc) < 0)
      return -1;
  }
  return 0;
}

int spec_seccomp_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                      struct spec_seccomp *s)
{
  if (jv_object(c, v, p) < 0 || action_get(c, v, p, "defaultAction", &s->default_action) < 0 ||
      jm_opt_u64(c, v, p, "defaultErrnoRet", SECCOMP_ERRNO_MAX, &s->default_errno_ret) < 0 ||
      jm_str(c, v, p, "listenerPath", &s->listener_path) < 0 ||
      jm_str(c, v, p, "listenerMetadata", &s->listener_metadata) < 0 ||
      jm_strv(c, v, p, "architectures", JSTRV_NO_EMPTY, &s->architectures) < 0)
    return -1;
  /* here, where the object is parsed already: re-parsing config.json for
   * the key took ~0.2 ms of every start with docker's profile */
  if (!(s->canonical = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)))
    return jerr(c, p, "out of memory");
  if (s->listener_path && s->listener_path[0] == '\0') {
    free(s->listener_path);
    s->listener_path = NULL;
  }
  if (s->default_action == SPEC_SECCOMP_NOTIFY) {
    /* every syscall, the runtime's own included, would wait for the agent */
    struct jpath kp = jp_key(p, "defaultAction");
    return jerr(c, &kp, "SCMP_ACT_NOTIFY cannot be the default action");
  }
  for (size_t i = 0; s->architectures && s->architectures[i]; i++)
    if (strncmp(s->architectures[i], "SCMP_ARCH_", 10) != 0) {
      struct jpath ap = jp_key(p, "architectures");
      struct jpath ip = jp_index(&ap, i);
      return jerr(c, &ip, "unknown architecture `%s` (SCMP_ARCH_...)", s->architectures[i]);
    }
  json_t *fl = jm(v, "flags");
  if (fl) {
    struct jpath fp = jp_key(p, "flags");
    size_t n;
    if (jv_array(c, fl, &fp, &n) < 0)
      return -1;
    for (size_t i = 0; i < n; i++) {
      struct jpath ip = jp_index(&fp, i);
      const char *name;
      if (jv_cstr(c, json_array_get(fl, i), &ip, &name) < 0)
        return -1;
      size_t k = 0;
      while (k < ARRAY_SIZE(flags) && strcmp(flags[k].name, name) != 0)
        k++;
      if (k == ARRAY_SIZE(flags))
        return jerr(c, &ip, "unknown seccomp flag `%s`", name);
      s->flags |= flags[k].flag;
    }
  }
  json_t *sc = jm(v, "syscalls");
  struct jpath sp = jp_key(p, "syscalls");
  if (sc && syscalls_fill(c, sc, &sp, s) < 0)
    return -1;
  return 0;
}
