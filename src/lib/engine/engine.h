/* Containers of the engine: records under --root, names, bundles made from an
 * image config and run flags, an overlay root filesystem, and the runtime
 * called in-process. Nothing here exits, prints or reads argv. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "image/image.h"
#include "util/error.h"

struct engine {
  char *root;         /* persistent: images, layers, containers/<id>, names/<name> */
  char *runroot;      /* volatile: runtime/ (the runtime's state root) */
  char *runtime_root; /* runroot/runtime */
  int containers_fd;  /* root/containers */
  int names_fd;       /* root/names */
  struct image_store *images;
};

/* Opens the engine's directories (made when missing) and the image store. */
struct engine *engine_open(const char *root, const char *runroot, struct vessel_error *err);
void engine_close(struct engine *e);

/* Errors of engine_run that are the container's command failing to start
 * rather than the engine: err->code is then ENOENT (127) or EACCES (126). */
#define ENGINE_EXIT_FAILED 125
#define ENGINE_EXIT_CANNOT_EXEC 126
#define ENGINE_EXIT_NOT_FOUND 127

struct engine_container;

/* Mounts of --mount, -v and --tmpfs (strings malloc'd, engine_mount_clear). */
enum engine_mount_type { ENGINE_MOUNT_BIND, ENGINE_MOUNT_VOLUME, ENGINE_MOUNT_TMPFS };
struct engine_mount {
  enum engine_mount_type type;
  char *source; /* host path, volume name (NULL: a new anonymous volume) */
  char *destination;
  bool readonly;
  bool anonymous;       /* a volume made for this container only */
  bool nocopy;          /* no copy of the image's content into a new volume */
  long long tmpfs_size; /* bytes, 0: the kernel's default */
  unsigned tmpfs_mode;  /* 0: unset */
  char *tmpfs_options;  /* --tmpfs's extra mount options, comma separated */
};

struct engine_ulimit {
  int resource; /* RLIMIT_* */
  unsigned long long soft, hard;
};

struct engine_device {
  char *host, *container;
  char access[4]; /* subset of "rwm" */
};

void engine_mount_clear(struct engine_mount *m);
/* Parsers of run flag values: 0, or -1 with err. */
int engine_parse_mount(const char *spec, struct engine_mount *out, struct vessel_error *err);
int engine_parse_volume(const char *spec, struct engine_mount *out, struct vessel_error *err);
int engine_parse_tmpfs(const char *spec, struct engine_mount *out, struct vessel_error *err);
int engine_parse_ulimit(const char *spec, struct engine_ulimit *out, struct vessel_error *err);
int engine_parse_device(const char *spec, struct engine_device *out, struct vessel_error *err);
/* KEY=VAL lines, # comments, blank lines; KEY alone is kept as KEY (the
 * caller's value is taken later). Appends malloc'd strings to *v (n items). */
int engine_parse_env_file(const char *path, char ***v, size_t *n, struct vessel_error *err);
/* --cpus: a decimal number of CPUs, as nano CPUs. */
int engine_parse_cpus(const char *s, long long *nano, struct vessel_error *err);
/* --sysctl: only the namespaced ones docker allows (net.* unless network_host). */
int engine_check_sysctl(const char *kv, bool network_host, struct vessel_error *err);

/* The monitor's part of a container (monitor.c, logfile.c, policy.c): its
 * terminal, log rotation, restart policy and health check. Kept in the
 * record; zero is docker's default except where noted. */
enum engine_restart {
  ENGINE_RESTART_NO,
  ENGINE_RESTART_ON_FAILURE,
  ENGINE_RESTART_ALWAYS,
  ENGINE_RESTART_UNLESS_STOPPED,
};
struct engine_monitor_opts {
  bool tty;               /* -t: a pty the monitor (or the runtime) holds */
  bool interactive;       /* -i: stdin stays open */
  long long log_max_size; /* --log-opt max-size, bytes; 0 = unlimited */
  int log_max_file;       /* --log-opt max-file; 0 = 1 */
  enum engine_restart restart;
  int restart_max;  /* on-failure:N; 0 = unlimited */
  char *health_cmd; /* run as `sh -c CMD`; NULL: none */
  long long health_interval_ms, health_timeout_ms, health_start_period_ms; /* 0: 30s, 30s, 0 */
  int health_retries;                                                      /* 0: 3 */
};

