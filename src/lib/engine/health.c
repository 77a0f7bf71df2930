/* Health checks: a probe is `sh -c CMD` run in the container by `vessel
 * exec`, a child of the monitor so that the monitor's loop never waits for it;
 * its result goes into the record as docker keeps it (State.Health). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/monitor.h"
#include "util/cleanup.h"

int health_probe_spawn(const struct monitor_params *p, const char *cmd, pid_t *pid, int *pidfd,
                       int *out_fd, struct vessel_error *err)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return vessel_error_set(err, errno, "health check pipe");
  pid_t child = fork();
  if (child < 0) {
    close(fds[0]);
    close(fds[1]);
    return vessel_error_set(err, errno, "fork the health check");
  }
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0)
      _exit(ENGINE_EXIT_FAILED);
    /* vessel exec forwards SIGTERM (a timeout) to the probe's process */
    const char *argv[] = {"vessel", "--root",  p->root, "--runroot", p->runroot, "exec",
                          p->id,    "/bin/sh", "-c",    cmd,         NULL};
    execv(p->vessel_exe, (char *const *)argv);
    _exit(ENGINE_EXIT_CANNOT_EXEC);
  }
  close(fds[1]);
  int fd = (int)syscall(SYS_pidfd_open, child, 0);
  if (fd < 0) {
    int e2 = errno;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(fds[0]);
    return vessel_error_set(err, e2, "pidfd of the health check");
  }
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  *pid = child;
  *pidfd = fd;
  *out_fd = fds[0];
  return 0;
}

struct result {
  struct engine_health_result *r;
  bool counts;
  int retries;
};

static int set_status(struct engine_container *c, const char *status)
{
  char *s = strdup(status);
  if (!s)
    return -1;
  free(c->health_status);
  c->health_status = s;
  return 0;
}

static int apply_result(struct engine_container *c, void *data)
{
  struct result *x = data;
  struct engine_health_result copy = {.exit_code = x->r->exit_code};
  if (!(copy.start = strdup(x->r->start ? x->r->start : "")) || !(copy.end = strdup(x->r->end)) ||
      !(copy.output = strdup(x->r->output ? x->r->output : ""))) {
    free(copy.start);
    free(copy.end);
    free(copy.output);
    return -1;
  }
  if (c->n_health_log == ENGINE_HEALTH_LOG) {
    free(c->health_log[0].start);
    free(c->health_log[0].end);
    free(c->health_log[0].output);
    memmove(&c->health_log[0], &c->health_log[1],
            (ENGINE_HEALTH_LOG - 1) * sizeof c->health_log[0]);
    c->n_health_log--;
  }
  c->health_log[c->n_health_log++] = copy;
  if (x->r->exit_code == 0) {
    c->health_failing_streak = 0;
    return set_status(c, "healthy");
  }
  if (!x->counts)
    return c->health_status ? 0 : set_status(c, "starting");
  c->health_failing_streak++;
  if (c->health_failing_streak >= x->retries)
    return set_status(c, "unhealthy");
  return c->health_status ? 0 : set_status(c, "starting");
}

int health_record(int dirfd, struct engine_health_result *r, bool counts, int retries,
                  struct vessel_error *err)
{
  struct result x = {.r = r, .counts = counts, .retries = retries};
  return record_update(dirfd, apply_result, &x, NULL, err);
}

static int apply_reset(struct engine_container *c, void *data)
{
  (void)data;
  c->health_failing_streak = 0;
  return set_status(c, "starting");
}

int health_reset(int dirfd, struct vessel_error *err)
{
  return record_update(dirfd, apply_reset, NULL, NULL, err);
}
