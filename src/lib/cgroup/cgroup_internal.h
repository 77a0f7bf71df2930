/* Private state of the cgroup module: the cgroup object, its hierarchies, the
 * manager vtable and the small file helpers the managers share. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

/* Controllers, v1 and v2 names share the bits where they mean the same. */
enum cg_ctrl {
  CG_CPU,
  CG_CPUACCT,
  CG_CPUSET,
  CG_MEMORY,
  CG_DEVICES,
  CG_FREEZER,
  CG_BLKIO,
  CG_IO,
  CG_PIDS,
  CG_HUGETLB,
  CG_NET_CLS,
  CG_NET_PRIO,
  CG_RDMA,
  CG_PERF_EVENT,
  CG_MISC,
  CG_NAMED, /* name=systemd and other named hierarchies without controllers */
  CG_NCTRL
};
#define CG_BIT(c) (1u << (c))

/* "memory" -> CG_MEMORY, -1 when unknown */
int cg_ctrl_from_name(const char *name, size_t len);
const char *cg_ctrl_name(enum cg_ctrl c);

struct cg_hier {
  char *mount;          /* absolute directory of the hierarchy root */
  unsigned controllers; /* CG_BIT() set */
  bool unified;         /* the cgroup2 mount of a hybrid layout */
  bool fake;            /* not a cgroup filesystem: a test tree, see cg_open_write() */
  int fd;               /* O_DIRECTORY of the container's cgroup, -1 until opened */
  int created_depth;    /* first path component cgroup_create made, -1 when none */
  bool skipped;         /* v1: a hierarchy the container does not join */
};

struct cgroup;

struct cgroup_ops {
  /* makes the directories of every hierarchy and applies res (may be NULL) */
  int (*create)(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err);
  int (*update)(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err);
  int (*clone_fd)(struct cgroup *cg, struct vessel_error *err);
  int (*enter)(struct cgroup *cg, pid_t pid, struct vessel_error *err);
  int (*freeze)(struct cgroup *cg, bool frozen, struct vessel_error *err);
  int (*is_frozen)(struct cgroup *cg, struct vessel_error *err);
  /* the hierarchy whose cgroup.procs lists the container's processes */
  struct cg_hier *(*procs_hier)(struct cgroup *cg);
  int (*kill_all)(struct cgroup *cg, int sig, struct vessel_error *err);
};

