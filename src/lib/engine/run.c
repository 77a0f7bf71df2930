/* `vessel run` in the foreground: image -> overlay root -> bundle -> the
 * runtime in-process; this process is the container's monitor until it
 * exits, holding the container directory's lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

static char *now_rfc3339(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64], *out = NULL;
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
    return NULL;
  return out;
}

static int check_binds(const struct engine_run_opts *o, struct vessel_error *err)
{
  for (size_t i = 0; i < o->n_binds; i++) {
    const struct engine_bind *b = &o->binds[i];
    struct stat st;
    if (b->source[0] != '/' || b->destination[0] != '/')
      return vessel_error_set(err, 0, "volume `%s:%s`: both paths must be absolute",
                              b->source, b->destination);
    if (stat(b->source, &st) < 0)
      return vessel_error_set(err, errno, "volume source `%s`", b->source);
  }
  return 0;
}

struct run_state {
  struct engine *e;
  struct engine_container rec;
  int dirfd;
  int lock;
  bool made; /* a directory and a name exist and must go on failure */
};

static void run_state_clear(struct run_state *s)
{
  if (s->made)
    engine_destroy(s->e, s->rec.id, s->rec.name);
  engine_container_clear(&s->rec);
  if (s->dirfd >= 0)
    close(s->dirfd);
  if (s->lock >= 0)
    close(s->lock);
}

/* containers/<id>/ with the lock taken, upper/, work/, rootfs/. */
static int make_dir(struct run_state *s, struct vessel_error *err)
{
  if (mkdirat(s->e->containers_fd, s->rec.id, 0700) < 0)
    return vessel_error_set(err, errno, "create the container directory `%s`", s->rec.id);
  s->dirfd = openat(s->e->containers_fd, s->rec.id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (s->dirfd < 0)
    return vessel_error_set(err, errno, "open the container directory `%s`", s->rec.id);
  s->lock = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (s->lock < 0 || flock(s->lock, LOCK_EX) < 0)
    return vessel_error_set(err, errno, "lock container `%s`", s->rec.id);
  static const char *const dirs[] = {"upper", "work", "rootfs"};
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
    if (mkdirat(s->dirfd, dirs[i], i == 2 ? 0755 : 0700) < 0)
      return vessel_error_set(err, errno, "create `%s` of container `%s`", dirs[i], s->rec.id);
  return 0;
}

static int exec_failure_status(const struct vessel_error *err)
{
  if (!strstr(err->msg, "exec `"))
    return -1;
  if (err->code == ENOENT)
    return ENGINE_EXIT_NOT_FOUND;
  if (err->code == EACCES)
    return ENGINE_EXIT_CANNOT_EXEC;
  return -1;
}

int engine_run(struct engine *e, const struct engine_run_opts *o, struct vessel_error *err)
{
  struct run_state s = {.e = e, .dirfd = -1, .lock = -1};
  struct image_config img = {0};
  struct image_info info = {0};
  _cleanup_strv_ char **layers = NULL;
  _cleanup_free_ char *config = NULL, *dir = NULL, *upper = NULL, *work = NULL, *rootfs = NULL;
  int ret = -1;

  if (o->name && name_check(o->name, err) < 0)
    return -1;
  if (check_binds(o, err) < 0)
    return -1;
  if (image_resolve(e->images, o->image, &img, &layers, &info, err) < 0)
    goto out;
  uid_t uid;
  gid_t gid;
  const char *user = o->user ? o->user : img.user;
  if (user_resolve(user, layers, &uid, &gid, err) < 0)
    goto out;
  if (engine_id_new(s.rec.id, err) < 0)
    goto out;
  /* everything that bad input can break is checked before anything exists */
  struct bundle_input in = {.id = s.rec.id, .opts = o, .image = &img, .uid = uid, .gid = gid};
  if (!(config = bundle_config_json(&in, err)))
    goto out;
  char hostname[13];
  snprintf(hostname, sizeof hostname, "%.12s", s.rec.id);
  if (!(s.rec.cmd = bundle_args(o, &img, err)) ||
      !(s.rec.env = bundle_env(o, &img, uid, o->hostname ? o->hostname : hostname, err)))
    goto out;
  const char *cwd = o->workdir ? o->workdir : img.working_dir && img.working_dir[0] ? img.working_dir : "/";
  if (asprintf(&dir, "%s/containers/%s", e->root, s.rec.id) < 0 ||
      asprintf(&s.rec.user, "%u:%u", uid, gid) < 0 || !(s.rec.workdir = strdup(cwd)) ||
      !(s.rec.hostname = strdup(o->hostname ? o->hostname : hostname)) ||
      !(s.rec.image = strdup(o->image)) || !(s.rec.image_id = strdup(info.id ? info.id : "")) ||
      !(s.rec.created = now_rfc3339()) || !(s.rec.bundle = strdup(dir))) {
    vessel_error_set(err, ENOMEM, "container record");
    goto out;
  }
  s.rec.auto_remove = o->remove;

  if (o->name) {
    if (name_reserve(e->names_fd, o->name, s.rec.id, err) < 0)
      goto out;
    if (!(s.rec.name = strdup(o->name))) {
      name_release(e->names_fd, o->name, s.rec.id);
      vessel_error_set(err, ENOMEM, "container name");
      goto out;
    }
  } else if (name_generate(e->names_fd, s.rec.id, &s.rec.name, err) < 0) {
    goto out;
  }
  s.made = true;
  if (make_dir(&s, err) < 0 ||
      fs_write_atomic(s.dirfd, "config.json", config, strlen(config), true, err) < 0 ||
      record_save(s.dirfd, &s.rec, err) < 0)
    goto out;

  if (asprintf(&upper, "%s/upper", dir) < 0 || asprintf(&work, "%s/work", dir) < 0 ||
      asprintf(&rootfs, "%s/rootfs", dir) < 0) {
    vessel_error_set(err, ENOMEM, "paths");
    goto out;
  }
  if (rootfs_private_namespace(err) < 0 || rootfs_mount(rootfs, layers, upper, work, err) < 0)
    goto out;

  s.rec.state = ENGINE_RUNNING;
  if (record_save(s.dirfd, &s.rec, err) < 0)
    goto out;
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  struct runtime_create_opts co = {.id = s.rec.id, .bundle = dir};
  int status = 0;
  int r = runtime_run(&ctx, &co, false, &status, err);
  umount2(rootfs, MNT_DETACH);
  if (r < 0) {
    status = exec_failure_status(err);
    if (status < 0)
      goto out; /* the engine failed: nothing of the container stays */
    struct vessel_error derr = {0};
    runtime_delete(&ctx, s.rec.id, true, &derr);
  }
  s.rec.state = ENGINE_EXITED;
  s.rec.exit_code = status;
  struct vessel_error serr = {0};
  /* rm -f may have taken the directory away: nothing left to record */
  if (!o->remove && record_save(s.dirfd, &s.rec, &serr) < 0)
    log_debug("%s", serr.msg);
  s.made = o->remove;
  ret = status;
out:
  run_state_clear(&s);
  image_config_free(&img);
  image_info_free(&info);
  return ret;
}
