/* A file per compiled profile: magic, key, flags, notify, BPF. */
#include "seccomp_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define CACHE_MAGIC "vessel-seccomp-cache 1\n"
#define CACHE_MAX (4u << 20)

/* The profile as sorted, compact JSON, plus what else decides the program. */
static char *cache_key(const struct spec_seccomp *s)
{
  if (!s->canonical)
    return NULL;
  const struct scmp_version *v = seccomp_version();
  char *key = NULL;
  if (asprintf(&key, "%s\nlibseccomp %u.%u.%u arch %u\n", s->canonical, v->major, v->minor,
               v->micro, seccomp_arch_native()) < 0)
    key = NULL;
  return key;
}

/* FNV-1a: only spreads the files; the key itself is compared in full. */
static uint64_t fnv1a(const char *s)
{
  uint64_t h = 14695981039346656037ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static int load(const char *path, const char *key, struct seccomp_program *out)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (fs_read_fileat(AT_FDCWD, path, &data, &len, NULL) < 0 || len > CACHE_MAX)
    return -1;
  size_t klen = strlen(key), mlen = strlen(CACHE_MAGIC);
  size_t head = mlen + klen + 1 + 2 * sizeof(uint32_t) + 1;
  if (len < head || memcmp(data, CACHE_MAGIC, mlen) || memcmp(data + mlen, key, klen) ||
      data[mlen + klen] != '\0')
    return -1;
  const char *p = data + mlen + klen + 1;
  uint32_t flags, bytes;
  memcpy(&flags, p, sizeof flags);
  unsigned char notify = (unsigned char)p[sizeof flags];
  memcpy(&bytes, p + sizeof flags + 1, sizeof bytes);
  p += 2 * sizeof(uint32_t) + 1;
  if (bytes % 8 || bytes == 0 || (size_t)(data + len - p) != bytes)
    return -1;
  void *filter = malloc(bytes);
  if (!filter)
    return -1;
  memcpy(filter, p, bytes);
  *out = (struct seccomp_program){
      .filter = filter, .len = bytes / 8, .flags = flags, .notify = notify != 0};
  return 0;
}

static void store(const char *dir, const char *name, const char *key,
                  const struct seccomp_program *prog)
{
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return;
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0)
    return;
  size_t klen = strlen(key), mlen = strlen(CACHE_MAGIC), bytes = prog->len * 8;
  size_t len = mlen + klen + 1 + 2 * sizeof(uint32_t) + 1 + bytes;
  _cleanup_free_ char *buf = malloc(len);
  if (!buf)
    return;
  char *p = buf;
  memcpy(p, CACHE_MAGIC, mlen);
  p += mlen;
  memcpy(p, key, klen + 1);
  p += klen + 1;
  uint32_t flags = prog->flags, b = (uint32_t)bytes;
  memcpy(p, &flags, sizeof flags);
  p[sizeof flags] = prog->notify ? 1 : 0;
  memcpy(p + sizeof flags + 1, &b, sizeof b);
  p += 2 * sizeof(uint32_t) + 1;
  memcpy(p, prog->filter, bytes);
  fs_write_atomic(dfd, name, buf, len, false, NULL); /* best effort */
}

int seccomp_build_cached(const struct spec_seccomp *s, const char *cache_dir,
                         struct seccomp_program *out, struct vessel_error *err)
{
  _cleanup_free_ char *key = cache_dir ? cache_key(s) : NULL;
  if (!key)
    return seccomp_program_build(s, out, err);
  char name[32], path[PATH_MAX];
  snprintf(name, sizeof name, "%016llx", (unsigned long long)fnv1a(key));
  snprintf(path, sizeof path, "%s/%s", cache_dir, name);
  if (load(path, key, out) == 0)
    return 0;
  if (seccomp_program_build(s, out, err) < 0)
    return -1;
  store(cache_dir, name, key, out);
  return 0;
}
