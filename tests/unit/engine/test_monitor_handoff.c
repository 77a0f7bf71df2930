/* engine: the hand-over between vessel-monitor and its idle loop: the
 * KEY=NUMBER arguments both ways, and the memfd of a line not ended yet. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "engine/monitor.h"
#include "engine/monitor_handoff.h"
#include "tap.h"

static void numbers_go_and_come_back(void)
{
  char buf[64];
  long long v = 0;
  static const long long cases[] = {0, 1, -1, 42, 9223372036854775807LL, -9223372036854775807LL};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    handoff_format(buf, HANDOFF_HEALTH_AT, cases[i]);
    CHECK(handoff_number(buf, HANDOFF_HEALTH_AT, &v) && v == cases[i]);
  }
  CHECK_STR(handoff_format(buf, HANDOFF_OUT, -1), "out=-1");
  CHECK(!handoff_number("out=", HANDOFF_OUT, &v));
  CHECK(!handoff_number("out=7x", HANDOFF_OUT, &v));
  CHECK(!handoff_number("err=7", HANDOFF_OUT, &v));
  CHECK(!handoff_number("out=99999999999999999999", HANDOFF_OUT, &v));
  CHECK(!handoff_number("pout=3", HANDOFF_OUT, &v)); /* a key is a whole prefix */
}

static void parses_what_the_idle_loop_gives_back(void)
{
  int fds[2];
  CHECK(pipe(fds) == 0);
  char a[8][64];
  char *args[] = {
      "pid=123",
      "stdin=-1",
      "started=5000000000",
      "backoff=400",
      "healthy=1",
      handoff_format(a[0], HANDOFF_REASON, HANDOFF_WHY_HEALTH),
      handoff_format(a[1], HANDOFF_PIDFD, fds[0]),
      handoff_format(a[2], HANDOFF_OUT, -1),
      handoff_format(a[3], HANDOFF_ERR, fds[1]),
      handoff_format(a[4], HANDOFF_PENDING_OUT, -1),
      handoff_format(a[5], HANDOFF_PENDING_ERR, -1),
      handoff_format(a[6], HANDOFF_HEALTH_AT, 77),
      handoff_format(a[7], HANDOFF_OUT, fds[1]), /* given twice: the last counts */
  };
  struct monitor_handoff h;
  CHECK(monitor_handoff_parse(args, 13, &h) == 0);
  CHECK(h.reason == HANDOFF_WHY_HEALTH && h.pid == 123 && h.pidfd == fds[0]);
  CHECK(h.out == fds[1] && h.err == fds[1] && h.stdin_keep == -1 && h.pending_out == -1);
  CHECK(h.started_ns == 5000000000LL && h.backoff_ms == 400 && h.healthy_once);
  CHECK(h.health_at == 77);
  /* the fds it is given never reach a container */
  CHECK(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
  /* unknown keys, no reason, no pid: not a hand-over */
  char *unknown[] = {"pid=1", "pidfd=3", "reason=1", "colour=2"};
  CHECK(monitor_handoff_parse(unknown, 4, &h) < 0);
  char *no_reason[] = {"pid=1", "pidfd=3"};
  CHECK(monitor_handoff_parse(no_reason, 2, &h) < 0);
  char *bad_reason[] = {"pid=1", "pidfd=3", "reason=9"};
  CHECK(monitor_handoff_parse(bad_reason, 3, &h) < 0);
  close(fds[0]);
  close(fds[1]);
}

static void a_pending_line_crosses_in_a_memfd(void)
{
  CHECK(handoff_pending_save("x", 0) == -1);
  int fd = handoff_pending_save("half a li", 9);
  CHECK(fd >= 0);
  char buf[32] = {0};
  CHECK(handoff_pending_load(fd, buf, sizeof buf) == 9 && memcmp(buf, "half a li", 9) == 0);
  CHECK(fcntl(fd, F_GETFD) < 0); /* closed */
  CHECK(handoff_pending_load(-1, buf, sizeof buf) == 0);
}

TAP_MAIN({"numbers go and come back", numbers_go_and_come_back},
         {"parses what the idle loop gives back", parses_what_the_idle_loop_gives_back},
         {"a pending line crosses in a memfd", a_pending_line_crosses_in_a_memfd})
