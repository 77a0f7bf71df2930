/* Deterministic kill points for tests (see crashpoint.h). One getenv per
 * point: a few per command, nothing a user could measure. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/crashpoint.h"

void crashpoint(const char *point)
{
  const char *want = getenv("VESSEL_TEST_CRASH");
  if (want && strcmp(want, point) == 0)
    raise(SIGKILL);
}
