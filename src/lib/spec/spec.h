/* OCI runtime-spec 1.2 (Linux) as C values. spec_parse() turns config.json
 * into a struct spec, checking every value (errors name the JSON path, e.g.
 * `linux.namespaces[2].type`); unknown properties are ignored, as the spec
 * requires. Everything the runtime does is decided from this struct, so a
 * config error is reported before anything is made on the host. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

#define SPEC_OCI_VERSION "1.2.0"

/* Optional scalars: `set` tells whether the property was present. */
struct opt_i64 {
  bool set;
  int64_t v;
};
struct opt_u64 {
  bool set;
  uint64_t v;
};

struct spec_kv {
  char *key;
  char *value;
};

struct spec_id_mapping {
  uint32_t container_id, host_id, size;
};

/* ---- process -------------------------------------------------------- */
enum spec_capset {
  SPEC_CAP_BOUNDING,
  SPEC_CAP_EFFECTIVE,
  SPEC_CAP_INHERITABLE,
  SPEC_CAP_PERMITTED,
  SPEC_CAP_AMBIENT,
  SPEC_CAP_NSETS
};

struct spec_capabilities {
  bool present;                  /* no `capabilities` object: every set empty */
  uint64_t sets[SPEC_CAP_NSETS]; /* bit n = capability n (CAP_CHOWN = 0 ...) */
};

struct spec_rlimit {
  int resource; /* RLIMIT_* */
  uint64_t soft, hard;
};

struct spec_user {
  uint32_t uid, gid;
  struct opt_u64 umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* informational (Windows field on Linux is ignored) */
};

struct spec_io_priority {
  bool set;
  int class_; /* IOPRIO_CLASS_RT / BE / IDLE */
  int priority;
};

struct spec_scheduler {
  bool set;
  int policy; /* SCHED_* */
  int nice;
  int priority;
  uint64_t flags; /* SCHED_FLAG_* */
  uint64_t runtime, deadline, period;
};

struct spec_process {
  bool present;
  bool terminal;
  bool console_size_set;
  unsigned console_height, console_width;
  struct spec_user user;
  char **args; /* NULL-terminated */
  char **env;  /* NULL-terminated, "KEY=value" */
  char *cwd;
  struct spec_capabilities caps;
  struct spec_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  struct opt_i64 oom_score_adj;
  char *selinux_label;
  struct spec_io_priority io_priority;
  struct spec_scheduler scheduler;
  char *exec_cpu_affinity_initial, *exec_cpu_affinity_final;
};

/* ---- mounts --------------------------------------------------------- */
struct spec_mount {
  char *destination; /* absolute, cleaned */
  char *type;        /* may be NULL (bind) */
  char *source;      /* may be NULL */
  char **options;    /* the raw options, NULL-terminated */
  /* options decoded by spec_mount_options_parse() */
  unsigned long flags;         /* MS_* to set */
  unsigned long clear_flags;   /* MS_* explicitly cleared ("rw", "suid", ...) */
  unsigned long propagation;   /* MS_PRIVATE|MS_REC ... or 0 */
  uint64_t attr_set, attr_clr; /* recursive MOUNT_ATTR_* ("rro", "rnosuid", ...) */
  bool bind, rbind;
  bool tmpcopyup;
  bool idmap, ridmap;
  char *data; /* filesystem-specific options, comma-joined, or NULL */
  struct spec_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
};

/* ---- hooks ---------------------------------------------------------- */
enum spec_hook_kind {
  SPEC_HOOK_PRESTART,
  SPEC_HOOK_CREATE_RUNTIME,
  SPEC_HOOK_CREATE_CONTAINER,
  SPEC_HOOK_START_CONTAINER,
  SPEC_HOOK_POSTSTART,
  SPEC_HOOK_POSTSTOP,
  SPEC_HOOK_NKINDS
};

struct spec_hook {
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  char **env;  /* NULL-terminated, may be NULL */
  int timeout; /* seconds, 0 = none */
};

