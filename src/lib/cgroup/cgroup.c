/* cgroup front: layout detection, hierarchy discovery, path resolution and
 * dispatch to the v1 or v2 manager chosen once per cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define CGROUP_REAL_ROOT "/sys/fs/cgroup"
#define CGROUP_MAX_HIERS 32

static const char *const ctrl_names[CG_NCTRL] = {
    [CG_CPU] = "cpu",         [CG_CPUACCT] = "cpuacct",
    [CG_CPUSET] = "cpuset",   [CG_MEMORY] = "memory",
    [CG_DEVICES] = "devices", [CG_FREEZER] = "freezer",
    [CG_BLKIO] = "blkio",     [CG_IO] = "io",
    [CG_PIDS] = "pids",       [CG_HUGETLB] = "hugetlb",
    [CG_NET_CLS] = "net_cls", [CG_NET_PRIO] = "net_prio",
    [CG_RDMA] = "rdma",       [CG_PERF_EVENT] = "perf_event",
    [CG_MISC] = "misc",       [CG_NAMED] = "name",
};

int cg_ctrl_from_name(const char *name, size_t len)
{
  for (int i = 0; i < CG_NCTRL; i++)
    if (strlen(ctrl_names[i]) == len && !memcmp(ctrl_names[i], name, len))
      return i;
  return -1;
}

const char *cg_ctrl_name(enum cg_ctrl c)
{
  return c < CG_NCTRL ? ctrl_names[c] : "?";
}

static bool is_fs(const char *path, unsigned long magic)
{
  struct statfs st;
  return statfs(path, &st) == 0 && (unsigned long)st.f_type == magic;
}

static bool is_real_root(const char *root)
{
  return strcmp(root, CGROUP_REAL_ROOT) == 0;
}

int cgroup_detect(const char *root, enum cgroup_mode *mode, struct vessel_error *err)
{
  if (!root)
    root = CGROUP_REAL_ROOT;
  if (is_real_root(root) || is_fs(root, CGROUP2_SUPER_MAGIC) || is_fs(root, CGROUP_SUPER_MAGIC)) {
    struct statfs st;
    if (statfs(root, &st) < 0)
      return vessel_error_set(err, errno, "statfs `%s`", root);
    if ((unsigned long)st.f_type == CGROUP2_SUPER_MAGIC) {
      *mode = CGROUP_MODE_V2;
      return 0;
    }
    char unified[PATH_MAX];
    snprintf(unified, sizeof unified, "%s/unified", root);
    *mode = is_fs(unified, CGROUP2_SUPER_MAGIC) ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
    return 0;
  }
  _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open cgroup root `%s`", root);
  _cleanup_free_ char *s = NULL;
  if (fs_read_fileat(fd, ".vessel-test-mode", &s, NULL, err) < 0)
    return vessel_error_prefix(err, "`%s` is no cgroup filesystem nor a test tree", root);
  s[strcspn(s, "\n")] = '\0';
  if (!strcmp(s, "v1"))
    *mode = CGROUP_MODE_V1;
  else if (!strcmp(s, "hybrid"))
    *mode = CGROUP_MODE_HYBRID;
  else if (!strcmp(s, "v2"))
    *mode = CGROUP_MODE_V2;
  else
    return vessel_error_set(err, EINVAL, "`%s/.vessel-test-mode`: unknown mode `%s`", root, s);
  return 0;
}

/* ---- hierarchies ---------------------------------------------------------- */

static int add_hier(struct cgroup *cg, const char *mount, unsigned controllers, bool unified,
                    bool fake, struct vessel_error *err)
{
  if (cg->n_hiers >= CGROUP_MAX_HIERS)
    return vessel_error_set(err, E2BIG, "too many cgroup hierarchies under `%s`", cg->root);
  struct cg_hier *nh = realloc(cg->hiers, (cg->n_hiers + 1) * sizeof *nh);
  if (!nh)
    return vessel_error_set(err, ENOMEM, "cgroup hierarchies");
  cg->hiers = nh;
  char *m = strdup(mount);
  if (!m)
    return vessel_error_set(err, ENOMEM, "cgroup hierarchies");
  cg->hiers[cg->n_hiers++] = (struct cg_hier){.mount = m,
                                              .controllers = controllers,
                                              .unified = unified,
                                              .fake = fake,
                                              .fd = -1,
                                              .created_depth = -1};
  return 0;
}

