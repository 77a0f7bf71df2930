/* The monitor's fields of a container record: its options (-t, -i,
 * --log-opt, --restart, --health-*), the restart count, the stop mark and
 * the health state. All optional: records written before have none. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "engine/internal.h"

static const char *const restart_names[] = {
    [ENGINE_RESTART_NO] = "no",
    [ENGINE_RESTART_ON_FAILURE] = "on-failure",
    [ENGINE_RESTART_ALWAYS] = "always",
    [ENGINE_RESTART_UNLESS_STOPPED] = "unless-stopped",
};

const char *engine_restart_name(enum engine_restart r)
{
  return (size_t)r < sizeof restart_names / sizeof restart_names[0] ? restart_names[r] : "no";
}

int monitor_to_json(json_t *o, const struct engine_container *c)
{
  const struct engine_monitor_opts *m = &c->mon;
  json_t *mon =
      json_pack("{s:b, s:b, s:I, s:i, s:s, s:i, s:I, s:I, s:I, s:i}", "tty", m->tty, "interactive",
                m->interactive, "log_max_size", (json_int_t)m->log_max_size, "log_max_file",
                m->log_max_file, "restart", engine_restart_name(m->restart), "restart_max",
                m->restart_max, "health_interval_ms", (json_int_t)m->health_interval_ms,
                "health_timeout_ms", (json_int_t)m->health_timeout_ms, "health_start_period_ms",
                (json_int_t)m->health_start_period_ms, "health_retries", m->health_retries);
  if (!mon)
    return -1;
  if (m->health_cmd)
    json_object_set_new(mon, "health_cmd", json_string(m->health_cmd));
  json_object_set_new(o, "monitor", mon);
  json_object_set_new(o, "restart_count", json_integer(c->restart_count));
  if (c->stopped_by_user)
    json_object_set_new(o, "stopped_by_user", json_true());
  if (c->restarting)
    json_object_set_new(o, "restarting", json_true());
  if (c->health_status) {
    json_t *log = json_array();
    for (size_t i = 0; log && i < c->n_health_log; i++) {
      const struct engine_health_result *h = &c->health_log[i];
      json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s}", "start", h->start, "end", h->end,
                                           "exit_code", h->exit_code, "output",
                                           h->output ? h->output : ""));
    }
    json_t *health = json_pack("{s:s, s:i, s:o}", "status", c->health_status, "failing_streak",
                               c->health_failing_streak, "log", log);
    if (!health)
      return -1;
    json_object_set_new(o, "health", health);
  }
  return 0;
}

static long long int_or(json_t *o, const char *key, long long dflt)
{
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static int dup_string(json_t *o, const char *key, char **out)
{
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v))
    return 0;
  return (*out = strdup(json_string_value(v))) ? 0 : -1;
}

int monitor_from_json(json_t *o, struct engine_container *c, struct vessel_error *err)
{
  json_t *mon = json_object_get(o, "monitor");
  if (json_is_object(mon)) {
    struct engine_monitor_opts *m = &c->mon;
    m->tty = json_is_true(json_object_get(mon, "tty"));
    m->interactive = json_is_true(json_object_get(mon, "interactive"));
    m->log_max_size = int_or(mon, "log_max_size", 0);
    m->log_max_file = (int)int_or(mon, "log_max_file", 0);
    m->restart_max = (int)int_or(mon, "restart_max", 0);
    m->health_interval_ms = int_or(mon, "health_interval_ms", 0);
    m->health_timeout_ms = int_or(mon, "health_timeout_ms", 0);
    m->health_start_period_ms = int_or(mon, "health_start_period_ms", 0);
    m->health_retries = (int)int_or(mon, "health_retries", 0);
    const char *r = json_string_value(json_object_get(mon, "restart"));
    for (size_t i = 0; r && i < sizeof restart_names / sizeof restart_names[0]; i++)
      if (strcmp(r, restart_names[i]) == 0)
        m->restart = (enum engine_restart)i;
    if (dup_string(mon, "health_cmd", &m->health_cmd) < 0)
      return vessel_error_set(err, ENOMEM, "container record");
  }
  c->restart_count = (int)int_or(o, "restart_count", 0);
  c->stopped_by_user = json_is_true(json_object_get(o, "stopped_by_user"));
  c->restarting = json_is_true(json_object_get(o, "restarting"));
  json_t *h = json_object_get(o, "health");
  if (!json_is_object(h))
    return 0;
  if (dup_string(h, "status", &c->health_status) < 0)
    return vessel_error_set(err, ENOMEM, "container record");
  c->health_failing_streak = (int)int_or(h, "failing_streak", 0);
  json_t *log = json_object_get(h, "log");
  size_t n = json_array_size(log);
  for (size_t i = n > ENGINE_HEALTH_LOG ? n - ENGINE_HEALTH_LOG : 0; i < n; i++) {
    json_t *e = json_array_get(log, i);
    struct engine_health_result *r = &c->health_log[c->n_health_log++];
    r->exit_code = (int)int_or(e, "exit_code", -1);
    if (dup_string(e, "start", &r->start) < 0 || dup_string(e, "end", &r->end) < 0 ||
        dup_string(e, "output", &r->output) < 0)
      return vessel_error_set(err, ENOMEM, "container record");
  }
  return 0;
}

/* The object at key of o, made when missing. */
static json_t *object_at(json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  if (!json_is_object(v)) {
    v = json_object();
    json_object_set_new(o, key, v);
  }
  return v;
}

