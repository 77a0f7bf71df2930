/* image prune: the images nobody names (or, with all, every image) that no
 * container was made from leave the index; the garbage collection then takes
 * their blobs and layers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

static bool in(char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}

int image_prune(struct image_store *s, bool all, char *const *keep_ids, char ***removed,
                struct vessel_error *err)
{
  if (store_lock(s, err) < 0)
    return -1;
  json_t *index = index_load(s, err);
  _cleanup_strv_ char **ids = calloc(1, sizeof *ids);
  size_t n = 0;
  int r = -1;
  if (!index || !ids) {
    if (index)
      vessel_error_set(err, ENOMEM, "prune");
    goto out;
  }
  json_t *ms = json_object_get(index, "manifests");
  for (size_t i = json_array_size(ms); i > 0; i--) {
    json_t *a = json_object_get(json_array_get(ms, i - 1), "annotations");
    const char *id = json_string_value(json_object_get(a, ANNOT_ID));
    if (!id || (!all && json_object_get(a, ANNOT_NAME)) || in(keep_ids, id))
      continue;
    if (!in(ids, id)) {
      char **v = realloc(ids, (n + 2) * sizeof *v);
      if (!v || !(v[n] = strdup(id))) {
        if (v)
          ids = v;
        vessel_error_set(err, ENOMEM, "prune");
        goto out;
      }
      ids = v;
      ids[++n] = NULL;
    }
    json_array_remove(ms, i - 1);
  }
  /* gc even when nothing was pruned: a killed import or load leaves blobs */
  if ((n > 0 && index_save(s, index, err) < 0) || store_gc(s, index, err) < 0)
    goto out;
  *removed = TAKE_PTR(ids);
  r = 0;
out:
  json_decref(index);
  store_unlock(s);
  return r < 0 ? vessel_error_prefix(err, "prune") : 0;
}
