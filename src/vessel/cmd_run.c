/* vessel run: flags -> struct engine_run_opts -> engine_run in the foreground. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define RUN_LIST_MAX 4096 /* repeatable flags, each */

/* Repeatable flags: argv's strings, not copied; the vector itself is ours. */
struct strlist {
  char **v;
  size_t n;
};

static int strlist_add(struct strlist *l, char *s, const char *flag, struct vessel_error *err)
{
  if (l->n >= RUN_LIST_MAX)
    return vessel_error_set(err, 0, "run: too many %s flags", flag);
  char **nv = realloc(l->v, (l->n + 2) * sizeof *nv);
  if (!nv)
    return vessel_error_set(err, ENOMEM, "run");
  l->v = nv;
  nv[l->n++] = s;
  nv[l->n] = NULL;
  return 0;
}

/* -v SRC:DST[:ro|rw] */
static int parse_volume(char *spec, struct engine_bind *b, struct vessel_error *err)
{
  char *parts[4] = {0};
  size_t n = 0;
  for (char *s = spec; n < 4;) {
    parts[n++] = strsep(&s, ":");
    if (!s)
      break;
  }
  if (n < 2 || n > 3 || !parts[0][0] || !parts[1][0])
    return vessel_error_set(err, 0, "run: bad volume `%s`: SRC:DST[:ro]", spec);
  if (parts[0][0] != '/')
    return vessel_error_set(err, 0,
                            "run: volume source `%s` must be an absolute path (named volumes "
                            "are not supported yet)",
                            parts[0]);
  if (parts[1][0] != '/')
    return vessel_error_set(err, 0, "run: volume destination `%s` must be absolute", parts[1]);
  b->source = parts[0];
  b->destination = parts[1];
  b->readonly = false;
  if (n == 3) {
    if (strcmp(parts[2], "ro") == 0)
      b->readonly = true;
    else if (strcmp(parts[2], "rw") != 0)
      return vessel_error_set(err, 0, "run: bad volume mode `%s`: ro or rw", parts[2]);
  }
  return 0;
}

enum {
  OPT_RM = 0x200,
  OPT_NAME,
  OPT_ENTRYPOINT,
  OPT_NETWORK,
  OPT_READ_ONLY,
  OPT_CAP_ADD,
  OPT_CAP_DROP,
  OPT_PIDS,
  OPT_SECURITY,
};

