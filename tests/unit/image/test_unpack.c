/* image_unpack_layer: entries never land outside the layer, whiteouts and
 * opaque dirs become overlayfs markers, failures leave nothing behind. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "tap.h"
#include "tarbuild.h"
#include "util/cleanup.h"

static char root[64];
static char layer[128], tarball[128];

static void setup(void)
{
  strcpy(root, "/tmp/vessel-test-unpack.XXXXXX");
  if (!mkdtemp(root))
    abort();
  snprintf(layer, sizeof layer, "%s/layer", root);
  snprintf(tarball, sizeof tarball, "%s/t.tar", root);
}

static void teardown(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  if (system(cmd) != 0)
    printf("# cleanup failed\n");
}

static int unpack(const struct tar_entry *e, size_t n, bool devices, struct vessel_error *err)
{
  if (tar_build(tarball, "none", e, n) < 0)
    return -2;
  _cleanup_close_ int fd = open(tarball, O_RDONLY | O_CLOEXEC);
  return image_unpack_layer(fd, layer, devices, err);
}

static bool exists(const char *rel)
{
  char p[512];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", root, rel);
  return lstat(p, &st) == 0;
}

/* Only the tarball (and the given names) may be left in the test root. */
static int root_entries(void)
{
  DIR *d = opendir(root);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.')
      n++;
  closedir(d);
  return n;
}

static void dotdot_refused(void)
{
  setup();
  struct vessel_error err = {0};
  struct tar_entry e[] = {{"ok", 'f', 0644, "x"}, {"../escape", 'f', 0644, "evil"}};
  CHECK(unpack(e, ARRAY_SIZE(e), false, &err) == -1);
  CHECK(strstr(err.msg, "../escape") != NULL);
  CHECK(!exists("escape"));
  CHECK(!exists("layer"));
  CHECK(root_entries() == 1); /* no layer.tmp-* either */
  struct tar_entry e2[] = {{"a/../../escape2", 'f', 0644, "evil"}};
  CHECK(unpack(e2, 1, false, &err) == -1);
  CHECK(!exists("escape2") && !exists("layer"));
  teardown();
}

static void absolute_lands_inside(void)
{
  setup();
  struct vessel_error err = {0};
  char name[128];
  snprintf(name, sizeof name, "/%s/abs-escape", root + 1);
  struct tar_entry e[] = {{name, 'f', 0644, "x"}, {"/vessel-abs-test/f", 'f', 0644, "x"}};
  CHECK(unpack(e, ARRAY_SIZE(e), false, &err) == 0);
  CHECK(!exists("abs-escape"));
  CHECK(access("/vessel-abs-test", F_OK) != 0);
  char p[256];
  snprintf(p, sizeof p, "layer/%s/abs-escape", root + 1);
  CHECK(exists(p));
  CHECK(exists("layer/vessel-abs-test/f"));
  teardown();
}

static void symlink_parent_refused(void)
{
  setup();
  char host[128];
  snprintf(host, sizeof host, "%s/host", root);
  CHECK(mkdir(host, 0755) == 0);
  struct vessel_error err = {0};
  struct tar_entry e[] = {{"evil", 'l', 0777, host}, {"evil/file", 'f', 0644, "pwned"}};
  CHECK(unpack(e, ARRAY_SIZE(e), false, &err) == -1);
  CHECK(strstr(err.msg, "symlink") != NULL);
  CHECK(!exists("host/file"));
  CHECK(!exists("layer"));
  /* a relative one that climbs out, and a directory replaced by a symlink */
  struct tar_entry e2[] = {
      {"d/", 'd', 0755}, {"d", 'l', 0777, "../../host"}, {"d/file", 'f', 0644, "pwned"}};
  CHECK(unpack(e2, ARRAY_SIZE(e2), false, &err) == -1);
  CHECK(!exists("host/file") && !exists("layer"));
  teardown();
}

