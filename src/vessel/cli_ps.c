/* ps --filter, --format TEMPLATE (docker's field names), -n, -l, --no-trunc. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ps.h"
#include "util/cleanup.h"
#include "util/fs.h"

int ps_option(struct cli *cli, int c, const char *arg, struct ps_opts *po, struct vessel_error *err)
{
  switch (c) {
  case 'F':
    return cli_format_parse("ps", arg, &po->format, err);
  case 'f': {
    struct engine *e = cli_engine(cli, err);
    if (!e)
      return -1;
    if (!po->filters && !(po->filters = engine_filters_new(err)))
      return -1;
    if (engine_filters_add(e, po->filters, arg, err) < 0)
      return vessel_error_prefix(err, "ps");
    return 0;
  }
  case 'n':
    if (parse_i64(arg, &po->last) < 0 || po->last < -1)
      return vessel_error_set(err, 0, "ps: bad --last `%s`", arg);
    return 0;
  case 'l':
    po->last = 1;
    return 0;
  case 'T':
    po->no_trunc = true;
    return 0;
  default:
    return -1;
  }
}

void ps_opts_clear(struct ps_opts *po)
{
  engine_filters_free(po->filters);
  cli_format_clear(&po->format);
  po->filters = NULL;
}

void ps_select(struct engine *e, const struct ps_opts *po, struct engine_container *v, size_t *n,
               bool all)
{
  size_t k = 0;
  for (size_t i = 0; i < *n; i++) {
    bool keep = (all || v[i].state == ENGINE_RUNNING || v[i].state == ENGINE_PAUSED) &&
                engine_filters_match(e, po->filters, &v[i]);
    if (keep)
      v[k++] = v[i];
    else
      engine_container_clear(&v[i]);
  }
  if (po->last >= 0 && (size_t)po->last < k) {
    size_t drop = k - (size_t)po->last;
    for (size_t i = 0; i < drop; i++)
      engine_container_clear(&v[i]);
    memmove(v, v + drop, (size_t)po->last * sizeof *v);
    /* the cleared slots at the end are freed again by engine_list_free */
    memset(v + po->last, 0, drop * sizeof *v);
    k = (size_t)po->last;
  }
  *n = k;
}

static char *command_text(char *const *cmd, bool no_trunc)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return NULL;
  fputc('"', f);
  for (size_t i = 0; cmd && cmd[i]; i++)
    fprintf(f, "%s%s", i ? " " : "", cmd[i]);
  fputc('"', f);
  fclose(f);
  /* docker's ps shortens the quoted command to 20 characters */
  if (buf && !no_trunc && len > 20)
    strcpy(buf + 19, "…");
  return buf;
}

/* "k=v,k2=v2", as docker's ps shows labels */
static char *labels_text(struct engine *e, const struct engine_container *c)
{
  struct vessel_error ignored = {0};
  _cleanup_strv_ char **labels = engine_container_labels(e, c, &ignored);
  size_t len = 1;
  for (size_t i = 0; labels && labels[i]; i++)
    len += strlen(labels[i]) + 1;
  char *out = calloc(1, len);
  for (size_t i = 0; out && labels && labels[i]; i++) {
    if (i)
      strcat(out, ",");
    strcat(out, labels[i]);
  }
  return out;
}

static json_t *row_json(struct engine *e, const struct engine_container *c, bool no_trunc)
{
  char status[128], created_at[64] = "", running_for[80];
  _cleanup_free_ char *cmd = command_text(c->cmd, no_trunc);
  _cleanup_free_ char *labels = labels_text(e, c);
  cli_status_text(c, status, sizeof status);
  char dur[64];
  cli_human_duration(cli_seconds_since(c->created), dur, sizeof dur);
  snprintf(running_for, sizeof running_for, "%s ago", dur);
  if (c->created && strlen(c->created) >= 19)
    snprintf(created_at, sizeof created_at, "%.10s %.8s +0000 UTC", c->created, c->created + 11);
  char id[65];
  snprintf(id, sizeof id, "%.*s", no_trunc ? 64 : 12, c->id);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                   "Command", cmd ? cmd : "", "CreatedAt", created_at, "ID", id, "Image",
                   c->image ? c->image : "", "Labels", labels ? labels : "", "LocalVolumes", "0",
                   "Mounts", "", "Names", c->name ? c->name : "", "Networks", "", "Ports", "",
                   "RunningFor", running_for, "Size", "0B", "State", engine_state_name(c->state),
                   "Status", status);
}

int ps_print_template(struct engine *e, const struct ps_opts *po, const struct engine_container *v,
                      size_t n, struct vessel_error *err)
{
  json_t *header =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Command",
                "COMMAND", "CreatedAt", "CREATED AT", "ID", "CONTAINER ID", "Image", "IMAGE",
                "Labels", "LABELS", "LocalVolumes", "LOCAL VOLUMES", "Mounts", "MOUNTS", "Names",
                "NAMES", "Networks", "NETWORKS", "Ports", "PORTS", "RunningFor", "CREATED", "Size",
                "SIZE", "State", "STATE", "Status", "STATUS");
  _cleanup_free_ json_t **rows = calloc(n + 1, sizeof *rows);
  int ret = header && rows ? 0 : vessel_error_set(err, ENOMEM, "ps");
  for (size_t i = 0; i < n && ret == 0; i++)
    if (!(rows[i] = row_json(e, &v[i], po->no_trunc)))
      ret = vessel_error_set(err, ENOMEM, "ps");
  if (ret == 0 && cli_format_print(&po->format, header, rows, n, err) < 0)
    ret = vessel_error_prefix(err, "ps");
  for (size_t i = 0; rows && i < n; i++)
    json_decref(rows[i]);
  json_decref(header);
  return ret;
}
