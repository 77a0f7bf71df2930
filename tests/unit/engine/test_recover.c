/* engine: recovery of what killed commands left half made (recover.c):
 * exactly the leftovers go, whole containers and work in progress stay. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/internal.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char tmpl[64];

static struct engine *open_engine(void)
{
  strcpy(tmpl, "/tmp/vessel-test-recover.XXXXXX");
  if (!mkdtemp(tmpl))
    return NULL;
  char root[96], run[96];
  snprintf(root, sizeof root, "%s/root", tmpl);
  snprintf(run, sizeof run, "%s/run", tmpl);
  struct vessel_error err = {0};
  struct engine *e = engine_open(root, run, &err);
  if (!e)
    printf("# %s\n", err.msg);
  return e;
}

static void close_engine(struct engine *e)
{
  engine_close(e);
  struct vessel_error err = {0};
  _cleanup_close_ int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (engine_remove_tree(tmp, tmpl + 5, &err) < 0)
    printf("# cleanup failed: %s\n", err.msg);
}

/* A container directory with a record (whole) or without (half made), and
 * its name when name is given. */
static void make_container(struct engine *e, char id[65], const char *name, const char *recorded_as,
                           bool record)
{
  struct vessel_error err = {0};
  CHECK(engine_id_new(id, &err) == 0);
  CHECK(mkdirat(e->containers_fd, id, 0700) == 0);
  _cleanup_close_ int dfd = openat(e->containers_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  CHECK(mkdirat(dfd, "upper", 0700) == 0);
  if (record) {
    static char *empty[] = {NULL};
    struct engine_container c = {.name = (char *)recorded_as,
                                 .image = "busybox",
                                 .image_id = "sha256:ab",
                                 .created = "2026-01-01T00:00:00Z",
                                 .state = ENGINE_EXITED,
                                 .bundle = "/b",
                                 .cmd = empty,
                                 .env = empty,
                                 .workdir = "/",
                                 .user = "0:0",
                                 .hostname = "h"};
    memcpy(c.id, id, 65);
    CHECK(record_save(dfd, &c, &err) == 0);
  }
  if (name)
    CHECK(name_reserve(e->names_fd, name, id, true, &err) == 0);
}

static bool exists(int dirfd, const char *name)
{
  return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void leftovers_go_and_whole_containers_stay(void)
{
  struct engine *e = open_engine();
  CHECK(e != NULL);
  if (!e)
    return;
  char whole[65], half[65], renamed[65], gone[65];
  make_container(e, whole, "whole", "whole", true);
  make_container(e, half, "half", NULL, false);   /* killed before its record */
  make_container(e, renamed, "old", "new", true); /* rename killed after the record */
  CHECK(name_reserve(e->names_fd, "new", renamed, true, &(struct vessel_error){0}) == 0);
  struct vessel_error err = {0};
  CHECK(engine_id_new(gone, &err) == 0);
  CHECK(name_reserve(e->names_fd, "dangling", gone, true, &err) == 0); /* killed before its dir */
  /* killed between the name file's creation and its write */
  _cleanup_close_ int empty = openat(e->names_fd, "empty", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  CHECK(empty >= 0);

  CHECK(engine_recover(e));
  CHECK(exists(e->containers_fd, whole));
  CHECK(exists(e->names_fd, "whole"));
  CHECK(!exists(e->containers_fd, half));
  CHECK(!exists(e->names_fd, "half"));
  CHECK(exists(e->containers_fd, renamed));
  CHECK(exists(e->names_fd, "new"));
  CHECK(!exists(e->names_fd, "old"));
  CHECK(!exists(e->names_fd, "dangling"));
  CHECK(!exists(e->names_fd, "empty"));
  /* a second pass finds nothing more to do */
  CHECK(engine_recover(e));
  CHECK(exists(e->containers_fd, whole) && exists(e->containers_fd, renamed));
  close_engine(e);
}

static void nothing_goes_while_a_container_is_being_made(void)
{
  struct engine *e = open_engine();
  CHECK(e != NULL);
  if (!e)
    return;
  char half[65];
  make_container(e, half, "making", NULL, false);
  struct vessel_error err = {0};
  int creating = engine_create_lock(e, &err);
  CHECK(creating >= 0);
  CHECK(!engine_recover(e));
  CHECK(exists(e->containers_fd, half));
  CHECK(exists(e->names_fd, "making"));
  /* nor a directory whose lock a command holds (an rm under way) */
  close(creating);
  _cleanup_close_ int dfd = engine_container_dir(e, half, &err);
  _cleanup_close_ int lock = -1;
  CHECK(dfd >= 0 && engine_container_busy(dfd, &lock) == 0 && lock >= 0);
  if (fork() == 0) {
    /* another process, as rm would be: its own view of the lock */
    struct engine *e2 = engine_open(e->root, e->runroot, &err);
    _exit(e2 && engine_recover(e2) && exists(e2->containers_fd, half) ? 0 : 1);
  }
  int st = 0;
  wait(&st);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  close(TAKE_FD(lock));
  /* once both are done, it is a leftover */
  CHECK(engine_recover(e));
  CHECK(!exists(e->containers_fd, half));
  CHECK(!exists(e->names_fd, "making"));
  close_engine(e);
}

static void rm_of_a_half_made_name_succeeds(void)
{
  struct engine *e = open_engine();
  CHECK(e != NULL);
  if (!e)
    return;
  char half[65];
  make_container(e, half, "half", NULL, false);
  struct vessel_error err = {0};
  CHECK(engine_remove(e, "half", true, &err) == 0);
  CHECK(!exists(e->containers_fd, half));
  CHECK(!exists(e->names_fd, "half"));
  /* what never existed is still an error */
  err.msg[0] = '\0';
  CHECK(engine_remove(e, "nothing", true, &err) < 0);
  CHECK(err.msg[0] != '\0');
  close_engine(e);
}

TAP_MAIN(T(leftovers_go_and_whole_containers_stay), T(nothing_goes_while_a_container_is_being_made),
         T(rm_of_a_half_made_name_succeeds))
