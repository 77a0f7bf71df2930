/* The -ENOSYS stub prepended to libseccomp's program: syscalls newer than the
 * profile (numbered above everything it names) get ENOSYS, which libc treats
 * as "fall back to the old call", instead of the default action. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>

#include "seccomp-internal.h"

/* x32 syscalls share AUDIT_ARCH_X86_64 and are told apart by this bit. */
#define X32_SYSCALL_BIT 0x40000000u

struct stub {
  struct sock_filter *insn;
  size_t n, max;
  /* indexes of "ja <start of the libseccomp program>", patched at the end */
  size_t to_filter[SECCOMP_STUB_MAX];
  size_t n_to_filter;
  bool overflow;
};

static size_t emit(struct stub *st, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
  if (st->n >= st->max) {
    st->overflow = true;
    return st->n;
  }
  st->insn[st->n] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
  return st->n++;
}

static void emit_to_filter(struct stub *st)
{
  size_t i = emit(st, BPF_JMP | BPF_JA, 0, 0, 0);
  if (!st->overflow)
    st->to_filter[st->n_to_filter++] = i;
}

/* Sets the relative jump of the conditional at `from` to land on the next
 * instruction to be emitted. */
static void land_here(struct stub *st, size_t from, bool jt)
{
  if (st->overflow)
    return;
  size_t off = st->n - from - 1;
  if (off > 255) {
    st->overflow = true;
    return;
  }
  if (jt)
    st->insn[from].jt = (uint8_t)off;
  else
    st->insn[from].jf = (uint8_t)off;
}

/* nr > max: ENOSYS; otherwise on to the filter. max < 0: no syscall of this
 * ABI in the profile, leave everything to the filter. */
static void emit_limit(struct stub *st, long max)
{
  if (max >= 0) {
    emit(st, BPF_JMP | BPF_JGT | BPF_K, 0, 1, (uint32_t)max);
    emit(st, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS);
  }
  emit_to_filter(st);
}

/* Largest syscall number the profile names on arch, -1 when none. */
static long profile_max_nr(const struct spec_seccomp *s, uint32_t arch)
{
  long max = -1;
  for (size_t i = 0; i < s->n_syscalls; i++)
    for (char **n = s->syscalls[i].names; n && *n; n++) {
      int nr = seccomp_syscall_resolve_name_arch(arch, *n);
      if (nr > max) /* negative: unknown, or a pseudo number on this arch */
        max = nr;
    }
  return max;
}

static bool has_arch(const uint32_t *arches, size_t n, uint32_t arch)
{
  for (size_t i = 0; i < n; i++)
    if (arches[i] == arch)
      return true;
  return false;
}

static bool enosys_wanted(const struct spec_seccomp *s)
{
  switch (s->default_action) {
  case SPEC_SECCOMP_ALLOW:
  case SPEC_SECCOMP_LOG:
  /* a tracer handles ENOSYS on its own; an agent decides for itself */
  case SPEC_SECCOMP_TRACE:
  case SPEC_SECCOMP_NOTIFY:
    return false;
  case SPEC_SECCOMP_ERRNO:
    return !(s->default_errno_ret.set && s->default_errno_ret.v == ENOSYS);
  default:
    return true;
  }
}

int seccomp_enosys_stub(const struct spec_seccomp *s, const uint32_t *arches, size_t n_arches,
                        struct sock_filter *out, size_t out_max, struct vessel_error *err)
{
  if (!enosys_wanted(s))
    return 0;

  struct stub st = {.insn = out, .max = out_max};
  emit(&st, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
  size_t head = st.n;
  for (size_t a = 0; a < n_arches; a++) {
    uint32_t arch = arches[a];
    if (arch == SCMP_ARCH_X32)
      continue; /* handled inside the x86_64 section */
    long max = profile_max_nr(s, arch), max_x32 = -1;
    bool x32 = arch == SCMP_ARCH_X86_64 && has_arch(arches, n_arches, SCMP_ARCH_X32);
    if (x32)
      max_x32 = profile_max_nr(s, SCMP_ARCH_X32);
    if (max < 0 && max_x32 < 0)
      continue;

    size_t not_this_arch = emit(&st, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, arch);
    emit(&st, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    if (arch == SCMP_ARCH_X86_64) {
      size_t is_x32 = emit(&st, BPF_JMP | BPF_JSET | BPF_K, 0, 0, X32_SYSCALL_BIT);
      emit_limit(&st, max);
      land_here(&st, is_x32, true);
      emit_limit(&st, max_x32);
    } else {
      if (arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X) {
        /* unknown large syscall numbers arrive as the multiplexer, 0 */
        emit(&st, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
        emit(&st, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS);
      }
      emit_limit(&st, max);
    }
    land_here(&st, not_this_arch, false);
  }
  if (st.overflow)
    return vessel_error_set(err, 0, "seccomp: ENOSYS stub does not fit %zu instructions", out_max);
  if (st.n == head)
    return 0; /* the profile names no syscall we could resolve */
  /* An arch no section matched falls through into the filter. */
  for (size_t i = 0; i < st.n_to_filter; i++)
    out[st.to_filter[i]].k = (uint32_t)(st.n - st.to_filter[i] - 1);
  return (int)st.n;
}
