/* Tar helpers of the image archives: entries written from memory or an fd,
 * and layer streams decompressed, hashed and optionally copied. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive-internal.h"
#include "util/cleanup.h"

struct archive *tar_writer_new(int fd, struct vessel_error *err)
{
  struct archive *a = archive_write_new();
  if (!a) {
    vessel_error_set(err, ENOMEM, "libarchive");
    return NULL;
  }
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
      archive_write_open_fd(a, fd) != ARCHIVE_OK) {
    vessel_error_set(err, EIO, "write archive: %s", archive_error_string(a));
    archive_write_free(a);
    return NULL;
  }
  return a;
}

static int add_header(struct archive *a, const char *name, mode_t type, mode_t perm,
                      unsigned long long size, struct vessel_error *err)
{
  struct archive_entry *e = archive_entry_new();
  if (!e)
    return vessel_error_set(err, ENOMEM, "libarchive");
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, perm);
  archive_entry_set_size(e, (la_int64_t)size);
  archive_entry_set_mtime(e, 0, 0);
  int r = archive_write_header(a, e);
  archive_entry_free(e);
  if (r != ARCHIVE_OK)
    return vessel_error_set(err, EIO, "write `%s`: %s", name, archive_error_string(a));
  return 0;
}

int tar_add_dir(struct archive *a, const char *name, struct vessel_error *err)
{
  return add_header(a, name, AE_IFDIR, 0755, 0, err);
}

int tar_add_buf(struct archive *a, const char *name, const void *buf, size_t len,
                struct vessel_error *err)
{
  if (add_header(a, name, AE_IFREG, 0644, len, err) < 0)
    return -1;
  if (len && archive_write_data(a, buf, len) != (la_ssize_t)len)
    return vessel_error_set(err, EIO, "write `%s`: %s", name, archive_error_string(a));
  return 0;
}

int tar_add_fd(struct archive *a, const char *name, int fd, unsigned long long size,
               struct vessel_error *err)
{
  if (add_header(a, name, AE_IFREG, 0644, size, err) < 0)
    return -1;
  _cleanup_free_ char *buf = malloc(ARCHIVE_BLOCK);
  if (!buf)
    return vessel_error_set(err, ENOMEM, "write `%s`", name);
  unsigned long long done = 0;
  while (done < size) {
    size_t want = size - done < ARCHIVE_BLOCK ? (size_t)(size - done) : ARCHIVE_BLOCK;
    ssize_t n = read(fd, buf, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vessel_error_set(err, errno, "read for `%s`", name);
    if (n == 0)
      return vessel_error_set(err, EIO, "`%s` shrank while being written", name);
    if (archive_write_data(a, buf, (size_t)n) != n)
      return vessel_error_set(err, EIO, "write `%s`: %s", name, archive_error_string(a));
    done += (unsigned long long)n;
  }
  return 0;
}

int layer_uncompressed(int fd, char diff_id[static DIGEST_LEN + 1], unsigned long long *size,
                       struct archive *out, const char *name, struct vessel_error *err)
{
  struct archive *in = archive_read_new();
  struct sha256_ctx *h = sha256_new();
  _cleanup_free_ char *buf = malloc(ARCHIVE_BLOCK);
  unsigned long long total = 0;
  int r = -1;
  if (!in || !h || !buf) {
    vessel_error_set(err, ENOMEM, "layer");
    goto out;
  }
  archive_read_support_filter_all(in);
  archive_read_support_format_raw(in);
  struct archive_entry *e;
  if (archive_read_open_fd(in, fd, ARCHIVE_BLOCK) != ARCHIVE_OK ||
      archive_read_next_header(in, &e) != ARCHIVE_OK) {
    vessel_error_set(err, EINVAL, "read layer: %s", archive_error_string(in));
    goto out;
  }
  if (out && add_header(out, name, AE_IFREG, 0644, *size, err) < 0)
    goto out;
  la_ssize_t n;
  while ((n = archive_read_data(in, buf, ARCHIVE_BLOCK)) > 0) {
    total += (unsigned long long)n;
    if (total > ARCHIVE_MAX_TOTAL || (out && total > *size)) {
      vessel_error_set(err, EFBIG, "layer larger than %llu bytes", out ? *size : ARCHIVE_MAX_TOTAL);
      goto out;
    }
    sha256_update(h, buf, (size_t)n);
    if (out && archive_write_data(out, buf, (size_t)n) != n) {
      vessel_error_set(err, EIO, "write `%s`: %s", name, archive_error_string(out));
      goto out;
    }
  }
  if (n < 0) {
    vessel_error_set(err, EINVAL, "read layer: %s", archive_error_string(in));
    goto out;
  }
  if (out && total != *size) {
    vessel_error_set(err, EIO, "layer for `%s` changed while being written", name);
    goto out;
  }
  sha256_final(h, diff_id);
  h = NULL;
  *size = total;
  r = 0;
out:
  sha256_free(h);
  archive_read_free(in);
  return r;
}
