/* ps, rm and inspect: containers at rest, from their records. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_format.h"
#include "cli_ps.h"
#include "util/cleanup.h"

/* docker's default `ps` table */
#define PS_TABLE                                                                                   \
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

int cmd_ps(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'},
      {"quiet", no_argument, NULL, 'q'},
      {"format", required_argument, NULL, 'F'},
      {"filter", required_argument, NULL, 'f'},
      {"last", required_argument, NULL, 'n'},
      {"latest", no_argument, NULL, 'l'},
      {"no-trunc", no_argument, NULL, 'T'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  struct ps_opts po = {.last = -1};
  bool all = false, quiet = false, json = false;
  int c, ret = -1;
  while ((c = cli_getopt("ps", argc, argv, ":aqf:n:l", opts, err)) != -1) {
    switch (c) {
    case 'a':
      all = true;
      break;
    case 'q':
      quiet = true;
      break;
    case CLI_HELP:
      ret = 0;
      goto out;
    default:
      if (ps_option(cli, c, optarg, &po, err) < 0)
        goto out;
    }
  }
  json = po.format.kind == CLI_FORMAT_JSON;
  if (optind < argc) {
    vessel_error_set(err, 0, "ps: takes no arguments");
    goto out;
  }
  struct engine *e = cli_engine(cli, err);
  if (!e)
    goto out;
  struct engine_container *v = NULL;
  size_t n = 0;
  if (engine_list(e, &v, &n, err) < 0)
    goto out;
  all = all || po.last >= 0 || engine_filters_want_all(po.filters);
  ps_select(e, &po, v, &n, all);
  if (!quiet && po.format.kind == CLI_FORMAT_TABLE &&
      cli_format_parse("ps", PS_TABLE, &po.format, err) < 0) {
    engine_list_free(v, n);
    goto out;
  }
  if (!quiet && po.format.kind == CLI_FORMAT_TEMPLATE) {
    ret = ps_print_template(e, &po, v, n, err);
    engine_list_free(v, n);
    goto out;
  }
  if (json)
    printf("[");
  bool first = true;
  for (size_t i = 0; i < n; i++) {
    const struct engine_container *ct = &v[i];
    char sbuf[96];
    if (quiet && !json) {
      printf("%.*s\n", po.no_trunc ? 64 : 12, ct->id);
    } else {
      printf("%s\n  {\"Id\": \"%s\", \"Names\": [\"", first ? "" : ",", ct->id);
      cli_json_escape(ct->name);
      printf("\"], \"Image\": \"");
      cli_json_escape(ct->image);
      printf("\", \"Command\": [");
      for (size_t k = 0; ct->cmd && ct->cmd[k]; k++) {
        printf("%s\"", k ? ", " : "");
        cli_json_escape(ct->cmd[k]);
        printf("\"");
      }
      printf("], \"Created\": \"%s\", \"State\": \"%s\", \"ExitCode\": %d, \"Status\": \"%s\"}",
             ct->created, engine_state_name(ct->state), ct->exit_code,
             cli_status_text(ct, sbuf, sizeof sbuf));
    }
    first = false;
  }
  if (json)
    printf("%s]\n", first ? "" : "\n");
  engine_list_free(v, n);
  ret = 0;
out:
  ps_opts_clear(&po);
  return ret;
}

int cmd_rm(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'},
      {"volumes", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  bool force = false, volumes = false;
  int c;
  while ((c = cli_getopt("rm", argc, argv, ":fv", opts, err)) != -1) {
    switch (c) {
    case 'f':
      force = true;
      break;
    case 'v': /* the container's anonymous volumes too */
      volumes = true;
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (optind >= argc)
    return vessel_error_set(err, 0, "rm: missing container name or id");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  /* docker goes on past a failure and reports it at the end */
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    struct vessel_error one = {0};
    if (engine_remove_with_volumes(e, argv[i], force, volumes, &one) < 0) {
      cli_note_failure(&ret, err, &one);
      continue;
    }
    printf("%s\n", argv[i]);
  }
  return ret;
}

static char *container_doc(void *ctx, const char *ref, struct vessel_error *err)
{
  struct engine_container ct = {0};
  char *doc = engine_lookup(ctx, ref, &ct, err) == 0 ? engine_inspect_json(ctx, &ct, err) : NULL;
  engine_container_clear(&ct);
  return doc;
}

int cmd_inspect(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  const char *format = NULL;
  int flags = cli_format_flag("inspect", argc, argv, &format, err);
  if (flags != 0)
    return flags > 0 ? 0 : -1;
  if (optind >= argc)
    return vessel_error_set(err, 0, "inspect: missing container name or id");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  return cli_inspect_refs("inspect", format, argv + optind, (size_t)(argc - optind), container_doc,
                          e, err);
}
