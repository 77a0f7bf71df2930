/* Counts and sizes of what the engine holds, and the host's facts, for
 * `vessel info` and `vessel system df`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "engine/sysinfo.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define TREE_DEPTH_MAX 128

static unsigned long long tree_size(int dirfd, int depth)
{
  if (depth > TREE_DEPTH_MAX)
    return 0;
  _cleanup_closedir_ DIR *d = fs_opendirat(dirfd, ".");
  if (!d)
    return 0;
  unsigned long long sum = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISREG(st.st_mode)) {
      sum += (unsigned long long)st.st_size;
    } else if (S_ISDIR(st.st_mode)) {
      _cleanup_close_ int sub =
          openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0)
        sum += tree_size(sub, depth + 1);
    }
  }
  return sum;
}

unsigned long long engine_tree_size(int parent, const char *name)
{
  _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? 0 : tree_size(fd, 0);
}

static void os_name(char *buf, size_t size)
{
  snprintf(buf, size, "Linux");
  _cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "PRETTY_NAME=", 12) != 0)
      continue;
    char *v = line + 12;
    v[strcspn(v, "\n")] = '\0';
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
      v[n - 1] = '\0';
      v++;
    }
    size_t len = strlen(v) < size - 1 ? strlen(v) : size - 1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    return;
  }
}

int engine_info(struct engine *e, struct engine_info *out, struct vessel_error *err)
{
  memset(out, 0, sizeof *out);
  enum cgroup_mode mode;
  if (cgroup_detect("/sys/fs/cgroup", &mode, err) < 0)
    return -1;
  out->cgroup_layout = mode == CGROUP_MODE_V2 ? "v2" : mode == CGROUP_MODE_HYBRID ? "hybrid" : "v1";
  out->cgroup_version = mode == CGROUP_MODE_V2 ? 2 : 1;
  struct engine_container *v = NULL;
  size_t n = 0;
  if (engine_list(e, &v, &n, err) < 0)
    return -1;
  out->containers = n;
  for (size_t i = 0; i < n; i++) {
    if (v[i].state == ENGINE_RUNNING)
      out->running++;
    else if (v[i].state == ENGINE_PAUSED)
      out->paused++;
    else
      out->stopped++;
  }
  engine_list_free(v, n);
  struct image_info *imgs = NULL;
  size_t n_imgs = 0;
  if (image_list(e->images, &imgs, &n_imgs, err) < 0)
    return -1;
  /* one image may carry several names: count ids */
  for (size_t i = 0; i < n_imgs; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = imgs[i].id && imgs[j].id && strcmp(imgs[i].id, imgs[j].id) == 0;
    out->images += !seen;
  }
  for (size_t i = 0; i < n_imgs; i++)
    image_info_free(&imgs[i]);
  free(imgs);
  struct utsname u;
  if (uname(&u) == 0)
    snprintf(out->kernel, sizeof out->kernel, "%s", u.release);
  os_name(out->os, sizeof out->os);
  out->cpus = sysconf(_SC_NPROCESSORS_ONLN);
  struct sysinfo si;
  if (sysinfo(&si) == 0)
    out->memory = (unsigned long long)si.totalram * si.mem_unit;
  return 0;
}

static bool is_up(const struct engine_container *c)
{
  return c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED;
}

int engine_df(struct engine *e, struct engine_df *out, struct vessel_error *err)
{
  memset(out, 0, sizeof *out);
  struct engine_container *v = NULL;
  size_t n = 0;
  if (engine_list(e, &v, &n, err) < 0)
    return -1;
  struct image_info *imgs = NULL;
  size_t n_imgs = 0;
  if (image_list(e->images, &imgs, &n_imgs, err) < 0) {
    engine_list_free(v, n);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    char upper[80];
    snprintf(upper, sizeof upper, "%s/upper", v[i].id);
    unsigned long long size = engine_tree_size(e->containers_fd, upper);
    out->containers.total++;
    out->containers.size += size;
    if (is_up(&v[i]))
      out->containers.active++;
    else
      out->containers.reclaimable += size;
  }
  for (size_t i = 0; i < n_imgs; i++) {
    bool seen = false, used = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = imgs[i].id && imgs[j].id && strcmp(imgs[i].id, imgs[j].id) == 0;
    if (seen)
      continue;
    for (size_t k = 0; k < n && !used; k++)
      used = imgs[i].id && v[k].image_id && strcmp(imgs[i].id, v[k].image_id) == 0;
    out->images.total++;
    out->images.size += imgs[i].size;
    if (used)
      out->images.active++;
    else
      out->images.reclaimable += imgs[i].size;
  }
  for (size_t i = 0; i < n_imgs; i++)
    image_info_free(&imgs[i]);
  free(imgs);
  engine_list_free(v, n);
  /* volumes: one directory each under root/volumes, where they exist */
  _cleanup_free_ char *vpath = NULL;
  if (asprintf(&vpath, "%s/volumes", e->root) < 0)
    return vessel_error_set(err, ENOMEM, "df");
  _cleanup_close_ int vfd = open(vpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (vfd >= 0) {
    int fd = fcntl(vfd, F_DUPFD_CLOEXEC, 0);
    _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0)
      close(fd);
    struct dirent *de;
    while (d && (de = readdir(d))) {
      if (de->d_name[0] == '.' || de->d_type != DT_DIR)
        continue;
      out->volumes.total++;
      out->volumes.size += engine_tree_size(vfd, de->d_name);
    }
  }
  return 0;
}
