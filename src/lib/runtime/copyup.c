/* tmpcopyup: a tmpfs mounted over a directory of the image starts with a copy
 * of what the image had there (podman asks for it on --tmpfs mounts). All of
 * it fd-relative and without following links. */
#include <dirent.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copyup.h"
#include "util/cleanup.h"

#define COPYUP_MAX_DEPTH 64

static int copy_file(int from_dir, int to_dir, const char *name, const struct stat *st,
                     struct vessel_error *err)
{
  _cleanup_close_ int in = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_close_ int out = openat(
      to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
  if (in < 0 || out < 0)
    return vessel_error_set(err, errno, "tmpcopyup `%s`", name);
  off_t left = st->st_size;
  while (left > 0) {
    ssize_t n = sendfile(out, in, NULL, (size_t)left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return vessel_error_set(err, n < 0 ? errno : EIO, "tmpcopyup `%s`", name);
    left -= n;
  }
  return 0;
}

static int copy_tree(int from, int to, int depth, struct vessel_error *err)
{
  if (depth > COPYUP_MAX_DEPTH)
    return vessel_error_set(err, ELOOP, "tmpcopyup: directories nested too deep");
  int dupfd = dup(from);
  DIR *d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
  if (!d) {
    if (dupfd >= 0)
      close(dupfd);
    return vessel_error_set(err, errno, "tmpcopyup: read directory");
  }
  _cleanup_closedir_ DIR *dir = d;
  struct dirent *e;
  while ((e = readdir(dir))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return vessel_error_set(err, errno, "tmpcopyup `%s`", e->d_name);
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(to, e->d_name, st.st_mode & 07777) < 0)
        return vessel_error_set(err, errno, "tmpcopyup `%s`", e->d_name);
      _cleanup_close_ int sf =
          openat(from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      _cleanup_close_ int tf =
          openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sf < 0 || tf < 0)
        return vessel_error_set(err, errno, "tmpcopyup `%s`", e->d_name);
      if (copy_tree(sf, tf, depth + 1, err) < 0)
        return -1;
    } else if (S_ISREG(st.st_mode)) {
      if (copy_file(from, to, e->d_name, &st, err) < 0)
        return -1;
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(from, e->d_name, target, sizeof target - 1);
      if (n < 0)
        return vessel_error_set(err, errno, "tmpcopyup `%s`", e->d_name);
      target[n] = '\0';
      if (symlinkat(target, to, e->d_name) < 0)
        return vessel_error_set(err, errno, "tmpcopyup `%s`", e->d_name);
    } else {
      continue; /* devices, fifos, sockets are not copied */
    }
    if (fchownat(to, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
      return vessel_error_set(err, errno, "tmpcopyup: chown `%s`", e->d_name);
  }
  return 0;
}

int copyup_tree(int from_dir, int to_dir, struct vessel_error *err)
{
  return copy_tree(from_dir, to_dir, 0, err);
}
