/* cgroup_stats on fake v1, hybrid and v2 trees: the counters vessel stats
 * shows, read under their v1 and v2 names. */
#include "cgroup/cgroup.h"
#include "cgtest.h"

static char root[64];

static void fake_tree(const char *mode)
{
  strcpy(root, "/tmp/vessel-test-cgstats.XXXXXX");
  if (!mkdtemp(root)) {
    root[0] = '\0';
    return;
  }
  put_file(root, ".vessel-test-mode", mode);
}

static void v1_and_hybrid(void)
{
  static const char *const modes[] = {"v1", "hybrid"};
  for (size_t m = 0; m < 2; m++) {
    fake_tree(modes[m]);
    put_file(root, "cpu,cpuacct/c1/cpuacct.usage", "2500000000\n");
    put_file(root, "memory/c1/memory.usage_in_bytes", "10485760\n");
    put_file(root, "memory/c1/memory.limit_in_bytes", "67108864\n");
    put_file(root, "memory/c1/memory.stat",
             "cache 4096\ninactive_file 1\ntotal_inactive_file "
             "1048576\n");
    put_file(root, "pids/c1/pids.current", "3\n");
    put_file(
        root, "blkio/c1/blkio.throttle.io_service_bytes",
        "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:16 Read 1\n8:0 Total 12288\nTotal 12289\n");
    if (!strcmp(modes[m], "hybrid"))
      put_file(root, "unified", NULL);
    struct vessel_error err = {0};
    struct cgroup *cg =
        cgroup_open(root, m == 0 ? CGROUP_MODE_V1 : CGROUP_MODE_HYBRID, "/c1", &err);
    CHECK(cg != NULL);
    struct cgroup_stats st;
    CHECK(cg && cgroup_stats(cg, &st, &err) == 0);
    CHECK(st.cpu_ns == 2500000000ULL);
    CHECK(st.mem_usage == 10485760 - 1048576);
    CHECK(st.mem_limit == 67108864);
    CHECK(st.pids == 3);
    CHECK(st.blk_read == 4097 && st.blk_write == 8192);
    cgroup_free(cg);
    /* no limit: 0 */
    put_file(root, "memory/c1/memory.limit_in_bytes", "9223372036854771712\n");
    cg = cgroup_open(root, m == 0 ? CGROUP_MODE_V1 : CGROUP_MODE_HYBRID, "/c1", &err);
    CHECK(cg && cgroup_stats(cg, &st, &err) == 0 && st.mem_limit == 0);
    cgroup_free(cg);
    rm_rf(root);
  }
}

static void v2(void)
{
  fake_tree("v2");
  put_file(root, "cgroup.controllers", "cpu io memory pids\n");
  put_file(root, "c2/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
  put_file(root, "c2/memory.current", "2097152\n");
  put_file(root, "c2/memory.max", "max\n");
  put_file(root, "c2/memory.stat", "anon 1\nfile 2\nactive_file 5\ninactive_file 4096\n");
  put_file(root, "c2/pids.current", "7\n");
  put_file(root, "c2/io.stat",
           "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2\n");
  struct vessel_error err = {0};
  struct cgroup *cg = cgroup_open(root, CGROUP_MODE_V2, "/c2", &err);
  CHECK(cg != NULL);
  struct cgroup_stats st;
  CHECK(cg && cgroup_stats(cg, &st, &err) == 0);
  CHECK(st.cpu_ns == 1500000ULL);
  CHECK(st.mem_usage == 2097152 - 4096);
  CHECK(st.mem_limit == 0);
  CHECK(st.pids == 7);
  CHECK(st.blk_read == 101 && st.blk_write == 202);
  cgroup_free(cg);
  put_file(root, "c2/memory.max", "1048576\n");
  cg = cgroup_open(root, CGROUP_MODE_V2, "/c2", &err);
  CHECK(cg && cgroup_stats(cg, &st, &err) == 0 && st.mem_limit == 1048576);
  cgroup_free(cg);
  rm_rf(root);
}

/* a cgroup that is gone (the container stopped): zeros, no error */
static void missing(void)
{
  fake_tree("v2");
  put_file(root, "cgroup.controllers", "cpu io memory pids\n");
  struct vessel_error err = {0};
  struct cgroup *cg = cgroup_open(root, CGROUP_MODE_V2, "/gone", &err);
  struct cgroup_stats st = {.pids = 9};
  CHECK(cg && cgroup_stats(cg, &st, &err) == 0 && st.pids == 0 && st.cpu_ns == 0);
  cgroup_free(cg);
  rm_rf(root);
}

TAP_MAIN(T(v1_and_hybrid), T(v2), T(missing))
