/* vessel info, system df, system prune (and system info), port. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_format.h"
#include "engine/sysinfo.h"
#include "util/cleanup.h"

/* --format table|json|TEMPLATE of info and system df */
static int format_flags(const char *cmd, int argc, char **argv, struct cli_format *f,
                        struct vessel_error *err)
{
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  int c;
  while ((c = cli_getopt(cmd, argc, argv, ":f:", opts, err)) != -1) {
    if (c == CLI_HELP)
      return 1;
    if (c != 'f' || cli_format_parse(cmd, optarg, f, err) < 0)
      return -1;
  }
  if (optind < argc)
    return vessel_error_set(err, 0, "%s: takes no arguments", cmd);
  return 0;
}

static int print_json_or_template(const struct cli_format *f, json_t *o, struct vessel_error *err)
{
  if (f->kind == CLI_FORMAT_TEMPLATE)
    return cli_format_print(f, o, &o, 1, err);
  _cleanup_free_ char *text = json_dumps(o, f->kind == CLI_FORMAT_JSON ? JSON_COMPACT : 0);
  if (!text)
    return vessel_error_set(err, ENOMEM, "format");
  printf("%s\n", text);
  return 0;
}

int cmd_info(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  struct cli_format f = {0};
  int r = format_flags("info", argc, argv, &f, err);
  if (r != 0) {
    cli_format_clear(&f);
    return r > 0 ? 0 : -1;
  }
  struct engine *e = cli_engine(cli, err);
  struct engine_info in;
  if (!e || engine_info(e, &in, err) < 0) {
    cli_format_clear(&f);
    return -1;
  }
  char mem[32];
  cli_size((double)in.memory, true, mem, sizeof mem);
  if (f.kind == CLI_FORMAT_TABLE) {
    printf("Server Version: %s\n", cli_version);
    printf("Root Dir: %s\nRun Root: %s\n", cli->root, cli->runroot);
    printf("Storage Driver: overlay\n");
    printf("Cgroup Version: %d\nCgroup Layout: %s\n", in.cgroup_version, in.cgroup_layout);
    printf("Containers: %zu\n Running: %zu\n Paused: %zu\n Stopped: %zu\n", in.containers,
           in.running, in.paused, in.stopped);
    printf("Images: %zu\n", in.images);
    printf("Kernel Version: %s\nOperating System: %s\n", in.kernel, in.os);
    printf("CPUs: %ld\nTotal Memory: %s\n", in.cpus, mem);
    return 0;
  }
  json_t *o = json_pack(
      "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I}",
      "ServerVersion", cli_version, "Root", cli->root, "RunRoot", cli->runroot, "Driver", "overlay",
      "CgroupVersion", in.cgroup_version == 2 ? "2" : "1", "CgroupLayout", in.cgroup_layout,
      "Containers", (json_int_t)in.containers, "ContainersRunning", (json_int_t)in.running,
      "ContainersPaused", (json_int_t)in.paused, "ContainersStopped", (json_int_t)in.stopped,
      "Images", (json_int_t)in.images, "KernelVersion", in.kernel, "OperatingSystem", in.os, "NCPU",
      (json_int_t)in.cpus, "MemTotal", (json_int_t)in.memory);
  r = o ? print_json_or_template(&f, o, err) : vessel_error_set(err, ENOMEM, "info");
  json_decref(o);
  cli_format_clear(&f);
  return r;
}

static json_t *df_row(const char *type, const struct engine_df_row *row, bool reclaim_pct)
{
  char total[32], active[32], size[32], rec[32], reclaimable[64];
  snprintf(total, sizeof total, "%zu", row->total);
  snprintf(active, sizeof active, "%zu", row->active);
  cli_size((double)row->size, false, size, sizeof size);
  cli_size((double)row->reclaimable, false, rec, sizeof rec);
  if (reclaim_pct)
    snprintf(reclaimable, sizeof reclaimable, "%s (%d%%)", rec,
             row->size ? (int)(100 * row->reclaimable / row->size) : 0);
  else
    snprintf(reclaimable, sizeof reclaimable, "%s", rec);
  return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Active", active, "Reclaimable", reclaimable,
                   "Size", size, "TotalCount", total, "Type", type);
}

