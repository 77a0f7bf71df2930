/* Images and file systems in and out as tar archives: save, load, export. An
 * -o FILE is written beside itself and renamed into place, so a failure
 * never leaves half an archive under the name. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"

struct output {
  const char *path; /* NULL: stdout */
  char *tmp;
  int fd;
};

static int output_open(const char *cmd, struct output *o, struct vessel_error *err)
{
  if (!o->path) {
    if (isatty(STDOUT_FILENO))
      return vessel_error_set(err, 0,
                              "%s: refusing to write an archive to a terminal: use -o FILE or "
                              "redirect the output",
                              cmd);
    o->fd = STDOUT_FILENO;
    return 0;
  }
  unsigned int r = 0;
  if (getrandom(&r, sizeof r, 0) != sizeof r)
    r = (unsigned int)getpid();
  if (asprintf(&o->tmp, "%s.tmp-%08x", o->path, r) < 0) {
    o->tmp = NULL;
    return vessel_error_set(err, ENOMEM, "%s", cmd);
  }
  o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (o->fd < 0)
    return vessel_error_set(err, errno, "%s: create `%s`", cmd, o->tmp);
  return 0;
}

/* Commits (ok) or removes the output file. */
static int output_close(const char *cmd, struct output *o, bool ok, struct vessel_error *err)
{
  int r = ok ? 0 : -1;
  if (o->path && o->fd >= 0) {
    if (ok && (fsync(o->fd) < 0 || rename(o->tmp, o->path) < 0))
      r = vessel_error_set(err, errno, "%s: write `%s`", cmd, o->path);
    close(o->fd);
    if (r < 0)
      unlink(o->tmp);
  }
  free(o->tmp);
  return r;
}

int cmd_save(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'},
      {"format", required_argument, NULL, 'f'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  struct output out = {.fd = -1};
  enum image_archive_format format = IMAGE_ARCHIVE_DOCKER;
  int c;
  while ((c = cli_getopt("save", argc, argv, ":o:", opts, err)) != -1) {
    switch (c) {
    case 'o':
      out.path = optarg;
      break;
    case 'f':
      if (strcmp(optarg, "docker-archive") == 0)
        format = IMAGE_ARCHIVE_DOCKER;
      else if (strcmp(optarg, "oci-archive") == 0)
        format = IMAGE_ARCHIVE_OCI;
      else
        return vessel_error_set(
            err, 0, "save: --format must be docker-archive or oci-archive, not `%s`", optarg);
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (optind >= argc)
    return vessel_error_set(err, 0, "save: needs at least one IMAGE (see vessel save --help)");
  struct engine *e = cli_engine(cli, err);
  if (!e || output_open("save", &out, err) < 0)
    return -1;
  int r = image_save(e->images, (const char *const *)argv + optind, format, out.fd, err);
  return output_close("save", &out, r == 0, err);
}

int cmd_load(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"input", required_argument, NULL, 'i'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  const char *input = NULL;
  bool quiet = false;
  int c;
  while ((c = cli_getopt("load", argc, argv, ":i:q", opts, err)) != -1) {
    switch (c) {
    case 'i':
      input = optarg;
      break;
    case 'q':
      quiet = true;
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (optind < argc)
    return vessel_error_set(err, 0, "load: takes no arguments (use -i FILE or stdin)");
  if (!input && isatty(STDIN_FILENO))
    return vessel_error_set(err, 0, "load: requested load from stdin, but stdin is a terminal");
  _cleanup_close_ int fd = input ? open(input, O_RDONLY | O_CLOEXEC) : -1;
  if (input && fd < 0)
    return vessel_error_set(err, errno, "load: open `%s`", input);
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  _cleanup_strv_ char **loaded = NULL;
  if (image_load(e->images, input ? fd : STDIN_FILENO, &loaded, err) < 0)
    return -1;
  for (char **p = loaded; !quiet && p && *p; p++)
    printf("Loaded image%s: %s\n", strncmp(*p, "sha256:", 7) == 0 ? " ID" : "", *p);
  return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  struct output out = {.fd = -1};
  int c;
  while ((c = cli_getopt("export", argc, argv, ":o:", opts, err)) != -1) {
    switch (c) {
    case 'o':
      out.path = optarg;
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (argc - optind != 1)
    return vessel_error_set(err, 0, "export: needs one CONTAINER (see vessel export --help)");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  struct engine_container ct = {0};
  if (engine_lookup(e, argv[optind], &ct, err) < 0)
    return -1;
  _cleanup_strv_ char **layers = NULL;
  _cleanup_free_ char *upper = NULL;
  int r = image_resolve(e->images, ct.image_id, NULL, &layers, NULL, err);
  if (r == 0 && asprintf(&upper, "%s/containers/%s/upper", e->root, ct.id) < 0) {
    upper = NULL;
    r = vessel_error_set(err, ENOMEM, "export");
  }
  if (r == 0)
    r = output_open("export", &out, err);
  if (r == 0) {
    r = image_export_rootfs(layers, upper, out.fd, err);
    r = output_close("export", &out, r == 0, err);
  }
  if (r < 0)
    vessel_error_prefix(err, "container `%s`", argv[optind]);
  engine_container_clear(&ct);
  return r;
}

/* image prune: docker's, with -a for every image no container uses; asks
 * first unless -f. */
int cmd_image_prune(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  bool force, all;
  int r = cli_prune_flags("image prune", argc, argv, &force, &all, NULL, err);
  if (r != 0)
    return r > 0 ? 0 : -1;
  if (!force && !cli_confirm(all ? "This will remove all images without at least one container "
                                   "associated to them."
                                 : "This will remove all dangling images."))
    return 0;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  _cleanup_strv_ char **keep = cli_images_in_use(e, err);
  _cleanup_strv_ char **removed = NULL;
  if (!keep || image_prune(e->images, all, keep, &removed, err) < 0)
    return -1;
  cli_print_deleted("Images", "deleted: ", removed);
  printf("Total reclaimed space: 0B\n");
  return 0;
}
