/* `vessel cp`: files between the host and a container's root, every path
 * of the container resolved inside that root. */
#pragma once
#include <stdbool.h>

#include "engine/engine.h"

struct engine_cp_opts {
  const char *container;      /* name or id */
  const char *container_path; /* taken from the container's / */
  const char *host_path;      /* NULL with tar_fd */
  int tar_fd;                 /* >= 0: the host side is a tar stream on it (cp's `-`) */
  bool to_container;          /* host -> container, else container -> host */
  bool archive;               /* -a: keep the owners (else root inside, the caller outside) */
  bool follow;                /* -L: a source that is a link is copied as what it names */
};

/* Copies a file, symlink or directory tree as docker cp does: into a
 * destination directory that exists, else to the destination's name. Modes
 * and times are kept. A stopped container's root is mounted in a private
 * mount namespace of the calling process (which it enters for good). */
int engine_cp(struct engine *e, const struct engine_cp_opts *o, struct vessel_error *err);
