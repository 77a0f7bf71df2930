/* vessel cp. The container's side is opened from its root fd with
 * RESOLVE_IN_ROOT (a symlink in the container can never lead to the host);
 * below the top, every entry is opened relative to its parent's fd with
 * O_NOFOLLOW, and symlinks are copied as symlinks, never followed. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/cp.h"
#include "engine/cp_internal.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define CP_BUF (128 * 1024)

struct cp_ctx {
  const struct engine_cp_opts *o;
  char *buf;
};

static int set_meta(const struct cp_ctx *x, int fd, const struct stat *st, const char *name,
                    struct vessel_error *err)
{
  bool chown_it = x->o->archive || x->o->to_container;
  uid_t uid = x->o->archive ? st->st_uid : 0;
  gid_t gid = x->o->archive ? st->st_gid : 0;
  if (chown_it && fchown(fd, uid, gid) < 0)
    return vessel_error_set(err, errno, "chown `%s`", name);
  /* a setuid file of the container's must not become a setuid-root one of
   * the host's: out of a container, only -a keeps those bits */
  mode_t mode = st->st_mode & 07777;
  if (!x->o->to_container && !x->o->archive)
    mode &= ~(mode_t)(S_ISUID | S_ISGID);
  /* after the chown, which clears setuid bits */
  if (fchmod(fd, mode) < 0)
    return vessel_error_set(err, errno, "chmod `%s`", name);
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (futimens(fd, times) < 0)
    return vessel_error_set(err, errno, "set the times of `%s`", name);
  return 0;
}

static int copy_data(struct cp_ctx *x, int in, int out, const char *name, struct vessel_error *err)
{
  for (;;) {
    ssize_t n = read(in, x->buf, CP_BUF);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vessel_error_set(err, errno, "read `%s`", name);
    if (n == 0)
      return 0;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, x->buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return vessel_error_set(err, errno, "write `%s`", name);
      off += w;
    }
  }
}

int cp_clear_target(int dirfd, const char *name, bool want_dir, struct vessel_error *err)
{
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : vessel_error_set(err, errno, "stat `%s`", name);
  if (S_ISDIR(st.st_mode)) {
    if (want_dir)
      return 0;
    return vessel_error_set(err, EISDIR, "cannot overwrite directory `%s` with a non-directory",
                            name);
  }
  if (unlinkat(dirfd, name, 0) < 0)
    return vessel_error_set(err, errno, "replace `%s`", name);
  return 0;
}

static int copy_entry(struct cp_ctx *x, int sdir, const char *sname, int ddir, const char *dname,
                      int depth, struct vessel_error *err);

static int copy_dir(struct cp_ctx *x, int sfd, int dfd, int depth, struct vessel_error *err)
{
  _cleanup_closedir_ DIR *d = fs_opendirat(sfd, ".");
  if (!d)
    return vessel_error_set(err, errno, "read a directory");
  struct dirent *de;
  errno = 0;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (copy_entry(x, sfd, de->d_name, dfd, de->d_name, depth + 1, err) < 0)
      return -1;
    errno = 0;
  }
  if (errno)
    return vessel_error_set(err, errno, "read a directory");
  return 0;
}

