/* Control groups behind one interface: v1 (legacy), hybrid (v1 controllers
 * plus an empty cgroup2 mount) and v2 (unified), detected at run time. The
 * managers are vtables chosen once per container (a systemd driver slots in
 * as a third one). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

enum cgroup_mode {
  CGROUP_MODE_V1,     /* only v1 hierarchies */
  CGROUP_MODE_HYBRID, /* v1 controllers + cgroup2 at <root>/unified (no controllers) */
  CGROUP_MODE_V2,     /* cgroup2 at <root> */
};

struct cgroup;

/* Detects the layout under root ("/sys/fs/cgroup" unless a test passes a fake
 * tree; a fake tree says its mode in a file `.vessel-test-mode`: v1, hybrid,
 * v2). */
int cgroup_detect(const char *root, enum cgroup_mode *mode, struct vessel_error *err);

/* Resolves a container's cgroup: path is the spec's cgroupsPath (absolute:
 * from the hierarchy root; relative: below the calling process's own cgroup;
 * NULL: "/<id>", as runc). Nothing is created yet. */
struct cgroup *cgroup_new(const char *root, enum cgroup_mode mode, const char *path, const char *id,
                          struct vessel_error *err);

/* Re-opens the cgroup of an existing container from what cgroup_describe()
 * recorded. */
struct cgroup *cgroup_open(const char *root, enum cgroup_mode mode, const char *abs_path,
                           struct vessel_error *err);

void cgroup_free(struct cgroup *cg);

/* The resolved absolute path inside the hierarchy ("/vessel/abc"). */
const char *cgroup_path(const struct cgroup *cg);
enum cgroup_mode cgroup_get_mode(const struct cgroup *cg);

/* Creates the cgroup (every hierarchy on v1) and applies res (may be NULL).
 * On failure nothing it made is left behind. */
int cgroup_create(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err);

/* An O_DIRECTORY fd of the v2 cgroup for clone3(CLONE_INTO_CGROUP), or -1
 * when the layout needs cgroup_enter() instead. The caller closes it. */
int cgroup_clone_fd(struct cgroup *cg, struct vessel_error *err);

/* How a new process joins the container's cgroup by itself, so the runtime
 * never migrates it: a migration done by another process takes the global
 * threadgroup lock and waits for an RCU grace period on v1 (milliseconds,
 * the largest cost of a container start on a loaded v1 host), while a thread
 * writing "0" to a v1 `tasks` file moves itself without it. The new process
 * is cloned into clone_fd (CLONE_INTO_CGROUP: v2, and the cgroup2 part of a
 * hybrid host) and then calls cgroup_join_self(). */
#define CGROUP_JOIN_MAX 16
struct cgroup_join {
  int clone_fd; /* -1 when none */
  int task_fds[CGROUP_JOIN_MAX];
  size_t n;
};

int cgroup_join_prepare(struct cgroup *cg, struct cgroup_join *j, struct vessel_error *err);

/* In the new process (single-threaded, no allocation): 0 or -errno. */
int cgroup_join_self(const struct cgroup_join *j);

void cgroup_join_close(struct cgroup_join *j);

/* Moves pid into the cgroup (in every hierarchy). */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct vessel_error *err);

/* Applies res to an existing cgroup (`update`). */
int cgroup_update(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err);

int cgroup_freeze(struct cgroup *cg, bool frozen, struct vessel_error *err);
/* 1 frozen, 0 not, <0 error */
int cgroup_is_frozen(struct cgroup *cg, struct vessel_error *err);

/* Every pid in the cgroup and its descendants; *pids is malloc'd. */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct vessel_error *err);

/* Sends sig to every process of the cgroup (cgroup.kill on v2 for SIGKILL
 * where the kernel has it). */
int cgroup_kill_all(struct cgroup *cg, int sig, struct vessel_error *err);

/* Removes the cgroup from every hierarchy; with force, kills what is left
 * inside first. An absent cgroup is not an error. */
int cgroup_destroy(struct cgroup *cg, bool force, struct vessel_error *err);

/* Usage counters (`vessel stats`); a counter the host lacks stays 0. */
struct cgroup_stats {
  unsigned long long cpu_ns;    /* CPU time used */
  unsigned long long mem_usage; /* bytes, without the inactive page cache */
  unsigned long long mem_limit; /* bytes, 0 without a limit */
  unsigned long long pids;
  unsigned long long blk_read, blk_write; /* bytes */
};
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, struct vessel_error *err);
