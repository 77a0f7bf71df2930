/* ps's flags beyond -a and -q: --filter, --format TEMPLATE, -n, -l,
 * --no-trunc. */
#pragma once
#include <stdbool.h>

#include "cli.h"
#include "cli_format.h"
#include "engine/filter.h"

struct ps_opts {
  struct engine_filters *filters;
  struct cli_format format;
  long long last; /* -n, -1 when not given */
  bool no_trunc;
};

/* One of ps's flags (getopt's c and optarg). */
int ps_option(struct cli *cli, int c, const char *arg, struct ps_opts *po,
              struct vessel_error *err);
void ps_opts_clear(struct ps_opts *po);

/* Keeps in v (oldest first) what ps shows: running ones unless all, those
 * the filters match, the newest `last`. */
void ps_select(struct engine *e, const struct ps_opts *po, struct engine_container *v, size_t *n,
               bool all);

int ps_print_template(struct engine *e, const struct ps_opts *po, const struct engine_container *v,
                      size_t n, struct vessel_error *err);
