/* Logging sink of libvessel. The library never prints: it hands messages to
 * the sink a front end installs (stderr, a --log file, json lines). */
#pragma once
#include <stdarg.h>

enum vessel_log_level { VESSEL_LOG_ERROR, VESSEL_LOG_WARNING, VESSEL_LOG_INFO, VESSEL_LOG_DEBUG };

typedef void (*vessel_log_sink)(enum vessel_log_level level, const char *msg, void *data);

void vessel_log_set_sink(vessel_log_sink sink, void *data, enum vessel_log_level max_level);
void vessel_log(enum vessel_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int vessel_log_enabled(enum vessel_log_level level);

#define log_error(...) vessel_log(VESSEL_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) vessel_log(VESSEL_LOG_WARNING, __VA_ARGS__)
#define log_info(...) vessel_log(VESSEL_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
  do {                                                                                             \
    if (vessel_log_enabled(VESSEL_LOG_DEBUG))                                                      \
      vessel_log(VESSEL_LOG_DEBUG, __VA_ARGS__);                                                   \
  } while (0)
