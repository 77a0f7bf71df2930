/* spec (write a default config.json) and features. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"

int cmd_spec(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
                                       {"rootless", no_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *bundle = ".";
  bool rootless = false;
  int c;
  while ((c = cli_getopt("spec", argc, argv, "b:h", opts, err)) != -1) {
    if (c == 'b')
      bundle = optarg;
    else if (c == 'r')
      rootless = true;
    else
      return c == 'h' ? 0 : -1;
  }
  if (optind < argc)
    return vessel_error_set(err, EINVAL, "spec: unexpected argument `%s`", argv[optind]);
  _cleanup_close_ int dir = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return vessel_error_set(err, errno, "spec: bundle `%s`", bundle);
  _cleanup_free_ char *json = spec_default_json(rootless, getuid(), getgid());
  if (!json)
    return vessel_error_set(err, ENOMEM, "spec");
  _cleanup_close_ int fd =
      openat(dir, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST)
    return vessel_error_set(err, EEXIST, "spec: `%s/config.json` already exists", bundle);
  if (fd < 0)
    return vessel_error_set(err, errno, "spec: create `%s/config.json`", bundle);
  size_t len = strlen(json);
  if (write(fd, json, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
    return vessel_error_set(err, errno, "spec: write `%s/config.json`", bundle);
  return 0;
}

int cmd_features(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  while ((c = cli_getopt("features", argc, argv, "h", opts, err)) != -1)
    return c == 'h' ? 0 : -1;
  _cleanup_free_ char *json = runtime_features_json();
  if (!json)
    return vessel_error_set(err, ENOMEM, "features");
  printf("%s\n", json);
  return 0;
}
