/* `vessel run` in the foreground: image -> overlay root -> bundle -> the
 * runtime in-process; this process is the container's monitor until it
 * exits, holding the container directory's lock. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/monitor.h"
#include "engine/spares.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/fs.h"
#include "util/log.h"

#define DETACH_WAIT_MS 30000
#define START_LOCK_TRIES 25 /* of 20ms */

struct run_state {
  struct engine *e;
  struct engine_container rec;
  int dirfd;
  int lock;
  bool made; /* a directory and a name exist and must go on failure */
  struct image_config img;
  struct image_info info;
  char **layers;
  char *dir, *upper, *work, *rootfs;
  /* run flags: the opts with named anonymous volumes, volumes made here */
  struct engine_run_opts opts;
  struct engine_mount *mounts;
  char **vols_made;
  int vol_lock;
  bool first; /* the container's first start: volumes get the image's content */
  /* a foreground run --rm without a monitor: it goes when it exits, so it
   * writes no config.json (the runtime gets it in memory) and its record
   * only once, as running. On ext4 without a journal each file made and
   * removed cost ~0.2 ms of such a run. */
  bool foreground, transient;
  /* transient, ended: no mount and no process of it is left, and we still
   * hold its lock; its parts can be spares (spares.h) */
  bool unmounted;
  char *config;
  json_t *config_json; /* config, parsed: the runtime need not parse it again */
  char host_name[HOST_NAME_MAX + 1];
};

static void run_state_clear(struct run_state *s)
{
  if (s->vol_lock >= 0)
    close(s->vol_lock);
  if (s->made) {
    if (s->unmounted && s->dirfd >= 0)
      spares_keep(s->e->containers_fd, s->rec.id, s->dirfd);
    engine_destroy(s->e, s->rec.id, s->rec.name);
    run_flags_cleanup(s->e, &s->rec, s->vols_made);
  }
  strv_free(s->vols_made);
  run_flags_mounts_free(s->mounts, s->opts.n_mounts);
  engine_container_clear(&s->rec);
  free(s->config);
  json_decref(s->config_json);
  if (s->dirfd >= 0)
    close(s->dirfd);
  if (s->lock >= 0)
    close(s->lock);
  image_config_free(&s->img);
  image_info_free(&s->info);
  strv_free(s->layers);
  free(s->dir);
  free(s->upper);
  free(s->work);
  free(s->rootfs);
}

