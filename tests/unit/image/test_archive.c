/* Image archives: save in both formats and load into a second store, crafted
 * hostile archives refused with a clean error and nothing left in the store,
 * and the merged view export writes (whiteouts and opaque directories). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/image.h"
#include "tap.h"
#include "tarbuild.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char root[64];

static const struct tar_entry rootfs[] = {
    {"./", 'd', 0755},
    {"bin/", 'd', 0755},
    {"bin/sh", 'l', 0777, "busybox"},
    {"etc/", 'd', 0755},
    {"etc/hostname", 'f', 0644, "box\n"},
};

static void mkroot(void)
{
  strcpy(root, "/tmp/vessel-test-archive.XXXXXX");
  if (!mkdtemp(root))
    abort();
}

static void rmroot(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  if (system(cmd) != 0)
    printf("# cleanup failed\n");
}

static struct image_store *open_store(const char *name)
{
  char p[128];
  snprintf(p, sizeof p, "%s/%s", root, name);
  struct vessel_error err = {0};
  struct image_store *s = image_store_open(p, &err);
  if (!s)
    printf("# %s\n", err.msg);
  return s;
}

/* Entries of a store directory, dot files aside (the index lock aside too). */
static int count(const char *store, const char *sub)
{
  char p[256];
  snprintf(p, sizeof p, "%s/%s/%s", root, store, sub);
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

static struct image_store *store_with_busybox(void)
{
  struct image_store *s = open_store("src");
  char tar[128];
  snprintf(tar, sizeof tar, "%s/rootfs.tar", root);
  if (!s || tar_build_with_file(tar, "none", rootfs, ARRAY_SIZE(rootfs), "bin/busybox",
                                "/bin/busybox") < 0)
    return s;
  struct vessel_error err = {0};
  struct image_import_opts o = {.name = "busybox"};
  char *id = image_import(s, tar, &o, &err);
  if (!id)
    printf("# import: %s\n", err.msg);
  free(id);
  return s;
}

static void round_trip(enum image_archive_format f, const char *dst)
{
  struct image_store *s = store_with_busybox();
  struct image_store *d = open_store(dst);
  CHECK(s && d);
  char path[128];
  snprintf(path, sizeof path, "%s/%s.tar", root, dst);
  struct vessel_error err = {0};
  _cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const char *refs[] = {"busybox", NULL};
  CHECK(image_save(s, refs, f, out, &err) == 0);
  _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
  char **loaded = NULL;
  if (image_load(d, in, &loaded, &err) < 0)
    printf("# load: %s\n", err.msg);
  CHECK(loaded && loaded[0] && !loaded[1]);
  CHECK_STR(loaded ? loaded[0] : NULL, "busybox:latest");
  strv_free(loaded);
  struct image_info a = {0}, b = {0};
  char **dirs = NULL;
  CHECK(image_resolve(s, "busybox", NULL, NULL, &a, &err) == 0);
  CHECK(image_resolve(d, "busybox", NULL, &dirs, &b, &err) == 0);
  CHECK_STR(a.id, b.id);
  char sh[256];
  snprintf(sh, sizeof sh, "%s/bin/busybox", dirs && dirs[0] ? dirs[0] : "");
  CHECK(access(sh, X_OK) == 0);
  strv_free(dirs);
  image_info_free(&a);
  image_info_free(&b);
  /* only the image's blobs are kept: manifest, config, layer */
  CHECK(count(dst, "images/blobs/sha256") == 3);
  image_store_close(s);
  image_store_close(d);
}

static void save_load_docker(void)
{
  mkroot();
  round_trip(IMAGE_ARCHIVE_DOCKER, "docker");
  rmroot();
}

static void save_load_oci(void)
{
  mkroot();
  round_trip(IMAGE_ARCHIVE_OCI, "oci");
  rmroot();
}

/* Loads entries as an archive into a fresh store: returns the error text
 * ("" on success) and checks nothing was left. */
static const char *load_bad(const char *name, const struct tar_entry *e, size_t n)
{
  static char msg[1024];
  char path[128];
  snprintf(path, sizeof path, "%s/%s.tar", root, name);
  if (tar_build(path, "none", e, n) < 0)
    return "tar_build failed";
  struct image_store *s = open_store(name);
  if (!s)
    return "no store";
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct vessel_error err = {0};
  char **loaded = NULL;
  int r = image_load(s, fd, &loaded, &err);
  strv_free(loaded);
  image_store_close(s);
  snprintf(msg, sizeof msg, "%s", r < 0 ? err.msg : "");
  printf("# %s: %s\n", name, msg);
  CHECK(count(name, "images/blobs/sha256") == 0);
  CHECK(count(name, "layers") == 0);
  return msg;
}

#define ZEROS "0000000000000000000000000000000000000000000000000000000000000000"

static void hostile_archives(void)
{
  mkroot();
  const struct tar_entry climb[] = {{"../../etc/evil", 'f', 0644, "x"}};
  CHECK(strstr(load_bad("climb", climb, 1), "..") != NULL);

  const struct tar_entry corrupt[] = {
      {"oci-layout", 'f', 0644, "{\"imageLayoutVersion\":\"1.0.0\"}"},
      {"blobs/sha256/" ZEROS, 'f', 0644, "hello"},
      {"index.json", 'f', 0644, "{\"manifests\":[]}"},
  };
  const char *m = load_bad("corrupt", corrupt, 3);
  CHECK(strstr(m, "sha256:" ZEROS) && strstr(m, "corrupted"));

  const struct tar_entry missing[] = {
      {"index.json", 'f', 0644,
       "{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
       "\"digest\":\"sha256:" ZEROS "\",\"size\":2}]}"},
  };
  m = load_bad("missing", missing, 1);
  CHECK(strstr(m, "sha256:" ZEROS) && strstr(m, "missing"));

  /* sha256("hello"), with a descriptor that lies about its size */
#define HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
  const struct tar_entry size[] = {
      {"blobs/sha256/" HELLO, 'f', 0644, "hello"},
      {"index.json", 'f', 0644,
       "{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
       "\"digest\":\"sha256:" HELLO "\",\"size\":99}]}"},
  };
  m = load_bad("size", size, 2);
  CHECK(strstr(m, "sha256:" HELLO) && strstr(m, "99 bytes"));

  const struct tar_entry badname[] = {{"blobs/sha256/../../../x", 'f', 0644, "x"},
                                      {"blobs/sha256/abc", 'f', 0644, "x"}};
  CHECK(strstr(load_bad("badname1", badname, 1), "..") != NULL);
  CHECK(strstr(load_bad("badname2", badname + 1, 1), "64 hex") != NULL);

  const struct tar_entry noconfig[] = {
      {"manifest.json", 'f', 0644, "[{\"Config\":\"c.json\",\"Layers\":[]}]"}};
  CHECK(strstr(load_bad("noconfig", noconfig, 1), "c.json") != NULL);

  const struct tar_entry device[] = {{"dev", 'c', 0644}};
  CHECK(strstr(load_bad("device", device, 1), "not a file") != NULL);

  const struct tar_entry empty[] = {{"x/", 'd', 0755}};
  CHECK(strstr(load_bad("empty", empty, 1), "no manifest.json") != NULL);

  /* a link to outside the archive resolves to nothing */
  const struct tar_entry link[] = {
      {"manifest.json", 'f', 0644, "[{\"Config\":\"c.json\",\"Layers\":[]}]"},
      {"c.json", 'l', 0777, "/etc/passwd"},
  };
  CHECK(strstr(load_bad("link", link, 2), "missing") != NULL);
  rmroot();
}

static int put(const char *path, const char *content)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  ssize_t n = write(fd, content, strlen(content));
  close(fd);
  return n == (ssize_t)strlen(content) ? 0 : -1;
}

