/* Private pieces of the seccomp module shared between its files. */
#pragma once
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

/* Architectures one filter can hold (libseccomp knows fewer than this). */
#define SECCOMP_ARCH_MAX 32

/* Maps an OCI name ("SCMP_ARCH_X86_64") to a libseccomp arch token; 0 when
 * libseccomp does not know it. */
uint32_t seccomp_arch_from_oci(const char *name);

/* Builds the stub that runs before the libseccomp program and answers ENOSYS
 * for syscall numbers above the largest one the profile names on each
 * architecture, so libc falls back from syscalls newer than the profile
 * instead of failing with the default EPERM (runc's patchbpf does the same).
 * Returns the number of instructions written to out (0: no stub needed), or
 * < 0 with err set. */
int seccomp_enosys_stub(const struct spec_seccomp *s, const uint32_t *arches, size_t n_arches,
                        struct sock_filter *out, size_t out_max, struct vessel_error *err);

/* Room seccomp_enosys_stub needs at most. */
#define SECCOMP_STUB_MAX (SECCOMP_ARCH_MAX * 12)
