// libFuzzer target for the image documents: the store's index.json, an image
// manifest in the store, and the manifest.json, image config, index.json and
// manifest of docker- and oci-archives given to `load`. The first byte
// picks the document, the rest is it; the target builds a store (once) and
// an archive around it. A failure must explain itself and leave the store
// as it was: no blob, layer, temp file or index change. meson links it into
// test-image-manifest-fuzz with a deterministic mutator; for real fuzzing,
// as root, build it with clang from the top of the tree, as one command:
//   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Isrc/lib
//     tests/fuzz/fuzz_manifest.c src/lib/image/*.c src/lib/util/*.c
//     -larchive -lcrypto -ljansson -o fuzz-manifest
//   ./fuzz-manifest CORPUS_DIR
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "image/image.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *fuzz_manifest_seed(unsigned kind, size_t *len);
void fuzz_manifest_cleanup(void);
/* For the in-tree test: whether the last input was accepted (loaded, or
 * the image resolved by name). */
bool fuzz_manifest_accepted(void);

enum kind { STORE_INDEX, STORE_MANIFEST, DOCKER_MANIFEST, DOCKER_CONFIG, OCI_INDEX, OCI_MANIFEST };
#define KINDS 6
#define ARCHIVE_CAP (1 << 20)

static char scratch[64], store_dir[96];
static struct image_store *store;
static char *layer, *config, *manifest, *docker_manifest, *oci_index, *index_text;
static size_t layer_len;
static bool accepted;
static char layer_digest[DIGEST_LEN + 1], config_digest[DIGEST_LEN + 1],
    manifest_digest[DIGEST_LEN + 1];

struct entry {
  const char *name;
  const char *data;
  size_t len;
};

/* A tar of entries in memory (malloc'd). */
static char *tar_mem(const struct entry *e, size_t n, size_t *len)
{
  char *buf = malloc(ARCHIVE_CAP);
  struct archive *a = archive_write_new();
  if (!buf || !a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_open_memory(a, buf, ARCHIVE_CAP, len) != ARCHIVE_OK)
    abort();
  for (size_t i = 0; i < n; i++) {
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, e[i].name);
    archive_entry_set_filetype(ae, e[i].data ? AE_IFREG : AE_IFDIR);
    archive_entry_set_perm(ae, e[i].data ? 0644 : 0755);
    archive_entry_set_size(ae, (la_int64_t)e[i].len);
    if (archive_write_header(a, ae) != ARCHIVE_OK ||
        (e[i].len && archive_write_data(a, e[i].data, e[i].len) != (la_ssize_t)e[i].len))
      abort();
    archive_entry_free(ae);
  }
  if (archive_write_close(a) != ARCHIVE_OK)
    abort();
  archive_write_free(a);
  return buf;
}

static char *text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *text(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  return s;
}

