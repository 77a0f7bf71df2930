/* Starting a container's program through the exec stub (stub/exec_stub.c),
 * run from a sealed memfd: the program is never executed by a process whose
 * /proc/self/exe is the vessel binary on the host (CVE-2019-5736). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

/* The stub's bytes, built with the library (exec_stub_image.c). */
extern const unsigned char exec_stub_image[];
extern const size_t exec_stub_image_size;

/* Whether a container whose filter is s may run execveat(2) unconditionally,
 * which the stub's start takes; false when unsure. */
bool exec_stub_seccomp_allows(const struct spec_seccomp *s);

/* The fd of the sealed stub to start a container process with seccomp
 * filter s (NULL: none), made once per process; or -1 when the program may
 * be executed directly because this process runs from a protected copy of
 * its binary. Fails with code SELFCLONE_NEEDED when neither holds: no
 * memfd, or a filter that forbids execveat. */
int exec_stub_for(const struct spec_seccomp *s, struct vessel_error *err);
