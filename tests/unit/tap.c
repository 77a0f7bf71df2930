/* TAP runner behind tap.h. */
#include "tap.h"

int tap_failed_checks;

int tap_run(const struct tap_test *tests, size_t n)
{
  int failed = 0;
  printf("1..%zu\n", n);
  for (size_t i = 0; i < n; i++) {
    int before = tap_failed_checks;
    fflush(stdout);
    tests[i].fn();
    bool ok = tap_failed_checks == before;
    printf("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, tests[i].name);
    if (!ok)
      failed++;
  }
  return failed ? 1 : 0;
}