struct spec_hooks {
  struct spec_hook *hooks[SPEC_HOOK_NKINDS];
  size_t n[SPEC_HOOK_NKINDS];
};

/* ---- linux ---------------------------------------------------------- */
struct spec_namespace {
  int type;   /* CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS,
                 CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME */
  char *path; /* join this namespace instead of creating one, or NULL */
};

struct spec_device {
  char *path;
  char type; /* 'c', 'b', 'u' (= 'c'), 'p' */
  int64_t major, minor;
  struct opt_u64 file_mode;
  struct opt_u64 uid, gid;
};

struct spec_device_rule {
  bool allow;
  char type;            /* 'a', 'c', 'b' */
  int64_t major, minor; /* -1 = any */
  char access[4];       /* subset of "rwm" */
};

struct spec_blkio_device {
  int64_t major, minor;
  struct opt_u64 weight, leaf_weight; /* weightDevice entries */
  uint64_t rate;                      /* throttle entries */
};

struct spec_hugepage_limit {
  char *page_size; /* "2MB", "1GB" */
  uint64_t limit;
};

struct spec_net_priority {
  char *name;
  uint32_t priority;
};

struct spec_rdma {
  char *device;
  struct opt_u64 hca_handles, hca_objects;
};

struct spec_resources {
  struct spec_device_rule *devices;
  size_t n_devices;
  struct {
    struct opt_i64 limit, reservation, swap, kernel, kernel_tcp;
    struct opt_u64 swappiness;
    bool disable_oom_killer_set, disable_oom_killer;
    bool use_hierarchy_set, use_hierarchy;
    bool check_before_update;
  } memory;
  struct {
    struct opt_u64 shares, period, realtime_period, burst;
    struct opt_i64 quota, realtime_runtime, idle;
    char *cpus, *mems;
  } cpu;
  struct opt_i64 pids_limit;
  struct {
    struct opt_u64 weight, leaf_weight;
    struct spec_blkio_device *weight_device, *throttle_read_bps, *throttle_write_bps,
        *throttle_read_iops, *throttle_write_iops;
    size_t n_weight_device, n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
        n_throttle_write_iops;
  } block_io;
  struct spec_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  struct {
    struct opt_u64 class_id;
    struct spec_net_priority *priorities;
    size_t n_priorities;
  } network;
  struct spec_rdma *rdma;
  size_t n_rdma;
  struct spec_kv *unified; /* cgroup v2 file -> value */
  size_t n_unified;
};

enum spec_seccomp_action {
  SPEC_SECCOMP_KILL, /* = KILL_THREAD */
  SPEC_SECCOMP_KILL_PROCESS,
  SPEC_SECCOMP_KILL_THREAD,
  SPEC_SECCOMP_TRAP,
  SPEC_SECCOMP_ERRNO,
  SPEC_SECCOMP_TRACE,
  SPEC_SECCOMP_ALLOW,
  SPEC_SECCOMP_LOG,
  SPEC_SECCOMP_NOTIFY,
};

enum spec_seccomp_op {
  SPEC_SECCOMP_OP_NE,
  SPEC_SECCOMP_OP_LT,
  SPEC_SECCOMP_OP_LE,
  SPEC_SECCOMP_OP_EQ,
  SPEC_SECCOMP_OP_GE,
  SPEC_SECCOMP_OP_GT,
  SPEC_SECCOMP_OP_MASKED_EQ,
};

struct spec_seccomp_arg {
  unsigned index;
  uint64_t value, value_two;
  enum spec_seccomp_op op;
};

struct spec_seccomp_syscall {
  char **names; /* NULL-terminated */
  enum spec_seccomp_action action;
  struct opt_u64 errno_ret;
  struct spec_seccomp_arg *args;
  size_t n_args;
};

#define SPEC_SECCOMP_FLAG_TSYNC (1u << 0)
#define SPEC_SECCOMP_FLAG_LOG (1u << 1)
#define SPEC_SECCOMP_FLAG_SPEC_ALLOW (1u << 2)
#define SPEC_SECCOMP_FLAG_WAIT_KILLABLE_RECV (1u << 3)

