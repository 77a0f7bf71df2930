/* create: parse the bundle, make the cgroup, clone the init into its
 * namespaces, answer its handshake, record the container. */
#include "create.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "console.h"
#include "hooks.h"
#include "idmap.h"
#include "record.h"
#include "exec_stub.h"
#include "util/timefmt.h"
#include "seccomp_cache.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

struct spec *container_load_spec(int recfd, struct vessel_error *err)
{
  _cleanup_free_ char *text = NULL;
  if (record_read_config(recfd, &text, err) < 0)
    return NULL;
  return spec_parse(text, strlen(text), err);
}

void created_container_release(struct created_container *cc)
{
  if (cc->pidfd >= 0)
    close(cc->pidfd);
  if (cc->sync_fd >= 0)
    close(cc->sync_fd);
  if (cc->console_master >= 0)
    close(cc->console_master);
  if (cc->cg)
    cgroup_free(cc->cg);
  cc->pidfd = cc->sync_fd = cc->console_master = -1;
  cc->cg = NULL;
}

/* Everything create made, undone in reverse on failure. */
struct create_state {
  const struct runtime_ctx *ctx;
  const char *id;
  bool record_made;
  struct cgroup *cg;
  bool cg_made;
  pid_t pid;
};

static void create_rollback(struct create_state *st)
{
  struct vessel_error ignore;
  if (st->pid > 0) {
    kill(st->pid, SIGKILL);
    waitpid(st->pid, NULL, 0);
  }
  if (st->cg && st->cg_made)
    cgroup_destroy(st->cg, true, &ignore);
  if (st->record_made)
    record_remove(st->ctx, st->id, &ignore);
}

static const int ns_join_order[] = {CLONE_NEWUSER, CLONE_NEWIPC,    CLONE_NEWUTS,
                                    CLONE_NEWNET,  CLONE_NEWCGROUP, CLONE_NEWNS};

/* Decides which namespaces the clone creates and which the init joins. pid
 * and time are joined (or, for time, made) by the runtime itself before the
 * clone, as they only apply to children. */
static int plan_namespaces(const struct spec *s, struct init_config *c, int *pid_join_fd,
                           int *time_join_fd, struct vessel_error *err)
{
  const struct spec_linux *l = &s->linux_;
  *pid_join_fd = -1;
  *time_join_fd = -1;
  for (size_t k = 0; k < ARRAY_SIZE(ns_join_order) + 2; k++) {
    int type = k < ARRAY_SIZE(ns_join_order)    ? ns_join_order[k]
               : k == ARRAY_SIZE(ns_join_order) ? CLONE_NEWPID
                                                : CLONE_NEWTIME;
    for (size_t i = 0; i < l->n_namespaces; i++) {
      if (l->namespaces[i].type != type)
        continue;
      const char *path = l->namespaces[i].path;
      if (!path || !path[0]) {
        c->clone_flags |= (unsigned long)type;
        continue;
      }
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return vessel_error_set(err, errno, "linux.namespaces[%zu].path `%s`", i, path);
      if (type == CLONE_NEWPID) {
        *pid_join_fd = fd;
      } else if (type == CLONE_NEWTIME) {
        *time_join_fd = fd;
      } else {
        c->join_fds[c->n_join] = fd;
        c->join_types[c->n_join++] = type;
      }
    }
  }
  if ((c->clone_flags & CLONE_NEWUSER) && (!l->n_uid_mappings || !l->n_gid_mappings))
    return vessel_error_set(err, EINVAL,
                            "linux.uidMappings: a new user namespace needs uid and gid mappings");
  if (s->hostname && s->hostname[0] && !(c->clone_flags & CLONE_NEWUTS)) {
    bool joined = false;
    for (int i = 0; i < c->n_join; i++)
      joined |= c->join_types[i] == CLONE_NEWUTS;
    if (!joined)
      return vessel_error_set(err, EINVAL, "hostname: setting the hostname needs a UTS namespace");
  }
  return 0;
}

/* A sysctl may only be set when it belongs to a namespace of the container's
 * own: anything else would change the host (as runc's validation). */
