/* Compiled seccomp filters kept between runs: libseccomp needs ~6-8 ms to
 * compile a docker-like profile (measured here), on every container start
 * and exec. The cache is keyed by the profile's canonical JSON (compared
 * byte for byte, not trusted to a hash), the libseccomp version, the
 * machine's architecture and this code's version. */
#pragma once
#include "seccomp/seccomp.h"
#include "util/error.h"

/* Like seccomp_program_build, reusing a program compiled earlier into
 * cache_dir (created 0700 when missing; a cache that cannot be read or
 * written is only skipped). */
int seccomp_build_cached(const struct spec_seccomp *s, const char *cache_dir,
                         struct seccomp_program *out, struct vessel_error *err);
