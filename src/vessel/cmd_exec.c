/* vessel exec: a command in a running container, through the runtime
 * in-process. Exits with the command's code, 126/127 when it cannot run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/log.h"

#define EXEC_ENV_MAX 4096

/* stdin (and with detach stdout/stderr) from /dev/null: docker gives the
 * process no input without -i and no output once detached */
static int redirect_null(bool in, bool out, struct vessel_error *err)
{
  _cleanup_close_ int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `/dev/null`");
  if ((in && dup2(fd, STDIN_FILENO) < 0) || (out && dup2(fd, STDOUT_FILENO) < 0) ||
      (out && dup2(fd, STDERR_FILENO) < 0))
    return vessel_error_set(err, errno, "redirect to `/dev/null`");
  return 0;
}

int cmd_exec(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"interactive", no_argument, NULL, 'i'}, {"tty", no_argument, NULL, 't'},
      {"detach", no_argument, NULL, 'd'},      {"env", required_argument, NULL, 'e'},
      {"user", required_argument, NULL, 'u'},  {"workdir", required_argument, NULL, 'w'},
      {"help", no_argument, NULL, CLI_HELP},   {NULL, 0, NULL, 0},
  };
  struct engine_exec_opts o = {0};
  bool interactive = false;
  _cleanup_free_ char **env = NULL;
  size_t n_env = 0;
  int c;
  while ((c = cli_getopt("exec", argc, argv, "+:itde:u:w:", opts, err)) != -1) {
    switch (c) {
    case 'i':
      interactive = true;
      break;
    case 't':
      o.tty = true; /* the runtime relays the pty to our stdio */
      break;
    case 'd':
      o.detach = true;
      break;
    case 'e': {
      if (n_env >= EXEC_ENV_MAX)
        return vessel_error_set(err, 0, "exec: too many --env flags");
      char **nv = realloc(env, (n_env + 2) * sizeof *nv);
      if (!nv)
        return vessel_error_set(err, ENOMEM, "exec");
      env = nv;
      env[n_env++] = optarg;
      env[n_env] = NULL;
      break;
    }
    case 'u':
      o.user = optarg;
      break;
    case 'w':
      if (optarg[0] != '/')
        return vessel_error_set(err, 0, "exec: --workdir `%s` must be an absolute path", optarg);
      o.workdir = optarg;
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (argc - optind < 2)
    return vessel_error_set(err, 0,
                            "exec: needs a container and a command (see vessel exec --help)");
  if (o.tty && o.detach) /* before stderr goes to /dev/null below */
    return vessel_error_set(err, 0,
                            "exec: -t with -d is not supported (nobody would hold the terminal)");
  o.cmd = argv + optind + 1;
  o.env = env;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  fflush(stdout);
  if ((!interactive || o.detach) && redirect_null(true, o.detach, err) < 0)
    return -1;
  int r = engine_exec(e, argv[optind], &o, err);
  /* the command could not run: say why, exit 126/127 */
  if (r > 0 && err->msg[0])
    log_error("%s", err->msg);
  return r;
}
