/* The container init's setup sequence, from clone to execve. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "console.h"
#include "devices.h"
#include "hooks.h"
#include "mounts.h"
#include "process.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

/* Before the runtime has gone, errors travel back over the sync socket; after
 * (a created container whose start failed) they go to the process's stderr. */
static __attribute__((noreturn)) void init_fail(struct init_config *c, struct vessel_error *err,
                                                bool detached)
{
  if (detached) {
    dprintf(2, "vessel-runtime: %s\n", err->msg);
    _exit(process_exec_error_status(err->code));
  }
  sync_send_error(c->sync_fd, err);
  _exit(1);
}

static bool go_received; /* SYNC_GO came: the user namespace is mapped */

/* Waits for a message of the given type from the runtime. SYNC_GO is sent
 * without waiting for us to ask, so it may come first: note it and go on. */
static int init_expect(const struct init_config *c, int type, char *text, struct vessel_error *err)
{
  for (;;) {
    struct sync_msg m;
    if (sync_recv(c->sync_fd, &m, NULL, err) < 0)
      return -1;
    if (m.type == SYNC_ERROR) {
      err->code = m.code;
      memcpy(err->msg, m.text, sizeof err->msg);
      return -1;
    }
    if (m.type == SYNC_GO && type != SYNC_GO) {
      go_received = true;
      continue;
    }
    if (m.type != type)
      return vessel_error_set(err, EPROTO, "sync with the runtime: unexpected message %d", m.type);
    if (text)
      memcpy(text, m.text, sizeof m.text);
    return 0;
  }
}

static int wait_for_runtime(const struct init_config *c, struct vessel_error *err)
{
  if (!go_received && init_expect(c, SYNC_GO, NULL, err) < 0)
    return -1;
  go_received = true;
  return 0;
}

/* The init joins its cgroup itself, first thing (see cgroup_join_self):
 * then a cgroup namespace made now has it as root. */
static int join_cgroup(const struct init_config *c, struct vessel_error *err)
{
  if (c->cgroup_join) {
    int r = cgroup_join_self(c->cgroup_join);
    if (r < 0)
      return vessel_error_set(err, -r, "join cgroup `%s`", c->cgroup_path);
  }
  if (c->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
    return vessel_error_set(err, errno, "unshare the cgroup namespace");
  return 0;
}

/* Hooks run in the container's namespaces see the init's pid as there. */
static void localize_state_pid(char *state, size_t size)
{
  json_t *o = json_loads(state, 0, NULL);
  if (!o)
    return;
  json_object_set_new(o, "pid", json_integer(getpid()));
  char *text = json_dumps(o, JSON_INDENT(2));
  if (text && strlen(text) < size)
    strcpy(state, text);
  free(text);
  json_decref(o);
}

static int join_namespaces(const struct init_config *c, struct vessel_error *err)
{
  for (int i = 0; i < c->n_join; i++) {
    if (setns(c->join_fds[i], c->join_types[i]) < 0)
      return vessel_error_set(err, errno, "join %s namespace",
                              spec_namespace_name(c->join_types[i]));
    close(c->join_fds[i]);
  }
  return 0;
}

/* The annotation run.vessel.loopback=up asks for the new network
 * namespace's loopback up, as docker and podman give a container without a
 * network (an OCI runtime otherwise leaves it down). */
static bool loopback_wanted(const struct spec *s)
{
  for (size_t i = 0; i < s->n_annotations; i++)
    if (!strcmp(s->annotations[i].key, "run.vessel.loopback"))
      return !strcmp(s->annotations[i].value, "up");
  return false;
}

static int loopback_up(struct vessel_error *err)
{
  _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {.ifr_name = "lo"};
  if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
    return vessel_error_set(err, errno, "loopback of the network namespace");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
    return vessel_error_set(err, errno, "bring the loopback up");
  return 0;
}

static int set_identity_of_namespaces(const struct init_config *c, struct vessel_error *err)
{
  const struct spec *s = c->spec;
  bool new_user = c->clone_flags & CLONE_NEWUSER;
  /* the ids are mapped now: become root of the new user namespace */
  if (new_user && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
    return vessel_error_set(err, errno, "become root in the user namespace");
  if (s->hostname && s->hostname[0] && sethostname(s->hostname, strlen(s->hostname)) < 0)
    return vessel_error_set(err, errno, "sethostname `%s`", s->hostname);
  if ((c->clone_flags & CLONE_NEWNET) && loopback_wanted(s) && loopback_up(err) < 0)
    return -1;
  if (s->domainname && s->domainname[0] && setdomainname(s->domainname, strlen(s->domainname)) < 0)
    return vessel_error_set(err, errno, "setdomainname `%s`", s->domainname);
  if (s->linux_.personality.set && personality(s->linux_.personality.domain) < 0)
    return vessel_error_set(err, errno, "personality");
  if (s->process.oom_score_adj.set) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)s->process.oom_score_adj.v);
    if (fs_write_fileat(AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t)n, err) < 0)
      return vessel_error_prefix(err, "process.oomScoreAdj");
  }
  return 0;
}

