/* cgroup v2 device access: an eBPF program generated from the rules,
 * loaded with bpf(2) and attached to the container's cgroup. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_bpf.h"
#include "cgroup_internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define INSN(c, d, s, o, i)                                                                        \
  ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm, off) INSN(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define JMP_REG(op, dst, src, off) INSN(BPF_JMP | (op) | BPF_X, dst, src, off, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int emit(struct cg_bpf_prog *p, const struct bpf_insn *in, size_t n,
                struct vessel_error *err)
{
  if (p->n + n > p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    while (cap < p->n + n)
      cap *= 2;
    struct bpf_insn *ni = realloc(p->insns, cap * sizeof *ni);
    if (!ni)
      return vessel_error_set(err, ENOMEM, "device program");
    p->insns = ni;
    p->cap = cap;
  }
  memcpy(p->insns + p->n, in, n * sizeof *in);
  p->n += n;
  return 0;
}

void cg_bpf_prog_release(struct cg_bpf_prog *p)
{
  free(p->insns);
  *p = (struct cg_bpf_prog){0};
}

/* One rule: jumps to the next block unless it matches, then returns its
 * verdict. Returns 1 when the rule matches everything (nothing after it can
 * run), 0 otherwise. */
static int emit_rule(struct cg_bpf_prog *p, const struct spec_device_rule *d,
                     struct vessel_error *err)
{
  const char *acc = d->access[0] ? d->access : "rwm";
  int access = 0;
  for (size_t i = 0; i < sizeof d->access && acc[i]; i++) {
    switch (acc[i]) {
    case 'r':
      access |= BPF_DEVCG_ACC_READ;
      break;
    case 'w':
      access |= BPF_DEVCG_ACC_WRITE;
      break;
    case 'm':
      access |= BPF_DEVCG_ACC_MKNOD;
      break;
    default:
      return vessel_error_set(err, EINVAL, "bad access `%.4s`", acc);
    }
  }
  if (d->type != 'a' && d->type != 'c' && d->type != 'b')
    return vessel_error_set(err, EINVAL, "bad device type `%c`", d->type);
  if (d->major > INT32_MAX || d->minor > INT32_MAX || d->major < -1 || d->minor < -1)
    return vessel_error_set(err, EINVAL, "bad device number %lld:%lld", (long long)d->major,
                            (long long)d->minor);
  const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  bool has_type = d->type != 'a', has_access = access != all;
  bool has_major = d->major >= 0, has_minor = d->minor >= 0;
  struct bpf_insn b[8];
  size_t n = 0;
  /* offsets are patched below once the block length is known */
  if (has_type)
    b[n++] =
        JMP_IMM(BPF_JNE, BPF_REG_2, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
  if (has_access) {
    b[n++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
    b[n++] = ALU32_IMM(BPF_AND, BPF_REG_1, access);
    /* allow: every requested access granted; deny: any requested one refused */
    b[n++] =
        d->allow ? JMP_REG(BPF_JNE, BPF_REG_1, BPF_REG_3, 0) : JMP_IMM(BPF_JEQ, BPF_REG_1, 0, 0);
  }
  if (has_major)
    b[n++] = JMP_IMM(BPF_JNE, BPF_REG_4, (int32_t)d->major, 0);
  if (has_minor)
    b[n++] = JMP_IMM(BPF_JNE, BPF_REG_5, (int32_t)d->minor, 0);
  b[n++] = MOV64_IMM(BPF_REG_0, d->allow ? 1 : 0);
  b[n++] = EXIT();
  for (size_t i = 0; i + 2 < n; i++)
    if (BPF_CLASS(b[i].code) == BPF_JMP)
      b[i].off = (int16_t)(n - i - 1);
  if (emit(p, b, n, err) < 0)
    return -1;
  return !has_type && !has_access && !has_major && !has_minor;
}

int cg_bpf_devices_build(const struct spec_device_rule *rules, size_t n, struct cg_bpf_prog *p,
                         struct vessel_error *err)
{
  *p = (struct cg_bpf_prog){0};
  if (n > CG_BPF_MAX_RULES)
    return vessel_error_set(err, E2BIG, "%zu device rules, at most %d", n, CG_BPF_MAX_RULES);
  /* ctx is struct bpf_cgroup_dev_ctx: access_type = access << 16 | type */
  const struct bpf_insn prologue[] = {
      LDX_W(BPF_REG_2, BPF_REG_1, 0), ALU32_IMM(BPF_AND, BPF_REG_2, 0xFFFF),
      LDX_W(BPF_REG_3, BPF_REG_1, 0), ALU32_IMM(BPF_RSH, BPF_REG_3, 16),
      LDX_W(BPF_REG_4, BPF_REG_1, 4), LDX_W(BPF_REG_5, BPF_REG_1, 8),
  };
  if (emit(p, prologue, ARRAY_SIZE(prologue), err) < 0)
    goto fail;
  /* the last rule wins: test them from the end, first match returns */
  bool final = false;
  for (size_t i = n; i-- > 0 && !final;) {
    int r = emit_rule(p, &rules[i], err);
    if (r < 0) {
      vessel_error_prefix(err, "devices[%zu]", i);
      goto fail;
    }
    final = r == 1;
  }
  if (!final) {
    const struct bpf_insn deny[] = {MOV64_IMM(BPF_REG_0, 0), EXIT()};
    if (emit(p, deny, 2, err) < 0)
      goto fail;
  }
  return 0;
fail:
  cg_bpf_prog_release(p);
  return -1;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
  return (int)syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

int cg_bpf_load(const struct cg_bpf_prog *p, struct vessel_error *err)
{
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)p->insns;
  attr.insn_cnt = (uint32_t)p->n;
  attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
  int fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  int e = errno;
  /* again with the verifier's log, only to explain the failure */
  char log[4096];
  log[0] = '\0';
  attr.log_level = 1;
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof log;
  fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  log[sizeof log - 1] = '\0';
  size_t l = strlen(log);
  while (l && log[l - 1] == '\n')
    log[--l] = '\0';
  return vessel_error_set(err, e, "load the device program (%zu instructions)%s%s%s", p->n,
                          l ? ": `" : "", l ? log : "", l ? "`" : "");
}

/* ids of the device programs attached to the cgroup itself */
static int query(int cgroup_fd, uint32_t *ids, uint32_t *n, struct vessel_error *err)
{
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)cgroup_fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_cnt = *n;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
    return vessel_error_set(err, errno, "query the device programs of the cgroup");
  *n = attr.query.prog_cnt;
  return 0;
}

int cg_bpf_attach(int cgroup_fd, int prog_fd, struct vessel_error *err)
{
  /* the kernel allows 64 programs per cgroup and attach type */
  uint32_t ids[64], n = ARRAY_SIZE(ids);
  if (query(cgroup_fd, ids, &n, err) < 0)
    return -1;
  union bpf_attr attr;
  if (n == 1) {
    /* swap atomically, no moment without a filter */
    memset(&attr, 0, sizeof attr);
    attr.prog_id = ids[0];
    _cleanup_close_ int old = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (old >= 0) {
      memset(&attr, 0, sizeof attr);
      attr.target_fd = (uint32_t)cgroup_fd;
      attr.attach_bpf_fd = (uint32_t)prog_fd;
      attr.attach_type = BPF_CGROUP_DEVICE;
      attr.attach_flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE;
      attr.replace_bpf_fd = (uint32_t)old;
      if (sys_bpf(BPF_PROG_ATTACH, &attr) == 0)
        return 0;
    }
  }
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cgroup_fd;
  attr.attach_bpf_fd = (uint32_t)prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
    return vessel_error_set(err, errno, "attach the device program to the cgroup");
  /* the new filter is in place: drop the ones it replaces */
  for (uint32_t i = 0; i < n; i++) {
    memset(&attr, 0, sizeof attr);
    attr.prog_id = ids[i];
    _cleanup_close_ int old = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (old < 0)
      continue; /* gone meanwhile */
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)old;
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
      return vessel_error_set(err, errno, "detach the previous device program");
  }
  return 0;
}

int cg_v2_devices_apply(struct cgroup *cg, struct cg_hier *h, int dirfd,
                        const struct spec_device_rule *rules, size_t n, struct vessel_error *err)
{
  struct cg_bpf_prog p;
  if (cg_bpf_devices_build(rules, n, &p, err) < 0)
    return -1;
  int ret = 0;
  if (h->fake) {
    /* no kernel cgroup to attach to: the program is only checked */
    log_debug("device program of %zu instructions for `%s` (not attached)", p.n, cg->path);
  } else {
    _cleanup_close_ int fd = cg_bpf_load(&p, err);
    ret = fd < 0 ? -1 : cg_bpf_attach(dirfd, fd, err);
  }
  cg_bpf_prog_release(&p);
  return ret;
}
