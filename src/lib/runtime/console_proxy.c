/* The terminal of a foreground `run` without --console-socket: the runtime
 * holds the pty master and copies between it and its own stdio, as runc
 * does, with the caller's terminal in raw mode and its size forwarded. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "create.h"
#include "util/cleanup.h"
#include "util/fdpass.h"

int console_receive_master(int sock, struct vessel_error *err)
{
  char name[64];
  int fd;
  ssize_t r = fdpass_recv(sock, name, sizeof name, &fd);
  if (fd < 0)
    return vessel_error_set(err, r < 0 ? errno : EPROTO, "receive the container's terminal");
  return fd;
}

/* From our stdin, or our stdout when stdin is no terminal (run -t without
 * -i reads /dev/null but still shows a terminal of the caller's size). */
static void copy_winsize(int from, int to)
{
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl(to, TIOCSWINSZ, &ws);
}

/* Copies what is readable from in to out; false at EOF or error. */
static bool pump(int in, int out)
{
  char buf[8192];
  ssize_t n = read(in, buf, sizeof buf);
  if (n <= 0)
    return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(out, buf + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    off += w;
  }
  return true;
}

int console_proxy_wait(pid_t pid, int pidfd, int master)
{
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  _cleanup_close_ int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  struct termios saved;
  bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
  }
  copy_winsize(0, master);
  struct pollfd pfd[4] = {{.fd = master, .events = POLLIN},
                          {.fd = 0, .events = POLLIN},
                          {.fd = sigfd, .events = POLLIN},
                          {.fd = pidfd, .events = POLLIN}};
  bool exited = false;
  while (!exited) {
    if (poll(pfd, 4, -1) < 0 && errno != EINTR)
      break;
    if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!pump(master, 1))
        pfd[0].fd = -1; /* slave side closed: the process is ending */
    }
    if (pfd[1].revents & (POLLIN | POLLHUP)) {
      if (!pump(0, master))
        pfd[1].fd = -1; /* our stdin ended; the container keeps running */
    }
    if (pfd[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH)
          copy_winsize(0, master);
        else
          syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
      }
    }
    if (pfd[3].revents & POLLIN)
      exited = true;
  }
  /* what the process wrote just before it exited */
  struct pollfd last = {.fd = master, .events = POLLIN};
  while (poll(&last, 1, 0) > 0 && (last.revents & POLLIN) && pump(master, 1))
    ;
  if (raw)
    tcsetattr(0, TCSANOW, &saved);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  sigprocmask(SIG_SETMASK, &old, NULL);
  return container_exit_code(status);
}