/* containers/<id>/ with the lock taken, upper/, work/, rootfs/. */
static int make_dir(struct run_state *s, struct vessel_error *err)
{
  if (mkdirat(s->e->containers_fd, s->rec.id, 0700) < 0)
    return vessel_error_set(err, errno, "create the container directory `%s`", s->rec.id);
  s->dirfd =
      openat(s->e->containers_fd, s->rec.id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (s->dirfd < 0)
    return vessel_error_set(err, errno, "open the container directory `%s`", s->rec.id);
  s->lock = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (s->lock < 0 || flock(s->lock, LOCK_EX) < 0)
    return vessel_error_set(err, errno, "lock container `%s`", s->rec.id);
  /* a removed run --rm's, if any wait (spares.h); the rest made here. The
   * overlay's root takes upper's mode: 0755 as in docker (the container's
   * directory itself stays 0700) */
  spares_take(s->e->containers_fd, s->dirfd);
  static const char *const dirs[] = {"upper", "work", "rootfs"};
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
    if (mkdirat(s->dirfd, dirs[i], i == 1 ? 0700 : 0755) < 0 && errno != EEXIST)
      return vessel_error_set(err, errno, "create `%s` of container `%s`", dirs[i], s->rec.id);
  crashpoint("create-dir");
  return 0;
}

/* Everything before the container starts: the image, the checks of the
 * flags, then the name, the directory, config.json and the record. */
static int run_prepare(struct engine *e, const struct engine_run_opts *o, struct run_state *s,
                       struct vessel_error *err)
{
  _cleanup_free_ char *config = NULL;
  if (o->name && name_check(o->name, err) < 0)
    return -1;
  if (image_resolve(e->images, o->image, &s->img, &s->layers, &s->info, err) < 0)
    return -1;
  if (run_flags_prepare(o, &s->img, &s->mounts, &s->rec, err) < 0)
    return -1;
  s->opts = *o;
  s->opts.mounts = s->mounts;
  o = &s->opts;
  /* --network host: the host's name, as docker gives it (unless -h) */
  if (o->network_host && !o->hostname && gethostname(s->host_name, sizeof s->host_name - 1) == 0)
    s->opts.hostname = s->host_name;
  s->first = true;
  uid_t uid;
  gid_t gid;
  const char *user = o->user ? o->user : s->img.user;
  if (user_resolve(user, s->layers, &uid, &gid, err) < 0)
    return -1;
  if (engine_id_new(s->rec.id, err) < 0)
    return -1;
  /* everything that bad input can break is checked before anything exists */
  struct bundle_input in = {
      .id = s->rec.id, .opts = o, .image = &s->img, .uid = uid, .gid = gid, .root = e->root};
  if (!(s->config_json = bundle_config_json(&in, err)))
    return -1;
  if (!(config = json_dumps(s->config_json, JSON_INDENT(2))))
    return vessel_error_set(err, ENOMEM, "build config.json");
  char hostname[13];
  snprintf(hostname, sizeof hostname, "%.12s", s->rec.id);
  if (!(s->rec.cmd = bundle_args(o, &s->img, err)) ||
      !(s->rec.env = bundle_env(o, &s->img, uid, o->hostname ? o->hostname : hostname, err)))
    return -1;
  const char *cwd = o->workdir                                    ? o->workdir
                    : s->img.working_dir && s->img.working_dir[0] ? s->img.working_dir
                                                                  : "/";
  if (asprintf(&s->dir, "%s/containers/%s", e->root, s->rec.id) < 0 ||
      asprintf(&s->upper, "%s/upper", s->dir) < 0 || asprintf(&s->work, "%s/work", s->dir) < 0 ||
      asprintf(&s->rootfs, "%s/rootfs", s->dir) < 0 ||
      asprintf(&s->rec.user, "%u:%u", uid, gid) < 0 || !(s->rec.workdir = strdup(cwd)) ||
      !(s->rec.hostname = strdup(o->hostname ? o->hostname : hostname)) ||
      !(s->rec.image = strdup(o->image)) ||
      !(s->rec.image_id = strdup(s->info.id ? s->info.id : "")) ||
      !(s->rec.created = engine_now_rfc3339()) || !(s->rec.bundle = strdup(s->dir)))
    return vessel_error_set(err, ENOMEM, "container record");
  s->rec.auto_remove = o->remove;
  if (monitor_opts_merge(&s->rec.mon, o, &s->img, err) < 0)
    return -1;
  if (!s->rec.stop_signal && s->img.stop_signal && s->img.stop_signal[0] &&
      !(s->rec.stop_signal = strdup(s->img.stop_signal)))
    return vessel_error_set(err, ENOMEM, "container record");
  s->transient = s->foreground && s->rec.auto_remove && !s->rec.mon.health_cmd &&
                 s->rec.mon.restart == ENGINE_RESTART_NO;
  if (s->transient) {
    s->rec.state = ENGINE_RUNNING;
    if (!(s->rec.started_at = engine_now_rfc3339()))
      return vessel_error_set(err, ENOMEM, "container record");
  }

  engine_recover_name(e, o->name);
  _cleanup_close_ int creating = engine_create_lock(e, err);
  if (creating < 0)
    return -1;
  if (o->name) {
    if (name_reserve(e->names_fd, o->name, s->rec.id, !o->remove, err) < 0)
      return -1;
    if (!(s->rec.name = strdup(o->name))) {
      name_release(e->names_fd, o->name, s->rec.id);
      return vessel_error_set(err, ENOMEM, "container name");
    }
  } else if (name_generate(e->names_fd, s->rec.id, !o->remove, &s->rec.name, err) < 0) {
    return -1;
  }
  crashpoint("create-name");
  s->made = true;
  /* volumes are made, and kept from volume rm, until the record names them
   * (a run without volumes leaves their lock alone) */
  bool volumes = false;
  for (size_t i = 0; i < o->n_mounts; i++)
    volumes |= o->mounts[i].type == ENGINE_MOUNT_VOLUME;
  if (make_dir(s, err) < 0 ||
      etc_files_write(s->dirfd, s->rec.hostname, o->network_host, err) < 0 ||
      (volumes && ((s->vol_lock = volume_lock(e, false, err)) < 0 ||
                   volume_prepare_mounts(e, o, &s->vols_made, err) < 0)) ||
      (!s->transient && fs_write_atomic(s->dirfd, "config.json", config, strlen(config),
                                        !s->rec.auto_remove, err) < 0) ||
      record_save(s->dirfd, &s->rec, err) < 0)
    return -1;
  if (s->transient)
    s->config = TAKE_PTR(config);
  if (s->vol_lock >= 0)
    close(TAKE_FD(s->vol_lock));
  crashpoint("create-record");
  return 0;
}

/* The monitor's part: the overlay, the runtime, the exit recorded. Returns
 * the exit status (126/127 with err filled when the command could not
 * start) or -1 when the engine failed. The record is re-read at each change:
 * rename may have changed it meanwhile. */
static int run_monitor(struct run_state *s, bool foreground, int *ready_fd,
                       struct vessel_error *err)
{
  /* ours, for the monitor and its probes: read before the namespace, in
   * which it may no longer resolve */
  char exe[PATH_MAX];
  const char *env_exe = getenv("VESSEL_EXE"); /* set by vessel's main: see there */
  ssize_t n = env_exe ? (ssize_t)strnlen(env_exe, sizeof exe - 1)
                      : readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (env_exe)
    memcpy(exe, env_exe, (size_t)n);
  exe[n > 0 ? n : 0] = '\0';
  if (image_add_init_layer(s->e->images, &s->layers, err) < 0 ||
      rootfs_private_namespace(err) < 0 ||
      rootfs_mount(s->rootfs, s->layers, s->upper, s->work, s->rec.auto_remove, err) < 0)
    return -1;
  if (s->first && volume_copy_up(s->e, &s->rec, s->rootfs, err) < 0) {
    umount2(s->rootfs, MNT_DETACH);
    return -1;
  }
  crashpoint("start-mounted");
  if (!s->transient && record_set_state(s->dirfd, ENGINE_RUNNING, 0, &s->rec, err) < 0)
    return -1;
  crashpoint("start-recorded");
  struct runtime_ctx ctx = {.state_root = s->e->runtime_root};
  struct runtime_create_opts co = {
      .id = s->rec.id, .bundle = s->dir, .config = s->config, .config_json = s->config_json};
  int status = 0, r;
  /* run --rm in the foreground: nobody can read its log afterwards, and it
   * needs no monitor of ours (the runtime relays the terminal itself) */
  bool monitored = !foreground || !s->rec.auto_remove || s->rec.mon.health_cmd ||
                   s->rec.mon.restart != ENGINE_RESTART_NO;
  if (monitored) {
    /* what the image gave is in the mount now: the monitor keeps none of it */
    image_config_free(&s->img);
    image_info_free(&s->info);
    strv_free(TAKE_PTR(s->layers));
    /* detached: the small static vessel-monitor takes over from here */
    if (!foreground)
      monitor_exec(s->e, exe, s->dirfd, s->lock, ready_fd ? *ready_fd : -1, s->rec.id, s->made);
    struct monitor_params mp = {.runtime_root = s->e->runtime_root,
                                .vessel_exe = exe,
                                .root = s->e->root,
                                .runroot = s->e->runroot,
                                .dirfd = s->dirfd,
                                .id = s->rec.id,
                                .bundle = s->dir,
                                .foreground = foreground,
                                .mon = &s->rec.mon,
                                .ready_fd = ready_fd};
    r = monitor_run(&mp, &status, err);
  } else {
    r = runtime_run(&ctx, &co, false, &status, err);
  }
  /* the runtime reaped the init, the last of the container's processes
   * (its pid namespace ends with it); a busy overlay is left detached */
  s->unmounted = s->transient && r == 0 && umount2(s->rootfs, UMOUNT_NOFOLLOW) == 0;
  if (!s->unmounted)
    umount2(s->rootfs, MNT_DETACH);
  crashpoint("start-exited");
  if (r < 0) {
    status = engine_exec_failure_status(err);
    struct vessel_error derr = {0};
    runtime_delete(&ctx, s->rec.id, true, &derr);
  }
  struct vessel_error serr = {0};
  /* rm -f may have taken the directory away: nothing left to record; a
   * monitor recorded each exit itself; a transient one is removed now */
  if (!s->transient && (!monitored || r < 0) &&
      record_set_state(s->dirfd, ENGINE_EXITED, status < 0 ? ENGINE_EXIT_FAILED : status, &s->rec,
                       &serr) < 0)
    log_debug("%s", serr.msg);
  crashpoint("start-exit-recorded");
  /* a container made by this run goes when the engine failed (nothing of it
   * stays) or with --rm; a restarted one stays, exited */
  if (!s->made || status >= 0)
    s->made = s->rec.auto_remove;
  if (status >= 0) { /* volumes made on demand stay once the container ran */
    strv_free(s->vols_made);
    s->vols_made = NULL;
  }
  if (monitored && s->made) {
    /* rm -f may have removed it meanwhile: only what is still ours goes */
    struct engine_container now = {0};
    struct vessel_error lerr = {0};
    if (record_load(s->dirfd, &now, &lerr) < 0)
      s->made = false;
    engine_container_clear(&now);
  }
  return status;
}

int engine_run(struct engine *e, const struct engine_run_opts *o, struct vessel_error *err)
{
  struct run_state s = {.e = e, .dirfd = -1, .lock = -1, .vol_lock = -1, .foreground = true};
  int ret = run_prepare(e, o, &s, err);
  if (ret == 0)
    ret = run_monitor(&s, true, NULL, err);
  run_state_clear(&s);
  return ret;
}

/* The monitor outlives the command that started it: it must not keep the
 * caller's inherited fds (a test's output pipe, a terminal) open. Ours are
 * all close-on-exec; what is not was inherited. */
static void close_inherited_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return;
  int self = dirfd(d);
  struct dirent *de;
  while ((de = readdir(d))) {
    unsigned long long fd;
    if (parse_u64(de->d_name, &fd) < 0 || fd <= 2 || (int)fd == self)
      continue;
    int flags = fcntl((int)fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC))
      close((int)fd);
  }
  closedir(d);
}

