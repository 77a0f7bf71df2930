/* image: a short, deterministic fuzz run of the image documents in every
 * build: mutated index, manifests, configs and archive manifests go through
 * tests/fuzz/fuzz_manifest.c, which traps on a crash, a silent failure or a
 * failure that changed the store (ASan adds leaks). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "jsonmut.h"
#include "tap.h"

#define KINDS 6
#define ROUNDS 2000 /* per document */
#define BUDGET_S 2  /* per document: CI's bound even in a sanitizer build */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *fuzz_manifest_seed(unsigned kind, size_t *len);
void fuzz_manifest_cleanup(void);
bool fuzz_manifest_accepted(void);

static const char *const kinds[KINDS] = {"store index.json",     "store manifest",
                                         "docker manifest.json", "docker config",
                                         "oci index.json",       "oci manifest"};

static void mutated_documents(void)
{
  struct jsonmut m = {.rng = 0x9e3779b97f4a7c15u};
  for (unsigned k = 0; k < KINDS; k++) {
    size_t seed_len;
    const char *seed = fuzz_manifest_seed(k, &seed_len);
    time_t start = time(NULL);
    int i, ok = 0;
    for (i = 0; i < ROUNDS && time(NULL) - start < BUDGET_S; i++) {
      size_t len;
      char *doc = i == 0 ? NULL : jsonmut_mutate(&m, seed, seed_len, &len);
      if (!doc) {
        len = seed_len;
        doc = malloc(len + 1);
        CHECK(doc != NULL);
        memcpy(doc, seed, len + 1);
      }
      uint8_t *in = malloc(len + 1);
      CHECK(in != NULL);
      in[0] = (uint8_t)k;
      memcpy(in + 1, doc, len);
      LLVMFuzzerTestOneInput(in, len + 1);
      if (i == 0)
        CHECK(fuzz_manifest_accepted()); /* the seed is a good document */
      ok += fuzz_manifest_accepted();
      free(in);
      free(doc);
    }
    printf("# %s: %d documents, %d accepted\n", kinds[k], i, ok);
    CHECK(ok < i); /* the mutations reach the errors */
  }
  fuzz_manifest_cleanup();
}

TAP_MAIN(T(mutated_documents))
