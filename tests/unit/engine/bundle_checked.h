/* A bundle's config.json as the engine makes it, checked on the way: the
 * runtime's parser must take it both as text and as the parsed object the
 * engine hands it in-process. */
#pragma once
#include <jansson.h>

#include "engine/internal.h"

json_t *bundle_checked(const struct bundle_input *in, struct vessel_error *err);
