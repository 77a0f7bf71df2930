/* engine: the run flags' value parsers (--mount, -v, --tmpfs, --ulimit,
 * --device, --env-file, --cpus, --sysctl) and a bundle made with them. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "bundle_checked.h"
#include "engine/internal.h"
#include "spec/spec.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void test_mount(void)
{
  struct vessel_error err = {0};
  struct engine_mount m = {0};
  CHECK(engine_parse_mount("type=bind,source=/tmp,target=/data,readonly", &m, &err) == 0);
  CHECK(m.type == ENGINE_MOUNT_BIND && m.readonly && !m.anonymous);
  CHECK_STR(m.source, "/tmp");
  CHECK_STR(m.destination, "/data");
  engine_mount_clear(&m);
  /* docker's aliases, ro=false, volume the default type */
  CHECK(engine_parse_mount("src=myvol,dst=/v,ro=false", &m, &err) == 0);
  CHECK(m.type == ENGINE_MOUNT_VOLUME && !m.readonly && !m.anonymous);
  CHECK_STR(m.source, "myvol");
  engine_mount_clear(&m);
  CHECK(engine_parse_mount("type=volume,destination=/anon,volume-nocopy", &m, &err) == 0);
  CHECK(m.anonymous && m.source == NULL && m.nocopy);
  engine_mount_clear(&m);
  CHECK(engine_parse_mount("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=0700", &m, &err) == 0);
  CHECK(m.type == ENGINE_MOUNT_TMPFS && m.tmpfs_size == 1 << 20 && m.tmpfs_mode == 0700);
  engine_mount_clear(&m);
  static const char *const bad[] = {
      "type=bind,target=/x",              /* bind without source */
      "type=bind,source=rel,target=/x",   /* relative source */
      "type=tmpfs,source=/a,target=/x",   /* tmpfs with a source */
      "type=nfs,target=/x",               /* unknown type */
      "type=volume,target=rel",           /* relative target */
      "source=v",                         /* no target */
      "type=volume,src=a/b,dst=/x",       /* bad volume name */
      "type=tmpfs,dst=/x,tmpfs-size=abc", /* bad size */
      "type=tmpfs,dst=/x,tmpfs-mode=999", /* not octal */
      "type=bind,src=/a,dst=/x,tmpfs-size=1m",
      "type=bind,src=/a,dst=/x,readonly=maybe",
      "type=bind,src=/a,dst=/x,color=red", /* unknown key */
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    struct vessel_error e2 = {0};
    struct engine_mount x = {0};
    if (engine_parse_mount(bad[i], &x, &e2) == 0) {
      printf("# accepted: %s\n", bad[i]);
      tap_failed_checks++;
      engine_mount_clear(&x);
    }
    CHECK(e2.msg[0]);
  }
}

static void test_volume(void)
{
  struct vessel_error err = {0};
  struct engine_mount m = {0};
  CHECK(engine_parse_volume("/host:/ctr:ro", &m, &err) == 0);
  CHECK(m.type == ENGINE_MOUNT_BIND && m.readonly);
  engine_mount_clear(&m);
  CHECK(engine_parse_volume("data:/ctr", &m, &err) == 0);
  CHECK(m.type == ENGINE_MOUNT_VOLUME && !m.anonymous && !m.readonly);
  CHECK_STR(m.source, "data");
  engine_mount_clear(&m);
  CHECK(engine_parse_volume("/anon", &m, &err) == 0);
  CHECK(m.type == ENGINE_MOUNT_VOLUME && m.anonymous && !m.source);
  engine_mount_clear(&m);
  CHECK(engine_parse_volume("/anon:ro", &m, &err) == 0);
  CHECK(m.anonymous && m.readonly);
  engine_mount_clear(&m);
  CHECK(engine_parse_volume("v:/d:ro,nocopy", &m, &err) == 0);
  CHECK(m.readonly && m.nocopy);
  engine_mount_clear(&m);
  static const char *const bad[] = {"rel", "a:b",        "x:/y:rx", "bad!:/y",
                                    ":/y", "/a:/b:ro:x", "",        "/h:/d:nocopy"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    struct vessel_error e2 = {0};
    struct engine_mount x = {0};
    if (engine_parse_volume(bad[i], &x, &e2) == 0) {
      printf("# accepted: %s\n", bad[i]);
      tap_failed_checks++;
      engine_mount_clear(&x);
    }
  }
}

