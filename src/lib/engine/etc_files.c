/* /etc/hostname, /etc/hosts and /etc/resolv.conf of a container, as docker
 * gives them: files of the container's directory, bind-mounted over the
 * image's. localhost resolves, the container knows its name, and with
 * --network host it sees the host's hosts and resolver. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* docker's /etc/hosts without a network of its own */
static const char default_hosts[] = "127.0.0.1\tlocalhost\n"
                                    "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                    "fe00::0\tip6-localnet\n"
                                    "ff00::0\tip6-mcastprefix\n"
                                    "ff02::1\tip6-allnodes\n"
                                    "ff02::2\tip6-allrouters\n";

static const char *const etc_files[] = {"hostname", "hosts", "resolv.conf"};

json_t *etc_files_mounts(const struct bundle_input *in)
{
  json_t *a = json_array();
  for (size_t i = 0; a && i < ARRAY_SIZE(etc_files); i++) {
    _cleanup_free_ char *src = NULL, *dst = NULL;
    if (asprintf(&src, "%s/containers/%s/%s", in->root, in->id, etc_files[i]) < 0 ||
        asprintf(&dst, "/etc/%s", etc_files[i]) < 0) {
      json_decref(a);
      return NULL;
    }
    json_array_append_new(a,
                          json_pack("{s:s, s:s, s:s, s:[s, s, s]}", "destination", dst, "type",
                                    "bind", "source", src, "options", "rbind", "rprivate", "rw"));
  }
  return a;
}

/* 0644: every user of the container reads them. Written over, then cut to
 * length, not truncated first: a spare's file (spares.h) keeps its block,
 * whose freeing would cost a discard. */
static int write_file(int dirfd, const char *name, const char *text, size_t len,
                      struct vessel_error *err)
{
  _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 || fchmod(fd, 0644) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len ||
      ftruncate(fd, (off_t)len) < 0)
    return vessel_error_set(err, errno ? errno : EIO, "write `%s`", name);
  return 0;
}

/* A host file's text, or fallback when the host has none. */
static int copy_host_file(int dirfd, const char *name, const char *host_path, const char *fallback,
                          struct vessel_error *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  struct vessel_error ignored = {0};
  if (fs_read_fileat(AT_FDCWD, host_path, &text, &len, &ignored) < 0)
    return write_file(dirfd, name, fallback, strlen(fallback), err);
  return write_file(dirfd, name, text, len, err);
}

int etc_files_write(int dirfd, const char *hostname, bool network_host, struct vessel_error *err)
{
  _cleanup_free_ char *line = NULL;
  if (asprintf(&line, "%s\n", hostname) < 0)
    return vessel_error_set(err, ENOMEM, "/etc/hostname");
  if (write_file(dirfd, "hostname", line, strlen(line), err) < 0 ||
      (network_host ? copy_host_file(dirfd, "hosts", "/etc/hosts", default_hosts, err)
                    : write_file(dirfd, "hosts", default_hosts, strlen(default_hosts), err)) < 0 ||
      copy_host_file(dirfd, "resolv.conf", "/etc/resolv.conf", "", err) < 0)
    return vessel_error_prefix(err, "the container's /etc files");
  return 0;
}
