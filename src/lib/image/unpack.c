/* Safe unpacking of one layer tarball: every entry is created relative to
 * the layer's root fd through a walk that never follows a symlink, so no
 * name, symlink or hardlink in the tarball reaches outside the layer. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image-internal.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/log.h"

#define MAX_DEPTH 128
#define MAX_ENTRIES 1000000ULL
#define MAX_TOTAL (64ULL << 30)
#define MAX_PATH_LEN 4096
#define READ_BLOCK (1 << 20)
#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

/* Directory fds of the current parent path, one per depth, so consecutive
 * entries of one directory cost no walk. */
struct walk {
  int root;
  size_t depth;
  int fds[MAX_DEPTH];
  char *names[MAX_DEPTH];
};

static void walk_reset(struct walk *w)
{
  for (size_t i = 0; i < w->depth; i++) {
    close(w->fds[i]);
    free(w->names[i]);
  }
  w->depth = 0;
}

/* Splits a tar name into components: a leading "/" is dropped like tar does,
 * "." and empty components vanish, ".." is refused. Returns the count. */
static int split_name(char *name, char **comp, struct vessel_error *err, const char *orig)
{
  int n = 0;
  char *save = NULL;
  for (char *c = strtok_r(name, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0)
      continue;
    if (strcmp(c, "..") == 0)
      return vessel_error_set(err, EPERM, "entry `%s`: `..` component refused", orig);
    if (n == MAX_DEPTH)
      return vessel_error_set(err, E2BIG, "entry `%s`: deeper than %d components", orig, MAX_DEPTH);
    comp[n++] = c;
  }
  return n;
}

/* Returns the fd of the directory comp[0..n) (not owned), creating missing
 * directories when create; a symlink or non-directory component fails. */
static int walk_to(struct walk *w, char **comp, int n, bool create, const char *orig,
                   struct vessel_error *err)
{
  size_t k = 0;
  while (k < w->depth && k < (size_t)n && strcmp(w->names[k], comp[k]) == 0)
    k++;
  while (w->depth > k) {
    w->depth--;
    close(w->fds[w->depth]);
    free(w->names[w->depth]);
  }
  for (; k < (size_t)n; k++) {
    int parent = k ? w->fds[k - 1] : w->root;
    int fd = openat(parent, comp[k], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(parent, comp[k], 0755) < 0 && errno != EEXIST)
        return vessel_error_set(err, errno, "entry `%s`: mkdir `%s`", orig, comp[k]);
      fd = openat(parent, comp[k], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR)
        return vessel_error_set(
            err, ELOOP, "entry `%s`: parent `%s` is a symlink or not a directory", orig, comp[k]);
      return vessel_error_set(err, errno, "entry `%s`: open `%s`", orig, comp[k]);
    }
    w->names[k] = strdup(comp[k]);
    if (!w->names[k]) {
      close(fd);
      return vessel_error_set(err, ENOMEM, "entry `%s`", orig);
    }
    w->fds[k] = fd;
    w->depth = k + 1;
  }
  return n ? w->fds[n - 1] : w->root;
}

/* Makes room for a new entry name in parent: an existing non-directory is
 * unlinked, an existing directory kept when the new entry is one too. Returns
 * 1 when a directory is kept, 0 when the name is free. */
static int make_room(struct walk *w, int parent, const char *name, bool is_dir, const char *orig,
                     struct vessel_error *err)
{
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return vessel_error_set(err, errno, "entry `%s`: stat", orig);
  }
  if (S_ISDIR(st.st_mode) && is_dir)
    return 1;
  /* the walk cache holds only ancestors of name (walk_to just ran): still valid */
  if (unlinkat(parent, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
    return vessel_error_set(err, errno, "entry `%s`: replace existing", orig);
  return 0;
}

static bool xattr_allowed(const char *name)
{
  return strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0;
}

static int apply_xattrs(struct archive_entry *e, int fd, const char *orig, struct vessel_error *err)
{
  if (archive_entry_xattr_reset(e) == 0)
    return 0;
  const char *name;
  const void *value;
  size_t size;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (!xattr_allowed(name)) {
      log_debug("entry `%s`: xattr `%s` ignored", orig, name);
      continue;
    }
    if (fsetxattr(fd, name, value, size, 0) < 0)
      return vessel_error_set(err, errno, "entry `%s`: set xattr `%s`", orig, name);
  }
  return 0;
}

