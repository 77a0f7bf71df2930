/* The monitor's decisions, pure so that they can be tested alone. */
#pragma once
#include <stdbool.h>
#include <time.h>

#include "engine/engine.h"

#define POLICY_BACKOFF_FIRST_MS 100LL
#define POLICY_BACKOFF_MAX_MS 60000LL /* docker's cap */
#define POLICY_RESET_AFTER_MS 10000LL /* a run this long starts the back-off over */
#define POLICY_MAX_LOG_FILES 100

/* An exit with exit_code is restarted by the container's policy (and its
 * restart_count so far); a stop by the user never is. */
bool policy_restarts(const struct engine_container *c, int exit_code);

/* The delay before the next restart: 100 ms, doubled at each restart up to
 * a minute, back to 100 ms after a run of 10 s or more. */
long long policy_backoff_ms(long long previous_ms, long long ran_ms);

/* RFC 3339 (docker's log times among them) to a timespec: 0 or -1. */
int policy_parse_time(const char *s, struct timespec *out);
