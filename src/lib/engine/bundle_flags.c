/* The run flags' part of config.json: mounts (volumes, binds, tmpfs, the
 * /dev/shm size), resources, devices, rlimits, sysctls, --privileged,
 * no-new-privileges, a seccomp profile file and --init, applied over the
 * document bundle.c made from docker's defaults. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine/internal.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define DEFAULT_SHM_SIZE (64LL << 20)
#define HOST_DEVICES_MAX 4096
#define DEVICE_WALK_DEPTH 4
#define CPU_PERIOD_DEFAULT 100000

static json_t *mount_json(const char *dst, const char *type, const char *src, json_t *opts)
{
  return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
                   "options", opts);
}

static json_t *user_mount_json(const struct bundle_input *in, const struct engine_mount *m,
                               struct vessel_error *err)
{
  json_t *opts = json_array();
  if (!opts)
    return NULL;
  if (m->type == ENGINE_MOUNT_TMPFS) {
    /* docker's defaults, unless --tmpfs's own options say otherwise */
    static const char *const defaults[][2] = {
        {"nosuid", "suid"}, {"nodev", "dev"}, {"noexec", "exec"}};
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
      bool overridden = false;
      _cleanup_free_ char *scan = m->tmpfs_options ? strdup(m->tmpfs_options) : NULL;
      for (char *s = scan, *o; s && (o = strsep(&s, ","));)
        overridden |= !strcmp(o, defaults[i][1]);
      if (!overridden)
        json_array_append_new(opts, json_string(defaults[i][0]));
    }
    _cleanup_free_ char *extra = m->tmpfs_options ? strdup(m->tmpfs_options) : NULL;
    for (char *s = extra, *o; s && (o = strsep(&s, ","));)
      if (o[0])
        json_array_append_new(opts, json_string(o));
    char buf[64];
    if (m->tmpfs_size > 0) {
      snprintf(buf, sizeof buf, "size=%lld", m->tmpfs_size);
      json_array_append_new(opts, json_string(buf));
    }
    snprintf(buf, sizeof buf, "mode=%o", m->tmpfs_mode ? m->tmpfs_mode : 01777);
    json_array_append_new(opts, json_string(buf));
    json_array_append_new(opts, json_string(m->readonly ? "ro" : "rw"));
    return mount_json(m->destination, "tmpfs", "tmpfs", opts);
  }
  json_array_append_new(opts, json_string("rbind"));
  json_array_append_new(opts, json_string("rprivate"));
  json_array_append_new(opts, json_string(m->readonly ? "ro" : "rw"));
  if (m->type == ENGINE_MOUNT_BIND)
    return mount_json(m->destination, "bind", m->source, opts);
  _cleanup_free_ char *path = NULL;
  if (!m->source || bundle_volume_path(in->root, m->source, &path) < 0) {
    json_decref(opts);
    vessel_error_set(err, m->source ? ENOMEM : EINVAL, "volume mount `%s`", m->destination);
    return NULL;
  }
  return mount_json(m->destination, "bind", path, opts);
}

static size_t path_depth(const char *p)
{
  size_t n = 0;
  for (; *p; p++)
    n += *p == '/' && p[1] && p[1] != '/';
  return n;
}

static int cmp_depth(const void *a, const void *b)
{
  const struct engine_mount *x = *(const struct engine_mount *const *)a;
  const struct engine_mount *y = *(const struct engine_mount *const *)b;
  size_t dx = path_depth(x->destination), dy = path_depth(y->destination);
  return dx < dy ? -1 : dx > dy;
}

/* The user's mounts after the defaults, shallow first (so /a comes before
 * /a/b); a default mount on the same destination gives way. */
