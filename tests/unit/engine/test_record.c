/* engine: container records, ids, names, size parsing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char tmpl[64];

static int make_dir(void)
{
  strcpy(tmpl, "/tmp/vessel-test-engine.XXXXXX");
  if (!mkdtemp(tmpl))
    return -1;
  return open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void remove_dir(void)
{
  struct vessel_error err = {0};
  _cleanup_close_ int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (engine_remove_tree(tmp, tmpl + 5, &err) < 0)
    printf("# cleanup failed: %s\n", err.msg);
}

static void ids_are_64_hex_and_distinct(void)
{
  char a[65], b[65];
  struct vessel_error err = {0};
  CHECK(engine_id_new(a, &err) == 0);
  CHECK(engine_id_new(b, &err) == 0);
  CHECK(strlen(a) == 64);
  CHECK(engine_id_valid(a));
  CHECK(strcmp(a, b) != 0);
  CHECK(!engine_id_valid("abc"));
  CHECK(!engine_id_valid("../../../../../../../../../../../../../../../../../../../../etc/x"));
  char upper[65];
  memcpy(upper, a, 65);
  upper[0] = 'G';
  CHECK(!engine_id_valid(upper));
}

static void record_round_trip(void)
{
  _cleanup_close_ int dir = make_dir();
  CHECK(dir >= 0);
  struct vessel_error err = {0};
  char *cmd[] = {"sh", "-c", "echo \"hi\"", NULL};
  char *env[] = {"A=1", NULL};
  struct engine_container c = {.name = "web",
                               .image = "busybox",
                               .image_id = "sha256:ab",
                               .created = "2026-01-01T00:00:00Z",
                               .state = ENGINE_EXITED,
                               .exit_code = 3,
                               .bundle = "/b",
                               .cmd = cmd,
                               .env = env,
                               .workdir = "/tmp",
                               .user = "1:2",
                               .hostname = "h",
                               .auto_remove = true};
  CHECK(engine_id_new(c.id, &err) == 0);
  CHECK(record_save(dir, &c, &err) == 0);
  struct engine_container d = {0};
  CHECK(record_load(dir, &d, &err) == 0);
  CHECK_STR(d.id, c.id);
  CHECK_STR(d.name, "web");
  CHECK_STR(d.image_id, "sha256:ab");
  CHECK(d.state == ENGINE_EXITED);
  CHECK(d.exit_code == 3);
  CHECK(d.auto_remove);
  CHECK(d.cmd && strv_length(d.cmd) == 3);
  CHECK_STR(d.cmd ? d.cmd[2] : NULL, "echo \"hi\"");
  CHECK_STR(d.user, "1:2");
  engine_container_clear(&d);
  /* the atomic write leaves no temp file beside the record */
  CHECK(faccessat(dir, ENGINE_RECORD, F_OK, 0) == 0);
  _cleanup_closedir_ DIR *dd = fdopendir(dup(dir));
  size_t entries = 0;
  for (struct dirent *de; dd && (de = readdir(dd));)
    entries += de->d_name[0] != '.';
  CHECK(entries == 1);
  remove_dir();
}

static void bad_records_are_errors(void)
{
  struct vessel_error err = {0};
  struct engine_container c = {0};
  static const char *const bad[] = {
      "",
      "{}",
      "{\"id\": \"../x\", \"state\": \"exited\", \"exit_code\": 0}",
      "{\"id\": \"0000000000000000000000000000000000000000000000000000000000000000\","
      " \"state\": \"flying\", \"exit_code\": 0}",
      "{\"id\": \"0000000000000000000000000000000000000000000000000000000000000000\","
      " \"state\": \"exited\", \"exit_code\": 999}",
      "{\"id\": \"0000000000000000000000000000000000000000000000000000000000000000\","
      " \"state\": \"exited\", \"exit_code\": 0, \"name\": 5}",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    err.msg[0] = '\0';
    CHECK(record_from_json(bad[i], strlen(bad[i]), &c, &err) < 0);
    CHECK(err.msg[0] != '\0');
  }
}