struct spec_seccomp {
  enum spec_seccomp_action default_action;
  struct opt_u64 default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64" ..., NULL-terminated, may be NULL */
  unsigned flags;       /* SPEC_SECCOMP_FLAG_* */
  char *listener_path, *listener_metadata;
  struct spec_seccomp_syscall *syscalls;
  size_t n_syscalls;
  char *canonical; /* the object's compact JSON, keys sorted: a cache key */
};

struct spec_linux {
  bool present;
  struct spec_namespace *namespaces;
  size_t n_namespaces;
  struct spec_id_mapping *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct {
    bool set;
    int64_t monotonic_secs, boottime_secs;
    uint32_t monotonic_nsecs, boottime_nsecs;
  } time_offsets;
  struct spec_device *devices;
  size_t n_devices;
  char *cgroups_path;
  struct spec_resources *resources;      /* NULL when absent */
  unsigned long rootfs_propagation;      /* MS_* or 0 */
  char **masked_paths, **readonly_paths; /* NULL-terminated, may be NULL */
  struct spec_kv *sysctl;
  size_t n_sysctl;
  struct spec_seccomp *seccomp; /* NULL when absent */
  char *mount_label;
  struct {
    bool set;
    unsigned long domain; /* PER_LINUX / PER_LINUX32 */
  } personality;
};

struct spec {
  char *oci_version;
  char *root_path; /* as written; resolved against the bundle by the runtime */
  bool root_readonly;
  struct spec_process process;
  char *hostname, *domainname;
  struct spec_mount *mounts;
  size_t n_mounts;
  struct spec_hooks hooks;
  struct spec_kv *annotations;
  size_t n_annotations;
  struct spec_linux linux_;
};

/* Parses a config.json text. Returns a new spec or NULL with err set; the
 * message names the JSON path of the offending value. */
struct spec *spec_parse(const char *json, size_t len, struct vessel_error *err);

/* The same for a config already parsed by jansson (a caller in-process):
 * parsing docker's profile again took ~0.2 ms of every engine start. */
struct json_t;
struct spec *spec_parse_json(const struct json_t *root, struct vessel_error *err);

/* Parses only a `process` object (for `exec --process FILE`). */
struct spec_process *spec_process_parse(const char *json, size_t len, struct vessel_error *err);

/* Parses a `linux.resources` object (for `update --resources`). */
struct spec_resources *spec_resources_parse(const char *json, size_t len, struct vessel_error *err);

void spec_free(struct spec *s);
void spec_process_free(struct spec_process *p); /* frees members and p */
void spec_resources_free(struct spec_resources *r);

/* Decodes m->options into the decoded fields of m. path is the JSON path of
 * the mount for error messages ("mounts[3]"). */
int spec_mount_options_parse(struct spec_mount *m, const char *path, struct vessel_error *err);

/* The spec's default config (what `runc spec` writes), rootless variant with
 * user namespace and mappings for uid/gid when rootless is true. */
char *spec_default_json(bool rootless, uid_t uid, gid_t gid);

/* Name tables, shared with the features document. */
int spec_cap_from_name(const char *name);       /* "CAP_SYS_ADMIN" -> 21, or -1 */
const char *spec_cap_name(int cap);             /* 21 -> "CAP_SYS_ADMIN" */
int spec_cap_last(void);                        /* highest capability in the table */
int spec_rlimit_from_name(const char *name);    /* "RLIMIT_NOFILE" -> 7, or -1 */
const char *spec_rlimit_name(size_t i);         /* i-th name in the table, NULL past the end */
int spec_namespace_from_name(const char *name); /* "pid" -> CLONE_NEWPID, or 0 */
const char *spec_namespace_name(int type);      /* CLONE_NEWPID -> "pid" */
const char *spec_mount_option_name(size_t i);   /* i-th known mount option, NULL past the end */
