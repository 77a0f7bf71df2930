/* Test helper: writes tarballs entry by entry with libarchive. */
#include "tarbuild.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int add(struct archive *a, const struct tar_entry *t)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, t->name);
  archive_entry_set_perm(e, t->perm ? t->perm : 0644);
  archive_entry_set_mtime(e, 1700000000, 0);
  size_t len = 0;
  switch (t->type) {
  case 'f':
    archive_entry_set_filetype(e, AE_IFREG);
    len = t->data ? strlen(t->data) : 0;
    archive_entry_set_size(e, (la_int64_t)len);
    break;
  case 'd':
    archive_entry_set_filetype(e, AE_IFDIR);
    break;
  case 'l':
    archive_entry_set_filetype(e, AE_IFLNK);
    archive_entry_set_symlink(e, t->data);
    break;
  case 'h':
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_hardlink(e, t->data);
    break;
  case 'c':
    archive_entry_set_filetype(e, AE_IFCHR);
    archive_entry_set_rdev(e, makedev(1, 3));
    break;
  case 'p':
    archive_entry_set_filetype(e, AE_IFIFO);
    break;
  }
  if (t->xattr)
    archive_entry_xattr_add_entry(e, t->xattr, "y", 1);
  int r = archive_write_header(a, e);
  if (r == ARCHIVE_OK && len)
    r = archive_write_data(a, t->data, len) == (la_ssize_t)len ? ARCHIVE_OK : ARCHIVE_FATAL;
  archive_entry_free(e);
  return r == ARCHIVE_OK ? 0 : -1;
}

static int add_host_file(struct archive *a, const char *name, const char *host)
{
  int fd = open(host, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct stat st;
  fstat(fd, &st);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0755);
  archive_entry_set_size(e, st.st_size);
  int r = archive_write_header(a, e) == ARCHIVE_OK ? 0 : -1;
  char buf[65536];
  ssize_t n;
  while (r == 0 && (n = read(fd, buf, sizeof buf)) > 0)
    if (archive_write_data(a, buf, (size_t)n) != n)
      r = -1;
  archive_entry_free(e);
  close(fd);
  return r;
}

int tar_build_with_file(const char *path, const char *filter, const struct tar_entry *e, size_t n,
                        const char *name, const char *host_file)
{
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (strcmp(filter, "gzip") == 0)
    archive_write_add_filter_gzip(a);
  else if (strcmp(filter, "zstd") == 0)
    archive_write_add_filter_zstd(a);
  int r = archive_write_open_filename(a, path) == ARCHIVE_OK ? 0 : -1;
  for (size_t i = 0; r == 0 && i < n; i++)
    r = add(a, &e[i]);
  if (r == 0 && name)
    r = add_host_file(a, name, host_file);
  if (archive_write_close(a) != ARCHIVE_OK)
    r = -1;
  archive_write_free(a);
  return r;
}

int tar_build(const char *path, const char *filter, const struct tar_entry *e, size_t n)
{
  return tar_build_with_file(path, filter, e, n, NULL, NULL);
}
