/* exec: a new process inside a running container. It joins every namespace
 * and the cgroup of the container, and gets the spec's restrictions (caps,
 * no_new_privs, seccomp, rlimits) before execve. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "console.h"
#include "create.h"
#include "process.h"
#include "record.h"
#include "exec_stub.h"
#include "seccomp_cache.h"
#include "runtime.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const struct {
  const char *name;
  int type;
} ns_files[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},    {"net", CLONE_NEWNET},
    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},   {"cgroup", CLONE_NEWCGROUP},
    {"pid", CLONE_NEWPID},   {"time", CLONE_NEWTIME},
};

/* The namespaces of pid that differ from ours (setns into our own user
 * namespace is an error). */
static int namespaces_to_join(pid_t pid)
{
  int flags = 0;
  for (size_t i = 0; i < sizeof ns_files / sizeof ns_files[0]; i++) {
    char a[64], b[64];
    snprintf(a, sizeof a, "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
    snprintf(b, sizeof b, "/proc/self/ns/%s", ns_files[i].name);
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino != sb.st_ino)
      flags |= ns_files[i].type;
  }
  return flags;
}

struct exec_child {
  const struct runtime_exec_opts *o;
  const struct seccomp_program *seccomp;
  int pidfd; /* of the container init */
  int ns_flags;
  int sync_fd;
  int console_fd;
  const struct cgroup_join *join;
  int cap_last;
  int exec_stub;
};

static __attribute__((noreturn)) void exec_child_main(struct exec_child *x)
{
  struct vessel_error err = {0};
  const struct spec_process *p = x->o->process;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* no process of the container may read our memory or /proc/<pid>/exe
   * while we still run the runtime's code (CVE-2019-5736) */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!x->o->detach)
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  int jr = cgroup_join_self(x->join);
  if (jr < 0) {
    vessel_error_set(&err, -jr, "join the container's cgroup");
    goto fail;
  }
  int flags = x->ns_flags & ~(CLONE_NEWPID | CLONE_NEWTIME);
  if (flags && setns(x->pidfd, flags) < 0) {
    vessel_error_set(&err, errno, "join the container's namespaces");
    goto fail;
  }
  _cleanup_close_ int tty = -1;
  if (p->terminal && x->console_fd >= 0) {
    tty = console_setup_exec(x->console_fd, p, &err);
    if (tty < 0 || console_become(tty, &err) < 0)
      goto fail;
  }
  _cleanup_free_ char *exe = NULL;
  if (process_apply_limits(p, &err) < 0 || process_chdir(p, &err) < 0 ||
      process_find_executable(p, &exe, &err) < 0)
    goto fail;
  struct process_security sec = {.process = p,
                                 .seccomp = x->seccomp,
                                 .cap_last = x->cap_last,
                                 .preserve_fds = x->o->preserve_fds,
                                 .exec_stub = x->exec_stub};
  if (process_apply_security(&sec, &err) < 0)
    goto fail;
  process_exec(exe, &sec, &err);
fail:
  sync_send_error(x->sync_fd, &err);
  _exit(1);
}

