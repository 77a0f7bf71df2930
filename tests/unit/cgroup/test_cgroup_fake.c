/* cgroup managers on fake trees under /tmp (v1, hybrid, v2): the exact
 * values written, path resolution, update, rollback and destroy. */
#include <signal.h>
#include <sys/wait.h>

#include "cgroup/cgroup.h"
#include "cgtest.h"
#include "util/cleanup.h"

static char root[64];

static void make_tree(const char *mode)
{
  strcpy(root, "/tmp/vessel-test-cg.XXXXXX");
  if (!mkdtemp(root)) {
    root[0] = '\0';
    return;
  }
  put_file(root, ".vessel-test-mode", mode);
  if (!strcmp(mode, "v2")) {
    put_file(root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    /* files "the kernel" has in every cgroup: optional ones are looked up here */
    put_file(root, "memory.swap.max", "max\n");
    put_file(root, "cpu.max.burst", "0\n");
    put_file(root, "cpu.idle", "0\n");
    put_file(root, "io.weight", "default 100\n");
    return;
  }
  put_file(root, "cpu,cpuacct/cpu.cfs_burst_us", "0\n");
  put_file(root, "cpu,cpuacct/cpu.idle", "0\n");
  put_file(root, "cpuset/cpuset.cpus", "0-1\n");
  put_file(root, "cpuset/cpuset.mems", "0\n");
  put_file(root, "memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
  put_file(root, "memory/memory.kmem.limit_in_bytes", "9223372036854771712\n");
  put_file(root, "devices", NULL);
  put_file(root, "freezer/freezer.state", "THAWED\n");
  put_file(root, "blkio/blkio.weight", "100\n");
  put_file(root, "blkio/blkio.leaf_weight", "100\n");
  put_file(root, "blkio/blkio.leaf_weight_device", "");
  put_file(root, "pids", NULL);
  put_file(root, "hugetlb", NULL);
  put_file(root, "net_cls,net_prio", NULL);
  put_file(root, "rdma", NULL);
  put_file(root, "systemd", NULL);
  if (!strcmp(mode, "hybrid"))
    put_file(root, "unified", NULL);
}

static struct spec_device_rule rules[] = {
    {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},
    {.allow = false, .type = 'c', .major = 5, .minor = 1, .access = "w"},
    {.allow = true, .type = 'c', .major = -1, .minor = -1, .access = "m"},
    {.allow = true, .type = 'b', .major = 8, .minor = -1, .access = "r"},
};
static struct spec_blkio_device wdev[] = {
    {.major = 8, .minor = 0, .weight = {true, 400}, .leaf_weight = {true, 200}}};
static struct spec_blkio_device rbps[] = {{.major = 8, .minor = 0, .rate = 1048576}};
static struct spec_blkio_device wbps[] = {{.major = 8, .minor = 0, .rate = 2097152}};
static struct spec_blkio_device riops[] = {{.major = 8, .minor = 16, .rate = 100}};
static struct spec_blkio_device wiops[] = {{.major = 8, .minor = 0, .rate = 0}};
static struct spec_hugepage_limit huge[] = {{.page_size = "2MB", .limit = 4194304}};
static struct spec_net_priority prios[] = {{.name = "eth0", .priority = 5},
                                           {.name = "lo", .priority = 2}};
static struct spec_rdma rdma[] = {
    {.device = "mlx4_0", .hca_handles = {true, 2}, .hca_objects = {true, 2000}}};
static struct spec_kv unified[] = {{.key = "memory.high", .value = "100000000"},
                                   {.key = "cgroup.max.depth", .value = "3"}};

/* every field of linux.resources (v1 flavour: realtime, network) */
static struct spec_resources full(bool v2)
{
  struct spec_resources r = {0};
  r.devices = rules;
  r.n_devices = ARRAY_SIZE(rules);
  r.memory.limit = (struct opt_i64){true, 64 << 20};
  r.memory.reservation = (struct opt_i64){true, 32 << 20};
  r.memory.swap = (struct opt_i64){true, 128 << 20};
  r.memory.kernel = (struct opt_i64){true, 1 << 20};
  r.memory.kernel_tcp = (struct opt_i64){true, 1 << 20};
  r.memory.swappiness = (struct opt_u64){true, 10};
  r.memory.disable_oom_killer_set = r.memory.disable_oom_killer = true;
  r.cpu.shares = (struct opt_u64){true, 512};
  r.cpu.quota = (struct opt_i64){true, 25000};
  r.cpu.period = (struct opt_u64){true, 50000};
  r.cpu.burst = (struct opt_u64){true, 1000};
  r.cpu.idle = (struct opt_i64){true, 1};
  if (!v2) {
    r.cpu.realtime_period = (struct opt_u64){true, 1000000};
    r.cpu.realtime_runtime = (struct opt_i64){true, 950000};
    r.network.class_id = (struct opt_u64){true, 0x100001};
    r.network.priorities = prios;
    r.network.n_priorities = ARRAY_SIZE(prios);
  } else {
    r.unified = unified;
    r.n_unified = ARRAY_SIZE(unified);
  }
  r.cpu.cpus = "1";
  r.cpu.mems = "0";
  r.pids_limit = (struct opt_i64){true, 0};
  r.block_io.weight = (struct opt_u64){true, 500};
  r.block_io.leaf_weight = (struct opt_u64){true, 300};
  r.block_io.weight_device = wdev;
  r.block_io.n_weight_device = 1;
  r.block_io.throttle_read_bps = rbps;
  r.block_io.n_throttle_read_bps = 1;
  r.block_io.throttle_write_bps = wbps;
  r.block_io.n_throttle_write_bps = 1;
  r.block_io.throttle_read_iops = riops;
  r.block_io.n_throttle_read_iops = 1;
  r.block_io.throttle_write_iops = wiops;
  r.block_io.n_throttle_write_iops = 1;
  r.hugepage_limits = huge;
  r.n_hugepage_limits = 1;
  r.rdma = rdma;
  r.n_rdma = 1;
  return r;
}

static const char *const v1_dirs[] = {"cpu,cpuacct",      "cpuset", "memory", "devices",
                                      "freezer",          "blkio",  "pids",   "hugetlb",
                                      "net_cls,net_prio", "rdma",   "systemd"};

static void check_v1_values(void)
{
#define AT(h, f) slurp(root, "%s/vessel/c1/%s", h, f)
  CHECK_STR(AT("memory", "memory.limit_in_bytes"), "67108864");
  CHECK_STR(AT("memory", "memory.soft_limit_in_bytes"), "33554432");
  CHECK_STR(AT("memory", "memory.memsw.limit_in_bytes"), "134217728");
  CHECK_STR(AT("memory", "memory.kmem.limit_in_bytes"), "1048576");
  CHECK_STR(AT("memory", "memory.kmem.tcp.limit_in_bytes"), "<absent>"); /* warned */
  CHECK_STR(AT("memory", "memory.swappiness"), "10");
  CHECK_STR(AT("memory", "memory.oom_control"), "1");
  CHECK_STR(AT("cpu,cpuacct", "cpu.shares"), "512");
  CHECK_STR(AT("cpu,cpuacct", "cpu.cfs_period_us"), "50000");
  CHECK_STR(AT("cpu,cpuacct", "cpu.cfs_quota_us"), "25000");
  CHECK_STR(AT("cpu,cpuacct", "cpu.cfs_burst_us"), "1000");
  CHECK_STR(AT("cpu,cpuacct", "cpu.rt_period_us"), "1000000");
  CHECK_STR(AT("cpu,cpuacct", "cpu.rt_runtime_us"), "950000");
  CHECK_STR(AT("cpu,cpuacct", "cpu.idle"), "1");
  /* the parent made on the way got the root's cpuset, the leaf its own */
  CHECK_STR(slurp(root, "cpuset/vessel/cpuset.cpus"), "0-1");
  CHECK_STR(slurp(root, "cpuset/vessel/cpuset.mems"), "0");
  CHECK_STR(AT("cpuset", "cpuset.cpus"), "1");
  CHECK_STR(AT("cpuset", "cpuset.mems"), "0");
  CHECK_STR(AT("pids", "pids.max"), "max");
  CHECK_STR(AT("blkio", "blkio.weight"), "500");
  CHECK_STR(AT("blkio", "blkio.leaf_weight"), "300");
  CHECK_STR(AT("blkio", "blkio.weight_device"), "8:0 400\n");
  CHECK_STR(AT("blkio", "blkio.leaf_weight_device"), "8:0 200\n");
  CHECK_STR(AT("blkio", "blkio.throttle.read_bps_device"), "8:0 1048576\n");
  CHECK_STR(AT("blkio", "blkio.throttle.write_bps_device"), "8:0 2097152\n");
  CHECK_STR(AT("blkio", "blkio.throttle.read_iops_device"), "8:16 100\n");
  CHECK_STR(AT("blkio", "blkio.throttle.write_iops_device"), "8:0 0\n");
  CHECK_STR(AT("hugetlb", "hugetlb.2MB.limit_in_bytes"), "4194304");
  CHECK_STR(AT("net_cls,net_prio", "net_cls.classid"), "1048577");
  CHECK_STR(AT("net_cls,net_prio", "net_prio.ifpriomap"), "eth0 5\nlo 2\n");
  CHECK_STR(AT("rdma", "rdma.max"), "mlx4_0 hca_handle=2 hca_object=2000\n");
  /* deny everything first, then the rules in their order */
  CHECK_STR(AT("devices", "devices.deny"), "a\nc 5:1 w\n");
  CHECK_STR(AT("devices", "devices.allow"), "c 1:3 rwm\nc *:* m\nb 8:* r\n");
#undef AT
}

static void v1_lifecycle(const char *mode)
{
  make_tree(mode);
  bool hybrid = !strcmp(mode, "hybrid");
  struct vessel_error err = {0};
  enum cgroup_mode m;
  CHECK(cgroup_detect(root, &m, &err) == 0);
  CHECK(m == (hybrid ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1));
  struct cgroup *cg = cgroup_new(root, m, "/vessel/c1", "c1", &err);
  CHECK(cg != NULL);
  if (!cg)
    goto out;
  CHECK_STR(cgroup_path(cg), "/vessel/c1");
  struct spec_resources r = full(false);
  int ret = cgroup_create(cg, &r, &err);
  if (ret < 0)
    printf("# %s\n", err.msg);
  CHECK(ret == 0);
  /* every hierarchy whose limits are set, and the accounting ones; never a
   * named hierarchy without controllers */
  for (size_t i = 0; i < ARRAY_SIZE(v1_dirs); i++)
    CHECK(exists(root, "%s/vessel/c1", v1_dirs[i]) == (strcmp(v1_dirs[i], "systemd") != 0));
  CHECK(exists(root, "unified/vessel/c1") == hybrid);
  check_v1_values();
  CHECK(cgroup_clone_fd(cg, &err) == -1); /* v1 needs cgroup_enter */

  /* update: raise memory and swap, new pids limit */
  struct spec_resources u = {0};
  u.memory.limit = (struct opt_i64){true, 128 << 20};
  u.memory.swap = (struct opt_i64){true, 256 << 20};
  u.pids_limit = (struct opt_i64){true, 10};
  CHECK(cgroup_update(cg, &u, &err) == 0);
  CHECK_STR(slurp(root, "memory/vessel/c1/memory.limit_in_bytes"), "134217728");
  CHECK_STR(slurp(root, "memory/vessel/c1/memory.memsw.limit_in_bytes"), "268435456");
  CHECK_STR(slurp(root, "pids/vessel/c1/pids.max"), "10");

  /* enter writes every hierarchy; pids are read back recursively */
  CHECK(cgroup_enter(cg, 4242, &err) == 0);
  CHECK_STR(slurp(root, "memory/vessel/c1/cgroup.procs"), "4242\n");
  CHECK_STR(slurp(root, "pids/vessel/c1/cgroup.procs"), "4242\n");
  CHECK(!exists(root, "systemd/vessel/c1"));
  if (hybrid)
    CHECK_STR(slurp(root, "unified/vessel/c1/cgroup.procs"), "4242\n");
  put_file(root, "pids/vessel/c1/sub/cgroup.procs", "77\n");
  pid_t *pids = NULL;
  size_t n = 0;
  CHECK(cgroup_pids(cg, &pids, &n, &err) == 0);
  CHECK(n == 2 && pids &&
        ((pids[0] == 4242 && pids[1] == 77) || (pids[0] == 77 && pids[1] == 4242)));
  free(pids);

  CHECK(cgroup_freeze(cg, true, &err) == 0);
  CHECK_STR(slurp(root, "freezer/vessel/c1/freezer.state"), "FROZEN");
  CHECK(cgroup_is_frozen(cg, &err) == 1);
  CHECK(cgroup_freeze(cg, false, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 0);

  CHECK(cgroup_destroy(cg, false, &err) == 0);
  for (size_t i = 0; i < ARRAY_SIZE(v1_dirs); i++)
    CHECK(!exists(root, "%s/vessel/c1", v1_dirs[i]));
  CHECK(!exists(root, "unified/vessel/c1"));
  CHECK(cgroup_destroy(cg, false, &err) == 0); /* already gone: fine */
  cgroup_free(cg);
out:
  rm_rf(root);
}

static void v1_create_update_destroy(void)
{
  v1_lifecycle("v1");
}

static void hybrid_create_update_destroy(void)
{
  v1_lifecycle("hybrid");
}

static void v1_missing_controller_is_an_error(void)
{
  make_tree("hybrid");
  rm_rf(strcat(strcpy((char[128]){0}, root), "/hugetlb"));
  struct vessel_error err = {0};
  struct cgroup *cg = cgroup_new(root, CGROUP_MODE_HYBRID, "/x/y", NULL, &err);
  CHECK(cg != NULL);
  struct spec_resources r = {0};
  r.pids_limit = (struct opt_i64){true, 5};
  r.hugepage_limits = huge;
  r.n_hugepage_limits = 1;
  CHECK(cg && cgroup_create(cg, &r, &err) < 0);
  CHECK(strstr(err.msg, "hugepageLimits: the hugetlb controller is not mounted") != NULL);
  printf("# %s\n", err.msg);
  /* nothing left behind, not even the parent made on the way */
  CHECK(!exists(root, "pids/x"));
  CHECK(!exists(root, "unified/x"));
  CHECK(!exists(root, "cpuset/x"));
  /* a v2-only file on v1 is refused the same way */
  struct spec_resources u = {0};
  u.unified = unified;
  u.n_unified = 1;
  CHECK(cg && cgroup_create(cg, &u, &err) < 0);
  CHECK(strstr(err.msg, "needs cgroup v2") != NULL);
  CHECK(!exists(root, "memory/x"));
  cgroup_free(cg);
  rm_rf(root);
}

static void paths_resolve(void)
{
  make_tree("v2");
  struct vessel_error err = {0};
  struct cgroup *cg = cgroup_new(root, CGROUP_MODE_V2, "/abs//x/./y/", "id", &err);
  CHECK(cg && !strcmp(cgroup_path(cg), "/abs/x/y"));
  cgroup_free(cg);
  cg = cgroup_new(root, CGROUP_MODE_V2, "rel/z", "id", &err); /* fake tree: own cgroup is "/" */
  CHECK(cg && !strcmp(cgroup_path(cg), "/rel/z"));
  cgroup_free(cg);
  cg = cgroup_new(root, CGROUP_MODE_V2, NULL, "abc", &err);
  CHECK(cg && !strcmp(cgroup_path(cg), "/abc"));
  cgroup_free(cg);
  cg = cgroup_open(root, CGROUP_MODE_V2, "/vessel/abc", &err);
  CHECK(cg && !strcmp(cgroup_path(cg), "/vessel/abc"));
  cgroup_free(cg);
  const char *bad[] = {"/a/../b", "..", "a/..", "/", "//."};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    err.msg[0] = '\0';
    cg = cgroup_new(root, CGROUP_MODE_V2, bad[i], "id", &err);
    CHECK(cg == NULL);
    CHECK(err.code == EINVAL);
    cgroup_free(cg);
  }
  CHECK(cgroup_new(root, CGROUP_MODE_V2, NULL, "../x", &err) == NULL);
  CHECK(cgroup_open(root, CGROUP_MODE_V2, "rel", &err) == NULL);
  /* nothing is made before cgroup_create */
  CHECK(!exists(root, "vessel"));
  /* a plain directory is no cgroup tree: files would be made and removed there */
  unlink(strcat(strcpy((char[128]){0}, root), "/.vessel-test-mode"));
  CHECK(cgroup_new(root, CGROUP_MODE_V2, "/x", NULL, &err) == NULL);
  CHECK(strstr(err.msg, "is not a cgroup filesystem") != NULL);
  CHECK(cgroup_detect(root, &(enum cgroup_mode){0}, &err) < 0);
  rm_rf(root);
}

static void v2_create_update_destroy(void)
{
  make_tree("v2");
  struct vessel_error err = {0};
  enum cgroup_mode m;
  CHECK(cgroup_detect(root, &m, &err) == 0 && m == CGROUP_MODE_V2);
  struct cgroup *cg = cgroup_new(root, CGROUP_MODE_V2, "/vessel/c1", "c1", &err);
  CHECK(cg != NULL);
  if (!cg) {
    rm_rf(root);
    return;
  }
  struct spec_resources r = full(true);
  int ret = cgroup_create(cg, &r, &err);
  if (ret < 0)
    printf("# %s\n", err.msg);
  CHECK(ret == 0);
#define AT(f) slurp(root, "vessel/c1/%s", f)
  /* controllers enabled top-down, never in the leaf */
  CHECK_STR(slurp(root, "cgroup.subtree_control"), "+cpu +cpuset +memory +io +pids +hugetlb +rdma");
  CHECK_STR(slurp(root, "vessel/cgroup.subtree_control"),
            "+cpu +cpuset +memory +io +pids +hugetlb +rdma");
  CHECK_STR(AT("cgroup.subtree_control"), "<absent>");
  CHECK_STR(AT("memory.max"), "67108864");
  CHECK_STR(AT("memory.low"), "33554432");
  CHECK_STR(AT("memory.swap.max"), "67108864"); /* 128 MiB memory+swap - 64 MiB */
  CHECK_STR(AT("cpu.weight"), "20");            /* 1 + (512 - 2) * 9999 / 262142 */
  CHECK_STR(AT("cpu.max"), "25000 50000");
  CHECK_STR(AT("cpu.max.burst"), "1000");
  CHECK_STR(AT("cpu.idle"), "1");
  CHECK_STR(AT("cpuset.cpus"), "1");
  CHECK_STR(AT("cpuset.mems"), "0");
  CHECK_STR(AT("pids.max"), "max");
  /* blkio weight 500 -> 1 + 490 * 9999 / 990; device weight 400 likewise */
  CHECK_STR(AT("io.weight"), "4950\n8:0 3940\n");
  CHECK_STR(AT("io.max"), "8:0 rbps=1048576 wbps=2097152 wiops=max\n8:16 riops=100\n");
  CHECK_STR(AT("hugetlb.2MB.max"), "4194304");
  CHECK_STR(AT("rdma.max"), "mlx4_0 hca_handle=2 hca_object=2000\n");
  CHECK_STR(AT("memory.high"), "100000000");
  CHECK_STR(AT("cgroup.max.depth"), "3");
  CHECK_STR(AT("memory.swappiness"), "<absent>"); /* v1 only: warned */

  int fd = cgroup_clone_fd(cg, &err);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(fd < 0 || (fcntl(fd, F_GETFD) & FD_CLOEXEC));
  if (fd >= 0)
    close(fd);

  struct spec_resources u = {0};
  u.memory.limit = (struct opt_i64){true, -1};
  u.cpu.quota = (struct opt_i64){true, -1};
  u.pids_limit = (struct opt_i64){true, 7};
  CHECK(cgroup_update(cg, &u, &err) == 0);
  CHECK_STR(AT("memory.max"), "max");
  CHECK_STR(AT("memory.swap.max"), "max");
  CHECK_STR(AT("cpu.max"), "max 50000"); /* the period is kept */
  CHECK_STR(AT("pids.max"), "7");

  CHECK(cgroup_freeze(cg, true, &err) == 0);
  CHECK_STR(AT("cgroup.freeze"), "1");
  CHECK(cgroup_is_frozen(cg, &err) == 1);
  CHECK(cgroup_freeze(cg, false, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 0);

  /* kill_all reaches a process listed in the cgroup */
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  CHECK(cgroup_enter(cg, child, &err) == 0);
  CHECK(cgroup_kill_all(cg, SIGTERM, &err) == 0);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
#undef AT
  CHECK(cgroup_destroy(cg, false, &err) == 0);
  CHECK(!exists(root, "vessel/c1"));
  cgroup_free(cg);
  rm_rf(root);
}

static void v2_bad_input_leaves_nothing(void)
{
  make_tree("v2");
  put_file(root, "cgroup.controllers", "cpu memory pids\n");
  struct vessel_error err = {0};
  struct cgroup *cg = cgroup_new(root, CGROUP_MODE_V2, "/a/b", NULL, &err);
  CHECK(cg != NULL);
  struct spec_resources r = {0};
  r.rdma = rdma;
  r.n_rdma = 1;
  CHECK(cg && cgroup_create(cg, &r, &err) < 0);
  CHECK(strstr(err.msg, "rdma: the rdma controller is not available") != NULL);
  printf("# %s\n", err.msg);
  struct spec_kv evil[] = {{.key = "../../etc/passwd", .value = "x"}};
  struct spec_resources u = {0};
  u.unified = evil;
  u.n_unified = 1;
  CHECK(cg && cgroup_create(cg, &u, &err) < 0);
  CHECK(strstr(err.msg, "not a cgroup file name") != NULL);
  /* swap below the memory limit is refused after the directories exist */
  struct spec_resources s = {0};
  s.memory.limit = (struct opt_i64){true, 100 << 20};
  s.memory.swap = (struct opt_i64){true, 50 << 20};
  CHECK(cg && cgroup_create(cg, &s, &err) < 0);
  CHECK(strstr(err.msg, "memory swap") != NULL);
  CHECK(!exists(root, "a"));
  cgroup_free(cg);
  rm_rf(root);
}

/* Without their limits, a container skips cpuset and the named hierarchies;
 * a later command that reopens the cgroup (exec) still enters it. */
static void v1_unused_hierarchies_are_skipped(void)
{
  make_tree("v1");
  struct vessel_error err = {0};
  struct cgroup *cg = cgroup_new(root, CGROUP_MODE_V1, "/vessel/c2", "c2", &err);
  CHECK(cg && cgroup_create(cg, NULL, &err) == 0);
  CHECK(exists(root, "memory/vessel/c2") && exists(root, "pids/vessel/c2"));
  CHECK(exists(root, "blkio/vessel/c2") && exists(root, "freezer/vessel/c2"));
  CHECK(!exists(root, "cpuset/vessel/c2") && !exists(root, "systemd/vessel/c2"));
  CHECK(!exists(root, "hugetlb/vessel/c2") && !exists(root, "rdma/vessel/c2"));
  cgroup_free(cg);
  cg = cgroup_open(root, CGROUP_MODE_V1, "/vessel/c2", &err);
  CHECK(cg && cgroup_enter(cg, 4343, &err) == 0);
  CHECK_STR(slurp(root, "memory/vessel/c2/cgroup.procs"), "4343\n");
  CHECK(cg && cgroup_destroy(cg, false, &err) == 0);
  CHECK(!exists(root, "memory/vessel/c2"));
  cgroup_free(cg);
  rm_rf(root);
}

TAP_MAIN(T(v1_create_update_destroy), T(hybrid_create_update_destroy),
         T(v1_missing_controller_is_an_error), T(paths_resolve), T(v2_create_update_destroy),
         T(v2_bad_input_leaves_nothing), T(v1_unused_hierarchies_are_skipped))