static int check_sysctls(const struct spec *s, unsigned long new_ns, const struct init_config *c,
                         struct vessel_error *err)
{
  unsigned long have = new_ns;
  for (int i = 0; i < c->n_join; i++)
    have |= (unsigned long)c->join_types[i];
  for (size_t i = 0; i < s->linux_.n_sysctl; i++) {
    const char *k = s->linux_.sysctl[i].key;
    unsigned long need = 0;
    if (!strncmp(k, "net.", 4))
      need = CLONE_NEWNET;
    else if (!strncmp(k, "kernel.msg", 10) || !strcmp(k, "kernel.sem") ||
             !strncmp(k, "kernel.shm", 10) || !strncmp(k, "fs.mqueue.", 10))
      need = CLONE_NEWIPC;
    else if (!strcmp(k, "kernel.hostname") || !strcmp(k, "kernel.domainname"))
      need = CLONE_NEWUTS;
    else
      return vessel_error_set(err, EINVAL,
                              "linux.sysctl: `%s` is not namespaced: it would change the host", k);
    if (!(have & need))
      return vessel_error_set(err, EINVAL,
                              "linux.sysctl: `%s` needs a %s namespace of the container's own", k,
                              spec_namespace_name((int)need));
  }
  return 0;
}

static int write_id_map(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                        struct vessel_error *err)
{
  char buf[4096];
  size_t off = 0;
  for (size_t i = 0; i < n && off < sizeof buf; i++)
    off += (size_t)snprintf(buf + off, sizeof buf - off, "%u %u %u\n", m[i].container_id,
                            m[i].host_id, m[i].size);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  if (fs_write_fileat(AT_FDCWD, path, buf, off, err) < 0)
    return vessel_error_prefix(err, "user namespace %s", file);
  return 0;
}

static int write_time_offsets(const struct spec_linux *l, struct vessel_error *err)
{
  char buf[128];
  int n = snprintf(buf, sizeof buf, "monotonic %lld %u\nboottime %lld %u\n",
                   (long long)l->time_offsets.monotonic_secs, l->time_offsets.monotonic_nsecs,
                   (long long)l->time_offsets.boottime_secs, l->time_offsets.boottime_nsecs);
  return fs_write_fileat(AT_FDCWD, "/proc/self/timens_offsets", buf, (size_t)n, err);
}

static char *annotations_json(const struct spec *s)
{
  if (!s->n_annotations)
    return NULL;
  json_t *o = json_object();
  for (size_t i = 0; i < s->n_annotations; i++)
    json_object_set_new(o, s->annotations[i].key, json_string(s->annotations[i].value));
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return text;
}

/* The device rules every container gets after its own, as runc's: mknod of
 * anything, and rwm of the default nodes, ptys and tun. */