/* 0 when the monitor that closed its end of the pipe exited, -1 (err
 * filled) when it was killed before it could report anything. */
static int monitor_killed(pid_t pid, const char *name, struct vessel_error *err)
{
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(st))
    return vessel_error_set(err, 0, "the monitor of container `%s` was killed by signal %d", name,
                            WTERMSIG(st));
  return 0;
}

/* Forks the monitor of a prepared container (its lock taken, s->made as the
 * caller's cleanup wants it) and waits until the container runs. Returns 0,
 * 126/127 (err filled) or -1. */
static int spawn_monitor(struct run_state *s, struct vessel_error *err)
{
  _cleanup_close_ int null_fd = -1, rd = -1, wr = -1;
  null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  int p[2];
  if (null_fd < 0 || pipe2(p, O_CLOEXEC) < 0)
    return vessel_error_set(err, errno, "set up the monitor of `%s`", s->rec.id);
  rd = p[0];
  wr = p[1];
  pid_t pid = fork();
  if (pid < 0)
    return vessel_error_set(err, errno, "fork the monitor of `%s`", s->rec.id);
  if (pid == 0) {
    /* the monitor: its own session; the container's output goes to its
     * log through the monitor */
    close(TAKE_FD(rd));
    close_inherited_fds();
    setsid();
    if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
      _exit(ENGINE_EXIT_FAILED);
    struct vessel_error merr = {0};
    int status = run_monitor(s, false, &wr, &merr);
    if (wr >= 0 && (status < 0 || merr.msg[0]))
      monitor_report(wr, status, &merr);
    run_state_clear(s);
    _exit(status < 0 ? ENGINE_EXIT_FAILED : 0);
  }
  /* the monitor owns the container now, and cleans up when it fails */
  close(TAKE_FD(wr));
  s->made = false;
  /* the monitor says "started" (one zero byte), or why not, or dies */
  struct pollfd pfd = {.fd = rd, .events = POLLIN};
  int n;
  while ((n = poll(&pfd, 1, DETACH_WAIT_MS)) < 0 && errno == EINTR)
    ;
  if (n <= 0)
    return vessel_error_set(err, n < 0 ? errno : ETIMEDOUT, "container `%s` did not start",
                            s->rec.name);
  char buf[1 + VESSEL_ERROR_MAX];
  ssize_t got = read(rd, buf, sizeof buf - 1);
  if (got == 1 && buf[0] == 0) /* started; the monitor goes on */
    return 0;
  if (got <= 0) /* the monitor ended without a word: was it killed? */
    return monitor_killed(pid, s->rec.name, err);
  buf[got] = '\0';
  waitpid(pid, NULL, 0);
  vessel_error_set(err, 0, "%s", buf + 1);
  return (unsigned char)buf[0] == ENGINE_EXIT_FAILED ? -1 : (unsigned char)buf[0];
}

