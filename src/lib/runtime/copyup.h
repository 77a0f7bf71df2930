/* tmpcopyup: copy a directory tree of the image into a fresh tmpfs. */
#pragma once
#include "util/error.h"

/* Copies files, directories and symlinks below from_dir into to_dir, keeping
 * modes and owners; never follows a symlink. */
int copyup_tree(int from_dir, int to_dir, struct vessel_error *err);
