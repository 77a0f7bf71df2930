/* Helpers shared by the cgroup unit tests: fake cgroup trees in /tmp and
 * file checks. */
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static inline int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)ftw;
  return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static inline void rm_rf(const char *dir)
{
  if (dir && dir[0])
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* writes a file below dir, making its parent directories */
static inline void put_file(const char *dir, const char *rel, const char *content)
{
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
    *s = '\0';
    mkdir(p, 0755);
    *s = '/';
  }
  if (!content) {
    mkdir(p, 0755);
    return;
  }
  FILE *f = fopen(p, "we");
  if (f) {
    fputs(content, f);
    fclose(f);
  }
}

/* the content of dir/rel, or "<absent>" */
static inline const char *slurp(const char *dir, const char *fmt, ...)
{
  static char buf[8192];
  char rel[2048], p[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rel, sizeof rel, fmt, ap);
  va_end(ap);
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "<absent>";
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

static inline bool exists(const char *dir, const char *fmt, ...)
{
  char rel[2048], p[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rel, sizeof rel, fmt, ap);
  va_end(ap);
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  return access(p, F_OK) == 0;
}
