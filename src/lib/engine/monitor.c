/* The monitor's event loop: the container's output into its json-file log
 * (and, in the foreground, to our own stdio), its exit recorded, its restart
 * policy applied with docker's back-off, its health probed. One thread,
 * epoll over fds only; small fixed buffers, so that an idle monitor costs a
 * few pages. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/logfile.h"
#include "engine/monitor.h"
#include "engine/monitor_handoff.h"
#include "engine/policy.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/log.h"

#define READ_CHUNK 4096
#define HEALTH_OUTPUT_MAX 4096 /* docker keeps as much of a probe's output */
#define HEALTH_DEFAULT_MS 30000LL
#define HEALTH_DEFAULT_RETRIES 3
#define PROBE_KILL_AFTER_MS 1000

enum tag {
  EV_PID = 1,
  EV_OUT,
  EV_ERR,
  EV_STDIN,
  EV_SIG,
  EV_RESTART,
  EV_RECORD,
  EV_HEALTH,
  EV_PROBE,
  EV_PROBE_OUT,
};

struct stream {
  int fd;  /* the pipe's read end, or the pty master (EV_OUT) */
  int tee; /* our own stdout/stderr in the foreground, else -1 */
  struct logstream ls;
};

struct monitor {
  const struct monitor_params *p;
  int epfd, sigfd;
  struct logfile *log;
  struct stream out, err;
  bool tty;
  int in_fd;      /* foreground -it: our stdin, relayed to the pty */
  int stdin_keep; /* detached -i without -t: the write end of its stdin pipe */
  bool raw;
  struct termios saved;
  struct runtime_started rs;
  bool running, done;
  bool trim; /* a start is over: give back what it took (monitor_trim) */
  bool stay; /* no hand-over to the idle loop (it failed, or cannot run) */
  int status;
  struct timespec started; /* CLOCK_MONOTONIC, of the last start */
  long long backoff_ms;
  int restart_tfd, inotify_fd;
  /* health */
  int health_tfd, probe_pidfd, probe_out;
  pid_t probe_pid;
  bool probe_timed_out, healthy_once;
  char *probe_start;
  char *probe_buf;
  size_t probe_n;
};

static long long elapsed_ms(const struct timespec *since)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000LL + (now.tv_nsec - since->tv_nsec) / 1000000LL;
}

static int watch(struct monitor *m, int fd, enum tag tag)
{
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
  return epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void unwatch_close(struct monitor *m, int *fd)
{
  if (*fd < 0)
    return;
  epoll_ctl(m->epfd, EPOLL_CTL_DEL, *fd, NULL);
  close(*fd);
  *fd = -1;
}

static void arm(int tfd, long long ms)
{
  struct itimerspec it = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}};
  if (ms <= 0)
    it.it_value.tv_nsec = 1; /* 0 would disarm */
  timerfd_settime(tfd, 0, &it, NULL);
}

static void write_all(int fd, const char *buf, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return; /* a closed terminal or pipe: the log still gets it */
    buf += w;
    n -= (size_t)w;
  }
}

static void stream_data(struct monitor *m, struct stream *s, const char *buf, size_t n)
{
  if (s->tee >= 0)
    write_all(s->tee, buf, n);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int r = m->log ? logstream_feed(logfile_writer(m->log), &s->ls, &now, buf, n) : 0;
  if (r < 0)
    log_warning("the log of `%.12s`: %s", m->p->id, strerror(-r));
}

static void stream_flush(struct monitor *m, struct stream *s)
{
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int r = m->log ? logstream_flush(logfile_writer(m->log), &s->ls, &now) : 0;
  if (r < 0)
    log_warning("the log of `%.12s`: %s", m->p->id, strerror(-r));
}

/* Reads what is there: > 0 read, 0 at the end (EOF, or EIO from a pty
 * whose other side is closed), < 0 nothing now. */
