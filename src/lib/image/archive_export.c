/* image_export_rootfs: the merged view of a container's layers and upper
 * dir written as a tar, the way overlayfs shows it: the highest layer holding
 * a name wins, a whiteout (char device 0:0) hides the name below, an opaque
 * directory hides the lower directories' content. Walked fd-relative with
 * O_NOFOLLOW, never through a symlink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "archive-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define EXPORT_MAX_DEPTH 128
#define EXPORT_MAX_LAYERS 128

struct exporter {
  struct archive *a;
  char *buf;
  json_t *inodes; /* "dev:ino" -> the first path of a file with several links */
};

/* The xattrs unpack keeps, so an export imports back the same. */
static int add_xattrs(struct archive_entry *e, int fd, const char *path, struct vessel_error *err)
{
  char names[4096], value[4096];
  ssize_t n = flistxattr(fd, names, sizeof names);
  if (n < 0)
    return errno == ENOTSUP || errno == ERANGE
               ? 0
               : vessel_error_set(err, errno, "xattrs of `%s`", path);
  for (char *x = names; x < names + n; x += strlen(x) + 1) {
    if (strncmp(x, "user.", 5) != 0 && strcmp(x, "security.capability") != 0)
      continue;
    ssize_t len = fgetxattr(fd, x, value, sizeof value);
    if (len >= 0)
      archive_entry_xattr_add_entry(e, x, value, (size_t)len);
  }
  return 0;
}

/* A file seen before under another name becomes a hardlink entry. */
static bool as_hardlink(struct exporter *x, struct archive_entry *e, const struct stat *st,
                        const char *path)
{
  if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
    return false;
  char key[64];
  snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)st->st_dev,
           (unsigned long long)st->st_ino);
  const char *first = json_string_value(json_object_get(x->inodes, key));
  if (!first) {
    json_object_set_new(x->inodes, key, json_string(path));
    return false;
  }
  archive_entry_set_hardlink(e, first);
  archive_entry_set_size(e, 0);
  return true;
}

