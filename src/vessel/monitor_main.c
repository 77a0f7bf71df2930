/* vessel-monitor: the monitor of one detached container. vessel execs it
 * once the container's root is mounted (in the mount namespace this process
 * keeps) and its record says running, the container's lock held through an
 * inherited fd. Static and small: an idle container costs its few pages.
 *   vessel-monitor ID DIRFD LOCKFD READYFD RUNTIME_ROOT VESSEL ROOT RUNROOT made|started
 * and, when its idle loop (vessel-monitor-idle) execs it again, the state it
 * left that loop with and what that loop gives back (engine/monitor_handoff.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/monitor.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int fd_arg(const char *s)
{
  long long n;
  if (parse_i64(s, &n) < 0 || n < -1 || n > 1 << 20)
    return -2;
  if (n >= 0)
    fcntl((int)n, F_SETFD, FD_CLOEXEC); /* never into the container */
  return (int)n;
}

/* --rm, or a fresh container whose start failed: all of it goes, as
 * engine_destroy does, the lock still held (rm -f removed it already when
 * the record is gone). Not inlined, nor the next: their buffers would sit
 * in main's frame, in the stack pages the idle monitor keeps (measured: 28
 * KiB of stack down to 16). */
static __attribute__((noinline)) void destroy(const char *runtime_root, const char *root,
                                              const char *id, const char *name)
{
  struct runtime_ctx ctx = {.state_root = runtime_root};
  struct vessel_error err = {0};
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/containers", root);
  _cleanup_close_ int containers = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  snprintf(path, sizeof path, "%s/names", root);
  _cleanup_close_ int names = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (containers < 0 || faccessat(containers, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return;
  runtime_delete(&ctx, id, true, &err);
  /* the root is mounted in this process's namespace */
  snprintf(path, sizeof path, "%s/containers/%s/rootfs", root, id);
  umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
  if (engine_remove_tree(containers, id, &err) < 0)
    fprintf(stderr, "vessel-monitor: %s\n", err.msg);
  if (names >= 0 && name)
    name_release(names, name, id);
}

/* --rm also takes the container's anonymous volumes: that is vessel's
 * volume code, not ours, so vessel does it in our place (we are done). */
static __attribute__((noinline)) void remove_anonymous_volumes(const char *vessel, const char *root,
                                                               const char *runroot,
                                                               const struct engine_container *c)
{
  char **args = calloc(c->n_mounts + 8, sizeof *args);
  if (!args)
    return;
  size_t n = 0;
  args[n++] = "vessel";
  args[n++] = "--root";
  args[n++] = (char *)root;
  args[n++] = "--runroot";
  args[n++] = (char *)runroot;
  args[n++] = "volume";
  args[n++] = "rm";
  size_t first = n;
  for (size_t i = 0; i < c->n_mounts; i++)
    if (c->mounts[i].type == ENGINE_MOUNT_VOLUME && c->mounts[i].anonymous && c->mounts[i].source)
      args[n++] = c->mounts[i].source;
  if (n > first)
    execv(vessel, args);
  free(args);
}

int main(int argc, char **argv)
{
  struct monitor_handoff resume;
  if (argc < 10 || !engine_id_valid(argv[1]) ||
      (argc > 10 && monitor_handoff_parse(argv + 10, argc - 10, &resume) < 0)) {
    fprintf(stderr, "vessel-monitor: run by vessel only\n");
    return ENGINE_EXIT_FAILED;
  }
  prctl(PR_SET_NAME, "vessel-monitor"); /* exec'd through an fd, it would be "3" */
  const char *id = argv[1];
  int dirfd = fd_arg(argv[2]), lock = fd_arg(argv[3]), ready = fd_arg(argv[4]);
  bool made = strcmp(argv[9], "made") == 0;
  if (dirfd < 0 || lock < 0 || ready < -1)
    return ENGINE_EXIT_FAILED;
  struct engine_container rec = {0};
  struct vessel_error err = {0};
  char idle[PATH_MAX];
  int status = 0, r = record_load(dirfd, &rec, &err);
  if (r == 0) {
    /* only the monitor's options and the bundle are needed from here */
    strv_free(rec.cmd);
    strv_free(rec.env);
    rec.cmd = rec.env = NULL;
    struct monitor_params p = {
        .runtime_root = argv[5],
        .vessel_exe = argv[6],
        .root = argv[7],
        .runroot = argv[8],
        .dirfd = dirfd,
        .id = id,
        .bundle = rec.bundle,
        .mon = &rec.mon,
        .ready_fd = &ready,
        .argv = argv,
        /* none: the monitor stays itself */
        .idle_exe =
            monitor_program_path("VESSEL_MONITOR_IDLE", "vessel-monitor-idle", argv[6], idle)
                ? idle
                : NULL,
        .lock_fd = lock,
        .resume = argc > 10 ? &resume : NULL};
    r = monitor_run(&p, &status, &err);
  }
  bool remove = rec.auto_remove;
  if (r < 0) {
    /* its first start failed: recorded, told to the waiting command; a
     * container this run made goes when the engine failed */
    status = engine_exec_failure_status(&err);
    struct vessel_error serr = {0};
    record_set_state(dirfd, ENGINE_EXITED, status < 0 ? ENGINE_EXIT_FAILED : status, NULL, &serr);
    if (ready >= 0)
      monitor_report(ready, status, &err);
    remove = remove || (made && status < 0);
  }
  engine_container_clear(&rec);
  /* by the name it has now: rename may have changed it */
  if (remove && record_load(dirfd, &rec, &err) == 0) {
    destroy(argv[5], argv[7], id, rec.name);
    remove_anonymous_volumes(argv[6], argv[7], argv[8], &rec);
  }
  engine_container_clear(&rec);
  return 0;
}
