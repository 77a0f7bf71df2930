/* Loading a compiled program in the container's init, and handing the
 * SCMP_ACT_NOTIFY listener to the seccomp agent (runtime-spec listenerPath). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "seccomp.h"
#include "util/cleanup.h"
#include "util/fdpass.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

/* Runs after fork in a single-threaded child: no allocation here (the error
 * formatting is snprintf into err's own buffer). */
int seccomp_program_install(const struct seccomp_program *p, struct vessel_error *err)
{
  if (!p->filter || p->len == 0 || p->len > UINT16_MAX)
    return vessel_error_set(err, EINVAL, "seccomp: no program to install");
  struct sock_fprog prog = {.len = (unsigned short)p->len, .filter = p->filter};
  unsigned long flags = p->flags;
  if (p->notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    /* TSYNC alone would return a thread id where the listener fd belongs */
    if (flags & SECCOMP_FILTER_FLAG_TSYNC)
      flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }

  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r >= 0)
    return p->notify ? (int)r : 0;

  int e = errno;
  switch (e) {
  case EACCES:
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0)
      return vessel_error_set(err, e,
                              "seccomp: loading a filter needs no_new_privs or CAP_SYS_ADMIN, "
                              "and the process has neither (set process.noNewPrivileges or keep "
                              "CAP_SYS_ADMIN until the filter is loaded)");
    break;
  case EINVAL:
    return vessel_error_set(err, e,
                            "seccomp: the kernel rejected the filter or its flags (0x%lx); an "
                            "older kernel lacks some SECCOMP_FILTER_FLAG_* or actions",
                            flags);
  case EBUSY:
    return vessel_error_set(err, e,
                            "seccomp: a filter with a notification listener is already "
                            "installed on this process (nested SCMP_ACT_NOTIFY)");
  case ENOMEM:
    return vessel_error_set(err, e,
                            "seccomp: the filters of this process would exceed the kernel's "
                            "limit on total instructions");
  case ENOSYS:
    return vessel_error_set(err, e, "seccomp: the kernel has no seccomp filter support");
  }
  return vessel_error_set(err, e, "seccomp: install the filter");
}

int seccomp_agent_connect(const char *listener_path, struct vessel_error *err)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  size_t plen = strlen(listener_path);
  if (plen == 0 || plen >= sizeof addr.sun_path)
    return vessel_error_set(err, ENAMETOOLONG,
                            "seccomp listener `%s`: a unix socket path has 1 to %zu bytes",
                            listener_path, sizeof addr.sun_path - 1);
  memcpy(addr.sun_path, listener_path, plen + 1);
  _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return vessel_error_set(err, errno, "seccomp listener `%s`: socket", listener_path);
  int r;
  do
    r = connect(sock, (struct sockaddr *)&addr, sizeof addr);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return vessel_error_set(err, errno, "connect to seccomp agent `%s`", listener_path);
  return TAKE_FD(sock);
}

int seccomp_send_listener_fd(int sock, int listener_fd, const char *state_json,
                             struct vessel_error *err)
{
  size_t len = strlen(state_json);
  if (len == 0)
    /* a stream socket drops SCM_RIGHTS sent without a data byte */
    return vessel_error_set(err, EINVAL, "seccomp listener: empty state");
  /* The fd travels with the first chunk; a large state may need more. */
  size_t done = 0;
  while (done < len) {
    ssize_t n = done == 0 ? fdpass_send(sock, state_json, len, listener_fd)
                          : send(sock, state_json + done, len - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vessel_error_set(err, errno, "send the seccomp listener to the agent");
    done += (size_t)n;
  }
  return 0;
}

int seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json,
                          struct vessel_error *err)
{
  if (!state_json[0])
    return vessel_error_set(err, EINVAL, "seccomp listener `%s`: empty state", listener_path);
  _cleanup_close_ int sock = seccomp_agent_connect(listener_path, err);
  if (sock < 0)
    return -1;
  if (seccomp_send_listener_fd(sock, listener_fd, state_json, err) < 0)
    return vessel_error_prefix(err, "`%s`", listener_path);
  return 0;
}