/* What `vessel run` asks for; every field optional except image. */
struct engine_run_opts {
  const char *image;
  const char *name;
  char **cmd;             /* replaces the image's cmd when non-empty */
  const char *entrypoint; /* replaces the image's entrypoint (and drops its cmd); "" clears */
  char **env;             /* K=V (or K: taken from the caller's environment), NULL-terminated */
  const char *workdir;
  const char *user; /* UID[:GID] or a name in the image's /etc/passwd */
  const char *hostname;
  bool network_host; /* else a new, empty network namespace */
  bool read_only;
  char **cap_add;
  char **cap_drop;
  long long memory;        /* bytes, 0 = unlimited */
  long long pids;          /* 0 = unlimited */
  bool remove;             /* --rm */
  bool seccomp_unconfined; /* no seccomp filter (--security-opt seccomp=unconfined) */
  /* run flags of runflags.c: mounts, labels, stop, resources, security */
  struct engine_mount *mounts; /* --mount, -v, --tmpfs (volumes made on demand) */
  size_t n_mounts;
  char **labels; /* K=V */
  const char *stop_signal;
  int stop_timeout; /* seconds; used when stop_timeout_set */
  bool stop_timeout_set;
  long long memory_swap; /* 0 unset, -1 unlimited, else memory+swap bytes */
  long long memory_reservation;
  long long nano_cpus; /* --cpus * 1e9 */
  long long cpu_shares, cpu_quota, cpu_period;
  const char *cpuset_cpus, *cpuset_mems;
  struct engine_ulimit *ulimits;
  size_t n_ulimits;
  long long shm_size; /* 0: 64m */
  char **sysctls;     /* K=V */
  struct engine_device *devices;
  size_t n_devices;
  bool privileged;
  bool no_new_privileges;
  const char *seccomp_profile; /* a docker seccomp profile file */
  bool init;                   /* tini as pid 1 */

  /* the monitor's: -t -i --log-opt --restart --health-*; --no-healthcheck
   * also drops the image's check */
  struct engine_monitor_opts mon;
  bool no_healthcheck;
};

/* Sizes as docker reads them: "128m", "1g", "4096" (b, k, m, g suffixes). */
int engine_parse_bytes(const char *s, long long *out);

/* Runs a container in the foreground. Returns the exit code the CLI exits
 * with: the container's own, 126/127 when its command cannot be executed
 * (err filled), or -1 with err filled when the engine failed (then nothing is
 * left behind). */
int engine_run(struct engine *e, const struct engine_run_opts *o, struct vessel_error *err);

/* run -d: the same, with a monitor process of its own session that owns the
 * container (its output goes to the container's log). Returns once the
 * container runs: 0 with id filled, 126/127 or -1 as engine_run. */
int engine_run_detached(struct engine *e, const struct engine_run_opts *o, char id[65],
                        struct vessel_error *err);

/* PAUSED is read from the runtime when a record says running; it is never
 * the only truth kept on disk. */
enum engine_state { ENGINE_CREATED, ENGINE_RUNNING, ENGINE_PAUSED, ENGINE_EXITED };

#define ENGINE_HEALTH_LOG 5 /* results kept, as docker */
struct engine_health_result {
  char *start, *end; /* RFC 3339 */
  int exit_code;     /* -1: timed out or could not run */
  char *output;
};

