/* run's flags for the container's monitor: -t, -i, --log-opt, --restart and
 * the health check. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define HEALTH_RETRIES_MAX 1000000

static int duration(const char *flag, const char *arg, long long *ms, bool zero_ok,
                    struct vessel_error *err)
{
  if (engine_parse_duration_ms(arg, ms, err) < 0)
    return vessel_error_prefix(err, "run: %s", flag);
  if (!zero_ok && *ms <= 0)
    return vessel_error_set(err, 0, "run: %s `%s` must be more than 0", flag, arg);
  return 0;
}

int cli_run_monitor_opt(int c, const char *arg, struct engine_run_opts *o, struct vessel_error *err)
{
  struct engine_monitor_opts *m = &o->mon;
  long long n;
  switch (c) {
  case 't':
    m->tty = true;
    return 0;
  case 'i':
    m->interactive = true;
    return 0;
  case CLI_OPT_LOG_OPT:
    return engine_parse_log_opt(arg, m, err) < 0 ? vessel_error_prefix(err, "run") : 0;
  case CLI_OPT_RESTART:
    return engine_parse_restart(arg, &m->restart, &m->restart_max, err) < 0
               ? vessel_error_prefix(err, "run")
               : 0;
  case CLI_OPT_HEALTH_CMD:
    if (!arg[0])
      return vessel_error_set(err, 0, "run: --health-cmd is empty");
    m->health_cmd = (char *)arg;
    return 0;
  case CLI_OPT_HEALTH_INTERVAL:
    return duration("--health-interval", arg, &m->health_interval_ms, false, err);
  case CLI_OPT_HEALTH_TIMEOUT:
    return duration("--health-timeout", arg, &m->health_timeout_ms, false, err);
  case CLI_OPT_HEALTH_START_PERIOD:
    return duration("--health-start-period", arg, &m->health_start_period_ms, true, err);
  case CLI_OPT_HEALTH_RETRIES:
    if (parse_i64(arg, &n) < 0 || n < 1 || n > HEALTH_RETRIES_MAX)
      return vessel_error_set(err, 0, "run: bad --health-retries `%s`", arg);
    m->health_retries = (int)n;
    return 0;
  case CLI_OPT_NO_HEALTHCHECK:
    o->no_healthcheck = true;
    return 0;
  }
  return vessel_error_set(err, 0, "run: unknown flag");
}

int cli_run_monitor_check(struct engine_run_opts *o, bool detach, struct vessel_error *err)
{
  if (o->remove && o->mon.restart != ENGINE_RESTART_NO)
    return vessel_error_set(err, 0, "run: conflicting options: --restart and --rm");
  if (o->no_healthcheck && o->mon.health_cmd)
    return vessel_error_set(err, 0, "run: --no-healthcheck conflicts with --health-cmd");
  /* docker gives the container no input without -i */
  if (!detach && !o->mon.interactive) {
    _cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
      return vessel_error_set(err, 0, "run: redirect stdin to `/dev/null`");
  }
  return 0;
}
