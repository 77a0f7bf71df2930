/* ps --filter: docker's keys over the engine's containers. Filters of one
 * key match when any of them matches; different keys must all match. */
#pragma once
#include <stdbool.h>

#include "engine/engine.h"

struct engine_filters;

struct engine_filters *engine_filters_new(struct vessel_error *err);
void engine_filters_free(struct engine_filters *f);

/* Adds "key=value": id, name (a regular expression), status, exited,
 * label (k or k=v), ancestor. An unknown key or a bad value is an error. */
int engine_filters_add(struct engine *e, struct engine_filters *f, const char *spec,
                       struct vessel_error *err);

/* Whether a filter on status or exited was given (ps then lists every
 * container, not only running ones, as docker does). */
bool engine_filters_want_all(const struct engine_filters *f);

bool engine_filters_match(struct engine *e, const struct engine_filters *f,
                          const struct engine_container *c);

/* The container's labels, "k=v" (malloc'd strv, may be empty): its image's
 * until containers record labels of their own. */
char **engine_container_labels(struct engine *e, const struct engine_container *c,
                               struct vessel_error *err);
