/* cgroup managers against the real kernel: the host's v1/hybrid hierarchies
 * and its cgroup2 mount (as a v2 root: freeze, cgroup.kill, the eBPF device
 * filter). Root only; skipped elsewhere. Everything made is removed, also
 * after a failed check. */
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "cgroup/cgroup_bpf.h"
#include "cgtest.h"
#include "util/cleanup.h"

#define CG_ROOT "/sys/fs/cgroup"

static const char *skip_reason;
static char name[64]; /* "vessel-test-<pid>" */
static pid_t children[4];

static pid_t spawn(int gate_fd)
{
  pid_t p = fork();
  if (p == 0) {
    char c;
    if (gate_fd >= 0 && read(gate_fd, &c, 1) != 1)
      _exit(100);
    if (gate_fd >= 0) {
      /* report what the device filter lets through */
      int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
      int zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
      int zero_errno = errno;
      _exit((null_fd >= 0 ? 0 : 1) | (zero_fd >= 0 ? 4 : zero_errno == EPERM ? 0 : 2));
    }
    for (;;)
      pause();
  }
  for (size_t i = 0; i < ARRAY_SIZE(children); i++)
    if (children[i] <= 0) {
      children[i] = p;
      break;
    }
  return p;
}

static int reap(pid_t p)
{
  int status = -1;
  if (waitpid(p, &status, 0) != p)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(children); i++)
    if (children[i] == p)
      children[i] = 0;
  return status;
}

/* kills what is left and removes <hierarchy>/<name> everywhere */
static void cleanup_host(void)
{
  for (size_t i = 0; i < ARRAY_SIZE(children); i++)
    if (children[i] > 0) {
      kill(children[i], SIGKILL);
      waitpid(children[i], NULL, 0);
      children[i] = 0;
    }
  DIR *d = opendir(CG_ROOT);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char p[512];
    snprintf(p, sizeof p, CG_ROOT "/%s/%s/sub", de->d_name, name);
    rmdir(p);
    snprintf(p, sizeof p, CG_ROOT "/%s/%s", de->d_name, name);
    for (int i = 0; i < 100 && rmdir(p) < 0 && errno == EBUSY; i++)
      usleep(10000);
  }
  if (d)
    closedir(d);
}

static bool in_any_hierarchy(void)
{
  bool found = false;
  DIR *d = opendir(CG_ROOT);
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (de->d_name[0] != '.' && exists(CG_ROOT, "%s/%s", de->d_name, name))
      found = true;
  if (d)
    closedir(d);
  return found;
}

