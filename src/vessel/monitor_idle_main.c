/* vessel-monitor-idle: what a detached container's monitor is while nothing
 * happens. vessel-monitor (glibc, the runtime library, ~70 KiB of private
 * pages when idle) execs this loop once the container runs; built against
 * musl with no vessel library, it keeps about 12 KiB. It writes the
 * container's output to its json-file log (the same logwriter.c), forwards
 * the signals the monitor gets, and execs vessel-monitor back, in the same
 * process, when the container ends or a health probe is due
 * (engine/monitor_handoff.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "engine/logwriter.h"
#include "engine/monitor_handoff.h"

#define PAGE 4096
#define IDLE_TRIM_MS 1000 /* this long without output: buffers given back */
#define STACK_TRIM (64 * 1024)
#define BACK_MAX 32 /* vessel-monitor's ten arguments and its state */

enum { EV_PID = 1, EV_OUT, EV_ERR, EV_SIG, EV_HEALTH };

/* Mapped when output first comes, given back after a quiet second; not in
 * .bss, whose first page the small variables share with .data. */
struct bufs {
  char pending[2][LOGFILE_LINE_MAX];
  char chunk[PAGE];
};
static struct bufs *bufs;

static struct idle {
  int epfd, pidfd, sigfd, tfd, exe;
  int fd[2]; /* stdout (or the pty), stderr */
  struct logstream ls[2];
  struct logwriter log;
  long long health_at;
  char **back; /* vessel-monitor's argv and state, with room for ours */
  int back_n;
  char **envp;
} m = {.epfd = -1, .pidfd = -1, .sigfd = -1, .tfd = -1, .exe = -1, .fd = {-1, -1}};

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void say(const char *s)
{
  size_t n = strlen(s);
  if (write(STDERR_FILENO, s, n) < 0)
    return;
}