static int apply_mounts(json_t *root, const struct bundle_input *in, struct vessel_error *err)
{
  const struct engine_run_opts *o = in->opts;
  json_t *mounts = json_object_get(root, "mounts");
  size_t n = o->n_mounts;
  _cleanup_free_ const struct engine_mount **sorted = calloc(n + 1, sizeof *sorted);
  if (!sorted)
    return vessel_error_set(err, ENOMEM, "mounts");
  for (size_t i = 0; i < n; i++) {
    sorted[i] = &o->mounts[i];
    for (size_t j = 0; j < i; j++)
      if (!strcmp(o->mounts[i].destination, o->mounts[j].destination))
        return vessel_error_set(err, 0, "duplicate mount point `%s`", o->mounts[i].destination);
  }
  qsort(sorted, n, sizeof *sorted, cmp_depth);
  for (size_t i = 0; i < n; i++) {
    for (size_t k = json_array_size(mounts); k-- > 0;) {
      json_t *d = json_object_get(json_array_get(mounts, k), "destination");
      if (json_is_string(d) && !strcmp(json_string_value(d), sorted[i]->destination))
        json_array_remove(mounts, k);
    }
    json_t *m = user_mount_json(in, sorted[i], err);
    if (!m)
      return -1;
    json_array_append_new(mounts, m);
  }
  /* --shm-size: docker's 64m by default */
  long long shm = o->shm_size > 0 ? o->shm_size : DEFAULT_SHM_SIZE;
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m)
  {
    json_t *d = json_object_get(m, "destination"), *t = json_object_get(m, "source");
    if (!strcmp(json_string_value(d), "/dev/shm") && json_is_string(t) &&
        !strcmp(json_string_value(t), "shm")) {
      char buf[64];
      snprintf(buf, sizeof buf, "size=%lld", shm);
      json_t *opts = json_object_get(m, "options");
      json_array_remove(opts, json_array_size(opts) - 1); /* the default size, last */
      json_array_append_new(opts, json_string(buf));
    }
  }
  return 0;
}

static bool has_cap_sys_resource(void)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  struct vessel_error ignored;
  if (fs_read_fileat(AT_FDCWD, "/proc/self/status", &text, &len, &ignored) < 0)
    return false;
  const char *p = strstr(text, "\nCapEff:");
  unsigned long long caps;
  return p && sscanf(p + 8, "%llx", &caps) == 1 && (caps >> 24) & 1; /* CAP_SYS_RESOURCE */
}

