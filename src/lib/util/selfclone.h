/* CVE-2019-5736: the process that enters a container (vessel-runtime, or the
 * engine, which runs the runtime in-process) must not be running the host's
 * binary, which the container could open through /proc/<pid>/exe and
 * overwrite. Used by the programs' main(), before anything else. */
#pragma once
#include "util/error.h"

/* Re-executes the runtime from a sealed memfd copy of itself, unless it
 * already runs from one or from a read-only filesystem. Returns only on
 * success (already safe) or error. */
int selfclone_ensure(char **argv, struct vessel_error *err);
