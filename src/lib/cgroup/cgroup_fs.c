/* Small cgroupfs helpers shared by the managers: dirfd-relative control file
 * reads and writes, the create walk, tree removal, pid collection. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

int cg_file_error(struct cgroup *cg, struct cg_hier *h, int errnum, const char *what,
                  const char *name, const char *value, struct vessel_error *err)
{
  if (value)
    return vessel_error_set(err, errnum, "%s `%s` to `%s%s/%s`", what, value, h->mount, cg->path,
                            name);
  return vessel_error_set(err, errnum, "%s `%s%s/%s`", what, h->mount, cg->path, name);
}

int cg_unsupported(struct vessel_error *err, const char *fmt, ...)
{
  if (!err)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  err->code = ENOTSUP;
  return -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
  ssize_t r;
  do
    r = write(fd, buf, len);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -1;
  if ((size_t)r != len) {
    errno = EIO;
    return -1;
  }
  return 0;
}

static int open_write(struct cg_hier *h, int dirfd, const char *name, bool append)
{
  int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
  if (h->fake)
    flags |= O_CREAT | (append ? O_APPEND : O_TRUNC);
  return openat(dirfd, name, flags, 0644);
}

int cg_write(struct cgroup *cg, struct cg_hier *h, int dirfd, const char *name, const char *value,
             bool append, struct vessel_error *err)
{
  _cleanup_close_ int fd = open_write(h, dirfd, name, append);
  if (fd < 0)
    return cg_file_error(cg, h, errno, "open", name, NULL, err);
  size_t len = strlen(value);
  int r = write_all(fd, value, len);
  if (r == 0 && h->fake && append)
    r = write_all(fd, "\n", 1);
  if (r < 0)
    return cg_file_error(cg, h, errno, "write", name, value, err);
  return 0;
}

int cg_open_lines(struct cg_hier *h, int dirfd, const char *name)
{
  return open_write(h, dirfd, name, true);
}

int cg_write_line(struct cg_hier *h, int fd, const char *value)
{
  if (write_all(fd, value, strlen(value)) < 0)
    return -1;
  return h->fake ? write_all(fd, "\n", 1) : 0;
}

bool cg_has_file(struct cg_hier *h, int dirfd, const char *name)
{
  if (!h->fake)
    return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  /* a fake tree's root lists the files "the kernel" provides in every cgroup */
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s/%s", h->mount, name) >= (int)sizeof p)
    return false;
  return access(p, F_OK) == 0;
}

int cg_write_optional(struct cgroup *cg, struct cg_hier *h, int dirfd, const char *name,
                      const char *value, struct vessel_error *err)
{
  if (h->fake && !cg_has_file(h, dirfd, name))
    return 0;
  _cleanup_close_ int fd = open_write(h, dirfd, name, false);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return cg_file_error(cg, h, errno, "open", name, NULL, err);
  }
  if (write_all(fd, value, strlen(value)) < 0)
    return cg_file_error(cg, h, errno, "write", name, value, err);
  return 1;
}

