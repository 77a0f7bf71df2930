/* RFC 3339 timestamps without the time zone machinery. */
#include "timefmt.h"

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

/* n decimal digits of v, zero-padded, at p; returns the end */
static char *digits(char *p, unsigned long long v, int n)
{
  for (int i = n - 1; i >= 0; i--, v /= 10)
    p[i] = (char)('0' + v % 10);
  return p + n;
}

/* By hand rather than snprintf: vessel-monitor-idle (musl, a few pages in
 * all) formats its log's times with this too. */
void time_rfc3339(const struct timespec *ts, char buf[static TIME_RFC3339_MAX])
{
  long long s = (long long)ts->tv_sec;
  long long days = (s >= 0 ? s : s - 86399) / 86400;
  unsigned rem = (unsigned)(s - days * 86400);
  long long y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  char *p = buf;
  y = y < 0 ? 0 : y > 9999 ? 9999 : y; /* RFC 3339 has four digits */
  p = digits(p, (unsigned long long)y, 4);
  *p++ = '-';
  p = digits(p, m, 2);
  *p++ = '-';
  p = digits(p, d, 2);
  *p++ = 'T';
  p = digits(p, rem / 3600, 2);
  *p++ = ':';
  p = digits(p, rem / 60 % 60, 2);
  *p++ = ':';
  p = digits(p, rem % 60, 2);
  *p++ = '.';
  p = digits(p, (unsigned long long)ts->tv_nsec % 1000000000ULL, 9);
  *p++ = 'Z';
  *p = '\0';
}

void time_rfc3339_now(char buf[static TIME_RFC3339_MAX])
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  time_rfc3339(&ts, buf);
}
