/* vessel logs: a container's json-file log, stdout lines to stdout and
 * stderr lines to stderr, as docker prints them. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/fs.h"

struct print {
  bool timestamps;
};

static int write_all(int fd, const char *buf, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

static int print_line(const struct engine_log_line *l, void *data)
{
  const struct print *p = data;
  int fd = l->stream == 2 ? STDERR_FILENO : STDOUT_FILENO;
  if (p->timestamps) {
    char stamp[64], date[32];
    struct tm tm;
    gmtime_r(&l->time.tv_sec, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = snprintf(stamp, sizeof stamp, "%s.%09ldZ ", date, l->time.tv_nsec);
    if (write_all(fd, stamp, (size_t)n) < 0)
      return -1;
  }
  return write_all(fd, l->text, l->len);
}

int cmd_logs(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"follow", no_argument, NULL, 'f'},      {"tail", required_argument, NULL, 'n'},
      {"since", required_argument, NULL, 's'}, {"timestamps", no_argument, NULL, 't'},
      {"help", no_argument, NULL, CLI_HELP},   {NULL, 0, NULL, 0},
  };
  struct engine_logs_opts o = {.tail = -1};
  struct print p = {0};
  int c;
  while ((c = cli_getopt("logs", argc, argv, ":fn:t", opts, err)) != -1) {
    long long n;
    switch (c) {
    case 'f':
      o.follow = true;
      break;
    case 'n':
      if (strcmp(optarg, "all") == 0)
        o.tail = -1;
      else if (parse_i64(optarg, &n) < 0 || n < 0)
        return vessel_error_set(err, 0, "logs: bad --tail `%s`: a count or all", optarg);
      else
        o.tail = n;
      break;
    case 's':
      if (engine_parse_since(optarg, &o.since, err) < 0)
        return vessel_error_prefix(err, "logs");
      o.since_set = true;
      break;
    case 't':
      p.timestamps = true;
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (argc - optind != 1)
    return vessel_error_set(err, 0, "logs: needs one container name or id");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  fflush(stdout);
  if (engine_logs(e, argv[optind], &o, print_line, &p, err) < 0) {
    if (!err->msg[0])
      vessel_error_set(err, errno, "logs: write");
    return -1;
  }
  return 0;
}
