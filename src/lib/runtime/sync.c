/* Runtime <-> init handshake messages. */
#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int fd, int type, int passfd, struct vessel_error *err)
{
  struct sync_msg m = {.type = type};
  struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (passfd >= 0) {
    memset(&u, 0, sizeof u);
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &passfd, sizeof(int));
  }
  ssize_t r;
  do
    r = sendmsg(fd, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return vessel_error_set(err, errno, "sync with container init");
  return 0;
}

int sync_send_error(int fd, const struct vessel_error *e)
{
  struct sync_msg m = {.type = SYNC_ERROR, .code = e->code};
  memcpy(m.text, e->msg, sizeof m.text);
  ssize_t r;
  do
    r = send(fd, &m, sizeof m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int sync_recv(int fd, struct sync_msg *m, int *passfd, struct vessel_error *err)
{
  struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                      .msg_controllen = sizeof u.buf};
  ssize_t r;
  do
    r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return vessel_error_set(err, errno, "sync with container init");
  if (r == 0)
    return vessel_error_set(err, EPIPE, "container init exited during setup");
  if ((size_t)r != sizeof *m)
    return vessel_error_set(err, EPROTO, "sync with container init: short message");
  if (passfd) {
    *passfd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        memcpy(passfd, CMSG_DATA(c), sizeof(int));
  }
  m->text[sizeof m->text - 1] = '\0';
  return 0;
}

int sync_expect(int fd, int type, int *passfd, struct vessel_error *err)
{
  struct sync_msg m;
  if (sync_recv(fd, &m, passfd, err) < 0)
    return -1;
  if (m.type == SYNC_ERROR) {
    err->code = m.code;
    memcpy(err->msg, m.text, sizeof err->msg);
    return -1;
  }
  if (m.type != type)
    return vessel_error_set(err, EPROTO, "sync with container init: unexpected message %d", m.type);
  return 0;
}

int sync_send_text(int fd, int type, const char *text, struct vessel_error *err)
{
  struct sync_msg m = {.type = type};
  snprintf(m.text, sizeof m.text, "%s", text ? text : "");
  ssize_t r;
  do
    r = send(fd, &m, sizeof m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return vessel_error_set(err, errno, "sync with container init");
  return 0;
}

int sync_expect_text(int fd, int type, char *text, struct vessel_error *err)
{
  struct sync_msg m;
  if (sync_recv(fd, &m, NULL, err) < 0)
    return -1;
  if (m.type == SYNC_ERROR) {
    err->code = m.code;
    memcpy(err->msg, m.text, sizeof err->msg);
    return -1;
  }
  if (m.type != type)
    return vessel_error_set(err, EPROTO, "sync with container init: unexpected message %d", m.type);
  memcpy(text, m.text, sizeof m.text);
  return 0;
}
