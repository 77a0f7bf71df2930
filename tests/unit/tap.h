/* A minimal TAP producer for the unit tests: each TEST is one "ok"/"not ok"
 * line; CHECK records a failure with its place and goes on. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int tap_failed_checks;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                          \
      tap_failed_checks++;                                                                         \
    }                                                                                              \
  } while (0)

#define CHECK_STR(a, b)                                                                            \
  do {                                                                                             \
    const char *_a = (a), *_b = (b);                                                               \
    if (!_a || !_b || strcmp(_a, _b) != 0) {                                                       \
      printf("#   %s:%d: `%s` != `%s`\n", __FILE__, __LINE__, _a ? _a : "(null)",                  \
             _b ? _b : "(null)");                                                                  \
      tap_failed_checks++;                                                                         \
    }                                                                                              \
  } while (0)

struct tap_test {
  const char *name;
  void (*fn)(void);
};

/* Runs every test in the table and prints the TAP plan and lines.
 * Returns the process exit code (0 when all passed). */
int tap_run(const struct tap_test *tests, size_t n);

#define TAP_MAIN(...)                                                                              \
  int main(void)                                                                                   \
  {                                                                                                \
    static const struct tap_test tests[] = {__VA_ARGS__};                                          \
    return tap_run(tests, sizeof tests / sizeof tests[0]);                                         \
  }
#define T(fn)                                                                                      \
  {                                                                                                \
#fn, fn                                                                                        \
  }
