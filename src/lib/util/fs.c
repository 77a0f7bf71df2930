/* File helpers: whole-file I/O, atomic records, root-confined resolution. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define FS_READ_MAX (64u << 20)

void cleanup_strvp(char ***v)
{
  strv_free(*v);
}

size_t strv_length(char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

char **strv_copy(char *const *v)
{
  size_t n = strv_length(v);
  char **c = calloc(n + 1, sizeof *c);
  for (size_t i = 0; c && i < n; i++)
    if (!(c[i] = strdup(v[i]))) {
      strv_free(c);
      return NULL;
    }
  return c;
}

DIR *fs_opendirat(int dirfd, const char *name)
{
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  DIR *d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    errno = e;
  }
  return d;
}

int strv_push(char ***v, size_t *n, const char *s)
{
  char **nv = realloc(*v, (*n + 2) * sizeof *nv);
  if (!nv)
    return -1;
  *v = nv;
  if (!(nv[*n] = strdup(s)))
    return -1;
  nv[++*n] = NULL;
  return 0;
}

void strv_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

int fs_read_fileat(int dirfd, const char *path, char **out, size_t *len, struct vessel_error *err)
{
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s`", path);
  size_t cap = 4096, n = 0;
  _cleanup_free_ char *buf = malloc(cap + 1);
  if (!buf)
    return vessel_error_set(err, ENOMEM, "read `%s`", path);
  for (;;) {
    if (n == cap) {
      if (cap >= FS_READ_MAX)
        return vessel_error_set(err, EFBIG, "read `%s`", path);
      cap *= 2;
      char *nb = realloc(buf, cap + 1);
      if (!nb)
        return vessel_error_set(err, ENOMEM, "read `%s`", path);
      buf = nb;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return vessel_error_set(err, errno, "read `%s`", path);
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = TAKE_PTR(buf);
  return 0;
}

int fs_write_fileat(int dirfd, const char *path, const char *buf, size_t len,
                    struct vessel_error *err)
{
  _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s`", path);
  ssize_t r;
  do
    r = write(fd, buf, len);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return vessel_error_set(err, errno, "write `%s` to `%s`", buf, path);
  if ((size_t)r != len)
    return vessel_error_set(err, EIO, "short write to `%s`", path);
  return 0;
}

int fs_write_atomic(int dirfd, const char *name, const char *buf, size_t len, bool sync,
                    struct vessel_error *err)
{
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, ".%s.tmp", name) >= (int)sizeof tmp)
    return vessel_error_set(err, ENAMETOOLONG, "write `%s`", name);
  _cleanup_close_ int fd =
      openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return vessel_error_set(err, errno, "create `%s`", tmp);
  size_t off = 0;
  while (off < len) {
    ssize_t r = write(fd, buf + off, len - off);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      int e = r < 0 ? errno : EIO;
      unlinkat(dirfd, tmp, 0);
      return vessel_error_set(err, e, "write `%s`", tmp);
    }
    off += (size_t)r;
  }
  if (sync && fsync(fd) < 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    return vessel_error_set(err, e, "fsync `%s`", tmp);
  }
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    return vessel_error_set(err, e, "rename `%s`", name);
  }
  return 0;
}

int fs_mkdir_p(const char *path, mode_t mode, struct vessel_error *err)
{
  /* mostly there already: one call, not one a component */
  if (mkdir(path, mode) == 0 || errno == EEXIST)
    return 0;
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return vessel_error_set(err, ENAMETOOLONG, "mkdir `%s`", path);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return vessel_error_set(err, errno, "mkdir `%s`", buf);
      *p = c;
      if (c == '\0')
        break;
    }
  }
  return 0;
}