static const struct spec_device_rule default_device_rules[] = {
    {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"},
    {true, 'c', 1, 8, "rwm"}, {true, 'c', 1, 7, "rwm"},    {true, 'c', 5, 0, "rwm"},
    {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 9, "rwm"},    {true, 'c', 136, -1, "rwm"},
    {true, 'c', 5, 2, "rwm"}, {true, 'c', 10, 200, "rwm"},
};

/* Appends the default rules to the spec's device rules (when it has any). */
static int add_default_device_rules(struct spec_resources *r, struct vessel_error *err)
{
  if (!r || !r->n_devices)
    return 0;
  size_t n = r->n_devices + ARRAY_SIZE(default_device_rules);
  struct spec_device_rule *v = realloc(r->devices, n * sizeof *v);
  if (!v)
    return vessel_error_set(err, ENOMEM, "device rules");
  memcpy(v + r->n_devices, default_device_rules, sizeof default_device_rules);
  r->devices = v;
  r->n_devices = n;
  return 0;
}

static pid_t clone_init(unsigned long flags, int cgroup_fd, int *pidfd)
{
  struct clone_args args = {
      .flags = flags | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
      .pidfd = (uint64_t)(uintptr_t)pidfd,
      .exit_signal = SIGCHLD,
      .cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
  };
  return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

static int read_bundle_config(const char *bundle, char **text, size_t *len,
                              struct vessel_error *err)
{
  _cleanup_close_ int dir = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return vessel_error_set(err, errno, "bundle `%s`", bundle);
  if (fs_read_fileat(dir, "config.json", text, len, err) < 0)
    return vessel_error_prefix(err, "bundle `%s`", bundle);
  return 0;
}

/* The containerProcessState the seccomp agent receives with the listener fd
 * (runtime-spec config-linux.md), handed to the init that will send it. */
static int send_agent_state(int sync_fd, const struct container_record *rec, const char *metadata,
                            struct vessel_error *err)
{
  _cleanup_free_ char *text = NULL;
  json_t *state =
      json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", SPEC_OCI_VERSION, "id", rec->id,
                "status", "created", "pid", (int)rec->pid, "bundle", rec->bundle);
  json_t *o =
      json_pack("{s:s, s:[s], s:i, s:s, s:o}", "ociVersion", SPEC_OCI_VERSION, "fds", "seccompFd",
                "pid", (int)rec->pid, "metadata", metadata ? metadata : "", "state", state);
  if (o)
    text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!text || strlen(text) >= VESSEL_ERROR_MAX)
    return vessel_error_set(err, E2BIG, "seccomp agent state too large");
  return sync_send_text(sync_fd, SYNC_AGENT_STATE, text, err);
}

/* Answers the init until it reports it is created. */
static int serve_init(struct create_state *st, const struct spec *s, struct container_record *rec,
                      int sync_fd, struct vessel_error *err)
{
  for (;;) {
    struct sync_msg m;
    int fd = -1;
    if (sync_recv(sync_fd, &m, &fd, err) < 0)
      return -1;
    switch (m.type) {
    case SYNC_RUN_HOOKS: {
      _cleanup_free_ char *state = record_state_json(rec, CONTAINER_CREATING);
      if (hooks_run(&s->hooks, SPEC_HOOK_PRESTART, state, err) < 0 ||
          hooks_run(&s->hooks, SPEC_HOOK_CREATE_RUNTIME, state, err) < 0) {
        sync_send_error(sync_fd, err);
        return -1;
      }
      if (sync_send_text(sync_fd, SYNC_HOOKS_DONE, state, err) < 0)
        return -1;
      break;
    }
    case SYNC_CREATED:
      return 0;
    case SYNC_ERROR:
      err->code = m.code;
      memcpy(err->msg, m.text, sizeof err->msg);
      return -1;
    default:
      if (fd >= 0)
        close(fd);
      return vessel_error_set(err, EPROTO, "unexpected message %d from container init", m.type);
    }
  }
}

