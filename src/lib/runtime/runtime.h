/* The OCI runtime as a library: an OCI bundle -> a running container, and the
 * lifecycle operations on it. The engine calls this in-process; vessel-runtime
 * is a thin command line over it. Nothing here exits, prints or reads argv. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

struct runtime_ctx {
  const char *state_root; /* --root: one directory per container */
  bool systemd_cgroup;    /* --systemd-cgroup: refused unless systemd runs */
};

struct runtime_create_opts {
  const char *id;
  const char *bundle; /* directory holding config.json */
  const char *pid_file;
  const char *console_socket;
  bool no_pivot;
  bool no_new_keyring;
  unsigned preserve_fds;            /* fds 3 .. 3+n-1 survive into the container */
  bool keep;                        /* run in the foreground: keep the stopped container */
  const char *config;               /* config.json's text, when the caller has it: the
                                     * bundle's file is then not read (nor needed) */
  const struct json_t *config_json; /* and parsed, with config: not parsed again */
};

enum container_status {
  CONTAINER_CREATING,
  CONTAINER_CREATED,
  CONTAINER_RUNNING,
  CONTAINER_PAUSED,
  CONTAINER_STOPPED,
};

struct container_info {
  char *id;
  pid_t pid; /* 0 once stopped */
  enum container_status status;
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  char *annotations_json; /* JSON object text or NULL */
};

const char *container_status_name(enum container_status s);
void container_info_free(struct container_info *c);

/* Checks a container id: letters, digits, `_+-.`, not `.`/`..`, <= 1024. */
int runtime_check_id(const char *id, struct vessel_error *err);

/* create: sets the container up and leaves its init waiting for start. */
int runtime_create(const struct runtime_ctx *ctx, const struct runtime_create_opts *o,
                   struct vessel_error *err);

/* run in the foreground: create + start, forward signals, wait, delete.
 * *status gets the exit code the CLI should exit with (128+sig when killed).
 * With detach: create + start and return. */
int runtime_run(const struct runtime_ctx *ctx, const struct runtime_create_opts *o, bool detach,
                int *status, struct vessel_error *err);

int runtime_start(const struct runtime_ctx *ctx, const char *id, struct vessel_error *err);

/* run in two steps, for a caller with an event loop of its own (the
 * engine's monitor): start returns once the process runs (its exec done; a
 * child of the caller, which reaps it), with a pidfd and, when
 * process.terminal is set and no console socket is given, the pty master.
 * Both fds become the caller's. finish deletes the container once it has
 * been reaped. */
struct runtime_started {
  pid_t pid;
  int pidfd;
  int console_master; /* -1 without a terminal */
  void *priv;
};
int runtime_run_start(const struct runtime_ctx *ctx, const struct runtime_create_opts *o,
                      struct runtime_started *out, struct vessel_error *err);
int runtime_run_finish(const struct runtime_ctx *ctx, const char *id, struct runtime_started *rs,
                       struct vessel_error *err);

/* The state document of the runtime-spec, as JSON text (malloc'd). */
int runtime_state_json(const struct runtime_ctx *ctx, const char *id, char **json,
                       struct vessel_error *err);
int runtime_info(const struct runtime_ctx *ctx, const char *id, struct container_info *out,
                 struct vessel_error *err);

int runtime_kill(const struct runtime_ctx *ctx, const char *id, int sig, bool all,
                 struct vessel_error *err);
int runtime_delete(const struct runtime_ctx *ctx, const char *id, bool force,
                   struct vessel_error *err);
int runtime_list(const struct runtime_ctx *ctx, struct container_info **out, size_t *n,
                 struct vessel_error *err);
int runtime_pause(const struct runtime_ctx *ctx, const char *id, bool pause,
                  struct vessel_error *err);
int runtime_pids(const struct runtime_ctx *ctx, const char *id, pid_t **pids, size_t *n,
                 struct vessel_error *err);
int runtime_update(const struct runtime_ctx *ctx, const char *id, const struct spec_resources *r,
                   struct vessel_error *err);

struct runtime_exec_opts {
  struct spec_process *process; /* complete: the CLI merges flags over the config */
  const char *console_socket;
  const char *pid_file;
  bool detach;
  unsigned preserve_fds;
};

/* The container's process spec, for the CLI to start an exec from. */
struct spec_process *runtime_container_process(const struct runtime_ctx *ctx, const char *id,
                                               struct vessel_error *err);

/* exec a new process in a running container. Without detach, waits and puts
 * its exit code in *status. */
int runtime_exec(const struct runtime_ctx *ctx, const char *id, const struct runtime_exec_opts *o,
                 int *status, struct vessel_error *err);

/* The features document (runtime-spec features.md), JSON text. */
char *runtime_features_json(void);

/* Signal names: "KILL", "SIGKILL", "9" -> 9; -1 when unknown. */
int runtime_signal_parse(const char *s);
