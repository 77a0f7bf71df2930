/* Capabilities exactly as the spec's five sets say: nothing filled in
 * implicitly (CVE-2022-29162). */
#pragma once
#include "spec/spec.h"
#include "util/error.h"

/* Highest capability the kernel knows (/proc/sys/kernel/cap_last_cap). */
int caps_last_cap(void);

/* Takes out of c's five sets every capability this process does not hold
 * itself, with a warning naming them: the runtime-spec asks runtimes not to
 * fail on capabilities a restricted host cannot grant (docker's and podman's
 * --privileged ask for all of them; this host's root lacks CAP_SYS_RESOURCE).
 * In the runtime, before the clone: the init holds what we hold. */
void caps_limit_to_own(struct spec_capabilities *c, int last_cap);

/* Drops from the bounding set every capability not in it. Before setuid. */
int caps_apply_bounding(const struct spec_capabilities *c, int last_cap, struct vessel_error *err);

/* Sets effective/permitted/inheritable and raises the ambient set. After
 * setuid (with PR_SET_KEEPCAPS held across it). */
int caps_apply(const struct spec_capabilities *c, int last_cap, struct vessel_error *err);