static void test_tmpfs(void)
{
  struct vessel_error err = {0};
  struct engine_mount m = {0};
  CHECK(engine_parse_tmpfs("/run:size=64k,mode=1770,exec,ro", &m, &err) == 0);
  CHECK(m.tmpfs_size == 65536 && m.tmpfs_mode == 01770 && m.readonly);
  CHECK_STR(m.tmpfs_options, "exec");
  engine_mount_clear(&m);
  CHECK(engine_parse_tmpfs("/t", &m, &err) == 0 && !m.tmpfs_options && !m.tmpfs_size);
  engine_mount_clear(&m);
  struct vessel_error e2 = {0};
  CHECK(engine_parse_tmpfs("/t:upperdir=/etc", &m, &e2) < 0);
  CHECK(engine_parse_tmpfs("rel", &m, &e2) < 0);
  CHECK(engine_parse_tmpfs("/t:size=-1", &m, &e2) < 0);
}

static void test_ulimit(void)
{
  struct vessel_error err = {0};
  struct engine_ulimit u;
  CHECK(engine_parse_ulimit("nofile=100:200", &u, &err) == 0);
  CHECK(u.resource == RLIMIT_NOFILE && u.soft == 100 && u.hard == 200);
  CHECK(engine_parse_ulimit("nproc=50", &u, &err) == 0);
  CHECK(u.resource == RLIMIT_NPROC && u.soft == 50 && u.hard == 50);
  CHECK(engine_parse_ulimit("core=-1", &u, &err) == 0 && u.soft == RLIM_INFINITY);
  CHECK_STR(engine_ulimit_name(RLIMIT_NOFILE), "nofile");
  static const char *const bad[] = {"nofile",   "nofile=",      "bogus=1", "nofile=2:1",
                                    "nofile=x", "nofile=1:2:3", "=1"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    struct vessel_error e2 = {0};
    if (engine_parse_ulimit(bad[i], &u, &e2) == 0) {
      printf("# accepted: %s\n", bad[i]);
      tap_failed_checks++;
    }
  }
}

static void test_device(void)
{
  struct vessel_error err = {0};
  struct engine_device d;
  CHECK(engine_parse_device("/dev/null", &d, &err) == 0);
  CHECK_STR(d.host, "/dev/null");
  CHECK_STR(d.container, "/dev/null");
  CHECK_STR(d.access, "rwm");
  free(d.host);
  free(d.container);
  CHECK(engine_parse_device("/dev/zero:/dev/z:r", &d, &err) == 0);
  CHECK_STR(d.container, "/dev/z");
  CHECK_STR(d.access, "r");
  free(d.host);
  free(d.container);
  CHECK(engine_parse_device("/dev/zero:rw", &d, &err) == 0);
  CHECK_STR(d.container, "/dev/zero");
  CHECK_STR(d.access, "rw");
  free(d.host);
  free(d.container);
  static const char *const bad[] = {"dev/null", "/dev/null:rel", "/dev/null:/dev/x:rwx",
                                    "/dev/null:/dev/x:", "/a:/b:r:w"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    struct vessel_error e2 = {0};
    if (engine_parse_device(bad[i], &d, &e2) == 0) {
      printf("# accepted: %s\n", bad[i]);
      tap_failed_checks++;
      free(d.host);
      free(d.container);
    }
  }
}

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "we");
  CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static void test_env_file(void)
{
  char path[] = "/tmp/vessel-test-envfile.XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  close(fd);
  write_text(path, "# a comment\n\nA=1\n  B=two words \r\nPASSED\nC=\"q\"=x\n");
  struct vessel_error err = {0};
  _cleanup_strv_ char **v = NULL;
  size_t n = 0;
  CHECK(engine_parse_env_file(path, &v, &n, &err) == 0);
  CHECK(n == 4);
  if (n == 4) {
    CHECK_STR(v[0], "A=1");
    CHECK_STR(v[1], "B=two words ");
    CHECK_STR(v[2], "PASSED"); /* the caller's value, taken later */
    CHECK_STR(v[3], "C=\"q\"=x");
  }
  static const char *const bad[] = {"=1\n", "A B=1\n", "x\0y"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    FILE *f = fopen(path, "we");
    fwrite(bad[i], 1, i == 2 ? 3 : strlen(bad[i]), f);
    fclose(f);
    struct vessel_error e2 = {0};
    _cleanup_strv_ char **w = NULL;
    size_t m = 0;
    CHECK(engine_parse_env_file(path, &w, &m, &e2) < 0 && e2.msg[0]);
  }
  unlink(path);
  struct vessel_error e3 = {0};
  CHECK(engine_parse_env_file("/nonexistent/env", &v, &n, &e3) < 0);
}