/* Owner, mode (after chown, which clears setuid) and times of an open entry. */
static int apply_meta_fd(struct archive_entry *e, int fd, const char *orig,
                         struct vessel_error *err)
{
  uid_t uid = (uid_t)archive_entry_uid(e);
  gid_t gid = (gid_t)archive_entry_gid(e);
  if ((uid != 0 || gid != 0 || geteuid() != 0) && fchown(fd, uid, gid) < 0)
    return vessel_error_set(err, errno, "entry `%s`: chown", orig);
  if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
    return vessel_error_set(err, errno, "entry `%s`: chmod", orig);
  return apply_xattrs(e, fd, orig, err);
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
  ts[0].tv_sec = archive_entry_atime_is_set(e) ? archive_entry_atime(e) : archive_entry_mtime(e);
  ts[0].tv_nsec = archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : 0;
  ts[1].tv_sec = archive_entry_mtime(e);
  ts[1].tv_nsec = archive_entry_mtime_nsec(e);
}

static int write_file(struct walk *w, struct archive *a, struct archive_entry *e, int parent,
                      const char *name, const char *orig, unsigned long long *total,
                      struct vessel_error *err)
{
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  /* the name is usually free: look before creating only when it is not */
  _cleanup_close_ int fd = openat(parent, name, flags, 0600);
  if (fd < 0 && errno == EEXIST) {
    if (make_room(w, parent, name, false, orig, err) < 0)
      return -1;
    fd = openat(parent, name, flags, 0600);
  }
  if (fd < 0)
    return vessel_error_set(err, errno, "entry `%s`: create", orig);
  const void *buf;
  size_t len;
  la_int64_t off, pos = 0;
  int r;
  while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
    if (__builtin_add_overflow(*total, len, total) || *total > MAX_TOTAL)
      return vessel_error_set(err, EFBIG, "layer larger than %llu bytes", MAX_TOTAL);
    if (off != pos && lseek(fd, off, SEEK_SET) < 0)
      return vessel_error_set(err, errno, "entry `%s`: seek", orig);
    for (size_t done = 0; done < len;) {
      ssize_t n = write(fd, (const char *)buf + done, len - done);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return vessel_error_set(err, errno, "entry `%s`: write", orig);
      }
      done += (size_t)n;
    }
    pos = off + (la_int64_t)len;
  }
  if (r != ARCHIVE_EOF)
    return vessel_error_set(err, archive_errno(a) > 0 ? archive_errno(a) : EIO,
                            "entry `%s`: read: %s", orig, archive_error_string(a));
  /* a sparse file ending in a hole */
  if (pos < archive_entry_size(e) && ftruncate(fd, archive_entry_size(e)) < 0)
    return vessel_error_set(err, errno, "entry `%s`: truncate", orig);
  if (apply_meta_fd(e, fd, orig, err) < 0)
    return -1;
  struct timespec ts[2];
  entry_times(e, ts);
  if (futimens(fd, ts) < 0)
    return vessel_error_set(err, errno, "entry `%s`: set times", orig);
  return 0;
}

/* Directory times, set once every entry has landed (later entries would
 * change them again). */
struct dir_times {
  size_t n, cap;
  struct dir_time {
    char *path;
    struct timespec ts[2];
  } * v;
};

static int dir_times_add(struct dir_times *d, struct archive_entry *e, const char *orig,
                         struct vessel_error *err)
{
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    struct dir_time *v = reallocarray(d->v, cap, sizeof *v);
    if (!v)
      return vessel_error_set(err, ENOMEM, "entry `%s`", orig);
    d->v = v;
    d->cap = cap;
  }
  if (!(d->v[d->n].path = strdup(orig)))
    return vessel_error_set(err, ENOMEM, "entry `%s`", orig);
  entry_times(e, d->v[d->n].ts);
  d->n++;
  return 0;
}

/* Best effort: a directory replaced or made unreachable since keeps its time. */
static void dir_times_apply(struct dir_times *d, struct walk *w)
{
  for (size_t i = d->n; i-- > 0;) {
    char *comp[MAX_DEPTH];
    struct vessel_error err = {0};
    int n = split_name(d->v[i].path, comp, &err, "");
    int parent = n > 0 ? walk_to(w, comp, n - 1, false, "", &err) : -1;
    if (parent >= 0)
      utimensat(parent, comp[n - 1], d->v[i].ts, AT_SYMLINK_NOFOLLOW);
  }
}

static void dir_times_free(struct dir_times *d)
{
  for (size_t i = 0; i < d->n; i++)
    free(d->v[i].path);
  free(d->v);
}

static int make_dir(struct walk *w, struct archive_entry *e, int parent, const char *name,
                    const char *orig, struct vessel_error *err)
{
  int kept = make_room(w, parent, name, true, orig, err);
  if (kept < 0)
    return -1;
  if (!kept && mkdirat(parent, name, 0700) < 0)
    return vessel_error_set(err, errno, "entry `%s`: mkdir", orig);
  _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "entry `%s`: open", orig);
  return apply_meta_fd(e, fd, orig, err);
}

