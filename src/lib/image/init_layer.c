/* The init layer: the mountpoints every container needs over its image, as
 * one more read-only layer (docker has one per container; this one is made
 * once per layer stack). Without it each start made /etc in the overlay's
 * upper dir (a copy-up) and the three files the runtime binds /etc/hostname,
 * /etc/hosts and /etc/resolv.conf onto: five new inodes, 11% of `vessel run
 * --rm busybox true` here (perf, on ext4). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "image-internal.h"
#include "image.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char *const etc_files[] = {"hostname", "hosts", "resolv.conf"};
static const char *const root_dirs[] = {"proc", "sys", "dev"};

/* What the image shows at /name: the entry of its highest layer that has
 * one; false when none has, or a whiteout hides it. */
static bool image_entry(char *const *layers, size_t n, const char *name, struct stat *st)
{
  for (size_t i = n; i-- > 0;) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", layers[i], name);
    if (lstat(path, st) < 0)
      continue;
    return !(S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0));
  }
  return false;
}

static int fill(int dirfd, char *const *layers, size_t n, const struct stat *etc, bool has_etc)
{
  if (mkdirat(dirfd, "etc", 0755) < 0)
    return -1;
  /* the merged /etc takes this layer's owner and mode: the image's */
  if (has_etc && (fchownat(dirfd, "etc", etc->st_uid, etc->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                  fchmodat(dirfd, "etc", etc->st_mode & 07777, 0) < 0))
    return -1;
  for (size_t i = 0; i < sizeof etc_files / sizeof etc_files[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "etc/%s", etc_files[i]);
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
      return -1;
    close(fd);
  }
  for (size_t i = 0; i < sizeof root_dirs / sizeof root_dirs[0]; i++) {
    struct stat st;
    if (!image_entry(layers, n, root_dirs[i], &st) && mkdirat(dirfd, root_dirs[i], 0755) < 0)
      return -1;
  }
  return 0;
}

/* Makes layers/name under the store lock: 1 when it is there, 0 when the
 * image gets none (its /etc is a link or a file: the runtime makes what it
 * needs, as without). */
static int make_init_layer(struct image_store *s, char *const *layers, size_t n, const char *name,
                           struct vessel_error *err)
{
  struct stat etc;
  bool has_etc = image_entry(layers, n, "etc", &etc);
  if (has_etc && !S_ISDIR(etc.st_mode))
    return 0;
  char tmp[NAME_MAX + 32];
  snprintf(tmp, sizeof tmp, "%s.tmp%d", name, (int)getpid());
  if (store_lock(s, err) < 0)
    return -1;
  int r = 1;
  if (faccessat(s->layersfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
    /* made aside and renamed in: a killed command leaves a temp that gc,
     * which runs under the same lock, removes */
    rm_rf_at(s->layersfd, tmp);
    _cleanup_close_ int fd = -1;
    if (mkdirat(s->layersfd, tmp, 0755) < 0 ||
        (fd = openat(s->layersfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
        fill(fd, layers, n, &etc, has_etc) < 0 || renameat(s->layersfd, tmp, s->layersfd, name) < 0)
      r = vessel_error_set(err, errno, "make the init layer `%s`", name);
    if (r < 0)
      rm_rf_at(s->layersfd, tmp);
  }
  store_unlock(s);
  return r;
}

int image_add_init_layer(struct image_store *s, char ***layer_dirs, struct vessel_error *err)
{
  size_t n = strv_length(*layer_dirs);
  if (n == 0)
    return 0;
  const char *top = strrchr((*layer_dirs)[n - 1], '/');
  top = top ? top + 1 : (*layer_dirs)[n - 1];
  char name[NAME_MAX + 1];
  snprintf(name, sizeof name, "%s.init", top);
  /* made once per image: a start only looks for it */
  if (faccessat(s->layersfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
    int r = make_init_layer(s, *layer_dirs, n, name, err);
    if (r <= 0)
      return r;
  }
  _cleanup_free_ char *path = NULL;
  if (asprintf(&path, "%s/%s", s->layers_path, name) < 0 || strv_push(layer_dirs, &n, path) < 0)
    return vessel_error_set(err, ENOMEM, "init layer");
  return 0;
}
