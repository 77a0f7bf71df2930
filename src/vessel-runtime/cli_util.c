/* Shared pieces of the commands: flag parsing with --help, ids, input. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/fs.h"

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts, struct vessel_error *err)
{
  opterr = 0;
  int idx = 0;
  int c = getopt_long_only(argc, argv, shortopts, longopts, &idx);
  if (c == 'h') {
    cli_print_help(cmd);
    return 'h';
  }
  if (c == '?' || c == ':') {
    const char *bad = argv[optind - 1];
    if (c == ':' || (optopt && strchr(shortopts, optopt)))
      vessel_error_set(err, EINVAL, "%s: flag `%s` needs a value", cmd, bad);
    else
      vessel_error_set(err, EINVAL, "%s: unknown flag `%s` (see %s --help)", cmd, bad, cmd);
    return '?';
  }
  return c;
}

int cli_one_id(const char *cmd, int argc, char **argv, const char **id, struct vessel_error *err)
{
  if (optind >= argc)
    return vessel_error_set(err, EINVAL, "%s: missing container id", cmd);
  if (argc - optind > 1)
    return vessel_error_set(err, EINVAL, "%s: too many arguments", cmd);
  *id = argv[optind];
  return runtime_check_id(*id, err);
}

int cli_read_input(const char *path, char **out, size_t *len, struct vessel_error *err)
{
  if (strcmp(path, "-") != 0)
    return fs_read_fileat(AT_FDCWD, path, out, len, err);
  return fs_read_fileat(AT_FDCWD, "/dev/stdin", out, len, err);
}
