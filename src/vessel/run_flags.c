/* The run flags of run_flags.h: values parsed by the engine's parsers
 * (runflags.c), kept here until the run is over. */
#include "run_flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define RUN_FLAG_LIST_MAX 4096

static int grow(void **v, size_t n, size_t size, struct vessel_error *err)
{
  if (n >= RUN_FLAG_LIST_MAX)
    return vessel_error_set(err, 0, "run: too many flags of one kind");
  void *nv = realloc(*v, (n + 2) * size);
  if (!nv)
    return vessel_error_set(err, ENOMEM, "run");
  memset((char *)nv + n * size, 0, 2 * size);
  *v = nv;
  return 0;
}

static int strv_add(char ***v, size_t *n, const char *s, struct vessel_error *err)
{
  return strv_push(v, n, s) < 0 ? vessel_error_set(err, ENOMEM, "run") : 0;
}

static int bytes(const char *flag, const char *arg, long long *out, bool allow_unlimited,
                 struct vessel_error *err)
{
  if (allow_unlimited && strcmp(arg, "-1") == 0) {
    *out = -1;
    return 0;
  }
  if (engine_parse_bytes(arg, out) < 0 || *out <= 0)
    return vessel_error_set(err, 0, "run: bad %s `%s` (a size such as 128m)", flag, arg);
  return 0;
}

static int number(const char *flag, const char *arg, long long min, long long max, long long *out,
                  struct vessel_error *err)
{
  if (parse_i64(arg, out) < 0 || *out < min || *out > max)
    return vessel_error_set(err, 0, "run: bad %s `%s` (%lld to %lld)", flag, arg, min, max);
  return 0;
}

int run_flags_parse(struct run_flags *f, int c, const char *arg, struct engine_run_opts *o,
                    struct vessel_error *err)
{
  long long n;
  switch (c) {
  case 'v':
  case RUN_FLAG_MOUNT:
  case RUN_FLAG_TMPFS: {
    if (grow((void **)&f->mounts, f->n_mounts, sizeof *f->mounts, err) < 0)
      return -1;
    struct engine_mount *m = &f->mounts[f->n_mounts];
    int r = c == 'v'              ? engine_parse_volume(arg, m, err)
            : c == RUN_FLAG_MOUNT ? engine_parse_mount(arg, m, err)
                                  : engine_parse_tmpfs(arg, m, err);
    if (r < 0)
      return vessel_error_prefix(err, "run");
    f->n_mounts++;
    return 0;
  }
  case RUN_FLAG_ENV_FILE:
    if (engine_parse_env_file(arg, &f->env, &f->n_env, err) < 0)
      return vessel_error_prefix(err, "run");
    return 0;
  case RUN_FLAG_LABEL:
    if (!arg[0] || arg[0] == '=')
      return vessel_error_set(err, 0, "run: bad --label `%s`: KEY=VALUE", arg);
    return strv_add(&f->labels, &f->n_labels, arg, err);
  case RUN_FLAG_LABEL_FILE: /* docker reads it as an env file */
    if (engine_parse_env_file(arg, &f->labels, &f->n_labels, err) < 0)
      return vessel_error_prefix(err, "run: --label-file");
    return 0;
  case RUN_FLAG_STOP_SIGNAL:
    o->stop_signal = arg;
    return 0;
  case RUN_FLAG_STOP_TIMEOUT:
    if (number("--stop-timeout", arg, -1, 1000000, &n, err) < 0)
      return -1;
    o->stop_timeout = (int)n;
    o->stop_timeout_set = true;
    return 0;
  case RUN_FLAG_MEMORY_SWAP:
    return bytes("--memory-swap", arg, &o->memory_swap, true, err);
  case RUN_FLAG_MEMORY_RESERVATION:
    return bytes("--memory-reservation", arg, &o->memory_reservation, false, err);
  case RUN_FLAG_CPUS:
    return engine_parse_cpus(arg, &o->nano_cpus, err) < 0 ? vessel_error_prefix(err, "run") : 0;
  case RUN_FLAG_CPU_SHARES:
    return number("--cpu-shares", arg, 2, 262144, &o->cpu_shares, err);
  case RUN_FLAG_CPU_QUOTA:
    if (parse_i64(arg, &n) == 0 && n == -1) {
      o->cpu_quota = -1;
      return 0;
    }
    return number("--cpu-quota", arg, 1000, 1000000000000LL, &o->cpu_quota, err);
  case RUN_FLAG_CPU_PERIOD:
    return number("--cpu-period", arg, 1000, 1000000, &o->cpu_period, err);
  case RUN_FLAG_CPUSET_CPUS:
    o->cpuset_cpus = arg;
    return 0;
  case RUN_FLAG_CPUSET_MEMS:
    o->cpuset_mems = arg;
    return 0;
  case RUN_FLAG_ULIMIT:
    if (grow((void **)&f->ulimits, f->n_ulimits, sizeof *f->ulimits, err) < 0)
      return -1;
    if (engine_parse_ulimit(arg, &f->ulimits[f->n_ulimits], err) < 0)
      return vessel_error_prefix(err, "run");
    f->n_ulimits++;
    return 0;
  case RUN_FLAG_SHM_SIZE:
    return bytes("--shm-size", arg, &o->shm_size, false, err);
  case RUN_FLAG_SYSCTL:
    if (engine_check_sysctl(arg, false, err) < 0)
      return vessel_error_prefix(err, "run");
    return strv_add(&f->sysctls, &f->n_sysctls, arg, err);
  case RUN_FLAG_DEVICE:
    if (grow((void **)&f->devices, f->n_devices, sizeof *f->devices, err) < 0)
      return -1;
    if (engine_parse_device(arg, &f->devices[f->n_devices], err) < 0)
      return vessel_error_prefix(err, "run");
    f->n_devices++;
    return 0;
  case RUN_FLAG_PRIVILEGED:
    o->privileged = true;
    return 0;
  case RUN_FLAG_INIT:
    o->init = true;
    return 0;
  }
  return vessel_error_set(err, 0, "run: unknown flag");
}

