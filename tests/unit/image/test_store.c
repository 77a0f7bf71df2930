/* The image store: import of a busybox rootfs with changes, digests of every
 * blob, names, resolve by name/id/prefix, tag, remove with GC, corruption. */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "tap.h"
#include "tarbuild.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char root[64];
static char store_dir[128];

static const struct tar_entry rootfs[] = {
    {"./", 'd', 0755},
    {"bin/", 'd', 0755},
    {"bin/sh", 'l', 0777, "busybox"},
    {"bin/ls", 'l', 0777, "busybox"},
    {"etc/", 'd', 0755},
    {"etc/hostname", 'f', 0644, "box\n"},
    {"tmp/", 'd', 01777},
};

static struct image_store *setup(void)
{
  strcpy(root, "/tmp/vessel-test-store.XXXXXX");
  if (!mkdtemp(root))
    abort();
  snprintf(store_dir, sizeof store_dir, "%s/store", root);
  struct vessel_error err = {0};
  struct image_store *s = image_store_open(store_dir, &err);
  if (!s)
    printf("# %s\n", err.msg);
  return s;
}

static void teardown(struct image_store *s)
{
  image_store_close(s);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  if (system(cmd) != 0)
    printf("# cleanup failed\n");
}

static const char *make_tar(const char *filter)
{
  static char path[160];
  snprintf(path, sizeof path, "%s/rootfs-%s.tar", root, filter);
  if (tar_build_with_file(path, filter, rootfs, ARRAY_SIZE(rootfs), "bin/busybox", "/bin/busybox") <
      0)
    return NULL;
  return path;
}

static char *import(struct image_store *s, const char *tar, const char *name,
                    const char *const *changes, struct vessel_error *err)
{
  struct image_import_opts o = {.name = name, .changes = changes};
  char *id = image_import(s, tar, &o, err);
  if (!id)
    printf("# import: %s\n", err->msg);
  return id;
}

/* Number of entries in a store subdirectory, dot files aside. */
static int count(const char *sub)
{
  char p[256];
  snprintf(p, sizeof p, "%s/%s", store_dir, sub);
  DIR *d = opendir(p);
  if (!d)
    return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.')
      n++;
  closedir(d);
  return n;
}

/* Every blob's sha256 equals its name. */
static bool blobs_verified(void)
{
  char cmd[512];
  snprintf(
      cmd, sizeof cmd,
      "cd %s/images/blobs/sha256 && for f in *; do [ \"$(sha256sum < $f | cut -c1-64)\" = $f ] "
      "|| exit 1; done",
      store_dir);
  return system(cmd) == 0;
}

static bool strv_eq(char **v, const char *const *want)
{
  size_t i = 0;
  for (; v && v[i] && want[i]; i++)
    if (strcmp(v[i], want[i]) != 0)
      return false;
  return v && !v[i] && !want[i];
}

