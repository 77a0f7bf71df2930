/* run: create + start in one step. In the foreground the runtime stays,
 * forwards signals, waits for the container and deletes it. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "create.h"
#include "hooks.h"
#include "record.h"
#include "runtime.h"
#include "sync.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/log.h"

static const int forwarded[] = {SIGINT,  SIGTERM, SIGHUP,   SIGQUIT,
                                SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

int container_exit_code(int status)
{
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

int container_wait_forwarding(pid_t pid, int pidfd)
{
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  _cleanup_close_ int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  struct pollfd pfd[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
  for (;;) {
    int r = poll(pfd, 2, -1);
    if (r < 0 && errno != EINTR)
      break;
    if (pfd[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof si) == sizeof si)
        syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
    }
    if (pfd[0].revents & POLLIN)
      break;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  sigprocmask(SIG_SETMASK, &old, NULL);
  return container_exit_code(status);
}

static void run_poststart(const struct runtime_ctx *ctx, const char *id)
{
  struct vessel_error err;
  _cleanup_close_ int recfd = record_open(ctx, id, &err);
  struct spec *s = recfd >= 0 ? container_load_spec(recfd, &err) : NULL;
  if (s && s->hooks.n[SPEC_HOOK_POSTSTART]) {
    _cleanup_free_ char *state = NULL;
    runtime_state_json(ctx, id, &state, &err);
    hooks_run_warn(&s->hooks, SPEC_HOOK_POSTSTART, state ? state : "{}");
  }
  spec_free(s);
}

/* Lets a container created in run mode exec its process: 0 once it runs,
 * -1 when it could not be executed (err has why). */
static int run_handshake(const struct runtime_ctx *ctx, const char *id,
                         const struct created_container *cc, struct vessel_error *err)
{
  struct vessel_error ignore;
  if (sync_send(cc->sync_fd, SYNC_START, -1, err) < 0)
    return -1;
  /* the sync socket closes on execve: EOF means the process runs; an error
   * message means it could not be executed */
  struct sync_msg m;
  if (sync_recv(cc->sync_fd, &m, NULL, &ignore) == 0 && m.type == SYNC_ERROR) {
    err->code = m.code;
    memcpy(err->msg, m.text, sizeof err->msg);
    return -1;
  }
  crashpoint("runtime-started");
  if (cc->has_poststart)
    run_poststart(ctx, id);
  return 0;
}

/* Starts a container created in run mode, waits for it and deletes it. */
static int run_foreground(const struct runtime_ctx *ctx, const char *id, bool keep,
                          const struct created_container *cc, int *status, struct vessel_error *err)
{
  struct vessel_error ignore;
  if (run_handshake(ctx, id, cc, err) < 0)
    goto fail;
  if (cc->console_master >= 0)
    *status = console_proxy_wait(cc->pid, cc->pidfd, cc->console_master);
  else
    *status = container_wait_forwarding(cc->pid, cc->pidfd);
  if (keep)
    return 0;
  /* the common case needs neither the record nor the config again: remove
   * what create made, from what create still holds */
  if (!cc->has_poststop && cc->cg) {
    if (cgroup_destroy(cc->cg, true, err) < 0)
      return -1;
    return record_remove(ctx, id, err);
  }
  return runtime_delete(ctx, id, true, err);
fail:
  runtime_delete(ctx, id, true, &ignore);
  waitpid(cc->pid, NULL, 0);
  return -1;
}

int runtime_run(const struct runtime_ctx *ctx, const struct runtime_create_opts *o, bool detach,
                int *status, struct vessel_error *err)
{
  *status = 0;
  if (detach) {
    struct created_container cc;
    if (container_create(ctx, o, INIT_MODE_CREATE, &cc, err) < 0)
      return -1;
    created_container_release(&cc);
    if (runtime_start(ctx, o->id, err) < 0) {
      struct vessel_error ignore;
      runtime_delete(ctx, o->id, true, &ignore);
      return -1;
    }
    return 0;
  }
  /* block the forwarded signals before the clone: none may be lost, and the
   * init unblocks them for itself */
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  struct created_container cc;
  int r = container_create(ctx, o, INIT_MODE_RUN, &cc, err);
  if (r == 0) {
    crashpoint("runtime-created");
    r = run_foreground(ctx, o->id, o->keep, &cc, status, err);
    created_container_release(&cc);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  return r;
}

int runtime_create(const struct runtime_ctx *ctx, const struct runtime_create_opts *o,
                   struct vessel_error *err)
{
  struct created_container cc;
  if (container_create(ctx, o, INIT_MODE_CREATE, &cc, err) < 0)
    return -1;
  created_container_release(&cc);
  return 0;
}

int runtime_run_start(const struct runtime_ctx *ctx, const struct runtime_create_opts *o,
                      struct runtime_started *out, struct vessel_error *err)
{
  struct created_container *cc = calloc(1, sizeof *cc);
  if (!cc)
    return vessel_error_set(err, ENOMEM, "run `%s`", o->id);
  if (container_create(ctx, o, INIT_MODE_RUN, cc, err) < 0) {
    free(cc);
    return -1;
  }
  crashpoint("runtime-created");
  if (run_handshake(ctx, o->id, cc, err) < 0) {
    struct vessel_error ignore;
    runtime_delete(ctx, o->id, true, &ignore);
    waitpid(cc->pid, NULL, 0);
    created_container_release(cc);
    free(cc);
    return -1;
  }
  close(cc->sync_fd);
  cc->sync_fd = -1;
  out->pid = cc->pid;
  out->pidfd = cc->pidfd;
  out->console_master = cc->console_master;
  out->priv = cc;
  return 0;
}

int runtime_run_finish(const struct runtime_ctx *ctx, const char *id, struct runtime_started *rs,
                       struct vessel_error *err)
{
  struct created_container *cc = rs->priv;
  int r;
  if (cc && !cc->has_poststop && cc->cg) {
    r = cgroup_destroy(cc->cg, true, err);
    if (r == 0)
      r = record_remove(ctx, id, err);
  } else {
    r = runtime_delete(ctx, id, true, err);
  }
  if (cc) {
    /* the caller may have closed or kept these: they are its own now */
    cc->pidfd = cc->console_master = -1;
    created_container_release(cc);
    free(cc);
  }
  rs->priv = NULL;
  return r;
}
