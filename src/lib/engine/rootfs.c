/* The container's root: an overlayfs of the image's layers and the
 * container's upper dir, mounted in a mount namespace of the engine's own so
 * that the host never sees it and no crash can leave it mounted. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

int rootfs_private_namespace(struct vessel_error *err)
{
  if (unshare(CLONE_NEWNS) < 0)
    return vessel_error_set(err, errno, "unshare the mount namespace");
  /* host mounts still reach us; ours never reach the host */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return vessel_error_set(err, errno, "make the engine's mounts private");
  return 0;
}

/* overlayfs splits lowerdir on ':' and ','; escape nothing: refuse them */
static bool overlay_path_ok(const char *p)
{
  return p[0] == '/' && !strpbrk(p, ":,\\");
}

/* A volatile overlay never syncs its upper dir (its umount took 0.3 ms of
 * every `run --rm`); it leaves work/work/incompat/volatile in the workdir,
 * with which the next mount of the same dirs fails: the overlay's own
 * work/work goes first (each mount makes it anew anyway). */
static int volatile_reset(const char *work, struct vessel_error *err)
{
  _cleanup_close_ int fd = open(work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s`", work);
  if (faccessat(fd, "work/incompat", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  return engine_remove_tree(fd, "work", err);
}

int rootfs_mount(const char *target, char *const *lower, const char *upper, const char *work,
                 bool transient, struct vessel_error *err)
{
  size_t n = strv_length(lower);
  if (n == 0)
    return vessel_error_set(err, 0, "the image has no layers");
  size_t len = 64 + strlen(upper) + strlen(work);
  for (size_t i = 0; i < n; i++) {
    if (!overlay_path_ok(lower[i]))
      return vessel_error_set(err, 0, "layer path `%s` cannot be an overlay lowerdir", lower[i]);
    len += strlen(lower[i]) + 1;
  }
  if (!overlay_path_ok(upper) || !overlay_path_ok(work))
    return vessel_error_set(err, 0, "container path `%s` cannot be an overlay dir", upper);
  _cleanup_free_ char *data = malloc(len);
  if (!data)
    return vessel_error_set(err, ENOMEM, "overlay options");
  /* overlayfs wants the highest layer first */
  char *p = stpcpy(data, "lowerdir=");
  for (size_t i = n; i-- > 0;) {
    p = stpcpy(p, lower[i]);
    if (i > 0)
      p = stpcpy(p, ":");
  }
  sprintf(p, ",upperdir=%s,workdir=%s%s", upper, work, transient ? ",volatile" : "");
  if (strlen(data) >= (size_t)sysconf(_SC_PAGESIZE))
    return vessel_error_set(err, 0, "overlay options for %zu layers exceed a page", n);
  if (volatile_reset(work, err) < 0)
    return -1;
  if (mount("overlay", target, "overlay", MS_NODEV, data) < 0)
    return vessel_error_set(err, errno, "mount the overlay on `%s`", target);
  return 0;
}