static void import_resolve_tag_remove(void)
{
  struct image_store *s = setup();
  CHECK(s != NULL);
  const char *tar = make_tar("gzip");
  CHECK(tar != NULL);
  struct vessel_error err = {0};
  const char *changes[] = {"CMD [\"sh\", \"-c\", \"echo hi\"]",
                           "ENV PATH=/bin:/usr/bin",
                           "ENV FOO bar",
                           "ENV FOO=baz",
                           "WORKDIR /tmp",
                           "ENTRYPOINT [\"/bin/busybox\"]",
                           "LABEL maintainer=\"me\"",
                           "USER 1000",
                           "STOPSIGNAL SIGINT",
                           NULL};
  _cleanup_free_ char *id = import(s, tar, "busybox", changes, &err);
  CHECK(id && strncmp(id, "sha256:", 7) == 0 && strlen(id) == 71);
  CHECK(blobs_verified());
  CHECK(count("images/blobs/sha256") == 3);
  CHECK(count("layers") == 1);

  /* the OCI layout */
  _cleanup_free_ char *buf = NULL;
  size_t len;
  int dir = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(fs_read_fileat(dir, "images/oci-layout", &buf, &len, &err) == 0);
  CHECK(buf && strstr(buf, "\"imageLayoutVersion\":\"1.0.0\""));
  json_t *idx = json_load_file("/dev/null", 0, NULL);
  char ip[256];
  snprintf(ip, sizeof ip, "%s/images/index.json", store_dir);
  idx = json_load_file(ip, 0, NULL);
  json_t *m0 = json_array_get(json_object_get(idx, "manifests"), 0);
  CHECK_STR(json_string_value(json_object_get(json_object_get(m0, "annotations"),
                                              "org.opencontainers.image.ref.name")),
            "busybox:latest");
  CHECK_STR(json_string_value(json_object_get(m0, "mediaType")),
            "application/vnd.oci.image.manifest.v1+json");
  json_decref(idx);
  close(dir);

  /* resolve by name: config and layer */
  struct image_config c = {0};
  struct image_info info = {0};
  _cleanup_strv_ char **dirs = NULL;
  CHECK(image_resolve(s, "busybox", &c, &dirs, &info, &err) == 0);
  const char *cmd[] = {"sh", "-c", "echo hi", NULL}, *ep[] = {"/bin/busybox", NULL},
             *env[] = {"PATH=/bin:/usr/bin", "FOO=baz", NULL}, *labels[] = {"maintainer=me", NULL};
  CHECK(strv_eq(c.cmd, cmd));
  CHECK(strv_eq(c.entrypoint, ep));
  CHECK(strv_eq(c.env, env));
  CHECK(strv_eq(c.labels, labels));
  CHECK_STR(c.working_dir, "/tmp");
  CHECK_STR(c.user, "1000");
  CHECK_STR(c.stop_signal, "SIGINT");
  CHECK_STR(info.name, "busybox:latest");
  CHECK_STR(info.id, id);
  CHECK(info.manifest_digest && strncmp(info.manifest_digest, "sha256:", 7) == 0);
  CHECK(info.created && strlen(info.created) > 20 && info.created[4] == '-');
  struct stat st, bb;
  CHECK(stat("/bin/busybox", &bb) == 0);
  CHECK(info.size >= (unsigned long long)bb.st_size);
  CHECK(dirs && dirs[0] && !dirs[1]);
  char p[512];
  snprintf(p, sizeof p, "%s/bin/busybox", dirs ? dirs[0] : "");
  CHECK(stat(p, &st) == 0 && st.st_size == bb.st_size && (st.st_mode & 0777) == 0755);
  snprintf(p, sizeof p, "%s/tmp", dirs ? dirs[0] : "");
  CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 01777);
  image_config_free(&c);
  image_info_free(&info);

  /* tag, and resolve by id, prefix, new name */
  CHECK(image_tag(s, "busybox", "mybox:v1", &err) == 0);
  CHECK(image_tag(s, "busybox", "Bad/Name", &err) == -1 && strstr(err.msg, "Bad/Name"));
  CHECK(image_tag(s, "busybox", "ok:bad tag", &err) == -1);
  CHECK(image_tag(s, "nope", "x", &err) == -1 && strstr(err.msg, "`nope`"));
  char prefix[16];
  snprintf(prefix, sizeof prefix, "%.12s", id + 7);
  const char *refs[] = {"mybox:v1", id, prefix, "busybox:latest"};
  for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
    CHECK(image_resolve(s, refs[i], NULL, NULL, &info, &err) == 0);
    CHECK_STR(info.id, id);
    image_info_free(&info);
  }
  CHECK(image_resolve(s, "mybox", NULL, NULL, &info, &err) == -1); /* mybox:latest */
  CHECK(image_resolve(s, "abc", NULL, NULL, &info, &err) == -1);   /* prefix too short */

  struct image_info *list = NULL;
  size_t n = 0;
  CHECK(image_list(s, &list, &n, &err) == 0 && n == 2);
  for (size_t i = 0; i < n; i++) {
    CHECK_STR(list[i].id, id);
    CHECK(strcmp(list[i].name, "busybox:latest") == 0 || strcmp(list[i].name, "mybox:v1") == 0);
    image_info_free(&list[i]);
  }
  free(list);

  /* by id while two names use it: refused */
  CHECK(image_remove(s, id, &err) == -1);
  CHECK(image_remove(s, "busybox", &err) == 0);
  CHECK(count("images/blobs/sha256") == 3 && count("layers") == 1);
  CHECK(image_resolve(s, "busybox", NULL, NULL, NULL, &err) == -1);
  CHECK(image_remove(s, prefix, &err) == 0);
  CHECK(image_list(s, &list, &n, &err) == 0 && n == 0);
  free(list);
  CHECK(count("images/blobs/sha256") == 0);
  CHECK(count("layers") == 0);
  teardown(s);
}

