/* engine: users and groups resolved in the image's layers, never the host's. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "tap.h"
#include "util/cleanup.h"

static char base[64];
static char low[128], high[128];

static void write_file(const char *dir, const char *name, const char *text)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "we");
  CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static void make_layers(void)
{
  strcpy(base, "/tmp/vessel-test-user.XXXXXX");
  CHECK(mkdtemp(base) != NULL);
  snprintf(low, sizeof low, "%s/low", base);
  snprintf(high, sizeof high, "%s/high", base);
  char etc[160];
  CHECK(mkdir(low, 0755) == 0 && mkdir(high, 0755) == 0);
  snprintf(etc, sizeof etc, "%s/etc", low);
  CHECK(mkdir(etc, 0755) == 0);
  write_file(etc, "passwd",
             "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"
             "old:x:500:500::/:/bin/sh\n");
  write_file(etc, "group", "root:x:0:\nstaff:x:50:\n");
  snprintf(etc, sizeof etc, "%s/etc", high);
  CHECK(mkdir(etc, 0755) == 0);
  /* the higher layer replaces passwd: "old" is gone there */
  write_file(etc, "passwd",
             "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"
             "web::33:33::/var/www:/bin/false\n");
}

static void remove_layers(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", base);
  if (system(cmd) != 0)
    printf("# cleanup failed\n");
}

static void names_and_numbers(void)
{
  make_layers();
  char *layers[] = {low, high, NULL};
  struct vessel_error err = {0};
  uid_t u = 99;
  gid_t g = 99;
  CHECK(user_resolve(NULL, layers, &u, &g, &err) == 0 && u == 0 && g == 0);
  CHECK(user_resolve("app", layers, &u, &g, &err) == 0 && u == 1000 && g == 1001);
  CHECK(user_resolve("web", layers, &u, &g, &err) == 0 && u == 33 && g == 33);
  CHECK(user_resolve("1000", layers, &u, &g, &err) == 0 && u == 1000 && g == 1001);
  CHECK(user_resolve("4242", layers, &u, &g, &err) == 0 && u == 4242 && g == 0);
  CHECK(user_resolve("app:staff", layers, &u, &g, &err) == 0 && u == 1000 && g == 50);
  CHECK(user_resolve("7:8", layers, &u, &g, &err) == 0 && u == 7 && g == 8);
  CHECK(user_resolve("old", layers, &u, &g, &err) < 0);
  CHECK(user_resolve("nobody", layers, &u, &g, &err) < 0);
  CHECK(strstr(err.msg, "nobody") != NULL);
  CHECK(user_resolve("app:nogroup", layers, &u, &g, &err) < 0);
  CHECK(user_resolve("-1", layers, &u, &g, &err) < 0);
  remove_layers();
}

static void passwd_symlink_stays_in_the_layer(void)
{
  make_layers();
  char etc[160], link[200];
  snprintf(etc, sizeof etc, "%s/etc", high);
  snprintf(link, sizeof link, "%s/passwd", etc);
  unlink(link);
  /* the host has a root entry; inside the layer the link leads nowhere */
  CHECK(symlink("/etc/passwd", link) == 0);
  char *layers[] = {high, NULL};
  struct vessel_error err = {0};
  uid_t u;
  gid_t g;
  CHECK(user_resolve("root", layers, &u, &g, &err) < 0);
  remove_layers();
}

TAP_MAIN(T(names_and_numbers), T(passwd_symlink_stays_in_the_layer))
