/* vessel cp with `-`: a container's file or tree written as a tar stream,
 * or a tar stream unpacked into a container directory. Unpacking never
 * follows a link: each entry's directories are walked from the destination
 * fd with O_NOFOLLOW, `..` and device nodes are refused. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/cp_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define TAR_BLOCK (64 * 1024)
#define TAR_ENTRIES_MAX (1024 * 1024)

struct tar_out {
  struct archive *a;
  char *buf;
};

static int write_entry(struct tar_out *t, int dirfd, const char *name, const char *path, int depth,
                       struct vessel_error *err);

static int write_children(struct tar_out *t, int dirfd, const char *path, int depth,
                          struct vessel_error *err)
{
  _cleanup_closedir_ DIR *d = fs_opendirat(dirfd, ".");
  if (!d)
    return vessel_error_set(err, errno, "read `%s`", path);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *child = NULL;
    if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
      return vessel_error_set(err, ENOMEM, "cp");
    if (write_entry(t, dirfd, de->d_name, child, depth + 1, err) < 0)
      return -1;
  }
  return 0;
}

static int write_entry(struct tar_out *t, int dirfd, const char *name, const char *path, int depth,
                       struct vessel_error *err)
{
  if (depth > CP_DEPTH_MAX)
    return vessel_error_set(err, ELOOP, "`%s`: nested too deep", path);
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return vessel_error_set(err, errno, "stat `%s`", path);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
    log_warning("cp: skipped `%s`: not a file, directory or link", path);
    return 0;
  }
  _cleanup_close_ int fd = -1;
  if (!S_ISLNK(st.st_mode)) {
    int flags = S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY;
    fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
      return vessel_error_set(err, errno, "open `%s`", path);
  }
  struct archive_entry *e = archive_entry_new();
  if (!e)
    return vessel_error_set(err, ENOMEM, "libarchive");
  archive_entry_copy_stat(e, &st);
  archive_entry_set_pathname(e, path);
  archive_entry_set_nlink(e, 1);
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
    if (n < 0) {
      archive_entry_free(e);
      return vessel_error_set(err, errno, "readlink `%s`", path);
    }
    target[n] = '\0';
    archive_entry_set_symlink(e, target);
    archive_entry_set_size(e, 0);
  } else if (S_ISDIR(st.st_mode)) {
    archive_entry_set_size(e, 0);
  }
  int r = archive_write_header(t->a, e);
  archive_entry_free(e);
  if (r != ARCHIVE_OK)
    return vessel_error_set(err, EIO, "write `%s`: %s", path, archive_error_string(t->a));
  if (S_ISDIR(st.st_mode))
    return write_children(t, fd, path, depth, err);
  for (off_t done = 0; fd >= 0 && done < st.st_size;) {
    ssize_t n = read(fd, t->buf, TAR_BLOCK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vessel_error_set(err, errno, "read `%s`", path);
    if (n == 0) /* it shrank: libarchive pads the entry */
      break;
    if (done + n > st.st_size)
      n = (ssize_t)(st.st_size - done);
    if (archive_write_data(t->a, t->buf, (size_t)n) != n)
      return vessel_error_set(err, EIO, "write `%s`: %s", path, archive_error_string(t->a));
    done += n;
  }
  return 0;
}

int cp_tar_write(int dirfd, const char *name, const char *top, int out_fd, struct vessel_error *err)
{
  struct tar_out t = {.a = archive_write_new(), .buf = malloc(TAR_BLOCK)};
  int ret = -1;
  if (!t.a || !t.buf) {
    vessel_error_set(err, ENOMEM, "cp");
    goto out;
  }
  if (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
      archive_write_open_fd(t.a, out_fd) != ARCHIVE_OK) {
    vessel_error_set(err, EIO, "tar: %s", archive_error_string(t.a));
    goto out;
  }
  ret = write_entry(&t, dirfd, name, top, 0, err);
  if (archive_write_close(t.a) != ARCHIVE_OK && ret == 0)
    ret = vessel_error_set(err, EIO, "tar: %s", archive_error_string(t.a));
out:
  if (t.a)
    archive_write_free(t.a);
  free(t.buf);
  return ret;
}

/* The directory an entry goes in, walked (and made) from root without
 * following a link; *last points to the entry's own name in path (which
 * is changed). */