static void test_cpus_sysctl(void)
{
  struct vessel_error err = {0};
  long long nano;
  CHECK(engine_parse_cpus("0.5", &nano, &err) == 0 && nano == 500000000LL);
  CHECK(engine_parse_cpus("1", &nano, &err) == 0 && nano == 1000000000LL);
  CHECK(engine_parse_cpus("0.001", &nano, &err) < 0);
  CHECK(engine_parse_cpus("-1", &nano, &err) < 0);
  CHECK(engine_parse_cpus("1e3", &nano, &err) < 0);
  CHECK(engine_parse_cpus("100000", &nano, &err) < 0);
  CHECK(engine_check_sysctl("net.ipv4.ip_forward=1", false, &err) == 0);
  CHECK(engine_check_sysctl("kernel.shmmax=1000", false, &err) == 0);
  CHECK(engine_check_sysctl("fs.mqueue.msg_max=20", false, &err) == 0);
  CHECK(engine_check_sysctl("net.ipv4.ip_forward=1", true, &err) < 0);
  CHECK(engine_check_sysctl("kernel.hostname=x", false, &err) < 0);
  CHECK(engine_check_sysctl("vm.swappiness=1", false, &err) < 0);
  CHECK(engine_check_sysctl("net.ipv4", false, &err) < 0);
  CHECK(engine_check_sysctl("net/../x=1", false, &err) < 0);
}

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* config.json of o, which the runtime's own parser must accept */
static json_t *bundle(const struct engine_run_opts *o, struct vessel_error *err)
{
  char *cmd[] = {"sh", NULL};
  struct image_config img = {.cmd = cmd};
  struct bundle_input in = {.id = ID, .opts = o, .image = &img, .root = "/var/lib/vessel"};
  return bundle_checked(&in, err);
}

static json_t *mount_at(json_t *root, const char *dst)
{
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(root, "mounts"), i, m)
  {
    if (!strcmp(json_string_value(json_object_get(m, "destination")), dst))
      return m;
  }
  return NULL;
}

