/* Test helper: writes tarballs entry by entry with libarchive. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

struct tar_entry {
  const char *name;
  char type; /* 'f' file, 'd' dir, 'l' symlink, 'h' hardlink, 'c' char device, 'p' fifo */
  mode_t perm;
  const char *data;  /* file content, symlink or hardlink target */
  const char *xattr; /* optional xattr name, set to "y" */
};

/* filter: "none", "gzip" or "zstd". Returns 0 on success. */
int tar_build(const char *path, const char *filter, const struct tar_entry *e, size_t n);
/* Adds a whole host file as a regular entry (for busybox). */
int tar_build_with_file(const char *path, const char *filter, const struct tar_entry *e, size_t n,
                        const char *name, const char *host_file);