int monitor_inspect_json(json_t *o, const struct engine_container *c)
{
  const struct engine_monitor_opts *m = &c->mon;
  json_t *state = object_at(o, "State"), *config = object_at(o, "Config"),
         *host = object_at(o, "HostConfig");
  if (!state || !config || !host)
    return -1;
  json_object_set_new(o, "RestartCount", json_integer(c->restart_count));
  char path[4200];
  snprintf(path, sizeof path, "%s/%s-json.log", c->bundle ? c->bundle : "", c->id);
  json_object_set_new(o, "LogPath", json_string(path));
  json_object_set_new(state, "Restarting", json_boolean(c->restarting));
  if (c->restarting)
    json_object_set_new(state, "Status", json_string("restarting"));
  if (c->health_status) {
    json_t *log = json_array();
    for (size_t i = 0; log && i < c->n_health_log; i++) {
      const struct engine_health_result *h = &c->health_log[i];
      json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s}", "Start", h->start, "End", h->end,
                                           "ExitCode", h->exit_code, "Output",
                                           h->output ? h->output : ""));
    }
    json_object_set_new(state, "Health",
                        json_pack("{s:s, s:i, s:o}", "Status", c->health_status, "FailingStreak",
                                  c->health_failing_streak, "Log", log));
  }
  json_object_set_new(config, "Tty", json_boolean(m->tty));
  json_object_set_new(config, "OpenStdin", json_boolean(m->interactive));
  if (m->health_cmd) {
    const long long ns = 1000000; /* docker keeps nanoseconds */
    json_object_set_new(
        config, "Healthcheck",
        json_pack("{s:[s, s], s:I, s:I, s:I, s:i}", "Test", "CMD-SHELL", m->health_cmd, "Interval",
                  (json_int_t)(m->health_interval_ms * ns), "Timeout",
                  (json_int_t)(m->health_timeout_ms * ns), "StartPeriod",
                  (json_int_t)(m->health_start_period_ms * ns), "Retries", m->health_retries));
  }
  json_object_set_new(host, "RestartPolicy",
                      json_pack("{s:s, s:i}", "Name", engine_restart_name(m->restart),
                                "MaximumRetryCount", m->restart_max));
  json_t *lc = json_object();
  if (m->log_max_size > 0)
    json_object_set_new(lc, "max-size", json_sprintf("%lld", m->log_max_size));
  if (m->log_max_file > 0)
    json_object_set_new(lc, "max-file", json_sprintf("%d", m->log_max_file));
  json_object_set_new(host, "LogConfig",
                      json_pack("{s:s, s:o}", "Type", "json-file", "Config", lc));
  return 0;
}
