/* spec: a short, deterministic fuzz run in every build: mutated real configs
 * go through the fuzz target (tests/fuzz/fuzz_spec.c), which traps on a
 * broken invariant; ASan catches memory errors and leaks. */
#include <stdint.h>
#include <stdlib.h>

#include "full_config.h"
#include "spec/spec.h"
#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static const char *const tokens[] = {
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "-1",
    "1.5",
    "null",
    "\"\\u0000\"",
    "[]",
    "{}",
    "\"\"",
    "true",
    "\"../..\"",
    "\"/\"",
    "0",
};

/* One random edit of buf (len bytes, room for cap). Returns the new length. */
static size_t mutate(char *buf, size_t len, size_t cap)
{
  size_t at = len ? next() % len : 0;
  switch (next() % 5) {
  case 0: /* overwrite a byte with something structural */
    if (len)
      buf[at] = "\"{}[],:0-9\\u/."[next() % 15];
    return len;
  case 1: { /* delete a short range */
    size_t n = next() % 16;
    if (at + n > len)
      n = len - at;
    memmove(buf + at, buf + at + n, len - at - n);
    return len - n;
  }
  case 2: { /* splice a token */
    const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
    size_t n = strlen(t);
    if (len + n > cap)
      return len;
    memmove(buf + at + n, buf + at, len - at);
    memcpy(buf + at, t, n);
    return len + n;
  }
  case 3: /* truncate */
    return at;
  default: { /* duplicate a range elsewhere */
    size_t n = next() % 64, to = len ? next() % len : 0;
    if (at + n > len || len + n > cap)
      return len;
    char piece[64];
    memcpy(piece, buf + at, n);
    memmove(buf + to + n, buf + to, len - to);
    memcpy(buf + to, piece, n);
    return len + n;
  }
  }
}

static void run_mutations(const char *seed, unsigned parser, int rounds)
{
  size_t cap = strlen(seed) * 2 + 1024;
  char *buf = malloc(cap + 1);
  CHECK(buf);
  if (!buf)
    return;
  for (int i = 0; i < rounds; i++) {
    size_t len = strlen(seed);
    buf[0] = (char)parser;
    memcpy(buf + 1, seed, len);
    len++;
    int edits = 1 + (int)(next() % 4);
    for (int e = 0; e < edits; e++)
      len = 1 + mutate(buf + 1, len - 1, cap - 1);
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
  }
  free(buf);
}

static void full_config_mutations(void)
{
  run_mutations(full_config, 0, 4000);
}

static void default_config_mutations(void)
{
  char *json = spec_default_json(false, 0, 0);
  CHECK(json);
  if (json)
    run_mutations(json, 0, 2000);
  free(json);
}

static void process_and_resources_mutations(void)
{
  const char *proc = strstr(full_config, "\"process\": ") + strlen("\"process\": ");
  const char *res = strstr(full_config, "\"resources\": ") + strlen("\"resources\": ");
  run_mutations(proc, 1, 1500);
  run_mutations(res, 2, 1500);
}

TAP_MAIN(T(full_config_mutations), T(default_config_mutations), T(process_and_resources_mutations))
