/* CVE-2019-5736: a container process must never be running the host's
 * vessel binary, which the container could open through /proc/<pid>/exe and
 * overwrite. The runtime starts container processes through the exec stub
 * (runtime/exec_stub.h); where it cannot, the process that enters the
 * container must itself run from a protected copy, made here. */
#pragma once
#include <stdbool.h>

#include "util/error.h"

/* The error code of a command that needs a protected binary and does not run
 * from one: its caller re-executes with selfclone_ensure and runs it again.
 * Set before the command changed anything. */
#define SELFCLONE_NEEDED 4096

/* Executes the program at path through a detached read-only bind mount of
 * it, so that it runs protected; returns only when that cannot be done. */
void selfclone_exec(const char *path, char *const argv[]);

/* After a command failed with err: when it was for SELFCLONE_NEEDED, runs
 * the command again from a sealed copy (returns only if that fails, with err
 * saying why); else leaves err alone. */
void selfclone_retry(char **argv, struct vessel_error *err);

/* Whether this process runs from a sealed copy or a read-only mount. */
bool selfclone_protected(void);

/* Re-executes the runtime from a sealed memfd copy of itself, unless it
 * already runs from one or from a read-only filesystem. Returns only on
 * success (already safe) or error. */
int selfclone_ensure(char **argv, struct vessel_error *err);