/* sdir/sname (never followed) to ddir/dname. */
static int copy_entry(struct cp_ctx *x, int sdir, const char *sname, int ddir, const char *dname,
                      int depth, struct vessel_error *err)
{
  if (depth > CP_DEPTH_MAX)
    return vessel_error_set(err, ELOOP, "`%s`: directories nested deeper than %d", sname,
                            CP_DEPTH_MAX);
  struct stat st;
  if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return vessel_error_set(err, errno, "stat `%s`", sname);
  if (S_ISDIR(st.st_mode)) {
    _cleanup_close_ int sfd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
      return vessel_error_set(err, errno, "open `%s`", sname);
    if (cp_clear_target(ddir, dname, true, err) < 0)
      return -1;
    if (mkdirat(ddir, dname, 0700) < 0 && errno != EEXIST)
      return vessel_error_set(err, errno, "create directory `%s`", dname);
    _cleanup_close_ int dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
      return vessel_error_set(err, errno, "open `%s`", dname);
    if (copy_dir(x, sfd, dfd, depth, err) < 0)
      return -1;
    return set_meta(x, dfd, &st, dname, err);
  }
  if (S_ISREG(st.st_mode)) {
    _cleanup_close_ int sfd = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
      return vessel_error_set(err, errno, "open `%s`", sname);
    if (cp_clear_target(ddir, dname, false, err) < 0)
      return -1;
    _cleanup_close_ int dfd =
        openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (dfd < 0)
      return vessel_error_set(err, errno, "create `%s`", dname);
    if (copy_data(x, sfd, dfd, sname, err) < 0)
      return -1;
    return set_meta(x, dfd, &st, dname, err);
  }
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(sdir, sname, target, sizeof target - 1);
    if (n < 0)
      return vessel_error_set(err, errno, "read link `%s`", sname);
    target[n] = '\0';
    if (cp_clear_target(ddir, dname, false, err) < 0)
      return -1;
    if (symlinkat(target, ddir, dname) < 0)
      return vessel_error_set(err, errno, "create link `%s`", dname);
    bool chown_it = x->o->archive || x->o->to_container;
    if (chown_it && fchownat(ddir, dname, x->o->archive ? st.st_uid : 0,
                             x->o->archive ? st.st_gid : 0, AT_SYMLINK_NOFOLLOW) < 0)
      return vessel_error_set(err, errno, "chown `%s`", dname);
    return 0;
  }
  if (S_ISFIFO(st.st_mode)) {
    if (cp_clear_target(ddir, dname, false, err) < 0)
      return -1;
    if (mkfifoat(ddir, dname, st.st_mode & 07777) < 0)
      return vessel_error_set(err, errno, "create fifo `%s`", dname);
    return 0;
  }
  /* devices and sockets: docker's tar keeps devices; a copy between two
   * trust domains has no use for them */
  log_warning("cp: skipped `%s`: not a file, directory, link or fifo", sname);
  return 0;
}

/* path -> parent and last component ("" for the root); "/." at the end
 * asks for the directory's contents. */
struct split {
  char *parent;
  char *base;
  bool contents;       /* ends in "/." */
  bool trailing_slash; /* must be a directory */
};

static int split_path(const char *path, struct split *s, struct vessel_error *err)
{
  size_t len = strlen(path);
  _cleanup_free_ char *p = strdup(path);
  if (!p)
    return vessel_error_set(err, ENOMEM, "cp");
  if (len >= 2 && strcmp(p + len - 2, "/.") == 0) {
    s->contents = true;
    p[len - 1] = '\0';
    len--;
  } else if (strcmp(p, ".") == 0) {
    s->contents = true;
  }
  while (len > 1 && p[len - 1] == '/') {
    s->trailing_slash = true;
    p[--len] = '\0';
  }
  char *slash = strrchr(p, '/');
  if (!slash) {
    s->parent = strdup(".");
    s->base = strdup(p);
  } else if (slash == p && p[1] == '\0') {
    s->parent = strdup("/");
    s->base = strdup(".");
  } else {
    *slash = '\0';
    s->parent = strdup(slash == p ? "/" : p);
    s->base = strdup(slash + 1);
  }
  if (!s->parent || !s->base)
    return vessel_error_set(err, ENOMEM, "cp");
  /* ".." last would be looked up from an fd: from a root's fd it leaves the
   * root (and as a destination name it is no name) */
  if (strcmp(s->base, "..") == 0)
    return vessel_error_set(err, EINVAL, "cp: `%s`: a path may not end in `..`", path);
  if (strcmp(s->base, ".") == 0)
    s->contents = true;
  return 0;
}

static void split_clear(struct split *s)
{
  free(s->parent);
  free(s->base);
}

