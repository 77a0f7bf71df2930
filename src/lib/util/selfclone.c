/* Re-exec through a read-only bind of our own binary (or a sealed memfd copy). */
#include "selfclone.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* The cheap way: exec through a detached, read-only bind mount of the
 * binary. /proc/self/exe then names a file on a read-only mount, so opening
 * it for writing fails (EROFS), and the page cache stays shared: no copy,
 * unlike the memfd (measured: the copy was ~15% of `run`'s CPU). */
void selfclone_exec(const char *path, char *const argv[])
{
  _cleanup_close_ int tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return;
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV};
  if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return;
  execveat(tree, "", argv, environ, AT_EMPTY_PATH);
}

/* sealed, or on a read-only mount: no path can write it */
static bool protected_binary(int self)
{
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return true;
  struct statvfs sv;
  return fstatvfs(self, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

void selfclone_retry(char **argv, struct vessel_error *err)
{
  if (err->code != SELFCLONE_NEEDED)
    return;
  log_debug("%s", err->msg);
  selfclone_ensure(argv, err);
}

bool selfclone_protected(void)
{
  _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  return self >= 0 && protected_binary(self);
}

int selfclone_ensure(char **argv, struct vessel_error *err)
{
  _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return vessel_error_set(err, errno, "open `/proc/self/exe`");
  if (protected_binary(self))
    return 0;
  selfclone_exec("/proc/self/exe", argv);
  /* no mount API or no privilege for it (rootless): the sealed copy */
  struct stat st;
  if (fstat(self, &st) < 0)
    return vessel_error_set(err, errno, "stat `/proc/self/exe`");
  _cleanup_close_ int mem = memfd_create("vessel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0)
    return vessel_error_set(err, errno, "memfd_create");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mem, self, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return vessel_error_set(err, n < 0 ? errno : EIO, "copy the vessel binary");
  }
  if (fcntl(mem, F_ADD_SEALS, SEALS) < 0)
    return vessel_error_set(err, errno, "seal the vessel binary copy");
  execveat(mem, "", argv, environ, AT_EMPTY_PATH);
  return vessel_error_set(err, errno, "re-exec the sealed vessel binary copy");
}
