/* exec: the process comes from --process FILE, or from the container's own
 * process with the command line and flags laid over it (as runc does). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define EXEC_MAX_LIST 256

struct exec_flags {
  const char *process_file, *cwd, *user, *apparmor, *label;
  bool tty, tty_set, nnp;
  const char *env[EXEC_MAX_LIST];
  size_t n_env;
  const char *caps[EXEC_MAX_LIST];
  size_t n_caps;
  const char *gids[EXEC_MAX_LIST];
  size_t n_gids;
};

static int push(const char **list, size_t *n, const char *v, struct vessel_error *err)
{
  if (*n >= EXEC_MAX_LIST)
    return vessel_error_set(err, E2BIG, "exec: too many values for a repeated flag");
  list[(*n)++] = v;
  return 0;
}

static int set_env(struct spec_process *p, const char *kv, struct vessel_error *err)
{
  const char *eq = strchr(kv, '=');
  size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
  size_t n = strv_length(p->env);
  for (size_t i = 0; i < n; i++) {
    if (strncmp(p->env[i], kv, klen) == 0 && p->env[i][klen] == '=') {
      char *dup = strdup(kv);
      if (!dup)
        return vessel_error_set(err, ENOMEM, "exec --env");
      free(p->env[i]);
      p->env[i] = dup;
      return 0;
    }
  }
  char **nv = realloc(p->env, (n + 2) * sizeof *nv);
  if (!nv)
    return vessel_error_set(err, ENOMEM, "exec --env");
  p->env = nv;
  if (!(nv[n] = strdup(kv)))
    return vessel_error_set(err, ENOMEM, "exec --env");
  nv[n + 1] = NULL;
  return 0;
}

static int set_user(struct spec_process *p, const char *spec, struct vessel_error *err)
{
  char buf[64];
  snprintf(buf, sizeof buf, "%s", spec);
  char *colon = strchr(buf, ':');
  if (colon)
    *colon = '\0';
  unsigned long long uid, gid;
  if (parse_u64(buf, &uid) < 0 || uid > 0xffffffffULL)
    return vessel_error_set(err, EINVAL, "exec --user `%s`: want UID[:GID] as numbers", spec);
  p->user.uid = (uint32_t)uid;
  if (colon) {
    if (parse_u64(colon + 1, &gid) < 0 || gid > 0xffffffffULL)
      return vessel_error_set(err, EINVAL, "exec --user `%s`: want UID[:GID] as numbers", spec);
    p->user.gid = (uint32_t)gid;
  }
  return 0;
}

static int apply_flags(struct spec_process *p, const struct exec_flags *f, char **args,
                       struct vessel_error *err)
{
  size_t n = 0;
  while (args[n])
    n++;
  char **nv = calloc(n + 1, sizeof *nv);
  if (!nv)
    return vessel_error_set(err, ENOMEM, "exec");
  for (size_t i = 0; i < n; i++)
    if (!(nv[i] = strdup(args[i]))) {
      strv_free(nv);
      return vessel_error_set(err, ENOMEM, "exec");
    }
  strv_free(p->args);
  p->args = nv;
  if (f->tty_set)
    p->terminal = f->tty;
  if (f->cwd) {
    free(p->cwd);
    p->cwd = strdup(f->cwd);
  }
  if (f->user && set_user(p, f->user, err) < 0)
    return -1;
  for (size_t i = 0; i < f->n_env; i++)
    if (set_env(p, f->env[i], err) < 0)
      return -1;
  for (size_t i = 0; i < f->n_caps; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s%s", strncasecmp(f->caps[i], "CAP_", 4) ? "CAP_" : "",
             f->caps[i]);
    for (char *c = name; *c; c++)
      *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    int cap = spec_cap_from_name(name);
    if (cap < 0)
      return vessel_error_set(err, EINVAL, "exec --cap: unknown capability `%s`", f->caps[i]);
    p->caps.present = true;
    uint64_t bit = 1ULL << cap;
    p->caps.sets[SPEC_CAP_BOUNDING] |= bit;
    p->caps.sets[SPEC_CAP_EFFECTIVE] |= bit;
    p->caps.sets[SPEC_CAP_PERMITTED] |= bit;
  }
  if (f->n_gids) {
    uint32_t *g =
        realloc(p->user.additional_gids, (p->user.n_additional_gids + f->n_gids) * sizeof *g);
    if (!g)
      return vessel_error_set(err, ENOMEM, "exec");
    p->user.additional_gids = g;
    for (size_t i = 0; i < f->n_gids; i++) {
      unsigned long long v;
      if (parse_u64(f->gids[i], &v) < 0 || v > 0xffffffffULL)
        return vessel_error_set(err, EINVAL, "exec --additional-gids: bad gid `%s`", f->gids[i]);
      g[p->user.n_additional_gids++] = (uint32_t)v;
    }
  }
  if (f->nnp)
    p->no_new_privileges = true;
  if (f->apparmor) {
    free(p->apparmor_profile);
    p->apparmor_profile = strdup(f->apparmor);
  }
  if (f->label) {
    free(p->selinux_label);
    p->selinux_label = strdup(f->label);
  }
  return 0;
}

int cmd_exec(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"process", required_argument, NULL, 'p'},
      {"tty", no_argument, NULL, 't'},
      {"console-socket", required_argument, NULL, 'C'},
      {"detach", no_argument, NULL, 'd'},
      {"pid-file", required_argument, NULL, 'P'},
      {"env", required_argument, NULL, 'e'},
      {"cwd", required_argument, NULL, 'w'},
      {"user", required_argument, NULL, 'u'},
      {"additional-gids", required_argument, NULL, 'g'},
      {"cap", required_argument, NULL, 'c'},
      {"no-new-privs", no_argument, NULL, 'n'},
      {"apparmor", required_argument, NULL, 'a'},
      {"process-label", required_argument, NULL, 'l'},
      {"preserve-fds", required_argument, NULL, 'f'},
      {"ignore-paused", no_argument, NULL, 'I'},
      {"cgroup", required_argument, NULL, 'G'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  struct exec_flags f = {0};
  struct runtime_exec_opts o = {0};
  int c;
  /* "+": the first non-flag is the id, everything after it is the command */
  while ((c = cli_getopt("exec", argc, argv, "+p:tde:u:g:c:h", opts, err)) != -1) {
    unsigned long long n;
    switch (c) {
    case 'p':
      f.process_file = optarg;
      break;
    case 't':
      f.tty = f.tty_set = true;
      break;
    case 'C':
      o.console_socket = optarg;
      break;
    case 'd':
      o.detach = true;
      break;
    case 'P':
      o.pid_file = optarg;
      break;
    case 'e':
      if (push(f.env, &f.n_env, optarg, err) < 0)
        return -1;
      break;
    case 'w':
      f.cwd = optarg;
      break;
    case 'u':
      f.user = optarg;
      break;
    case 'g':
      if (push(f.gids, &f.n_gids, optarg, err) < 0)
        return -1;
      break;
    case 'c':
      if (push(f.caps, &f.n_caps, optarg, err) < 0)
        return -1;
      break;
    case 'n':
      f.nnp = true;
      break;
    case 'a':
      f.apparmor = optarg;
      break;
    case 'l':
      f.label = optarg;
      break;
    case 'I':
    case 'G':
      break;
    case 'f':
      if (parse_u64(optarg, &n) < 0 || n > 65536)
        return vessel_error_set(err, EINVAL, "exec: --preserve-fds: bad number `%s`", optarg);
      o.preserve_fds = (unsigned)n;
      break;
    case 'h':
      return 0;
    default:
      return -1;
    }
  }
  if (optind >= argc)
    return vessel_error_set(err, EINVAL, "exec: missing container id");
  const char *id = argv[optind];
  if (runtime_check_id(id, err) < 0)
    return -1;
  char **args = argv + optind + 1;
  struct spec_process *p;
  if (f.process_file) {
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (cli_read_input(f.process_file, &text, &len, err) < 0)
      return -1;
    p = spec_process_parse(text, len, err);
    if (!p)
      return vessel_error_prefix(err, "exec --process `%s`", f.process_file);
  } else {
    if (!args[0])
      return vessel_error_set(err, EINVAL, "exec: missing command (give arguments or --process)");
    p = runtime_container_process(&cli->ctx, id, err);
    if (!p)
      return -1;
    p->terminal = false;
    if (apply_flags(p, &f, args, err) < 0) {
      spec_process_free(p);
      return -1;
    }
  }
  o.process = p;
  int status = 0;
  int r = runtime_exec(&cli->ctx, id, &o, &status, err);
  spec_process_free(p);
  if (r < 0)
    return -1;
  return status;
}