static void test_bundle_flags(void)
{
  struct engine_mount mounts[] = {
      {.type = ENGINE_MOUNT_TMPFS, .destination = "/a/b", .tmpfs_size = 4096},
      {.type = ENGINE_MOUNT_VOLUME, .source = "data", .destination = "/a", .readonly = true},
      {.type = ENGINE_MOUNT_TMPFS, .destination = "/dev/shm"},
  };
  struct engine_ulimit ul[] = {{.resource = RLIMIT_NOFILE, .soft = 10, .hard = 20}};
  char *sysctls[] = {"net.ipv4.ip_forward=1", NULL};
  struct engine_run_opts o = {.image = "busybox",
                              .mounts = mounts,
                              .n_mounts = 3,
                              .ulimits = ul,
                              .n_ulimits = 1,
                              .sysctls = sysctls,
                              .shm_size = 1 << 20,
                              .memory = 1 << 26,
                              .memory_swap = -1,
                              .nano_cpus = 1500000000LL,
                              .no_new_privileges = true};
  struct vessel_error err = {0};
  json_t *j = bundle(&o, &err);
  CHECK(j != NULL);
  if (!j) {
    printf("# %s\n", err.msg);
    return;
  }
  /* shallow first, whatever the order given; the user's /dev/shm replaces the default */
  json_t *ms = json_object_get(j, "mounts");
  size_t ia = 0, ib = 0, i, shm = 0;
  json_t *m;
  json_array_foreach(ms, i, m)
  {
    const char *d = json_string_value(json_object_get(m, "destination"));
    ia = !strcmp(d, "/a") ? i : ia;
    ib = !strcmp(d, "/a/b") ? i : ib;
    shm += !strcmp(d, "/dev/shm");
  }
  CHECK(ia && ib && ia < ib && shm == 1);
  CHECK_STR(json_string_value(json_object_get(mount_at(j, "/a"), "source")),
            "/var/lib/vessel/volumes/data/_data");
  CHECK_STR(json_string_value(json_object_get(mount_at(j, "/dev/shm"), "source")), "tmpfs");
  json_t *proc = json_object_get(j, "process");
  CHECK(json_is_true(json_object_get(proc, "noNewPrivileges")));
  json_t *rl = json_array_get(json_object_get(proc, "rlimits"), 0);
  CHECK_STR(json_string_value(json_object_get(rl, "type")), "RLIMIT_NOFILE");
  CHECK(json_integer_value(json_object_get(rl, "hard")) == 20);
  json_t *lx = json_object_get(j, "linux");
  CHECK_STR(
      json_string_value(json_object_get(json_object_get(lx, "sysctl"), "net.ipv4.ip_forward")),
      "1");
  json_t *cpu = json_object_get(json_object_get(lx, "resources"), "cpu");
  CHECK(json_integer_value(json_object_get(cpu, "quota")) == 150000);
  CHECK(json_integer_value(json_object_get(cpu, "period")) == 100000);
  json_t *mem = json_object_get(json_object_get(lx, "resources"), "memory");
  CHECK(json_integer_value(json_object_get(mem, "swap")) == -1);
  CHECK(json_object_get(lx, "seccomp") != NULL);
  json_decref(j);

  /* without a user /dev/shm: docker's mount, with the size asked */
  struct engine_run_opts p = {.image = "busybox", .shm_size = 1 << 20, .privileged = true};
  j = bundle(&p, &err);
  CHECK(j != NULL);
  if (!j)
    return;
  json_t *opts = json_object_get(mount_at(j, "/dev/shm"), "options");
  CHECK_STR(json_string_value(json_array_get(opts, json_array_size(opts) - 1)), "size=1048576");
  lx = json_object_get(j, "linux");
  CHECK(json_object_get(lx, "seccomp") == NULL);
  CHECK(json_array_size(json_object_get(lx, "maskedPaths")) == 0);
  CHECK(json_array_size(json_object_get(lx, "devices")) > 0);
  json_decref(j);

  /* a user mount twice on one destination is refused */
  struct engine_mount twice[] = {
      {.type = ENGINE_MOUNT_TMPFS, .destination = "/x"},
      {.type = ENGINE_MOUNT_TMPFS, .destination = "/x"},
  };
  struct engine_run_opts q = {.image = "busybox", .mounts = twice, .n_mounts = 2};
  struct vessel_error e2 = {0};
  CHECK(bundle(&q, &e2) == NULL && strstr(e2.msg, "duplicate"));
}

TAP_MAIN(T(test_bundle_flags), T(test_mount), T(test_volume), T(test_tmpfs), T(test_ulimit),
         T(test_device), T(test_env_file), T(test_cpus_sysctl))
