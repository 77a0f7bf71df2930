/* Content-addressed blobs: sha256 computed while writing, atomic commit
 * (temp + fsync + rename), digest verified on every read. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-internal.h"
#include "util/cleanup.h"

/* after our declarations: its macros would rename them */
#include <nettle/sha2.h>

/* nettle rather than OpenSSL: OpenSSL's first digest reads openssl.cnf and
 * initialises its providers, ~0.5 ms of every `vessel run`. Our struct
 * sha256_ctx is nettle's; its short macro names give way to our functions. */
#undef sha256_update
#undef sha256_digest

struct sha256_ctx *sha256_new(void)
{
  struct sha256_ctx *c = calloc(1, sizeof *c);
  if (c)
    nettle_sha256_init(c);
  return c;
}

void sha256_update(struct sha256_ctx *c, const void *buf, size_t len)
{
  nettle_sha256_update(c, len, buf);
}

void sha256_free(struct sha256_ctx *c)
{
  free(c);
}

static void digest_hex(const uint8_t md[static SHA256_DIGEST_SIZE], char out[static DIGEST_LEN + 1])
{
  static const char hex[] = "0123456789abcdef";
  memcpy(out, "sha256:", 7);
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
    out[7 + 2 * i] = hex[md[i] >> 4];
    out[8 + 2 * i] = hex[md[i] & 15];
  }
  out[DIGEST_LEN] = '\0';
}

void sha256_final(struct sha256_ctx *c, char out[static DIGEST_LEN + 1])
{
  uint8_t md[SHA256_DIGEST_SIZE];
  nettle_sha256_digest(c, sizeof md, md);
  digest_hex(md, out);
  sha256_free(c);
}

void sha256_digest(const void *buf, size_t len, char out[static DIGEST_LEN + 1])
{
  struct sha256_ctx md;
  uint8_t bin[SHA256_DIGEST_SIZE];
  nettle_sha256_init(&md);
  nettle_sha256_update(&md, len, buf);
  nettle_sha256_digest(&md, sizeof bin, bin);
  digest_hex(bin, out);
}