static int make_link(struct walk *w, struct walk *lw, struct archive_entry *e, int parent,
                     const char *name, const char *orig, struct vessel_error *err)
{
  const char *target = archive_entry_hardlink(e);
  /* directories may have been replaced since the last lookup */
  walk_reset(lw);
  _cleanup_free_ char *t = strdup(target);
  if (!t)
    return vessel_error_set(err, ENOMEM, "entry `%s`", orig);
  char *comp[MAX_DEPTH];
  int n = split_name(t, comp, err, orig);
  if (n < 0)
    return -1;
  if (n == 0)
    return vessel_error_set(err, EPERM, "entry `%s`: hardlink to the root refused", orig);
  int tparent = walk_to(lw, comp, n - 1, false, orig, err);
  if (tparent < 0)
    return vessel_error_prefix(err, "hardlink target `%s`", target);
  struct stat st;
  if (fstatat(tparent, comp[n - 1], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
    return vessel_error_set(err, EPERM,
                            "entry `%s`: hardlink target `%s` is not a file extracted in the layer",
                            orig, target);
  if (make_room(w, parent, name, false, orig, err) < 0)
    return -1;
  if (linkat(tparent, comp[n - 1], parent, name, 0) < 0)
    return vessel_error_set(err, errno, "entry `%s`: link to `%s`", orig, target);
  return 0;
}

/* Owner and times of a non-regular entry, by name and never following it. */
static int apply_meta_at(struct archive_entry *e, int parent, const char *name, bool chmod_too,
                         const char *orig, struct vessel_error *err)
{
  if (fchownat(parent, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
               AT_SYMLINK_NOFOLLOW) < 0)
    return vessel_error_set(err, errno, "entry `%s`: chown", orig);
  if (chmod_too && fchmodat(parent, name, archive_entry_perm(e) & 07777, 0) < 0)
    return vessel_error_set(err, errno, "entry `%s`: chmod", orig);
  struct timespec ts[2];
  entry_times(e, ts);
  if (utimensat(parent, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return vessel_error_set(err, errno, "entry `%s`: set times", orig);
  return 0;
}

static int whiteout(struct walk *w, int parent, const char *base, const char *orig,
                    struct vessel_error *err)
{
  if (strcmp(base, OPAQUE) == 0) {
    if (fsetxattr(parent, "trusted.overlay.opaque", "y", 1, 0) < 0)
      return vessel_error_set(err, errno, "entry `%s`: mark directory opaque", orig);
    return 0;
  }
  const char *name = base + strlen(WHITEOUT);
  if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return vessel_error_set(err, EINVAL, "entry `%s`: bad whiteout", orig);
  if (make_room(w, parent, name, false, orig, err) < 0)
    return -1;
  if (mknodat(parent, name, S_IFCHR | 0, makedev(0, 0)) < 0)
    return vessel_error_set(err, errno, "entry `%s`: make whiteout", orig);
  return 0;
}

static int unpack_entry(struct archive *a, struct archive_entry *e, struct walk *w, struct walk *lw,
                        struct dir_times *dt, bool allow_devices, unsigned long long *total,
                        struct vessel_error *err)
{
  const char *orig = archive_entry_pathname(e);
  if (!orig)
    return vessel_error_set(err, EINVAL, "entry without a name");
  if (strlen(orig) > MAX_PATH_LEN)
    return vessel_error_set(err, ENAMETOOLONG, "entry name longer than %d bytes", MAX_PATH_LEN);
  _cleanup_free_ char *path = strdup(orig);
  if (!path)
    return vessel_error_set(err, ENOMEM, "entry `%s`", orig);
  char *comp[MAX_DEPTH];
  int n = split_name(path, comp, err, orig);
  if (n < 0)
    return -1;
  mode_t type = archive_entry_filetype(e);
  if (n == 0) {
    /* the layer root itself: only its owner and mode */
    if (type != AE_IFDIR || archive_entry_hardlink(e))
      return vessel_error_set(err, EINVAL, "entry `%s`: the root must be a directory", orig);
    return apply_meta_fd(e, w->root, orig, err);
  }
  int parent = walk_to(w, comp, n - 1, true, orig, err);
  if (parent < 0)
    return -1;
  const char *name = comp[n - 1];
  if (strncmp(name, WHITEOUT, strlen(WHITEOUT)) == 0)
    return whiteout(w, parent, name, orig, err);
  if (archive_entry_hardlink(e))
    return make_link(w, lw, e, parent, name, orig, err);

  switch (type) {
  case AE_IFREG:
    return write_file(w, a, e, parent, name, orig, total, err);
  case AE_IFDIR:
    if (make_dir(w, e, parent, name, orig, err) < 0)
      return -1;
    return dir_times_add(dt, e, orig, err);
  case AE_IFLNK: {
    const char *target = archive_entry_symlink(e);
    if (!target)
      return vessel_error_set(err, EINVAL, "entry `%s`: symlink without a target", orig);
    if (make_room(w, parent, name, false, orig, err) < 0)
      return -1;
    if (symlinkat(target, parent, name) < 0)
      return vessel_error_set(err, errno, "entry `%s`: symlink", orig);
    return apply_meta_at(e, parent, name, false, orig, err);
  }
  case AE_IFCHR:
  case AE_IFBLK:
  case AE_IFIFO:
    if (!allow_devices)
      return vessel_error_set(err, EPERM, "entry `%s`: device nodes and fifos are refused", orig);
    if (make_room(w, parent, name, false, orig, err) < 0)
      return -1;
    if (mknodat(parent, name, type | (archive_entry_perm(e) & 0777), archive_entry_rdev(e)) < 0)
      return vessel_error_set(err, errno, "entry `%s`: mknod", orig);
    return apply_meta_at(e, parent, name, true, orig, err);
  default:
    return vessel_error_set(err, EINVAL, "entry `%s`: unsupported file type 0%o", orig,
                            (unsigned)type);
  }
}

int rm_rf_at(int dirfd, const char *name)
{
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -1;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
      rm_rf_at(fd, de->d_name);
    else
      unlinkat(fd, de->d_name, 0);
  }
  return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}

static int unpack_into(int tar_fd, int root, bool allow_devices, unsigned long long *size,
                       struct vessel_error *err)
{
  struct archive *a = archive_read_new();
  if (!a)
    return vessel_error_set(err, ENOMEM, "libarchive");
  struct walk w = {.root = root}, lw = {.root = root};
  struct dir_times dt = {0};
  int ret = -1;
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_fd(a, tar_fd, READ_BLOCK) != ARCHIVE_OK) {
    vessel_error_set(err, EINVAL, "read layer: %s", archive_error_string(a));
    goto out;
  }
  unsigned long long entries = 0, total = 0;
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    if (++entries > MAX_ENTRIES) {
      vessel_error_set(err, E2BIG, "layer has more than %llu entries", MAX_ENTRIES);
      goto out;
    }
    if (unpack_entry(a, e, &w, &lw, &dt, allow_devices, &total, err) < 0)
      goto out;
  }
  if (r != ARCHIVE_EOF) {
    vessel_error_set(err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "read layer: %s",
                     archive_error_string(a));
    goto out;
  }
  dir_times_apply(&dt, &w);
  if (size)
    *size = total;
  ret = 0;
out:
  dir_times_free(&dt);
  walk_reset(&w);
  walk_reset(&lw);
  archive_read_free(a);
  return ret;
}

int unpack_layer(int tar_fd, const char *dir, bool allow_devices, bool sync,
                 unsigned long long *size, struct vessel_error *err)
{
  struct stat st;
  if (lstat(dir, &st) == 0)
    return vessel_error_set(err, EEXIST, "unpack into `%s`", dir);
  _cleanup_free_ char *tmp = NULL;
  if (asprintf(&tmp, "%s.tmp-XXXXXX", dir) < 0)
    return vessel_error_set(err, ENOMEM, "unpack into `%s`", dir);
  if (!mkdtemp(tmp))
    return vessel_error_set(err, errno, "unpack into `%s`: mkdir `%s`", dir, tmp);
  _cleanup_close_ int root = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  /* the root's mode when the tarball has no "./" entry */
  int r = root < 0 || fchmod(root, 0755) < 0 ? vessel_error_set(err, errno, "open `%s`", tmp)
                                             : unpack_into(tar_fd, root, allow_devices, size, err);
  if (r == 0 && sync && syncfs(root) < 0)
    r = vessel_error_set(err, errno, "sync `%s`", tmp);
  if (r == 0)
    crashpoint("unpack-layer");
  if (r == 0 && rename(tmp, dir) < 0)
    r = vessel_error_set(err, errno, "rename `%s` to `%s`", tmp, dir);
  if (r < 0) {
    rm_rf_at(AT_FDCWD, tmp);
    return vessel_error_prefix(err, "unpack into `%s`", dir);
  }
  return 0;
}

int image_unpack_layer(int tar_fd, const char *dir, bool allow_devices, struct vessel_error *err)
{
  return unpack_layer(tar_fd, dir, allow_devices, false, NULL, err);
}