ssize_t cg_read(struct cgroup *cg, struct cg_hier *h, int dirfd, const char *name, char *buf,
                size_t size, struct vessel_error *err)
{
  _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return cg_file_error(cg, h, errno, "open", name, NULL, err);
  size_t n = 0;
  while (n + 1 < size) {
    ssize_t r = read(fd, buf + n, size - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return cg_file_error(cg, h, errno, "read", name, NULL, err);
    if (r == 0)
      break;
    n += (size_t)r;
  }
  while (n > 0 && buf[n - 1] == '\n')
    n--;
  buf[n] = '\0';
  return (ssize_t)n;
}

bool cg_backoff(unsigned attempt, unsigned timeout_ms)
{
  /* 1, 2, 4, 8, 10, 10 ... ms */
  unsigned total = 0, step = 1;
  for (unsigned i = 0; i < attempt; i++) {
    total += step;
    step = step * 2 > 10 ? 10 : step * 2;
  }
  if (total >= timeout_ms)
    return false;
  struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
  return true;
}

int cg_mkpath(struct cgroup *cg, struct cg_hier *h, cg_level_fn fn, void *data,
              struct vessel_error *err)
{
  h->created_depth = -1;
  _cleanup_close_ int fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open cgroup hierarchy `%s`", h->mount);
  char comp[NAME_MAX + 1];
  const char *p = cg->path;
  for (int depth = 0; *p; depth++) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    /* cgroup_new normalised the path: components are non-empty and short */
    memcpy(comp, p, len);
    comp[len] = '\0';
    p += len;
    while (*p == '/')
      p++;
    bool leaf = *p == '\0', created = false;
    if (mkdirat(fd, comp, 0755) == 0) {
      created = true;
      if (h->created_depth < 0)
        h->created_depth = depth;
    } else if (errno != EEXIST) {
      int e = errno;
      cg_rollback(cg, h);
      return vessel_error_set(err, e, "create cgroup `%s` in `%s`", cg->path, h->mount);
    }
    _cleanup_close_ int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (nfd < 0) {
      int e = errno;
      cg_rollback(cg, h);
      return vessel_error_set(err, e, "open cgroup `%s` in `%s`", cg->path, h->mount);
    }
    if (fn && fn(cg, h, fd, nfd, created, leaf, data, err) < 0) {
      cg_rollback(cg, h);
      return -1;
    }
    close(fd);
    fd = TAKE_FD(nfd);
  }
  if (h->fd >= 0)
    close(h->fd);
  h->fd = TAKE_FD(fd);
  return 0;
}

/* Removes name below parentfd and everything inside, deepest first. On a
 * fake tree the control files are ordinary files and go too; on cgroupfs
 * they vanish with the directory. Returns 0, -EBUSY, or -errno. */
static int remove_tree(struct cg_hier *h, int parentfd, const char *name, int depth)
{
  if (depth > 64)
    return -ELOOP;
  /* the common case, a cgroup with no children: one rmdir, no readdir of
   * its control files (each getdents on cgroupfs costs). EBUSY means child
   * cgroups or processes: walk the children, the caller handles the rest */
  if (!h->fake) {
    if (unlinkat(parentfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
      return 0;
    if (errno != ENOTEMPTY && errno != EEXIST && errno != EBUSY)
      return -errno;
  }
  _cleanup_close_ int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : -errno;
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d)
    return -errno;
  fd = -1; /* owned by d now */
  int dfd = dirfd(d);
  struct dirent *de;
  int ret = 0;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (de->d_type == DT_DIR) {
      int r = remove_tree(h, dfd, de->d_name, depth + 1);
      if (r < 0 && ret == 0)
        ret = r;
    } else if (h->fake) {
      unlinkat(dfd, de->d_name, 0);
    }
  }
  if (ret < 0)
    return ret;
  if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return -errno;
  return 0;
}

void cg_rollback(struct cgroup *cg, struct cg_hier *h)
{
  if (h->created_depth < 0)
    return;
  if (h->fd >= 0) {
    close(h->fd);
    h->fd = -1;
  }
  /* the first directory we made and everything below it is ours */
  char rel[PATH_MAX];
  const char *p = cg->path + 1;
  for (int i = 0; i <= h->created_depth; i++)
    p += strcspn(p, "/") + (i < h->created_depth);
  size_t len = (size_t)(p - (cg->path + 1));
  memcpy(rel, cg->path + 1, len);
  rel[len] = '\0';
  _cleanup_close_ int fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = fd < 0 ? -errno : remove_tree(h, fd, rel, 0);
  if (r < 0)
    log_warning("cannot remove cgroup `%s/%s`: %s", h->mount, rel, strerror(-r));
  h->created_depth = -1;
}

int cg_remove(struct cgroup *cg, struct cg_hier *h, struct vessel_error *err)
{
  if (h->fd >= 0) {
    close(h->fd);
    h->fd = -1;
  }
  _cleanup_close_ int fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open cgroup hierarchy `%s`", h->mount);
  int r = remove_tree(h, fd, cg->path + 1, 0);
  if (r == -EBUSY)
    return r;
  if (r < 0)
    return vessel_error_set(err, -r, "remove cgroup `%s%s`", h->mount, cg->path);
  return 0;
}

