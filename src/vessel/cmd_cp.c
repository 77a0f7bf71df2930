/* vessel cp SRC DST: CONTAINER:PATH on one side, a host path on the other. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine/cp.h"

/* "name:path" names a container; a host path with a colon starts with / or . */
static char *container_part(char *arg)
{
  if (arg[0] == '/' || arg[0] == '.')
    return NULL;
  char *colon = strchr(arg, ':');
  if (!colon || colon == arg)
    return NULL;
  *colon = '\0';
  return colon + 1;
}

int cmd_cp(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"archive", no_argument, NULL, 'a'},
      {"follow-link", no_argument, NULL, 'L'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  struct engine_cp_opts o = {.tar_fd = -1};
  int c;
  while ((c = cli_getopt("cp", argc, argv, ":aL", opts, err)) != -1) {
    switch (c) {
    case 'a':
      o.archive = true;
      break;
    case 'L':
      o.follow = true;
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (argc - optind != 2)
    return vessel_error_set(err, 0, "cp: needs SRC and DST (see vessel cp --help)");
  char *src = argv[optind], *dst = argv[optind + 1];
  char *src_path = container_part(src), *dst_path = container_part(dst);
  if (src_path && dst_path)
    return vessel_error_set(err, 0, "cp: copying between containers is not supported");
  if (!src_path && !dst_path)
    return vessel_error_set(err, 0, "cp: one of SRC and DST must be CONTAINER:PATH");
  o.to_container = dst_path != NULL;
  o.container = o.to_container ? dst : src;
  o.container_path = o.to_container ? dst_path : src_path;
  o.host_path = o.to_container ? src : dst;
  /* `-`: a tar stream on stdin (into the container) or stdout (out of it) */
  if (strcmp(o.host_path, "-") == 0) {
    o.tar_fd = o.to_container ? STDIN_FILENO : STDOUT_FILENO;
    if (!o.to_container && isatty(STDOUT_FILENO))
      return vessel_error_set(err, 0, "cp: will not write a tar stream to a terminal");
    fflush(stdout);
  }
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  return engine_cp(e, &o, err) < 0 ? -1 : 0;
}
