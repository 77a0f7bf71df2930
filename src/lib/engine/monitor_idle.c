/* vessel-monitor's side of the hand-over to its idle loop and back
 * (engine/monitor_handoff.h): the arguments, the fds kept across the exec. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/monitor.h"
#include "engine/monitor_handoff.h"
#include "util/cleanup.h"
#include "util/log.h"

/* vessel-monitor's own state, which the idle loop only carries back */
#define STATE_PID "pid="
#define STATE_STDIN "stdin="
#define STATE_STARTED "started="
#define STATE_BACKOFF "backoff="
#define STATE_HEALTHY "healthy="

#define MONITOR_ARGC 10

bool monitor_program_path(const char *env, const char *name, const char *vessel_exe,
                          char out[PATH_MAX])
{
  const char *set = getenv(env);
  const char *slash = strrchr(vessel_exe, '/');
  if (set && set[0])
    snprintf(out, PATH_MAX, "%s", set);
  else if (slash)
    snprintf(out, PATH_MAX, "%.*s/%s", (int)(slash - vessel_exe), vessel_exe, name);
  else
    return false;
  return access(out, X_OK) == 0;
}

static int fd_of(long long v)
{
  if (v < 0 || v > 1 << 20)
    return -1;
  fcntl((int)v, F_SETFD, FD_CLOEXEC); /* never into a container */
  return (int)v;
}

int monitor_handoff_parse(char *const *args, int n, struct monitor_handoff *h)
{
  *h = (struct monitor_handoff){
      .pidfd = -1, .out = -1, .err = -1, .stdin_keep = -1, .pending_out = -1, .pending_err = -1};
  long long v;
  for (int i = 0; i < n; i++) {
    const char *a = args[i];
    if (handoff_number(a, HANDOFF_REASON, &v))
      h->reason = (int)v;
    else if (handoff_number(a, HANDOFF_PIDFD, &v))
      h->pidfd = fd_of(v);
    else if (handoff_number(a, HANDOFF_OUT, &v))
      h->out = fd_of(v);
    else if (handoff_number(a, HANDOFF_ERR, &v))
      h->err = fd_of(v);
    else if (handoff_number(a, HANDOFF_PENDING_OUT, &v))
      h->pending_out = fd_of(v);
    else if (handoff_number(a, HANDOFF_PENDING_ERR, &v))
      h->pending_err = fd_of(v);
    else if (handoff_number(a, HANDOFF_HEALTH_AT, &v))
      h->health_at = v;
    else if (handoff_number(a, STATE_PID, &v))
      h->pid = (pid_t)v;
    else if (handoff_number(a, STATE_STDIN, &v))
      h->stdin_keep = fd_of(v);
    else if (handoff_number(a, STATE_STARTED, &v))
      h->started_ns = v;
    else if (handoff_number(a, STATE_BACKOFF, &v))
      h->backoff_ms = v;
    else if (handoff_number(a, STATE_HEALTHY, &v))
      h->healthy_once = v != 0;
    else
      return -1;
  }
  return h->reason >= HANDOFF_WHY_EXITED && h->reason <= HANDOFF_WHY_STAY && h->pid > 0 &&
                 h->pidfd >= 0
             ? 0
             : -1;
}

static bool inherit(int fd)
{
  return fd < 0 || fcntl(fd, F_SETFD, 0) == 0;
}

static void cloexec(const int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      fcntl(fds[i], F_SETFD, FD_CLOEXEC);
}

void monitor_handoff_exec(const struct monitor_params *p, int lock_fd, long long log_max_size,
                          int log_max_file, const struct monitor_handoff *h)
{
  if (!p->argv || !p->idle_exe)
    return;
  /* the binary we run from (a read-only mount of it): the way back */
  _cleanup_close_ int exe = open("/proc/self/exe", O_PATH | O_CLOEXEC);
  int fds[] = {exe,    p->dirfd,      lock_fd,        h->pidfd,      h->out,
               h->err, h->stdin_keep, h->pending_out, h->pending_err};
  size_t nfds = sizeof fds / sizeof fds[0];
  if (exe < 0)
    return;
  for (size_t i = 0; i < nfds; i++)
    if (!inherit(fds[i])) {
      cloexec(fds, nfds);
      return;
    }
  char num[15][64];
  const char *argv[MONITOR_ARGC + 32];
  size_t n = 0, k = 0;
  argv[n++] = "vessel-monitor";
  argv[n++] = p->id;
  argv[n++] = "idle";
  argv[n++] = handoff_format(num[k++], HANDOFF_PIDFD, h->pidfd);
  argv[n++] = handoff_format(num[k++], HANDOFF_OUT, h->out);
  argv[n++] = handoff_format(num[k++], HANDOFF_ERR, h->err);
  argv[n++] = handoff_format(num[k++], HANDOFF_PENDING_OUT, h->pending_out);
  argv[n++] = handoff_format(num[k++], HANDOFF_PENDING_ERR, h->pending_err);
  argv[n++] = handoff_format(num[k++], HANDOFF_HEALTH_AT, h->health_at);
  argv[n++] = handoff_format(num[k++], HANDOFF_DIR, p->dirfd);
  argv[n++] = handoff_format(num[k++], HANDOFF_LOG_MAX_SIZE, log_max_size);
  argv[n++] = handoff_format(num[k++], HANDOFF_LOG_MAX_FILE, log_max_file);
  argv[n++] = handoff_format(num[k++], HANDOFF_EXE, exe);
  argv[n++] = "--";
  for (int i = 0; i < MONITOR_ARGC; i++)
    argv[n++] = p->argv[i];
  /* its first start is over: no ready fd, and a later failure is no "made" */
  argv[n - 6] = "-1";
  argv[n - 1] = "started";
  argv[n++] = handoff_format(num[k++], STATE_PID, h->pid);
  argv[n++] = handoff_format(num[k++], STATE_STDIN, h->stdin_keep);
  argv[n++] = handoff_format(num[k++], STATE_STARTED, h->started_ns);
  argv[n++] = handoff_format(num[k++], STATE_BACKOFF, h->backoff_ms);
  argv[n++] = handoff_format(num[k++], STATE_HEALTHY, h->healthy_once);
  argv[n] = NULL;
  execv(p->idle_exe, (char *const *)argv);
  log_debug("exec `%s`: %s", p->idle_exe, strerror(errno));
  cloexec(fds, nfds);
}