struct cgroup {
  const struct cgroup_ops *ops;
  enum cgroup_mode mode;
  char *root;
  char *path;            /* "/vessel/abc": absolute, normalised, never "/" */
  struct cg_hier *hiers; /* v2: exactly one, the root */
  size_t n_hiers;
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* ---- cgroup.c ---- */
struct cg_hier *cg_find_hier(struct cgroup *cg, enum cg_ctrl c);
/* the container cgroup's fd in h, opened once and cached */
int cg_hier_fd(struct cgroup *cg, struct cg_hier *h, struct vessel_error *err);

/* ---- cgroup_fs.c ---- */
/* Called for every component of the path while cgroup_create walks it, with
 * the parent's and the component's fds; created tells mkdir made it. */
typedef int (*cg_level_fn)(struct cgroup *cg, struct cg_hier *h, int parentfd, int dirfd,
                           bool created, bool leaf, void *data, struct vessel_error *err);
/* mkdir -p of cg->path in h; caches the leaf fd in h->fd and sets
 * h->created_depth. */
int cg_mkpath(struct cgroup *cg, struct cg_hier *h, cg_level_fn fn, void *data,
              struct vessel_error *err);
/* Removes what cg_mkpath created in h (rollback of a failed create). */
void cg_rollback(struct cgroup *cg, struct cg_hier *h);
/* Removes the container cgroup in h and every cgroup below it, deepest first.
 * Returns 0, or -EBUSY while processes are inside, or -1 with err set. */
int cg_remove(struct cgroup *cg, struct cg_hier *h, struct vessel_error *err);

/* Writes one value to a control file of the cgroup open at dirfd. The kernel
 * provides the control files; a fake tree (tests) has no kernel behind it, so
 * there, and only there, the file is created (O_CREAT never reaches cgroupfs).
 * append: a file taking one record per write (devices.allow, io.max...): a
 * fake tree keeps every record on its own line instead of the last one. */
int cg_write(struct cgroup *cg, struct cg_hier *h, int dirfd, const char *name, const char *value,
             bool append, struct vessel_error *err);
/* Like cg_write for a file the kernel may lack: returns 0 when it is absent
 * (on a fake tree: when the hierarchy root lacks it), 1 when written. */
int cg_write_optional(struct cgroup *cg, struct cg_hier *h, int dirfd, const char *name,
                      const char *value, struct vessel_error *err);
/* Whether the cgroup at dirfd has the control file (fake tree: its root has). */
/* A control file taking one line per write (devices.allow): opened once for
 * many writes, as each open of a cgroupfs file costs. */
int cg_open_lines(struct cg_hier *h, int dirfd, const char *name);
int cg_write_line(struct cg_hier *h, int fd, const char *value);

bool cg_has_file(struct cg_hier *h, int dirfd, const char *name);
/* Reads a small control file into buf (NUL-terminated, trailing newline
 * stripped). Returns the length, or -1 with err set (err->code ENOENT). */
ssize_t cg_read(struct cgroup *cg, struct cg_hier *h, int dirfd, const char *name, char *buf,
                size_t size, struct vessel_error *err);
/* An error for what the host cannot do (code ENOTSUP), without strerror's
 * words after the message. Returns -1. */
int cg_unsupported(struct vessel_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Error for a failed access to h's file name, with the full path. */
int cg_file_error(struct cgroup *cg, struct cg_hier *h, int errnum, const char *what,
                  const char *name, const char *value, struct vessel_error *err);

/* Every pid in the cgroup.procs of dirfd and of its descendants. */
int cg_collect_pids(int dirfd, pid_t **pids, size_t *n, size_t *cap, struct vessel_error *err);
/* Sends sig to every process found under h, repeating for SIGKILL until no
 * new process shows up (bounded), so forks during the walk are caught. */
int cg_signal_procs(struct cgroup *cg, struct cg_hier *h, int sig, struct vessel_error *err);

/* Sleeps for the attempt-th step of a short bounded back-off; false when the
 * budget (about timeout_ms) is spent. */
bool cg_backoff(unsigned attempt, unsigned timeout_ms);

/* ---- cgroup_v1_resources.c / cgroup_v2_resources.c ---- */
int cg_v1_apply(struct cgroup *cg, const struct spec_resources *res, bool update,
                struct vessel_error *err);
int cg_v2_apply(struct cgroup *cg, const struct spec_resources *res, bool update,
                struct vessel_error *err);
/* The controllers res needs on v2 into *mask; an error naming the limit when
 * one of them is not in avail. */
int cg_v2_needed(struct cgroup *cg, const struct spec_resources *res, unsigned avail,
                 unsigned *mask, struct vessel_error *err);
/* which controllers the v2 root offers */
int cg_v2_available(struct cgroup *cg, unsigned *mask, struct vessel_error *err);

/* shared formatting, checked: "hugetlb.2MB.<suffix>" */
int cg_hugetlb_file(const char *page_size, const char *suffix, char *buf, size_t size,
                    struct vessel_error *err);
/* "mlx4_0 hca_handle=2 hca_object=2000"; returns 0 when nothing is set, 1 when
 * buf holds a line */
int cg_rdma_line(const struct spec_rdma *d, char *buf, size_t size, struct vessel_error *err);
/* "c 1:3 rwm", '*' for any number, empty access meaning "rwm" */
int cg_device_rule_format(const struct spec_device_rule *d, char *buf, size_t size,
                          struct vessel_error *err);

/* ---- cgroup_v2_devices.c ---- */
/* Builds the device program for rules and attaches it to dirfd (replacing
 * the one set before); on a fake tree the program is built but not loaded. */
int cg_v2_devices_apply(struct cgroup *cg, struct cg_hier *h, int dirfd,
                        const struct spec_device_rule *rules, size_t n, struct vessel_error *err);