static int entry_parent(int root, char *path, char **last, struct vessel_error *err)
{
  _cleanup_close_ int cur = fcntl(root, F_DUPFD_CLOEXEC, 0);
  if (cur < 0)
    return vessel_error_set(err, errno, "dup");
  char *comp = path;
  for (;;) {
    while (*comp == '/')
      comp++;
    char *slash = strchr(comp, '/');
    while (slash && slash[1] == '/')
      slash++;
    if (!slash || slash[1] == '\0') {
      if (slash)
        *slash = '\0';
      *last = comp;
      return TAKE_FD(cur);
    }
    *slash = '\0';
    if (strcmp(comp, ".") != 0) {
      if (strcmp(comp, "..") == 0)
        return vessel_error_set(err, EPERM, "tar entry with `..`");
      if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
        return vessel_error_set(err, errno, "create directory `%s`", comp);
      int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return vessel_error_set(err, errno, "open directory `%s`", comp);
      close(cur);
      cur = next;
    }
    comp = slash + 1;
  }
}

static int read_entry(struct archive *a, struct archive_entry *e, int root, bool keep_owner,
                      struct vessel_error *err)
{
  _cleanup_free_ char *path = strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
  if (!path)
    return vessel_error_set(err, ENOMEM, "cp");
  char *name = NULL;
  _cleanup_close_ int dir = entry_parent(root, path, &name, err);
  if (dir < 0)
    return -1;
  if (!name[0] || strcmp(name, ".") == 0)
    return 0; /* the destination itself */
  if (strcmp(name, "..") == 0)
    return vessel_error_set(err, EPERM, "tar entry with `..`");
  mode_t type = archive_entry_filetype(e);
  mode_t mode = archive_entry_perm(e) & 07777;
  uid_t uid = keep_owner ? (uid_t)archive_entry_uid(e) : 0;
  gid_t gid = keep_owner ? (gid_t)archive_entry_gid(e) : 0;
  if (archive_entry_hardlink(e)) {
    log_warning("cp: skipped hard link `%s`", archive_entry_pathname(e));
    return 0;
  }
  if (type != AE_IFDIR && cp_clear_target(dir, name, false, err) < 0)
    return -1;
  _cleanup_close_ int fd = -1;
  if (type == AE_IFDIR) {
    if (cp_clear_target(dir, name, true, err) < 0)
      return -1;
    if (mkdirat(dir, name, 0700) < 0 && errno != EEXIST)
      return vessel_error_set(err, errno, "create directory `%s`", name);
    fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } else if (type == AE_IFREG) {
    fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && archive_read_data_into_fd(a, fd) != ARCHIVE_OK)
      return vessel_error_set(err, EIO, "unpack `%s`: %s", name, archive_error_string(a));
  } else if (type == AE_IFLNK) {
    const char *target = archive_entry_symlink(e);
    if (!target || symlinkat(target, dir, name) < 0)
      return vessel_error_set(err, errno, "create link `%s`", name);
    if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
      return vessel_error_set(err, errno, "chown `%s`", name);
    return 0;
  } else {
    log_warning("cp: skipped `%s`: not a file, directory or link", archive_entry_pathname(e));
    return 0;
  }
  if (fd < 0)
    return vessel_error_set(err, errno, "create `%s`", name);
  if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
    return vessel_error_set(err, errno, "set the owner and mode of `%s`", name);
  struct timespec times[2] = {{.tv_sec = archive_entry_mtime(e)},
                              {.tv_sec = archive_entry_mtime(e)}};
  if (futimens(fd, times) < 0)
    return vessel_error_set(err, errno, "set the times of `%s`", name);
  return 0;
}

int cp_tar_read(int in_fd, int dirfd, bool keep_owner, struct vessel_error *err)
{
  struct archive *a = archive_read_new();
  if (!a)
    return vessel_error_set(err, ENOMEM, "libarchive");
  int ret = 0;
  if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_support_filter_all(a) != ARCHIVE_OK ||
      archive_read_open_fd(a, in_fd, TAR_BLOCK) != ARCHIVE_OK) {
    ret = vessel_error_set(err, EIO, "tar: %s", archive_error_string(a));
    goto out;
  }
  struct archive_entry *e;
  for (size_t n = 0; ret == 0; n++) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      ret = vessel_error_set(err, EIO, "tar: %s", archive_error_string(a));
      break;
    }
    if (n >= TAR_ENTRIES_MAX) {
      ret = vessel_error_set(err, E2BIG, "tar: more than %d entries", TAR_ENTRIES_MAX);
      break;
    }
    ret = read_entry(a, e, dirfd, keep_owner, err);
  }
out:
  archive_read_free(a);
  return ret;
}
