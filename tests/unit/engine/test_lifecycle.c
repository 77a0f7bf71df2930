/* engine: the record fields and updates the lifecycle commands rely on. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char tmpl[64];

/* a container directory as run makes it: with its `lock` file */
static int make_dir(void)
{
  strcpy(tmpl, "/tmp/vessel-test-lifecycle.XXXXXX");
  if (!mkdtemp(tmpl))
    return -1;
  int dir = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int lock = dir < 0 ? -1 : openat(dir, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock >= 0)
    close(lock);
  return dir;
}

static void remove_dir(void)
{
  struct vessel_error err = {0};
  _cleanup_close_ int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (engine_remove_tree(tmp, tmpl + 5, &err) < 0)
    printf("# cleanup failed: %s\n", err.msg);
}

static void save_one(int dir, struct engine_container *c)
{
  static char *empty[] = {NULL};
  struct vessel_error err = {0};
  *c = (struct engine_container){.name = "web",
                                 .image = "busybox",
                                 .image_id = "sha256:ab",
                                 .created = "2026-01-01T00:00:00Z",
                                 .state = ENGINE_CREATED,
                                 .bundle = "/b",
                                 .cmd = empty,
                                 .env = empty,
                                 .workdir = "/",
                                 .user = "0:0",
                                 .hostname = "h",
                                 .stop_signal = "SIGUSR1"};
  CHECK(engine_id_new(c->id, &err) == 0);
  CHECK(record_save(dir, c, &err) == 0);
}

static void new_fields_round_trip_and_old_records_load(void)
{
  _cleanup_close_ int dir = make_dir();
  CHECK(dir >= 0);
  struct engine_container c;
  save_one(dir, &c);
  struct vessel_error err = {0};
  struct engine_container d = {0};
  CHECK(record_load(dir, &d, &err) == 0);
  CHECK_STR(d.stop_signal, "SIGUSR1");
  CHECK(d.started_at == NULL && d.finished_at == NULL);
  engine_container_clear(&d);
  /* a record written before these fields existed */
  static const char old[] =
      "{\"id\": \"0000000000000000000000000000000000000000000000000000000000000000\","
      " \"name\": \"n\", \"image\": \"i\", \"image_id\": \"\", \"created\": \"\","
      " \"state\": \"exited\", \"exit_code\": 1, \"bundle\": \"\", \"cmd\": [], \"env\": [],"
      " \"workdir\": \"/\", \"user\": \"\", \"hostname\": \"\"}";
  CHECK(record_from_json(old, strlen(old), &d, &err) == 0);
  CHECK(d.stop_signal == NULL && d.exit_code == 1);
  engine_container_clear(&d);
  static const char bad[] =
      "{\"id\": \"0000000000000000000000000000000000000000000000000000000000000000\","
      " \"name\": \"n\", \"image\": \"i\", \"image_id\": \"\", \"created\": \"\","
      " \"state\": \"exited\", \"exit_code\": 1, \"bundle\": \"\", \"cmd\": [], \"env\": [],"
      " \"workdir\": \"/\", \"user\": \"\", \"hostname\": \"\", \"started_at\": 5}";
  CHECK(record_from_json(bad, strlen(bad), &d, &err) < 0);
  remove_dir();
}

static int rename_to_db(struct engine_container *c, void *data)
{
  free(c->name);
  c->name = strdup(data);
  return c->name ? 0 : -1;
}

static void state_changes_keep_what_others_wrote(void)
{
  _cleanup_close_ int dir = make_dir();
  CHECK(dir >= 0);
  struct engine_container c;
  save_one(dir, &c);
  struct vessel_error err = {0};
  /* the monitor's copy is stale: a rename happened since it read it */
  struct engine_container mine = {0};
  CHECK(record_load(dir, &mine, &err) == 0);
  CHECK(record_update(dir, rename_to_db, "db", NULL, &err) == 0);
  CHECK(record_set_state(dir, ENGINE_RUNNING, 0, &mine, &err) == 0);
  CHECK_STR(mine.name, "db");
  CHECK(mine.state == ENGINE_RUNNING);
  CHECK(mine.started_at != NULL && mine.finished_at == NULL);
  CHECK(record_set_state(dir, ENGINE_EXITED, 137, &mine, &err) == 0);
  struct engine_container d = {0};
  CHECK(record_load(dir, &d, &err) == 0);
  CHECK_STR(d.name, "db");
  CHECK(d.state == ENGINE_EXITED && d.exit_code == 137);
  CHECK(d.started_at != NULL && d.finished_at != NULL);
  CHECK(d.started_at && d.finished_at && strcmp(d.started_at, d.finished_at) <= 0);
  engine_container_clear(&d);
  engine_container_clear(&mine);
  /* the record gone (rm -f meanwhile): an error, nothing recreated */
  CHECK(unlinkat(dir, ENGINE_RECORD, 0) == 0);
  err.msg[0] = '\0';
  CHECK(record_set_state(dir, ENGINE_EXITED, 0, NULL, &err) < 0);
  CHECK(err.msg[0] != '\0');
  CHECK(faccessat(dir, ENGINE_RECORD, F_OK, 0) < 0);
  remove_dir();
}

static void paused_is_a_state_name(void)
{
  CHECK_STR(engine_state_name(ENGINE_PAUSED), "paused");
  CHECK_STR(engine_state_name(ENGINE_EXITED), "exited");
}

TAP_MAIN(T(new_fields_round_trip_and_old_records_load), T(state_changes_keep_what_others_wrote),
         T(paused_is_a_state_name))
