/* The monitor's pure decisions: whether an exit is restarted and after how
 * long; and the times of docker's logs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/internal.h"
#include "engine/policy.h"
#include "util/fs.h"

/* 2026-11-30T13:00:00[.frac](Z|+hh:mm|-hh:mm), or a date alone. */
int policy_parse_time(const char *s, struct timespec *out)
{
  struct tm tm = {0};
  const char *p = strptime(s, "%Y-%m-%d", &tm);
  if (!p)
    return -1;
  if (*p == 'T' && !(p = strptime(p + 1, "%H:%M:%S", &tm)))
    return -1;
  long nsec = 0;
  if (*p == '.') {
    long scale = 100000000;
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
      nsec += scale * (*p - '0');
  }
  long offset = 0;
  if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1, hh, mm;
    if (strlen(p) != 6 || p[3] != ':' || sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
      return -1;
    offset = sign * (hh * 3600L + mm * 60L);
    p += 6;
  } else if (*p == 'Z') {
    p++;
  }
  if (*p)
    return -1;
  out->tv_sec = timegm(&tm) - offset;
  out->tv_nsec = nsec;
  return 0;
}

bool policy_restarts(const struct engine_container *c, int exit_code)
{
  if (c->stopped_by_user)
    return false;
  switch (c->mon.restart) {
  case ENGINE_RESTART_NO:
    return false;
  case ENGINE_RESTART_ON_FAILURE:
    return exit_code != 0 && (c->mon.restart_max == 0 || c->restart_count < c->mon.restart_max);
  case ENGINE_RESTART_ALWAYS:
  case ENGINE_RESTART_UNLESS_STOPPED:
    return true;
  }
  return false;
}

long long policy_backoff_ms(long long previous_ms, long long ran_ms)
{
  if (ran_ms >= POLICY_RESET_AFTER_MS || previous_ms <= 0)
    return POLICY_BACKOFF_FIRST_MS;
  long long next = previous_ms * 2;
  return next > POLICY_BACKOFF_MAX_MS ? POLICY_BACKOFF_MAX_MS : next;
}

int engine_exec_failure_status(const struct vessel_error *err)
{
  if (!strstr(err->msg, "exec `"))
    return -1;
  if (err->code == ENOENT)
    return ENGINE_EXIT_NOT_FOUND;
  if (err->code == EACCES)
    return ENGINE_EXIT_CANNOT_EXEC;
  return -1;
}
