/* Capabilities exactly as the spec's five sets say: nothing filled in
 * implicitly (CVE-2022-29162). */
#pragma once
#include "spec/spec.h"
#include "util/error.h"

/* Highest capability the kernel knows (/proc/sys/kernel/cap_last_cap). */
int caps_last_cap(void);

/* Drops from the bounding set every capability not in it. Before setuid. */
int caps_apply_bounding(const struct spec_capabilities *c, int last_cap, struct vessel_error *err);

/* Sets effective/permitted/inheritable and raises the ambient set. After
 * setuid (with PR_SET_KEEPCAPS held across it). */
int caps_apply(const struct spec_capabilities *c, int last_cap, struct vessel_error *err);