static int stream_read(struct monitor *m, struct stream *s)
{
  char buf[READ_CHUNK];
  ssize_t n = read(s->fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return -1;
  if (n <= 0)
    return 0;
  stream_data(m, s, buf, (size_t)n);
  return 1;
}

/* The container is gone: what is left in the pipe, then the end. */
static void stream_end(struct monitor *m, struct stream *s)
{
  if (s->fd < 0)
    return;
  while (stream_read(m, s) > 0)
    ;
  stream_flush(m, s);
  unwatch_close(m, &s->fd);
}

static void copy_winsize(struct monitor *m)
{
  struct winsize ws;
  if (m->out.fd >= 0 &&
      (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0))
    ioctl(m->out.fd, TIOCSWINSZ, &ws);
}

/* The container's stdio for one start: pipes (or the pty the runtime
 * makes), put on our 0/1/2 for the runtime's init to inherit, then ours
 * put back. */
static int start_container(struct monitor *m, struct vessel_error *err)
{
  const struct monitor_params *p = m->p;
  int saved[3] = {-1, -1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
  int ret = -1;
  if (!m->tty) {
    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
      vessel_error_set(err, errno, "pipes for `%.12s`", p->id);
      goto out;
    }
    /* detached -i: a pipe whose write end the monitor keeps open */
    if (!p->foreground && p->mon->interactive && m->stdin_keep < 0) {
      if (pipe2(inp, O_CLOEXEC) < 0) {
        vessel_error_set(err, errno, "stdin of `%.12s`", p->id);
        goto out;
      }
      m->stdin_keep = inp[1];
      inp[1] = -1;
    }
    for (int i = 0; i < 3; i++)
      saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
    if ((inp[0] >= 0 && dup2(inp[0], 0) < 0) || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0) {
      vessel_error_set(err, errno, "stdio of `%.12s`", p->id);
      goto out;
    }
  }
  struct runtime_ctx ctx = {.state_root = p->runtime_root};
  struct runtime_create_opts co = {.id = p->id, .bundle = p->bundle};
  int r = runtime_run_start(&ctx, &co, &m->rs, err);
  for (int i = 0; i < 3; i++)
    if (saved[i] >= 0)
      dup2(saved[i], i);
  if (r < 0)
    goto out;
  clock_gettime(CLOCK_MONOTONIC, &m->started);
  m->running = true;
  m->trim = true;

  watch(m, m->rs.pidfd, EV_PID);
  if (m->tty) {
    m->out.fd = m->rs.console_master;
    m->rs.console_master = -1;
    if (m->p->foreground)
      copy_winsize(m);
  } else {
    m->out.fd = TAKE_FD(outp[0]);
    m->err.fd = TAKE_FD(errp[0]);
    fcntl(m->err.fd, F_SETFL, O_NONBLOCK);
    watch(m, m->err.fd, EV_ERR);
  }
  if (m->out.fd >= 0) {
    fcntl(m->out.fd, F_SETFL, O_NONBLOCK); /* ours alone: the container has the other end */
    watch(m, m->out.fd, EV_OUT);
  }
  if (m->health_tfd >= 0) {
    long long iv = p->mon->health_interval_ms > 0 ? p->mon->health_interval_ms : HEALTH_DEFAULT_MS;
    arm(m->health_tfd, iv);
  }
  ret = 0;
out:
  for (int i = 0; i < 3; i++)
    if (saved[i] >= 0) {
      dup2(saved[i], i);
      close(saved[i]);
    }
  for (int i = 0; i < 2; i++) {
    if (outp[i] >= 0)
      close(outp[i]);
    if (errp[i] >= 0)
      close(errp[i]);
    if (inp[i] >= 0)
      close(inp[i]);
  }
  return ret;
}

struct exit_data {
  int code;
  bool restart;
};

/* Under the record's lock: the exit, and whether the policy restarts it
 * (a stop by the user, written before its signal, wins). */
static int record_exit(struct engine_container *c, void *data)
{
  struct exit_data *x = data;
  char *now = engine_now_rfc3339();
  if (!now)
    return -1;
  c->state = ENGINE_EXITED;
  c->exit_code = x->code;
  free(c->finished_at);
  c->finished_at = now;
  x->restart = policy_restarts(c, x->code);
  c->restarting = x->restart;
  return 0;
}

/* Under the lock again, once the back-off is over: > 0 when a stop came
 * meanwhile (nothing is changed then). */
static int record_restart(struct engine_container *c, void *data)
{
  (void)data;
  if (c->stopped_by_user)
    return 1;
  char *now = engine_now_rfc3339();
  if (!now)
    return -1;
  c->state = ENGINE_RUNNING;
  c->restarting = false;
  c->restart_count++;
  free(c->started_at);
  c->started_at = now;
  return 0;
}

static void probe_cancel(struct monitor *m);

/* The container ended (or a restart could not start it: code given). */
static void container_exited(struct monitor *m, int code)
{
  struct vessel_error err = {0};
  if (m->running) {
    int st = 0;
    while (waitpid(m->rs.pid, &st, 0) < 0 && errno == EINTR)
      ;
    code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
    stream_end(m, &m->out);
    stream_end(m, &m->err);
    unwatch_close(m, &m->rs.pidfd);
    struct runtime_ctx ctx = {.state_root = m->p->runtime_root};
    if (runtime_run_finish(&ctx, m->p->id, &m->rs, &err) < 0)
      log_warning("delete container `%.12s`: %s", m->p->id, err.msg);
    m->running = false;
  }
  probe_cancel(m);
  m->status = code;
  struct exit_data x = {.code = code};
  struct vessel_error rerr = {0};
  if (record_update(m->p->dirfd, record_exit, &x, NULL, &rerr) < 0) {
    log_debug("record the exit of `%.12s`: %s", m->p->id, rerr.msg); /* removed: rm -f */
    m->done = true;
    return;
  }
  if (!x.restart) {
    m->done = true;
    return;
  }
  m->backoff_ms = policy_backoff_ms(m->backoff_ms, elapsed_ms(&m->started));
  log_debug("restart `%.12s` in %lld ms", m->p->id, m->backoff_ms);
  arm(m->restart_tfd, m->backoff_ms);
  /* a stop or rm -f during the back-off is seen at once: they change the
   * record (or remove the directory) */
  if (m->inotify_fd < 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", m->p->dirfd);
    m->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (m->inotify_fd >= 0 &&
        (inotify_add_watch(m->inotify_fd, path, IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR) < 0 ||
         watch(m, m->inotify_fd, EV_RECORD) < 0))
      unwatch_close(m, &m->inotify_fd);
  }
}

static void restart_now(struct monitor *m)
{
  struct vessel_error err = {0};
  int r = record_update(m->p->dirfd, record_restart, NULL, NULL, &err);
  if (r != 0) {
    m->done = true; /* stopped, or removed */
    return;
  }
  unwatch_close(m, &m->inotify_fd);
  struct vessel_error herr = {0};
  if (m->health_tfd >= 0 && health_reset(m->p->dirfd, &herr) < 0)
    log_debug("%s", herr.msg);
  if (start_container(m, &err) < 0) {
    log_warning("restart `%.12s`: %s", m->p->id, err.msg);
    int code = engine_exec_failure_status(&err);
    clock_gettime(CLOCK_MONOTONIC, &m->started);
    container_exited(m, code < 0 ? ENGINE_EXIT_FAILED : code);
    return;
  }
  /* a stop that came between the check above and the start */
  struct engine_container c = {0};
  if (record_load(m->p->dirfd, &c, &err) < 0 || c.stopped_by_user)
    syscall(SYS_pidfd_send_signal, m->rs.pidfd, SIGKILL, NULL, 0);
  engine_container_clear(&c);
}

static int clear_restarting(struct engine_container *c, void *data)
{
  (void)data;
  if (!c->restarting)
    return 1; /* nothing to save */
  c->restarting = false;
  return 0;
}

/* During the back-off: a stop or rm -f ends the monitor. */
static void record_changed(struct monitor *m)
{
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  while (read(m->inotify_fd, buf, sizeof buf) > 0)
    ;
  if (m->running)
    return;
  struct engine_container c = {0};
  struct vessel_error err = {0};
  if (record_load(m->p->dirfd, &c, &err) < 0 || c.stopped_by_user)
    m->done = true;
  engine_container_clear(&c);
}

/* --- health --- */

/* A paused container is not probed, as docker's: its health stays what it
 * was until it runs again. */
static bool container_paused(struct monitor *m)
{
  struct runtime_ctx ctx = {.state_root = m->p->runtime_root};
  struct container_info info = {0};
  struct vessel_error ignored;
  bool paused =
      runtime_info(&ctx, m->p->id, &info, &ignored) == 0 && info.status == CONTAINER_PAUSED;
  container_info_free(&info);
  return paused;
}

static void probe_start(struct monitor *m)
{
  const struct engine_monitor_opts *o = m->p->mon;
  if (!m->running || m->probe_pid > 0)
    return;
  if (container_paused(m)) {
    arm(m->health_tfd, o->health_interval_ms > 0 ? o->health_interval_ms : HEALTH_DEFAULT_MS);
    return;
  }
  struct vessel_error err = {0};
  free(m->probe_start);
  m->probe_start = engine_now_rfc3339();
  m->probe_n = 0;
  m->probe_timed_out = false;
  if (health_probe_spawn(m->p, o->health_cmd, &m->probe_pid, &m->probe_pidfd, &m->probe_out, &err) <
      0) {
    log_warning("health check of `%.12s`: %s", m->p->id, err.msg);
    arm(m->health_tfd, o->health_interval_ms > 0 ? o->health_interval_ms : HEALTH_DEFAULT_MS);
    return;
  }
  watch(m, m->probe_pidfd, EV_PROBE);
  watch(m, m->probe_out, EV_PROBE_OUT);
  arm(m->health_tfd, o->health_timeout_ms > 0 ? o->health_timeout_ms : HEALTH_DEFAULT_MS);
}

static void probe_output(struct monitor *m)
{
  char buf[READ_CHUNK];
  ssize_t n = read(m->probe_out, buf, sizeof buf);
  if (n <= 0) {
    if (n == 0 || (errno != EINTR && errno != EAGAIN))
      unwatch_close(m, &m->probe_out);
    return;
  }
  if (!m->probe_buf && !(m->probe_buf = malloc(HEALTH_OUTPUT_MAX)))
    return;
  size_t take =
      (size_t)n < HEALTH_OUTPUT_MAX - m->probe_n ? (size_t)n : HEALTH_OUTPUT_MAX - m->probe_n;
  memcpy(m->probe_buf + m->probe_n, buf, take);
  m->probe_n += take;
}

static void probe_done(struct monitor *m)
{
  const struct engine_monitor_opts *o = m->p->mon;
  int st = 0;
  while (waitpid(m->probe_pid, &st, 0) < 0 && errno == EINTR)
    ;
  m->probe_pid = 0;
  unwatch_close(m, &m->probe_pidfd);
  while (m->probe_out >= 0 && !m->probe_timed_out) {
    fcntl(m->probe_out, F_SETFL, O_NONBLOCK);
    size_t before = m->probe_n;
    probe_output(m);
    if (m->probe_n == before)
      break;
  }
  unwatch_close(m, &m->probe_out);
  if (!m->running)
    goto out;
  struct engine_health_result r = {.start = m->probe_start};
  char timeout_msg[96];
  if (m->probe_timed_out) {
    r.exit_code = -1;
    snprintf(timeout_msg, sizeof timeout_msg, "Health check exceeded timeout (%llds)",
             (o->health_timeout_ms > 0 ? o->health_timeout_ms : HEALTH_DEFAULT_MS) / 1000);
    r.output = timeout_msg;
  } else {
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (m->probe_buf)
      m->probe_buf[m->probe_n < HEALTH_OUTPUT_MAX ? m->probe_n : HEALTH_OUTPUT_MAX - 1] = '\0';
    r.output = m->probe_buf ? m->probe_buf : "";
  }
  r.end = engine_now_rfc3339();
  if (r.exit_code == 0)
    m->healthy_once = true;
  /* failures in the start period count only once it was healthy */
  bool counts = m->healthy_once || elapsed_ms(&m->started) >= o->health_start_period_ms;
  struct vessel_error err = {0};
  if (r.end &&
      health_record(m->p->dirfd, &r, counts,
                    o->health_retries > 0 ? o->health_retries : HEALTH_DEFAULT_RETRIES, &err) < 0)
    log_debug("health of `%.12s`: %s", m->p->id, err.msg);
  free(r.end);
  arm(m->health_tfd, o->health_interval_ms > 0 ? o->health_interval_ms : HEALTH_DEFAULT_MS);
out:
  free(m->probe_buf);
  m->probe_buf = NULL;
  m->probe_n = 0;
}

/* The health timer: the next probe, or the running one's timeout. */
static void health_timer(struct monitor *m)
{
  uint64_t ticks;
  if (read(m->health_tfd, &ticks, sizeof ticks) < 0)
    return;
  if (m->probe_pid <= 0) {
    probe_start(m);
    return;
  }
  /* the probe's exec forwards SIGTERM to its process; the result is a
   * timeout whatever it returns. One that ignores it is killed a second
   * later (its process then stays in the container, as with docker). */
  if (!m->probe_timed_out) {
    m->probe_timed_out = true;
    kill(m->probe_pid, SIGTERM);
    arm(m->health_tfd, PROBE_KILL_AFTER_MS);
  } else {
    kill(m->probe_pid, SIGKILL);
  }
}

static void probe_cancel(struct monitor *m)
{
  if (m->health_tfd >= 0)
    timerfd_settime(m->health_tfd, 0, &(struct itimerspec){0}, NULL);
  if (m->probe_pid > 0) {
    kill(m->probe_pid, SIGKILL);
    probe_done(m);
  }
}

/* --- the hand-over to the idle loop and back (monitor_idle.c) --- */

static long long mono_ns(const struct timespec *t)
{
  return t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Running, nothing in flight and no terminal of ours to relay. */
static bool idle_now(const struct monitor *m)
{
  return m->p->idle_exe && !m->p->foreground && !m->stay && m->running && !m->done &&
         m->probe_pid <= 0 && m->inotify_fd < 0;
}

/* Execs vessel-monitor-idle; back here only when that fails. */
static void hand_over(struct monitor *m)
{
  struct monitor_handoff h = {
      .pid = m->rs.pid,
      .pidfd = m->rs.pidfd,
      .out = m->out.fd,
      .err = m->err.fd,
      .stdin_keep = m->stdin_keep,
      .pending_out = -1,
      .pending_err = -1,
      .started_ns = mono_ns(&m->started),
      .backoff_ms = m->backoff_ms,
      .healthy_once = m->healthy_once,
  };
  struct itimerspec it;
  if (m->health_tfd >= 0 && timerfd_gettime(m->health_tfd, &it) == 0 &&
      (it.it_value.tv_sec || it.it_value.tv_nsec)) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    h.health_at = mono_ns(&now) + mono_ns(&it.it_value);
  }
  if ((m->out.ls.n && (h.pending_out = handoff_pending_save(m->out.ls.pending, m->out.ls.n)) < 0) ||
      (m->err.ls.n && (h.pending_err = handoff_pending_save(m->err.ls.pending, m->err.ls.n)) < 0)) {
    log_debug("keep the monitor of `%.12s`: no memfd", m->p->id);
  } else {
    monitor_handoff_exec(m->p, m->p->lock_fd, m->p->mon->log_max_size, m->p->mon->log_max_file, &h);
  }
  if (h.pending_out >= 0)
    close(h.pending_out);
  if (h.pending_err >= 0)
    close(h.pending_err);
  m->stay = true;
}

/* Back from the idle loop: the container as it left it, then what it came
 * back for. */
static void resume(struct monitor *m, const struct monitor_handoff *h)
{
  m->rs = (struct runtime_started){.pid = h->pid, .pidfd = h->pidfd, .console_master = -1};
  m->running = true;
  m->stay = h->reason == HANDOFF_WHY_STAY;
  m->started = (struct timespec){.tv_sec = h->started_ns / 1000000000LL,
                                 .tv_nsec = h->started_ns % 1000000000LL};
  m->backoff_ms = h->backoff_ms;
  m->healthy_once = h->healthy_once;
  m->stdin_keep = h->stdin_keep;
  m->out.fd = h->out;
  m->err.fd = h->err;
  m->out.ls.n = handoff_pending_load(h->pending_out, m->out.ls.pending, LOGFILE_LINE_MAX);
  m->err.ls.n = handoff_pending_load(h->pending_err, m->err.ls.pending, LOGFILE_LINE_MAX);
  watch(m, m->rs.pidfd, EV_PID);
  if (m->out.fd >= 0)
    watch(m, m->out.fd, EV_OUT);
  if (m->err.fd >= 0)
    watch(m, m->err.fd, EV_ERR);
  if (m->health_tfd >= 0 && h->health_at > 0) {
    struct itimerspec it = {.it_value = {.tv_sec = h->health_at / 1000000000LL,
                                         .tv_nsec = h->health_at % 1000000000LL}};
    timerfd_settime(m->health_tfd, TFD_TIMER_ABSTIME, &it, NULL);
  }
  if (h->reason == HANDOFF_WHY_EXITED)
    container_exited(m, 0);
  else if (h->reason == HANDOFF_WHY_HEALTH)
    probe_start(m);
}

/* --- the loop --- */

static void on_signal(struct monitor *m)
{
  struct signalfd_siginfo si;
  while (read(m->sigfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGWINCH) {
      if (m->tty && m->p->foreground)
        copy_winsize(m);
    } else if (m->running) {
      syscall(SYS_pidfd_send_signal, m->rs.pidfd, (int)si.ssi_signo, NULL, 0);
    }
  }
}

static void relay_stdin(struct monitor *m)
{
  char buf[READ_CHUNK];
  ssize_t n = read(m->in_fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0 || m->out.fd < 0) {
    /* our stdin ended: the container keeps running, as with docker */
    epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->in_fd, NULL);
    m->in_fd = -1;
    return;
  }
  write_all(m->out.fd, buf, (size_t)n);
}