static int wait_for_start(struct init_config *c, struct vessel_error *err)
{
  if (c->mode == INIT_MODE_RUN)
    return init_expect(c, SYNC_START, NULL, err);
  char b;
  ssize_t r;
  do
    r = read(c->start_pipe[0], &b, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1)
    return vessel_error_set(err, r < 0 ? errno : EPIPE, "wait for start");
  close(c->start_pipe[0]);
  close(c->start_pipe[1]);
  return 0;
}

void init_main(struct init_config *c)
{
  struct vessel_error err = {0};
  const struct spec *s = c->spec;
  const struct spec_process *p = &s->process;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* a runtime that dies during setup takes its half-made container along */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  umask(0);

  if (join_cgroup(c, &err) < 0)
    init_fail(c, &err, false);
  if (c->wait_go && wait_for_runtime(c, &err) < 0)
    init_fail(c, &err, false);
  if (join_namespaces(c, &err) < 0 || set_identity_of_namespaces(c, &err) < 0)
    init_fail(c, &err, false);

  _cleanup_close_ int rootfd = rootfs_prepare(c, &err);
  if (rootfd < 0)
    init_fail(c, &err, false);
  if (mounts_apply(c, rootfd, &err) < 0)
    init_fail(c, &err, false);
  bool in_userns = (c->clone_flags & CLONE_NEWUSER) != 0;
  for (int i = 0; i < c->n_join; i++)
    in_userns |= c->join_types[i] == CLONE_NEWUSER;
  if (devices_create(rootfd, s, in_userns, &err) < 0)
    init_fail(c, &err, false);
  _cleanup_close_ int tty = -1;
  if (p->terminal && c->console_fd >= 0) {
    tty = console_setup(rootfd, c->console_fd, p, &err);
    if (tty < 0)
      init_fail(c, &err, false);
    close(c->console_fd);
  }
  /* the runtime runs prestart/createRuntime hooks now, and hands us the
   * state for the hooks we run in the container's namespaces */
  static char state[VESSEL_ERROR_MAX] = "{}";
  if (c->hooks_sync) {
    if (sync_send(c->sync_fd, SYNC_RUN_HOOKS, -1, &err) < 0 ||
        init_expect(c, SYNC_HOOKS_DONE, state, &err) < 0)
      init_fail(c, &err, false);
  }
  localize_state_pid(state, sizeof state);
  if (s->hooks.n[SPEC_HOOK_CREATE_CONTAINER] &&
      hooks_run(&s->hooks, SPEC_HOOK_CREATE_CONTAINER, state, &err) < 0)
    init_fail(c, &err, false);

  if (rootfs_pivot(rootfd, c->no_pivot, &err) < 0 || rootfs_finish(c, &err) < 0)
    init_fail(c, &err, false);
  if (!c->no_new_keyring)
    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL); /* best effort, as runc */
  if (process_apply_limits(p, &err) < 0 || process_chdir(p, &err) < 0)
    init_fail(c, &err, false);
  _cleanup_free_ char *exe = NULL;
  if (process_find_executable(p, &exe, &err) < 0)
    init_fail(c, &err, false);
  if (tty >= 0 && console_become(tty, &err) < 0)
    init_fail(c, &err, false);
  static char agent_state[VESSEL_ERROR_MAX];
  if (c->seccomp_agent_fd >= 0 && init_expect(c, SYNC_AGENT_STATE, agent_state, &err) < 0)
    init_fail(c, &err, false);

  /* from here the runtime may be gone (create returns): no parent-death kill */
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (sync_send(c->sync_fd, SYNC_CREATED, -1, &err) < 0)
    _exit(1);
  bool detached = c->mode == INIT_MODE_CREATE;
  if (wait_for_start(c, &err) < 0)
    init_fail(c, &err, detached);
  if (s->hooks.n[SPEC_HOOK_START_CONTAINER] &&
      hooks_run(&s->hooks, SPEC_HOOK_START_CONTAINER, state, &err) < 0)
    init_fail(c, &err, detached);

  struct process_security sec = {.process = p,
                                 .seccomp = c->seccomp,
                                 .cap_last = c->cap_last,
                                 .preserve_fds = c->preserve_fds,
                                 .exec_stub = c->exec_stub};
  if (process_apply_security(&sec, &err) < 0)
    init_fail(c, &err, detached);
  if (sec.seccomp_listener >= 0 && c->seccomp_agent_fd >= 0) {
    if (seccomp_send_listener_fd(c->seccomp_agent_fd, sec.seccomp_listener, agent_state, &err) < 0)
      init_fail(c, &err, detached);
    close(sec.seccomp_listener);
    close(c->seccomp_agent_fd);
  }
  process_exec(exe, &sec, &err);
  init_fail(c, &err, detached);
}
