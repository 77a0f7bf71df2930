/* update: new resource limits from a JSON file, stdin, or flags. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"

enum {
  U_MEMORY = 1000,
  U_MEMORY_RES,
  U_MEMORY_SWAP,
  U_CPU_SHARES,
  U_CPU_QUOTA,
  U_CPU_PERIOD,
  U_CPU_RT_RUNTIME,
  U_CPU_RT_PERIOD,
  U_CPUSET_CPUS,
  U_CPUSET_MEMS,
  U_PIDS,
  U_BLKIO,
  U_KMEM,
  U_KMEM_TCP,
};

static int num(const char *flag, const char *v, long long *out, struct vessel_error *err)
{
  if (parse_i64(v, out) < 0)
    return vessel_error_set(err, EINVAL, "update: %s: bad number `%s`", flag, v);
  return 0;
}

int cmd_update(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"resources", required_argument, NULL, 'r'},
      {"memory", required_argument, NULL, U_MEMORY},
      {"memory-reservation", required_argument, NULL, U_MEMORY_RES},
      {"memory-swap", required_argument, NULL, U_MEMORY_SWAP},
      {"cpu-shares", required_argument, NULL, U_CPU_SHARES},
      {"cpu-share", required_argument, NULL, U_CPU_SHARES},
      {"cpu-quota", required_argument, NULL, U_CPU_QUOTA},
      {"cpu-period", required_argument, NULL, U_CPU_PERIOD},
      {"cpu-rt-runtime", required_argument, NULL, U_CPU_RT_RUNTIME},
      {"cpu-rt-period", required_argument, NULL, U_CPU_RT_PERIOD},
      {"cpuset-cpus", required_argument, NULL, U_CPUSET_CPUS},
      {"cpuset-mems", required_argument, NULL, U_CPUSET_MEMS},
      {"pids-limit", required_argument, NULL, U_PIDS},
      {"blkio-weight", required_argument, NULL, U_BLKIO},
      {"kernel-memory", required_argument, NULL, U_KMEM},
      {"kernel-memory-tcp", required_argument, NULL, U_KMEM_TCP},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *file = NULL;
  struct spec_resources flags = {0};
  bool any_flag = false;
  int c;
  while ((c = cli_getopt("update", argc, argv, "r:h", opts, err)) != -1) {
    long long v;
    if (c == 'h')
      return 0;
    if (c == '?')
      return -1;
    if (c == 'r') {
      file = optarg;
      continue;
    }
    any_flag = true;
    if (c == U_CPUSET_CPUS) {
      free(flags.cpu.cpus);
      flags.cpu.cpus = strdup(optarg);
      continue;
    }
    if (c == U_CPUSET_MEMS) {
      free(flags.cpu.mems);
      flags.cpu.mems = strdup(optarg);
      continue;
    }
    if (num(argv[optind - 1], optarg, &v, err) < 0)
      return -1;
    switch (c) {
    case U_MEMORY:
      flags.memory.limit = (struct opt_i64){true, v};
      break;
    case U_MEMORY_RES:
      flags.memory.reservation = (struct opt_i64){true, v};
      break;
    case U_MEMORY_SWAP:
      flags.memory.swap = (struct opt_i64){true, v};
      break;
    case U_KMEM:
      flags.memory.kernel = (struct opt_i64){true, v};
      break;
    case U_KMEM_TCP:
      flags.memory.kernel_tcp = (struct opt_i64){true, v};
      break;
    case U_CPU_SHARES:
      flags.cpu.shares = (struct opt_u64){true, (uint64_t)v};
      break;
    case U_CPU_QUOTA:
      flags.cpu.quota = (struct opt_i64){true, v};
      break;
    case U_CPU_PERIOD:
      flags.cpu.period = (struct opt_u64){true, (uint64_t)v};
      break;
    case U_CPU_RT_RUNTIME:
      flags.cpu.realtime_runtime = (struct opt_i64){true, v};
      break;
    case U_CPU_RT_PERIOD:
      flags.cpu.realtime_period = (struct opt_u64){true, (uint64_t)v};
      break;
    case U_PIDS:
      flags.pids_limit = (struct opt_i64){true, v};
      break;
    case U_BLKIO:
      flags.block_io.weight = (struct opt_u64){true, (uint64_t)v};
      break;
    }
  }
  const char *id;
  int r = -1;
  struct spec_resources *res = NULL;
  if (cli_one_id("update", argc, argv, &id, err) < 0)
    goto out;
  if (file) {
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (cli_read_input(file, &text, &len, err) < 0)
      goto out;
    res = spec_resources_parse(text, len, err);
    if (!res) {
      vessel_error_prefix(err, "update --resources");
      goto out;
    }
  } else if (!any_flag) {
    vessel_error_set(err, EINVAL, "update: nothing to update (give --resources or limit flags)");
    goto out;
  }
  r = runtime_update(&cli->ctx, id, res ? res : &flags, err) < 0 ? -1 : 0;
out:
  if (res)
    spec_resources_free(res);
  free(flags.cpu.cpus);
  free(flags.cpu.mems);
  return r;
}