static int add_pids(const char *buf, pid_t **pids, size_t *n, size_t *cap, struct vessel_error *err)
{
  const char *p = buf;
  while (*p) {
    size_t len = strcspn(p, "\n");
    char num[24];
    if (len > 0 && len < sizeof num) {
      memcpy(num, p, len);
      num[len] = '\0';
      long long v;
      if (parse_i64(num, &v) == 0 && v > 0 && v <= INT_MAX) {
        if (*n == *cap) {
          size_t ncap = *cap ? *cap * 2 : 16;
          pid_t *np = realloc(*pids, ncap * sizeof **pids);
          if (!np)
            return vessel_error_set(err, ENOMEM, "collect cgroup pids");
          *pids = np;
          *cap = ncap;
        }
        (*pids)[(*n)++] = (pid_t)v;
      }
    }
    p += len;
    if (*p)
      p++;
  }
  return 0;
}

static int collect(int dirfd, pid_t **pids, size_t *n, size_t *cap, int depth,
                   struct vessel_error *err)
{
  if (depth > 64)
    return vessel_error_set(err, ELOOP, "cgroup tree too deep");
  _cleanup_free_ char *buf = NULL;
  struct vessel_error e;
  if (fs_read_fileat(dirfd, "cgroup.procs", &buf, NULL, &e) < 0) {
    if (e.code != ENOENT) { /* a fake tree's cgroup may lack the file */
      *err = e;
      return -1;
    }
  } else if (add_pids(buf, pids, n, cap, err) < 0) {
    return -1;
  }
  _cleanup_closedir_ DIR *d = fs_opendirat(dirfd, ".");
  if (!d)
    return vessel_error_set(err, errno, "read cgroup");
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    _cleanup_close_ int sub =
        openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
      if (errno == ENOENT) /* removed meanwhile */
        continue;
      return vessel_error_set(err, errno, "open cgroup `%s`", de->d_name);
    }
    if (collect(sub, pids, n, cap, depth + 1, err) < 0)
      return -1;
  }
  return 0;
}

int cg_collect_pids(int dirfd, pid_t **pids, size_t *n, size_t *cap, struct vessel_error *err)
{
  return collect(dirfd, pids, n, cap, 0, err);
}

static bool seen(const pid_t *v, size_t n, pid_t p)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == p)
      return true;
  return false;
}

int cg_signal_procs(struct cgroup *cg, struct cg_hier *h, int sig, struct vessel_error *err)
{
  struct vessel_error e;
  int dirfd = cg_hier_fd(cg, h, &e);
  if (dirfd < 0) {
    if (e.code == ENOENT) /* no cgroup, no process */
      return 0;
    *err = e;
    return -1;
  }
  _cleanup_free_ pid_t *done = NULL;
  size_t n_done = 0, cap_done = 0;
  /* a process may fork while we walk: with SIGKILL go again until a pass
   * finds nobody new; other signals are sent once */
  for (unsigned round = 0; round < 16; round++) {
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0, cap = 0;
    if (cg_collect_pids(dirfd, &pids, &n, &cap, err) < 0)
      return -1;
    bool fresh = false;
    for (size_t i = 0; i < n; i++) {
      if (seen(done, n_done, pids[i]))
        continue;
      fresh = true;
      if (kill(pids[i], sig) < 0 && errno != ESRCH)
        return vessel_error_set(err, errno, "kill process %d of cgroup `%s`", (int)pids[i],
                                cg->path);
      if (n_done == cap_done) {
        size_t ncap = cap_done ? cap_done * 2 : 16;
        pid_t *np = realloc(done, ncap * sizeof *np);
        if (!np)
          return vessel_error_set(err, ENOMEM, "kill cgroup `%s`", cg->path);
        done = np;
        cap_done = ncap;
      }
      done[n_done++] = pids[i];
    }
    if (!fresh || sig != SIGKILL)
      break;
  }
  return 0;
}
