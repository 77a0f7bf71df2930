/* The json-file log writer itself: entries, docker's line cutting and size
 * rotation. Nothing here but system calls and the string functions, so that
 * vessel-monitor-idle (built against musl, no vessel library) writes logs
 * with this same code. */
#pragma once
#include <stddef.h>
#include <time.h>

#define LOGFILE_LINE_MAX 16384 /* longer lines become several entries, as docker's */

struct logwriter {
  int dirfd; /* must stay open while the writer is used */
  int fd;
  const char *name;   /* <id>-json.log in dirfd */
  long long size;     /* of the current file */
  long long max_size; /* 0: never rotated */
  int max_file;       /* < 2: the one file starts over when full */
};

/* Opens (appends to) dirfd/name, w's dirfd, name and limits set: 0 or
 * -errno. */
int logwriter_open(struct logwriter *w);
/* One entry {"log":...,"stream":...,"time":...}, rotated first when the
 * file is full; stream 1 stdout, 2 stderr: 0 or -errno. */
int logwriter_write(struct logwriter *w, int stream, const struct timespec *ts, const char *text,
                    size_t len);

/* One output stream of a container, cut into entries: each entry a whole
 * line, or LOGFILE_LINE_MAX bytes of a longer one. */
struct logstream {
  int stream;    /* 1 stdout, 2 stderr */
  char *pending; /* LOGFILE_LINE_MAX bytes the owner gives, or NULL: every
                    chunk then is an entry of its own */
  size_t n;      /* bytes of a line not ended yet in pending */
};

/* What came from the stream at ts: 0, or the first -errno of a write. */
int logstream_feed(struct logwriter *w, struct logstream *s, const struct timespec *ts,
                   const char *buf, size_t n);
/* The line not ended yet, as an entry of its own (at the stream's end). */
int logstream_flush(struct logwriter *w, struct logstream *s, const struct timespec *ts);