int run_flags_security_opt(const char *arg, struct engine_run_opts *o, struct vessel_error *err)
{
  if (!strcmp(arg, "no-new-privileges") || !strcmp(arg, "no-new-privileges=true") ||
      !strcmp(arg, "no-new-privileges:true")) {
    o->no_new_privileges = true;
    return 1;
  }
  if (!strcmp(arg, "no-new-privileges=false") || !strcmp(arg, "no-new-privileges:false")) {
    o->no_new_privileges = false;
    return 1;
  }
  if (!strncmp(arg, "no-new-privileges", 17))
    return vessel_error_set(err, 0, "run: bad --security-opt `%s`: no-new-privileges[=true|false]",
                            arg);
  if (!strncmp(arg, "seccomp=", 8) && strcmp(arg, "seccomp=unconfined") != 0) {
    if (!arg[8])
      return vessel_error_set(err, 0, "run: --security-opt seccomp= needs a profile file");
    o->seccomp_profile = arg + 8;
    return 1;
  }
  return 0;
}

int run_flags_finish(struct run_flags *f, char **env, struct engine_run_opts *o,
                     struct vessel_error *err)
{
  /* -e after --env-file, as docker: the later one wins */
  for (size_t i = 0; env && env[i]; i++)
    if (strv_add(&f->env, &f->n_env, env[i], err) < 0)
      return -1;
  o->env = f->env;
  o->mounts = f->mounts;
  o->n_mounts = f->n_mounts;
  o->labels = f->labels;
  o->sysctls = f->sysctls;
  o->ulimits = f->ulimits;
  o->n_ulimits = f->n_ulimits;
  o->devices = f->devices;
  o->n_devices = f->n_devices;
  /* what needs several flags together */
  for (size_t i = 0; f->sysctls && i < f->n_sysctls; i++)
    if (engine_check_sysctl(f->sysctls[i], o->network_host, err) < 0)
      return vessel_error_prefix(err, "run");
  return 0;
}

void run_flags_free(struct run_flags *f)
{
  for (size_t i = 0; i < f->n_mounts; i++)
    engine_mount_clear(&f->mounts[i]);
  free(f->mounts);
  strv_free(f->env);
  strv_free(f->labels);
  strv_free(f->sysctls);
  free(f->ulimits);
  for (size_t i = 0; i < f->n_devices; i++) {
    free(f->devices[i].host);
    free(f->devices[i].container);
  }
  free(f->devices);
  memset(f, 0, sizeof *f);
}
