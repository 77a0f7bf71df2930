/* json-file logs: the monitor's writer with docker's size rotation, and the
 * reader behind `vessel logs` (tail, since, follow across rotation). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/timefmt.h"
#include "engine/internal.h"
#include "engine/logfile.h"
#include "engine/logwriter.h"
#include "engine/policy.h"

#define READ_CHUNK 65536
#define FOLLOW_POLL_MS 100

struct logfile {
  struct logwriter w;
  char *name;
};

void logfile_name(const char *id, char out[80])
{
  snprintf(out, 80, "%.64s-json.log", id);
}

struct logfile *logfile_open(int dirfd, const char *name, long long max_size, int max_file,
                             struct vessel_error *err)
{
  struct logfile *l = calloc(1, sizeof *l);
  if (!l || !(l->name = strdup(name))) {
    free(l);
    vessel_error_set(err, ENOMEM, "log `%s`", name);
    return NULL;
  }
  l->w = (struct logwriter){
      .dirfd = dirfd, .fd = -1, .name = l->name, .max_size = max_size, .max_file = max_file};
  int r = logwriter_open(&l->w);
  if (r < 0) {
    vessel_error_set(err, -r, "open the log `%s`", name);
    logfile_close(l);
    return NULL;
  }
  return l;
}

void logfile_close(struct logfile *l)
{
  if (!l)
    return;
  if (l->w.fd >= 0)
    close(l->w.fd);
  free(l->name);
  free(l);
}

struct logwriter *logfile_writer(struct logfile *l)
{
  return &l->w;
}

/* --- reading --- */

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int read_u4(const char *p, const char *end, unsigned *out)
{
  if (end - p < 4)
    return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p[i]);
    if (h < 0)
      return -1;
    v = v * 16 + (unsigned)h;
  }
  *out = v;
  return 0;
}

static char *put_utf8(char *w, unsigned cp)
{
  if (cp < 0x80) {
    *w++ = (char)cp;
  } else if (cp < 0x800) {
    *w++ = (char)(0xc0 | (cp >> 6));
    *w++ = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *w++ = (char)(0xe0 | (cp >> 12));
    *w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
    *w++ = (char)(0x80 | (cp & 0x3f));
  } else {
    *w++ = (char)(0xf0 | (cp >> 18));
    *w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
    *w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
    *w++ = (char)(0x80 | (cp & 0x3f));
  }
  return w;
}

/* A JSON string at *pp (at its opening quote) decoded in place: returns its
 * start and length; *pp moves past the closing quote. */
static char *decode_string(char **pp, const char *end, size_t *len)
{
  char *p = *pp;
  if (p >= end || *p != '"')
    return NULL;
  char *start = ++p, *w = start;
  while (p < end && *p != '"') {
    if (*p != '\\') {
      *w++ = *p++;
      continue;
    }
    if (++p >= end)
      return NULL;
    char c = *p++;
    unsigned cp, lo;
    switch (c) {
    case 'n':
      *w++ = '\n';
      break;
    case 'r':
      *w++ = '\r';
      break;
    case 't':
      *w++ = '\t';
      break;
    case 'b':
      *w++ = '\b';
      break;
    case 'f':
      *w++ = '\f';
      break;
    case 'u':
      if (read_u4(p, end, &cp) < 0)
        return NULL;
      p += 4;
      if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
          read_u4(p + 2, end, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        p += 6;
      }
      w = put_utf8(w, cp);
      break;
    default:
      *w++ = c;
    }
  }
  if (p >= end)
    return NULL;
  *pp = p + 1;
  *len = (size_t)(w - start);
  return start;
}

int logfile_parse_line(char *line, size_t len, struct engine_log_line *out)
{
  char *p = line, *end = line + len;
  bool got_log = false, got_time = false;
  out->stream = 1;
  while (p < end && *p != '{')
    p++;
  if (p++ >= end)
    return -1;
  for (;;) {
    while (p < end && (*p == ' ' || *p == ','))
      p++;
    if (p >= end || *p == '}')
      break;
    size_t klen, vlen;
    char *key = decode_string(&p, end, &klen);
    if (!key)
      return -1;
    while (p < end && (*p == ' ' || *p == ':'))
      p++;
    char *val = decode_string(&p, end, &vlen);
    if (!val)
      return -1;
    if (klen == 3 && memcmp(key, "log", 3) == 0) {
      out->text = val;
      out->len = vlen;
      got_log = true;
    } else if (klen == 6 && memcmp(key, "stream", 6) == 0) {
      out->stream = vlen == 6 && memcmp(val, "stderr", 6) == 0 ? 2 : 1;
    } else if (klen == 4 && memcmp(key, "time", 4) == 0) {
      char t[64];
      if (vlen >= sizeof t)
        return -1;
      memcpy(t, val, vlen);
      t[vlen] = '\0';
      got_time = policy_parse_time(t, &out->time) == 0;
    }
  }
  return got_log && got_time ? 0 : -1;
}

