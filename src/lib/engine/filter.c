/* ps --filter over container records. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "engine/filter.h"
#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define FILTERS_MAX 256

enum fkey { F_ID, F_NAME, F_STATUS, F_EXITED, F_LABEL, F_ANCESTOR, F_NKEYS };

static const char *const key_names[F_NKEYS] = {"id",     "name",  "status",
                                               "exited", "label", "ancestor"};

struct filter {
  enum fkey key;
  char *value;
  char *image_id; /* ancestor: the image it names, when it exists */
  regex_t re;     /* name */
  long long code; /* exited */
};

struct engine_filters {
  struct filter v[FILTERS_MAX];
  size_t n;
};

struct engine_filters *engine_filters_new(struct vessel_error *err)
{
  struct engine_filters *f = calloc(1, sizeof *f);
  if (!f)
    vessel_error_set(err, ENOMEM, "filters");
  return f;
}

void engine_filters_free(struct engine_filters *f)
{
  if (!f)
    return;
  for (size_t i = 0; i < f->n; i++) {
    if (f->v[i].key == F_NAME)
      regfree(&f->v[i].re);
    free(f->v[i].value);
    free(f->v[i].image_id);
  }
  free(f);
}

static const char *const states[] = {"created", "restarting", "running", "removing",
                                     "paused",  "exited",     "dead"};

int engine_filters_add(struct engine *e, struct engine_filters *f, const char *spec,
                       struct vessel_error *err)
{
  const char *eq = strchr(spec, '=');
  if (!eq)
    return vessel_error_set(err, 0, "bad filter `%s`: KEY=VALUE", spec);
  size_t klen = (size_t)(eq - spec);
  size_t k = 0;
  while (k < F_NKEYS && (strlen(key_names[k]) != klen || strncmp(key_names[k], spec, klen) != 0))
    k++;
  if (k == F_NKEYS)
    return vessel_error_set(err, 0, "invalid filter `%.*s`", (int)klen, spec);
  if (f->n >= FILTERS_MAX)
    return vessel_error_set(err, 0, "too many filters");
  struct filter *x = &f->v[f->n];
  memset(x, 0, sizeof *x);
  x->key = (enum fkey)k;
  const char *val = eq + 1;
  if (!val[0] && x->key != F_LABEL)
    return vessel_error_set(err, 0, "filter `%s` needs a value", spec);
  switch (x->key) {
  case F_NAME: {
    int r = regcomp(&x->re, val, REG_EXTENDED | REG_NOSUB);
    if (r != 0)
      return vessel_error_set(err, 0, "filter `%s`: bad regular expression", spec);
    break;
  }
  case F_STATUS: {
    size_t i = 0;
    while (i < ARRAY_SIZE(states) && strcmp(states[i], val) != 0)
      i++;
    if (i == ARRAY_SIZE(states))
      return vessel_error_set(err, 0,
                              "invalid filter `status=%s`: created, restarting, running, "
                              "removing, paused, exited or dead",
                              val);
    break;
  }
  case F_EXITED:
    if (parse_i64(val, &x->code) < 0)
      return vessel_error_set(err, 0, "invalid filter `exited=%s`: an exit code", val);
    break;
  case F_ANCESTOR: {
    struct image_config cfg = {0};
    struct image_info info = {0};
    char **layers = NULL;
    struct vessel_error ignored = {0};
    if (image_resolve(e->images, val, &cfg, &layers, &info, &ignored) == 0)
      x->image_id = TAKE_PTR(info.id);
    image_config_free(&cfg);
    image_info_free(&info);
    strv_free(layers);
    break;
  }
  default:
    break;
  }
  if (!(x->value = strdup(val))) {
    if (x->key == F_NAME)
      regfree(&x->re);
    free(x->image_id);
    return vessel_error_set(err, ENOMEM, "filters");
  }
  f->n++;
  return 0;
}

bool engine_filters_want_all(const struct engine_filters *f)
{
  for (size_t i = 0; f && i < f->n; i++)
    if (f->v[i].key == F_STATUS || f->v[i].key == F_EXITED)
      return true;
  return false;
}

char **engine_container_labels(struct engine *e, const struct engine_container *c,
                               struct vessel_error *err)
{
  /* the record keeps the image's labels with the run's over them */
  char **labels = strv_copy(c->labels);
  if (!labels)
    vessel_error_set(err, ENOMEM, "labels");
  return labels;
}

static bool label_match(char *const *labels, const char *want)
{
  const char *eq = strchr(want, '=');
  size_t klen = eq ? (size_t)(eq - want) : strlen(want);
  for (size_t i = 0; labels && labels[i]; i++) {
    const char *l = labels[i];
    const char *leq = strchr(l, '=');
    size_t llen = leq ? (size_t)(leq - l) : strlen(l);
    if (llen != klen || strncmp(l, want, klen) != 0)
      continue;
    if (!eq || strcmp(leq ? leq + 1 : "", eq + 1) == 0)
      return true;
  }
  return false;
}

/* docker names images "busybox" and "busybox:latest" alike */
static bool same_image_name(const char *a, const char *b)
{
  if (strcmp(a, b) == 0)
    return true;
  size_t la = strlen(a), lb = strlen(b);
  return (la + 7 == lb && strncmp(a, b, la) == 0 && strcmp(b + la, ":latest") == 0) ||
         (lb + 7 == la && strncmp(a, b, lb) == 0 && strcmp(a + lb, ":latest") == 0);
}

static bool one_match(struct engine *e, const struct filter *x, const struct engine_container *c,
                      char ***labels)
{
  switch (x->key) {
  case F_ID:
    return strncmp(c->id, x->value, strlen(x->value)) == 0;
  case F_NAME:
    return c->name && regexec(&x->re, c->name, 0, NULL, 0) == 0;
  case F_STATUS:
    return strcmp(engine_state_name(c->state), x->value) == 0;
  case F_EXITED:
    return c->state == ENGINE_EXITED && c->exit_code == x->code;
  case F_LABEL:
    if (!*labels) {
      struct vessel_error ignored = {0};
      *labels = engine_container_labels(e, c, &ignored);
    }
    return label_match(*labels, x->value);
  case F_ANCESTOR:
    return (c->image && same_image_name(c->image, x->value)) ||
           (x->image_id && c->image_id && strcmp(c->image_id, x->image_id) == 0);
  default:
    return false;
  }
}

bool engine_filters_match(struct engine *e, const struct engine_filters *f,
                          const struct engine_container *c)
{
  if (!f)
    return true;
  _cleanup_strv_ char **labels = NULL;
  for (int k = 0; k < F_NKEYS; k++) {
    bool seen = false, any = false;
    for (size_t i = 0; i < f->n && !any; i++) {
      if (f->v[i].key != (enum fkey)k)
        continue;
      seen = true;
      /* labels must all match, as docker's */
      if (k == F_LABEL) {
        if (!one_match(e, &f->v[i], c, &labels))
          return false;
        any = true;
        for (size_t j = i + 1; j < f->n; j++)
          if (f->v[j].key == F_LABEL && !one_match(e, &f->v[j], c, &labels))
            return false;
        break;
      }
      any = one_match(e, &f->v[i], c, &labels);
    }
    if (seen && !any)
      return false;
  }
  return true;
}
