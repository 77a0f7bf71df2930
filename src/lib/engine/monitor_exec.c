/* Handing a detached container over to the vessel-monitor program. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/monitor.h"
#include "util/log.h"
#include "util/selfclone.h"

/* The fd survives the exec (it is ours, and vessel-monitor closes it on
 * exec again). */
static bool keep(int fd)
{
  return fd < 0 || fcntl(fd, F_SETFD, 0) == 0;
}

void monitor_exec(const struct engine *e, const char *vessel_exe, int dirfd, int lock_fd,
                  int ready_fd, const char *id, bool made)
{
  char path[PATH_MAX];
  if (!vessel_exe[0] || !monitor_program_path("VESSEL_MONITOR", "vessel-monitor", vessel_exe, path))
    return;
  char fds[3][16];
  snprintf(fds[0], sizeof fds[0], "%d", dirfd);
  snprintf(fds[1], sizeof fds[1], "%d", lock_fd);
  snprintf(fds[2], sizeof fds[2], "%d", ready_fd);
  if (!keep(dirfd) || !keep(lock_fd) || !keep(ready_fd))
    return;
  const char *argv[] = {"vessel-monitor",
                        id,
                        fds[0],
                        fds[1],
                        fds[2],
                        e->runtime_root,
                        vessel_exe,
                        e->root,
                        e->runroot,
                        made ? "made" : "started",
                        NULL};
  /* without malloc's per-thread cache, what a start frees is whole pages
   * that monitor_trim gives back (measured: 60 KiB of heap down to 20) */
  if (!getenv("GLIBC_TUNABLES"))
    setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 0);
  /* protected, as restarts start the container's process from it */
  selfclone_exec(path, (char *const *)argv);
  execv(path, (char *const *)argv);
  log_debug("exec `%s`: monitoring in-process", path);
  fcntl(dirfd, F_SETFD, FD_CLOEXEC);
  fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
  if (ready_fd >= 0)
    fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
}
