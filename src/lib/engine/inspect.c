/* `vessel inspect`: docker's field names for the parts of a container the
 * engine knows. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

#include "engine/internal.h"

static json_t *strv_json(char *const *v)
{
  json_t *a = json_array();
  for (size_t i = 0; a && v && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

char *engine_inspect_json(struct engine *e, const struct engine_container *c,
                          struct vessel_error *err)
{
  /* docker's zero time for a start or an exit that has not happened */
  static const char zero_time[] = "0001-01-01T00:00:00Z";
  json_t *state =
      json_pack("{s:s, s:b, s:b, s:i, s:i, s:s, s:s}", "Status", engine_state_name(c->state),
                "Running", c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED, "Paused",
                c->state == ENGINE_PAUSED, "ExitCode", c->exit_code, "Pid", (int)c->pid,
                "StartedAt", c->started_at ? c->started_at : zero_time, "FinishedAt",
                c->finished_at ? c->finished_at : zero_time);
  json_t *config = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "Hostname",
                             c->hostname ? c->hostname : "", "Image", c->image ? c->image : "",
                             "Cmd", strv_json(c->cmd), "Env", strv_json(c->env), "WorkingDir",
                             c->workdir ? c->workdir : "/", "User", c->user ? c->user : "");
  json_t *host = json_pack("{s:b}", "AutoRemove", c->auto_remove);
  /* run flags: labels, stop signal and timeout, mounts */
  json_object_set_new(config, "Labels", labels_json(c->labels));
  json_object_set_new(config, "StopSignal",
                      json_string(c->stop_signal ? c->stop_signal : "SIGTERM"));
  json_object_set_new(config, "StopTimeout",
                      json_integer(c->stop_timeout_set ? c->stop_timeout : 10));
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "Id", c->id, "Name",
                        c->name ? c->name : "", "Created", c->created ? c->created : "", "Image",
                        c->image_id ? c->image_id : "", "BundlePath", c->bundle ? c->bundle : "",
                        "State", state, "Config", config, "HostConfig", host);
  if (o)
    json_object_set_new(o, "Mounts", inspect_mounts_json(e, c));
  if (!o || monitor_inspect_json(o, c) < 0) {
    json_decref(o);
    vessel_error_set(err, ENOMEM, "inspect");
    return NULL;
  }
  char *text = json_dumps(o, JSON_INDENT(2));
  json_decref(o);
  if (!text)
    vessel_error_set(err, ENOMEM, "inspect");
  return text;
}
