/* Spare parts of container directories (spares.h). */
#include "engine/spares.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"

#define SPARES ".spares"
#define SLOTS 4 /* as many runs at once keep and take them */

static const struct part {
  const char *name;
  mode_t mode; /* as run.c's make_dir (less the umask) or etc_files.c makes it */
} parts[] = {
    /* upper first: moving it claims a slot, and takes one */
    {"upper", S_IFDIR | 0755},    {"work", S_IFDIR | 0700},  {"rootfs", S_IFDIR | 0755},
    {"hostname", S_IFREG | 0644}, {"hosts", S_IFREG | 0644}, {"resolv.conf", S_IFREG | 0644},
};

/* Renames part i of a slot (<slot>.<part> in the spares) to or from the
 * container directory dirfd, never over anything. */
static int move(int spares, int dirfd, int slot, size_t i, bool to_spares)
{
  char name[32];
  snprintf(name, sizeof name, "%d.%s", slot, parts[i].name);
  return to_spares ? renameat2(dirfd, parts[i].name, spares, name, RENAME_NOREPLACE)
                   : renameat2(spares, name, dirfd, parts[i].name, RENAME_NOREPLACE);
}

void spares_take(int containers_fd, int dirfd)
{
  _cleanup_close_ int spares =
      openat(containers_fd, SPARES, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (spares < 0)
    return;
  for (int slot = 0; slot < SLOTS; slot++) {
    if (move(spares, dirfd, slot, 0, false) < 0)
      continue;
    for (size_t i = 1; i < ARRAY_SIZE(parts); i++)
      move(spares, dirfd, slot, i, false);
    return;
  }
}

static bool empty_dir(int parent, const char *name)
{
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return false;
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return false;
  }
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      return false;
  return true;
}

/* Ours, its mode as made, on the container directory's filesystem (nothing
 * mounted on it); a directory empty, a file not linked elsewhere (its text
 * the next container writes over). */
static bool as_made(int dirfd, const struct stat *dir, const struct part *p, mode_t umask_now)
{
  struct stat st;
  mode_t want = S_ISDIR(p->mode) ? p->mode & ~umask_now : p->mode;
  if (fstatat(dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_mode != want ||
      st.st_uid != geteuid() || st.st_gid != getegid() || st.st_dev != dir->st_dev)
    return false;
  if (S_ISREG(p->mode))
    return st.st_nlink == 1;
  if (strcmp(p->name, "work") == 0) {
    _cleanup_close_ int work =
        openat(dirfd, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct vessel_error ignored;
    if (work < 0 || engine_remove_tree(work, "work", &ignored) < 0) /* the overlay's own */
      return false;
  }
  return empty_dir(dirfd, p->name);
}

void spares_keep(int containers_fd, const char *id, int dirfd)
{
  struct stat dir, named;
  /* still the container's: not taken away by an rm -f meanwhile */
  if (fstat(dirfd, &dir) < 0 || fstatat(containers_fd, id, &named, AT_SYMLINK_NOFOLLOW) < 0 ||
      dir.st_ino != named.st_ino || dir.st_dev != named.st_dev)
    return;
  mode_t umask_now = umask(0);
  umask(umask_now);
  if (!as_made(dirfd, &dir, &parts[0], umask_now))
    return;
  if (mkdirat(containers_fd, SPARES, 0700) < 0 && errno != EEXIST)
    return;
  _cleanup_close_ int spares =
      openat(containers_fd, SPARES, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (spares < 0)
    return;
  for (int slot = 0; slot < SLOTS; slot++) {
    if (move(spares, dirfd, slot, 0, true) < 0)
      continue;
    for (size_t i = 1; i < ARRAY_SIZE(parts); i++)
      if (as_made(dirfd, &dir, &parts[i], umask_now))
        move(spares, dirfd, slot, i, true);
    return;
  }
}

int spares_prune(int containers_fd, struct vessel_error *err)
{
  /* containers are made under this lock, shared: none takes a spare while
   * they are removed */
  _cleanup_close_ int creating =
      openat(containers_fd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (creating < 0)
    return vessel_error_set(err, errno, "open the containers' lock");
  while (flock(creating, LOCK_EX) < 0)
    if (errno != EINTR)
      return vessel_error_set(err, errno, "lock the containers");
  return engine_remove_tree(containers_fd, SPARES, err);
}
