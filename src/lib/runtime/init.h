/* The container's init: the child the runtime clones into the new
 * namespaces. It builds the root filesystem, pivots into it, waits for
 * `start` and finally execs the container process. Everything it needs is
 * prepared by the runtime before clone and reached through this struct (the
 * child is a copy of the runtime's memory). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "seccomp/seccomp.h"
#include "spec/spec.h"

enum init_mode {
  INIT_MODE_CREATE, /* wait on the start pipe (runtime `create`) */
  INIT_MODE_RUN,    /* wait for SYNC_START from the runtime (foreground `run`) */
};

#define INIT_NS_MAX 8

struct init_config {
  const struct spec *spec;
  const char *rootfs; /* absolute host path */
  const char *bundle;
  enum init_mode mode;
  int sync_fd;    /* init's end of the socketpair */
  int console_fd; /* connected --console-socket, or -1 */
  int start_pipe[2];
  int exec_pipe[2]; /* held until execve: `start` waits for its EOF (poststart hooks) */
  /* namespaces to join by path, in join order (user first) */
  int join_fds[INIT_NS_MAX];
  int join_types[INIT_NS_MAX];
  int n_join;
  unsigned long clone_flags;             /* namespaces the clone created */
  bool wait_go;                          /* wait for SYNC_GO before setup (id maps) */
  const struct cgroup_join *cgroup_join; /* the init moves itself into its cgroup */
  bool unshare_cgroupns;                 /* cgroup ns made after joining the cgroup (v1) */
  const char *cgroup_path;
  enum cgroup_mode cgroup_mode;
  const struct seccomp_program *seccomp;
  const int *idmap_fds; /* per mount: user namespace of an idmapped mount, or -1 */
  int seccomp_agent_fd; /* connected to linux.seccomp.listenerPath, or -1 */
  int cap_last;
  int exec_stub; /* exec_stub_for */
  bool no_pivot, no_new_keyring;
  unsigned preserve_fds;
  bool hooks_sync; /* createRuntime/prestart hooks: stop and let the runtime run them */
};

/* Runs in the cloned child. Never returns: execs the container process or
 * _exits after reporting the error over sync_fd. */
__attribute__((noreturn)) void init_main(struct init_config *c);