struct engine_container {
  char id[65];
  char *name;
  char *image;    /* as the user named it */
  char *image_id; /* sha256:... */
  char *created;  /* RFC 3339 */
  enum engine_state state;
  int exit_code;
  char *bundle;
  char **cmd; /* the process args */
  char **env;
  char *workdir;
  char *user;
  char *hostname;
  bool auto_remove;
  char *stop_signal; /* the image's STOPSIGNAL, NULL for SIGTERM */
  char *started_at;  /* RFC 3339, NULL before the first start */
  char *finished_at; /* RFC 3339, NULL before the first exit */
  pid_t pid;         /* the init's pid while it runs (from the runtime), else 0 */
  /* run flags kept in the record (runflags.c) */
  char **labels;    /* K=V */
  int stop_timeout; /* seconds, when stop_timeout_set (else 10) */
  bool stop_timeout_set;
  struct engine_mount *mounts;
  size_t n_mounts;

  /* the monitor's: its options and what it keeps of restarts and health */
  struct engine_monitor_opts mon;
  int restart_count;
  bool stopped_by_user; /* stop, kill or rm -f: no restart policy undoes it */
  bool restarting;      /* exited, its monitor waiting out the back-off */
  char *health_status;  /* starting, healthy, unhealthy; NULL without a check */
  int health_failing_streak;
  struct engine_health_result health_log[ENGINE_HEALTH_LOG]; /* oldest first */
  size_t n_health_log;
};

const char *engine_state_name(enum engine_state s);
void engine_container_clear(struct engine_container *c);

/* Every container, oldest first. A record whose monitor died while running
 * reads as exited. */
int engine_list(struct engine *e, struct engine_container **out, size_t *n,
                struct vessel_error *err);
void engine_list_free(struct engine_container *c, size_t n);

/* Finds a container by name, full id or unique id prefix. */
int engine_lookup(struct engine *e, const char *ref, struct engine_container *out,
                  struct vessel_error *err);

/* Removes a container: its runtime state, overlay, directory and name. A
 * running one needs force (it is killed first). */
int engine_remove(struct engine *e, const char *ref, bool force, struct vessel_error *err);

/* rmi: removes a name, refused when it is the image's last one and a
 * container was made from the image. */
int engine_image_remove(struct engine *e, const char *ref, struct vessel_error *err);

/* docker-inspect-like JSON document (malloc'd text). */
char *engine_inspect_json(struct engine *e, const struct engine_container *c,
                          struct vessel_error *err);

/* Lifecycle of existing containers. Each takes a container by name, id or
 * id prefix. A container's directory `lock` is held by the process that runs
 * it (its monitor); the record itself is changed under a lock on byte 0 of it. */

/* start: a fresh runtime container from the record's bundle. attach runs it
 * in the foreground (returns its exit code, 126/127 as engine_run); else a
 * monitor runs it (0 once it runs). Starting a running container does
 * nothing and returns 0. -1 with err when the engine failed. */
int engine_start(struct engine *e, const char *ref, bool attach, struct vessel_error *err);

/* stop: the stop signal (image STOPSIGNAL or SIGTERM), then SIGKILL after
 * timeout_s seconds (< 0: 10). A container that does not run is left as is. */
int engine_stop(struct engine *e, const char *ref, int timeout_s, struct vessel_error *err);

/* kill: a signal to the container's init; an error when it does not run. */
int engine_kill(struct engine *e, const char *ref, int sig, struct vessel_error *err);

/* wait: blocks until the container is not running, then gives its exit code. */
int engine_wait(struct engine *e, const char *ref, int *exit_code, struct vessel_error *err);

/* pause (freeze) or unpause a running container. */
int engine_pause(struct engine *e, const char *ref, bool pause, struct vessel_error *err);

/* rename: the new name is taken first, so two renames never share it. */
int engine_rename(struct engine *e, const char *ref, const char *new_name,
                  struct vessel_error *err);

/* container prune: removes every container that does not run. *ids gets the
 * removed ids (malloc'd strv, may be empty). */
int engine_prune(struct engine *e, char ***ids, struct vessel_error *err);

/* The host pids of the container's processes (malloc'd). */
int engine_pids(struct engine *e, const char *ref, pid_t **pids, size_t *n,
                struct vessel_error *err);

