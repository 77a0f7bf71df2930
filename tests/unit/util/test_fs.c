/* util/fs: root-confined resolution and atomic records. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char tmpl[] = "/tmp/vessel-test-fs.XXXXXX";

static int make_root(void)
{
  strcpy(tmpl, "/tmp/vessel-test-fs.XXXXXX");
  if (!mkdtemp(tmpl))
    return -1;
  return open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void remove_root(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
  if (system(cmd) != 0)
    printf("# cleanup failed\n");
}

static void symlink_cannot_escape(void)
{
  _cleanup_close_ int root = make_root();
  CHECK(root >= 0);
  CHECK(symlinkat("/etc", root, "evil") == 0);
  CHECK(symlinkat("../../../../etc", root, "evil2") == 0);
  struct vessel_error err = {0};
  /* /evil/passwd resolves to <root>/etc/passwd, which does not exist */
  int fd = fs_open_in_root(root, "/evil/passwd", O_RDONLY, 0, &err);
  CHECK(fd < 0);
  fd = fs_open_in_root(root, "/evil2/passwd", O_RDONLY, 0, &err);
  CHECK(fd < 0);
  remove_root();
}

static void mkpath_creates_inside_root(void)
{
  _cleanup_close_ int root = make_root();
  CHECK(symlinkat("/", root, "up") == 0);
  struct vessel_error err = {0};
  _cleanup_close_ int fd = fs_mkpath_in_root(root, "/up/vessel-mkpath-test/x", 0755, false, &err);
  CHECK(fd >= 0);
  /* created under the root, not on the host */
  CHECK(access("/vessel-mkpath-test", F_OK) != 0);
  char p[256];
  snprintf(p, sizeof p, "%s/vessel-mkpath-test/x", tmpl);
  struct stat st;
  CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
  _cleanup_close_ int f = fs_mkpath_in_root(root, "/a/b/file", 0755, true, &err);
  CHECK(f >= 0);
  snprintf(p, sizeof p, "%s/a/b/file", tmpl);
  CHECK(stat(p, &st) == 0 && S_ISREG(st.st_mode));
  remove_root();
}

static void atomic_write_replaces(void)
{
  _cleanup_close_ int root = make_root();
  struct vessel_error err = {0};
  CHECK(fs_write_atomic(root, "state.json", "one", 3, true, &err) == 0);
  CHECK(fs_write_atomic(root, "state.json", "second", 6, false, &err) == 0);
  _cleanup_free_ char *s = NULL;
  size_t n = 0;
  CHECK(fs_read_fileat(root, "state.json", &s, &n, &err) == 0);
  CHECK_STR(s, "second");
  CHECK(n == 6);
  CHECK(faccessat(root, ".state.json.tmp", F_OK, 0) != 0);
  remove_root();
}

static void numbers_are_checked(void)
{
  unsigned long long u;
  long long i;
  CHECK(parse_u64("42", &u) == 0 && u == 42);
  CHECK(parse_u64("-1", &u) < 0);
  CHECK(parse_u64("99999999999999999999999", &u) < 0);
  CHECK(parse_u64("12x", &u) < 0);
  CHECK(parse_u64("", &u) < 0);
  CHECK(parse_i64("-5", &i) == 0 && i == -5);
}

TAP_MAIN(T(symlink_cannot_escape), T(mkpath_creates_inside_root), T(atomic_write_replaces),
         T(numbers_are_checked))
