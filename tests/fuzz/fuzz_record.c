// libFuzzer target for the engine's container record (container.json under
// --root is read back by every command; a damaged or crafted one must be an
// error, never a crash or a record with holes). meson links it into
// test-engine-record-fuzz with a deterministic mutator; for real fuzzing
// build it with clang from the top of the tree, as one command line:
//   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Isrc/lib
//     tests/fuzz/fuzz_record.c src/lib/engine/record.c src/lib/util/*.c
//     -ljansson -o fuzz-record
//   ./fuzz-record CORPUS_DIR
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool whole(const struct engine_container *c)
{
  if (!engine_id_valid(c->id) || (unsigned)c->state > ENGINE_EXITED || c->exit_code < -1 ||
      c->exit_code > 255)
    return false;
  const char *const strings[] = {c->name,   c->image,   c->image_id, c->created,
                                 c->bundle, c->workdir, c->user,     c->hostname};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
    if (!strings[i])
      return false;
  return c->cmd && c->env;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct engine_container c = {0};
  struct vessel_error err = {0};
  if (record_from_json((const char *)data, size, &c, &err) < 0) {
    if (err.msg[0] == '\0' || c.name || c.cmd)
      __builtin_trap(); /* every failure explains itself and hands back nothing */
    return 0;
  }
  if (!whole(&c))
    __builtin_trap();
  /* what is read is written back the same */
  char *text = record_to_json(&c);
  struct engine_container d = {0};
  if (!text || record_from_json(text, strlen(text), &d, &err) < 0 || strcmp(c.id, d.id) != 0 ||
      strcmp(c.name, d.name) != 0 || c.state != d.state || c.exit_code != d.exit_code ||
      strv_length(c.cmd) != strv_length(d.cmd))
    __builtin_trap();
  free(text);
  engine_container_clear(&c);
  engine_container_clear(&d);
  return 0;
}