static void export_merges(void)
{
  mkroot();
  char lower[128], upper[128], p[256], out[128];
  snprintf(lower, sizeof lower, "%s/lower", root);
  snprintf(upper, sizeof upper, "%s/upper", root);
  snprintf(out, sizeof out, "%s/out.tar", root);
  static const char *const dirs[] = {"", "/a", "/b", "/c"};
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
    snprintf(p, sizeof p, "%s%s", lower, dirs[i]);
    CHECK(mkdir(p, 0755) == 0);
    if (i < 3) {
      snprintf(p, sizeof p, "%s%s", upper, dirs[i]);
      CHECK(mkdir(p, 0755) == 0);
    }
  }
  snprintf(p, sizeof p, "%s/a/gone", lower);
  CHECK(put(p, "gone") == 0);
  snprintf(p, sizeof p, "%s/a/kept", lower);
  CHECK(put(p, "lower") == 0);
  char p2[256];
  snprintf(p, sizeof p, "%s/a/h1", lower);
  snprintf(p2, sizeof p2, "%s/a/h2", lower);
  CHECK(put(p, "linked") == 0 && link(p, p2) == 0);
  snprintf(p, sizeof p, "%s/b/old", lower);
  CHECK(put(p, "old") == 0);
  snprintf(p, sizeof p, "%s/c/f", lower);
  CHECK(put(p, "c") == 0);
  snprintf(p, sizeof p, "%s/a/gone", upper);
  CHECK(mknod(p, S_IFCHR | 0, makedev(0, 0)) == 0);
  snprintf(p, sizeof p, "%s/a/kept", upper);
  CHECK(put(p, "upper") == 0);
  CHECK(setxattr(p, "user.test", "v", 1, 0) == 0);
  snprintf(p, sizeof p, "%s/b", upper);
  CHECK(setxattr(p, "trusted.overlay.opaque", "y", 1, 0) == 0);
  snprintf(p, sizeof p, "%s/b/new", upper);
  CHECK(put(p, "new") == 0);
  snprintf(p, sizeof p, "%s/c", upper);
  CHECK(mknod(p, S_IFCHR | 0, makedev(0, 0)) == 0);

  char *layers[] = {lower, NULL};
  struct vessel_error err = {0};
  int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CHECK(image_export_rootfs(layers, upper, fd, &err) == 0);
  close(fd);

  struct archive *a = archive_read_new();
  archive_read_support_format_tar(a);
  CHECK(archive_read_open_filename(a, out, 10240) == ARCHIVE_OK);
  struct archive_entry *e;
  char names[512] = "|", kept[16] = "";
  int links = 0, xattrs = 0;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    const char *hl = archive_entry_hardlink(e);
    links += hl && (strcmp(hl, "a/h1") == 0 || strcmp(hl, "a/h2") == 0);
    const char *xn;
    const void *xv;
    size_t xl;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xn, &xv, &xl) == ARCHIVE_OK)
      xattrs += strcmp(xn, "user.test") == 0 && strcmp(archive_entry_pathname(e), "a/kept") == 0;
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s|", archive_entry_pathname(e));
    if (strcmp(archive_entry_pathname(e), "a/kept") == 0)
      archive_read_data(a, kept, sizeof kept - 1);
  }
  archive_read_free(a);
  printf("# %s\n", names);
  CHECK(strstr(names, "|a/kept|") && strstr(names, "|b/new|") && strstr(names, "|a/|"));
  CHECK(!strstr(names, "gone") && !strstr(names, "old") && !strstr(names, "|c"));
  CHECK_STR(kept, "upper");
  CHECK(links == 1 && xattrs > 0);
  rmroot();
}