static int watch(int fd, int tag)
{
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)tag};
  return fd < 0 ? 0 : epoll_ctl(m.epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* A stream's line not ended yet, in a memfd for vessel-monitor: its fd, or
 * -1 (nothing, or no memfd: the line is then an entry of its own). */
static int pending_out(int i, const struct timespec *now)
{
  int fd = handoff_pending_save(m.ls[i].pending, m.ls[i].n);
  if (fd >= 0)
    m.ls[i].n = 0;
  else
    logstream_flush(&m.log, &m.ls[i], now);
  return fd;
}

/* vessel-monitor again, told why and given the streams back. */
static void __attribute__((noreturn)) hand_back(enum handoff_reason why)
{
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char args[7][64];
  int n = m.back_n;
  m.back[n++] = handoff_format(args[0], HANDOFF_REASON, why);
  m.back[n++] = handoff_format(args[1], HANDOFF_PIDFD, m.pidfd);
  m.back[n++] = handoff_format(args[2], HANDOFF_OUT, m.fd[0]);
  m.back[n++] = handoff_format(args[3], HANDOFF_ERR, m.fd[1]);
  m.back[n++] = handoff_format(args[4], HANDOFF_PENDING_OUT, pending_out(0, &now));
  m.back[n++] = handoff_format(args[5], HANDOFF_PENDING_ERR, pending_out(1, &now));
  m.back[n++] = handoff_format(args[6], HANDOFF_HEALTH_AT, m.health_at);
  m.back[n] = NULL;
  for (int tries = 0;; tries++) {
    syscall(SYS_execveat, m.exe, "", m.back, m.envp, AT_EMPTY_PATH);
    if (tries == 50)
      break;
    /* out of memory or processes for a moment: not the end of the container */
    struct timespec ms100 = {0, 100000000};
    nanosleep(&ms100, NULL);
  }
  say("vessel-monitor-idle: cannot exec vessel-monitor\n");
  _exit(1);
}

static bool map_bufs(void)
{
  if (bufs)
    return true;
  void *p = mmap(NULL, sizeof *bufs, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return false;
  bufs = p;
  m.ls[0].pending = bufs->pending[0];
  m.ls[1].pending = bufs->pending[1];
  return true;
}

/* The memfd vessel-monitor left with a line not ended yet. */
static void pending_in(int i, int fd)
{
  if (fd >= 0)
    m.ls[i].n = handoff_pending_load(fd, map_bufs() ? bufs->pending[i] : NULL, LOGFILE_LINE_MAX);
}

static void stream_read(int i)
{
  if (!map_bufs())
    hand_back(HANDOFF_WHY_STAY);
  ssize_t n = read(m.fd[i], bufs->chunk, sizeof bufs->chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (n > 0) {
    logstream_feed(&m.log, &m.ls[i], &now, bufs->chunk, (size_t)n);
    return;
  }
  /* its end (EOF; EIO from a pty whose other side is closed) */
  logstream_flush(&m.log, &m.ls[i], &now);
  epoll_ctl(m.epfd, EPOLL_CTL_DEL, m.fd[i], NULL);
  close(m.fd[i]);
  m.fd[i] = -1;
}

static void on_signal(void)
{
  struct signalfd_siginfo si;
  while (read(m.sigfd, &si, sizeof si) == sizeof si)
    syscall(SYS_pidfd_send_signal, m.pidfd, (int)si.ssi_signo, NULL, 0);
}

/* Quiet for a while: the buffers and the stack that writing the log took
 * are given back (they come back as zero pages when needed). */
static void trim(void)
{
  for (int i = 0; bufs && i < 2; i++)
    if (m.ls[i].n == 0)
      madvise(bufs->pending[i], LOGFILE_LINE_MAX, MADV_DONTNEED);
  if (bufs)
    madvise(bufs->chunk, sizeof bufs->chunk, MADV_DONTNEED);
  uintptr_t below = ((uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)(PAGE - 1)) - PAGE;
  madvise((void *)(below - STACK_TRIM), STACK_TRIM, MADV_DONTNEED);
}

static __attribute__((noinline)) void dispatch(int tag)
{
  uint64_t ticks;
  switch (tag) {
  case EV_PID:
    hand_back(HANDOFF_WHY_EXITED);
  case EV_HEALTH:
    if (read(m.tfd, &ticks, sizeof ticks) > 0)
      hand_back(HANDOFF_WHY_HEALTH);
    break;
  case EV_OUT:
  case EV_ERR:
    stream_read(tag == EV_OUT ? 0 : 1);
    break;
  case EV_SIG:
    on_signal();
    break;
  }
}

/* vessel-monitor's own arguments, after "--", then ours (hand_back) */
static bool split(int argc, char **argv, int *sep)
{
  static char *back[BACK_MAX + 8];
  for (*sep = 3; *sep < argc && strcmp(argv[*sep], "--") != 0; ++*sep)
    ;
  m.back_n = argc - *sep - 1;
  if (*sep >= argc || m.back_n < 1 || m.back_n > BACK_MAX)
    return false;
  memcpy(back, argv + *sep + 1, (size_t)m.back_n * sizeof *back);
  m.back = back;
  return true;
}

static bool parse(char **args, int n, int *dirfd, long long *max_size, int *max_file)
{
  long long v, pout = -1, perr = -1;
  for (int i = 0; i < n; i++) {
    if (handoff_number(args[i], HANDOFF_PIDFD, &v))
      m.pidfd = (int)v;
    else if (handoff_number(args[i], HANDOFF_OUT, &v))
      m.fd[0] = (int)v;
    else if (handoff_number(args[i], HANDOFF_ERR, &v))
      m.fd[1] = (int)v;
    else if (handoff_number(args[i], HANDOFF_PENDING_OUT, &v))
      pout = v;
    else if (handoff_number(args[i], HANDOFF_PENDING_ERR, &v))
      perr = v;
    else if (handoff_number(args[i], HANDOFF_HEALTH_AT, &v))
      m.health_at = v;
    else if (handoff_number(args[i], HANDOFF_DIR, &v))
      *dirfd = (int)v;
    else if (handoff_number(args[i], HANDOFF_LOG_MAX_SIZE, &v))
      *max_size = v;
    else if (handoff_number(args[i], HANDOFF_LOG_MAX_FILE, &v))
      *max_file = (int)v;
    else if (handoff_number(args[i], HANDOFF_EXE, &v))
      m.exe = (int)v;
    else
      return false;
  }
  pending_in(0, (int)pout);
  pending_in(1, (int)perr);
  return m.exe >= 0 && m.pidfd >= 0 && *dirfd >= 0;
}

int main(int argc, char **argv, char **envp)
{
  m.envp = envp;
  m.ls[0].stream = 1;
  m.ls[1].stream = 2;
  prctl(PR_SET_NAME, "vessel-monitor");
  int sep, dirfd = -1, max_file = 0;
  long long max_size = 0;
  if (argc < 4 || strcmp(argv[2], "idle") != 0 || !split(argc, argv, &sep)) {
    say("vessel-monitor-idle: run by vessel-monitor only\n");
    return 125;
  }
  bool ok = parse(argv + 3, sep - 3, &dirfd, &max_size, &max_file);
  if (m.exe >= 0)
    fcntl(m.exe, F_SETFD, FD_CLOEXEC); /* vessel-monitor is exec'd through it */
  if (!ok) {
    say("vessel-monitor-idle: bad arguments\n");
    if (m.exe >= 0 && m.pidfd >= 0)
      hand_back(HANDOFF_WHY_STAY);
    return 125;
  }

  char name[80];
  size_t idn = strnlen(argv[1], 64);
  memcpy(name, argv[1], idn);
  memcpy(name + idn, "-json.log", sizeof "-json.log");
  m.log = (struct logwriter){
      .dirfd = dirfd, .fd = -1, .name = name, .max_size = max_size, .max_file = max_file};

  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  m.epfd = epoll_create1(EPOLL_CLOEXEC);
  m.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (m.health_at > 0) {
    m.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct itimerspec it = {
        .it_value = {.tv_sec = m.health_at / 1000000000LL, .tv_nsec = m.health_at % 1000000000LL}};
    if (m.tfd < 0 || timerfd_settime(m.tfd, TFD_TIMER_ABSTIME, &it, NULL) < 0)
      hand_back(HANDOFF_WHY_STAY);
  }
  if (m.epfd < 0 || m.sigfd < 0 || logwriter_open(&m.log) < 0 || watch(m.pidfd, EV_PID) < 0 ||
      watch(m.fd[0], EV_OUT) < 0 || watch(m.fd[1], EV_ERR) < 0 || watch(m.sigfd, EV_SIG) < 0 ||
      watch(m.tfd, EV_HEALTH) < 0)
    hand_back(HANDOFF_WHY_STAY);

  bool touched = false;
  for (;;) {
    struct epoll_event ev[8];
    int n = epoll_wait(m.epfd, ev, 8, touched ? IDLE_TRIM_MS : -1);
    if (n < 0 && errno != EINTR)
      hand_back(HANDOFF_WHY_STAY);
    if (n == 0) {
      trim();
      touched = false;
    }
    for (int i = 0; i < n; i++) {
      dispatch((int)ev[i].data.u32);
      touched = true;
    }
  }
}
