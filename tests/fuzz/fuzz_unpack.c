// libFuzzer target for layer unpacking (layer tarballs are untrusted input).
// The input is a (possibly compressed) tarball; it is unpacked into a fresh
// directory under a private scratch dir, which must afterwards hold nothing
// but that layer (nothing lands beside it) and, on failure, nothing at all.
// meson links it into test-image-fuzz with a deterministic mutator; for real
// fuzzing, as root, build it with clang from the top of the tree:
//   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Isrc/lib
//     tests/fuzz/fuzz_unpack.c src/lib/image/*.c src/lib/util/*.c
//     -larchive -lnettle -ljansson -o fuzz-unpack
//   ./fuzz-unpack CORPUS_DIR
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/image-internal.h"
#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[64];

static int entries(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      n++;
  closedir(d);
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!scratch[0]) {
    strcpy(scratch, "/tmp/vessel-fuzz-unpack.XXXXXX");
    if (!mkdtemp(scratch))
      abort();
  }
  int fd = memfd_create("layer", MFD_CLOEXEC);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
    abort();
  char layer[96];
  snprintf(layer, sizeof layer, "%s/layer", scratch);
  struct vessel_error err = {0};
  int r = image_unpack_layer(fd, layer, false, &err);
  close(fd);
  if (r < 0 && err.msg[0] == '\0')
    __builtin_trap(); /* every failure explains itself */
  if (entries(scratch) != (r == 0 ? 1 : 0))
    __builtin_trap(); /* something landed beside the layer, or a failure left it */
  if (r == 0) {
    int dirfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    rm_rf_at(dirfd, "layer");
    close(dirfd);
  }
  return 0;
}

/* For the in-tree test: removes the scratch directory. */
void fuzz_unpack_cleanup(void);
void fuzz_unpack_cleanup(void)
{
  if (scratch[0])
    rm_rf_at(AT_FDCWD, scratch);
}