static bool is_whiteout(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd)
{
  char v[2] = "";
  return fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

static int write_entry(struct exporter *x, int dirfd, const char *name, const char *path,
                       const struct stat *st, struct vessel_error *err)
{
  _cleanup_close_ int fd = -1;
  char target[4096];
  struct archive_entry *e = archive_entry_new();
  if (!e)
    return vessel_error_set(err, ENOMEM, "libarchive");
  archive_entry_copy_stat(e, st);
  archive_entry_set_pathname(e, path);
  archive_entry_set_nlink(e, 1);
  if (S_ISLNK(st->st_mode)) {
    ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
    if (n < 0) {
      archive_entry_free(e);
      return vessel_error_set(err, errno, "readlink `%s`", path);
    }
    target[n] = '\0';
    archive_entry_set_symlink(e, target);
  } else if (as_hardlink(x, e, st, path)) {
    /* no content */
  } else if (S_ISREG(st->st_mode)) {
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || add_xattrs(e, fd, path, err) < 0) {
      archive_entry_free(e);
      return fd < 0 ? vessel_error_set(err, errno, "open `%s`", path) : -1;
    }
  } else if (!S_ISDIR(st->st_mode)) {
    archive_entry_set_size(e, 0);
  }
  int r = archive_write_header(x->a, e);
  archive_entry_free(e);
  if (r != ARCHIVE_OK)
    return vessel_error_set(err, EIO, "write `%s`: %s", path, archive_error_string(x->a));
  for (off_t done = 0; fd >= 0 && done < st->st_size;) {
    ssize_t n = read(fd, x->buf, ARCHIVE_BLOCK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vessel_error_set(err, errno, "read `%s`", path);
    if (n == 0) /* shrank: libarchive pads the entry */
      break;
    if (done + n > st->st_size)
      n = (ssize_t)(st->st_size - done);
    if (archive_write_data(x->a, x->buf, (size_t)n) != n)
      return vessel_error_set(err, EIO, "write `%s`: %s", path, archive_error_string(x->a));
    done += n;
  }
  return 0;
}

static void close_all(int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

/* fds: the same directory in each layer, highest first. */
static int merge_dir(struct exporter *x, const int *fds, size_t n, const char *path, int depth,
                     struct vessel_error *err)
{
  if (depth > EXPORT_MAX_DEPTH)
    return vessel_error_set(err, ELOOP, "`%s`: deeper than %d", path, EXPORT_MAX_DEPTH);
  json_t *seen = json_object(); /* name -> layer index, -1 for a whiteout */
  if (!seen)
    return vessel_error_set(err, ENOMEM, "export");
  int r = 0;
  size_t i;
  for (i = 0; i < n && r == 0; i++) {
    int dfd = openat(fds[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
      if (dfd >= 0)
        close(dfd);
      r = vessel_error_set(err, errno, "open `/%s`", path);
      break;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
          json_object_get(seen, de->d_name))
        continue;
      struct stat st;
      if (fstatat(fds[i], de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        r = vessel_error_set(err, errno, "stat `%s/%s`", path, de->d_name);
        break;
      }
      json_object_set_new(seen, de->d_name, json_integer(is_whiteout(&st) ? -1 : (json_int_t)i));
    }
    closedir(d);
    if (is_opaque(fds[i])) {
      i++;
      break;
    }
  }
  size_t used = i;
  const char *name;
  json_t *v;
  json_object_foreach(seen, name, v)
  {
    if (r < 0)
      break;
    json_int_t at = json_integer_value(v);
    if (at < 0)
      continue;
    _cleanup_free_ char *child = NULL;
    if (asprintf(&child, "%s%s%s", path, *path ? "/" : "", name) < 0) {
      r = vessel_error_set(err, ENOMEM, "export");
      break;
    }
    struct stat st;
    if (fstatat(fds[at], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      r = vessel_error_set(err, errno, "stat `%s`", child);
      break;
    }
    if (S_ISSOCK(st.st_mode))
      continue;
    if ((r = write_entry(x, fds[at], name, child, &st, err)) < 0 || !S_ISDIR(st.st_mode))
      continue;
    /* the directory in this layer and the ones below, down to anything else */
    int sub[EXPORT_MAX_LAYERS];
    size_t m = 0;
    for (size_t j = (size_t)at; j < used; j++) {
      struct stat lst;
      if (fstatat(fds[j], name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (!S_ISDIR(lst.st_mode))
        break;
      sub[m] = openat(fds[j], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub[m] < 0) {
        r = vessel_error_set(err, errno, "open `%s`", child);
        break;
      }
      m++;
    }
    if (r == 0)
      r = merge_dir(x, sub, m, child, depth + 1, err);
    close_all(sub, m);
  }
  json_decref(seen);
  return r;
}

int image_export_rootfs(char *const *layer_dirs, const char *upper, int out_fd,
                        struct vessel_error *err)
{
  size_t nl = strv_length(layer_dirs), n = 0;
  if (nl + 1 > EXPORT_MAX_LAYERS)
    return vessel_error_set(err, E2BIG, "export: more than %d layers", EXPORT_MAX_LAYERS);
  int fds[EXPORT_MAX_LAYERS];
  const char *paths[EXPORT_MAX_LAYERS];
  if (upper)
    paths[n++] = upper;
  for (size_t i = nl; i > 0; i--)
    paths[n++] = layer_dirs[i - 1];
  for (size_t i = 0; i < n; i++) {
    fds[i] = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fds[i] < 0) {
      int e = errno;
      close_all(fds, i);
      return vessel_error_set(err, e, "export: open `%s`", paths[i]);
    }
  }
  struct exporter x = {.buf = malloc(ARCHIVE_BLOCK), .inodes = json_object()};
  int r = -1;
  if (!x.buf || !x.inodes)
    vessel_error_set(err, ENOMEM, "export");
  else if ((x.a = tar_writer_new(out_fd, err)))
    r = merge_dir(&x, fds, n, "", 0, err);
  if (r == 0 && archive_write_close(x.a) != ARCHIVE_OK)
    r = vessel_error_set(err, EIO, "write archive: %s", archive_error_string(x.a));
  if (x.a)
    archive_write_free(x.a);
  free(x.buf);
  json_decref(x.inodes);
  close_all(fds, n);
  return r < 0 ? vessel_error_prefix(err, "export") : 0;
}
