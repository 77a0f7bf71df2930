/* Recovery from commands killed halfway. Making a container (its name, its
 * directory, its record) and renaming one happen under `containers/.lock`
 * held shared; whoever holds it exclusive knows that nothing is halfway, so
 * a container directory without a record and a name that no record claims
 * can only be what a killed command left. ps, rm and prune take it without
 * waiting and remove those leftovers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define CREATE_LOCK ".lock"

int engine_create_lock(struct engine *e, struct vessel_error *err)
{
  _cleanup_close_ int fd =
      openat(e->containers_fd, CREATE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return vessel_error_set(err, errno, "open `%s/containers/" CREATE_LOCK "`", e->root);
  while (flock(fd, LOCK_SH) < 0)
    if (errno != EINTR)
      return vessel_error_set(err, errno, "lock `%s/containers/" CREATE_LOCK "`", e->root);
  return TAKE_FD(fd);
}

/* Directories whose record was never written (or already removed by an rm
 * that was killed), unless an rm holds them right now. */
static void recover_containers(struct engine *e)
{
  _cleanup_closedir_ DIR *d = fs_opendirat(e->containers_fd, ".");
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (!engine_id_valid(de->d_name))
      continue;
    _cleanup_close_ int dfd =
        openat(e->containers_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 || faccessat(dfd, ENGINE_RECORD, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
      continue;
    _cleanup_close_ int lock = -1;
    if (engine_container_busy(dfd, &lock) || lock < 0)
      continue;
    log_info("removing container `%.12s`: a killed command left it half made", de->d_name);
    engine_destroy(e, de->d_name, NULL);
  }
}

/* True when names/<name> is a leftover: damaged (killed between its
 * creation and its write), its container gone, or its record named
 * otherwise (a rename killed halfway). */
static bool name_stale(struct engine *e, const char *name)
{
  char id[65];
  struct vessel_error ignored = {0};
  if (name_check(name, &ignored) < 0)
    return false; /* not a name of ours */
  if (name_lookup(e->names_fd, name, id, &ignored) < 0)
    return ignored.code != ENOENT;
  _cleanup_close_ int dfd =
      openat(e->containers_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return errno == ENOENT;
  struct engine_container c = {0};
  if (record_load(dfd, &c, &ignored) < 0)
    return false; /* unreadable: not ours to judge */
  bool stale = !c.name || strcmp(c.name, name) != 0;
  engine_container_clear(&c);
  return stale;
}

static void recover_names(struct engine *e)
{
  _cleanup_closedir_ DIR *d = fs_opendirat(e->names_fd, ".");
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (de->d_name[0] == '.' || !name_stale(e, de->d_name))
      continue;
    log_info("removing the name `%s`: a killed command left it", de->d_name);
    unlinkat(e->names_fd, de->d_name, 0);
  }
}

bool engine_recover(struct engine *e)
{
  _cleanup_close_ int fd =
      openat(e->containers_fd, CREATE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
    return false; /* a container is being made: its parts are not leftovers */
  recover_containers(e);
  recover_names(e);
  return true;
}

void engine_recover_name(struct engine *e, const char *name)
{
  if (name && faccessat(e->names_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    engine_recover(e);
}

bool engine_recover_ref(struct engine *e, const char *ref)
{
  struct vessel_error ignored = {0};
  bool named =
      name_check(ref, &ignored) == 0 && faccessat(e->names_fd, ref, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  bool dir =
      engine_id_valid(ref) && faccessat(e->containers_fd, ref, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
  if ((!named && !dir) || !engine_recover(e))
    return false;
  return (!named || faccessat(e->names_fd, ref, F_OK, AT_SYMLINK_NOFOLLOW) < 0) &&
         (!dir || faccessat(e->containers_fd, ref, F_OK, AT_SYMLINK_NOFOLLOW) < 0);
}
