/* vessel run: flags -> struct engine_run_opts -> engine_run in the foreground. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_flags.h"
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

/* run and create share every flag; create makes the container and stops
 * there. */
static int run_or_create(struct cli *cli, int argc, char **argv, bool create,
                         struct vessel_error *err)
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
      RUN_FLAGS_LONGOPTS,
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
  struct run_flags rf = {0};
  bool detach = false;
  struct strlist env = {0}, cap_add = {0}, cap_drop = {0};
  int ret = -1, c;
  const char *name = create ? "create" : "run";
  while ((c = cli_getopt(name, argc, argv, "+:de:w:u:h:v:m:it", opts, err)) != -1) {
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
    case 'v':
    case RUN_FLAG_FIRST ... RUN_FLAG_LAST:
      if (run_flags_parse(&rf, c, optarg, &o, err) < 0)
        goto out;
      break;
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
    case OPT_SECURITY: {
      int taken = run_flags_security_opt(optarg, &o, err);
      if (taken < 0)
        goto out;
      if (taken)
        break;
      if (strcmp(optarg, "seccomp=unconfined") != 0) {
        vessel_error_set(err, 0,
                         "run: --security-opt `%s`: seccomp=unconfined|FILE or no-new-privileges",
                         optarg);
        goto out;
      }
      o.seccomp_unconfined = true;
      break;
    }
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
    vessel_error_set(err, 0, "%s: missing image (see vessel %s --help)", name, name);
    goto out;
  }
  o.image = argv[optind];
  o.cmd = argv + optind + 1;
  o.env = env.v;
  o.cap_add = cap_add.v;
  o.cap_drop = cap_drop.v;
  if (run_flags_finish(&rf, env.v, &o, err) < 0)
    goto out;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    goto out;
  fflush(stdout);
  if (create) {
    char id[65];
    ret = engine_create(e, &o, id, err);
    if (ret == 0)
      printf("%s\n", id);
  } else if (detach) {
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
  run_flags_free(&rf);
  return ret;
}

int cmd_run(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  return run_or_create(cli, argc, argv, false, err);
}

int cmd_create(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  return run_or_create(cli, argc, argv, true, err);
}