static void names_are_unique(void)
{
  _cleanup_close_ int dir = make_dir();
  CHECK(dir >= 0);
  struct vessel_error err = {0};
  char a[65], b[65], got[65];
  engine_id_new(a, &err);
  engine_id_new(b, &err);
  CHECK(name_reserve(dir, "web", a, true, &err) == 0);
  CHECK(name_reserve(dir, "web", b, true, &err) < 0);
  CHECK(strstr(err.msg, "already in use") != NULL);
  CHECK(name_lookup(dir, "web", got, &err) == 0);
  CHECK_STR(got, a);
  /* only the owner releases a name */
  name_release(dir, "web", b);
  CHECK(name_lookup(dir, "web", got, &err) == 0);
  name_release(dir, "web", a);
  CHECK(name_lookup(dir, "web", got, &err) < 0);
  CHECK(name_reserve(dir, "web", b, true, &err) == 0);
  remove_dir();
}

static void bad_names_are_refused(void)
{
  struct vessel_error err = {0};
  static const char *const bad[] = {"", "..", "a/b", "_x", "-x", "a b", ".hidden", "x\n"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    CHECK(name_check(bad[i], &err) < 0);
  char longname[200];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  CHECK(name_check(longname, &err) < 0);
  CHECK(name_check("web-1_a.b", &err) == 0);
  CHECK(name_check("9", &err) == 0);
}

static void generated_names_count_up(void)
{
  _cleanup_close_ int dir = make_dir();
  CHECK(dir >= 0);
  struct vessel_error err = {0};
  char a[65], b[65], c[65];
  engine_id_new(a, &err);
  engine_id_new(b, &err);
  engine_id_new(c, &err);
  _cleanup_free_ char *n1 = NULL, *n2 = NULL, *n3 = NULL;
  CHECK(name_reserve(dir, "vessel_2", c, true, &err) == 0);
  CHECK(name_generate(dir, a, true, &n1, &err) == 0);
  CHECK(name_generate(dir, b, true, &n2, &err) == 0);
  CHECK_STR(n1, "vessel_1");
  CHECK_STR(n2, "vessel_3");
  name_release(dir, "vessel_1", a);
  CHECK(name_generate(dir, c, true, &n3, &err) == 0);
  CHECK_STR(n3, "vessel_1");
  remove_dir();
}

static void sizes_parse_like_docker(void)
{
  long long v;
  CHECK(engine_parse_bytes("4096", &v) == 0 && v == 4096);
  CHECK(engine_parse_bytes("128m", &v) == 0 && v == 128LL << 20);
  CHECK(engine_parse_bytes("1G", &v) == 0 && v == 1LL << 30);
  CHECK(engine_parse_bytes("10k", &v) == 0 && v == 10240);
  CHECK(engine_parse_bytes("7b", &v) == 0 && v == 7);
  CHECK(engine_parse_bytes("", &v) < 0);
  CHECK(engine_parse_bytes("m", &v) < 0);
  CHECK(engine_parse_bytes("-1", &v) < 0);
  CHECK(engine_parse_bytes("12x", &v) < 0);
  CHECK(engine_parse_bytes("99999999999999999999g", &v) < 0);
  CHECK(engine_parse_bytes("9000000000g", &v) < 0);
}

static void remove_tree_does_not_follow_symlinks(void)
{
  _cleanup_close_ int dir = make_dir();
  CHECK(dir >= 0);
  char outside[] = "/tmp/vessel-test-outside.XXXXXX";
  CHECK(mkdtemp(outside) != NULL);
  char keep[128];
  snprintf(keep, sizeof keep, "%s/keep", outside);
  FILE *f = fopen(keep, "we");
  CHECK(f != NULL);
  if (f)
    fclose(f);
  CHECK(mkdirat(dir, "c", 0700) == 0);
  CHECK(mkdirat(dir, "c/d", 0700) == 0);
  CHECK(symlinkat(outside, dir, "c/d/link") == 0);
  struct vessel_error err = {0};
  CHECK(engine_remove_tree(dir, "c", &err) == 0);
  CHECK(faccessat(dir, "c", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
  CHECK(access(keep, F_OK) == 0);
  unlink(keep);
  rmdir(outside);
  remove_dir();
}

TAP_MAIN(T(ids_are_64_hex_and_distinct), T(record_round_trip), T(bad_records_are_errors),
         T(names_are_unique), T(bad_names_are_refused), T(generated_names_count_up),
         T(sizes_parse_like_docker), T(remove_tree_does_not_follow_symlinks))
