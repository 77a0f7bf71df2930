/* Running OCI hooks with the state on stdin and a timeout. */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

static const char *const hook_names[SPEC_HOOK_NKINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static int run_one(const struct spec_hook *h, const char *state, struct vessel_error *err)
{
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return vessel_error_set(err, errno, "hook `%s`: pipe", h->path);
  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return vessel_error_set(err, errno, "hook `%s`: fork", h->path);
  }
  if (pid == 0) {
    dup2(pipefd[0], 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *argv_default[] = {h->path, NULL};
    char *env_empty[] = {NULL};
    execve(h->path, h->args && h->args[0] ? h->args : argv_default, h->env ? h->env : env_empty);
    _exit(127);
  }
  close(pipefd[0]);
  /* a hook that exits without reading stdin must not kill us with SIGPIPE:
   * block it for the write and drop the one it raised */
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_set, &old);
  size_t len = strlen(state), off = 0;
  bool broken = false;
  while (off < len) {
    ssize_t w = write(pipefd[1], state + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      broken = w < 0 && errno == EPIPE;
      break;
    }
    off += (size_t)w;
  }
  close(pipefd[1]);
  if (broken) {
    struct timespec zero = {0, 0};
    sigtimedwait(&pipe_set, NULL, &zero);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0 && h->timeout > 0) {
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    int r;
    do
      r = poll(&pfd, 1, h->timeout * 1000);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return vessel_error_set(err, ETIMEDOUT, "hook `%s` timed out after %d s", h->path,
                              h->timeout);
    }
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return vessel_error_set(err, errno, "hook `%s`: wait", h->path);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return vessel_error_set(err, ENOENT, "hook `%s` could not be executed", h->path);
  if (WIFEXITED(status))
    return vessel_error_set(err, 0, "hook `%s` exited with status %d", h->path,
                            WEXITSTATUS(status));
  return vessel_error_set(err, 0, "hook `%s` killed by signal %d", h->path, WTERMSIG(status));
}

int hooks_run(const struct spec_hooks *h, enum spec_hook_kind kind, const char *state_json,
              struct vessel_error *err)
{
  for (size_t i = 0; i < h->n[kind]; i++)
    if (run_one(&h->hooks[kind][i], state_json, err) < 0)
      return vessel_error_prefix(err, "%s hook %zu", hook_names[kind], i);
  return 0;
}

void hooks_run_warn(const struct spec_hooks *h, enum spec_hook_kind kind, const char *state_json)
{
  for (size_t i = 0; i < h->n[kind]; i++) {
    struct vessel_error err;
    if (run_one(&h->hooks[kind][i], state_json, &err) < 0)
      log_warning("%s hook %zu: %s", hook_names[kind], i, err.msg);
  }
}
