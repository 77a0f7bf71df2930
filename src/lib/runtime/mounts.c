/* Mounts of the spec into the container root, and the root's own life:
 * propagation, pivot_root, masked/read-only paths, read-only root. */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>

#include "copyup.h"
#include "devices.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define ATTR_ATIME_MASK (MOUNT_ATTR__ATIME)

/* MS_* flags that mount_setattr can set, and their MOUNT_ATTR_* twins. */
static const struct {
  unsigned long ms;
  uint64_t attr;
} attr_map[] = {
    {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
    {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
};

static void flags_to_attr(unsigned long set, unsigned long clr, struct mount_attr *a)
{
  for (size_t i = 0; i < ARRAY_SIZE(attr_map); i++) {
    if (set & attr_map[i].ms)
      a->attr_set |= attr_map[i].attr;
    if (clr & attr_map[i].ms)
      a->attr_clr |= attr_map[i].attr;
  }
  /* atime modes are one field: setting one clears the others */
  if (set & MS_NOATIME) {
    a->attr_clr |= ATTR_ATIME_MASK;
    a->attr_set |= MOUNT_ATTR_NOATIME;
  } else if (set & MS_STRICTATIME) {
    a->attr_clr |= ATTR_ATIME_MASK;
    a->attr_set |= MOUNT_ATTR_STRICTATIME;
  } else if (set & MS_RELATIME) {
    a->attr_clr |= ATTR_ATIME_MASK;
    a->attr_set |= MOUNT_ATTR_RELATIME;
  }
}

int mount_move_to(int tree_fd, int dst_fd, struct vessel_error *err)
{
  if (move_mount(tree_fd, "", dst_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return vessel_error_set(err, errno, "move_mount");
  return 0;
}

int mount_bind_fd(const char *src, int dst_fd, bool recursive, struct vessel_error *err)
{
  _cleanup_close_ int tree = open_tree(
      AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0)
    return vessel_error_set(err, errno, "bind `%s`", src);
  if (mount_move_to(tree, dst_fd, err) < 0)
    return vessel_error_prefix(err, "bind `%s`", src);
  return 0;
}

int rootfs_prepare(const struct init_config *c, struct vessel_error *err)
{
  unsigned long prop = c->spec->linux_.rootfs_propagation;
  if (!prop)
    prop = MS_SLAVE | MS_REC;
  /* keep our mounts from reaching the host: the whole tree goes slave (or
   * what the spec asks) before anything is mounted */
  if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
    return vessel_error_set(err, errno, "make `/` %s", (prop & MS_SHARED) ? "shared" : "slave");
  /* pivot_root needs the new root to be a mount point */
  _cleanup_close_ int tree =
      open_tree(AT_FDCWD, c->rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    return vessel_error_set(err, errno, "bind rootfs `%s`", c->rootfs);
  if (move_mount(tree, "", AT_FDCWD, c->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return vessel_error_set(err, errno, "bind rootfs `%s`", c->rootfs);
  /* a shared rootfsPropagation must reach the new mount too */
  if ((prop & (MS_SHARED | MS_PRIVATE | MS_UNBINDABLE)) &&
      mount(NULL, c->rootfs, NULL, prop, NULL) < 0)
    return vessel_error_set(err, errno, "set propagation of `%s`", c->rootfs);
  int fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open rootfs `%s`", c->rootfs);
  return fd;
}

/* /proc, /sys and /dev are where escapes start: they must be real directories
 * of the rootfs (CVE-2019-16884, CVE-2025-52565). */
static int check_special_dest(int rootfd, const char *dest, struct vessel_error *err)
{
  static const char *const special[] = {"/proc", "/sys", "/dev"};
  for (size_t i = 0; i < ARRAY_SIZE(special); i++) {
    size_t n = strlen(special[i]);
    if (strncmp(dest, special[i], n) != 0 || (dest[n] != '\0' && dest[n] != '/'))
      continue;
    struct stat st;
    if (fstatat(rootfd, special[i] + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
      return vessel_error_set(err, ELOOP, "`%s` in the rootfs is a symlink", special[i]);
  }
  return 0;
}

static const char *bind_source(const struct init_config *c, const char *src, char buf[PATH_MAX])
{
  if (src[0] == '/')
    return src;
  snprintf(buf, PATH_MAX, "%s/%s", c->bundle, src);
  return buf;
}

static int mount_bind(const struct init_config *c, const struct spec_mount *m, int userns, int dst,
                      struct vessel_error *err)
{
  char buf[PATH_MAX];
  const char *src = bind_source(c, m->source ? m->source : "", buf);
  _cleanup_close_ int tree =
      open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->rbind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return vessel_error_set(err, errno, "bind `%s`", src);
  /* flags apply to the top mount; the r* options to the whole tree */
  struct mount_attr top = {0};
  flags_to_attr(m->flags, m->clear_flags, &top);
  if ((top.attr_set || top.attr_clr) &&
      mount_setattr(tree, "", AT_EMPTY_PATH, &top, sizeof top) < 0)
    return vessel_error_set(err, errno, "set options of bind `%s`", src);
  if (m->attr_set || m->attr_clr) {
    struct mount_attr rec = {.attr_set = m->attr_set, .attr_clr = m->attr_clr};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &rec, sizeof rec) < 0)
      return vessel_error_set(err, errno, "set recursive options of bind `%s`", src);
  }
  if (userns >= 0) {
    /* ids as the mapping says, on the top mount or (ridmap) the whole tree */
    struct mount_attr id = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (m->ridmap ? AT_RECURSIVE : 0), &id, sizeof id) < 0)
      return vessel_error_set(err, errno, "idmap bind `%s`", src);
  }
  if (mount_move_to(tree, dst, err) < 0)
    return vessel_error_prefix(err, "bind `%s`", src);
  return 0;
}

/* The cgroup mount on v1/hybrid: a tmpfs with the container's own cgroup dir
 * of every hierarchy bound under it, so it sees only its cgroup. */
static int mount_cgroup_v1(const struct init_config *c, int rootfd, const struct spec_mount *m,
                           int dst, struct vessel_error *err)
{
  char fdp[32];
  if (mount("tmpfs", fs_fd_path(dst, fdp), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") <
      0)
    return vessel_error_set(err, errno, "mount tmpfs on `%s`", m->destination);
  /* the fd still names the directory below the new tmpfs: resolve again */
  _cleanup_close_ int top = fs_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
  if (top < 0)
    return -1;
  _cleanup_closedir_ DIR *d = opendir("/sys/fs/cgroup");
  if (!d)
    return vessel_error_set(err, errno, "open `/sys/fs/cgroup`");
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/sys/fs/cgroup/%s", e->d_name);
    if (e->d_type == DT_LNK) {
      char target[PATH_MAX];
      ssize_t n = readlink(path, target, sizeof target - 1);
      if (n > 0) {
        target[n] = '\0';
        symlinkat(target, top, e->d_name);
      }
      continue;
    }
    if (e->d_type != DT_DIR)
      continue;
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s%s", path, c->cgroup_path ? c->cgroup_path : "");
    _cleanup_close_ int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0 && errno == ENOENT)
      continue; /* a hierarchy the container has no cgroup in */
    if (tree < 0)
      return vessel_error_set(err, errno, "bind `%s`", src);
    if (mkdirat(top, e->d_name, 0755) < 0 && errno != EEXIST)
      return vessel_error_set(err, errno, "mkdir `%s/%s`", m->destination, e->d_name);
    _cleanup_close_ int sub = openat(top, e->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
      return vessel_error_set(err, errno, "open `%s/%s`", m->destination, e->d_name);
    if (mount_move_to(tree, sub, err) < 0)
      return vessel_error_prefix(err, "bind `%s`", src);
  }
  /* one pass over the tmpfs and every bind below it */
  struct mount_attr a = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                                     ((m->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0)};
  if (mount_setattr(top, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
    return vessel_error_set(err, errno, "set options of `%s`", m->destination);
  return 0;
}

static int mount_cgroup(const struct init_config *c, int rootfd, const struct spec_mount *m,
                        int dst, struct vessel_error *err)
{
  if (c->cgroup_mode != CGROUP_MODE_V2)
    return mount_cgroup_v1(c, rootfd, m, dst, err);
  char fdp[32];
  unsigned long flags = (m->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~MS_BIND;
  if (c->clone_flags & CLONE_NEWCGROUP || c->unshare_cgroupns) {
    if (mount("cgroup2", fs_fd_path(dst, fdp), "cgroup2", flags, NULL) == 0)
      return 0;
    if (errno != EPERM && errno != EBUSY)
      return vessel_error_set(err, errno, "mount cgroup2 on `%s`", m->destination);
  }
  /* without a cgroup namespace: the container's own cgroup only */
  char src[PATH_MAX];
  snprintf(src, sizeof src, "/sys/fs/cgroup%s", c->cgroup_path ? c->cgroup_path : "");
  _cleanup_close_ int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return vessel_error_set(err, errno, "bind `%s`", src);
  struct mount_attr a = {0};
  flags_to_attr(flags, 0, &a);
  if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
    return vessel_error_set(err, errno, "set options of `%s`", src);
  return mount_move_to(tree, dst, err);
}

static bool is_bind(const struct spec_mount *m)
{
  return m->bind || (m->type && strcmp(m->type, "bind") == 0);
}

static int mount_one(const struct init_config *c, int rootfd, const struct spec_mount *m,
                     struct vessel_error *err)
{
  int userns = c->idmap_fds ? c->idmap_fds[m - c->spec->mounts] : -1;
  if ((m->idmap || m->ridmap) && !is_bind(m))
    return vessel_error_set(err, ENOTSUP, "idmap is only for bind mounts");
  if (strcmp(m->destination, "/proc") == 0 && (!m->type || strcmp(m->type, "proc") != 0))
    return vessel_error_set(err, EINVAL, "only procfs may be mounted on `/proc`");
  if (check_special_dest(rootfd, m->destination, err) < 0)
    return -1;
  bool bind = is_bind(m);
  bool file = false;
  if (bind) {
    char buf[PATH_MAX];
    const char *src = bind_source(c, m->source ? m->source : "", buf);
    struct stat st;
    if (stat(src, &st) < 0)
      return vessel_error_set(err, errno, "bind source `%s`", src);
    file = !S_ISDIR(st.st_mode);
  }
  _cleanup_close_ int dst = fs_mkpath_in_root(rootfd, m->destination, 0755, file, err);
  if (dst < 0)
    return -1;
  if (bind)
    return mount_bind(c, m, userns, dst, err);
  const char *type = m->type ? m->type : "none";
  if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0)
    return mount_cgroup(c, rootfd, m, dst, err);
  char fdp[32];
  unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  const char *src = m->source ? m->source : type;
  _cleanup_close_ int below = -1;
  if (m->tmpcopyup) {
    if (strcmp(type, "tmpfs") != 0)
      return vessel_error_set(err, EINVAL, "tmpcopyup is only for tmpfs");
    below = fs_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
    if (below < 0)
      return -1;
  }
  if (mount(src, fs_fd_path(dst, fdp), type, flags & ~(m->tmpcopyup ? MS_RDONLY : 0), m->data) <
      0) {
    int e = errno;
    /* sysfs needs its own network namespace under a user namespace: fall
     * back to the host's /sys, read-only as asked */
    if (strcmp(type, "sysfs") == 0 && (e == EPERM || e == EBUSY)) {
      _cleanup_close_ int tree =
          open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
      if (tree < 0)
        return vessel_error_set(err, errno, "bind `/sys`");
      struct mount_attr a = {0};
      flags_to_attr(flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, &a);
      if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
        return vessel_error_set(err, errno, "set options of `/sys`");
      return mount_move_to(tree, dst, err);
    }
    return vessel_error_set(err, e, "mount %s on `%s`", type, m->destination);
  }
  if (below >= 0) {
    _cleanup_close_ int top =
        fs_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
    if (top < 0 || copyup_tree(below, top, err) < 0)
      return -1;
    if (flags & MS_RDONLY) {
      struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
      if (mount_setattr(top, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
        return vessel_error_set(err, errno, "make `%s` read-only", m->destination);
    }
  }
  if (m->propagation || m->attr_set || m->attr_clr) {
    _cleanup_close_ int top = fs_open_in_root(rootfd, m->destination, O_PATH, 0, err);
    if (top < 0)
      return -1;
    struct mount_attr a = {
        .attr_set = m->attr_set, .attr_clr = m->attr_clr, .propagation = m->propagation & ~MS_REC};
    if (mount_setattr(
            top, "",
            AT_EMPTY_PATH |
                ((m->propagation & MS_REC) || m->attr_set || m->attr_clr ? AT_RECURSIVE : 0),
            &a, sizeof a) < 0)
      return vessel_error_set(err, errno, "set options of `%s`", m->destination);
  }
  return 0;
}

int mounts_apply(const struct init_config *c, int rootfd, struct vessel_error *err)
{
  const struct spec *s = c->spec;
  for (size_t i = 0; i < s->n_mounts; i++) {
    if (mount_one(c, rootfd, &s->mounts[i], err) < 0)
      return vessel_error_prefix(err, "mounts[%zu] `%s`", i, s->mounts[i].destination);
  }
  return 0;
}

int rootfs_pivot(int rootfd, bool no_pivot, struct vessel_error *err)
{
  if (fchdir(rootfd) < 0)
    return vessel_error_set(err, errno, "chdir to rootfs");
  if (no_pivot) {
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
      return vessel_error_set(err, errno, "move rootfs to `/`");
    if (chroot(".") < 0)
      return vessel_error_set(err, errno, "chroot");
  } else {
    /* pivot_root(".", ".") stacks the old root under the new one; detach it
     * after making it slave so the unmount does not reach the host */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
      return vessel_error_set(err, errno, "pivot_root");
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
      return vessel_error_set(err, errno, "make old root slave");
    if (umount2(".", MNT_DETACH) < 0)
      return vessel_error_set(err, errno, "detach old root");
  }
  if (chdir("/") < 0)
    return vessel_error_set(err, errno, "chdir `/`");
  return 0;
}

/* Writes sysctls through /proc/sys only after checking it is procfs. */
static int apply_sysctl(const struct spec_linux *l, struct vessel_error *err)
{
  if (!l->n_sysctl)
    return 0;
  _cleanup_close_ int sys = open("/proc/sys", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct statfs sfs;
  if (sys < 0 || fstatfs(sys, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return vessel_error_set(err, sys < 0 ? errno : EXDEV, "sysctl: `/proc/sys` is not procfs");
  for (size_t i = 0; i < l->n_sysctl; i++) {
    char key[PATH_MAX];
    snprintf(key, sizeof key, "%s", l->sysctl[i].key);
    if (strstr(key, "..") || key[0] == '/' || key[0] == '.')
      return vessel_error_set(err, EINVAL, "sysctl `%s`: invalid name", l->sysctl[i].key);
    for (char *p = key; *p; p++)
      if (*p == '.')
        *p = '/';
    _cleanup_close_ int fd = fs_open_in_root(sys, key, O_WRONLY, 0, err);
    if (fd < 0)
      return vessel_error_prefix(err, "sysctl `%s`", l->sysctl[i].key);
    const char *v = l->sysctl[i].value;
    if (write(fd, v, strlen(v)) < 0)
      return vessel_error_set(err, errno, "sysctl `%s` = `%s`", l->sysctl[i].key, v);
  }
  return 0;
}

/* /dev/null of the container, checked to be the real char device 1:3 before
 * it is bound over anything (CVE-2025-31133). */
static int open_dev_null(struct vessel_error *err)
{
  int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return vessel_error_set(err, errno, "open `/dev/null`");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
    close(fd);
    return vessel_error_set(err, EPERM, "`/dev/null` is not the null device");
  }
  return fd;
}

static int mask_paths(char **paths, struct vessel_error *err)
{
  if (!paths || !paths[0])
    return 0;
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int null = -1;
  for (size_t i = 0; paths[i]; i++) {
    struct vessel_error ignore;
    _cleanup_close_ int fd = fs_open_in_root(root, paths[i], O_PATH | O_NOFOLLOW, 0, &ignore);
    if (fd < 0)
      continue; /* absent paths need no mask */
    struct stat st;
    if (fstat(fd, &st) < 0)
      return vessel_error_set(err, errno, "mask `%s`", paths[i]);
    char fdp[32];
    if (S_ISDIR(st.st_mode)) {
      /* an empty read-only tmpfs, readable as any empty dir is */
      if (mount("tmpfs", fs_fd_path(fd, fdp), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                NULL) < 0)
        return vessel_error_set(err, errno, "mask `%s`", paths[i]);
      continue;
    }
    if (null < 0 && (null = open_dev_null(err)) < 0)
      return vessel_error_prefix(err, "mask `%s`", paths[i]);
    _cleanup_close_ int tree =
        open_tree(null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (tree < 0 || mount_move_to(tree, fd, err) < 0)
      return vessel_error_set(err, errno, "mask `%s`", paths[i]);
  }
  return 0;
}

static int readonly_paths(char **paths, struct vessel_error *err)
{
  if (!paths || !paths[0])
    return 0;
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; paths[i]; i++) {
    struct vessel_error ignore;
    _cleanup_close_ int fd = fs_open_in_root(root, paths[i], O_PATH | O_NOFOLLOW, 0, &ignore);
    if (fd < 0)
      continue;
    _cleanup_close_ int tree =
        open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0)
      return vessel_error_set(err, errno, "read-only `%s`", paths[i]);
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                       MOUNT_ATTR_NOEXEC};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
      return vessel_error_set(err, errno, "read-only `%s`", paths[i]);
    if (mount_move_to(tree, fd, err) < 0)
      return vessel_error_prefix(err, "read-only `%s`", paths[i]);
  }
  return 0;
}

int rootfs_finish(const struct init_config *c, struct vessel_error *err)
{
  const struct spec_linux *l = &c->spec->linux_;
  if (apply_sysctl(l, err) < 0)
    return -1;
  if (mask_paths(l->masked_paths, err) < 0)
    return -1;
  if (readonly_paths(l->readonly_paths, err) < 0)
    return -1;
  if (c->spec->root_readonly) {
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof a) < 0)
      return vessel_error_set(err, errno, "make the root read-only");
  }
  return 0;
}
