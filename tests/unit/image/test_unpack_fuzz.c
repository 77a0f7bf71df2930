/* image: a short, deterministic fuzz run of layer unpacking in every build:
 * mutated tarballs go through tests/fuzz/fuzz_unpack.c, which traps when
 * an entry lands beside the layer or a failure leaves a directory. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "tarbuild.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_unpack_cleanup(void);

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static const char *const tokens[] = {"../",         "/",       "..", ".wh.",  ".wh..wh..opq",
                                     "/etc/passwd", "0000777", "\0", "evil/", "./"};

static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
  size_t at = len ? next() % len : 0;
  switch (next() % 4) {
  case 0: /* a byte: often inside a header (names, modes, type flags, sizes) */
    if (len)
      buf[at] = (uint8_t)next();
    return len;
  case 1: { /* overwrite with a token */
    const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
    size_t n = strlen(t) + 1;
    if (at + n <= len)
      memcpy(buf + at, t, n);
    return len;
  }
  case 2: /* a type flag: '0'..'7' at offset 156 of a 512-byte header */
    if (len > 512) {
      size_t h = (next() % (len / 512)) * 512 + 156;
      buf[h] = (uint8_t)('0' + next() % 8);
    }
    return len;
  default: /* truncate */
    return at < cap ? at : len;
  }
}

static void mutated_tarballs(void)
{
  char dir[] = "/tmp/vessel-test-fuzz.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[96];
  snprintf(path, sizeof path, "%s/seed.tar", dir);
  const struct tar_entry seed[] = {
      {"bin/", 'd', 0755},
      {"bin/sh", 'f', 04755, "#!"},
      {"bin/ls", 'l', 0777, "sh"},
      {"bin/ln", 'h', 0755, "bin/sh"},
      {"etc/", 'd', 0755},
      {"etc/.wh.old", 'f', 0644},
      {"var/.wh..wh..opq", 'f', 0644},
      {"etc/passwd", 'f', 0644, "root:x:0:0::/:/bin/sh\n"},
      {"up", 'l', 0777, "../../.."},
      {"abs", 'l', 0777, "/"},
  };
  CHECK(tar_build(path, "none", seed, sizeof seed / sizeof seed[0]) == 0);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  static uint8_t orig[65536], buf[65536];
  ssize_t n = read(fd, orig, sizeof orig);
  close(fd);
  CHECK(n > 0);
  for (int i = 0; i < 1500 && n > 0; i++) {
    size_t len = (size_t)n;
    memcpy(buf, orig, len);
    for (int k = 0, edits = 1 + (int)(next() % 4); k < edits; k++)
      len = mutate(buf, len, sizeof buf);
    LLVMFuzzerTestOneInput(buf, len);
  }
  fuzz_unpack_cleanup();
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
}

TAP_MAIN(T(mutated_tarballs))
