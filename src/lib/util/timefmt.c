/* RFC 3339 timestamps without the time zone machinery. */
#include "timefmt.h"

#include <stdio.h>

/* The proleptic Gregorian date of a day count from 1970-01-01 (Howard
 * Hinnant's civil_from_days, public domain). */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (long long)yoe + era * 400 + (*m <= 2);
}

void time_rfc3339(const struct timespec *ts, char buf[static TIME_RFC3339_MAX])
{
  long long s = (long long)ts->tv_sec;
  long long days = (s >= 0 ? s : s - 86399) / 86400;
  unsigned rem = (unsigned)(s - days * 86400);
  long long y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  snprintf(buf, TIME_RFC3339_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%09ldZ", y, m, d, rem / 3600,
           rem / 60 % 60, rem % 60, (long)ts->tv_nsec);
}

void time_rfc3339_now(char buf[static TIME_RFC3339_MAX])
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  time_rfc3339(&ts, buf);
}