static int apply_rlimits(json_t *process, const struct engine_run_opts *o, struct vessel_error *err)
{
  if (!o->n_ulimits)
    return 0;
  bool can_raise = has_cap_sys_resource();
  json_t *a = json_array();
  for (size_t i = 0; i < o->n_ulimits; i++) {
    const struct engine_ulimit *u = &o->ulimits[i];
    const char *name = engine_ulimit_name(u->resource);
    for (size_t j = 0; j < i; j++)
      if (o->ulimits[j].resource == u->resource) {
        json_decref(a);
        return vessel_error_set(err, 0, "--ulimit %s given twice", name);
      }
    struct rlimit cur;
    if (!can_raise && getrlimit(u->resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
        u->hard > cur.rlim_max) {
      json_decref(a);
      return vessel_error_set(err, 0,
                              "--ulimit %s: the hard limit %llu is above this host's %llu "
                              "(raising it needs CAP_SYS_RESOURCE)",
                              name, u->hard, (unsigned long long)cur.rlim_max);
    }
    char type[32];
    snprintf(type, sizeof type, "RLIMIT_%s", name);
    for (char *p = type; *p; p++)
      *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    /* JSON integers stop at INT64_MAX: unlimited is as good as that */
    json_int_t soft = u->soft > INT64_MAX ? INT64_MAX : (json_int_t)u->soft;
    json_int_t hard = u->hard > INT64_MAX ? INT64_MAX : (json_int_t)u->hard;
    json_array_append_new(a,
                          json_pack("{s:s, s:I, s:I}", "type", type, "soft", soft, "hard", hard));
  }
  return json_object_set_new(process, "rlimits", a);
}

/* A list like 0-3,7 whose numbers are all in the host's list of the same
 * form (sysfs *online files); without that file, only syntax is checked. */
/* N or N-M, comma separated */
static bool cpu_list_valid(const char *s)
{
  unsigned a, b;
  char *copy = strdup(s), *p = copy;
  bool ok = copy && s[0] && strspn(s, "0123456789,-") == strlen(s);
  for (char *r; ok && (r = strsep(&p, ","));) {
    int used = 0;
    ok = r[0] && ((sscanf(r, "%u%n", &a, &used) == 1 && !r[used]) ||
                  (sscanf(r, "%u-%u%n", &a, &b, &used) == 2 && !r[used] && a <= b));
  }
  free(copy);
  return ok;
}

static int check_cpu_list(const char *flag, const char *s, const char *online_file,
                          struct vessel_error *err)
{
  if (!cpu_list_valid(s))
    return vessel_error_set(err, 0, "bad %s `%s`: a list such as 0-3,7", flag, s);
  _cleanup_free_ char *online = NULL;
  size_t len;
  struct vessel_error ignored;
  if (fs_read_fileat(AT_FDCWD, online_file, &online, &len, &ignored) < 0)
    return 0;
  bool have[1024] = {false};
  for (char *p = online, *r; (r = strsep(&p, ",\n"));) {
    unsigned a, b;
    int k = sscanf(r, "%u-%u", &a, &b);
    if (k == 1)
      b = a;
    for (unsigned x = a; k >= 1 && x <= b && x < 1024; x++)
      have[x] = true;
  }
  _cleanup_free_ char *copy = strdup(s);
  for (char *p = copy, *r; p && (r = strsep(&p, ","));) {
    unsigned a, b;
    int k = sscanf(r, "%u-%u", &a, &b);
    if (k == 1)
      b = a;
    for (unsigned x = a; k >= 1 && x <= b; x++)
      if (x >= 1024 || !have[x])
        return vessel_error_set(err, 0, "%s `%s`: %u is not available on this host", flag, s, x);
  }
  return 0;
}

static int apply_resources(json_t *linux_, const struct engine_run_opts *o,
                           struct vessel_error *err)
{
  json_t *res = json_object_get(linux_, "resources");
  json_t *mem = json_object_get(res, "memory");
  if (o->memory_swap) {
    if (o->memory <= 0)
      return vessel_error_set(err, 0, "--memory-swap needs --memory");
    if (o->memory_swap > 0 && o->memory_swap < o->memory)
      return vessel_error_set(err, 0, "--memory-swap must be at least --memory");
  }
  if (o->memory_reservation && o->memory > 0 && o->memory_reservation > o->memory)
    return vessel_error_set(err, 0, "--memory-reservation must not be above --memory");
  if ((o->memory_swap || o->memory_reservation) && !mem) {
    mem = json_object();
    json_object_set_new(res, "memory", mem);
  }
  if (o->memory_swap)
    json_object_set_new(mem, "swap", json_integer(o->memory_swap));
  if (o->memory_reservation)
    json_object_set_new(mem, "reservation", json_integer(o->memory_reservation));

  if (o->nano_cpus && (o->cpu_quota || o->cpu_period))
    return vessel_error_set(err, 0, "--cpus conflicts with --cpu-quota and --cpu-period");
  json_t *cpu = json_object();
  if (o->cpu_shares)
    json_object_set_new(cpu, "shares", json_integer(o->cpu_shares));
  if (o->nano_cpus) {
    json_object_set_new(cpu, "period", json_integer(CPU_PERIOD_DEFAULT));
    json_object_set_new(cpu, "quota", json_integer(o->nano_cpus * CPU_PERIOD_DEFAULT / 1000000000));
  }
  if (o->cpu_quota)
    json_object_set_new(cpu, "quota", json_integer(o->cpu_quota));
  if (o->cpu_period)
    json_object_set_new(cpu, "period", json_integer(o->cpu_period));
  if (o->cpuset_cpus) {
    if (check_cpu_list("--cpuset-cpus", o->cpuset_cpus, "/sys/devices/system/cpu/online", err) <
        0) {
      json_decref(cpu);
      return -1;
    }
    json_object_set_new(cpu, "cpus", json_string(o->cpuset_cpus));
  }
  if (o->cpuset_mems) {
    if (check_cpu_list("--cpuset-mems", o->cpuset_mems, "/sys/devices/system/node/online", err) <
        0) {
      json_decref(cpu);
      return -1;
    }
    json_object_set_new(cpu, "mems", json_string(o->cpuset_mems));
  }
  if (json_object_size(cpu))
    json_object_set_new(res, "cpu", cpu);
  else
    json_decref(cpu);
  return 0;
}

/* One node: linux.devices gets it, the device cgroup allows it. */
static int add_device(json_t *devs, json_t *rules, const char *host, const char *ctr,
                      const char *access, struct vessel_error *err)
{
  struct stat st;
  if (stat(host, &st) < 0)
    return vessel_error_set(err, errno, "--device `%s`", host);
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    return vessel_error_set(err, 0, "--device `%s` is not a device node", host);
  const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
  json_int_t maj = major(st.st_rdev), min = minor(st.st_rdev);
  json_array_append_new(devs, json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", ctr, "type",
                                        type, "major", maj, "minor", min, "fileMode",
                                        (int)(st.st_mode & 0777), "uid", 0, "gid", 0));
  if (rules)
    json_array_append_new(rules, json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type,
                                           "major", maj, "minor", min, "access", access));
  return 0;
}

