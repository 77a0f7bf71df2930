/* The last steps before the container's process runs: identity (rlimits,
 * groups, uid/gid, capabilities), no_new_privs, seccomp, fds, execve. Used by
 * the container init and by exec. */
#pragma once
#include <stdbool.h>

#include "seccomp/seccomp.h"
#include "spec/spec.h"
#include "util/error.h"

/* Resolves args[0] as execvp would, with the PATH of the process's env,
 * in the current root. Returns a malloc'd path. The message of a missing
 * file says "executable file not found in $PATH", as clients expect. */
int process_find_executable(const struct spec_process *p, char **out, struct vessel_error *err);

/* rlimits, I/O priority, scheduler and the initial CPU affinity. */
int process_apply_limits(const struct spec_process *p, struct vessel_error *err);

/* Parses a cpu list ("0-3,7") into set; < 0 when malformed. */
int process_parse_cpu_list(const char *list, void *cpu_set, unsigned setsize);

/* chdir to the process cwd, and check we stayed inside the root. */
int process_chdir(const struct spec_process *p, struct vessel_error *err);

struct process_security {
  const struct spec_process *process;
  const struct seccomp_program *seccomp; /* may be NULL */
  int cap_last;
  unsigned preserve_fds;
  int exec_stub;        /* exec_stub_for's fd, or -1 to execve directly */
  int seccomp_listener; /* out: notify fd, or -1 */
};

/* Applies user, groups, capabilities, umask, no_new_privs and seccomp in the
 * order that keeps each step permitted, then marks every fd but stdio and the
 * preserved ones close-on-exec. */
int process_apply_security(struct process_security *s, struct vessel_error *err);

/* Executes path with s->process's arguments and environment, through the
 * exec stub when s has one; returns only on failure, with err set (126/127
 * style messages). */
int process_exec(const char *path, const struct process_security *s, struct vessel_error *err);

/* The exit code a front end gives an exec failure: 127 not found, 126 other. */
int process_exec_error_status(int errnum);