static int docker_archive(const char *man, size_t man_len, const char *cfg, size_t cfg_len)
{
  const struct entry e[] = {
      {"manifest.json", man, man_len},
      {"config.json", cfg, cfg_len},
      {"layer", NULL, 0},
      {"layer/layer.tar", layer, layer_len},
  };
  size_t len = 0;
  char *tar = tar_mem(e, sizeof e / sizeof e[0], &len);
  int fd = memfd_create("archive", MFD_CLOEXEC);
  if (fd < 0 || write(fd, tar, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0)
    abort();
  free(tar);
  return fd;
}

static int oci_archive(const char *idx, size_t idx_len, const char *man, size_t man_len)
{
  char man_digest[DIGEST_LEN + 1], names[3][96];
  sha256_digest(man, man_len, man_digest);
  snprintf(names[0], sizeof names[0], "blobs/sha256/%s", man_digest + 7);
  snprintf(names[1], sizeof names[1], "blobs/sha256/%s", config_digest + 7);
  snprintf(names[2], sizeof names[2], "blobs/sha256/%s", layer_digest + 7);
  char *generated = NULL;
  if (!idx) {
    generated = text("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
                     "\"size\":%zu,\"annotations\":{\"%s\":\"fuzz:latest\"}}]}",
                     MT_MANIFEST, man_digest, man_len, ANNOT_REF);
    idx = generated;
    idx_len = strlen(generated);
  }
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  const struct entry e[] = {
      {"oci-layout", layout, sizeof layout - 1},
      {"index.json", idx, idx_len},
      {names[0], man, man_len},
      {names[1], config, strlen(config)},
      {names[2], layer, layer_len},
  };
  size_t len = 0;
  char *tar = tar_mem(e, sizeof e / sizeof e[0], &len);
  free(generated);
  int fd = memfd_create("archive", MFD_CLOEXEC);
  if (fd < 0 || write(fd, tar, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0)
    abort();
  free(tar);
  return fd;
}

/* The store's state: index.json and every name in blobs/ and layers/
 * (temp entries too). malloc'd. */
static char *snapshot(void)
{
  size_t cap = 1 << 16, n = 0;
  char *s = malloc(cap);
  const char *subs[] = {"images/blobs/sha256", "layers"};
  for (size_t i = 0; i < 2; i++) {
    char p[160];
    snprintf(p, sizeof p, "%s/%s", store_dir, subs[i]);
    DIR *d = opendir(p);
    if (!d)
      abort();
    for (struct dirent *de; (de = readdir(d));)
      if (n + 300 < cap)
        n += (size_t)snprintf(s + n, cap - n, "%s/%s\n", subs[i], de->d_name);
    closedir(d);
  }
  char p[160];
  snprintf(p, sizeof p, "%s/images/index.json", store_dir);
  char *idx = NULL;
  size_t len = 0;
  struct vessel_error err = {0};
  if (fs_read_fileat(AT_FDCWD, p, &idx, &len, &err) == 0 && n + len + 1 < cap) {
    memcpy(s + n, idx, len);
    n += len;
  }
  free(idx);
  s[n] = '\0';
  return s;
}

/* Back to the state of before: sorted listings are not needed, the
 * snapshot says what must stay. */
static void restore(const char *before)
{
  struct vessel_error err = {0};
  int imgs = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int images = openat(imgs, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (images < 0 ||
      fs_write_atomic(images, "index.json", index_text, strlen(index_text), false, &err) < 0)
    abort();
  const char *subs[] = {"images/blobs/sha256", "layers"};
  for (size_t i = 0; i < 2; i++) {
    int dfd = openat(imgs, subs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fdopendir(dfd);
    if (!d)
      abort();
    for (struct dirent *de; (de = readdir(d));) {
      char line[300];
      snprintf(line, sizeof line, "%s/%s\n", subs[i], de->d_name);
      if (!strstr(before, line))
        rm_rf_at(dfd, de->d_name);
    }
    closedir(d);
  }
  close(images);
  close(imgs);
}

static void setup(void)
{
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(scratch, sizeof scratch, "%s/vessel-fuzz-manifest.XXXXXX", base);
  if (!mkdtemp(scratch))
    abort();
  snprintf(store_dir, sizeof store_dir, "%s/store", scratch);
  struct vessel_error err = {0};
  if (!(store = image_store_open(store_dir, &err)))
    abort();
  const struct entry files[] = {{"bin", NULL, 0},
                                {"bin/hello", "hi\n", 3},
                                {"etc", NULL, 0},
                                {"etc/passwd", "root:x:0:0::/:/bin/sh\n", 22}};
  layer = tar_mem(files, sizeof files / sizeof files[0], &layer_len);
  sha256_digest(layer, layer_len, layer_digest);
  config =
      text("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2026-01-01T00:00:00Z\","
           "\"config\":{\"Cmd\":[\"sh\"],\"Entrypoint\":[\"/bin/hello\"],\"Env\":[\"PATH=/bin\"],"
           "\"WorkingDir\":\"/\",\"User\":\"0:0\",\"StopSignal\":\"SIGTERM\","
           "\"Labels\":{\"a\":\"b\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
           layer_digest);
  sha256_digest(config, strlen(config), config_digest);
  manifest = text("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
                  "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":"
                  "\"%s\",\"size\":%zu}]}",
                  MT_MANIFEST, MT_CONFIG, config_digest, strlen(config), MT_LAYER, layer_digest,
                  layer_len);
  sha256_digest(manifest, strlen(manifest), manifest_digest);
  docker_manifest = text("[{\"Config\":\"config.json\",\"RepoTags\":[\"fuzz:latest\"],"
                         "\"Layers\":[\"layer/layer.tar\"]}]");
  oci_index = text("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
                   "\"size\":%zu,\"annotations\":{\"%s\":\"fuzz:latest\"}}]}",
                   MT_MANIFEST, manifest_digest, strlen(manifest), ANNOT_REF);
  /* the store holds the image already: a load that works changes little */
  int fd = oci_archive(NULL, 0, manifest, strlen(manifest));
  char **loaded = NULL;
  if (image_load(store, fd, &loaded, &err) < 0)
    abort();
  close(fd);
  strv_free(loaded);
  char p[160];
  snprintf(p, sizeof p, "%s/images/index.json", store_dir);
  size_t len;
  if (fs_read_fileat(AT_FDCWD, p, &index_text, &len, &err) < 0)
    abort();
}

const char *fuzz_manifest_seed(unsigned kind, size_t *len)
{
  if (!store)
    setup();
  const char *const seeds[KINDS] = {index_text, manifest,  docker_manifest,
                                    config,     oci_index, manifest};
  *len = strlen(seeds[kind % KINDS]);
  return seeds[kind % KINDS];
}

static void resolve_all(void)
{
  struct image_config cfg = {0};
  struct image_info info = {0};
  char **dirs = NULL;
  struct vessel_error err = {0};
  const char *refs[] = {"fuzz", config_digest, "sha256:00"};
  for (size_t i = 0; i < 3; i++) {
    err.msg[0] = '\0';
    int r = image_resolve(store, refs[i], &cfg, &dirs, &info, &err);
    if (i == 0)
      accepted = r == 0;
    if (r < 0) {
      if (err.msg[0] == '\0')
        __builtin_trap();
      continue;
    }
    image_config_free(&cfg);
    image_info_free(&info);
    strv_free(dirs);
    dirs = NULL;
  }
  struct image_info *list = NULL;
  size_t n = 0;
  err.msg[0] = '\0';
  if (image_list(store, &list, &n, &err) == 0) {
    for (size_t i = 0; i < n; i++)
      image_info_free(&list[i]);
    free(list);
  } else if (err.msg[0] == '\0') {
    __builtin_trap();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  if (!store)
    setup();
  unsigned kind = data[0] % KINDS;
  const char *doc = (const char *)data + 1;
  size_t len = size - 1;
  char *before = snapshot();
  struct vessel_error err = {0};
  if (kind == STORE_INDEX || kind == STORE_MANIFEST) {
    /* the store's own documents, as a damaged store would hold them */
    int rootfd = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int imgfd = openat(rootfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *idx = NULL;
    if (kind == STORE_MANIFEST) {
      char d[DIGEST_LEN + 1];
      if (blob_write(store, doc, len, d, &err) < 0)
        abort();
      idx = text("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
                 "\"size\":%zu,\"annotations\":{\"%s\":\"fuzz:latest\",\"%s\":\"%s\"}}]}",
                 MT_MANIFEST, d, len, ANNOT_NAME, ANNOT_ID, config_digest);
    }
    if (fs_write_atomic(imgfd, "index.json", idx ? idx : doc, idx ? strlen(idx) : len, false,
                        &err) < 0)
      abort();
    free(idx);
    close(imgfd);
    close(rootfd);
    char *mid = snapshot();
    resolve_all();
    char *after = snapshot();
    if (strcmp(mid, after) != 0)
      __builtin_trap(); /* reading a store wrote to it */
    free(mid);
    free(after);
  } else {
    int fd = kind == DOCKER_MANIFEST ? docker_archive(doc, len, config, strlen(config))
             : kind == DOCKER_CONFIG
                 ? docker_archive(docker_manifest, strlen(docker_manifest), doc, len)
             : kind == OCI_INDEX ? oci_archive(doc, len, manifest, strlen(manifest))
                                 : oci_archive(NULL, 0, doc, len);
    char **loaded = NULL;
    int r = image_load(store, fd, &loaded, &err);
    accepted = r == 0;
    close(fd);
    strv_free(loaded);
    char *after = snapshot();
    if (r < 0 && (err.msg[0] == '\0' || strcmp(before, after) != 0))
      __builtin_trap(); /* a failed load explains itself and leaves nothing */
    free(after);
  }
  restore(before);
  free(before);
  return 0;
}

bool fuzz_manifest_accepted(void)
{
  return accepted;
}

void fuzz_manifest_cleanup(void)
{
  if (store)
    image_store_close(store);
  if (scratch[0])
    rm_rf_at(AT_FDCWD, scratch);
  free(layer);
  free(config);
  free(manifest);
  free(docker_manifest);
  free(oci_index);
  free(index_text);
  store = NULL;
}