static double ms_since(const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void hybrid_host_lifecycle(void)
{
  enum cgroup_mode mode;
  struct vessel_error err = {0};
  if (geteuid() != 0) {
    skip_reason = "not root";
    return;
  }
  if (cgroup_detect(CG_ROOT, &mode, &err) < 0 || mode == CGROUP_MODE_V2) {
    skip_reason = "the host is not cgroup v1 or hybrid";
    return;
  }
  snprintf(name, sizeof name, "vessel-test-%d", (int)getpid());
  char path[80];
  snprintf(path, sizeof path, "/%s", name);
  /* a relative path is below the caller's own (name=systemd) cgroup */
  const char *own = strstr(slurp("/proc", "self/cgroup"), ":name=systemd:");
  if (own) {
    char want_rel[512];
    own += strlen(":name=systemd:");
    int len = (int)strcspn(own, "\n");
    snprintf(want_rel, sizeof want_rel, "%.*s/vessel-rel", len == 1 ? 0 : len, own);
    struct cgroup *rel = cgroup_new(CG_ROOT, mode, "vessel-rel", NULL, &err);
    CHECK(rel && !strcmp(cgroup_path(rel), want_rel));
    cgroup_free(rel);
  }
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  struct cgroup *cg = cgroup_new(CG_ROOT, mode, path, NULL, &err);
  CHECK(cg != NULL);
  if (!cg)
    goto out;
  struct spec_device_rule rules[] = {
      {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},
      {.allow = false, .type = 'c', .major = 1, .minor = 5, .access = "rwm"},
  };
  struct spec_resources r = {0};
  r.memory.limit = (struct opt_i64){true, 64 << 20};
  r.pids_limit = (struct opt_i64){true, 5};
  r.devices = rules;
  r.n_devices = ARRAY_SIZE(rules);
  int ret = cgroup_create(cg, &r, &err);
  printf("# new + create + limits: %.2f ms\n", ms_since(&t0));
  if (ret < 0)
    printf("# %s\n", err.msg);
  CHECK(ret == 0);
  if (ret < 0)
    goto out;

  pid_t child = spawn(-1);
  CHECK(cgroup_enter(cg, child, &err) == 0);
  char want[96];
  const char *self = slurp("/proc", "%d/cgroup", (int)child);
  snprintf(want, sizeof want, ":memory:/%s\n", name);
  CHECK(strstr(self, want) != NULL);
  snprintf(want, sizeof want, ":pids:/%s\n", name);
  CHECK(strstr(self, want) != NULL);
  if (mode == CGROUP_MODE_HYBRID) {
    snprintf(want, sizeof want, "0::/%s\n", name);
    CHECK(strstr(self, want) != NULL);
  }
  CHECK_STR(slurp(CG_ROOT, "memory/%s/memory.limit_in_bytes", name), "67108864\n");
  CHECK_STR(slurp(CG_ROOT, "pids/%s/pids.max", name), "5\n");
  CHECK_STR(slurp(CG_ROOT, "devices/%s/devices.list", name), "c 1:3 rwm\n");

  /* the kernel keeps memory <= memory+swap after every write: raising and
   * lowering both need their own order */
  if (exists(CG_ROOT, "memory/%s/memory.memsw.limit_in_bytes", name)) {
    const int64_t steps[][2] = {{64 << 20, 96 << 20}, {128 << 20, 256 << 20}, {32 << 20, 48 << 20}};
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
      struct spec_resources u = {0};
      u.memory.limit = (struct opt_i64){true, steps[i][0]};
      u.memory.swap = (struct opt_i64){true, steps[i][1]};
      int rc = cgroup_update(cg, &u, &err);
      if (rc < 0)
        printf("# %s\n", err.msg);
      CHECK(rc == 0);
      char v[32];
      snprintf(v, sizeof v, "%lld\n", (long long)steps[i][1]);
      CHECK_STR(slurp(CG_ROOT, "memory/%s/memory.memsw.limit_in_bytes", name), v);
    }
  }

  CHECK(cgroup_freeze(cg, true, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 1);
  CHECK(cgroup_freeze(cg, false, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 0);

  pid_t *pids = NULL;
  size_t n = 0;
  CHECK(cgroup_pids(cg, &pids, &n, &err) == 0);
  CHECK(n == 1 && pids && pids[0] == child);
  free(pids);

  /* destroy refuses while a process is inside, unless forced */
  CHECK(cgroup_destroy(cg, false, &err) < 0 && err.code == EBUSY);
  CHECK(cgroup_kill_all(cg, SIGKILL, &err) == 0);
  int status = reap(child);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK(cgroup_destroy(cg, false, &err) == 0);
  CHECK(!in_any_hierarchy());

  /* forced destroy of a cgroup with a process in a child cgroup */
  char sub_path[96];
  snprintf(sub_path, sizeof sub_path, "%s/sub", path);
  struct cgroup *sub = cgroup_new(CG_ROOT, mode, sub_path, NULL, &err);
  CHECK(sub && cgroup_create(sub, NULL, &err) == 0);
  child = spawn(-1);
  CHECK(sub && cgroup_enter(sub, child, &err) == 0);
  cgroup_free(sub);
  pids = NULL;
  CHECK(cgroup_pids(cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == child);
  free(pids);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ret = cgroup_destroy(cg, true, &err);
  printf("# forced destroy: %.2f ms\n", ms_since(&t0));
  if (ret < 0)
    printf("# %s\n", err.msg);
  CHECK(ret == 0);
  status = reap(child);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK(!in_any_hierarchy());
out:
  cgroup_free(cg);
  cleanup_host();
}

static bool unified_v2(void)
{
  enum cgroup_mode mode;
  struct vessel_error err = {0};
  return cgroup_detect(CG_ROOT "/unified", &mode, &err) == 0 && mode == CGROUP_MODE_V2;
}

static int attached_programs(struct cgroup *cg)
{
  struct vessel_error err = {0};
  _cleanup_close_ int fd = cgroup_clone_fd(cg, &err);
  uint32_t ids[8];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_cnt = 8;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  if (syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof attr) < 0)
    return -1;
  return (int)attr.query.prog_cnt;
}

/* runs a gated child in cg and returns its report (0: /dev/null opens,
 * /dev/zero is refused with EPERM; 4: /dev/zero opens) */
static int device_probe(struct cgroup *cg)
{
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0)
    return -1;
  pid_t child = spawn(gate[0]);
  close(gate[0]);
  struct vessel_error err = {0};
  int ok = cgroup_enter(cg, child, &err);
  if (ok < 0)
    printf("# %s\n", err.msg);
  if (write(gate[1], "x", 1) != 1)
    ok = -1;
  close(gate[1]);
  int status = reap(child);
  return ok < 0 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
}

static void v2_devices_freeze_kill(void)
{
  if (geteuid() != 0) {
    skip_reason = "not root";
    return;
  }
  if (!unified_v2()) {
    skip_reason = "no cgroup2 mount at " CG_ROOT "/unified";
    return;
  }
  snprintf(name, sizeof name, "vessel-test-bpf-%d", (int)getpid());
  char path[80];
  snprintf(path, sizeof path, "/%s", name);
  struct vessel_error err = {0};
  struct cgroup *cg = cgroup_new(CG_ROOT "/unified", CGROUP_MODE_V2, path, NULL, &err);
  CHECK(cg != NULL);
  if (!cg)
    goto out;
  struct spec_device_rule rules[] = {
      {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
      {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},
      {.allow = true, .type = 'c', .major = 5, .minor = -1, .access = "rwm"},
      {.allow = true, .type = 'c', .major = 1, .minor = 5, .access = "r"},
  };
  struct spec_resources r = {0};
  r.devices = rules;
  r.n_devices = 3;
  int ret = cgroup_create(cg, &r, &err);
  if (ret < 0)
    printf("# %s\n", err.msg);
  CHECK(ret == 0);
  if (ret < 0)
    goto out;
  int fd = cgroup_clone_fd(cg, &err);
  CHECK(fd >= 0);
  if (fd >= 0)
    close(fd);
  CHECK(attached_programs(cg) == 1);
  CHECK(device_probe(cg) == 0);

  /* update replaces the filter: /dev/zero readable now, one program still */
  r.n_devices = 4;
  CHECK(cgroup_update(cg, &r, &err) == 0);
  CHECK(attached_programs(cg) == 1);
  CHECK(device_probe(cg) == 4);

  /* the cgroup2 mount of a hybrid host has no controllers: a limit is an error */
  struct spec_resources mem = {0};
  mem.memory.limit = (struct opt_i64){true, 64 << 20};
  CHECK(cgroup_update(cg, &mem, &err) < 0);
  CHECK(strstr(err.msg, "memory limit: the memory controller is not available") != NULL);

  pid_t child = spawn(-1);
  CHECK(cgroup_enter(cg, child, &err) == 0);
  CHECK(cgroup_freeze(cg, true, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 1);
  CHECK(cgroup_freeze(cg, false, &err) == 0);
  CHECK(cgroup_is_frozen(cg, &err) == 0);
  CHECK(cgroup_kill_all(cg, SIGKILL, &err) == 0);
  int status = reap(child);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK(cgroup_destroy(cg, false, &err) == 0);
  CHECK(!exists(CG_ROOT, "unified/%s", name));
out:
  cgroup_free(cg);
  cleanup_host();
}

static void kernel_loads_device_program(void)
{
  if (geteuid() != 0) {
    skip_reason = "not root";
    return;
  }
  const struct spec_device_rule rules[] = {
      {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
      {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},
      {.allow = true, .type = 'c', .major = 5, .minor = -1, .access = "rwm"},
  };
  struct cg_bpf_prog p;
  struct vessel_error err = {0};
  CHECK(cg_bpf_devices_build(rules, ARRAY_SIZE(rules), &p, &err) == 0);
  _cleanup_close_ int fd = cg_bpf_load(&p, &err);
  if (fd < 0)
    printf("# %s\n", err.msg);
  CHECK(fd >= 0);
  cg_bpf_prog_release(&p);
}

/* tap.h's runner has no skips: this one prints "ok N # skip reason" */
int main(void)
{
  static const struct tap_test tests[] = {T(hybrid_host_lifecycle), T(v2_devices_freeze_kill),
                                          T(kernel_loads_device_program)};
  int failed = 0;
  printf("1..%zu\n", ARRAY_SIZE(tests));
  for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
    int before = tap_failed_checks;
    skip_reason = NULL;
    fflush(stdout);
    tests[i].fn();
    bool ok = tap_failed_checks == before;
    if (ok && skip_reason)
      printf("ok %zu # skip %s: %s\n", i + 1, tests[i].name, skip_reason);
    else
      printf("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, tests[i].name);
    failed += !ok;
  }
  return failed ? 1 : 0;
}
