/* One sample of a container's usage for `vessel stats`. */
#pragma once
#include "engine/engine.h"

struct engine_stats {
  unsigned long long sampled_ns;           /* CLOCK_MONOTONIC of the sample */
  unsigned long long cpu_ns;               /* CPU time used so far */
  unsigned long long mem_usage, mem_limit; /* the limit: the host's memory without one */
  unsigned long long host_memory;
  unsigned long long net_rx, net_tx;
  unsigned long long blk_read, blk_write;
  unsigned long long pids;
};

/* A container that does not run gives zeros (and 0). */
int engine_stats(struct engine *e, const struct engine_container *c, struct engine_stats *st,
                 struct vessel_error *err);
