/* start, stop, restart, kill, wait, pause, unpause, rename and container
 * prune: docker's verbs on existing containers. Commands over several
 * containers go on past a failure and exit 125 at the end, as docker does. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define STOP_TIMEOUT_MAX (24 * 3600)

static int parse_timeout(const char *cmd, const char *s, int *out, struct vessel_error *err)
{
  long long n;
  if (parse_i64(s, &n) < 0 || n < 0 || n > STOP_TIMEOUT_MAX)
    return vessel_error_set(err, 0, "%s: bad --time `%s` (seconds)", cmd, s);
  *out = (int)n;
  return 0;
}

static int need_containers(const char *cmd, int argc, struct vessel_error *err)
{
  if (optind >= argc)
    return vessel_error_set(err, 0, "%s: missing container name or id (see vessel %s --help)", cmd,
                            cmd);
  return 0;
}

/* Runs act on each container named after the flags, as docker does: the
 * name is printed for each success (unless print is false), every failure is
 * reported, and the command fails if any did. */
typedef int (*container_action)(struct engine *e, const char *ref, void *data,
                                struct vessel_error *err);

static int each_container(struct cli *cli, const char *cmd, int argc, char **argv,
                          container_action act, void *data, bool print, struct vessel_error *err)
{
  if (need_containers(cmd, argc, err) < 0)
    return -1;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    struct vessel_error one = {0};
    if (act(e, argv[i], data, &one) != 0) {
      if (!one.msg[0])
        vessel_error_set(&one, 0, "container `%s` could not start", argv[i]);
      cli_note_failure(&ret, err, &one);
      continue;
    }
    if (print)
      printf("%s\n", argv[i]);
    fflush(stdout);
  }
  return ret;
}

struct stop_args {
  int timeout;
  bool restart;
};

static int stop_one(struct engine *e, const char *ref, void *data, struct vessel_error *err)
{
  const struct stop_args *a = data;
  int r = engine_stop(e, ref, a->timeout, err);
  return r == 0 && a->restart ? engine_start(e, ref, false, err) : r;
}

static int start_one(struct engine *e, const char *ref, void *data, struct vessel_error *err)
{
  return engine_start(e, ref, false, err);
}

static int kill_one(struct engine *e, const char *ref, void *data, struct vessel_error *err)
{
  return engine_kill(e, ref, *(const int *)data, err);
}

static int wait_one(struct engine *e, const char *ref, void *data, struct vessel_error *err)
{
  int code;
  if (engine_wait(e, ref, &code, err) < 0)
    return -1;
  printf("%d\n", code);
  return 0;
}

static int pause_one(struct engine *e, const char *ref, void *data, struct vessel_error *err)
{
  return engine_pause(e, ref, *(const bool *)data, err);
}

