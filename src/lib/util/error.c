/* Error values: formatting and context wrapping. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vessel_strerror(int errnum)
{
  return strerror(errnum);
}

int vessel_error_set(struct vessel_error *err, int errnum, const char *fmt, ...)
{
  if (!err)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  if (errnum && (size_t)n < sizeof err->msg)
    snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", vessel_strerror(errnum));
  err->code = errnum;
  return -1;
}

int vessel_error_prefix(struct vessel_error *err, const char *fmt, ...)
{
  if (!err)
    return -1;
  char prefix[VESSEL_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char old[VESSEL_ERROR_MAX];
  memcpy(old, err->msg, sizeof old);
  size_t plen = strnlen(prefix, sizeof prefix - 3);
  memcpy(err->msg, prefix, plen);
  memcpy(err->msg + plen, ": ", 2);
  size_t room = sizeof err->msg - plen - 3;
  size_t olen = strnlen(old, room);
  memcpy(err->msg + plen + 2, old, olen);
  err->msg[plen + 2 + olen] = '\0';
  return -1;
}
