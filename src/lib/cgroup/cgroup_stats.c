/* Usage counters of a container's cgroup for `vessel stats`: v1 (and the
 * v1 controllers of a hybrid host) and v2 name them differently. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup_internal.h"
#include "util/fs.h"

#define STAT_BUF 16384
#define V1_UNLIMITED (1ULL << 62) /* memory.limit_in_bytes without a limit */

/* The value of "key N" in a flat keyed file (memory.stat, cpu.stat). */
static bool keyed(const char *text, const char *key, unsigned long long *out)
{
  size_t klen = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp(p, key, klen) != 0 || p[klen] != ' ')
      continue;
    char num[32];
    size_t n = strcspn(p + klen + 1, "\n");
    if (n == 0 || n >= sizeof num)
      return false;
    memcpy(num, p + klen + 1, n);
    num[n] = '\0';
    return parse_u64(num, out) == 0;
  }
  return false;
}

/* One number from a control file; false when the file is absent. */
static bool read_u64(struct cgroup *cg, struct cg_hier *h, const char *name,
                     unsigned long long *out)
{
  struct vessel_error ignored = {0};
  char buf[64];
  int fd = h ? cg_hier_fd(cg, h, &ignored) : -1;
  if (fd < 0 || cg_read(cg, h, fd, name, buf, sizeof buf, &ignored) < 0)
    return false;
  return parse_u64(buf, out) == 0;
}

static char *read_text(struct cgroup *cg, struct cg_hier *h, const char *name)
{
  struct vessel_error ignored = {0};
  int fd = h ? cg_hier_fd(cg, h, &ignored) : -1;
  char *buf = malloc(STAT_BUF);
  if (fd < 0 || !buf || cg_read(cg, h, fd, name, buf, STAT_BUF, &ignored) < 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* blkio.throttle.io_service_bytes: "8:0 Read 4096" lines (and a Total) */
static void v1_blkio(const char *text, struct cgroup_stats *st)
{
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    char op[16];
    unsigned long long v;
    if (sscanf(p, "%*s %15s %llu", op, &v) != 2)
      continue;
    if (strcmp(op, "Read") == 0)
      st->blk_read += v;
    else if (strcmp(op, "Write") == 0)
      st->blk_write += v;
  }
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=..." lines */
static void v2_io(const char *text, struct cgroup_stats *st)
{
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    size_t len = strcspn(p, "\n");
    for (const char *f = p; f < p + len; f++) {
      unsigned long long v;
      if ((f == p || f[-1] == ' ') && sscanf(f, "rbytes=%llu", &v) == 1)
        st->blk_read += v;
      else if ((f == p || f[-1] == ' ') && sscanf(f, "wbytes=%llu", &v) == 1)
        st->blk_write += v;
    }
  }
}

static int stats_v1(struct cgroup *cg, struct cgroup_stats *st)
{
  struct cg_hier *mem = cg_find_hier(cg, CG_MEMORY);
  unsigned long long v;
  if (read_u64(cg, cg_find_hier(cg, CG_CPUACCT), "cpuacct.usage", &v))
    st->cpu_ns = v;
  if (read_u64(cg, mem, "memory.usage_in_bytes", &v))
    st->mem_usage = v;
  if (read_u64(cg, mem, "memory.limit_in_bytes", &v) && v < V1_UNLIMITED)
    st->mem_limit = v;
  char *text = read_text(cg, mem, "memory.stat");
  /* docker leaves out the page cache that can go at once */
  if (text && keyed(text, "total_inactive_file", &v))
    st->mem_usage = st->mem_usage > v ? st->mem_usage - v : 0;
  free(text);
  if (read_u64(cg, cg_find_hier(cg, CG_PIDS), "pids.current", &v))
    st->pids = v;
  text = read_text(cg, cg_find_hier(cg, CG_BLKIO), "blkio.throttle.io_service_bytes");
  if (text)
    v1_blkio(text, st);
  free(text);
  return 0;
}

static int stats_v2(struct cgroup *cg, struct cgroup_stats *st)
{
  struct cg_hier *h = &cg->hiers[0];
  unsigned long long v;
  char *text = read_text(cg, h, "cpu.stat");
  if (text && keyed(text, "usage_usec", &v))
    st->cpu_ns = v * 1000;
  free(text);
  if (read_u64(cg, h, "memory.current", &v))
    st->mem_usage = v;
  if (read_u64(cg, h, "memory.max", &v)) /* "max" does not parse: no limit */
    st->mem_limit = v;
  text = read_text(cg, h, "memory.stat");
  if (text && keyed(text, "inactive_file", &v))
    st->mem_usage = st->mem_usage > v ? st->mem_usage - v : 0;
  free(text);
  if (read_u64(cg, h, "pids.current", &v))
    st->pids = v;
  text = read_text(cg, h, "io.stat");
  if (text)
    v2_io(text, st);
  free(text);
  return 0;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, struct vessel_error *err)
{
  memset(st, 0, sizeof *st);
  if (cg->n_hiers == 0)
    return vessel_error_set(err, ENOENT, "cgroup `%s` has no hierarchy", cg->path);
  return cg->mode == CGROUP_MODE_V2 ? stats_v2(cg, st) : stats_v1(cg, st);
}
