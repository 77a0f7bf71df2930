/* json-file entries as docker writes them, with its rotation (logwriter.h).
 * Only system calls and mem* here: vessel-monitor-idle links this file
 * against musl. */
#include "engine/logwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* renameat */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/timefmt.h"

#define WRITE_CHUNK 4096

static int open_file(struct logwriter *w, int flags)
{
  w->fd = openat(w->dirfd, w->name, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | flags,
                 0600);
  struct stat st;
  if (w->fd < 0 || fstat(w->fd, &st) < 0)
    return -errno;
  w->size = st.st_size;
  return 0;
}

int logwriter_open(struct logwriter *w)
{
  return open_file(w, 0);
}

/* name, or name.i (i < 1000) */
static void numbered(char out[], const char *name, int i)
{
  size_t n = strlen(name);
  memcpy(out, name, n);
  if (i > 0) {
    char digits[4];
    int k = 0;
    do
      digits[k++] = (char)('0' + i % 10);
    while ((i /= 10) > 0 && k < 3);
    out[n++] = '.';
    while (k > 0)
      out[n++] = digits[--k];
  }
  out[n] = '\0';
}

/* name.N-2 -> name.N-1 ... name -> name.1, then a new name; with one file,
 * the file starts over. */
static int rotate(struct logwriter *w)
{
  if (w->max_file < 2) {
    if (ftruncate(w->fd, 0) < 0)
      return -errno;
    w->size = 0;
    return 0;
  }
  size_t len = strlen(w->name);
  if (len > 4000)
    return -ENAMETOOLONG;
  char from[4096], to[4096];
  for (int i = (w->max_file < 1000 ? w->max_file : 1000) - 1; i >= 1; i--) {
    numbered(from, w->name, i - 1);
    numbered(to, w->name, i);
    if (renameat(w->dirfd, from, w->dirfd, to) < 0 && errno != ENOENT)
      return -errno;
  }
  close(w->fd);
  return open_file(w, O_TRUNC);
}

struct out {
  struct logwriter *w;
  char buf[WRITE_CHUNK];
  size_t n;
  int error;
};

static void out_flush(struct out *o)
{
  for (size_t off = 0; off < o->n && !o->error;) {
    ssize_t k = write(o->w->fd, o->buf + off, o->n - off);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      o->error = errno;
    else
      off += (size_t)k;
  }
  o->w->size += (long long)o->n;
  o->n = 0;
}

static void out_put(struct out *o, const char *s, size_t n)
{
  if (o->n + n > sizeof o->buf)
    out_flush(o);
  memcpy(o->buf + o->n, s, n);
  o->n += n;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
  size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
  if (len == 0 || len > n || s[0] > 0xf4)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  /* no overlong forms, surrogates or code points past U+10FFFF */
  if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
      (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
    return 0;
  return len;
}

/* JSON string body as Go's encoder writes it: <, > and & escaped too, and
 * bytes that are no UTF-8 as U+FFFD. */
static void out_escaped(struct out *o, const char *s, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    char esc[7];
    if (ch >= 0x80) {
      size_t n = utf8_len((const unsigned char *)s + i, len - i);
      if (n == 0) {
        out_put(o, "\\ufffd", 6);
      } else {
        out_put(o, s + i, n);
        i += n - 1;
      }
      continue;
    }
    if (ch == '"' || ch == '\\') {
      esc[0] = '\\';
      esc[1] = (char)ch;
      out_put(o, esc, 2);
    } else if (ch == '\n' || ch == '\r' || ch == '\t') {
      esc[0] = '\\';
      esc[1] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
      out_put(o, esc, 2);
    } else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&' || ch == 0x7f) {
      memcpy(esc, "\\u00", 4);
      esc[4] = hex[ch >> 4];
      esc[5] = hex[ch & 15];
      out_put(o, esc, 6);
    } else {
      out_put(o, (const char *)&s[i], 1);
    }
  }
}

int logwriter_write(struct logwriter *w, int stream, const struct timespec *ts, const char *text,
                    size_t len)
{
  if (w->max_size > 0 && w->size >= w->max_size) {
    int r = rotate(w);
    if (r < 0)
      return r;
  }
  struct out o = {.w = w};
  char date[TIME_RFC3339_MAX];
  time_rfc3339(ts, date);
  out_put(&o, "{\"log\":\"", 8);
  out_escaped(&o, text, len);
  out_put(&o, "\",\"stream\":\"", 12);
  out_put(&o, stream == 2 ? "stderr" : "stdout", 6);
  out_put(&o, "\",\"time\":\"", 10);
  out_put(&o, date, strlen(date));
  out_put(&o, "\"}\n", 3);
  out_flush(&o);
  return -o.error;
}

int logstream_feed(struct logwriter *w, struct logstream *s, const struct timespec *ts,
                   const char *buf, size_t n)
{
  int ret = 0, r;
  while (n > 0) {
    const char *nl = memchr(buf, '\n', n);
    size_t take = nl ? (size_t)(nl - buf) + 1 : n;
    if ((s->n == 0 && nl) || !s->pending) {
      r = logwriter_write(w, s->stream, ts, buf, take);
    } else {
      size_t room = LOGFILE_LINE_MAX - s->n;
      take = take < room ? take : room;
      memcpy(s->pending + s->n, buf, take);
      s->n += take;
      r = 0;
      if (s->n == LOGFILE_LINE_MAX || s->pending[s->n - 1] == '\n')
        r = logstream_flush(w, s, ts);
    }
    if (r < 0 && ret == 0)
      ret = r;
    buf += take;
    n -= take;
  }
  return ret;
}

int logstream_flush(struct logwriter *w, struct logstream *s, const struct timespec *ts)
{
  size_t n = s->n;
  s->n = 0;
  return n ? logwriter_write(w, s->stream, ts, s->pending, n) : 0;
}
