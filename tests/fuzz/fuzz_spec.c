// libFuzzer target for the config parsers (config.json is untrusted input).
// The first byte picks the parser, the rest is the document. meson links it
// into test-spec-fuzz with a deterministic mutator; for real fuzzing build it
// with clang from the top of the tree, as one command line:
//   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Isrc/lib
//     tests/fuzz/fuzz_spec.c src/lib/spec/*.c src/lib/util/*.c -ljansson -o fuzz-spec
//   ./fuzz-spec -dict=tests/fuzz/spec.dict CORPUS_DIR
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  struct vessel_error err = {0};
  const char *json = (const char *)data + 1;
  size_t len = size - 1;
  switch (data[0] % 3) {
  case 0: {
    struct spec *s = spec_parse(json, len, &err);
    if (!s && err.msg[0] == '\0')
      __builtin_trap(); /* every failure explains itself */
    for (size_t i = 0; s && i < s->n_mounts; i++) {
      /* destinations come out absolute and clean */
      const char *d = s->mounts[i].destination;
      size_t n = strlen(d);
      if (d[0] != '/' || strstr(d, "/../") || strstr(d, "/./") || strstr(d, "//") ||
          (n > 1 && d[n - 1] == '/') || (n >= 3 && strcmp(d + n - 3, "/..") == 0) ||
          (n >= 2 && strcmp(d + n - 2, "/.") == 0))
        __builtin_trap();
    }
    spec_free(s);
    break;
  }
  case 1:
    spec_process_free(spec_process_parse(json, len, &err));
    break;
  default:
    spec_resources_free(spec_resources_parse(json, len, &err));
    break;
  }
  return 0;
}
