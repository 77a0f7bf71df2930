/* Image operations that containers constrain: an image stays while a
 * container is made from it, since its layers are the container's lowerdirs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

int engine_image_remove(struct engine *e, const char *ref, struct vessel_error *err)
{
  struct image_config cfg = {0};
  struct image_info info = {0};
  _cleanup_strv_ char **layers = NULL;
  if (image_resolve(e->images, ref, &cfg, &layers, &info, err) < 0)
    return -1;
  image_config_free(&cfg);
  int r = -1;
  struct image_info *imgs = NULL;
  size_t n_imgs = 0, names = 0;
  struct engine_container *cs = NULL;
  size_t n_cs = 0;
  if (image_list(e->images, &imgs, &n_imgs, err) < 0)
    goto out;
  for (size_t i = 0; i < n_imgs; i++)
    names += imgs[i].id && info.id && strcmp(imgs[i].id, info.id) == 0 && imgs[i].name;
  /* removing one of several names leaves the image */
  if (names <= 1) {
    if (engine_list(e, &cs, &n_cs, err) < 0)
      goto out;
    for (size_t i = 0; i < n_cs; i++)
      if (cs[i].image_id && info.id && strcmp(cs[i].image_id, info.id) == 0) {
        vessel_error_set(err, 0,
                         "image `%s` is in use by container `%s`: remove the container first", ref,
                         cs[i].name);
        goto out;
      }
  }
  r = image_remove(e->images, ref, err);
out:
  for (size_t i = 0; i < n_imgs; i++)
    image_info_free(&imgs[i]);
  free(imgs);
  engine_list_free(cs, n_cs);
  image_info_free(&info);
  return r;
}

int engine_container_image(struct engine *e, const struct engine_container *c,
                           struct image_config *cfg, char ***layers, struct image_info *info,
                           struct vessel_error *err)
{
  const char *ref = c->image_id && c->image_id[0] ? c->image_id : c->image;
  struct vessel_error first = {0};
  if (image_resolve(e->images, ref, cfg, layers, info, &first) == 0)
    return 0;
  if (strncmp(ref, "sha256:", 7) == 0 &&
      image_resolve(e->images, ref + 7, cfg, layers, info, err) == 0)
    return 0;
  *err = first;
  return vessel_error_prefix(err, "the image of container `%s`", c->name);
}
