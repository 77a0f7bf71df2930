/* The parts of vessel cp shared by its file copy and its tar streams. */
#pragma once
#include <stdbool.h>

#include "util/error.h"

#define CP_DEPTH_MAX 256

/* Makes room for a new entry dirfd/name: what is there and is not a
 * directory (a link included) goes; a directory stays when want_dir. */
int cp_clear_target(int dirfd, const char *name, bool want_dir, struct vessel_error *err);

/* dirfd/name (never followed) and what is below it, as a tar stream on
 * out_fd whose top entry is named top. */
int cp_tar_write(int dirfd, const char *name, const char *top, int out_fd,
                 struct vessel_error *err);

/* Unpacks the tar stream on in_fd into the directory dirfd; owners are root
 * unless keep_owner. */
int cp_tar_read(int in_fd, int dirfd, bool keep_owner, struct vessel_error *err);