/* --privileged: every node of the host's /dev but the ones docker leaves
 * out (its own mounts, the console). */
static int add_host_devices(json_t *devs, int fd, const char *path, int depth, size_t *count,
                            struct vessel_error *err)
{
  static const char *const skip[] = {"pts",  "shm",         "fd",    "mqueue",
                                     ".lxc", ".lxd-mounts", ".udev", "console"};
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return 0;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
      continue;
    bool skipped = false;
    for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
      skipped |= !strcmp(de->d_name, skip[i]);
    if (skipped)
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    _cleanup_free_ char *full = NULL;
    if (asprintf(&full, "%s/%s", path, de->d_name) < 0)
      return vessel_error_set(err, ENOMEM, "host devices");
    if (S_ISDIR(st.st_mode) && depth < DEVICE_WALK_DEPTH) {
      int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0 && add_host_devices(devs, sub, full, depth + 1, count, err) < 0)
        return -1;
    } else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && ++*count <= HOST_DEVICES_MAX) {
      if (add_device(devs, NULL, full, full, "rwm", err) < 0)
        return -1;
    }
  }
  return 0;
}

static int apply_devices(json_t *linux_, const struct engine_run_opts *o, struct vessel_error *err)
{
  json_t *devs = json_array();
  json_t *rules = json_object_get(json_object_get(linux_, "resources"), "devices");
  json_object_set_new(linux_, "devices", devs);
  for (size_t i = 0; i < o->n_devices; i++)
    if (add_device(devs, rules, o->devices[i].host, o->devices[i].container, o->devices[i].access,
                   err) < 0)
      return -1;
  if (o->privileged) {
    int fd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    size_t count = 0;
    if (fd >= 0 && add_host_devices(devs, fd, "/dev", 0, &count, err) < 0)
      return -1;
    json_array_append_new(rules, json_pack("{s:b, s:s}", "allow", 1, "access", "rwm"));
  }
  return 0;
}

