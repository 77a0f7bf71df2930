/* File helpers: whole-file reads and writes, atomic records, and path
 * resolution confined to a root directory fd. */
#pragma once
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Reads a whole file (at most 64 MiB) relative to dirfd; *out is NUL-terminated. */
int fs_read_fileat(int dirfd, const char *path, char **out, size_t *len, struct vessel_error *err);

/* Writes buf to an existing file (cgroupfs, procfs): open O_WRONLY, one write. */
int fs_write_fileat(int dirfd, const char *path, const char *buf, size_t len,
                    struct vessel_error *err);

/* Writes a record atomically: temp file in the same dir, optional fsync, rename. */
int fs_write_atomic(int dirfd, const char *name, const char *buf, size_t len, bool sync,
                    struct vessel_error *err);

/* mkdir -p on a host path. */
int fs_mkdir_p(const char *path, mode_t mode, struct vessel_error *err);

/* Opens path resolved inside rootfd: no component, symlinks included, can leave
 * the root and magic links are refused (openat2 RESOLVE_IN_ROOT with a
 * component walk as fallback). Returns the fd. */
int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct vessel_error *err);

/* Creates every missing directory of path inside rootfd (mode for new ones) and
 * returns an O_PATH fd of the last one. With make_file, the last component is
 * created as an empty regular file instead. */
int fs_mkpath_in_root(int rootfd, const char *path, mode_t mode, bool make_file,
                      struct vessel_error *err);

/* "/proc/self/fd/N" for mounting onto an fd; buf must hold 32 bytes. */
const char *fs_fd_path(int fd, char buf[static 32]);

/* Checked number parsing: whole string, no sign surprises, no overflow. */
int parse_u64(const char *s, unsigned long long *out);
int parse_i64(const char *s, long long *out);

/* A directory stream of name under dirfd ("." for dirfd itself, which stays
 * open), a final link not followed; NULL with errno set. */
DIR *fs_opendirat(int dirfd, const char *name);

/* NULL-terminated string vectors. */
size_t strv_length(char *const *v);
void strv_free(char **v);
/* A deep copy (an empty vector for NULL); NULL on ENOMEM. */
char **strv_copy(char *const *v);
/* Appends a copy of s to *v, which holds *n strings, NULL-terminated after
 * it; -1 on ENOMEM (*v stays valid). */
int strv_push(char ***v, size_t *n, const char *s);
