/* docker's STATUS words for a container: Created, Up 3 seconds (healthy),
 * Up 2 minutes (Paused), Restarting (1) 4 seconds ago, Exited (0) 1 hour ago. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_format.h"

/* "3 seconds" since t, or "" when t is unknown */
static void since(const char *t, char *buf, size_t size)
{
  long long s = cli_seconds_since(t);
  if (s < 0)
    buf[0] = '\0';
  else
    cli_human_duration(s, buf, size);
}

const char *cli_status_text(const struct engine_container *c, char *buf, size_t size)
{
  char d[48];
  switch (c->state) {
  case ENGINE_CREATED:
    snprintf(buf, size, "Created");
    break;
  case ENGINE_RUNNING:
  case ENGINE_PAUSED: {
    since(c->started_at, d, sizeof d);
    const char *h = c->health_status;
    bool starting = h && strcmp(h, "starting") == 0;
    snprintf(buf, size, "Up%s%s%s%s%s%s", d[0] ? " " : "", d,
             c->state == ENGINE_PAUSED ? " (Paused)" : "",
             !h         ? ""
             : starting ? " (health: "
                        : " (",
             h ? h : "", h ? ")" : "");
    break;
  }
  case ENGINE_EXITED:
    since(c->finished_at, d, sizeof d);
    if (c->exit_code < 0 && !c->restarting)
      snprintf(buf, size, "Exited (unknown)");
    else
      snprintf(buf, size, "%s (%d)%s%s%s", c->restarting ? "Restarting" : "Exited", c->exit_code,
               d[0] ? " " : "", d, d[0] ? " ago" : "");
    break;
  }
  return buf;
}
