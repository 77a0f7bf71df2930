/* `vessel stats`: a container's usage from its cgroup (v1, hybrid or v2)
 * and its network namespace's interface counters. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "engine/internal.h"
#include "engine/stats.h"
#include "util/cleanup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* linux.cgroupsPath of the container's config.json (bundle.c sets it) */
static char *cgroups_path(struct engine *e, const char *id)
{
  _cleanup_close_ int dfd = engine_container_dir(e, id, &(struct vessel_error){0});
  char *path = NULL;
  if (dfd >= 0) {
    _cleanup_close_ int fd = openat(dfd, "config.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    json_t *cfg = fd >= 0 ? json_loadfd(fd, 0, NULL) : NULL;
    const char *p =
        json_string_value(json_object_get(json_object_get(cfg, "linux"), "cgroupsPath"));
    if (p && p[0] == '/')
      path = strdup(p);
    json_decref(cfg);
  }
  if (!path && asprintf(&path, "/vessel-%s", id) < 0)
    path = NULL;
  return path;
}

/* Bytes received and sent by the interfaces of pid's network namespace,
 * but lo; nothing when it is the host's (--network host: docker shows 0). */
static void net_io(pid_t pid, struct engine_stats *st)
{
  char path[64];
  struct stat theirs, ours;
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  if (stat(path, &theirs) < 0 || stat("/proc/self/ns/net", &ours) < 0 ||
      (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev))
    return;
  snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (!colon)
      continue; /* the two header lines */
    *colon = '\0';
    const char *name = line + strspn(line, " ");
    if (strcmp(name, "lo") == 0)
      continue;
    unsigned long long rx, tx;
    if (sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu", &rx, &tx) == 2) {
      st->net_rx += rx;
      st->net_tx += tx;
    }
  }
}

int engine_stats(struct engine *e, const struct engine_container *c, struct engine_stats *st,
                 struct vessel_error *err)
{
  memset(st, 0, sizeof *st);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  st->sampled_ns = (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec;
  struct sysinfo si;
  if (sysinfo(&si) == 0)
    st->host_memory = (unsigned long long)si.totalram * si.mem_unit;
  if (c->pid <= 0 || (c->state != ENGINE_RUNNING && c->state != ENGINE_PAUSED))
    return 0; /* docker shows a stopped container with zeros */
  enum cgroup_mode mode;
  if (cgroup_detect(CGROUP_ROOT, &mode, err) < 0)
    return -1;
  _cleanup_free_ char *path = cgroups_path(e, c->id);
  if (!path)
    return vessel_error_set(err, ENOMEM, "stats");
  struct cgroup *cg = cgroup_open(CGROUP_ROOT, mode, path, err);
  if (!cg)
    return vessel_error_prefix(err, "stats of `%s`", c->name);
  struct cgroup_stats cs;
  int r = cgroup_stats(cg, &cs, err);
  cgroup_free(cg);
  if (r < 0)
    return vessel_error_prefix(err, "stats of `%s`", c->name);
  st->cpu_ns = cs.cpu_ns;
  st->mem_usage = cs.mem_usage;
  st->mem_limit = cs.mem_limit && cs.mem_limit < st->host_memory ? cs.mem_limit : st->host_memory;
  st->pids = cs.pids;
  st->blk_read = cs.blk_read;
  st->blk_write = cs.blk_write;
  net_io(c->pid, st);
  return 0;
}