static void compressions_and_moving_names(void)
{
  struct image_store *s = setup();
  struct vessel_error err = {0};
  _cleanup_free_ char *gz = NULL, *zst = NULL, *plain = NULL, *again = NULL, *in = NULL;
  char **d1 = NULL, **d2 = NULL, **d3 = NULL;
  gz = import(s, make_tar("gzip"), "box:gz", NULL, &err);
  zst = import(s, make_tar("zstd"), "box:zst", NULL, &err);
  plain = import(s, make_tar("none"), "box:plain", NULL, &err);
  CHECK(gz && zst && plain);
  CHECK(image_resolve(s, "box:gz", NULL, &d1, NULL, &err) == 0);
  CHECK(image_resolve(s, "box:zst", NULL, &d2, NULL, &err) == 0);
  CHECK(image_resolve(s, "box:plain", NULL, &d3, NULL, &err) == 0);
  /* one content, one diffID, one layer */
  CHECK(d1 && d2 && d3 && strcmp(d1[0], d2[0]) == 0 && strcmp(d1[0], d3[0]) == 0);
  CHECK(count("layers") == 1);
  strv_free(d1);
  strv_free(d2);
  strv_free(d3);

  /* from stdin, moving a name: the old image stays, untagged */
  int saved = dup(0), fd = open(make_tar("gzip"), O_RDONLY | O_CLOEXEC);
  dup2(fd, 0);
  close(fd);
  again = import(s, "-", "box:gz", NULL, &err);
  dup2(saved, 0);
  close(saved);
  CHECK(again && gz && strcmp(again, gz) != 0);
  struct image_info info = {0};
  CHECK(image_resolve(s, "box:gz", NULL, NULL, &info, &err) == 0);
  CHECK_STR(info.id, again);
  image_info_free(&info);
  struct image_info *list = NULL;
  size_t n = 0, untagged = 0;
  CHECK(image_list(s, &list, &n, &err) == 0 && n == 4);
  for (size_t i = 0; i < n; i++) {
    if (!list[i].name) {
      untagged++;
      CHECK_STR(list[i].id, gz);
    }
    image_info_free(&list[i]);
  }
  free(list);
  CHECK(untagged == 1);
  CHECK(gz && image_remove(s, gz, &err) == 0);
  CHECK(blobs_verified());

  /* a bad change or a broken tarball leaves nothing behind */
  int blobs = count("images/blobs/sha256");
  const char *bad[] = {"FROB x", NULL}, *bad2[] = {"CMD [1]", NULL};
  CHECK(import(s, make_tar("gzip"), "x", bad, &err) == NULL && strstr(err.msg, "FROB"));
  CHECK(import(s, make_tar("gzip"), "x", bad2, &err) == NULL);
  CHECK(import(s, make_tar("gzip"), "UPPER", NULL, &err) == NULL);
  char junk[160];
  snprintf(junk, sizeof junk, "%s/junk.tar", root);
  struct tar_entry evil[] = {{"../x", 'f', 0644, "x"}};
  CHECK(tar_build(junk, "gzip", evil, 1) == 0);
  in = import(s, junk, "evil", NULL, &err);
  CHECK(in == NULL);
  CHECK(count("images/blobs/sha256") == blobs);
  CHECK(count("layers") == 1);
  CHECK(image_resolve(s, "evil", NULL, NULL, NULL, &err) == -1);
  teardown(s);
}

static void corruption_detected(void)
{
  struct image_store *s = setup();
  struct vessel_error err = {0};
  _cleanup_free_ char *id = import(s, make_tar("gzip"), "busybox", NULL, &err);
  CHECK(id != NULL);
  char **dirs = NULL;
  struct image_info info = {0};
  CHECK(image_resolve(s, "busybox", NULL, &dirs, &info, &err) == 0);
  /* a layer unpacked on demand when missing */
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dirs ? dirs[0] : "/nonexistent");
  CHECK(system(cmd) == 0);
  strv_free(dirs);
  dirs = NULL;
  CHECK(image_resolve(s, "busybox", NULL, &dirs, NULL, &err) == 0);
  char p[512];
  struct stat st;
  snprintf(p, sizeof p, "%s/bin/busybox", dirs ? dirs[0] : "");
  CHECK(stat(p, &st) == 0);

  /* a flipped byte in the config blob */
  snprintf(p, sizeof p, "%s/images/blobs/sha256/%s", store_dir, id ? id + 7 : "");
  int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
  CHECK(fd >= 0 && write(fd, " ", 1) == 1);
  close(fd);
  CHECK(image_resolve(s, "busybox", NULL, NULL, NULL, &err) == -1);
  CHECK(strstr(err.msg, "corrupted") && id && strstr(err.msg, id));

  /* a corrupted layer blob, found when the layer must be unpacked again */
  image_info_free(&info);
  _cleanup_free_ char *id2 = import(s, make_tar("none"), "other", NULL, &err);
  CHECK(image_resolve(s, "other", NULL, NULL, &info, &err) == 0);
  snprintf(cmd, sizeof cmd,
           "cd %s/images/blobs/sha256 && for f in *; do [ $(stat -c %%s $f) -gt 100000 ] && "
           "printf X | dd of=$f bs=1 seek=5000 conv=notrunc 2>/dev/null; done; rm -rf %s",
           store_dir, dirs ? dirs[0] : "/nonexistent");
  CHECK(system(cmd) == 0);
  strv_free(dirs);
  dirs = NULL;
  CHECK(image_resolve(s, "other", NULL, &dirs, NULL, &err) == -1);
  CHECK(strstr(err.msg, "corrupted") != NULL);
  CHECK(count("layers") == 0);
  image_info_free(&info);
  teardown(s);
}

TAP_MAIN(T(import_resolve_tag_remove), T(compressions_and_moving_names), T(corruption_detected))
