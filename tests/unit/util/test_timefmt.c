/* util/timefmt: RFC 3339 timestamps agree with gmtime. */
#include <stdio.h>
#include <time.h>

#include "tap.h"
#include "util/timefmt.h"

static void check_against_gmtime(long long s, long nsec)
{
  struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = nsec};
  char got[TIME_RFC3339_MAX], want[64], date[48];
  time_rfc3339(&ts, got);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(want, sizeof want, "%s.%09ldZ", date, nsec);
  CHECK_STR(got, want);
}

static void known_instants(void)
{
  char buf[TIME_RFC3339_MAX];
  time_rfc3339(&(struct timespec){0, 0}, buf);
  CHECK_STR(buf, "1970-01-01T00:00:00.000000000Z");
  time_rfc3339(&(struct timespec){951782400 /* leap day */, 5}, buf);
  CHECK_STR(buf, "2000-02-29T00:00:00.000000005Z");
  time_rfc3339(&(struct timespec){-1, 0}, buf);
  CHECK_STR(buf, "1969-12-31T23:59:59.000000000Z");
}

static void agrees_with_gmtime(void)
{
  /* every ~3.3 days over 1900..2300, at odd hours, and around the edges */
  for (long long s = -2208988800LL; s < 10413792000LL; s += 287999)
    check_against_gmtime(s, (long)((s % 1000000000 + 1000000000) % 1000000000));
  for (long long s = -100000; s < 100000; s += 3607)
    check_against_gmtime(s, 999999999);
}

TAP_MAIN({"known instants", known_instants}, {"agrees with gmtime", agrees_with_gmtime})
