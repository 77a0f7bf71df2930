/* `vessel create`: a container prepared exactly as run prepares one, left
 * in state created; `vessel start` runs it later. */
#include "engine/internal.h"

int engine_create(struct engine *e, const struct engine_run_opts *o, char id[65],
                  struct vessel_error *err)
{
  return run_create(e, o, id, err);
}