int cmd_system_df(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  struct cli_format f = {0};
  int r = format_flags("system df", argc, argv, &f, err);
  if (r != 0) {
    cli_format_clear(&f);
    return r > 0 ? 0 : -1;
  }
  struct engine *e = cli_engine(cli, err);
  struct engine_df df;
  if (!e || engine_df(e, &df, err) < 0) {
    cli_format_clear(&f);
    return -1;
  }
  json_t *rows[3] = {df_row("Images", &df.images, true), df_row("Containers", &df.containers, true),
                     df_row("Local Volumes", &df.volumes, true)};
  json_t *header = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Active", "ACTIVE", "Reclaimable",
                             "RECLAIMABLE", "Size", "SIZE", "TotalCount", "TOTAL", "Type", "TYPE");
  r = rows[0] && rows[1] && rows[2] && header ? 0 : vessel_error_set(err, ENOMEM, "system df");
  if (r == 0 && f.kind == CLI_FORMAT_JSON) {
    for (size_t i = 0; i < 3 && r == 0; i++)
      r = print_json_or_template(&f, rows[i], err);
  } else if (r == 0) {
    if (f.kind == CLI_FORMAT_TABLE) {
      cli_format_clear(&f);
      r = cli_format_parse("system df",
                           "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t"
                           "{{.Reclaimable}}",
                           &f, err);
    }
    if (r == 0)
      r = cli_format_print(&f, header, rows, 3, err);
  }
  for (size_t i = 0; i < 3; i++)
    json_decref(rows[i]);
  json_decref(header);
  cli_format_clear(&f);
  return r;
}

/* system prune: stopped containers, then the images none of the remaining
 * containers use (dangling only, unless -a), with --volumes the unused
 * anonymous volumes. */
int cmd_system_prune(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  bool force, all, volumes;
  int r = cli_prune_flags("system prune", argc, argv, &force, &all, &volumes, err);
  if (r != 0)
    return r > 0 ? 0 : -1;
  if (!force &&
      !cli_confirm(all ? "This will remove:\n  - all stopped containers\n  - all images "
                         "without at least one container associated to them"
                       : "This will remove:\n  - all stopped containers\n  - all dangling "
                         "images"))
    return 0;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  _cleanup_strv_ char **ids = NULL;
  if (engine_prune(e, &ids, err) < 0)
    return -1;
  cli_print_deleted("Containers", "", ids);
  /* the images of the containers left (running ones) stay */
  _cleanup_strv_ char **keep = cli_images_in_use(e, err);
  _cleanup_strv_ char **removed = NULL;
  if (!keep || image_prune(e->images, all, keep, &removed, err) < 0)
    return -1;
  cli_print_deleted("Images", "deleted: ", removed);
  /* docker's: the anonymous volumes no container uses */
  _cleanup_strv_ char **vols = NULL;
  if (volumes && engine_volume_prune(e, false, &vols, err) < 0)
    return -1;
  cli_print_deleted("Volumes", "", vols);
  printf("Total reclaimed space: 0B\n");
  return 0;
}

/* vessel system df|prune|info */
int cmd_system(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct cli_verb verbs[] = {
      {"df", cmd_system_df},
      {"prune", cmd_system_prune},
      {"info", cmd_info},
  };
  return cli_dispatch(cli, "system", verbs, ARRAY_SIZE(verbs), argc, argv, err);
}

/* port: no container publishes a port yet (bridge networks come later). */
int cmd_port(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  int flags = cli_no_flags("port", argc, argv, err);
  if (flags != 0)
    return flags > 0 ? 0 : -1;
  if (argc - optind < 1 || argc - optind > 2)
    return vessel_error_set(err, 0, "port: needs CONTAINER [PRIVATE_PORT[/PROTO]]");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  struct engine_container c = {0};
  if (engine_lookup(e, argv[optind], &c, err) < 0)
    return -1;
  int ret = 0;
  if (argc - optind == 2)
    ret = vessel_error_set(err, 0, "no public port `%s%s` published for `%s`", argv[optind + 1],
                           strchr(argv[optind + 1], '/') ? "" : "/tcp", c.name);
  engine_container_clear(&c);
  return ret;
}