/* An fd of a directory: the host's (rootfd < 0) or inside the root. */
static int open_dir(int rootfd, const char *path, struct vessel_error *err)
{
  if (rootfd >= 0)
    return fs_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0, err);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s`", path);
  return fd;
}

/* -L: the source s (opened as sdir, its last name *sname, stat *st) is a
 * link: follows it, and the links it names, inside the source's root. */
static int follow_source(int src_root, struct split *s, int *sdir, const char **sname,
                         struct stat *st, struct vessel_error *err)
{
  for (int hops = 0; S_ISLNK(st->st_mode); hops++) {
    char target[PATH_MAX];
    ssize_t n = hops < 40 ? readlinkat(*sdir, *sname, target, sizeof target - 1) : -1;
    if (n < 0)
      return vessel_error_set(err, hops < 40 ? errno : ELOOP, "follow the link `%s`", *sname);
    target[n] = '\0';
    _cleanup_free_ char *next = NULL;
    if (asprintf(&next, "%s%s%s", target[0] == '/' ? "" : s->parent, target[0] == '/' ? "" : "/",
                 target) < 0)
      return vessel_error_set(err, ENOMEM, "cp");
    split_clear(s);
    *s = (struct split){0};
    if (split_path(next, s, err) < 0)
      return -1;
    close(*sdir);
    if ((*sdir = open_dir(src_root, s->contents ? next : s->parent, err)) < 0)
      return -1;
    *sname = s->contents ? "." : s->base;
    if (fstatat(*sdir, *sname, st, AT_SYMLINK_NOFOLLOW) < 0)
      return vessel_error_set(err, errno, "`%s`", next);
  }
  return 0;
}

/* docker cp's rules between an opened source root and the destination. */
static int do_copy(struct cp_ctx *x, int src_root, const char *src, int dst_root, const char *dst,
                   struct vessel_error *err)
{
  struct split s = {0}, d = {0};
  int ret = -1;
  _cleanup_close_ int sdir = -1, ddir = -1, whole = -1;
  _cleanup_free_ char *base = NULL;
  if (split_path(src, &s, err) < 0 || split_path(dst, &d, err) < 0)
    goto out;
  /* SRC/ and SRC/. name the directory SRC resolves to (links followed
   * inside the root); else SRC itself, a link copied as a link */
  bool via_dir = s.contents || s.trailing_slash || strcmp(s.base, ".") == 0;
  const char *sname = via_dir ? "." : s.base;
  if ((sdir = open_dir(src_root, via_dir ? src : s.parent, err)) < 0)
    goto out;
  struct stat sst;
  if (fstatat(sdir, sname, &sst, AT_SYMLINK_NOFOLLOW) < 0) {
    vessel_error_set(err, errno, "`%s`", src);
    goto out;
  }
  /* what the copy is named: the link's name, also when it is followed */
  if (!(base = strdup(s.base))) {
    vessel_error_set(err, ENOMEM, "cp");
    goto out;
  }
  if (x->o->follow && follow_source(src_root, &s, &sdir, &sname, &sst, err) < 0)
    goto out;
  bool src_dir = S_ISDIR(sst.st_mode);
  /* the destination: an existing directory takes the source inside it */
  whole = dst_root >= 0 ? fs_open_in_root(dst_root, dst, O_RDONLY | O_DIRECTORY, 0, NULL)
                        : open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (whole >= 0) {
    if (src_dir && s.contents)
      ret = copy_dir(x, sdir, whole, 0, err);
    else
      ret = copy_entry(x, sdir, sname, whole, strcmp(base, ".") == 0 ? "root" : base, 0, err);
    goto out;
  }
  if (d.trailing_slash && !src_dir) {
    vessel_error_set(err, ENOENT, "destination directory `%s` does not exist", dst);
    goto out;
  }
  if ((ddir = open_dir(dst_root, d.parent, err)) < 0)
    goto out;
  struct stat dst_st;
  if (src_dir && fstatat(ddir, d.base, &dst_st, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISDIR(dst_st.st_mode)) {
    vessel_error_set(err, ENOTDIR, "cannot copy a directory to a file `%s`", dst);
    goto out;
  }
  ret = copy_entry(x, sdir, sname, ddir, d.base, 0, err);
out:
  split_clear(&s);
  split_clear(&d);
  return ret;
}

/* cp with `-`: a tar stream in or out. Into the container the destination
 * must be a directory, as docker wants. */
static int do_tar(const struct engine_cp_opts *o, int rootfd, const char *cpath,
                  struct vessel_error *err)
{
  if (o->to_container) {
    _cleanup_close_ int dfd = fs_open_in_root(rootfd, cpath, O_RDONLY | O_DIRECTORY, 0, err);
    if (dfd < 0)
      return vessel_error_prefix(err, "cp: the destination must be a directory");
    return cp_tar_read(o->tar_fd, dfd, o->archive, err);
  }
  struct split s = {0};
  int ret = -1;
  _cleanup_free_ char *base = NULL;
  if (split_path(cpath, &s, err) == 0 && (base = strdup(s.base))) {
    bool via_dir = s.contents || s.trailing_slash || strcmp(s.base, ".") == 0;
    const char *sname = via_dir ? "." : s.base;
    int sdir = open_dir(rootfd, via_dir ? cpath : s.parent, err);
    struct stat st;
    if (sdir >= 0 && o->follow && fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        follow_source(rootfd, &s, &sdir, &sname, &st, err) < 0) {
      close(sdir);
      sdir = -1;
    }
    if (sdir >= 0) {
      ret = cp_tar_write(sdir, sname, base, o->tar_fd, err);
      close(sdir);
    }
  }
  split_clear(&s);
  return ret;
}

/* The root of a running container: its init's, through /proc, checked to
 * still be the container's once open (the pid could have been reused). */
static int running_root(struct engine *e, const struct engine_container *c,
                        struct vessel_error *err)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/root", (int)c->pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open the root of `%s`", c->name);
  struct engine_container again = {0};
  bool same = engine_lookup(e, c->id, &again, err) == 0 && again.pid == c->pid &&
              (again.state == ENGINE_RUNNING || again.state == ENGINE_PAUSED);
  engine_container_clear(&again);
  if (!same)
    return vessel_error_set(err, EAGAIN, "container `%s` stopped during cp: try again", c->name);
  return TAKE_FD(fd);
}

/* The root of a stopped container: its overlay mounted in a mount
 * namespace of this process's own, under the container's lock so that no
 * start mounts the same upper dir meanwhile. */
static int stopped_root(struct engine *e, const struct engine_container *c, int *lock,
                        struct vessel_error *err)
{
  _cleanup_close_ int dirfd = engine_container_dir(e, c->id, err);
  if (dirfd < 0)
    return -1;
  if (engine_container_busy(dirfd, lock) || *lock < 0)
    return vessel_error_set(err, EBUSY, "container `%s` is starting: try again", c->name);
  struct image_config cfg = {0};
  struct image_info info = {0};
  char **layers = NULL;
  _cleanup_free_ char *upper = NULL, *work = NULL, *rootfs = NULL;
  int ret = -1;
  if (engine_container_image(e, c, &cfg, &layers, &info, err) < 0)
    goto out;
  if (asprintf(&upper, "%s/containers/%s/upper", e->root, c->id) < 0 ||
      asprintf(&work, "%s/containers/%s/work", e->root, c->id) < 0 ||
      asprintf(&rootfs, "%s/containers/%s/rootfs", e->root, c->id) < 0) {
    vessel_error_set(err, ENOMEM, "cp");
    goto out;
  }
  if (rootfs_private_namespace(err) < 0 ||
      rootfs_mount(rootfs, layers, upper, work, false, err) < 0)
    goto out;
  ret = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (ret < 0)
    vessel_error_set(err, errno, "open the root of `%s`", c->name);
  /* the namespace keeps it while the fd is open; nothing else needs it */
  umount2(rootfs, MNT_DETACH);
out:
  image_config_free(&cfg);
  image_info_free(&info);
  strv_free(layers);
  return ret;
}

int engine_cp(struct engine *e, const struct engine_cp_opts *o, struct vessel_error *err)
{
  struct engine_container c = {0};
  _cleanup_close_ int rootfd = -1, lock = -1;
  int ret = -1;
  if (!o->container_path[0] || (o->tar_fd < 0 && (!o->host_path || !o->host_path[0])))
    return vessel_error_set(err, 0, "cp: empty path");
  if (engine_lookup(e, o->container, &c, err) < 0)
    return -1;
  if (c.pid > 0 && (c.state == ENGINE_RUNNING || c.state == ENGINE_PAUSED))
    rootfd = running_root(e, &c, err);
  else
    rootfd = stopped_root(e, &c, &lock, err);
  if (rootfd < 0)
    goto out;
  struct cp_ctx x = {.o = o, .buf = malloc(CP_BUF)};
  if (!x.buf) {
    vessel_error_set(err, ENOMEM, "cp");
    goto out;
  }
  /* a relative container path is taken from its / */
  _cleanup_free_ char *cpath = NULL;
  if (asprintf(&cpath, "%s%s", o->container_path[0] == '/' ? "" : "/", o->container_path) < 0) {
    free(x.buf);
    vessel_error_set(err, ENOMEM, "cp");
    goto out;
  }
  if (o->tar_fd >= 0)
    ret = do_tar(o, rootfd, cpath, err);
  else if (o->to_container)
    ret = do_copy(&x, -1, o->host_path, rootfd, cpath, err);
  else
    ret = do_copy(&x, rootfd, cpath, -1, o->host_path, err);
  free(x.buf);
out:
  engine_container_clear(&c);
  return ret;
}
