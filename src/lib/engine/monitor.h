/* The monitor: the one process that owns a running container. It holds the
 * container's pipes or pty, writes its log, reaps it, records its exit,
 * restarts it by its policy and runs its health checks; a single-threaded
 * event loop (epoll over a pidfd, a signalfd, timerfds and the streams). */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/engine.h"

/* What vessel-monitor and its idle loop hand each other
 * (engine/monitor_handoff.h, monitor_idle.c). */
struct monitor_handoff {
  int reason; /* enum handoff_reason */
  pid_t pid;
  int pidfd, out, err;          /* -1: that stream ended */
  int stdin_keep;               /* detached -i: its stdin pipe's write end */
  int pending_out, pending_err; /* memfds with a line not ended yet, or -1 */
  long long started_ns;         /* CLOCK_MONOTONIC of the last start */
  long long backoff_ms;
  bool healthy_once;
  long long health_at; /* CLOCK_MONOTONIC ns of the next probe, 0: none */
};

struct monitor_params {
  const char *runtime_root; /* the runtime's state root */
  /* a health probe is `VESSEL_EXE --root ROOT --runroot RUNROOT exec ...` */
  const char *vessel_exe, *root, *runroot;
  int dirfd; /* the container's directory; its lock is held by the caller */
  const char *id;
  const char *bundle;
  bool foreground; /* copy the output to our stdout/stderr, relay our terminal */
  const struct engine_monitor_opts *mon;
  int *ready_fd; /* closed (and set to -1) once the first start succeeded */
  /* detached: vessel-monitor's ten arguments and vessel-monitor-idle's path,
   * for the hand-over when idle (NULL: none) */
  char *const *argv;
  const char *idle_exe;
  int lock_fd;
  const struct monitor_handoff *resume; /* back from the idle loop, or NULL */
};

/* Runs the container until it ends for good (its policy restarts it
 * meanwhile). Returns 0 with *status its last exit code, or -1 with err
 * when its first start failed (nothing of that start is left). The record
 * must say running already; each later start and every exit is recorded
 * here. */
int monitor_run(const struct monitor_params *p, int *status, struct vessel_error *err);

/* Gives back the pages a start left behind: freed heap, the stack below
 * us, code and read-only data (they come back from the file when needed). */
void monitor_trim(void);

/* What the monitor tells the command waiting for the start: one status
 * byte and the error text (nothing at all once it started). */
void monitor_report(int fd, int status, const struct vessel_error *err);

/* Health checks (health.c). A probe is `vessel exec ID /bin/sh -c CMD` in a
 * child, its output in a pipe: 0 with *pid, *pidfd and *out_fd (the read
 * end), or -1. */
int health_probe_spawn(const struct monitor_params *p, const char *cmd, pid_t *pid, int *pidfd,
                       int *out_fd, struct vessel_error *err);
/* Records a probe's result: the log (last 5), the failing streak and the
 * status; a failure counts only when counts (after the start period, or
 * once healthy). */
int health_record(int dirfd, struct engine_health_result *r, bool counts, int retries,
                  struct vessel_error *err);
/* Status "starting" for a fresh start (no-op without a health check). */
int health_reset(int dirfd, struct vessel_error *err);

/* A helper program of vessel's: $env, or name beside vessel_exe; false
 * when there is none to run. */
bool monitor_program_path(const char *env, const char *name, const char *vessel_exe,
                          char out[PATH_MAX]);
/* The state after vessel-monitor's ten arguments, when its idle loop execs
 * it again: 0, or -1 when an argument is not one of it. */
int monitor_handoff_parse(char *const *args, int n, struct monitor_handoff *h);
/* Execs vessel-monitor-idle with h, this process's binary and p->argv to
 * come back to (the fds in h, p->dirfd and the lock are kept open). Returns
 * only when it could not (the fds are as they were). */
void monitor_handoff_exec(const struct monitor_params *p, int lock_fd, long long log_max_size,
                          int log_max_file, const struct monitor_handoff *h);

/* Replaces this process (forked to be a detached container's monitor, the
 * root mounted in its own namespace, the record saying running) with the
 * static vessel-monitor program: a fresh image of a few pages instead of a
 * copy of vessel's. $VESSEL_MONITOR or vessel-monitor beside vessel_exe.
 * Returns only when that cannot be run: the caller monitors in-process. */
void monitor_exec(const struct engine *e, const char *vessel_exe, int dirfd, int lock_fd,
                  int ready_fd, const char *id, bool made);
