/* The engine's parts, shared between its files and the unit tests. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "engine/engine.h"

#define ENGINE_RECORD "container.json"

/* A fresh 64-hex container id from getrandom. */
int engine_id_new(char out[65], struct vessel_error *err);
bool engine_id_valid(const char *id);

/* The container record: written atomically (temp, fsync, rename) as
 * dirfd/container.json; load fills c (clear it with engine_container_clear). */
int record_save(int dirfd, const struct engine_container *c, struct vessel_error *err);
int record_load(int dirfd, struct engine_container *c, struct vessel_error *err);
/* Read-modify-write under a lock on dirfd/lock: fn changes a fresh copy, which
 * is saved and, with out, handed back (out is cleared first). */
int record_update(int dirfd, int (*fn)(struct engine_container *c, void *data), void *data,
                  struct engine_container *out, struct vessel_error *err);
/* The monitor's transitions: running (started_at now) or exited with a
 * code (finished_at now). */
int record_set_state(int dirfd, enum engine_state state, int exit_code,
                     struct engine_container *out, struct vessel_error *err);
char *engine_now_rfc3339(void);
char *record_to_json(const struct engine_container *c);
int record_from_json(const char *text, size_t len, struct engine_container *c,
                     struct vessel_error *err);

/* Names: one file names/<name> made with O_EXCL holding the id, so two
 * commands can never take one name. names_fd is the names/ directory;
 * durable: fsync'd, for a container that outlives a power loss (not --rm). */
int name_check(const char *name, struct vessel_error *err);
int name_reserve(int names_fd, const char *name, const char *id, bool durable,
                 struct vessel_error *err);
/* Takes the first free "vessel_<n>"; *name is malloc'd. */
int name_generate(int names_fd, const char *id, bool durable, char **name,
                  struct vessel_error *err);
/* Releases a name if it still belongs to id. */
void name_release(int names_fd, const char *name, const char *id);
/* 0 with id filled, -1 (ENOENT in err) when the name is free. */
int name_lookup(int names_fd, const char *name, char id[65], struct vessel_error *err);

/* config.json of the bundle from the image config and the run flags. The
 * user is already resolved to numbers. Returns malloc'd JSON text. */
struct bundle_input {
  const char *id;
  const struct engine_run_opts *opts;
  const struct image_config *image;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  const char *root; /* the engine's --root, for volume paths */
};
/* config.json's object; the caller dumps it (JSON_INDENT(2) for the file) */
json_t *bundle_config_json(const struct bundle_input *in, struct vessel_error *err);
/* /etc/hostname, hosts and resolv.conf (etc_files.c): the bind mounts of the
 * bundle, and the files in the container's directory dirfd. */
json_t *etc_files_mounts(const struct bundle_input *in);
int etc_files_write(int dirfd, const char *hostname, bool network_host, struct vessel_error *err);
/* The process args, env and cwd the bundle gets (shared with the record). */
char **bundle_args(const struct engine_run_opts *o, const struct image_config *img,
                   struct vessel_error *err);
char **bundle_env(const struct engine_run_opts *o, const struct image_config *img, uid_t uid,
                  const char *hostname, struct vessel_error *err);

/* The overlay root: mounted in the engine's own mount namespace only, so it
 * disappears with the processes that use it. */
int rootfs_private_namespace(struct vessel_error *err);
/* transient: a container that goes when it exits (--rm): its upper dir is
 * never synced to disk (overlayfs' volatile). */
int rootfs_mount(const char *target, char *const *lower_lowest_first, const char *upper,
                 const char *work, bool transient, struct vessel_error *err);

/* UID[:GID] or names, resolved in the image's /etc/passwd and /etc/group
 * found in the layers (highest wins). */
int user_resolve(const char *spec, char *const *layers_lowest_first, uid_t *uid, gid_t *gid,
                 struct vessel_error *err);

/* The image a container was made from, by the id it recorded (rmi keeps it
 * while the container exists): as image_resolve. */
int engine_container_image(struct engine *e, const struct engine_container *c,
                           struct image_config *cfg, char ***layers, struct image_info *info,
                           struct vessel_error *err);

/* rm -rf of parent/name without following symlinks. */
int engine_remove_tree(int parent, const char *name, struct vessel_error *err);

/* 126/127 when err is the container's command failing to exec, else -1. */
int engine_exec_failure_status(const struct vessel_error *err);

/* 1 when a process holds the container's lock (it runs), 0 when not; with
 * lock_fd, the lock is taken and kept through *lock_fd. */
int engine_container_busy(int dirfd, int *lock_fd);
/* The runtime still runs the container (its monitor may have died). */
bool engine_runtime_alive(struct engine *e, const char *id);
/* The container's directory, opened. */
int engine_container_dir(struct engine *e, const char *id, struct vessel_error *err);