/* not inlined: what the handlers put on the stack stays out of monitor_run's
 * frame, which the idle monitor keeps (monitor_trim gives back the rest) */
static __attribute__((noinline)) void dispatch(struct monitor *m, enum tag tag)
{
  uint64_t ticks;
  switch (tag) {
  case EV_PID:
    container_exited(m, 0);
    break;
  case EV_OUT:
    if (stream_read(m, &m->out) == 0) {
      stream_flush(m, &m->out);
      unwatch_close(m, &m->out.fd);
    }
    break;
  case EV_ERR:
    if (stream_read(m, &m->err) == 0) {
      stream_flush(m, &m->err);
      unwatch_close(m, &m->err.fd);
    }
    break;
  case EV_STDIN:
    relay_stdin(m);
    break;
  case EV_SIG:
    on_signal(m);
    break;
  case EV_RESTART:
    if (read(m->restart_tfd, &ticks, sizeof ticks) > 0 && !m->running)
      restart_now(m);
    break;
  case EV_RECORD:
    record_changed(m);
    break;
  case EV_HEALTH:
    health_timer(m);
    break;
  case EV_PROBE:
    probe_done(m);
    break;
  case EV_PROBE_OUT:
    probe_output(m);
    break;
  }
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void monitor_close(struct monitor *m)
{
  if (m->raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &m->saved);
  stream_flush(m, &m->out);
  stream_flush(m, &m->err);
  int *fds[] = {
      &m->out.fd,     &m->err.fd,      &m->stdin_keep, &m->restart_tfd, &m->inotify_fd,
      &m->health_tfd, &m->probe_pidfd, &m->probe_out,  &m->rs.pidfd,    &m->rs.console_master,
      &m->sigfd,      &m->epfd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0) {
      close(*fds[i]);
      *fds[i] = -1;
    }
  logfile_close(m->log);
  free(m->out.ls.pending);
  free(m->err.ls.pending);
  free(m->probe_start);
  free(m->probe_buf);
}

int monitor_run(const struct monitor_params *p, int *status, struct vessel_error *err)
{
  struct monitor m = {
      .p = p,
      .epfd = -1,
      .sigfd = -1,
      .out = {.fd = -1, .tee = p->foreground ? STDOUT_FILENO : -1, .ls = {.stream = 1}},
      .err = {.fd = -1, .tee = p->foreground ? STDERR_FILENO : -1, .ls = {.stream = 2}},
      .tty = p->mon->tty,
      .in_fd = -1,
      .stdin_keep = -1,
      .rs = {.pidfd = -1, .console_master = -1},
      .restart_tfd = -1,
      .inotify_fd = -1,
      .health_tfd = -1,
      .probe_pidfd = -1,
      .probe_out = -1,
  };
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaddset(&set, forwarded[i]);
  sigaddset(&set, SIGPIPE); /* a closed stdout gives EPIPE, the log goes on */
  sigprocmask(SIG_BLOCK, &set, &old);
  sigdelset(&set, SIGPIPE);
  char name[80];
  logfile_name(p->id, name);
  int ret = -1;
  m.epfd = epoll_create1(EPOLL_CLOEXEC);
  m.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  m.restart_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (p->mon->health_cmd)
    m.health_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (m.epfd < 0 || m.sigfd < 0 || m.restart_tfd < 0 || (p->mon->health_cmd && m.health_tfd < 0) ||
      watch(&m, m.sigfd, EV_SIG) < 0 || watch(&m, m.restart_tfd, EV_RESTART) < 0 ||
      (m.health_tfd >= 0 && watch(&m, m.health_tfd, EV_HEALTH) < 0)) {
    vessel_error_set(err, errno, "set up the monitor of `%.12s`", p->id);
    goto out;
  }
  if (!(m.log = logfile_open(p->dirfd, name, p->mon->log_max_size, p->mon->log_max_file, err)))
    goto out;
  if (m.tty && p->foreground && p->mon->interactive) {
    m.in_fd = STDIN_FILENO;
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &m.saved) == 0) {
      struct termios t = m.saved;
      cfmakeraw(&t);
      m.raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    }
  }
  m.out.ls.pending = malloc(LOGFILE_LINE_MAX); /* NULL: no line assembly */
  m.err.ls.pending = malloc(LOGFILE_LINE_MAX);
  if (p->resume) {
    resume(&m, p->resume);
    goto loop;
  }
  struct vessel_error herr = {0};
  if (m.health_tfd >= 0 && health_reset(p->dirfd, &herr) < 0)
    log_debug("%s", herr.msg);
  if (start_container(&m, err) < 0)
    goto out;
  /* the command that started us returns now, even if a restart policy
   * keeps this container from ever being seen running */
  if (p->ready_fd && *p->ready_fd >= 0) {
    /* one zero byte says "started": the end of the pipe without it means
     * that the monitor died (see spawn_monitor) */
    if (write(*p->ready_fd, "", 1) < 0)
      log_debug("report the start: %s", strerror(errno));
    close(*p->ready_fd);
    *p->ready_fd = -1;
  }
  if (m.in_fd >= 0 && watch(&m, m.in_fd, EV_STDIN) < 0)
    m.in_fd = -1;
