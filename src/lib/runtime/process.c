/* Process identity and execve for the container init and exec. */
#include "process.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "util/cleanup.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char **env, const char *key)
{
  size_t n = strlen(key);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
      return env[i] + n + 1;
  return NULL;
}

/* An error whose text already says the cause: keep errno for the exit code
 * without repeating strerror. */
static int exec_error(struct vessel_error *err, int code, const char *what, const char *name)
{
  vessel_error_set(err, 0, "exec `%s`: %s", name, what);
  err->code = code;
  return -1;
}

/* In lowercase, as Go spells errno texts: dockerd gives 126 when the error
 * says "permission denied" (podman also for "is a directory"), 127 for "no
 * such file or directory", and 125 for anything it cannot match. */
static int exec_errno(struct vessel_error *err, int errnum, const char *name)
{
  char what[128];
  snprintf(what, sizeof what, "%s", errnum == EISDIR ? "is a directory" : strerror(errnum));
  for (char *c = what; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  return exec_error(err,
                    errnum == ENOENT   ? ENOENT
                    : errnum == EISDIR ? EACCES
                                       : errnum,
                    what, name);
}

static int is_executable(const char *path)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return -errno;
  if (S_ISDIR(st.st_mode))
    return -EISDIR;
  if (access(path, X_OK) < 0)
    return -errno;
  return 0;
}

int process_find_executable(const struct spec_process *p, char **out, struct vessel_error *err)
{
  const char *name = p->args[0];
  if (strchr(name, '/')) {
    int r = is_executable(name);
    if (r < 0)
      return exec_errno(err, -r, name);
    *out = strdup(name);
    return *out ? 0 : vessel_error_set(err, ENOMEM, "exec");
  }
  const char *path = env_get(p->env, "PATH");
  if (!path)
    path = DEFAULT_PATH;
  int first_error = ENOENT;
  const char *dir = path;
  while (dir) {
    const char *end = strchr(dir, ':');
    size_t len = end ? (size_t)(end - dir) : strlen(dir);
    char full[PATH_MAX];
    if (snprintf(full, sizeof full, "%.*s/%s", (int)len, len ? dir : ".", name) <
        (int)sizeof full) {
      int r = is_executable(full);
      if (r == 0) {
        *out = strdup(full);
        return *out ? 0 : vessel_error_set(err, ENOMEM, "exec");
      }
      if ((r == -EACCES || r == -EISDIR) && first_error == ENOENT)
        first_error = EACCES;
    }
    dir = end ? end + 1 : NULL;
  }
  if (first_error == EACCES)
    return exec_error(err, EACCES, "permission denied", name);
  return exec_error(err, ENOENT, "executable file not found in $PATH", name);
}

int process_parse_cpu_list(const char *list, void *cpu_set, unsigned setsize)
{
  cpu_set_t *set = cpu_set;
  CPU_ZERO_S(setsize, set);
  const char *p = list;
  while (*p) {
    char *end;
    unsigned long a = strtoul(p, &end, 10), b = a;
    if (end == p)
      return -1;
    if (*end == '-') {
      p = end + 1;
      b = strtoul(p, &end, 10);
      if (end == p || b < a)
        return -1;
    }
    if (b >= setsize * 8)
      return -1;
    for (unsigned long c = a; c <= b; c++)
      CPU_SET_S(c, setsize, set);
    if (*end == ',')
      end++;
    else if (*end)
      return -1;
    p = end;
  }
  return 0;
}

/* sched_setattr(2)'s argument; glibc 2.36 has neither wrapper nor type and
 * <linux/sched/types.h> clashes with <sched.h>. */
struct sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

static int apply_scheduling(const struct spec_process *p, struct vessel_error *err)
{
  if (p->io_priority.set) {
    int value = (p->io_priority.class_ << 13) | p->io_priority.priority;
    if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, value) < 0)
      return vessel_error_set(err, errno, "process.ioPriority");
  }
  if (p->scheduler.set) {
    struct sched_attr attr = {
        .size = sizeof attr,
        .sched_policy = (uint32_t)p->scheduler.policy,
        .sched_flags = p->scheduler.flags,
        .sched_nice = p->scheduler.nice,
        .sched_priority = (uint32_t)p->scheduler.priority,
        .sched_runtime = p->scheduler.runtime,
        .sched_deadline = p->scheduler.deadline,
        .sched_period = p->scheduler.period,
    };
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
      return vessel_error_set(err, errno, "process.scheduler");
  }
  if (p->exec_cpu_affinity_initial) {
    cpu_set_t set;
    if (process_parse_cpu_list(p->exec_cpu_affinity_initial, &set, sizeof set) < 0)
      return vessel_error_set(err, EINVAL, "process.execCPUAffinity.initial: bad cpu list `%s`",
                              p->exec_cpu_affinity_initial);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
      return vessel_error_set(err, errno, "process.execCPUAffinity.initial");
  }
  return 0;
}

