/* vessel-monitor: the monitor of one detached container. vessel execs it
 * once the container's root is mounted (in the mount namespace this process
 * keeps) and its record says running, the container's lock held through an
 * inherited fd. Static and small: an idle container costs its few pages.
 *   vessel-monitor ID DIRFD LOCKFD READYFD RUNTIME_ROOT VESSEL ROOT RUNROOT made|started */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/monitor.h"
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

int main(int argc, char **argv)
{
  if (argc != 10 || !engine_id_valid(argv[1])) {
    fprintf(stderr, "vessel-monitor: run by vessel only\n");
    return ENGINE_EXIT_FAILED;
  }
  const char *id = argv[1];
  int dirfd = fd_arg(argv[2]), lock = fd_arg(argv[3]), ready = fd_arg(argv[4]);
  bool made = strcmp(argv[9], "made") == 0;
  if (dirfd < 0 || lock < 0 || ready < -1)
    return ENGINE_EXIT_FAILED;
  struct engine_container rec = {0};
  struct vessel_error err = {0};
  int status = 0, r = record_load(dirfd, &rec, &err);
  if (r == 0) {
    /* only the monitor's options and the bundle are needed from here */
    strv_free(rec.cmd);
    strv_free(rec.env);
    rec.cmd = rec.env = NULL;
    struct monitor_params p = {.runtime_root = argv[5],
                               .vessel_exe = argv[6],
                               .root = argv[7],
                               .runroot = argv[8],
                               .dirfd = dirfd,
                               .id = id,
                               .bundle = rec.bundle,
                               .mon = &rec.mon,
                               .ready_fd = &ready};
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
  if (!remove)
    return 0;
  /* --rm: the lock let go, vessel removes it (rm -f removed it already when
   * the record is gone) */
  struct engine_container now = {0};
  struct vessel_error lerr = {0};
  if (record_load(dirfd, &now, &lerr) < 0)
    return 0;
  engine_container_clear(&now);
  close(lock);
  const char *rm[] = {"vessel", "--root", argv[7], "--runroot", argv[8], "rm", "-f", id, NULL};
  execv(argv[6], (char *const *)rm);
  return ENGINE_EXIT_FAILED;
}
