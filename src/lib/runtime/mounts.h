/* The container's filesystem view: the root bind, the spec's mounts (every
 * destination resolved inside the rootfs, never by string), pivot_root,
 * masked and read-only paths, and the read-only root. */
#pragma once
#include <stdbool.h>

#include "init.h"
#include "util/error.h"

/* Makes the mount tree private/slave as the spec says and binds the rootfs
 * onto itself. Returns an fd of the rootfs mount. */
int rootfs_prepare(const struct init_config *c, struct vessel_error *err);

/* Mounts the spec's mounts below rootfd, in order. */
int mounts_apply(const struct init_config *c, int rootfd, struct vessel_error *err);

/* Attaches a detached mount (from open_tree) at fd-resolved dst. */
int mount_move_to(int tree_fd, int dst_fd, struct vessel_error *err);

/* Binds the host path src onto dst_fd (an O_PATH fd inside the root). */
int mount_bind_fd(const char *src, int dst_fd, bool recursive, struct vessel_error *err);

int rootfs_pivot(int rootfd, bool no_pivot, struct vessel_error *err);

/* After pivot: sysctl, masked paths, read-only paths, read-only root. */
int rootfs_finish(const struct init_config *c, struct vessel_error *err);
