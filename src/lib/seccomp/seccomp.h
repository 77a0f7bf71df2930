/* Seccomp through libseccomp: the filter is compiled in the runtime process
 * before clone (so the container's init only calls seccomp(2) with a ready
 * program), then installed by the init as late as the spec allows. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

struct seccomp_program {
  void *filter;       /* struct sock_filter[] */
  size_t len;         /* number of instructions */
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;        /* a SCMP_ACT_NOTIFY rule: install returns a listener fd */
};

/* Compiles s for the native arch plus s->architectures (x86_64 filters also
 * get x86 and x32 so another ABI cannot bypass it). Syscall names libseccomp
 * does not know are skipped with a warning, as runc does. Errors name the
 * JSON path ("linux.seccomp.syscalls[4].action"). */
int seccomp_program_build(const struct spec_seccomp *s, struct seccomp_program *out,
                          struct vessel_error *err);

/* Installs the program in the calling process. Returns 0, or with notify the
 * listener fd (> 0); < 0 on error. Safe to call after fork from a
 * single-threaded process: no allocation. */
int seccomp_program_install(const struct seccomp_program *p, struct vessel_error *err);

void seccomp_program_free(struct seccomp_program *p);

/* Sends the listener fd to the agent at listener_path (SCM_RIGHTS) with the
 * container state JSON as payload, as the runtime-spec describes. */
int seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json,
                          struct vessel_error *err);

/* The same in two steps, for an init that connects before it enters the
 * container and sends once the filter is installed. */
int seccomp_agent_connect(const char *listener_path, struct vessel_error *err);
int seccomp_send_listener_fd(int sock, int listener_fd, const char *state_json,
                             struct vessel_error *err);

/* For `features`: NULL-terminated name lists. */
extern const char *const seccomp_known_actions[];
extern const char *const seccomp_known_operators[];
extern const char *const seccomp_known_flags[];
/* Architectures libseccomp knows; malloc'd NULL-terminated vector. */
char **seccomp_known_archs(void);
