/* Container names: names/<name> files made with O_EXCL, each holding its
 * container's id; the file system makes a name unique across commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define NAME_MAX_LEN 128
#define NAME_GENERATE_TRIES 100000

/* docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
int name_check(const char *name, struct vessel_error *err)
{
  size_t n = strlen(name);
  if (n == 0 || n > NAME_MAX_LEN)
    return vessel_error_set(err, 0, "bad container name `%s`: 1 to %d characters", name,
                            NAME_MAX_LEN);
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
      return vessel_error_set(
          err, 0, "bad container name `%s`: only [a-zA-Z0-9][a-zA-Z0-9_.-]* is allowed", name);
  }
  return 0;
}

/* 0 when taken, 1 when the name was already in use, -1 on error */
static int try_reserve(int names_fd, const char *name, const char *id, bool durable,
                       struct vessel_error *err)
{
  _cleanup_close_ int fd =
      openat(names_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    return 1;
  if (fd < 0)
    return vessel_error_set(err, errno, "create the name file `%s`", name);
  size_t len = strlen(id);
  if (write(fd, id, len) != (ssize_t)len || (durable && fsync(fd) < 0)) {
    int e = errno ? errno : EIO;
    unlinkat(names_fd, name, 0);
    return vessel_error_set(err, e, "write the name file `%s`", name);
  }
  return 0;
}

int name_reserve(int names_fd, const char *name, const char *id, bool durable,
                 struct vessel_error *err)
{
  if (name_check(name, err) < 0)
    return -1;
  int r = try_reserve(names_fd, name, id, durable, err);
  if (r > 0) {
    char other[65] = "";
    struct vessel_error ignored;
    name_lookup(names_fd, name, other, &ignored);
    return vessel_error_set(err, 0, "the container name `%s` is already in use by `%.12s`", name,
                            other);
  }
  return r;
}

int name_generate(int names_fd, const char *id, bool durable, char **name, struct vessel_error *err)
{
  for (unsigned n = 1; n <= NAME_GENERATE_TRIES; n++) {
    char buf[32];
    snprintf(buf, sizeof buf, "vessel_%u", n);
    int r = try_reserve(names_fd, buf, id, durable, err);
    if (r < 0)
      return -1;
    if (r == 0) {
      if (!(*name = strdup(buf))) {
        name_release(names_fd, buf, id);
        return vessel_error_set(err, ENOMEM, "container name");
      }
      return 0;
    }
  }
  return vessel_error_set(err, ENOSPC, "no free container name `vessel_<n>` left");
}

int name_lookup(int names_fd, const char *name, char id[65], struct vessel_error *err)
{
  if (name_check(name, err) < 0)
    return -1;
  _cleanup_close_ int fd = openat(names_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return vessel_error_set(err, errno, "no container named `%s`", name);
  char text[66];
  ssize_t len = read(fd, text, sizeof text);
  if (len != 64)
    return vessel_error_set(err, 0, "the name file `%s` is damaged", name);
  text[64] = '\0';
  if (!engine_id_valid(text))
    return vessel_error_set(err, 0, "the name file `%s` is damaged", name);
  memcpy(id, text, 65);
  return 0;
}

void name_release(int names_fd, const char *name, const char *id)
{
  char owner[65];
  struct vessel_error ignored;
  if (!name || name_lookup(names_fd, name, owner, &ignored) < 0 || strcmp(owner, id) != 0)
    return;
  unlinkat(names_fd, name, 0);
}

/* Sizes as docker reads them: a number with an optional b, k, m, g suffix. */
int engine_parse_bytes(const char *s, long long *out)
{
  size_t n = strlen(s);
  if (n == 0 || n > 32)
    return -1;
  char num[40];
  memcpy(num, s, n + 1);
  unsigned long long mult = 1;
  char last = num[n - 1];
  if (last == 'b' || last == 'B' || last == 'k' || last == 'K' || last == 'm' || last == 'M' ||
      last == 'g' || last == 'G') {
    mult = (last == 'k' || last == 'K')   ? 1ULL << 10
           : (last == 'm' || last == 'M') ? 1ULL << 20
           : (last == 'g' || last == 'G') ? 1ULL << 30
                                          : 1;
    num[--n] = '\0';
  }
  unsigned long long v;
  if (parse_u64(num, &v) < 0)
    return -1;
  unsigned long long r;
  if (__builtin_mul_overflow(v, mult, &r) || r > (unsigned long long)INT64_MAX)
    return -1;
  *out = (long long)r;
  return 0;
}