int container_create(const struct runtime_ctx *ctx, const struct runtime_create_opts *o,
                     enum init_mode mode, struct created_container *out, struct vessel_error *err)
{
  if (runtime_check_id(o->id, err) < 0)
    return -1;
  if (ctx->systemd_cgroup && access("/run/systemd/system", F_OK) < 0)
    return vessel_error_set(err, ENOTSUP,
                            "--systemd-cgroup: systemd is not running on this host "
                            "(use the cgroupfs driver)");
  char bundle[PATH_MAX];
  if (!realpath(o->bundle && o->bundle[0] ? o->bundle : ".", bundle))
    return vessel_error_set(err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
  _cleanup_free_ char *config = NULL;
  size_t config_len;
  if (o->config) {
    if (!(config = strdup(o->config)))
      return vessel_error_set(err, ENOMEM, "config.json");
    config_len = strlen(config);
  } else if (read_bundle_config(bundle, &config, &config_len, err) < 0) {
    return -1;
  }
  struct spec *s = o->config && o->config_json ? spec_parse_json(o->config_json, err)
                                               : spec_parse(config, config_len, err);
  if (!s)
    return vessel_error_prefix(err, "config.json");
  int r = -1;
  struct create_state st = {.ctx = ctx, .id = o->id, .pid = -1};
  struct init_config c = {.spec = s,
                          .bundle = bundle,
                          .mode = mode,
                          .sync_fd = -1,
                          .console_fd = -1,
                          .start_pipe = {-1, -1},
                          .exec_pipe = {-1, -1},
                          .seccomp_agent_fd = -1};
  int console_ours = -1, master = -1;
  int time_join_fd = -1;
  int *idmap_fds = NULL;
  int sv[2] = {-1, -1}, pid_join_fd = -1, own_pid_ns = -1, own_time_ns = -1, cgroup_fd = -1;
  struct cgroup_join join = {.clone_fd = -1};
  _cleanup_close_ int recfd = -1;
  _cleanup_free_ char *annotations = NULL;
  struct seccomp_program seccomp = {0};
  char rootfs[PATH_MAX];
  struct container_record rec = {0};

  if (!s->process.present) {
    vessel_error_set(err, EINVAL, "config.json: process: missing");
    goto out;
  }
  {
    char joined[PATH_MAX * 2];
    const char *root = s->root_path;
    if (root[0] != '/') {
      snprintf(joined, sizeof joined, "%s/%s", bundle, root);
      root = joined;
    }
    if (!realpath(root, rootfs)) {
      vessel_error_set(err, errno, "root.path `%s`", s->root_path);
      goto out;
    }
    c.rootfs = rootfs;
  }
  /* a foreground run keeps the terminal itself; anything detached must hand
   * it to the caller */
  bool own_terminal = s->process.terminal && !o->console_socket && mode == INIT_MODE_RUN;
  if (s->process.terminal && !o->console_socket && !own_terminal) {
    vessel_error_set(err, EINVAL, "process.terminal is true: --console-socket is required");
    goto out;
  }
  if (s->process.apparmor_profile && s->process.apparmor_profile[0] &&
      access("/sys/kernel/security/apparmor", F_OK) < 0)
    log_warning("apparmor profile `%s` ignored: apparmor is not enabled on this host",
                s->process.apparmor_profile);
  if (s->process.selinux_label && s->process.selinux_label[0] &&
      access("/sys/fs/selinux/enforce", F_OK) < 0)
    log_warning("selinux label ignored: selinux is not enabled on this host");
  if (plan_namespaces(s, &c, &pid_join_fd, &time_join_fd, err) < 0)
    goto out;
  if (check_sysctls(s, c.clone_flags, &c, err) < 0)
    goto out;
  if (idmap_prepare(s, &idmap_fds, err) < 0)
    goto out;
  c.idmap_fds = idmap_fds;
  if (s->linux_.seccomp) {
    char cache[PATH_MAX];
    snprintf(cache, sizeof cache, "%s/.seccomp-cache", ctx->state_root);
    if (seccomp_build_cached(s->linux_.seccomp, cache, &seccomp, err) < 0)
      goto out;
  }
  c.seccomp = s->linux_.seccomp ? &seccomp : NULL;
  c.exec_stub = exec_stub_for(s->linux_.seccomp, err);
  if (c.exec_stub < -1)
    goto out;
  /* the agent is reached from the host, before the init enters the container */
  if (seccomp.notify) {
    const char *agent = s->linux_.seccomp->listener_path;
    c.seccomp_agent_fd = seccomp_agent_connect(agent, err);
    if (c.seccomp_agent_fd < 0)
      goto out;
  }
  c.cap_last = caps_last_cap();
  caps_limit_to_own(&s->process.caps, c.cap_last);
  c.no_pivot = o->no_pivot;
  c.no_new_keyring = o->no_new_keyring;
  c.preserve_fds = o->preserve_fds;

  recfd = record_claim(ctx, o->id, err);
  if (recfd < 0)
    goto out;
  st.record_made = true;

  enum cgroup_mode cg_mode;
  if (cgroup_detect(CGROUP_ROOT, &cg_mode, err) < 0)
    goto out;
  if (add_default_device_rules(s->linux_.resources, err) < 0)
    goto out;
  st.cg = cgroup_new(CGROUP_ROOT, cg_mode, s->linux_.cgroups_path, o->id, err);
  if (!st.cg)
    goto out;
  annotations = annotations_json(s);
  rec.id = (char *)o->id;
  rec.bundle = bundle;
  rec.rootfs = rootfs;
  rec.annotations_json = annotations;
  rec.cgroup_path = (char *)cgroup_path(st.cg);
  rec.cgroup_mode = cg_mode;
  rec.start_fd = -1;
  rec.exec_fd = -1;
  rec.has_poststart = s->hooks.n[SPEC_HOOK_POSTSTART] > 0;
  rec.has_poststop = s->hooks.n[SPEC_HOOK_POSTSTOP] > 0;
  char created[TIME_RFC3339_MAX];
  time_rfc3339_now(created);
  rec.created = created;
  /* a record of what exists before it exists: if this process is killed
   * from here on, `delete --force` finds the cgroup to remove */
  if (record_write(recfd, &rec, config, err) < 0 ||
      cgroup_create(st.cg, s->linux_.resources, err) < 0)
    goto out;
  st.cg_made = true;
  c.cgroup_path = cgroup_path(st.cg);
  c.cgroup_mode = cg_mode;
  if (cgroup_join_prepare(st.cg, &join, err) < 0)
    goto out;
  c.cgroup_join = &join;
  cgroup_fd = join.clone_fd;
  /* on v1 the init is moved into its cgroup after the clone: its cgroup
   * namespace must be made after that, by the init itself */
  if (join.n && (c.clone_flags & CLONE_NEWCGROUP)) {
    c.clone_flags &= ~(unsigned long)CLONE_NEWCGROUP;
    c.unshare_cgroupns = true;
  }
  c.wait_go = (c.clone_flags & CLONE_NEWUSER) != 0;
  c.hooks_sync = s->hooks.n[SPEC_HOOK_PRESTART] || s->hooks.n[SPEC_HOOK_CREATE_RUNTIME] ||
                 s->hooks.n[SPEC_HOOK_CREATE_CONTAINER] || s->hooks.n[SPEC_HOOK_START_CONTAINER];

  if (o->console_socket && s->process.terminal) {
    c.console_fd = console_socket_connect(o->console_socket, err);
    if (c.console_fd < 0)
      goto out;
  } else if (own_terminal) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
      vessel_error_set(err, errno, "socketpair");
      goto out;
    }
    console_ours = pair[0];
    c.console_fd = pair[1];
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    vessel_error_set(err, errno, "socketpair");
    goto out;
  }
  if (mode == INIT_MODE_CREATE && pipe2(c.start_pipe, O_CLOEXEC) < 0) {
    vessel_error_set(err, errno, "pipe");
    goto out;
  }
  /* poststart hooks run once the process has exec'd: `start` learns it from
   * this pipe's EOF (the init's end closes at execve) */
  if (mode == INIT_MODE_CREATE && rec.has_poststart && pipe2(c.exec_pipe, O_CLOEXEC) < 0) {
    vessel_error_set(err, errno, "pipe");
    goto out;
  }
  c.sync_fd = sv[1];

  rec.start_fd = c.start_pipe[1];
  rec.exec_fd = c.exec_pipe[0];
  if (mode == INIT_MODE_CREATE) {
    struct stat pst;
    if (fstat(c.start_pipe[1], &pst) == 0)
      rec.start_pipe_ino = (unsigned long long)pst.st_ino;
  }

  /* pid and time namespaces apply to children only: enter (or make) them
   * for the clone, then return to ours */
  if (pid_join_fd >= 0) {
    own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (setns(pid_join_fd, CLONE_NEWPID) < 0) {
      vessel_error_set(err, errno, "join pid namespace");
      goto out;
    }
  }
  if (time_join_fd >= 0) {
    own_time_ns = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
    if (setns(time_join_fd, CLONE_NEWTIME) < 0) {
      vessel_error_set(err, errno, "join time namespace");
      goto out;
    }
  } else if (c.clone_flags & CLONE_NEWTIME) {
    c.clone_flags &= ~(unsigned long)CLONE_NEWTIME;
    own_time_ns = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
    if (unshare(CLONE_NEWTIME) < 0) {
      vessel_error_set(err, errno, "unshare the time namespace");
      goto out;
    }
    if (s->linux_.time_offsets.set && write_time_offsets(&s->linux_, err) < 0)
      goto out;
  }
  fflush(NULL);
  int pidfd = -1;
  pid_t pid = clone_init(c.clone_flags, cgroup_fd, &pidfd);
  if (pid == 0) {
    close(sv[0]);
    init_main(&c);
  }
  int clone_errno = errno;
  if (own_pid_ns >= 0)
    setns(own_pid_ns, CLONE_NEWPID);
  if (own_time_ns >= 0)
    setns(own_time_ns, CLONE_NEWTIME);
  if (pid < 0) {
    vessel_error_set(err, clone_errno, "clone the container init");
    goto out;
  }
  st.pid = pid;
  close(sv[1]);
  sv[1] = -1;
  if (c.clone_flags & CLONE_NEWUSER) {
    if (write_id_map(pid, "uid_map", s->linux_.uid_mappings, s->linux_.n_uid_mappings, err) < 0 ||
        write_id_map(pid, "gid_map", s->linux_.gid_mappings, s->linux_.n_gid_mappings, err) < 0)
      goto out;
  }
  /* an init that already failed has closed its end: its error message is
   * still queued, and serve_init reports it */
  if (c.wait_go) {
    struct vessel_error ignore;
    sync_send(sv[0], SYNC_GO, -1, &ignore);
  }
  rec.pid = pid;
  if (c.seccomp_agent_fd >= 0 &&
      send_agent_state(sv[0], &rec, s->linux_.seccomp->listener_metadata, err) < 0)
    goto out;
  if (serve_init(&st, s, &rec, sv[0], err) < 0)
    goto out;
  if (console_ours >= 0 && (master = console_receive_master(console_ours, err)) < 0)
    goto out;
  rec.start_time = proc_start_time(pid);
  if (record_write(recfd, &rec, config, err) < 0)
    goto out;
  if (o->pid_file) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", o->pid_file);
    char *slash = strrchr(path, '/');
    _cleanup_close_ int pdir = -1;
    const char *name = path;
    if (slash) {
      *slash = '\0';
      pdir = open(path[0] ? path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      name = slash + 1;
    }
    if (fs_write_atomic(slash ? pdir : AT_FDCWD, name, buf, (size_t)n, false, err) < 0) {
      vessel_error_prefix(err, "--pid-file");
      goto out;
    }
  }
  out->pid = pid;
  out->pidfd = pidfd;
  out->sync_fd = sv[0];
  sv[0] = -1;
  out->console_master = master;
  out->has_poststart = rec.has_poststart;
  out->has_poststop = rec.has_poststop;
  out->cg = TAKE_PTR(st.cg);
  master = -1;
  st.pid = -1;
  st.record_made = false;
  st.cg_made = false;
  r = 0;
out:
  if (r < 0)
    create_rollback(&st);
  if (st.cg)
    cgroup_free(st.cg);
  for (int i = 0; i < 2; i++) {
    if (sv[i] >= 0)
      close(sv[i]);
    if (c.start_pipe[i] >= 0)
      close(c.start_pipe[i]);
    if (c.exec_pipe[i] >= 0)
      close(c.exec_pipe[i]);
  }
  for (int i = 0; i < c.n_join; i++)
    close(c.join_fds[i]);
  if (c.console_fd >= 0)
    close(c.console_fd);
  if (c.seccomp_agent_fd >= 0)
    close(c.seccomp_agent_fd);
  if (console_ours >= 0)
    close(console_ours);
  if (master >= 0)
    close(master);
  if (pid_join_fd >= 0)
    close(pid_join_fd);
  if (time_join_fd >= 0)
    close(time_join_fd);
  if (own_pid_ns >= 0)
    close(own_pid_ns);
  if (own_time_ns >= 0)
    close(own_time_ns);
  cgroup_join_close(&join); /* cgroup_fd is join's */
  idmap_release(idmap_fds, s->n_mounts);
  seccomp_program_free(&seccomp);
  spec_free(s);
  return r;
}
