/* The monitor's options in docker's spellings: --restart, durations,
 * --since, --log-opt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/internal.h"
#include "engine/policy.h"
#include "util/fs.h"

#define RESTART_MAX_COUNT 1000000
#define DURATION_MAX_MS (100LL * 365 * 24 * 3600 * 1000)

int engine_parse_restart(const char *s, enum engine_restart *policy, int *max,
                         struct vessel_error *err)
{
  *max = 0;
  if (strcmp(s, "no") == 0 || strcmp(s, "") == 0) {
    *policy = ENGINE_RESTART_NO;
  } else if (strcmp(s, "always") == 0) {
    *policy = ENGINE_RESTART_ALWAYS;
  } else if (strcmp(s, "unless-stopped") == 0) {
    *policy = ENGINE_RESTART_UNLESS_STOPPED;
  } else if (strncmp(s, "on-failure", 10) == 0 && (s[10] == '\0' || s[10] == ':')) {
    *policy = ENGINE_RESTART_ON_FAILURE;
    long long n;
    if (s[10] == ':' && (parse_i64(s + 11, &n) < 0 || n < 0 || n > RESTART_MAX_COUNT))
      return vessel_error_set(err, 0, "bad --restart `%s`: on-failure:N wants a count", s);
    if (s[10] == ':')
      *max = (int)n;
  } else {
    return vessel_error_set(err, 0,
                            "bad --restart `%s`: no, on-failure[:N], always or unless-stopped", s);
  }
  return 0;
}

/* Go's time.ParseDuration subset: a sequence of NUMBER[.FRACTION]UNIT with
 * units h, m, s, ms, us, ns; "0" alone too. */
int engine_parse_duration_ms(const char *s, long long *ms, struct vessel_error *err)
{
  static const struct {
    const char *unit;
    double ms;
  } units[] = {{"ms", 1}, {"us", 1e-3}, {"ns", 1e-6}, {"h", 3600e3}, {"m", 60e3}, {"s", 1e3}};
  if (strcmp(s, "0") == 0) {
    *ms = 0;
    return 0;
  }
  double total = 0;
  const char *p = s;
  if (!*p)
    goto bad;
  while (*p) {
    char *end;
    errno = 0;
    if (!((*p >= '0' && *p <= '9') || *p == '.'))
      goto bad;
    double v = strtod(p, &end);
    if (end == p || errno)
      goto bad;
    p = end;
    size_t i;
    for (i = 0; i < sizeof units / sizeof units[0]; i++)
      if (strncmp(p, units[i].unit, strlen(units[i].unit)) == 0)
        break;
    if (i == sizeof units / sizeof units[0])
      goto bad;
    total += v * units[i].ms;
    p += strlen(units[i].unit);
    if (total > (double)DURATION_MAX_MS)
      goto bad;
  }
  *ms = (long long)(total + 0.5);
  return 0;
bad:
  return vessel_error_set(err, 0, "bad duration `%s` (e.g. 30s, 1m30s, 500ms)", s);
}

int engine_parse_since(const char *s, struct timespec *out, struct vessel_error *err)
{
  if (policy_parse_time(s, out) == 0)
    return 0;
  /* unix seconds, with a fraction as docker allows */
  char *end;
  errno = 0;
  if (s[0] >= '0' && s[0] <= '9') {
    long long sec = strtoll(s, &end, 10);
    if (!errno && (*end == '\0' || *end == '.')) {
      long nsec = 0;
      if (*end == '.') {
        long scale = 100000000;
        for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
          nsec += scale * (*end - '0');
      }
      if (*end == '\0') {
        out->tv_sec = (time_t)sec;
        out->tv_nsec = nsec;
        return 0;
      }
    }
  }
  long long ms;
  struct vessel_error ignored;
  if (engine_parse_duration_ms(s, &ms, &ignored) == 0) {
    clock_gettime(CLOCK_REALTIME, out);
    long long ns = (long long)out->tv_sec * 1000000000LL + out->tv_nsec - ms * 1000000LL;
    out->tv_sec = (time_t)(ns / 1000000000LL);
    out->tv_nsec = (long)(ns % 1000000000LL);
    return 0;
  }
  return vessel_error_set(err, 0, "bad --since `%s`: a time (RFC 3339), unix seconds or a duration",
                          s);
}

int engine_parse_log_opt(const char *kv, struct engine_monitor_opts *m, struct vessel_error *err)
{
  const char *eq = strchr(kv, '=');
  if (!eq)
    return vessel_error_set(err, 0, "bad --log-opt `%s`: KEY=VALUE", kv);
  long long n;
  if (strncmp(kv, "max-size=", 9) == 0) {
    if (engine_parse_bytes(eq + 1, &n) < 0 || n <= 0)
      return vessel_error_set(err, 0, "bad --log-opt `%s`: a size such as 10m", kv);
    m->log_max_size = n;
  } else if (strncmp(kv, "max-file=", 9) == 0) {
    if (parse_i64(eq + 1, &n) < 0 || n < 1 || n > POLICY_MAX_LOG_FILES)
      return vessel_error_set(err, 0, "bad --log-opt `%s`: a count from 1 to %d", kv,
                              POLICY_MAX_LOG_FILES);
    m->log_max_file = (int)n;
  } else {
    return vessel_error_set(err, 0, "unknown --log-opt `%s`: max-size or max-file", kv);
  }
  return 0;
}