static char *import_as(struct image_store *s, const char *tar, const char *name)
{
  struct vessel_error err = {0};
  struct image_import_opts o = {.name = name};
  char *id = image_import(s, tar, &o, &err);
  if (!id)
    printf("# import: %s\n", err.msg);
  return id;
}

static void prune_untagged_and_unused(void)
{
  mkroot();
  struct image_store *s = store_with_busybox();
  CHECK(s != NULL);
  char tar[128];
  snprintf(tar, sizeof tar, "%s/other.tar", root);
  CHECK(tar_build(tar, "none", rootfs, ARRAY_SIZE(rootfs)) == 0);
  /* busybox's name moves to another image: the first one is left untagged */
  struct image_info first = {0};
  struct vessel_error err = {0};
  CHECK(image_resolve(s, "busybox", NULL, NULL, &first, &err) == 0);
  _cleanup_free_ char *second = import_as(s, tar, "busybox");
  CHECK(second && first.id && strcmp(second, first.id) != 0);
  char **removed = NULL;
  char *keep_first[] = {first.id, NULL};
  CHECK(image_prune(s, false, keep_first, &removed, &err) == 0);
  CHECK(removed && !removed[0]);
  strv_free(removed);
  removed = NULL;
  CHECK(image_prune(s, false, NULL, &removed, &err) == 0);
  CHECK_STR(removed ? removed[0] : NULL, first.id);
  CHECK(removed && !removed[1]);
  strv_free(removed);
  CHECK(count("src", "images/blobs/sha256") == 3 && count("src", "layers") == 1);
  /* -a: named images too, unless a container uses them */
  char *keep_second[] = {second, NULL};
  removed = NULL;
  CHECK(image_prune(s, true, keep_second, &removed, &err) == 0);
  CHECK(removed && !removed[0]);
  strv_free(removed);
  removed = NULL;
  CHECK(image_prune(s, true, NULL, &removed, &err) == 0);
  CHECK_STR(removed ? removed[0] : NULL, second);
  strv_free(removed);
  CHECK(count("src", "images/blobs/sha256") == 0 && count("src", "layers") == 0);
  image_info_free(&first);
  image_store_close(s);
  rmroot();
}

