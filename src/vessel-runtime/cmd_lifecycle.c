/* The one-id commands: start, state, kill, delete, pause, resume. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/cleanup.h"

static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};

/* Parses a command that takes only an id (and --help). 1: help printed. */
static int id_only(const char *cmd, int argc, char **argv, const char **id,
                   struct vessel_error *err)
{
  int c;
  while ((c = cli_getopt(cmd, argc, argv, "h", help_only, err)) != -1) {
    if (c == 'h')
      return 1;
    return -1;
  }
  return cli_one_id(cmd, argc, argv, id, err);
}

int cmd_start(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  const char *id;
  int r = id_only("start", argc, argv, &id, err);
  if (r)
    return r < 0 ? -1 : 0;
  return runtime_start(&cli->ctx, id, err) < 0 ? -1 : 0;
}

int cmd_state(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  const char *id;
  int r = id_only("state", argc, argv, &id, err);
  if (r)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char *json = NULL;
  if (runtime_state_json(&cli->ctx, id, &json, err) < 0)
    return -1;
  printf("%s\n", json);
  return 0;
}

int cmd_pause(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  const char *id;
  int r = id_only("pause", argc, argv, &id, err);
  if (r)
    return r < 0 ? -1 : 0;
  return runtime_pause(&cli->ctx, id, true, err) < 0 ? -1 : 0;
}

int cmd_resume(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  const char *id;
  int r = id_only("resume", argc, argv, &id, err);
  if (r)
    return r < 0 ? -1 : 0;
  return runtime_pause(&cli->ctx, id, false, err) < 0 ? -1 : 0;
}

int cmd_kill(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  bool all = false;
  int c;
  while ((c = cli_getopt("kill", argc, argv, "ah", opts, err)) != -1) {
    if (c == 'a')
      all = true;
    else
      return c == 'h' ? 0 : -1;
  }
  if (optind >= argc)
    return vessel_error_set(err, EINVAL, "kill: missing container id");
  if (argc - optind > 2)
    return vessel_error_set(err, EINVAL, "kill: too many arguments");
  const char *id = argv[optind];
  const char *name = optind + 1 < argc ? argv[optind + 1] : "SIGTERM";
  int sig = runtime_signal_parse(name);
  if (sig < 0)
    return vessel_error_set(err, EINVAL, "kill: unknown signal `%s`", name);
  return runtime_kill(&cli->ctx, id, sig, all, err) < 0 ? -1 : 0;
}

int cmd_delete(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  bool force = false;
  int c;
  while ((c = cli_getopt("delete", argc, argv, "fh", opts, err)) != -1) {
    if (c == 'f')
      force = true;
    else
      return c == 'h' ? 0 : -1;
  }
  const char *id;
  if (cli_one_id("delete", argc, argv, &id, err) < 0)
    return -1;
  return runtime_delete(&cli->ctx, id, force, err) < 0 ? -1 : 0;
}