int cmd_run(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"rm", no_argument, NULL, OPT_RM},
      {"detach", no_argument, NULL, 'd'},
      {"name", required_argument, NULL, OPT_NAME},
      {"env", required_argument, NULL, 'e'},
      {"workdir", required_argument, NULL, 'w'},
      {"user", required_argument, NULL, 'u'},
      {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
      {"hostname", required_argument, NULL, 'h'},
      {"network", required_argument, NULL, OPT_NETWORK},
      {"net", required_argument, NULL, OPT_NETWORK},
      {"volume", required_argument, NULL, 'v'},
      {"read-only", no_argument, NULL, OPT_READ_ONLY},
      {"cap-add", required_argument, NULL, OPT_CAP_ADD},
      {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
      {"memory", required_argument, NULL, 'm'},
      {"pids-limit", required_argument, NULL, OPT_PIDS},
      {"security-opt", required_argument, NULL, OPT_SECURITY},
      {"tty", no_argument, NULL, 't'},
      {"interactive", no_argument, NULL, 'i'},
      {"log-opt", required_argument, NULL, CLI_OPT_LOG_OPT},
      {"restart", required_argument, NULL, CLI_OPT_RESTART},
      {"health-cmd", required_argument, NULL, CLI_OPT_HEALTH_CMD},
      {"health-interval", required_argument, NULL, CLI_OPT_HEALTH_INTERVAL},
      {"health-timeout", required_argument, NULL, CLI_OPT_HEALTH_TIMEOUT},
      {"health-retries", required_argument, NULL, CLI_OPT_HEALTH_RETRIES},
      {"health-start-period", required_argument, NULL, CLI_OPT_HEALTH_START_PERIOD},
      {"no-healthcheck", no_argument, NULL, CLI_OPT_NO_HEALTHCHECK},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  struct engine_run_opts o = {0};
  bool detach = false;
  struct strlist env = {0}, cap_add = {0}, cap_drop = {0};
  _cleanup_free_ struct engine_bind *binds = NULL;
  int ret = -1, c;
  while ((c = cli_getopt("run", argc, argv, "+:de:w:u:h:v:m:it", opts, err)) != -1) {
    long long n;
    switch (c) {
    case OPT_RM:
      o.remove = true;
      break;
    case 'd':
      detach = true;
      break;
    case OPT_NAME:
      o.name = optarg;
      break;
    case 'e':
      if (strlist_add(&env, optarg, "--env", err) < 0)
        goto out;
      break;
    case 'w':
      if (optarg[0] != '/') {
        vessel_error_set(err, 0, "run: --workdir `%s` must be an absolute path", optarg);
        goto out;
      }
      o.workdir = optarg;
      break;
    case 'u':
      o.user = optarg;
      break;
    case OPT_ENTRYPOINT:
      o.entrypoint = optarg;
      break;
    case 'h':
      if (!optarg[0] || strlen(optarg) > 64 || strchr(optarg, '/')) {
        vessel_error_set(err, 0, "run: bad --hostname `%s`", optarg);
        goto out;
      }
      o.hostname = optarg;
      break;
    case OPT_NETWORK:
      if (strcmp(optarg, "host") == 0)
        o.network_host = true;
      else if (strcmp(optarg, "none") != 0) {
        vessel_error_set(err, 0, "run: --network `%s`: only none and host are supported", optarg);
        goto out;
      }
      break;
    case 'v': {
      if (o.n_binds >= RUN_LIST_MAX) {
        vessel_error_set(err, 0, "run: too many volumes");
        goto out;
      }
      struct engine_bind *nb = realloc(binds, (o.n_binds + 1) * sizeof *nb);
      if (!nb) {
        vessel_error_set(err, ENOMEM, "run");
        goto out;
      }
      binds = nb;
      if (parse_volume(optarg, &binds[o.n_binds], err) < 0)
        goto out;
      o.n_binds++;
      break;
    }
    case OPT_READ_ONLY:
      o.read_only = true;
      break;
    case OPT_CAP_ADD:
      if (strlist_add(&cap_add, optarg, "--cap-add", err) < 0)
        goto out;
      break;
    case OPT_CAP_DROP:
      if (strlist_add(&cap_drop, optarg, "--cap-drop", err) < 0)
        goto out;
      break;
    case 'm':
      if (engine_parse_bytes(optarg, &n) < 0 || n <= 0) {
        vessel_error_set(err, 0, "run: bad --memory `%s` (a size such as 128m)", optarg);
        goto out;
      }
      o.memory = n;
      break;
    case OPT_PIDS:
      if (parse_i64(optarg, &n) < 0 || n == 0 || n < -1) {
        vessel_error_set(err, 0, "run: bad --pids-limit `%s`", optarg);
        goto out;
      }
      o.pids = n > 0 ? n : 0;
      break;
    case OPT_SECURITY:
      if (strcmp(optarg, "seccomp=unconfined") != 0) {
        vessel_error_set(err, 0, "run: --security-opt `%s`: only seccomp=unconfined is supported",
                         optarg);
        goto out;
      }
      o.seccomp_unconfined = true;
      break;
    case 't':
    case 'i':
    case CLI_OPT_LOG_OPT:
    case CLI_OPT_RESTART:
    case CLI_OPT_HEALTH_CMD:
    case CLI_OPT_HEALTH_INTERVAL:
    case CLI_OPT_HEALTH_TIMEOUT:
    case CLI_OPT_HEALTH_RETRIES:
    case CLI_OPT_HEALTH_START_PERIOD:
    case CLI_OPT_NO_HEALTHCHECK:
      if (cli_run_monitor_opt(c, optarg, &o, err) < 0)
        goto out;
      break;
    case CLI_HELP:
      ret = 0;
      goto out;
    default:
      goto out;
    }
  }
  if (cli_run_monitor_check(&o, detach, err) < 0)
    goto out;
  if (optind >= argc) {
    vessel_error_set(err, 0, "run: missing image (see vessel run --help)");
    goto out;
  }
  o.image = argv[optind];
  o.cmd = argv + optind + 1;
  o.env = env.v;
  o.cap_add = cap_add.v;
  o.cap_drop = cap_drop.v;
  o.binds = binds;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    goto out;
  fflush(stdout);
  if (detach) {
    char id[65];
    ret = engine_run_detached(e, &o, id, err);
    if (ret == 0)
      printf("%s\n", id);
  } else {
    ret = engine_run(e, &o, err);
  }
  /* the container ran but its command could not start: say why, exit 126/127 */
  if (ret > 0 && err->msg[0])
    log_error("%s", err->msg);
out:
  free(env.v);
  free(cap_add.v);
  free(cap_drop.v);
  return ret;
}
