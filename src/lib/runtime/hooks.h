/* OCI hooks: each gets the container state JSON on stdin and is killed when
 * it outlives its timeout. */
#pragma once
#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

/* Runs the hooks of one kind in order; stops at the first failure. */
int hooks_run(const struct spec_hooks *h, enum spec_hook_kind kind, const char *state_json,
              struct vessel_error *err);

/* Runs them all and only warns on failure (poststart, poststop). */
void hooks_run_warn(const struct spec_hooks *h, enum spec_hook_kind kind, const char *state_json);
