/* Shared pieces of the commands: flag parsing with --help, the engine, JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/fs.h"

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts, struct vessel_error *err)
{
  opterr = 0;
  int c = getopt_long(argc, argv, shortopts, longopts, NULL);
  if (c == CLI_HELP) {
    cli_print_help(cmd);
    return CLI_HELP;
  }
  if (c == '?' || c == ':') {
    const char *bad = argv[optind - 1];
    if (c == ':')
      vessel_error_set(err, 0, "%s: flag `%s` needs a value", cmd, bad);
    else
      vessel_error_set(err, 0, "%s: unknown flag `%s` (see vessel %s --help)", cmd, bad, cmd);
    return '?';
  }
  return c;
}

struct engine *cli_engine(struct cli *cli, struct vessel_error *err)
{
  if (!cli->engine)
    cli->engine = engine_open(cli->root, cli->runroot, err);
  return cli->engine;
}

void cli_json_escape(const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
}

int cli_parse_format(const char *cmd, const char *s, bool *json, struct vessel_error *err)
{
  if (strcmp(s, "json") == 0)
    *json = true;
  else if (strcmp(s, "table") == 0)
    *json = false;
  else
    return vessel_error_set(err, 0, "%s: --format must be table or json, not `%s`", cmd, s);
  return 0;
}

int cli_no_flags(const char *cmd, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {{"help", no_argument, NULL, CLI_HELP}, {NULL, 0, NULL, 0}};
  int c = cli_getopt(cmd, argc, argv, ":", opts, err);
  if (c == -1)
    return 0;
  return c == CLI_HELP ? 1 : -1;
}

int cli_dispatch(struct cli *cli, const char *group, const struct cli_verb *verbs, size_t n,
                 int argc, char **argv, struct vessel_error *err)
{
  if (argc < 2)
    return vessel_error_set(err, 0, "%s: missing command (see vessel %s --help)", group, group);
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    cli_print_help(group);
    printf("\ncommands:");
    for (size_t i = 0; i < n; i++)
      printf(" %s", verbs[i].verb);
    printf(" (see vessel %s COMMAND --help)\n", group);
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if (strcmp(argv[1], verbs[i].verb) == 0)
      return verbs[i].fn(cli, argc - 1, argv + 1, err);
  return vessel_error_set(err, 0, "%s: unknown command `%s` (see vessel %s --help)", group, argv[1],
                          group);
}

bool cli_confirm(const char *warning)
{
  fprintf(stderr, "WARNING! %s\nAre you sure you want to continue? [y/N] ", warning);
  char answer[16] = "";
  return fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

void cli_print_deleted(const char *title, const char *prefix, char *const *names)
{
  if (!names || !names[0])
    return;
  printf("Deleted %s:\n", title);
  for (size_t i = 0; names[i]; i++)
    printf("%s%s\n", prefix, names[i]);
  printf("\n");
}

char **cli_images_in_use(struct engine *e, struct vessel_error *err)
{
  struct engine_container *cs = NULL;
  size_t n = 0;
  if (engine_list(e, &cs, &n, err) < 0)
    return NULL;
  char **ids = calloc(n + 1, sizeof *ids);
  bool ok = ids != NULL;
  for (size_t i = 0; ok && i < n; i++)
    ok = (ids[i] = strdup(cs[i].image_id ? cs[i].image_id : "")) != NULL;
  engine_list_free(cs, n);
  if (!ok) {
    strv_free(ids);
    vessel_error_set(err, ENOMEM, "images in use");
    return NULL;
  }
  return ids;
}

int cli_list_flags(const char *cmd, int argc, char **argv, bool *quiet, bool *json,
                   struct vessel_error *err)
{
  static const struct option opts[] = {
      {"quiet", no_argument, NULL, 'q'},
      {"format", required_argument, NULL, 'F'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  *quiet = *json = false;
  int c;
  while ((c = cli_getopt(cmd, argc, argv, ":q", opts, err)) != -1) {
    switch (c) {
    case 'q':
      *quiet = true;
      break;
    case 'F':
      if (cli_parse_format(cmd, optarg, json, err) < 0)
        return -1;
      break;
    case CLI_HELP:
      return 1;
    default:
      return -1;
    }
  }
  if (optind < argc)
    return vessel_error_set(err, 0, "%s: takes no arguments", cmd);
  return 0;
}

int cli_prune_flags(const char *cmd, int argc, char **argv, bool *force, bool *all, bool *volumes,
                    struct vessel_error *err)
{
  struct option opts[5] = {{"force", no_argument, NULL, 'f'},
                           {"help", no_argument, NULL, CLI_HELP}};
  size_t n = 2;
  if (all)
    opts[n++] = (struct option){"all", no_argument, NULL, 'a'};
  if (volumes)
    opts[n++] = (struct option){"volumes", no_argument, NULL, 'V'};
  *force = false;
  if (all)
    *all = false;
  if (volumes)
    *volumes = false;
  int c;
  while ((c = cli_getopt(cmd, argc, argv, all ? ":fa" : ":f", opts, err)) != -1) {
    switch (c) {
    case 'f':
      *force = true;
      break;
    case 'a':
      *all = true;
      break;
    case 'V':
      *volumes = true;
      break;
    case CLI_HELP:
      return 1;
    default:
      return -1;
    }
  }
  if (optind < argc)
    return vessel_error_set(err, 0, "%s: takes no arguments", cmd);
  return 0;
}

void cli_note_failure(int *ret, struct vessel_error *err, const struct vessel_error *one)
{
  if (*ret < 0)
    fprintf(stderr, "vessel: %s\n", err->msg);
  *err = *one;
  *ret = -1;
}