/* "rw,cpu,cpuacct" or "rw,name=systemd" -> controller bits; 0 when none */
static unsigned controllers_of(const char *opts)
{
  unsigned mask = 0;
  for (const char *p = opts; *p;) {
    size_t len = strcspn(p, ",");
    if (len > 5 && !memcmp(p, "name=", 5)) {
      mask |= CG_BIT(CG_NAMED);
    } else {
      int c = cg_ctrl_from_name(p, len);
      if (c >= 0 && c != CG_NAMED)
        mask |= CG_BIT(c);
    }
    p += len;
    if (*p)
      p++;
  }
  return mask;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
  char *o = s;
  for (char *p = s; *p; p++) {
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
        p[3] <= '7') {
      *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
      p += 3;
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
}

/* v1 hierarchies of the host: cgroup mounts directly below root. Co-mounted
 * controllers are one mount and so one hierarchy; a hierarchy mounted twice
 * (same device) counts once. */
static int discover_mounts(struct cgroup *cg, struct vessel_error *err)
{
  _cleanup_free_ char *buf = NULL;
  if (fs_read_fileat(AT_FDCWD, "/proc/self/mountinfo", &buf, NULL, err) < 0)
    return -1;
  char devs[CGROUP_MAX_HIERS][16];
  size_t n_devs = 0, rootlen = strlen(cg->root);
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
    char *sep = strstr(line, " - ");
    if (!sep)
      continue;
    *sep = '\0';
    char *tail = sep + 3, *fstype = strtok_r(tail, " ", &tail), *src = strtok_r(NULL, " ", &tail);
    char *super = strtok_r(NULL, " ", &tail);
    if (!fstype || !src || !super || strcmp(fstype, "cgroup"))
      continue;
    char *f = line, *fields[5];
    int nf = 0;
    for (char *t = strtok_r(f, " ", &f); t && nf < 5; t = strtok_r(NULL, " ", &f))
      fields[nf++] = t;
    if (nf < 5)
      continue;
    char *mnt = fields[4];
    unescape(mnt);
    if (strncmp(mnt, cg->root, rootlen) || mnt[rootlen] != '/' || strchr(mnt + rootlen + 1, '/'))
      continue;
    bool dup = false;
    for (size_t i = 0; i < n_devs; i++)
      dup |= !strcmp(devs[i], fields[2]);
    if (dup || n_devs == CGROUP_MAX_HIERS)
      continue;
    snprintf(devs[n_devs++], sizeof devs[0], "%s", fields[2]);
    unsigned mask = controllers_of(super);
    if (mask && add_hier(cg, mnt, mask, false, false, err) < 0)
      return -1;
  }
  return 0;
}

/* v1 hierarchies of a fake tree: every directory below root but "unified",
 * named like the kernel's mounts ("cpu,cpuacct", "memory", "systemd"). */
static int discover_fake(struct cgroup *cg, struct vessel_error *err)
{
  int fd = open(cg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open cgroup root `%s`", cg->root);
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return vessel_error_set(err, errno, "read cgroup root `%s`", cg->root);
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.' || !strcmp(de->d_name, "unified"))
      continue;
    unsigned mask = controllers_of(de->d_name);
    if (!strcmp(de->d_name, "systemd"))
      mask |= CG_BIT(CG_NAMED);
    if (!mask)
      continue;
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/%s", cg->root, de->d_name) >= (int)sizeof p)
      return vessel_error_set(err, ENAMETOOLONG, "cgroup root `%s`", cg->root);
    if (add_hier(cg, p, mask, false, true, err) < 0)
      return -1;
  }
  return 0;
}

static int discover(struct cgroup *cg, struct vessel_error *err)
{
  /* A fake tree (tests) is a root that is no cgroup filesystem; it must say
   * so with its marker, since files get created and removed in it. */
  bool fake = !is_real_root(cg->root) && !is_fs(cg->root, CGROUP2_SUPER_MAGIC) &&
              !is_fs(cg->root, CGROUP_SUPER_MAGIC);
  char marker[PATH_MAX];
  snprintf(marker, sizeof marker, "%s/.vessel-test-mode", cg->root);
  if (fake && access(marker, F_OK) < 0)
    return vessel_error_set(err, ENOTDIR, "`%s` is not a cgroup filesystem", cg->root);
  if (cg->mode == CGROUP_MODE_V2)
    return add_hier(cg, cg->root, 0, false, fake, err);
  if ((fake ? discover_fake(cg, err) : discover_mounts(cg, err)) < 0)
    return -1;
  if (cg->n_hiers == 0)
    return vessel_error_set(err, ENOENT, "no cgroup v1 hierarchy is mounted under `%s`", cg->root);
  if (cg->mode == CGROUP_MODE_HYBRID) {
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/unified", cg->root) >= (int)sizeof p)
      return vessel_error_set(err, ENAMETOOLONG, "cgroup root `%s`", cg->root);
    if (add_hier(cg, p, 0, true, fake, err) < 0)
      return -1;
  }
  return 0;
}