loop:
  while (!m.done) {
    if (idle_now(&m))
      hand_over(&m);
    if (m.trim && !p->foreground) {
      m.trim = false;
      monitor_trim();
    }
    struct epoll_event ev[8];
    int n = epoll_wait(m.epfd, ev, 8, -1);
    if (n < 0 && errno != EINTR) {
      log_warning("monitor of `%.12s`: epoll: %s", p->id, strerror(errno));
      break;
    }
    for (int i = 0; i < n && !m.done; i++)
      dispatch(&m, (enum tag)ev[i].data.u32);
  }
  if (!m.running && m.inotify_fd >= 0) /* ended in a back-off */
    record_update(p->dirfd, clear_restarting, NULL, NULL, &(struct vessel_error){0});
  *status = m.status;
  ret = 0;
out:
  if (m.running) { /* only when the loop broke: never leave it behind */
    syscall(SYS_pidfd_send_signal, m.rs.pidfd, SIGKILL, NULL, 0);
    container_exited(&m, 0);
  }
  monitor_close(&m);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return ret;
}

void monitor_report(int fd, int status, const struct vessel_error *err)
{
  char buf[1 + VESSEL_ERROR_MAX];
  buf[0] = (char)(status < 0 ? ENGINE_EXIT_FAILED : status);
  size_t n = strnlen(err->msg, VESSEL_ERROR_MAX - 1);
  memcpy(buf + 1, err->msg, n);
  if (write(fd, buf, n + 1) < 0)
    log_debug("report to the waiting command: %s", strerror(errno));
}
