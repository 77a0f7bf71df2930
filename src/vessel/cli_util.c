/* Shared pieces of the commands: flag parsing with --help, the engine, JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
  int c = cli_getopt(cmd, argc, argv, "+:", opts, err);
  if (c == -1)
    return 0;
  return c == CLI_HELP ? 1 : -1;
}
