/* An idle monitor's footprint: creating a container runs much code and
 * leaves a deep stack and a grown heap behind, none of which the idle loop
 * needs. They are given back after each start; what the loop touches again
 * faults back in (code from the page cache, stack as fresh zero pages). */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/monitor.h"

/* smaps: one header line per mapping, then its fields. */
struct mapping {
  uintptr_t start, end;
  char perms[5];
  bool file, stack;
  long anonymous; /* kB copied on write: such pages must stay */
};

#define MAPPINGS_MAX 64

/* The range to give back of a mapping, or false. */
static bool sheddable(const struct mapping *m, uintptr_t sp, long page, uintptr_t *len)
{
  if (m->stack) {
    /* the unused part below us: a page kept for the calls from here */
    uintptr_t keep = (sp & ~(uintptr_t)(page - 1)) - (uintptr_t)page;
    *len = keep - m->start;
    return keep > m->start && keep < m->end;
  }
  /* code and read-only data never written: the same bytes come back from
   * the file */
  *len = m->end - m->start;
  return m->file && m->perms[1] != 'w' && m->anonymous == 0 && m->perms[3] == 'p';
}

void monitor_trim(void)
{
  malloc_trim(0);
  FILE *f = fopen("/proc/self/smaps", "re");
  if (!f)
    return;
  long page = sysconf(_SC_PAGESIZE);
  uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
  struct mapping maps[MAPPINGS_MAX];
  size_t n = 0;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e, off, ino;
    char perms[5], dev[16], path[256] = "";
    if (sscanf(line, "%lx-%lx %4s %lx %15s %lu %255s", &s, &e, perms, &off, dev, &ino, path) >= 6) {
      if (n == MAPPINGS_MAX)
        break;
      struct mapping *m = &maps[n++];
      *m = (struct mapping){.start = s, .end = e, .file = ino != 0 && path[0] == '/'};
      memcpy(m->perms, perms, sizeof m->perms);
      m->stack = strcmp(path, "[stack]") == 0;
    } else if (n && strncmp(line, "Anonymous:", 10) == 0) {
      sscanf(line + 10, "%ld", &maps[n - 1].anonymous);
    }
  }
  fclose(f);
  malloc_trim(0);
  /* last, so that nothing above runs again on what is given back */
  for (size_t i = 0; i < n; i++) {
    uintptr_t len;
    if (sheddable(&maps[i], sp, page, &len))
      madvise((void *)maps[i].start, len, MADV_DONTNEED);
  }
}
