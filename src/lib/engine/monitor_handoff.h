/* The hand-over between vessel-monitor and vessel-monitor-idle. Once a
 * detached container runs and nothing is in flight, vessel-monitor execs the
 * small idle loop (same process: the container stays its child); that loop
 * execs vessel-monitor again when the container ends or a health probe is
 * due. What each needs of the other travels as KEY=NUMBER arguments:
 *
 *   vessel-monitor ID idle TINY_ARGS... -- MONITOR_ARGV... MONITOR_STATE...
 *
 * and back, as MONITOR_ARGV... MONITOR_STATE... RESUME_ARGS... (a key given
 * twice: the last counts). Portable C: the idle loop is built against musl. */
#pragma once
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* both ways: the container's pidfd and streams (-1: ended), and a memfd
 * with each stream's line not ended yet (-1: none) */
#define HANDOFF_PIDFD "pidfd="
#define HANDOFF_OUT "out="
#define HANDOFF_ERR "err="
#define HANDOFF_PENDING_OUT "pout="
#define HANDOFF_PENDING_ERR "perr="
/* CLOCK_MONOTONIC ns of the next health probe, 0 without one */
#define HANDOFF_HEALTH_AT "health="
/* to the idle loop only: the log and vessel-monitor's binary (an fd) */
#define HANDOFF_DIR "dir="
#define HANDOFF_LOG_MAX_SIZE "maxsize="
#define HANDOFF_LOG_MAX_FILE "maxfile="
#define HANDOFF_EXE "exe="
/* back only: why (HANDOFF_WHY_*) */
#define HANDOFF_REASON "reason="

enum handoff_reason {
  HANDOFF_WHY_EXITED = 1, /* the pidfd is readable: reap, record, restart */
  HANDOFF_WHY_HEALTH,     /* a probe is due */
  HANDOFF_WHY_STAY,       /* the idle loop could not run: do not come back */
};

/* The number after key in arg: true when arg is key=NUMBER (a leading '-'
 * allowed). */
static inline bool handoff_number(const char *arg, const char *key, long long *out)
{
  size_t k = strlen(key);
  if (strncmp(arg, key, k) != 0)
    return false;
  const char *p = arg + k;
  bool neg = *p == '-';
  p += neg;
  if (*p < '0' || *p > '9')
    return false;
  long long v = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    int d = *p - '0';
    if (v > (9223372036854775807LL - d) / 10)
      return false;
    v = v * 10 + d;
  }
  if (*p)
    return false;
  *out = neg ? -v : v;
  return true;
}

/* A memfd holding buf's n bytes (n > 0), left open across exec for the
 * other side, or -1. */
static inline int handoff_pending_save(const char *buf, size_t n)
{
  int fd = n ? memfd_create("vessel-pending", 0) : -1;
  if (fd >= 0 && write(fd, buf, n) != (ssize_t)n) {
    close(fd);
    fd = -1;
  }
  return fd;
}

/* Its bytes read back (at most max) into buf, the fd closed; 0 for -1. */
static inline size_t handoff_pending_load(int fd, char *buf, size_t max)
{
  if (fd < 0)
    return 0;
  ssize_t n = buf ? pread(fd, buf, max, 0) : 0;
  close(fd);
  return n > 0 ? (size_t)n : 0;
}

/* "key=NUMBER" in buf (64 bytes will do): returns buf */
static inline char *handoff_format(char *buf, const char *key, long long v)
{
  size_t k = strlen(key);
  memcpy(buf, key, k);
  char digits[24];
  int n = 0;
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do
    digits[n++] = (char)('0' + u % 10);
  while ((u /= 10) > 0);
  if (v < 0)
    buf[k++] = '-';
  while (n > 0)
    buf[k++] = digits[--n];
  buf[k] = '\0';
  return buf;
}
