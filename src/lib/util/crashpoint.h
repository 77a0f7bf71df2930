/* Fault injection for the crash-safety tests: a command run with
 * VESSEL_TEST_CRASH=<point> kills itself with SIGKILL when it reaches that
 * point, so a test can stop it deterministically between two steps. */
#pragma once

/* Raises SIGKILL when VESSEL_TEST_CRASH names point; else does nothing. */
void crashpoint(const char *point);
