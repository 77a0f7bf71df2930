/* /dev of the container: the default nodes every container gets, the spec's
 * linux.devices, and the standard symlinks. Paths are resolved in the root. */
#pragma once
#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/* in_userns: mknod is not allowed, bind the host's nodes instead. */
int devices_create(int rootfd, const struct spec *s, bool in_userns, struct vessel_error *err);