int engine_run_detached(struct engine *e, const struct engine_run_opts *o, char id[65],
                        struct vessel_error *err)
{
  struct run_state s = {.e = e, .dirfd = -1, .lock = -1, .vol_lock = -1};
  int ret = -1;
  if (run_prepare(e, o, &s, err) == 0) {
    memcpy(id, s.rec.id, 65);
    ret = spawn_monitor(&s, err);
  }
  run_state_clear(&s);
  return ret;
}

/* create: run_prepare alone; the container stays, created, for start. */
int run_create(struct engine *e, const struct engine_run_opts *o, char id[65],
               struct vessel_error *err)
{
  struct run_state s = {.e = e, .dirfd = -1, .lock = -1, .vol_lock = -1};
  int ret = run_prepare(e, o, &s, err);
  if (ret == 0) {
    memcpy(id, s.rec.id, 65);
    s.made = false;
  }
  run_state_clear(&s);
  return ret;
}

static int clear_stop_mark(struct engine_container *c, void *data)
{
  (void)data;
  c->stopped_by_user = false;
  c->restart_count = 0;
  return 0;
}

int engine_start(struct engine *e, const char *ref, bool attach, struct vessel_error *err)
{
  struct run_state s = {.e = e, .dirfd = -1, .lock = -1, .vol_lock = -1};
  int ret = -1;
  if (engine_lookup(e, ref, &s.rec, err) < 0)
    goto out;
  if ((s.dirfd = engine_container_dir(e, s.rec.id, err)) < 0)
    goto out;
  /* stop, wait and ps hold the lock for an instant only: a lock held on
   * while the runtime runs nothing is a monitor (or a start) under way */
  for (int tries = 0; engine_container_busy(s.dirfd, &s.lock); tries++) {
    if (tries >= START_LOCK_TRIES || engine_runtime_alive(e, s.rec.id)) {
      ret = 0; /* it runs already */
      goto out;
    }
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
  }
  if (engine_runtime_alive(e, s.rec.id)) {
    ret = 0;
    goto out;
  }
  /* rm may have removed it while we took the lock */
  struct engine_container fresh = {0};
  if (record_load(s.dirfd, &fresh, err) < 0) {
    vessel_error_set(err, ENOENT, "no such container `%s`", ref);
    goto out;
  }
  engine_container_clear(&s.rec);
  s.rec = fresh;
  if (engine_container_image(e, &s.rec, &s.img, &s.layers, &s.info, err) < 0)
    goto out;
  if (asprintf(&s.dir, "%s/containers/%s", e->root, s.rec.id) < 0 ||
      asprintf(&s.upper, "%s/upper", s.dir) < 0 || asprintf(&s.work, "%s/work", s.dir) < 0 ||
      asprintf(&s.rootfs, "%s/rootfs", s.dir) < 0) {
    vessel_error_set(err, ENOMEM, "start");
    goto out;
  }
  /* what a previous run's runtime left (a monitor that was killed) */
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  struct vessel_error ignored = {0};
  runtime_delete(&ctx, s.rec.id, true, &ignored);
  /* a start by the user: what stop or kill marked is over */
  if (record_update(s.dirfd, clear_stop_mark, NULL, &s.rec, err) < 0)
    goto out;
  ret = attach ? run_monitor(&s, true, NULL, err) : spawn_monitor(&s, err);
out:
  run_state_clear(&s);
  return ret;
}
