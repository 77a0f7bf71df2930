/* `vessel run`'s flags for mounts, volumes, labels, stop, resources and
 * security: their getopt entries and their parsing into engine_run_opts.
 * cmd_run.c lists RUN_FLAGS_LONGOPTS in its table and hands every code
 * between RUN_FLAG_FIRST and RUN_FLAG_LAST (and -v) to run_flags_parse. */
#pragma once
#include <getopt.h>

#include "engine/engine.h"
#include "util/error.h"

enum {
  RUN_FLAG_FIRST = 0x400,
  RUN_FLAG_MOUNT = RUN_FLAG_FIRST,
  RUN_FLAG_TMPFS,
  RUN_FLAG_ENV_FILE,
  RUN_FLAG_LABEL,
  RUN_FLAG_LABEL_FILE,
  RUN_FLAG_STOP_SIGNAL,
  RUN_FLAG_STOP_TIMEOUT,
  RUN_FLAG_MEMORY_SWAP,
  RUN_FLAG_MEMORY_RESERVATION,
  RUN_FLAG_CPUS,
  RUN_FLAG_CPU_SHARES,
  RUN_FLAG_CPU_QUOTA,
  RUN_FLAG_CPU_PERIOD,
  RUN_FLAG_CPUSET_CPUS,
  RUN_FLAG_CPUSET_MEMS,
  RUN_FLAG_ULIMIT,
  RUN_FLAG_SHM_SIZE,
  RUN_FLAG_SYSCTL,
  RUN_FLAG_DEVICE,
  RUN_FLAG_PRIVILEGED,
  RUN_FLAG_INIT,
  RUN_FLAG_LAST = RUN_FLAG_INIT,
};

#define RUN_FLAGS_LONGOPTS                                                                         \
  {"mount", required_argument, NULL, RUN_FLAG_MOUNT},                                              \
      {"tmpfs", required_argument, NULL, RUN_FLAG_TMPFS},                                          \
      {"env-file", required_argument, NULL, RUN_FLAG_ENV_FILE},                                    \
      {"label", required_argument, NULL, RUN_FLAG_LABEL},                                          \
      {"label-file", required_argument, NULL, RUN_FLAG_LABEL_FILE},                                \
      {"stop-signal", required_argument, NULL, RUN_FLAG_STOP_SIGNAL},                              \
      {"stop-timeout", required_argument, NULL, RUN_FLAG_STOP_TIMEOUT},                            \
      {"memory-swap", required_argument, NULL, RUN_FLAG_MEMORY_SWAP},                              \
      {"memory-reservation", required_argument, NULL, RUN_FLAG_MEMORY_RESERVATION},                \
      {"cpus", required_argument, NULL, RUN_FLAG_CPUS},                                            \
      {"cpu-shares", required_argument, NULL, RUN_FLAG_CPU_SHARES},                                \
      {"cpu-quota", required_argument, NULL, RUN_FLAG_CPU_QUOTA},                                  \
      {"cpu-period", required_argument, NULL, RUN_FLAG_CPU_PERIOD},                                \
      {"cpuset-cpus", required_argument, NULL, RUN_FLAG_CPUSET_CPUS},                              \
      {"cpuset-mems", required_argument, NULL, RUN_FLAG_CPUSET_MEMS},                              \
      {"ulimit", required_argument, NULL, RUN_FLAG_ULIMIT},                                        \
      {"shm-size", required_argument, NULL, RUN_FLAG_SHM_SIZE},                                    \
      {"sysctl", required_argument, NULL, RUN_FLAG_SYSCTL},                                        \
      {"device", required_argument, NULL, RUN_FLAG_DEVICE},                                        \
      {"privileged", no_argument, NULL, RUN_FLAG_PRIVILEGED},                                      \
  {                                                                                                \
    "init", no_argument, NULL, RUN_FLAG_INIT                                                       \
  }

/* What the flags own until run_flags_free. */
struct run_flags {
  struct engine_mount *mounts;
  size_t n_mounts;
  char **env; /* from --env-file, before -e's */
  size_t n_env;
  char **labels;
  size_t n_labels;
  char **sysctls;
  size_t n_sysctls;
  struct engine_ulimit *ulimits;
  size_t n_ulimits;
  struct engine_device *devices;
  size_t n_devices;
};

/* One flag (c: a RUN_FLAG_* code or 'v'); fills o's scalar fields. */
int run_flags_parse(struct run_flags *f, int c, const char *arg, struct engine_run_opts *o,
                    struct vessel_error *err);
/* --security-opt's no-new-privileges[=bool] and seccomp=FILE: 1 when taken,
 * 0 when arg is none of them, -1 on a bad value. */
int run_flags_security_opt(const char *arg, struct engine_run_opts *o, struct vessel_error *err);
/* Hands the lists to o; env (the -e list, may be NULL) goes after the
 * --env-file ones: *env_out is a new vector owned by f. */
int run_flags_finish(struct run_flags *f, char **env, struct engine_run_opts *o,
                     struct vessel_error *err);
void run_flags_free(struct run_flags *f);