int process_apply_limits(const struct spec_process *p, struct vessel_error *err)
{
  if (apply_scheduling(p, err) < 0)
    return -1;
  for (size_t i = 0; i < p->n_rlimits; i++) {
    struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
    if (setrlimit(p->rlimits[i].resource, &rl) < 0)
      return vessel_error_set(
          err, errno, "process.rlimits[%zu]: setrlimit %d (soft %llu, hard %llu)", i,
          p->rlimits[i].resource, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
  }
  return 0;
}

int process_chdir(const struct spec_process *p, struct vessel_error *err)
{
  const char *cwd = p->cwd && p->cwd[0] ? p->cwd : "/";
  if (chdir(cwd) < 0)
    return vessel_error_set(err, errno, "chdir to cwd `%s`", cwd);
  /* a cwd reached through a leaked host fd has no path in this root
   * (CVE-2024-21626): getcwd fails or does not start with '/' */
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf) || buf[0] != '/')
    return vessel_error_set(err, EPERM, "cwd `%s` is outside the container", cwd);
  return 0;
}

static int install_seccomp(struct process_security *s, struct vessel_error *err)
{
  int r = seccomp_program_install(s->seccomp, err);
  if (r < 0)
    return -1;
  if (r > 0)
    s->seccomp_listener = r;
  return 0;
}

int process_apply_security(struct process_security *s, struct vessel_error *err)
{
  const struct spec_process *p = s->process;
  s->seccomp_listener = -1;
  /* without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it while
   * we still have it; with no_new_privs, as late as possible so the filter
   * need not allow the runtime's own syscalls */
  if (s->seccomp && !p->no_new_privileges && install_seccomp(s, err) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return vessel_error_set(err, errno, "keep capabilities");
  if (caps_apply_bounding(&p->caps, s->cap_last, err) < 0)
    return -1;
  gid_t gids[256];
  size_t ng = p->user.n_additional_gids < 256 ? p->user.n_additional_gids : 256;
  for (size_t i = 0; i < ng; i++)
    gids[i] = p->user.additional_gids[i];
  if (setgroups(ng, gids) < 0 && errno != EPERM)
    return vessel_error_set(err, errno, "setgroups");
  if (setresgid(p->user.gid, p->user.gid, p->user.gid) < 0)
    return vessel_error_set(err, errno, "setgid %u", p->user.gid);
  if (setresuid(p->user.uid, p->user.uid, p->user.uid) < 0)
    return vessel_error_set(err, errno, "setuid %u", p->user.uid);
  if (caps_apply(&p->caps, s->cap_last, err) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return vessel_error_set(err, errno, "clear keep capabilities");
  umask(p->user.umask.set ? (mode_t)p->user.umask.v : 022);
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return vessel_error_set(err, errno, "set no_new_privs");
  if (s->seccomp && p->no_new_privileges && install_seccomp(s, err) < 0)
    return -1;
  /* no host fd reaches the container: everything above the preserved range
   * closes at execve; the preserved ones must survive it */
  unsigned first = 3 + s->preserve_fds;
  if (s->exec_stub >= 0 && (unsigned)s->exec_stub < first &&
      (s->exec_stub = fcntl(s->exec_stub, F_DUPFD_CLOEXEC, (int)first)) < 0)
    return vessel_error_set(err, errno, "move the exec stub above the preserved fds");
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return vessel_error_set(err, errno, "close_range");
  for (unsigned fd = 3; fd < first; fd++)
    fcntl((int)fd, F_SETFD, 0);
  return 0;
}

int process_exec(const char *path, const struct process_security *s, struct vessel_error *err)
{
  const struct spec_process *p = s->process;
  char *empty[] = {NULL};
  char **env = p->env ? p->env : empty;
  if (s->exec_stub >= 0) {
    /* the stub runs execve(PATH, ARGS..., env) */
    size_t n = 0;
    while (p->args[n])
      n++;
    char **argv = calloc(n + 2, sizeof *argv);
    if (!argv)
      return vessel_error_set(err, ENOMEM, "exec `%s`", p->args[0]);
    argv[0] = (char *)path;
    memcpy(argv + 1, p->args, n * sizeof *argv);
    syscall(SYS_execveat, s->exec_stub, "", argv, env, AT_EMPTY_PATH);
    int e = errno;
    free(argv);
    return vessel_error_set(err, e, "start the exec stub for `%s`", p->args[0]);
  }
  execve(path, p->args, env);
  return exec_errno(err, errno, p->args[0]);
}

int process_exec_error_status(int errnum)
{
  return errnum == ENOENT ? 127 : 126;
}