struct reader {
  const struct engine_logs_opts *o;
  int (*fn)(const struct engine_log_line *l, void *data);
  void *data;
  bool counting;
  long long count; /* entries seen (counting) or still to skip */
  char *buf;
  size_t len, cap;
};

static bool before(const struct timespec *a, const struct timespec *b)
{
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int one_line(struct reader *r, char *line, size_t len)
{
  struct engine_log_line l;
  if (logfile_parse_line(line, len, &l) < 0)
    return 0; /* a torn or foreign line: skipped, as docker does */
  if (r->o->since_set && before(&l.time, &r->o->since))
    return 0;
  if (r->counting) {
    r->count++;
    return 0;
  }
  if (r->count > 0) {
    r->count--;
    return 0;
  }
  return r->fn(&l, r->data);
}

/* Reads fd to its current end; a last line without '\n' stays buffered
 * (it is being written). */
static int read_fd(struct reader *r, int fd, struct vessel_error *err)
{
  for (;;) {
    if (r->cap - r->len < READ_CHUNK) {
      char *nb = realloc(r->buf, r->cap + READ_CHUNK);
      if (!nb)
        return vessel_error_set(err, ENOMEM, "read the logs");
      r->buf = nb;
      r->cap += READ_CHUNK;
    }
    ssize_t n = read(fd, r->buf + r->len, r->cap - r->len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vessel_error_set(err, errno, "read the logs");
    if (n == 0)
      return 0;
    r->len += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < r->len; i++) {
      if (r->buf[i] != '\n')
        continue;
      int q = one_line(r, r->buf + start, i - start);
      if (q < 0)
        return q;
      start = i + 1;
    }
    memmove(r->buf, r->buf + start, r->len - start);
    r->len -= start;
    if (r->len > 4 * LOGFILE_LINE_MAX * 6) /* no line of ours is this long */
      r->len = 0;
  }
}

/* The rotated files present: name.1 .. name.N. */
static int rotated_count(int dirfd, const char *name)
{
  int n = 0;
  char path[4096];
  for (int i = 1; i < POLICY_MAX_LOG_FILES; i++) {
    snprintf(path, sizeof path, "%s.%d", name, i);
    if (faccessat(dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
      break;
    n = i;
  }
  return n;
}

/* One pass over every file, oldest first; the current file's fd is left
 * in *cur (at its end) when cur is given. */
static int read_all(int dirfd, const char *name, struct reader *r, int *cur,
                    struct vessel_error *err)
{
  char path[4096];
  for (int i = rotated_count(dirfd, name); i >= 0; i--) {
    if (i)
      snprintf(path, sizeof path, "%s.%d", name, i);
    else
      snprintf(path, sizeof path, "%s", name);
    int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
      continue; /* rotated meanwhile */
    if (fd < 0)
      return vessel_error_set(err, errno, "open the log `%s`", path);
    r->len = 0;
    int q = read_fd(r, fd, err);
    if (i == 0 && cur && q == 0)
      *cur = fd;
    else
      close(fd);
    if (q < 0)
      return q;
  }
  return 0;
}

static void sleep_ms(long ms)
{
  nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

static int follow(int dirfd, const char *name, struct reader *r, int fd, bool (*alive)(int),
                  struct vessel_error *err)
{
  for (;;) {
    bool up = alive(dirfd);
    if (fd >= 0 && read_fd(r, fd, err) < 0)
      return -1;
    struct stat now, ours;
    bool renamed = fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                   (fd < 0 || (fstat(fd, &ours) == 0 && ours.st_ino != now.st_ino));
    if (renamed) {
      /* rotated: what the writer added before it renamed the file */
      if (fd >= 0 && read_fd(r, fd, err) < 0) {
        close(fd);
        return -1;
      }
      if (fd >= 0)
        close(fd);
      r->len = 0;
      fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      continue;
    }
    if (fd >= 0 && fstat(fd, &ours) == 0 && ours.st_size < lseek(fd, 0, SEEK_CUR)) {
      lseek(fd, 0, SEEK_SET); /* truncated in place (max-file=1) */
      r->len = 0;
      continue;
    }
    if (!up)
      break;
    sleep_ms(FOLLOW_POLL_MS);
  }
  if (fd >= 0)
    close(fd);
  return 0;
}

int logfile_read(int dirfd, const char *name, const struct engine_logs_opts *o,
                 bool (*alive)(int dirfd), int (*fn)(const struct engine_log_line *l, void *data),
                 void *data, struct vessel_error *err)
{
  struct reader r = {.o = o, .fn = fn, .data = data};
  int cur = -1, ret = 0;
  if (o->tail >= 0) {
    r.counting = true;
    if (read_all(dirfd, name, &r, NULL, err) < 0) {
      free(r.buf);
      return -1;
    }
    r.counting = false;
    r.count = r.count > o->tail ? r.count - o->tail : 0;
  }
  ret = read_all(dirfd, name, &r, o->follow ? &cur : NULL, err);
  if (ret == 0 && o->follow)
    ret = follow(dirfd, name, &r, cur, alive, err);
  else if (cur >= 0)
    close(cur);
  free(r.buf);
  return ret;
}