bool digest_valid(const char *d)
{
  if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != DIGEST_LEN)
    return false;
  for (const char *p = d + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

int blob_writer_open(struct image_store *s, struct blob_writer *w, struct vessel_error *err)
{
  *w = (struct blob_writer){.dirfd = s->blobsfd, .fd = -1};
  unsigned long long r = 0;
  if (getrandom(&r, sizeof r, 0) != sizeof r)
    r = (unsigned long long)getpid() ^ (unsigned long long)(uintptr_t)w;
  snprintf(w->tmp, sizeof w->tmp, ".tmp-%016llx", r);
  w->fd = openat(w->dirfd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (w->fd < 0)
    return vessel_error_set(err, errno, "create blob `%s`", w->tmp);
  w->hash = sha256_new();
  if (!w->hash) {
    blob_writer_abort(w);
    return vessel_error_set(err, ENOMEM, "sha256");
  }
  return 0;
}

int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct vessel_error *err)
{
  sha256_update(w->hash, buf, len);
  w->size += len;
  for (size_t done = 0; done < len;) {
    ssize_t n = write(w->fd, (const char *)buf + done, len - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return vessel_error_set(err, errno, "write blob `%s`", w->tmp);
    }
    done += (size_t)n;
  }
  return 0;
}

void blob_writer_abort(struct blob_writer *w)
{
  if (w->fd >= 0) {
    close(w->fd);
    unlinkat(w->dirfd, w->tmp, 0);
    w->fd = -1;
  }
  sha256_free(w->hash);
  w->hash = NULL;
}

int blob_writer_commit(struct blob_writer *w, char digest[static DIGEST_LEN + 1],
                       struct vessel_error *err)
{
  sha256_final(w->hash, digest);
  w->hash = NULL;
  if (fsync(w->fd) < 0) {
    vessel_error_set(err, errno, "sync blob `%s`", digest);
    blob_writer_abort(w);
    return -1;
  }
  if (renameat(w->dirfd, w->tmp, w->dirfd, digest + 7) < 0) {
    vessel_error_set(err, errno, "commit blob `%s`", digest);
    blob_writer_abort(w);
    return -1;
  }
  close(w->fd);
  w->fd = -1;
  if (fsync(w->dirfd) < 0)
    return vessel_error_set(err, errno, "sync blob directory");
  return 0;
}

int blob_write(struct image_store *s, const void *buf, size_t len,
               char digest[static DIGEST_LEN + 1], struct vessel_error *err)
{
  struct blob_writer w;
  if (blob_writer_open(s, &w, err) < 0)
    return -1;
  if (blob_writer_write(&w, buf, len, err) < 0) {
    blob_writer_abort(&w);
    return -1;
  }
  return blob_writer_commit(&w, digest, err);
}

static int open_blob(struct image_store *s, const char *digest, struct vessel_error *err)
{
  if (!digest_valid(digest))
    return vessel_error_set(err, EINVAL, "bad digest `%s`", digest ? digest : "");
  int fd = openat(s->blobsfd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "open blob `%s`", digest);
  return fd;
}

int blob_read(struct image_store *s, const char *digest, char **out, size_t *len,
              struct vessel_error *err)
{
  _cleanup_close_ int fd = open_blob(s, digest, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return vessel_error_set(err, errno, "stat blob `%s`", digest);
  if (!S_ISREG(st.st_mode) || st.st_size > JSON_BLOB_MAX)
    return vessel_error_set(err, EFBIG, "blob `%s` is not a small regular file", digest);
  _cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
  if (!buf)
    return vessel_error_set(err, ENOMEM, "read blob `%s`", digest);
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vessel_error_set(err, errno, "read blob `%s`", digest);
    if (n == 0)
      break;
    got += (size_t)n;
  }
  buf[got] = '\0';
  char actual[DIGEST_LEN + 1];
  sha256_digest(buf, got, actual);
  if (strcmp(actual, digest) != 0)
    return vessel_error_set(err, EIO, "blob `%s` is corrupted (content hashes to `%s`)", digest,
                            actual);
  *out = TAKE_PTR(buf);
  *len = got;
  return 0;
}

int blob_open_verified(struct image_store *s, const char *digest, struct vessel_error *err)
{
  _cleanup_close_ int fd = open_blob(s, digest, err);
  if (fd < 0)
    return -1;
  struct sha256_ctx *h = sha256_new();
  if (!h)
    return vessel_error_set(err, ENOMEM, "sha256");
  _cleanup_free_ char *buf = malloc(1 << 20);
  if (!buf) {
    sha256_free(h);
    return vessel_error_set(err, ENOMEM, "read blob `%s`", digest);
  }
  for (;;) {
    ssize_t n = read(fd, buf, 1 << 20);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      sha256_free(h);
      return vessel_error_set(err, errno, "read blob `%s`", digest);
    }
    if (n == 0)
      break;
    sha256_update(h, buf, (size_t)n);
  }
  char actual[DIGEST_LEN + 1];
  sha256_final(h, actual);
  if (strcmp(actual, digest) != 0)
    return vessel_error_set(err, EIO, "blob `%s` is corrupted (content hashes to `%s`)", digest,
                            actual);
  if (lseek(fd, 0, SEEK_SET) < 0)
    return vessel_error_set(err, errno, "seek blob `%s`", digest);
  return TAKE_FD(fd);
}

json_t *blob_read_json(struct image_store *s, const char *digest, struct vessel_error *err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len;
  if (blob_read(s, digest, &buf, &len, err) < 0)
    return NULL;
  json_error_t je;
  json_t *j = json_loadb(buf, len, 0, &je);
  if (!j || !json_is_object(j)) {
    json_decref(j);
    vessel_error_set(err, EINVAL, "blob `%s`: not a JSON object: %s", digest, j ? "" : je.text);
    return NULL;
  }
  return j;
}