struct cg_hier *cg_find_hier(struct cgroup *cg, enum cg_ctrl c)
{
  for (size_t i = 0; i < cg->n_hiers; i++)
    if (cg->hiers[i].controllers & CG_BIT(c))
      return &cg->hiers[i];
  return NULL;
}

int cg_hier_fd(struct cgroup *cg, struct cg_hier *h, struct vessel_error *err)
{
  if (h->fd >= 0)
    return h->fd;
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s%s", h->mount, cg->path) >= (int)sizeof p)
    return vessel_error_set(err, ENAMETOOLONG, "cgroup `%s`", cg->path);
  h->fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (h->fd < 0)
    return vessel_error_set(err, errno, "open cgroup `%s`", p);
  return h->fd;
}

/* ---- paths ---------------------------------------------------------------- */

/* The caller's own cgroup: the unified entry on v2, else the name=systemd
 * hierarchy (or the first listed) as the one base shared by every
 * hierarchy. */
static int self_cgroup(struct cgroup *cg, char **out, struct vessel_error *err)
{
  if (cg->hiers[0].fake) {
    *out = strdup("/");
    return *out ? 0 : vessel_error_set(err, ENOMEM, "cgroup path");
  }
  _cleanup_free_ char *buf = NULL;
  if (fs_read_fileat(AT_FDCWD, "/proc/self/cgroup", &buf, NULL, err) < 0)
    return -1;
  const char *best = NULL;
  int rank = 0;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c2 = '\0';
    bool unified = line[0] == '0' && c1 == line + 1 && c2 == c1 + 1;
    int r = cg->mode == CGROUP_MODE_V2 ? (unified ? 3 : 0)
                                       : (unified                           ? 0
                                          : !strcmp(c1 + 1, "name=systemd") ? 2
                                                                            : 1);
    if (r > rank) {
      rank = r;
      best = c2 + 1;
    }
  }
  if (!best)
    return vessel_error_set(err, ENOENT, "own cgroup not found in `/proc/self/cgroup`");
  *out = strdup(best);
  return *out ? 0 : vessel_error_set(err, ENOMEM, "cgroup path");
}

/* Joins base and rel into "/a/b": no empty or "." components, no "..". */
static char *normalise(const char *base, const char *rel, struct vessel_error *err)
{
  size_t cap = strlen(base) + strlen(rel) + 3;
  if (cap > PATH_MAX) {
    vessel_error_set(err, ENAMETOOLONG, "cgroup path `%s`", rel);
    return NULL;
  }
  char *out = malloc(cap);
  if (!out) {
    vessel_error_set(err, ENOMEM, "cgroup path");
    return NULL;
  }
  size_t n = 0;
  const char *parts[2] = {base, rel};
  for (int i = 0; i < 2; i++) {
    for (const char *p = parts[i]; *p;) {
      size_t len = strcspn(p, "/");
      if (len == 2 && !memcmp(p, "..", 2)) {
        free(out);
        vessel_error_set(err, EINVAL, "cgroup path `%s`: `..` is not allowed", rel);
        return NULL;
      }
      if (len > NAME_MAX) {
        free(out);
        vessel_error_set(err, ENAMETOOLONG, "cgroup path `%s`", rel);
        return NULL;
      }
      if (len > 0 && !(len == 1 && p[0] == '.')) {
        out[n++] = '/';
        memcpy(out + n, p, len);
        n += len;
      }
      p += len;
      while (*p == '/')
        p++;
    }
  }
  out[n] = '\0';
  if (n == 0) {
    free(out);
    vessel_error_set(err, EINVAL, "cgroup path `%s`: the root cgroup cannot hold a container", rel);
    return NULL;
  }
  return out;
}