/* Bytes of a file (at most 1 MiB) into buf; returns the length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, cap);
  close(fd);
  return n;
}

/* A small valid archive of each format mutated at random places: load
 * either succeeds or fails cleanly, and a failure leaves nothing behind. */
static void mutated_archives(void)
{
  mkroot();
  struct image_store *s = open_store("src");
  char tar[128];
  snprintf(tar, sizeof tar, "%s/small.tar", root);
  CHECK(s && tar_build(tar, "gzip", rootfs, ARRAY_SIZE(rootfs)) == 0);
  char *id = import_as(s, tar, "small");
  CHECK(id != NULL);
  free(id);
  static char orig[1 << 20], buf[1 << 20];
  unsigned int seed = 42;
  int failed = 0, ok = 0;
  for (int f = 0; f < 2; f++) {
    char path[128];
    snprintf(path, sizeof path, "%s/small-%d.tar", root, f);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const char *refs[] = {"small", NULL};
    struct vessel_error err = {0};
    CHECK(image_save(s, refs, f ? IMAGE_ARCHIVE_OCI : IMAGE_ARCHIVE_DOCKER, fd, &err) == 0);
    close(fd);
    ssize_t len = slurp(path, orig, sizeof orig);
    CHECK(len > 0 && (size_t)len < sizeof orig);
    for (int i = 0; i < 60 && len > 0; i++) {
      memcpy(buf, orig, (size_t)len);
      int flips = 1 + rand_r(&seed) % 4;
      for (int k = 0; k < flips; k++)
        buf[rand_r(&seed) % len] ^= (char)(1 + rand_r(&seed) % 255);
      fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
      CHECK(fd >= 0 && write(fd, buf, (size_t)len) == len);
      close(fd);
      struct image_store *d = open_store("dst");
      fd = open(path, O_RDONLY | O_CLOEXEC);
      char **loaded = NULL;
      struct vessel_error e2 = {0};
      if (image_load(d, fd, &loaded, &e2) == 0) {
        ok++;
        strv_free(loaded);
      } else {
        failed++;
        CHECK(e2.msg[0] != '\0');
        CHECK(count("dst", "images/blobs/sha256") == 0 && count("dst", "layers") == 0);
      }
      close(fd);
      image_store_close(d);
      char cmd[200];
      snprintf(cmd, sizeof cmd, "rm -rf %s/dst", root);
      CHECK(system(cmd) == 0);
    }
  }
  printf("# %d loaded, %d refused\n", ok, failed);
  CHECK(failed > 0);
  image_store_close(s);
  rmroot();
}

TAP_MAIN(T(save_load_docker), T(save_load_oci), T(hostile_archives), T(export_merges),
         T(prune_untagged_and_unused), T(mutated_archives))