static int apply_privileged(json_t *root, json_t *process, json_t *linux_, bool caps[64])
{
  int last = spec_cap_last();
  if (last >= 64)
    last = 63;
  json_t *a = json_array();
  for (int k = 0; k <= last; k++) {
    /* all that this host can give: our own bounding set */
    caps[k] = prctl(PR_CAPBSET_READ, (unsigned long)k, 0, 0, 0) == 1;
    if (caps[k])
      json_array_append_new(a, json_string(spec_cap_name(k)));
  }
  json_object_set_new(process, "capabilities",
                      json_pack("{s:O, s:O, s:O}", "bounding", a, "effective", a, "permitted", a));
  json_decref(a);
  json_object_del(linux_, "seccomp");
  json_object_set_new(linux_, "maskedPaths", json_array());
  json_object_set_new(linux_, "readonlyPaths", json_array());
  /* /sys and the cgroup mount writable, as docker's */
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(root, "mounts"), i, m)
  {
    const char *t = json_string_value(json_object_get(m, "type"));
    if (!t || (strcmp(t, "sysfs") && strcmp(t, "cgroup")))
      continue;
    json_t *opts = json_object_get(m, "options");
    for (size_t k = json_array_size(opts); k-- > 0;)
      if (!strcmp(json_string_value(json_array_get(opts, k)), "ro"))
        json_array_set_new(opts, k, json_string("rw"));
  }
  return 0;
}

static int apply_init(json_t *root, json_t *process, struct vessel_error *err)
{
  struct stat st;
  if (stat(ENGINE_INIT_HOST_PATH, &st) < 0 || !S_ISREG(st.st_mode))
    return vessel_error_set(err, errno ? errno : ENOENT,
                            "--init: `%s` is missing (install Debian's tini package)",
                            ENGINE_INIT_HOST_PATH);
  json_t *args = json_object_get(process, "args");
  json_array_insert_new(args, 0, json_string("--"));
  json_array_insert_new(args, 0, json_string(ENGINE_INIT_PATH));
  json_t *opts = json_pack("[s, s, s]", "bind", "ro", "nosuid");
  return json_array_append_new(json_object_get(root, "mounts"),
                               mount_json(ENGINE_INIT_PATH, "bind", ENGINE_INIT_HOST_PATH, opts));
}

int bundle_flags_apply(json_t *root, const struct bundle_input *in, bool caps[64],
                       struct vessel_error *err)
{
  const struct engine_run_opts *o = in->opts;
  json_t *process = json_object_get(root, "process");
  json_t *linux_ = json_object_get(root, "linux");
  if (!process || !linux_)
    return vessel_error_set(err, ENOMEM, "build config.json");
  if (o->privileged && apply_privileged(root, process, linux_, caps) < 0)
    return -1;
  if (apply_mounts(root, in, err) < 0 || apply_rlimits(process, o, err) < 0 ||
      apply_resources(linux_, o, err) < 0 || apply_devices(linux_, o, err) < 0)
    return -1;
  if (o->no_new_privileges)
    json_object_set_new(process, "noNewPrivileges", json_true());
  if (o->sysctls && o->sysctls[0]) {
    json_t *sys = json_object();
    for (size_t i = 0; o->sysctls[i]; i++) {
      if (engine_check_sysctl(o->sysctls[i], o->network_host, err) < 0) {
        json_decref(sys);
        return -1;
      }
      const char *eq = strchr(o->sysctls[i], '=');
      _cleanup_free_ char *key = strndup(o->sysctls[i], (size_t)(eq - o->sysctls[i]));
      json_object_set_new(sys, key, json_string(eq + 1));
    }
    json_object_set_new(linux_, "sysctl", sys);
  }
  /* a profile file wins over the default; --privileged has none unless asked */
  if (o->seccomp_profile && !o->seccomp_unconfined) {
    json_t *sc = profile_from_docker_file(o->seccomp_profile, caps, err);
    if (!sc)
      return -1;
    json_object_set_new(linux_, "seccomp", sc);
  }
  if (o->init && apply_init(root, process, err) < 0)
    return -1;
  return 0;
}
