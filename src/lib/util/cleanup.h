/* Scope-bound resources: every fd, allocation and handle is released by the
 * compiler on every path; ownership moves only through TAKE_PTR / TAKE_FD. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <errno.h>

static inline void cleanup_freep(void *p)
{
  free(*(void **)p);
}
static inline void cleanup_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void cleanup_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}
static inline void cleanup_closedirp(DIR **d)
{
  if (*d)
    closedir(*d);
}
void cleanup_strvp(char ***v);

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(cleanup_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(cleanup_strvp)))

/* Move ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                                                                \
  ({                                                                                               \
    __typeof__(p) *_pp = &(p);                                                                     \
    __typeof__(p) _tmp = *_pp;                                                                     \
    *_pp = NULL;                                                                                   \
    _tmp;                                                                                          \
  })
#define TAKE_FD(fd)                                                                                \
  ({                                                                                               \
    int *_pfd = &(fd);                                                                             \
    int _tmp = *_pfd;                                                                              \
    *_pfd = -1;                                                                                    \
    _tmp;                                                                                          \
  })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
