/* Device nodes and /dev symlinks inside the container root. */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mounts.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const struct {
  const char *path;
  unsigned maj, min;
} default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
  const char *target, *name;
} dev_links[] = {
    {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
    {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
};

/* Creates one node; the parent is resolved inside the root and the node made
 * with mknodat on the parent's fd. */
static int make_node(int rootfd, const char *path, mode_t mode, dev_t dev, uid_t uid, gid_t gid,
                     bool chown_it, bool in_userns, struct vessel_error *err)
{
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  char *slash = strrchr(buf, '/');
  if (!slash || slash[1] == '\0')
    return vessel_error_set(err, EINVAL, "device path `%s`", path);
  *slash = '\0';
  const char *name = slash + 1;
  _cleanup_close_ int parent = fs_mkpath_in_root(rootfd, buf[0] ? buf : "/", 0755, false, err);
  if (parent < 0)
    return vessel_error_prefix(err, "device `%s`", path);
  /* a node already there (from the image or an earlier entry) is replaced */
  unlinkat(parent, name, 0);
  if (!in_userns || S_ISFIFO(mode)) {
    if (mknodat(parent, name, mode, dev) < 0)
      return vessel_error_set(err, errno, "mknod `%s`", path);
  } else {
    /* no mknod in a user namespace: bind the host node over an empty file */
    int f = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0)
      return vessel_error_set(err, errno, "create `%s`", path);
    close(f);
    _cleanup_close_ int dst = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (dst < 0 || mount_bind_fd(path, dst, false, err) < 0)
      return vessel_error_set(err, errno, "bind device `%s`", path);
    return 0;
  }
  if (chown_it && fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return vessel_error_set(err, errno, "chown `%s`", path);
  return 0;
}

static bool dev_is_bind(const struct spec *s)
{
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct spec_mount *m = &s->mounts[i];
    if (strcmp(m->destination, "/dev") == 0)
      return m->bind || (m->type && strcmp(m->type, "bind") == 0);
  }
  return false;
}

int devices_create(int rootfd, const struct spec *s, bool in_userns, struct vessel_error *err)
{
  /* a /dev bound from the host already has its nodes */
  bool defaults = !dev_is_bind(s);
  mode_t old = umask(0);
  int r = 0;
  if (defaults) {
    for (size_t i = 0; i < ARRAY_SIZE(default_devices) && r == 0; i++)
      r = make_node(rootfd, default_devices[i].path, S_IFCHR | 0666,
                    makedev(default_devices[i].maj, default_devices[i].min), 0, 0, false, in_userns,
                    err);
  }
  for (size_t i = 0; i < s->linux_.n_devices && r == 0; i++) {
    const struct spec_device *d = &s->linux_.devices[i];
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    mode_t perm = d->file_mode.set ? (mode_t)(d->file_mode.v & 07777) : 0666;
    r = make_node(rootfd, d->path, type | perm, makedev((unsigned)d->major, (unsigned)d->minor),
                  d->uid.set ? (uid_t)d->uid.v : 0, d->gid.set ? (gid_t)d->gid.v : 0,
                  d->uid.set || d->gid.set, in_userns, err);
    if (r < 0)
      vessel_error_prefix(err, "linux.devices[%zu]", i);
  }
  umask(old);
  if (r < 0 || !defaults)
    return r;
  _cleanup_close_ int dev = fs_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
  if (dev < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++) {
    if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0 && errno != EEXIST)
      return vessel_error_set(err, errno, "symlink `/dev/%s`", dev_links[i].name);
  }
  /* /dev/core only where the kernel has /proc/kcore, as runc does */
  if (access("/proc/kcore", F_OK) == 0)
    symlinkat("/proc/kcore", dev, "core");
  return 0;
}
