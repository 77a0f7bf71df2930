/* docker's --format templates: the part of Go's text/template people use
 * with docker (field paths, json, index, join, upper, lower, title, len,
 * truncate, pipelines, {{- -}} trimming) over a JSON document. */
#pragma once
#include <jansson.h>

#include "util/error.h"

struct engine_template;

/* Parses text; an unknown function or keyword is an error. */
struct engine_template *engine_template_parse(const char *text, struct vessel_error *err);
void engine_template_free(struct engine_template *t);

/* Renders t over data (malloc'd text). A field data lacks is an error
 * naming it, as docker's "map has no entry for key". */
char *engine_template_render(const struct engine_template *t, json_t *data,
                             struct vessel_error *err);