int runtime_exec(const struct runtime_ctx *ctx, const char *id, const struct runtime_exec_opts *o,
                 int *status, struct vessel_error *err)
{
  *status = 0;
  _cleanup_close_ int recfd = record_open(ctx, id, err);
  if (recfd < 0)
    return -1;
  struct container_record rec = {0};
  if (record_read(recfd, &rec, err) < 0)
    return -1;
  int r = -1;
  struct spec *s = NULL;
  _cleanup_free_ char *config = NULL;
  struct cgroup *cg = NULL;
  struct seccomp_program seccomp = {0};
  int sv[2] = {-1, -1}, own_pid_ns = -1, cgroup_fd = -1, console_fd = -1, console_ours = -1;
  struct cgroup_join join = {.clone_fd = -1};
  _cleanup_close_ int master = -1;
  _cleanup_close_ int pidfd = -1;
  _cleanup_close_ int cpidfd = -1;
  enum container_status st = record_status(&rec);
  if (st != CONTAINER_RUNNING && st != CONTAINER_CREATED) {
    vessel_error_set(err, EINVAL, "cannot exec in container `%s`: it is %s", id,
                     container_status_name(st));
    goto out;
  }
  if (record_read_config(recfd, &config, err) < 0 || !(s = spec_parse(config, strlen(config), err)))
    goto out;
  if (!o->process || !o->process->args || !o->process->args[0]) {
    vessel_error_set(err, EINVAL, "exec: no command given");
    goto out;
  }
  /* in the foreground without a console socket the runtime keeps the
   * terminal and relays it, as for run */
  bool own_terminal = o->process->terminal && !o->console_socket && !o->detach;
  if (o->process->terminal && !o->console_socket && !own_terminal) {
    vessel_error_set(err, EINVAL, "exec --tty --detach needs --console-socket");
    goto out;
  }
  pidfd = (int)syscall(SYS_pidfd_open, rec.pid, 0);
  if (pidfd < 0) {
    vessel_error_set(err, errno, "open container init %d", (int)rec.pid);
    goto out;
  }
  if (s->linux_.seccomp) {
    char cache[PATH_MAX];
    snprintf(cache, sizeof cache, "%s/.seccomp-cache", ctx->state_root);
    if (seccomp_build_cached(s->linux_.seccomp, cache, &seccomp, err) < 0)
      goto out;
  }
  int stub = exec_stub_for(s->linux_.seccomp, err);
  if (stub < -1)
    goto out;
  cg = record_cgroup(&rec, err);
  if (!cg)
    goto out;
  if (cgroup_join_prepare(cg, &join, err) < 0)
    goto out;
  cgroup_fd = join.clone_fd;
  if (own_terminal) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
      vessel_error_set(err, errno, "socketpair");
      goto out;
    }
    console_ours = pair[0];
    console_fd = pair[1];
  } else if (o->process->terminal &&
             (console_fd = console_socket_connect(o->console_socket, err)) < 0) {
    goto out;
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    vessel_error_set(err, errno, "socketpair");
    goto out;
  }
  /* the process with only the capabilities we hold (a copy: o is the caller's) */
  struct spec_process proc = *o->process;
  struct runtime_exec_opts own = *o;
  own.process = &proc;
  int cap_last = caps_last_cap();
  caps_limit_to_own(&proc.caps, cap_last);
  struct exec_child x = {.o = &own,
                         .seccomp = s->linux_.seccomp ? &seccomp : NULL,
                         .pidfd = pidfd,
                         .ns_flags = namespaces_to_join(rec.pid),
                         .sync_fd = sv[1],
                         .console_fd = console_fd,
                         .join = &join,
                         .cap_last = cap_last,
                         .exec_stub = stub};
  int pre = x.ns_flags & (CLONE_NEWPID | CLONE_NEWTIME);
  if (pre) {
    own_pid_ns = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (setns(pidfd, pre) < 0) {
      vessel_error_set(err, errno, "join the container's pid namespace");
      goto out;
    }
  }
  fflush(NULL);
  int child_pidfd = -1;
  struct clone_args args = {
      .flags = CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
      .pidfd = (uint64_t)(uintptr_t)&child_pidfd,
      .exit_signal = SIGCHLD,
      .cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
  };
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    close(sv[0]);
    exec_child_main(&x);
  }
  int clone_errno = errno;
  if (pre && own_pid_ns >= 0)
    setns(own_pid_ns, pre);
  if (pid < 0) {
    vessel_error_set(err, clone_errno, "clone the exec process");
    goto out;
  }
  cpidfd = child_pidfd;
  close(sv[1]);
  sv[1] = -1;
  struct sync_msg m;
  struct vessel_error e2;
  if (sync_recv(sv[0], &m, NULL, &e2) == 0 && m.type == SYNC_ERROR) {
    err->code = m.code;
    memcpy(err->msg, m.text, sizeof err->msg);
    waitpid(pid, NULL, 0);
    goto out;
  }
  if (o->pid_file) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);
    _cleanup_close_ int f = open(o->pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f < 0 || write(f, buf, (size_t)n) != n) {
      vessel_error_set(err, errno, "write --pid-file `%s`", o->pid_file);
      goto out;
    }
  }
  if (console_ours >= 0 && (master = console_receive_master(console_ours, err)) < 0)
    goto out;
  if (master >= 0)
    *status = console_proxy_wait(pid, cpidfd, master);
  else if (!o->detach)
    *status = container_wait_forwarding(pid, cpidfd);
  r = 0;
out:
  for (int i = 0; i < 2; i++)
    if (sv[i] >= 0)
      close(sv[i]);
  if (own_pid_ns >= 0)
    close(own_pid_ns);
  cgroup_join_close(&join); /* cgroup_fd is join's */
  if (console_fd >= 0)
    close(console_fd);
  if (console_ours >= 0)
    close(console_ours);
  if (cg)
    cgroup_free(cg);
  seccomp_program_free(&seccomp);
  spec_free(s);
  container_record_free(&rec);
  return r;
}
