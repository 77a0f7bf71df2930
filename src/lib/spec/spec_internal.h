/* Private to the spec module: the section parsers and their destructors.
 * Every fill function writes into a zeroed struct as it goes, so after an
 * error the matching clear function frees whatever was made. */
#pragma once
#include <jansson.h>

#include "spec/spec.h"
#include "spec_json.h"

int spec_process_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                      struct spec_process *out);
int spec_linux_fill(struct jctx *c, const json_t *v, const struct jpath *p, struct spec_linux *out);
int spec_resources_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                        struct spec_resources *out);
int spec_seccomp_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                      struct spec_seccomp *out);
/* An array of {containerID, hostID, size}. */
int spec_id_mappings_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                          struct spec_id_mapping **out, size_t *n);

void spec_process_clear(struct spec_process *p);
void spec_linux_clear(struct spec_linux *l);
void spec_resources_clear(struct spec_resources *r);
void spec_seccomp_free(struct spec_seccomp *s);
void spec_mount_clear(struct spec_mount *m);
void spec_kv_free(struct spec_kv *kv, size_t n);

/* A mount destination made absolute and cleaned lexically: no empty, `.` or
 * `..` components (`..` stops at `/`), no trailing slash. NULL on ENOMEM. */
char *spec_path_clean(const char *path);

/* A CPU list as in cpuset.cpus: "0-3,7". An empty string is valid. */
bool spec_cpu_list_valid(const char *s);
