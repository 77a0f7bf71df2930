/* Compiles linux.seccomp into a BPF program with libseccomp, in the runtime
 * process before clone; the container's init only hands it to seccomp(2). */
#include "seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The kernel's limit on one program (BPF_MAXINSNS). */
#define SECCOMP_PROGRAM_MAX 4096
/* Limits on what a profile may ask to compile. */
#define SECCOMP_ENTRIES_MAX 4096
#define SECCOMP_NAMES_MAX 16384
/* Unknown syscall names listed in the one warning a build logs. */
#define UNKNOWN_NAMES_SHOWN 8

const char *const seccomp_known_actions[] = {
    "SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",       "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",      NULL,
};

const char *const seccomp_known_operators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

const char *const seccomp_known_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

/* Every name the runtime-spec defines; seccomp_known_archs() keeps those the
 * linked libseccomp resolves. */
static const char *const oci_arch_names[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

static const struct {
  unsigned spec;
  unsigned long kernel;
} flag_map[] = {
    {SPEC_SECCOMP_FLAG_TSYNC, SECCOMP_FILTER_FLAG_TSYNC},
    {SPEC_SECCOMP_FLAG_LOG, SECCOMP_FILTER_FLAG_LOG},
    {SPEC_SECCOMP_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {SPEC_SECCOMP_FLAG_WAIT_KILLABLE_RECV, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static const enum scmp_compare op_map[] = {
    [SPEC_SECCOMP_OP_NE] = SCMP_CMP_NE,
    [SPEC_SECCOMP_OP_LT] = SCMP_CMP_LT,
    [SPEC_SECCOMP_OP_LE] = SCMP_CMP_LE,
    [SPEC_SECCOMP_OP_EQ] = SCMP_CMP_EQ,
    [SPEC_SECCOMP_OP_GE] = SCMP_CMP_GE,
    [SPEC_SECCOMP_OP_GT] = SCMP_CMP_GT,
    [SPEC_SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static void cleanup_seccomp_ctx(scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release(*ctx);
}
#define _cleanup_seccomp_ __attribute__((cleanup(cleanup_seccomp_ctx)))

uint32_t seccomp_arch_from_oci(const char *name)
{
  static const char prefix[] = "SCMP_ARCH_";
  char lower[32];
  if (strncmp(name, prefix, sizeof prefix - 1) != 0)
    return 0;
  name += sizeof prefix - 1;
  size_t len = strlen(name);
  if (len == 0 || len >= sizeof lower)
    return 0;
  for (size_t i = 0; i <= len; i++)
    lower[i] = (char)tolower((unsigned char)name[i]);
  return seccomp_arch_resolve_name(lower);
}

char **seccomp_known_archs(void)
{
  char **v = calloc(ARRAY_SIZE(oci_arch_names) + 1, sizeof *v);
  if (!v)
    return NULL;
  size_t n = 0;
  for (size_t i = 0; i < ARRAY_SIZE(oci_arch_names); i++) {
    if (!seccomp_arch_from_oci(oci_arch_names[i]))
      continue;
    v[n] = strdup(oci_arch_names[i]);
    if (!v[n]) {
      cleanup_strvp(&v);
      return NULL;
    }
    n++;
  }
  return v;
}

/* The libseccomp action for a spec action; path names errnoRet in errors.
 * runc's defaults: EPERM for ERRNO and TRACE without errnoRet; errnoRet on
 * other actions is ignored, as runc does. */
static int action_value(enum spec_seccomp_action a, struct opt_u64 ret, const char *path,
                        uint32_t *out, struct vessel_error *err)
{
  uint64_t data = ret.set ? ret.v : EPERM;
  if ((a == SPEC_SECCOMP_ERRNO || a == SPEC_SECCOMP_TRACE) && data > SECCOMP_RET_DATA)
    return vessel_error_set(err, 0, "%s: %llu does not fit the 16 bits seccomp returns", path,
                            (unsigned long long)data);
  switch (a) {
  case SPEC_SECCOMP_KILL:
  case SPEC_SECCOMP_KILL_THREAD:
    *out = SCMP_ACT_KILL_THREAD;
    return 0;
  case SPEC_SECCOMP_KILL_PROCESS:
    *out = SCMP_ACT_KILL_PROCESS;
    return 0;
  case SPEC_SECCOMP_TRAP:
    *out = SCMP_ACT_TRAP;
    return 0;
  case SPEC_SECCOMP_ERRNO:
    *out = SCMP_ACT_ERRNO((uint32_t)data);
    return 0;
  case SPEC_SECCOMP_TRACE:
    *out = SCMP_ACT_TRACE((uint32_t)data);
    return 0;
  case SPEC_SECCOMP_ALLOW:
    *out = SCMP_ACT_ALLOW;
    return 0;
  case SPEC_SECCOMP_LOG:
    *out = SCMP_ACT_LOG;
    return 0;
  case SPEC_SECCOMP_NOTIFY:
    *out = SCMP_ACT_NOTIFY;
    return 0;
  }
  return vessel_error_set(err, 0, "%s: unknown seccomp action %d", path, (int)a);
}

struct arch_set {
  uint32_t v[SECCOMP_ARCH_MAX];
  size_t n;
};

static int arch_add(struct arch_set *set, uint32_t arch, const char *what, struct vessel_error *err)
{
  for (size_t i = 0; i < set->n; i++)
    if (set->v[i] == arch)
      return 0;
  if (set->n == ARRAY_SIZE(set->v))
    return vessel_error_set(err, 0, "%s: too many architectures", what);
  set->v[set->n++] = arch;
  return 0;
}

/* The native arch first (the one nearly every syscall comes from), then the
 * listed ones. */
static int collect_architectures(const struct spec_seccomp *s, struct arch_set *set,
                                 struct vessel_error *err)
{
  set->v[set->n++] = seccomp_arch_native();
  size_t i = 0;
  for (char **a = s->architectures; a && *a; a++, i++) {
    char what[64];
    snprintf(what, sizeof what, "linux.seccomp.architectures[%zu]", i);
    uint32_t arch = seccomp_arch_from_oci(*a);
    if (!arch)
      return vessel_error_set(err, 0, "%s: unknown architecture `%s`", what, *a);
    if (arch_add(set, arch, what, err) < 0)
      return -1;
  }
  /* x86_64 tasks can still enter through the i386 and x32 entry points: the
   * filter must speak for those ABIs too, not leave them to the bad-arch
   * action or to whichever arch list the profile happened to carry. */
  for (size_t k = 0; k < set->n; k++)
    if (set->v[k] == SCMP_ARCH_X86_64)
      return arch_add(set, SCMP_ARCH_X86, "linux.seccomp", err) < 0 ||
                     arch_add(set, SCMP_ARCH_X32, "linux.seccomp", err) < 0
                 ? -1
                 : 0;
  return 0;
}

/* linux.seccomp.syscalls[i], checked and converted once for all arches. */
struct entry {
  uint32_t act;
  bool same_index; /* two conditions test one argument */
  unsigned n_cmp;
  struct scmp_arg_cmp cmp[6];
};

/* One name of an entry, resolved on the native arch (as runc does). */
struct name_rule {
  int nr;
  unsigned entry, name;
};

struct compiled {
  uint32_t default_act;
  struct entry *entries;
  struct name_rule *rules;
  size_t n_rules;
  bool notify;
};

static void compiled_free(struct compiled *c)
{
  free(c->entries);
  free(c->rules);
}

struct unknown_names {
  const char *shown[UNKNOWN_NAMES_SHOWN];
  size_t n;
};

static int convert_entry(const struct spec_seccomp_syscall *sc, size_t idx, struct entry *e,
                         struct vessel_error *err)
{
  char path[64];
  snprintf(path, sizeof path, "linux.seccomp.syscalls[%zu]", idx);
  char ret_path[80];
  snprintf(ret_path, sizeof ret_path, "%s.errnoRet", path);
  if (action_value(sc->action, sc->errno_ret, ret_path, &e->act, err) < 0)
    return -1;

  if (sc->n_args > 6)
    return vessel_error_set(err, 0, "%s.args: %zu conditions, a syscall has 6 arguments", path,
                            sc->n_args);
  unsigned per_index[6] = {0};
  for (size_t j = 0; j < sc->n_args; j++) {
    const struct spec_seccomp_arg *a = &sc->args[j];
    if (a->index >= 6)
      return vessel_error_set(err, 0, "%s.args[%zu].index: %u is not a syscall argument (0-5)",
                              path, j, a->index);
    if ((unsigned)a->op >= ARRAY_SIZE(op_map) || !op_map[a->op])
      return vessel_error_set(err, 0, "%s.args[%zu].op: unknown operator %d", path, j, (int)a->op);
    /* MASKED_EQ: (arg & value) == valueTwo; the others ignore datum_b */
    e->cmp[j] = (struct scmp_arg_cmp){
        .arg = a->index, .op = op_map[a->op], .datum_a = a->value, .datum_b = a->value_two};
    if (++per_index[a->index] > 1)
      e->same_index = true;
  }
  e->n_cmp = (unsigned)sc->n_args;

  size_t k = 0;
  for (char **n = sc->names; n && *n; n++, k++)
    if (sc->action == SPEC_SECCOMP_NOTIFY && strcmp(*n, "write") == 0)
      /* the init writes the listener fd to the runtime after installing */
      return vessel_error_set(err, 0, "%s.names[%zu]: SCMP_ACT_NOTIFY cannot be used for `write`",
                              path, k);
  if (k == 0)
    return vessel_error_set(err, 0, "%s.names: no syscall named", path);
  return 0;
}

static void warn_unknown(const struct unknown_names *u)
{
  if (u->n == 0)
    return;
  char list[512];
  size_t off = 0;
  for (size_t i = 0; i < u->n && i < UNKNOWN_NAMES_SHOWN && off < sizeof list; i++)
    off += (size_t)snprintf(list + off, sizeof list - off, "%s`%s`", i ? ", " : "", u->shown[i]);
  const struct scmp_version *v = seccomp_version();
  log_warning("seccomp: %zu syscall name(s) unknown to libseccomp %u.%u.%u skipped: %s%s", u->n,
              v->major, v->minor, v->micro, list, u->n > UNKNOWN_NAMES_SHOWN ? ", ..." : "");
}

static int compile_spec(const struct spec_seccomp *s, struct compiled *c, struct vessel_error *err)
{
  if (s->n_syscalls > SECCOMP_ENTRIES_MAX)
    return vessel_error_set(err, 0, "linux.seccomp.syscalls: %zu entries, at most %d",
                            s->n_syscalls, SECCOMP_ENTRIES_MAX);
  size_t n_names = 0;
  for (size_t i = 0; i < s->n_syscalls; i++)
    for (char **n = s->syscalls[i].names; n && *n; n++)
      if (++n_names > SECCOMP_NAMES_MAX)
        return vessel_error_set(err, 0, "linux.seccomp.syscalls: more than %d syscall names",
                                SECCOMP_NAMES_MAX);
  c->entries = calloc(s->n_syscalls + 1, sizeof *c->entries);
  c->rules = calloc(n_names + 1, sizeof *c->rules);
  if (!c->entries || !c->rules)
    return vessel_error_set(err, ENOMEM, "seccomp: compile the profile");

  struct unknown_names unknown = {0};
  for (size_t i = 0; i < s->n_syscalls; i++) {
    const struct spec_seccomp_syscall *sc = &s->syscalls[i];
    struct entry *e = &c->entries[i];
    if (convert_entry(sc, i, e, err) < 0)
      return -1;
    if (sc->action == SPEC_SECCOMP_NOTIFY)
      c->notify = true;
    if (e->act == c->default_act)
      continue; /* redundant, and libseccomp refuses it */
    size_t k = 0;
    for (char **n = sc->names; *n; n++, k++) {
      int nr = seccomp_syscall_resolve_name(*n);
      if (nr == __NR_SCMP_ERROR) {
        if (unknown.n < UNKNOWN_NAMES_SHOWN)
          unknown.shown[unknown.n] = *n;
        unknown.n++;
        continue;
      }
      c->rules[c->n_rules++] =
          (struct name_rule){.nr = nr, .entry = (unsigned)i, .name = (unsigned)k};
    }
  }
  warn_unknown(&unknown);
  return 0;
}

static void cleanup_compiled(struct compiled *c)
{
  compiled_free(c);
}

/* A TRACE action no rule uses: the bad-arch action of each per-arch program,
 * rewritten when the programs are chained. */
static uint32_t pick_sentinel(const struct spec_seccomp *s, const struct compiled *c)
{
  uint8_t used[(SECCOMP_RET_DATA + 1) / 8] = {0};
  uint32_t acts[2] = {c->default_act};
  for (size_t i = 0; i <= s->n_syscalls; i++) {
    uint32_t a = i == 0 ? acts[0] : c->entries[i - 1].act;
    if ((a & SECCOMP_RET_ACTION_FULL) == SCMP_ACT_TRACE(0)) {
      uint32_t d = a & SECCOMP_RET_DATA;
      used[d / 8] |= (uint8_t)(1u << (d % 8));
    }
  }
  uint32_t d = SECCOMP_RET_DATA;
  while (used[d / 8] & (1u << (d % 8)))
    d--; /* at most n_syscalls + 1 values are taken */
  return SCMP_ACT_TRACE(d);
}

static int add_rules(scmp_filter_ctx ctx, const struct spec_seccomp *s, const struct compiled *c,
                     struct vessel_error *err)
{
  for (size_t i = 0; i < c->n_rules; i++) {
    const struct name_rule *nr = &c->rules[i];
    const struct entry *e = &c->entries[nr->entry];
    int r = 0;
    if (!e->same_index) {
      r = seccomp_rule_add_array(ctx, e->act, nr->nr, e->n_cmp, e->cmp);
    } else {
      /* libseccomp cannot AND two tests of one argument: like runc, each
       * condition becomes a rule of its own, which ORs them. */
      for (unsigned j = 0; j < e->n_cmp && r == 0; j++)
        r = seccomp_rule_add_array(ctx, e->act, nr->nr, 1, &e->cmp[j]);
    }
    if (r < 0)
      return vessel_error_set(err, -r, "linux.seccomp.syscalls[%u]: add seccomp rule for `%s`",
                              nr->entry, s->syscalls[nr->entry].names[nr->name]);
  }
  return 0;
}

/* Compiles the rules for one arch and appends its program to buf at *len. */
static int build_arch(const struct spec_seccomp *s, const struct compiled *c, uint32_t arch,
                      uint32_t badarch, int memfd, struct sock_filter *buf, size_t *len,
                      struct vessel_error *err)
{
  _cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(c->default_act);
  if (!ctx)
    return vessel_error_set(err, EINVAL, "seccomp: libseccomp refused the default action");
  int r = 0;
  if (arch != seccomp_arch_native()) {
    r = seccomp_arch_add(ctx, arch);
    if (r == 0)
      r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
    if (r < 0)
      return vessel_error_set(err, -r, "seccomp: set up a filter for architecture %#x", arch);
  }
  /* the runtime sets no_new_privs itself, only when the spec asks */
  if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
      (r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch)) < 0)
    return vessel_error_set(err, -r, "seccomp: set filter attributes");
  /* A binary search over syscall numbers instead of a linear chain: fewer
   * instructions per syscall at run time. libseccomp <= 2.5.4 misbehaves with
   * it on tiny rule sets, hence the threshold runc uses too. */
  if (s->n_syscalls > 32 && (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
    log_debug("seccomp: binary tree optimization unavailable: %s", strerror(-r));

  if (add_rules(ctx, s, c, err) < 0)
    return -1;

  if (ftruncate(memfd, 0) < 0 || lseek(memfd, 0, SEEK_SET) < 0)
    return vessel_error_set(err, errno, "seccomp: reset the export buffer");
  r = seccomp_export_bpf(ctx, memfd);
  if (r < 0)
    return vessel_error_set(err, -r, "seccomp: export the BPF program");
  struct stat st;
  if (fstat(memfd, &st) < 0)
    return vessel_error_set(err, errno, "seccomp: fstat the exported program");
  size_t bytes = (size_t)st.st_size;
  if (bytes == 0 || bytes % sizeof(struct sock_filter) != 0)
    return vessel_error_set(err, 0, "seccomp: libseccomp exported %zu bytes, not a BPF program",
                            bytes);
  size_t n = bytes / sizeof(struct sock_filter);
  if (*len + n > SECCOMP_PROGRAM_MAX)
    return vessel_error_set(err, E2BIG,
                            "seccomp: the profile compiles to more than %d BPF instructions, the "
                            "most the kernel takes",
                            SECCOMP_PROGRAM_MAX);
  char *dst = (char *)(buf + *len);
  for (size_t done = 0; done < bytes;) {
    ssize_t got = pread(memfd, dst + done, bytes - done, (off_t)done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return vessel_error_set(err, got < 0 ? errno : EIO, "seccomp: read the exported program");
    done += (size_t)got;
  }
  *len += n;
  return 0;
}

/* In the program of one arch at [start, end), the bad-arch return becomes a
 * jump to the next arch's program, or in the last one the real bad-arch
 * action (libseccomp's default, kill). */
static void chain_programs(struct sock_filter *buf, size_t start, size_t end, uint32_t sentinel,
                           bool last)
{
  for (size_t j = start; j < end; j++) {
    if (buf[j].code != (BPF_RET | BPF_K) || buf[j].k != sentinel)
      continue;
    if (last)
      buf[j].k = SCMP_ACT_KILL_THREAD;
    else
      buf[j] = (struct sock_filter){.code = BPF_JMP | BPF_JA, .k = (uint32_t)(end - j - 1)};
  }
}

int seccomp_program_build(const struct spec_seccomp *s, struct seccomp_program *out,
                          struct vessel_error *err)
{
  __attribute__((cleanup(cleanup_compiled))) struct compiled c = {0};
  if (action_value(s->default_action, s->default_errno_ret, "linux.seccomp.defaultErrnoRet",
                   &c.default_act, err) < 0)
    return -1;
  if (c.default_act == SCMP_ACT_NOTIFY)
    /* the init could not even write the listener fd back to the runtime */
    return vessel_error_set(err, 0,
                            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
  struct arch_set arches = {0};
  if (collect_architectures(s, &arches, err) < 0)
    return -1;
  if (compile_spec(s, &c, err) < 0)
    return -1;

  unsigned int flags = 0;
  for (size_t i = 0; i < ARRAY_SIZE(flag_map); i++)
    if (s->flags & flag_map[i].spec)
      flags |= (unsigned int)flag_map[i].kernel;
  if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !c.notify)
    return vessel_error_set(err, 0,
                            "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a "
                            "SCMP_ACT_NOTIFY rule");

  _cleanup_free_ struct sock_filter *buf = malloc(SECCOMP_PROGRAM_MAX * sizeof *buf);
  if (!buf)
    return vessel_error_set(err, ENOMEM, "seccomp: allocate the program");
  int n_stub = seccomp_enosys_stub(s, arches.v, arches.n, buf, SECCOMP_STUB_MAX, err);
  if (n_stub < 0)
    return -1;
  size_t len = (size_t)n_stub;

  /* One libseccomp filter per arch, chained, instead of one filter holding
   * them all: libseccomp's code generation grows faster than linearly with
   * the arches in a filter, and chaining halves the build time of a docker
   * profile for x86_64 + x86 + x32 with the same verdicts. */
  _cleanup_close_ int memfd = memfd_create("vessel-seccomp", MFD_CLOEXEC);
  if (memfd < 0)
    return vessel_error_set(err, errno, "seccomp: memfd_create");
  uint32_t sentinel = pick_sentinel(s, &c);
  for (size_t a = 0; a < arches.n; a++) {
    size_t start = len;
    if (build_arch(s, &c, arches.v[a], sentinel, memfd, buf, &len, err) < 0)
      return -1;
    chain_programs(buf, start, len, sentinel, a + 1 == arches.n);
  }

  struct sock_filter *fit = realloc(buf, len * sizeof *buf);
  if (fit)
    buf = fit;
  *out = (struct seccomp_program){
      .filter = TAKE_PTR(buf), .len = len, .flags = flags, .notify = c.notify};
  return 0;
}

void seccomp_program_free(struct seccomp_program *p)
{
  if (!p)
    return;
  free(p->filter);
  *p = (struct seccomp_program){0};
}
