/* RFC 3339 UTC timestamps, as the OCI state, docker's records and its
 * json-file logs write them. */
#pragma once
#include <time.h>

#define TIME_RFC3339_MAX 64

/* "2006-01-02T15:04:05.999999999Z" for ts (seconds since the epoch, UTC).
 * Neither gmtime nor strftime: glibc's first call of either reads
 * /etc/localtime, seven syscalls on every container start. */
void time_rfc3339(const struct timespec *ts, char buf[static TIME_RFC3339_MAX]);

/* The same for CLOCK_REALTIME now. */
void time_rfc3339_now(char buf[static TIME_RFC3339_MAX]);