static struct cgroup *cg_alloc(const char *root, enum cgroup_mode mode, struct vessel_error *err)
{
  if (mode != CGROUP_MODE_V1 && mode != CGROUP_MODE_HYBRID && mode != CGROUP_MODE_V2) {
    vessel_error_set(err, EINVAL, "unknown cgroup mode %d", (int)mode);
    return NULL;
  }
  struct cgroup *cg = calloc(1, sizeof *cg);
  if (!cg || !(cg->root = strdup(root ? root : CGROUP_REAL_ROOT))) {
    free(cg);
    vessel_error_set(err, ENOMEM, "cgroup");
    return NULL;
  }
  size_t l = strlen(cg->root);
  while (l > 1 && cg->root[l - 1] == '/')
    cg->root[--l] = '\0';
  cg->mode = mode;
  cg->ops = mode == CGROUP_MODE_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
  if (discover(cg, err) < 0) {
    cgroup_free(cg);
    return NULL;
  }
  return cg;
}

struct cgroup *cgroup_new(const char *root, enum cgroup_mode mode, const char *path, const char *id,
                          struct vessel_error *err)
{
  struct vessel_error local;
  if (!err)
    err = &local;
  if (!path) {
    if (!id || !*id || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, "..")) {
      vessel_error_set(err, EINVAL, "container id `%s` cannot name a cgroup", id ? id : "");
      return NULL;
    }
  }
  struct cgroup *cg = cg_alloc(root, mode, err);
  if (!cg)
    return NULL;
  _cleanup_free_ char *base = NULL;
  if (path && path[0] != '/' && self_cgroup(cg, &base, err) < 0) {
    cgroup_free(cg);
    return NULL;
  }
  if (path)
    cg->path = normalise(base ? base : "", path, err);
  else
    cg->path = normalise("", id, err); /* "/<id>", as runc: no shared parent left behind */
  if (!cg->path) {
    cgroup_free(cg);
    return NULL;
  }
  return cg;
}

struct cgroup *cgroup_open(const char *root, enum cgroup_mode mode, const char *abs_path,
                           struct vessel_error *err)
{
  struct vessel_error local;
  if (!err)
    err = &local;
  if (!abs_path || abs_path[0] != '/') {
    vessel_error_set(err, EINVAL, "cgroup path `%s` is not absolute", abs_path ? abs_path : "");
    return NULL;
  }
  return cgroup_new(root, mode, abs_path, NULL, err);
}

void cgroup_free(struct cgroup *cg)
{
  if (!cg)
    return;
  for (size_t i = 0; i < cg->n_hiers; i++) {
    if (cg->hiers[i].fd >= 0)
      close(cg->hiers[i].fd);
    free(cg->hiers[i].mount);
  }
  free(cg->hiers);
  free(cg->root);
  free(cg->path);
  free(cg);
}

const char *cgroup_path(const struct cgroup *cg)
{
  return cg->path;
}

enum cgroup_mode cgroup_get_mode(const struct cgroup *cg)
{
  return cg->mode;
}

/* ---- dispatch ------------------------------------------------------------- */

#define WITH_ERR(err)                                                                              \
  struct vessel_error _local_err;                                                                  \
  if (!(err))                                                                                      \
  (err) = &_local_err

int cgroup_create(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err)
{
  WITH_ERR(err);
  return cg->ops->create(cg, res, err);
}

int cgroup_clone_fd(struct cgroup *cg, struct vessel_error *err)
{
  WITH_ERR(err);
  return cg->ops->clone_fd(cg, err);
}

