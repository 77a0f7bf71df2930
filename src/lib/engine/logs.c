/* `vessel logs`: a container's json-file log through logfile.c's reader; a
 * follower stops when the container's monitor lets go of its lock. */
#include "engine/internal.h"
#include "engine/logfile.h"
#include "util/cleanup.h"

static bool container_alive(int dirfd)
{
  return engine_container_busy(dirfd, NULL) == 1;
}

int engine_logs(struct engine *e, const char *ref, const struct engine_logs_opts *o,
                int (*fn)(const struct engine_log_line *l, void *data), void *data,
                struct vessel_error *err)
{
  struct engine_container c = {0};
  if (engine_lookup(e, ref, &c, err) < 0)
    return -1;
  char name[80];
  logfile_name(c.id, name);
  _cleanup_close_ int dfd = engine_container_dir(e, c.id, err);
  engine_container_clear(&c);
  if (dfd < 0)
    return -1;
  return logfile_read(dfd, name, o, container_alive, fn, data, err);
}
