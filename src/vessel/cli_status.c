/* docker's words for how long a container has been up, and its health. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* units.HumanDuration of docker's go-units. */
static void human_duration(long long s, char *buf, size_t n)
{
  if (s < 1)
    snprintf(buf, n, "Less than a second");
  else if (s == 1)
    snprintf(buf, n, "1 second");
  else if (s < 60)
    snprintf(buf, n, "%lld seconds", s);
  else if (s / 60 == 1)
    snprintf(buf, n, "About a minute");
  else if (s < 3600)
    snprintf(buf, n, "%lld minutes", s / 60);
  else if (s / 3600 == 1)
    snprintf(buf, n, "About an hour");
  else if (s < 48 * 3600)
    snprintf(buf, n, "%lld hours", s / 3600);
  else if (s < 7 * 24 * 3600 * 2)
    snprintf(buf, n, "%lld days", s / (24 * 3600));
  else if (s < 30 * 24 * 3600 * 3)
    snprintf(buf, n, "%lld weeks", s / (7 * 24 * 3600));
  else if (s < 365 * 24 * 3600 * 2)
    snprintf(buf, n, "%lld months", s / (30 * 24 * 3600));
  else
    snprintf(buf, n, "%lld years", s / (365 * 24 * 3600));
}

const char *cli_status_up(const struct engine_container *c, char *buf)
{
  char since[32] = "";
  struct timespec started, now;
  struct vessel_error ignored;
  if (c->started_at && engine_parse_since(c->started_at, &started, &ignored) == 0) {
    clock_gettime(CLOCK_REALTIME, &now);
    human_duration((long long)(now.tv_sec - started.tv_sec), since, sizeof since);
  }
  const char *h = c->health_status;
  bool starting = h && strcmp(h, "starting") == 0;
  snprintf(buf, 64, "Up%s%s%s%s%s", since[0] ? " " : "", since,
           !h         ? ""
           : starting ? " (health: "
                      : " (",
           h ? h : "", h ? ")" : "");
  return buf;
}

const char *cli_status_restarting(const struct engine_container *c, char *buf)
{
  char ago[32] = "";
  struct timespec finished, now;
  struct vessel_error ignored;
  if (c->finished_at && engine_parse_since(c->finished_at, &finished, &ignored) == 0) {
    clock_gettime(CLOCK_REALTIME, &now);
    human_duration((long long)(now.tv_sec - finished.tv_sec), ago, sizeof ago);
  }
  snprintf(buf, 64, "Restarting (%d)%s%s%s", c->exit_code, ago[0] ? " " : "", ago,
           ago[0] ? " ago" : "");
  return buf;
}