static void hardlink_outside_refused(void)
{
  setup();
  struct vessel_error err = {0};
  struct tar_entry e[] = {{"passwd", 'h', 0644, "/etc/passwd"}};
  CHECK(unpack(e, 1, false, &err) == -1);
  CHECK(!exists("layer"));
  struct tar_entry e2[] = {{"passwd", 'h', 0644, "../../../../etc/passwd"}};
  CHECK(unpack(e2, 1, false, &err) == -1);
  /* through a symlink made by the layer */
  struct tar_entry e3[] = {{"etc", 'l', 0777, "/etc"}, {"passwd", 'h', 0644, "etc/passwd"}};
  CHECK(unpack(e3, ARRAY_SIZE(e3), false, &err) == -1);
  CHECK(!exists("layer"));
  /* inside, to a regular file: fine */
  struct tar_entry e4[] = {{"a", 'f', 0644, "data"}, {"b", 'h', 0644, "a"}};
  CHECK(unpack(e4, ARRAY_SIZE(e4), false, &err) == 0);
  struct stat a, b;
  CHECK(lstat("/dev/null", &a) == 0);
  char p[256];
  snprintf(p, sizeof p, "%s/a", layer);
  CHECK(stat(p, &a) == 0);
  snprintf(p, sizeof p, "%s/b", layer);
  CHECK(stat(p, &b) == 0 && a.st_ino == b.st_ino);
  teardown();
}

static void whiteouts_and_opaque(void)
{
  setup();
  struct vessel_error err = {0};
  struct tar_entry e[] = {{".wh.foo", 'f', 0644},
                          {"dir/.wh.bar", 'f', 0644},
                          {"opq/", 'd', 0755},
                          {"opq/.wh..wh..opq", 'f', 0644},
                          {"sneaky/", 'd', 0755, NULL, "trusted.overlay.opaque"},
                          {"kept", 'f', 0644, "x", "user.vessel"}};
  int r = unpack(e, ARRAY_SIZE(e), false, &err);
  CHECK(r == 0);
  if (r != 0)
    printf("# %s\n", err.msg);
  struct stat st;
  char p[256], v[8];
  snprintf(p, sizeof p, "%s/foo", layer);
  CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  snprintf(p, sizeof p, "%s/dir/bar", layer);
  CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  CHECK(!exists("layer/.wh.foo"));
  snprintf(p, sizeof p, "%s/opq", layer);
  ssize_t n = lgetxattr(p, "trusted.overlay.opaque", v, sizeof v);
  CHECK(n == 1 && v[0] == 'y');
  CHECK(!exists("layer/opq/.wh..wh..opq"));
  snprintf(p, sizeof p, "%s/sneaky", layer);
  CHECK(lgetxattr(p, "trusted.overlay.opaque", v, sizeof v) < 0);
  snprintf(p, sizeof p, "%s/kept", layer);
  CHECK(lgetxattr(p, "user.vessel", v, sizeof v) == 1);
  teardown();
}

static void setuid_kept_devices_refused(void)
{
  setup();
  struct vessel_error err = {0};
  struct tar_entry e[] = {{"bin/su", 'f', 04755, "x"}, {"bin/sg", 'f', 02711, "x"}};
  CHECK(unpack(e, ARRAY_SIZE(e), false, &err) == 0);
  struct stat st;
  char p[256];
  snprintf(p, sizeof p, "%s/bin/su", layer);
  CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 04755);
  snprintf(p, sizeof p, "%s/bin/sg", layer);
  CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 02711);
  teardown();

  setup();
  struct tar_entry d[] = {{"dev/null", 'c', 0666}};
  CHECK(unpack(d, 1, false, &err) == -1);
  CHECK(strstr(err.msg, "dev/null") != NULL);
  CHECK(!exists("layer") && root_entries() == 1);
  struct tar_entry f[] = {{"fifo", 'p', 0644}};
  CHECK(unpack(f, 1, false, &err) == -1);
  CHECK(unpack(d, 1, true, &err) == 0);
  snprintf(p, sizeof p, "%s/dev/null", layer);
  CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
  teardown();
}

static void truncated_tarball_leaves_nothing(void)
{
  setup();
  struct vessel_error err = {0};
  char big[8192];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  struct tar_entry e[] = {{"a", 'f', 0644, "x"}, {"big", 'f', 0644, big}};
  CHECK(tar_build(tarball, "none", e, ARRAY_SIZE(e)) == 0);
  CHECK(truncate(tarball, 3000) == 0);
  _cleanup_close_ int fd = open(tarball, O_RDONLY | O_CLOEXEC);
  CHECK(image_unpack_layer(fd, layer, false, &err) == -1);
  CHECK(!exists("layer") && root_entries() == 1);
  /* dir must not exist beforehand */
  CHECK(mkdir(layer, 0700) == 0);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(image_unpack_layer(fd, layer, false, &err) == -1);
  teardown();
}

