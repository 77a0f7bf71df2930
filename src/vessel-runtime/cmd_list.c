/* list and ps. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int parse_format(const char *cmd, const char *v, bool *json, struct vessel_error *err)
{
  if (strcmp(v, "json") == 0)
    *json = true;
  else if (strcmp(v, "table") == 0)
    *json = false;
  else
    return vessel_error_set(err, EINVAL, "%s: --format must be table or json, not `%s`", cmd, v);
  return 0;
}

int cmd_list(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool json = false, quiet = false;
  int c;
  while ((c = cli_getopt("list", argc, argv, "f:qh", opts, err)) != -1) {
    if (c == 'f') {
      if (parse_format("list", optarg, &json, err) < 0)
        return -1;
    } else if (c == 'q') {
      quiet = true;
    } else {
      return c == 'h' ? 0 : -1;
    }
  }
  if (optind < argc)
    return vessel_error_set(err, EINVAL, "list: unexpected argument `%s`", argv[optind]);
  struct container_info *list = NULL;
  size_t n = 0;
  if (runtime_list(&cli->ctx, &list, &n, err) < 0)
    return -1;
  if (quiet) {
    for (size_t i = 0; i < n; i++)
      printf("%s\n", list[i].id);
  } else if (json) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
      json_t *o = json_pack(
          "{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "ociVersion", SPEC_OCI_VERSION, "id",
          list[i].id, "pid", (int)list[i].pid, "status", container_status_name(list[i].status),
          "bundle", list[i].bundle, "rootfs", list[i].rootfs ? list[i].rootfs : "", "created",
          list[i].created ? list[i].created : "", "owner", list[i].owner ? list[i].owner : "");
      json_t *an = list[i].annotations_json ? json_loads(list[i].annotations_json, 0, NULL) : NULL;
      if (an)
        json_object_set_new(o, "annotations", an);
      json_array_append_new(a, o);
    }
    char *text = json_dumps(a, JSON_COMPACT);
    printf("%s\n", text ? text : "[]");
    free(text);
    json_decref(a);
  } else {
    printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
           "OWNER");
    for (size_t i = 0; i < n; i++)
      printf("%-20s %-8d %-10s %-40s %-32s %s\n", list[i].id, (int)list[i].pid,
             container_status_name(list[i].status), list[i].bundle,
             list[i].created ? list[i].created : "",
             list[i].owner && list[i].owner[0] ? list[i].owner : "root");
  }
  for (size_t i = 0; i < n; i++)
    container_info_free(&list[i]);
  free(list);
  return 0;
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Runs ps(1) with the given options and keeps the header and the lines of
 * the container's pids (found by the PID column), as runc ps does. */
static int ps_table(char **ps_args, const pid_t *pids, size_t n, struct vessel_error *err)
{
  char cmd[4096] = "ps";
  size_t off = 2;
  if (!ps_args[0])
    off += (size_t)snprintf(cmd + off, sizeof cmd - off, " -ef");
  for (size_t i = 0; ps_args[i] && off < sizeof cmd; i++) {
    /* quote each option: they are passed to sh through popen */
    off += (size_t)snprintf(cmd + off, sizeof cmd - off, " '");
    for (const char *p = ps_args[i]; *p && off + 5 < sizeof cmd; p++) {
      if (*p == '\'')
        off += (size_t)snprintf(cmd + off, sizeof cmd - off, "'\\''");
      else
        cmd[off++] = *p;
    }
    off += (size_t)snprintf(cmd + off, sizeof cmd - off, "'");
  }
  FILE *f = popen(cmd, "re");
  if (!f)
    return vessel_error_set(err, errno, "ps: run ps");
  char line[4096];
  int pid_col = -1;
  bool header = true;
  while (fgets(line, sizeof line, f)) {
    if (header) {
      header = false;
      char copy[4096];
      snprintf(copy, sizeof copy, "%s", line);
      int col = 0;
      for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t;
           t = strtok_r(NULL, " \t\n", &save), col++)
        if (strcmp(t, "PID") == 0)
          pid_col = col;
      fputs(line, stdout);
      continue;
    }
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", line);
    int col = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++) {
      if (col == pid_col) {
        if (has_pid(pids, n, strtol(t, NULL, 10)))
          fputs(line, stdout);
        break;
      }
    }
  }
  int st = pclose(f);
  if (pid_col < 0)
    return vessel_error_set(err, EINVAL, "ps: no PID column in the output of `%s`", cmd);
  return st == 0 ? 0 : vessel_error_set(err, 0, "ps: `%s` failed", cmd);
}

int cmd_ps(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool json = false;
  int c;
  while ((c = cli_getopt("ps", argc, argv, "+f:h", opts, err)) != -1) {
    if (c == 'f') {
      if (parse_format("ps", optarg, &json, err) < 0)
        return -1;
    } else {
      return c == 'h' ? 0 : -1;
    }
  }
  if (optind >= argc)
    return vessel_error_set(err, EINVAL, "ps: missing container id");
  const char *id = argv[optind];
  char **ps_args = argv + optind + 1;
  if (ps_args[0] && strcmp(ps_args[0], "--") == 0)
    ps_args++;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (runtime_pids(&cli->ctx, id, &pids, &n, err) < 0)
    return -1;
  if (json) {
    printf("[");
    for (size_t i = 0; i < n; i++)
      printf("%s%d", i ? "," : "", (int)pids[i]);
    printf("]\n");
    return 0;
  }
  return ps_table(ps_args, pids, n, err) < 0 ? -1 : 0;
}