struct engine_exec_opts {
  char **cmd;          /* NULL-terminated, not empty */
  char **env;          /* K=V added or replaced */
  const char *user;    /* UID[:GID] or names from the container's /etc/passwd */
  const char *workdir; /* absolute */
  bool detach;
  bool tty; /* -t: a pty relayed to our stdio by the runtime */
};

/* exec: a new process in a running container. Returns its exit code, or
 * 126/127 (err filled) when it cannot run, 0 at once with detach, -1 when the
 * engine failed. */
int engine_exec(struct engine *e, const char *ref, const struct engine_exec_opts *o,
                struct vessel_error *err);

/* Volumes: <root>/volumes/<name>/_data with <name>/volume.json, names as
 * containers' (volumes/.lock: exclusive to remove, shared to use). */
struct engine_volume {
  char *name;
  char *driver; /* "local" */
  char *mountpoint;
  char *created; /* RFC 3339 */
  char **labels; /* K=V */
  bool anonymous;
};
void engine_volume_clear(struct engine_volume *v);
void engine_volume_list_free(struct engine_volume *v, size_t n);
/* name NULL: a random 64-hex name. An existing name is an error unless
 * exist_ok (then out gets the existing volume). */
int engine_volume_create(struct engine *e, const char *name, char **labels, bool anonymous,
                         bool exist_ok, struct engine_volume *out, struct vessel_error *err);
int engine_volume_get(struct engine *e, const char *name, struct engine_volume *out,
                      struct vessel_error *err);
int engine_volume_list(struct engine *e, struct engine_volume **out, size_t *n,
                       struct vessel_error *err);
/* Refused while a container (running or not) uses it. */
int engine_volume_remove(struct engine *e, const char *name, struct vessel_error *err);
/* Removes unused volumes: anonymous ones, or all with all. *names gets the
 * removed names (malloc'd strv). */
int engine_volume_prune(struct engine *e, bool all, char ***names, struct vessel_error *err);
/* docker volume inspect's object (malloc'd JSON text). */
char *engine_volume_json(const struct engine_volume *v, struct vessel_error *err);

/* rm -v: engine_remove, then the container's anonymous volumes. */
int engine_remove_with_volumes(struct engine *e, const char *ref, bool force, bool volumes,
                               struct vessel_error *err);

/* create: a container made as run makes it, left in state created for
 * engine_start. 0 with id filled, -1 with err (nothing left behind). */
int engine_create(struct engine *e, const struct engine_run_opts *o, char id[65],
                  struct vessel_error *err);

/* Monitor options from their docker spellings (policy.c): "on-failure:3",
 * durations "1m30s" / "500ms" / "2h", --since "2026-11-30T13:00:00Z",
 * "1700000000.5" or a duration ago. */
int engine_parse_restart(const char *s, enum engine_restart *policy, int *max,
                         struct vessel_error *err);
const char *engine_restart_name(enum engine_restart r);
int engine_parse_duration_ms(const char *s, long long *ms, struct vessel_error *err);
int engine_parse_since(const char *s, struct timespec *out, struct vessel_error *err);
/* --log-opt KEY=VALUE (max-size, max-file) into m. */
int engine_parse_log_opt(const char *kv, struct engine_monitor_opts *m, struct vessel_error *err);

/* logs: the container's json-file log, oldest first (rotated files too). */
struct engine_logs_opts {
  long long tail; /* < 0: all */
  bool since_set;
  struct timespec since;
  bool follow; /* then waits for more until the container stops */
};
struct engine_log_line {
  int stream; /* 1 stdout, 2 stderr */
  struct timespec time;
  const char *text; /* with its newline, if it had one */
  size_t len;
};
/* fn returns < 0 to stop (its error is then the result). */
int engine_logs(struct engine *e, const char *ref, const struct engine_logs_opts *o,
                int (*fn)(const struct engine_log_line *l, void *data), void *data,
                struct vessel_error *err);