int cgroup_join_prepare(struct cgroup *cg, struct cgroup_join *j, struct vessel_error *err)
{
  WITH_ERR(err);
  *j = (struct cgroup_join){.clone_fd = -1};
  if (cg->mode == CGROUP_MODE_V2) {
    j->clone_fd = cgroup_clone_fd(cg, err);
    return j->clone_fd < 0 ? -1 : 0;
  }
  for (size_t i = 0; i < cg->n_hiers; i++) {
    struct cg_hier *h = &cg->hiers[i];
    if (h->skipped)
      continue;
    struct vessel_error open_err = {0};
    int fd = cg_hier_fd(cg, h, &open_err);
    if (fd < 0 && open_err.code == ENOENT) {
      h->skipped = true; /* reopened from a record: a hierarchy create skipped */
      continue;
    }
    if (fd < 0) {
      *err = open_err;
      cgroup_join_close(j);
      return -1;
    }
    if (h->unified) {
      j->clone_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      if (j->clone_fd < 0) {
        cgroup_join_close(j);
        return vessel_error_set(err, errno, "duplicate the fd of cgroup `%s`", cg->path);
      }
      continue;
    }
    if (j->n == CGROUP_JOIN_MAX) {
      cgroup_join_close(j);
      return vessel_error_set(err, E2BIG, "cgroup `%s`: too many hierarchies", cg->path);
    }
    /* a fake test tree has no `tasks` of its own: the procs file stands in */
    int t = openat(fd, h->fake ? "cgroup.procs" : "tasks", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (t < 0) {
      int e = errno;
      cgroup_join_close(j);
      return vessel_error_set(err, e, "open `%s%s/tasks`", h->mount, cg->path);
    }
    j->task_fds[j->n++] = t;
  }
  return 0;
}

int cgroup_join_self(const struct cgroup_join *j)
{
  for (size_t i = 0; i < j->n; i++)
    if (write(j->task_fds[i], "0", 1) != 1)
      return -errno;
  return 0;
}

void cgroup_join_close(struct cgroup_join *j)
{
  if (j->clone_fd >= 0)
    close(j->clone_fd);
  for (size_t i = 0; i < j->n; i++)
    close(j->task_fds[i]);
  *j = (struct cgroup_join){.clone_fd = -1};
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct vessel_error *err)
{
  WITH_ERR(err);
  if (pid <= 0)
    return vessel_error_set(err, EINVAL, "enter cgroup `%s`: bad pid %d", cg->path, (int)pid);
  return cg->ops->enter(cg, pid, err);
}

int cgroup_update(struct cgroup *cg, const struct spec_resources *res, struct vessel_error *err)
{
  WITH_ERR(err);
  if (!res)
    return 0;
  return cg->ops->update(cg, res, err);
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct vessel_error *err)
{
  WITH_ERR(err);
  return cg->ops->freeze(cg, frozen, err);
}

int cgroup_is_frozen(struct cgroup *cg, struct vessel_error *err)
{
  WITH_ERR(err);
  return cg->ops->is_frozen(cg, err);
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct vessel_error *err)
{
  WITH_ERR(err);
  *pids = NULL;
  *n = 0;
  struct cg_hier *h = cg->ops->procs_hier(cg);
  int fd = cg_hier_fd(cg, h, err);
  if (fd < 0)
    return -1;
  size_t cap = 0;
  if (cg_collect_pids(fd, pids, n, &cap, err) < 0) {
    free(*pids);
    *pids = NULL;
    *n = 0;
    return -1;
  }
  return 0;
}

int cgroup_kill_all(struct cgroup *cg, int sig, struct vessel_error *err)
{
  WITH_ERR(err);
  return cg->ops->kill_all(cg, sig, err);
}

int cgroup_destroy(struct cgroup *cg, bool force, struct vessel_error *err)
{
  WITH_ERR(err);
  bool killed_all = false;
  for (size_t i = 0; i < cg->n_hiers; i++) {
    struct cg_hier *h = &cg->hiers[i];
    bool killed = false;
    for (unsigned attempt = 0;; attempt++) {
      int r = cg_remove(cg, h, err);
      if (r == 0)
        break;
      if (r != -EBUSY)
        return -1;
      if (!force)
        return vessel_error_set(err, EBUSY, "remove cgroup `%s%s`: processes are still inside",
                                h->mount, cg->path);
      if (!killed_all) {
        /* cgroup.kill where the kernel has it; thaws a frozen v1 cgroup */
        if (cgroup_kill_all(cg, SIGKILL, err) < 0)
          return vessel_error_prefix(err, "remove cgroup `%s`", cg->path);
        killed_all = true;
      }
      if (!killed) {
        /* what is left in this hierarchy, even where another one is gone */
        if (cg_signal_procs(cg, h, SIGKILL, err) < 0)
          return vessel_error_prefix(err, "remove cgroup `%s`", cg->path);
        killed = true;
      }
      /* killed processes take a moment to leave the cgroup */
      if (!cg_backoff(attempt, 2000))
        return vessel_error_set(err, EBUSY, "remove cgroup `%s%s`: processes are still inside",
                                h->mount, cg->path);
    }
  }
  return 0;
}