/* Removes the runtime state, the directory and the name; best effort. */
int engine_destroy(struct engine *e, const char *id, const char *name);

/* The default seccomp profile (linux.seccomp) for a container with the
 * capabilities set in caps (indexed by number). */
json_t *profile_seccomp_json(const bool caps[64]);

/* Run flags (runflags.c, bundle_flags.c, profile_file.c, volume.c). */
#define ENGINE_INIT_HOST_PATH "/usr/bin/tini-static" /* Debian's tini */
#define ENGINE_INIT_PATH "/dev/init"                 /* docker's --init-path */
const char *engine_ulimit_name(int resource);
/* <root>/volumes/<name>/_data (malloc'd), -1 on ENOMEM. */
int bundle_volume_path(const char *root, const char *name, char **out);
/* Applies the run flags over config.json's document; caps is the capability
 * set (filled for --privileged). */
int bundle_flags_apply(json_t *root, const struct bundle_input *in, bool caps[64],
                       struct vessel_error *err);
json_t *profile_from_docker_file(const char *path, const bool caps[64], struct vessel_error *err);
/* volumes/.lock taken shared (using) or exclusive (removing): an fd. */
int volume_lock(struct engine *e, bool exclusive, struct vessel_error *err);
/* Makes the volumes of o->mounts that do not exist yet; *made gets the names
 * made (strv) for undo. Anonymous ones must have their names already. */
int volume_prepare_mounts(struct engine *e, const struct engine_run_opts *o, char ***made,
                          struct vessel_error *err);
/* Copies the image's content at each volume's destination into volumes
 * still empty (docker's copy-up); rootfs is the mounted root. */
int volume_copy_up(struct engine *e, const struct engine_container *c, const char *rootfs,
                   struct vessel_error *err);
/* Removes a volume without the in-use check (the caller knows). */
int volume_remove_unchecked(struct engine *e, const char *name, struct vessel_error *err);
/* Record fields of the run flags: labels, stop timeout, mounts. */
int record_flags_to_json(json_t *o, const struct engine_container *c);
int record_flags_from_json(json_t *o, struct engine_container *c, struct vessel_error *err);
void record_flags_clear(struct engine_container *c);
json_t *inspect_mounts_json(struct engine *e, const struct engine_container *c);
/* run.c's part of the run flags (run_flags.c): host checks, anonymous volume
 * names (*mounts: a copy of o->mounts with them), the record's labels, stop
 * signal and timeout and mounts. */
int run_flags_prepare(const struct engine_run_opts *o, const struct image_config *img,
                      struct engine_mount **mounts, struct engine_container *rec,
                      struct vessel_error *err);
void run_flags_mounts_free(struct engine_mount *m, size_t n);
void run_flags_cleanup(struct engine *e, const struct engine_container *rec, char **made);
/* K=V strings <-> a JSON object of strings. */
json_t *labels_json(char *const *labels);
int labels_from_json(json_t *o, char ***out);

/* Prepares a container as run does (name, directory, config.json, record in
 * state created) without starting it; id gets its id. */
int run_create(struct engine *e, const struct engine_run_opts *o, char id[65],
               struct vessel_error *err);

/* Crash recovery (recover.c). Commands that make a container or a name hold
 * the create lock (shared) until its record is written: the fd to close. */
int engine_create_lock(struct engine *e, struct vessel_error *err);
/* Removes what killed commands left half made (directories without a
 * record, names no record claims); false when a container is being made
 * right now, so nothing could be judged. Never waits. */
bool engine_recover(struct engine *e);
/* engine_recover when name is taken: a rerun after a crash gets it back. */
void engine_recover_name(struct engine *e, const char *name);
/* For rm of a ref that finds no container: true when ref named only what
 * a crash left, now removed. */
bool engine_recover_ref(struct engine *e, const char *ref);

/* The monitor's fields of the record (record_monitor.c), absent in older
 * records. */
int monitor_to_json(json_t *o, const struct engine_container *c);
int monitor_from_json(json_t *o, struct engine_container *c, struct vessel_error *err);
/* Adds docker's inspect fields of the monitor to the document o: RestartCount,
 * LogPath, State.Health, Config.Tty/OpenStdin/Healthcheck, HostConfig's
 * RestartPolicy and LogConfig. */
int monitor_inspect_json(json_t *o, const struct engine_container *c);
/* Marks a container stopped by the user (stop, kill, rm -f) in its record,
 * before it is signalled: its restart policy then leaves it stopped. */
int engine_mark_stopped(int dirfd);
/* The container's monitor options: run's flags over the image's
 * Healthcheck (health_cmd malloc'd; --no-healthcheck drops both). */
int monitor_opts_merge(struct engine_monitor_opts *out, const struct engine_run_opts *o,
                       const struct image_config *img, struct vessel_error *err);
