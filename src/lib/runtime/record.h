/* A container's record: one file, <root>/<id>, holding what every later
 * command needs to find and judge the container, and the config it was made
 * from. Claimed with O_EXCL and written by create only: a file per
 * container is the least a runtime can write (on ext4 each new inode costs). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "runtime.h"

struct container_record {
  char *id;
  pid_t pid;
  unsigned long long start_time; /* /proc/<pid>/stat field 22: guards against pid reuse */
  char *bundle;
  char *rootfs;
  char *created;
  char *owner;
  char *cgroup_path;
  enum cgroup_mode cgroup_mode;
  int start_fd;                      /* fd number, in the init, of the start pipe's write end */
  unsigned long long start_pipe_ino; /* its inode: while the init holds it, not started */
  int exec_fd; /* fd number, in the init, of a pipe that closes at execve, or -1 */
  char *annotations_json;
  bool has_poststart, has_poststop; /* hooks to run: else the config is never reread */
};

void container_record_free(struct container_record *r);

/* Opens <root>/<id>; ENOENT means no such container. */
int record_open(const struct runtime_ctx *ctx, const char *id, struct vessel_error *err);

/* Claims the id: creates <root>/<id> exclusively. */
int record_claim(const struct runtime_ctx *ctx, const char *id, struct vessel_error *err);

/* Writes the record with the config.json text it was made from (kept for
 * exec and the hooks of later commands). */
int record_write(int recfd, const struct container_record *r, const char *config,
                 struct vessel_error *err);

/* The config.json text kept in the record. */
int record_read_config(int recfd, char **config, struct vessel_error *err);
int record_read(int recfd, struct container_record *r, struct vessel_error *err);

/* Judges the container's status from its record and the live process. */
enum container_status record_status(const struct container_record *r);

/* Start time of pid from /proc, 0 when the process is gone or a zombie. */
unsigned long long proc_start_time(pid_t pid);

/* The state JSON of the runtime-spec for hooks and `state`. */
char *record_state_json(const struct container_record *r, enum container_status status);

/* Removes the container's record. */
int record_remove(const struct runtime_ctx *ctx, const char *id, struct vessel_error *err);

/* Opens the container's cgroup from the record. */
struct cgroup *record_cgroup(const struct container_record *r, struct vessel_error *err);