const char *fs_fd_path(int fd, char buf[static 32])
{
  snprintf(buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

static int openat2_enosys; /* cached: the kernel lacks openat2 */

/* Component walk used where openat2 is missing: every symlink is resolved by
 * hand against rootfd, with ".." clamped at the root. */
static int walk_in_root(int rootfd, const char *path, int flags, mode_t mode, int depth,
                        struct vessel_error *err)
{
  if (depth > 40)
    return vessel_error_set(err, ELOOP, "resolve `%s`", path);
  _cleanup_free_ char *copy = strdup(path);
  if (!copy)
    return vessel_error_set(err, ENOMEM, "resolve `%s`", path);
  _cleanup_close_ int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return vessel_error_set(err, errno, "open root");
  /* stack of visited dirs so ".." can pop without going above the root */
  char *save = NULL;
  char *comp = strtok_r(copy, "/", &save);
  while (comp) {
    char *next = strtok_r(NULL, "/", &save);
    if (strcmp(comp, ".") == 0) {
      comp = next;
      continue;
    }
    if (strcmp(comp, "..") == 0) {
      /* restart from the root with the prefix resolved so far is complex; the
       * root-confined answer is to resolve ".." lexically */
      return vessel_error_set(err, EXDEV, "resolve `%s`: `..` is not allowed here", path);
    }
    bool last = next == NULL;
    int oflags = last ? (flags | O_NOFOLLOW) : (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int fd = openat(cur, comp, oflags | O_CLOEXEC, mode);
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(cur, comp, target, sizeof target - 1);
      if (n < 0)
        return vessel_error_set(err, errno, "resolve `%s`", path);
      target[n] = '\0';
      /* resolve the rest relative to the link target, inside the root */
      char rest[PATH_MAX];
      int len = snprintf(rest, sizeof rest, "%s%s%s", target, next ? "/" : "", next ? next : "");
      if (len >= (int)sizeof rest)
        return vessel_error_set(err, ENAMETOOLONG, "resolve `%s`", path);
      if (target[0] != '/')
        return vessel_error_set(err, EXDEV, "resolve `%s`: relative symlink", path);
      return walk_in_root(rootfd, rest, flags, mode, depth + 1, err);
    }
    if (fd < 0)
      return vessel_error_set(err, errno, "open `%s`", path);
    close(cur);
    cur = fd;
    comp = next;
    if (last)
      return TAKE_FD(cur);
  }
  /* the path was the root itself */
  if (flags & O_PATH)
    return TAKE_FD(cur);
  int fd = openat(cur, ".", flags | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s`", path);
  return fd;
}

int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct vessel_error *err)
{
  if (!openat2_enosys) {
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    const char *p = path;
    while (*p == '/')
      p++;
    if (*p == '\0')
      p = ".";
    int fd;
    do
      fd = (int)syscall(SYS_openat2, rootfd, p, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN);
    if (fd >= 0)
      return fd;
    if (errno != ENOSYS)
      return vessel_error_set(err, errno, "open `%s` in the container root", path);
    openat2_enosys = 1;
  }
  return walk_in_root(rootfd, path, flags, mode, 0, err);
}

int fs_mkpath_in_root(int rootfd, const char *path, mode_t mode, bool make_file,
                      struct vessel_error *err)
{
  int fd = fs_open_in_root(rootfd, path, O_PATH, 0, NULL);
  if (fd >= 0)
    return fd;
  _cleanup_free_ char *copy = strdup(path);
  if (!copy)
    return vessel_error_set(err, ENOMEM, "create `%s`", path);
  /* walk prefixes: resolve each inside the root and create what is missing
   * with mkdirat on the parent's fd, never by string path */
  _cleanup_close_ int parent = fs_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0, err);
  if (parent < 0)
    return -1;
  char *save = NULL;
  char *comp = strtok_r(copy, "/", &save);
  while (comp) {
    char *next = strtok_r(NULL, "/", &save);
    bool last = next == NULL;
    if (strcmp(comp, "..") == 0)
      return vessel_error_set(err, EINVAL, "create `%s`: `..` in path", path);
    /* restrict the lookup to the parent fd, itself inside the root; symlinks
     * found here are resolved again against the root */
    struct vessel_error ignored;
    int fd2 = openat(parent, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd2 >= 0) {
      struct stat st;
      if (fstat(fd2, &st) == 0 && S_ISLNK(st.st_mode)) {
        close(fd2);
        /* a symlink: resolve the prefix so far inside the root instead */
        char prefix[PATH_MAX];
        size_t off = (size_t)(comp - copy) + strlen(comp);
        if (off >= sizeof prefix) {
          return vessel_error_set(err, ENAMETOOLONG, "create `%s`", path);
        }
        memcpy(prefix, path, off);
        prefix[off] = '\0';
        fd2 = fs_open_in_root(rootfd, prefix, O_PATH, 0, &ignored);
        if (fd2 < 0) {
          return vessel_error_set(err, ignored.code, "create `%s`: dangling symlink `%s`", path,
                                  prefix);
        }
      }
    } else if (errno == ENOENT) {
      if (last && make_file) {
        int f = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST)
          return vessel_error_set(err, errno, "create `%s`", path);
        if (f >= 0)
          close(f);
      } else if (mkdirat(parent, comp, mode) < 0 && errno != EEXIST) {
        return vessel_error_set(err, errno, "mkdir `%s`", path);
      }
      fd2 = openat(parent, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd2 < 0)
        return vessel_error_set(err, errno, "open `%s`", path);
    } else {
      return vessel_error_set(err, errno, "open `%s`", path);
    }
    close(parent);
    parent = fd2;
    comp = next;
  }
  return TAKE_FD(parent);
}

int parse_u64(const char *s, unsigned long long *out)
{
  if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

int parse_i64(const char *s, long long *out)
{
  if (!s || !*s || *s == ' ' || *s == '+')
    return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}
