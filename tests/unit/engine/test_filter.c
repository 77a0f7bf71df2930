/* engine: ps --filter keys, their values, and how filters combine (one key
 * any value, different keys all). */
#include <stdlib.h>
#include <string.h>

#include "engine/filter.h"
#include "tap.h"

static struct engine_container ct(const char *id, const char *name, enum engine_state st, int code)
{
  struct engine_container c = {0};
  snprintf(c.id, sizeof c.id, "%s", id);
  c.name = (char *)name;
  c.state = st;
  c.exit_code = code;
  return c;
}

/* whether the filters (NULL-terminated specs) match c */
static bool matches(const char *const *specs, const struct engine_container *c)
{
  struct vessel_error err = {0};
  struct engine_filters *f = engine_filters_new(&err);
  CHECK(f != NULL);
  for (size_t i = 0; specs[i]; i++)
    CHECK(engine_filters_add(NULL, f, specs[i], &err) == 0);
  bool r = engine_filters_match(NULL, f, c);
  engine_filters_free(f);
  return r;
}

static void keys(void)
{
  struct engine_container web = ct("abcdef01", "web", ENGINE_RUNNING, 0);
  struct engine_container bad = ct("12345678", "bad", ENGINE_EXITED, 3);
  CHECK(matches((const char *[]){"id=abc", NULL}, &web));
  CHECK(!matches((const char *[]){"id=bcd", NULL}, &web));
  CHECK(matches((const char *[]){"name=^w", NULL}, &web));
  CHECK(matches((const char *[]){"name=e", NULL}, &web));
  CHECK(!matches((const char *[]){"name=^e", NULL}, &web));
  CHECK(matches((const char *[]){"status=running", NULL}, &web));
  CHECK(!matches((const char *[]){"status=exited", NULL}, &web));
  CHECK(matches((const char *[]){"exited=3", NULL}, &bad));
  CHECK(!matches((const char *[]){"exited=0", NULL}, &bad));
  CHECK(!matches((const char *[]){"exited=0", NULL}, &web)); /* running: no exit code */
}

static void combinations(void)
{
  struct engine_container bad = ct("12345678", "bad", ENGINE_EXITED, 3);
  /* one key twice: either */
  CHECK(matches((const char *[]){"name=ok", "name=bad", NULL}, &bad));
  CHECK(matches((const char *[]){"status=running", "status=exited", NULL}, &bad));
  /* different keys: both */
  CHECK(matches((const char *[]){"status=exited", "name=bad", NULL}, &bad));
  CHECK(!matches((const char *[]){"status=exited", "name=ok", NULL}, &bad));
  CHECK(matches((const char *[]){NULL}, &bad));
}

static void bad_input(void)
{
  struct vessel_error err = {0};
  struct engine_filters *f = engine_filters_new(&err);
  static const char *const bad[] = {"nokey",    "what=1",  "status=sleeping",
                                    "exited=x", "name=(",  "id=",
                                    "=x",       "status=", "exited=9999999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&err, 0, sizeof err);
    CHECK(engine_filters_add(NULL, f, bad[i], &err) < 0);
    CHECK(err.msg[0] != '\0');
  }
  CHECK(!engine_filters_want_all(f));
  CHECK(engine_filters_add(NULL, f, "exited=0", &err) == 0);
  CHECK(engine_filters_want_all(f));
  engine_filters_free(f);
}

TAP_MAIN(T(keys), T(combinations), T(bad_input))
