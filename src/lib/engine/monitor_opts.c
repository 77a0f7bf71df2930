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

/* ["CMD", args...] as one `sh -c` line, each arg single-quoted. */
static char *quote_args(char *const *args)
{
  size_t len = 1;
  for (size_t i = 0; args[i]; i++)
    len += 3 + 4 * strlen(args[i]);
  char *out = malloc(len), *w = out;
  if (!out)
    return NULL;
  for (size_t i = 0; args[i]; i++) {
    if (i)
      *w++ = ' ';
    *w++ = '\'';
    for (const char *c = args[i]; *c; c++) {
      if (*c == '\'') {
        memcpy(w, "'\\''", 4);
        w += 4;
      } else {
        *w++ = *c;
      }
    }
    *w++ = '\'';
  }
  *w = '\0';
  return out;
}

static long long ms_or(long long flag_ms, long long image_ns)
{
  return flag_ms > 0 ? flag_ms : image_ns / 1000000;
}

int monitor_opts_merge(struct engine_monitor_opts *out, const struct engine_run_opts *o,
                       const struct image_config *img, struct vessel_error *err)
{
  *out = o->mon;
  out->health_cmd = NULL;
  if (o->no_healthcheck)
    return 0;
  char *const *test = img->health_test;
  if (o->mon.health_cmd)
    out->health_cmd = strdup(o->mon.health_cmd);
  else if (test && test[0] && strcmp(test[0], "CMD-SHELL") == 0 && test[1])
    out->health_cmd = strdup(test[1]);
  else if (test && test[0] && strcmp(test[0], "CMD") == 0 && test[1])
    out->health_cmd = quote_args(test + 1);
  else
    return 0; /* none, or NONE */
  if (!out->health_cmd)
    return vessel_error_set(err, ENOMEM, "health check");
  out->health_interval_ms = ms_or(o->mon.health_interval_ms, img->health_interval_ns);
  out->health_timeout_ms = ms_or(o->mon.health_timeout_ms, img->health_timeout_ns);
  out->health_start_period_ms = ms_or(o->mon.health_start_period_ms, img->health_start_period_ns);
  out->health_retries = o->mon.health_retries > 0 ? o->mon.health_retries : img->health_retries;
  return 0;
}
