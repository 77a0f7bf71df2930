/* Idmapped mounts (runtime-spec mounts[].uidMappings/gidMappings, options
 * idmap/ridmap): the mapping lives in a user namespace that the runtime makes
 * on the host, and the init hands to mount_setattr(MOUNT_ATTR_IDMAP). */
#pragma once
#include "spec/spec.h"
#include "util/error.h"

/* An fd of a new user namespace with these mappings (made by a short-lived
 * child that the runtime maps and then kills). */
int idmap_userns_fd(const struct spec_id_mapping *uid, size_t n_uid,
                    const struct spec_id_mapping *gid, size_t n_gid, struct vessel_error *err);

/* For every idmapped mount of s, the user namespace fd it needs (the mount's
 * own mappings, else the container's); fds[i] is -1 for other mounts.
 * *fds is malloc'd with s->n_mounts entries, or NULL when there is none. */
int idmap_prepare(const struct spec *s, int **fds, struct vessel_error *err);
void idmap_release(int *fds, size_t n);
