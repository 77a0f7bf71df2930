/* vessel volume create, ls, inspect, rm, prune: the local driver's volumes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_format.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int cmd_volume_create(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"label", required_argument, NULL, 'l'},
      {"name", required_argument, NULL, 'n'},
      {"driver", required_argument, NULL, 'd'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  _cleanup_strv_ char **labels = NULL;
  size_t n_labels = 0;
  const char *name = NULL;
  int c;
  while ((c = cli_getopt("volume create", argc, argv, ":d:", opts, err)) != -1) {
    switch (c) {
    case 'l': {
      if (!optarg[0] || optarg[0] == '=')
        return vessel_error_set(err, 0, "volume create: bad --label `%s`: KEY=VALUE", optarg);
      char **nv = realloc(labels, (n_labels + 2) * sizeof *nv);
      if (!nv)
        return vessel_error_set(err, ENOMEM, "volume create");
      labels = nv;
      if (!(labels[n_labels] = strdup(optarg)))
        return vessel_error_set(err, ENOMEM, "volume create");
      labels[++n_labels] = NULL;
      break;
    }
    case 'n':
      name = optarg;
      break;
    case 'd':
      if (strcmp(optarg, "local") != 0)
        return vessel_error_set(err, 0, "volume create: only the local driver exists, not `%s`",
                                optarg);
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (optind < argc) {
    if (name && strcmp(name, argv[optind]) != 0)
      return vessel_error_set(err, 0, "volume create: two names, `%s` and `%s`", name,
                              argv[optind]);
    name = argv[optind++];
  }
  if (optind < argc)
    return vessel_error_set(err, 0, "volume create: one volume at a time");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  struct engine_volume v = {0};
  if (engine_volume_create(e, name, labels, false, false, &v, err) < 0)
    return -1;
  printf("%s\n", v.name);
  engine_volume_clear(&v);
  return 0;
}

static int cmd_volume_ls(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  bool quiet, json;
  int r = cli_list_flags("volume ls", argc, argv, &quiet, &json, err);
  if (r != 0)
    return r > 0 ? 0 : -1;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  struct engine_volume *v = NULL;
  size_t n = 0;
  if (engine_volume_list(e, &v, &n, err) < 0)
    return -1;
  if (json)
    printf("[");
  else if (!quiet)
    printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
  for (size_t i = 0; i < n; i++) {
    if (quiet) {
      printf("%s\n", v[i].name);
    } else if (json) {
      struct vessel_error ignored;
      char *text = engine_volume_json(&v[i], &ignored);
      printf("%s%s", i ? ",\n" : "\n", text ? text : "{}");
      free(text);
    } else {
      printf("%-10s%s\n", v[i].driver, v[i].name);
    }
  }
  if (json)
    printf("%s]\n", n ? "\n" : "");
  engine_volume_list_free(v, n);
  return 0;
}

static char *volume_doc(void *ctx, const char *name, struct vessel_error *err)
{
  struct engine_volume v = {0};
  char *doc = engine_volume_get(ctx, name, &v, err) == 0 ? engine_volume_json(&v, err) : NULL;
  engine_volume_clear(&v);
  return doc;
}

static int cmd_volume_inspect(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  int flags = cli_no_flags("volume inspect", argc, argv, err);
  if (flags != 0)
    return flags > 0 ? 0 : -1;
  if (optind >= argc)
    return vessel_error_set(err, 0, "volume inspect: missing volume name");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  return cli_inspect_refs("volume inspect", NULL, argv + optind, (size_t)(argc - optind),
                          volume_doc, e, err);
}

static int cmd_volume_rm(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  bool force = false;
  int c;
  while ((c = cli_getopt("volume rm", argc, argv, ":f", opts, err)) != -1) {
    if (c == CLI_HELP)
      return 0;
    if (c != 'f')
      return -1;
    force = true;
  }
  if (optind >= argc)
    return vessel_error_set(err, 0, "volume rm: missing volume name");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    struct vessel_error one = {0};
    if (engine_volume_remove(e, argv[i], &one) < 0) {
      if (force && one.code == ENOENT) /* -f: a missing volume is no error */
        continue;
      cli_note_failure(&ret, err, &one);
      continue;
    }
    printf("%s\n", argv[i]);
  }
  return ret;
}

static int cmd_volume_prune(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  bool force, all;
  int r = cli_prune_flags("volume prune", argc, argv, &force, &all, NULL, err);
  if (r != 0)
    return r > 0 ? 0 : -1;
  if (!force && !cli_confirm(all ? "This will remove all volumes not used by at least one "
                                   "container."
                                 : "This will remove anonymous volumes not used by at least one "
                                   "container."))
    return 0;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  _cleanup_strv_ char **names = NULL;
  if (engine_volume_prune(e, all, &names, err) < 0)
    return -1;
  cli_print_deleted("Volumes", "", names);
  printf("Total reclaimed space: 0B\n");
  return 0;
}

int cmd_volume(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct cli_verb verbs[] = {
      {"create", cmd_volume_create},   {"ls", cmd_volume_ls}, {"list", cmd_volume_ls},
      {"inspect", cmd_volume_inspect}, {"rm", cmd_volume_rm}, {"remove", cmd_volume_rm},
      {"prune", cmd_volume_prune},
  };
  return cli_dispatch(cli, "volume", verbs, ARRAY_SIZE(verbs), argc, argv, err);
}
