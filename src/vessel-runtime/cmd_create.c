/* create and run: the same flags, run adds --detach and --keep. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "util/fs.h"

static int parse_create(const char *cmd, int argc, char **argv, struct runtime_create_opts *o,
                        bool *detach, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"bundle", required_argument, NULL, 'b'},
      {"pid-file", required_argument, NULL, 'p'},
      {"console-socket", required_argument, NULL, 'c'},
      {"no-pivot", no_argument, NULL, 'P'},
      {"no-new-keyring", no_argument, NULL, 'K'},
      {"preserve-fds", required_argument, NULL, 'f'},
      {"detach", no_argument, NULL, 'd'},
      {"keep", no_argument, NULL, 'k'},
      {"no-subreaper", no_argument, NULL, 'S'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  bool is_run = detach != NULL;
  int c;
  while ((c = cli_getopt(cmd, argc, argv, is_run ? "+b:dh" : "+b:h", opts, err)) != -1) {
    unsigned long long n;
    switch (c) {
    case 'b':
      o->bundle = optarg;
      break;
    case 'p':
      o->pid_file = optarg;
      break;
    case 'c':
      o->console_socket = optarg;
      break;
    case 'P':
      o->no_pivot = true;
      break;
    case 'K':
      o->no_new_keyring = true;
      break;
    case 'S':
      break;
    case 'f':
      if (parse_u64(optarg, &n) < 0 || n > 65536)
        return vessel_error_set(err, EINVAL, "%s: --preserve-fds: bad number `%s`", cmd, optarg);
      o->preserve_fds = (unsigned)n;
      break;
    case 'd':
    case 'k':
      if (!is_run)
        return vessel_error_set(err, EINVAL, "%s: unknown flag `%s`", cmd, argv[optind - 1]);
      if (c == 'd')
        *detach = true;
      else
        o->keep = true;
      break;
    case 'h':
      return 1;
    default:
      return -1;
    }
  }
  return cli_one_id(cmd, argc, argv, &o->id, err);
}

int cmd_create(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  struct runtime_create_opts o = {.bundle = "."};
  int r = parse_create("create", argc, argv, &o, NULL, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return runtime_create(&cli->ctx, &o, err) < 0 ? -1 : 0;
}

int cmd_run(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  struct runtime_create_opts o = {.bundle = "."};
  bool detach = false;
  int r = parse_create("run", argc, argv, &o, &detach, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  int status = 0;
  if (runtime_run(&cli->ctx, &o, detach, &status, err) < 0)
    return -1;
  return status;
}
