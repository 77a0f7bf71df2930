/* Removing a container directory: a walk by fds that never follows a
 * symlink, since the upper dir holds whatever the container wrote. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"

#define REMOVE_MAX_DEPTH 4096

static int remove_at(int parent, const char *name, int depth)
{
  if (depth > REMOVE_MAX_DEPTH)
    return -ELOOP;
  if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return -errno;
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    return -e;
  }
  int r = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    int q = remove_at(dirfd(d), de->d_name, depth + 1);
    if (q < 0 && r == 0)
      r = q;
  }
  if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
    r = -errno;
  return r;
}

int engine_remove_tree(int parent, const char *name, struct vessel_error *err)
{
  int r = remove_at(parent, name, 0);
  if (r < 0)
    return vessel_error_set(err, -r, "remove `%s`", name);
  return 0;
}