/* stop and restart share -t */
static int stop_or_restart(const char *cmd, bool restart, struct cli *cli, int argc, char **argv,
                           struct vessel_error *err)
{
  static const struct option opts[] = {
      {"time", required_argument, NULL, 't'},
      {"timeout", required_argument, NULL, 't'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  int timeout = -1, c;
  while ((c = cli_getopt(cmd, argc, argv, ":t:", opts, err)) != -1) {
    if (c == CLI_HELP)
      return 0;
    if (c != 't' || parse_timeout(cmd, optarg, &timeout, err) < 0)
      return -1;
  }
  struct stop_args a = {.timeout = timeout, .restart = restart};
  return each_container(cli, cmd, argc, argv, stop_one, &a, true, err);
}

int cmd_stop(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  return stop_or_restart("stop", false, cli, argc, argv, err);
}

int cmd_restart(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  return stop_or_restart("restart", true, cli, argc, argv, err);
}

int cmd_start(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"attach", no_argument, NULL, 'a'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  bool attach = false;
  int c;
  while ((c = cli_getopt("start", argc, argv, ":a", opts, err)) != -1) {
    if (c == CLI_HELP)
      return 0;
    if (c != 'a')
      return -1;
    attach = true;
  }
  if (!attach)
    return each_container(cli, "start", argc, argv, start_one, NULL, true, err);
  if (need_containers("start", argc, err) < 0)
    return -1;
  if (argc - optind != 1)
    return vessel_error_set(err, 0, "start: -a attaches to one container only");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  fflush(stdout);
  int r = engine_start(e, argv[optind], true, err);
  /* the command could not start: say why, exit 126/127 */
  if (r > 0 && err->msg[0])
    fprintf(stderr, "vessel: %s\n", err->msg);
  return r;
}

int cmd_kill(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"signal", required_argument, NULL, 's'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  int sig = 9, c; /* SIGKILL, as docker */
  while ((c = cli_getopt("kill", argc, argv, ":s:", opts, err)) != -1) {
    if (c == CLI_HELP)
      return 0;
    if (c != 's')
      return -1;
    if ((sig = runtime_signal_parse(optarg)) <= 0)
      return vessel_error_set(err, 0, "kill: invalid signal `%s`", optarg);
  }
  return each_container(cli, "kill", argc, argv, kill_one, &sig, true, err);
}

int cmd_wait(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  int flags = cli_no_flags("wait", argc, argv, err);
  if (flags != 0)
    return flags > 0 ? 0 : -1;
  return each_container(cli, "wait", argc, argv, wait_one, NULL, false, err);
}

static int pause_or_unpause(const char *cmd, bool pause, struct cli *cli, int argc, char **argv,
                            struct vessel_error *err)
{
  int flags = cli_no_flags(cmd, argc, argv, err);
  if (flags != 0)
    return flags > 0 ? 0 : -1;
  return each_container(cli, cmd, argc, argv, pause_one, &pause, true, err);
}

int cmd_pause(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  return pause_or_unpause("pause", true, cli, argc, argv, err);
}

int cmd_unpause(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  return pause_or_unpause("unpause", false, cli, argc, argv, err);
}

int cmd_rename(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  int flags = cli_no_flags("rename", argc, argv, err);
  if (flags != 0)
    return flags > 0 ? 0 : -1;
  if (argc - optind != 2)
    return vessel_error_set(err, 0, "rename: needs OLD and NEW (see vessel rename --help)");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  return engine_rename(e, argv[optind], argv[optind + 1], err) < 0 ? -1 : 0;
}

int cmd_container_prune(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  bool force;
  int r = cli_prune_flags("container prune", argc, argv, &force, NULL, NULL, err);
  if (r != 0)
    return r > 0 ? 0 : -1;
  if (!force && !cli_confirm("This will remove all stopped containers."))
    return 0;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  _cleanup_strv_ char **ids = NULL;
  if (engine_prune(e, &ids, err) < 0)
    return -1;
  cli_print_deleted("Containers", "", ids);
  printf("Total reclaimed space: 0B\n");
  return 0;
}

int cmd_container(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct cli_verb verbs[] = {
      {"ls", cmd_ps},           {"ps", cmd_ps},           {"list", cmd_ps},
      {"rm", cmd_rm},           {"inspect", cmd_inspect}, {"logs", cmd_logs},
      {"run", cmd_run},         {"start", cmd_start},     {"stop", cmd_stop},
      {"restart", cmd_restart}, {"kill", cmd_kill},       {"wait", cmd_wait},
      {"pause", cmd_pause},     {"unpause", cmd_unpause}, {"rename", cmd_rename},
      {"exec", cmd_exec},       {"top", cmd_top},         {"prune", cmd_container_prune},
      {"create", cmd_create},   {"stats", cmd_stats},     {"cp", cmd_cp},
      {"port", cmd_port},
  };
  return cli_dispatch(cli, "container", verbs, ARRAY_SIZE(verbs), argc, argv, err);
}
