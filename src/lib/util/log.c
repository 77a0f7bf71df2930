/* Logging sink dispatch. */
#include "log.h"

#include <stdio.h>

static vessel_log_sink log_sink;
static void *log_sink_data;
static enum vessel_log_level log_max = VESSEL_LOG_WARNING;

void vessel_log_set_sink(vessel_log_sink sink, void *data, enum vessel_log_level max_level)
{
  log_sink = sink;
  log_sink_data = data;
  log_max = max_level;
}

int vessel_log_enabled(enum vessel_log_level level)
{
  return log_sink && level <= log_max;
}

void vessel_log(enum vessel_log_level level, const char *fmt, ...)
{
  if (!vessel_log_enabled(level))
    return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  log_sink(level, msg, log_sink_data);
}
