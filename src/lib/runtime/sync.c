/* Runtime <-> init handshake messages. */
#include "sync.h"

#include "util/fdpass.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int fd, int type, int passfd, struct vessel_error *err)
{
  struct sync_msg m = {.type = type};
  if (fdpass_send(fd, &m, sizeof m, passfd) < 0)
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
  int got = -1;
  ssize_t r = fdpass_recv(fd, m, sizeof *m, &got);
  if (passfd)
    *passfd = got;
  else if (got >= 0)
    close(got);
  if (r < 0)
    return vessel_error_set(err, errno, "sync with container init");
  if (r == 0)
    return vessel_error_set(err, EPIPE, "container init exited during setup");
  if ((size_t)r != sizeof *m)
    return vessel_error_set(err, EPROTO, "sync with container init: short message");
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