static void times_kept_later_entries_win(void)
{
  setup();
  struct vessel_error err = {0};
  struct tar_entry e[] = {{"d/", 'd', 0750},          {"d/f", 'f', 0644, "one"},
                          {"d/f", 'f', 0600, "two"},  {"d/x", 'l', 0777, "f"},
                          {"d/x", 'f', 0644, "file"}, {"d/sub/deep", 'f', 0644, "x"}};
  CHECK(unpack(e, ARRAY_SIZE(e), false, &err) == 0);
  struct stat st;
  char p[256];
  snprintf(p, sizeof p, "%s/d", layer);
  CHECK(lstat(p, &st) == 0 && st.st_mtime == 1700000000 && (st.st_mode & 0777) == 0750);
  snprintf(p, sizeof p, "%s/d/f", layer);
  CHECK(lstat(p, &st) == 0 && st.st_mtime == 1700000000 && st.st_size == 3 &&
        (st.st_mode & 0777) == 0600);
  snprintf(p, sizeof p, "%s/d/x", layer);
  CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);
  snprintf(p, sizeof p, "%s/d/sub", layer); /* implied parent */
  CHECK(lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755);
  teardown();
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ~30 MB in ~1500 files, half of each compressible. */
static void unpack_speed_vs_tar(void)
{
  setup();
  size_t n = 1500, sz = 20000;
  struct tar_entry *e = calloc(n + 50, sizeof *e);
  char **bufs = calloc(n + 50, sizeof *bufs);
  unsigned seed = 42;
  size_t k = 0;
  for (size_t d = 0; d < 50; d++) {
    char *name = malloc(32);
    snprintf(name, 32, "usr/lib/d%zu/", d);
    e[k++] = (struct tar_entry){name, 'd', 0755};
  }
  for (size_t i = 0; i < n; i++, k++) {
    char *name = malloc(48), *b = malloc(sz + 1);
    snprintf(name, 48, "usr/lib/d%zu/file%zu", i % 50, i);
    for (size_t j = 0; j < sz; j++)
      b[j] = j < sz / 2 ? (char)('a' + (rand_r(&seed) % 26)) : (char)('a' + j % 7);
    b[sz] = '\0';
    e[k] = (struct tar_entry){name, 'f', 0644, b};
    bufs[k] = b;
  }
  char tgz[160];
  snprintf(tgz, sizeof tgz, "%s/big.tar.gz", root);
  CHECK(tar_build(tgz, "gzip", e, k) == 0);
  struct vessel_error err = {0};
  _cleanup_close_ int fd = open(tgz, O_RDONLY | O_CLOEXEC);
  double t0 = now();
  CHECK(image_unpack_layer(fd, layer, false, &err) == 0);
  double t1 = now();
  char cmd[512];
  snprintf(cmd, sizeof cmd, "mkdir %s/tar && tar -xzf %s -C %s/tar", root, tgz, root);
  double t2 = now();
  CHECK(system(cmd) == 0);
  double t3 = now();
  char p[256];
  struct stat st;
  snprintf(p, sizeof p, "%s/usr/lib/d7/file1457", layer);
  CHECK(stat(p, &st) == 0 && st.st_size == (off_t)sz);
  printf("# unpack of %zu MB (%zu files): vessel %.3f s, tar -xzf %.3f s (%.2fx)\n", n * sz >> 20,
         n, t1 - t0, t3 - t2, (t1 - t0) / (t3 - t2));
  for (size_t i = 0; i < k; i++) {
    free((void *)e[i].name);
    free(bufs[i]);
  }
  free(e);
  free(bufs);
  teardown();
}

TAP_MAIN(T(dotdot_refused), T(absolute_lands_inside), T(symlink_parent_refused),
         T(hardlink_outside_refused), T(whiteouts_and_opaque), T(setuid_kept_devices_refused),
         T(truncated_tarball_leaves_nothing), T(times_kept_later_entries_win),
         T(unpack_speed_vs_tar))
