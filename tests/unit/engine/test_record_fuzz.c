/* engine: a short, deterministic fuzz run of the container record parser in
 * every build: mutated records go through tests/fuzz/fuzz_record.c, which
 * traps on a crash, a silent failure or a record with holes (ASan adds
 * leaks). */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "engine/internal.h"
#include "jsonmut.h"
#include "tap.h"

#define ROUNDS 20000
#define BUDGET_S 15 /* CI's bound, even in a slow sanitizer build */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void mutated_records(void)
{
  char *cmd[] = {"sh", "-c", "echo hi", NULL};
  char *env[] = {"PATH=/bin", "A=\"q\"", NULL};
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
                               .auto_remove = true,
                               .stop_signal = "SIGUSR1",
                               .started_at = "2026-01-01T00:00:01Z",
                               .finished_at = "2026-01-01T00:00:02Z"};
  memset(c.id, 'a', 64);
  char *seed = record_to_json(&c);
  CHECK(seed != NULL);
  if (!seed)
    return;
  /* the seed itself is a whole record */
  CHECK(LLVMFuzzerTestOneInput((const uint8_t *)seed, strlen(seed)) == 0);
  struct jsonmut m = {.rng = 0x2545f4914f6cdd1du};
  time_t start = time(NULL);
  int i;
  for (i = 0; i < ROUNDS && time(NULL) - start < BUDGET_S; i++) {
    size_t len;
    char *doc = jsonmut_mutate(&m, seed, strlen(seed), &len);
    LLVMFuzzerTestOneInput((const uint8_t *)doc, len);
    free(doc);
  }
  printf("# %d mutated records\n", i);
  free(seed);
}

TAP_MAIN(T(mutated_records))
