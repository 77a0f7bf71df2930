/* `vessel info` and `vessel system df`: what the engine holds and the host
 * it runs on. */
#pragma once
#include <stddef.h>

#include "engine/engine.h"

struct engine_info {
  const char *cgroup_layout; /* "v1", "hybrid" or "v2" */
  int cgroup_version;        /* 1 or 2: the one that holds the controllers */
  size_t containers, running, paused, stopped;
  size_t images;
  char kernel[256];
  char os[256]; /* PRETTY_NAME of /etc/os-release */
  long cpus;
  unsigned long long memory; /* bytes */
};

int engine_info(struct engine *e, struct engine_info *out, struct vessel_error *err);

struct engine_df_row {
  size_t total, active;
  unsigned long long size, reclaimable; /* bytes */
};

struct engine_df {
  struct engine_df_row images, containers, volumes;
};

/* Images (their unpacked layers), containers (their writable layers) and
 * volumes (root/volumes, when it exists). */
int engine_df(struct engine *e, struct engine_df *out, struct vessel_error *err);

/* Bytes of the regular files under parent/name (not following links). */
unsigned long long engine_tree_size(int parent, const char *name);
