/* --format of the listing commands (ps, stats, inspect...) and docker's
 * human units. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine/template.h"
#include "util/error.h"

enum cli_format_kind { CLI_FORMAT_TABLE, CLI_FORMAT_JSON, CLI_FORMAT_TEMPLATE };

struct cli_format {
  enum cli_format_kind kind;
  bool header; /* `table TEMPLATE` */
  struct engine_template *t;
};

/* table, json, `table TEMPLATE` or TEMPLATE; a bad template fails here,
 * before anything is printed. */
int cli_format_parse(const char *cmd, const char *s, struct cli_format *f,
                     struct vessel_error *err);
void cli_format_clear(struct cli_format *f);

/* Renders every row (and the header object with `table`) first, then
 * prints: nothing is printed when one fails. */
int cli_format_print(const struct cli_format *f, json_t *header, json_t *const *rows, size_t n,
                     struct vessel_error *err);

void cli_human_duration(long long seconds, char *buf, size_t size);
/* Seconds from an RFC 3339 time to now, -1 when it does not parse. */
long long cli_seconds_since(const char *rfc3339);
/* 1.5MiB (binary) or 1.5MB (decimal). */
void cli_size(double bytes, bool binary, char *buf, size_t size);

/* The inspect commands: doc(ctx, ref) for each ref, all or nothing (a
 * half-printed array is no JSON), printed by cli_print_docs. */
typedef char *(*cli_doc_fn)(void *ctx, const char *ref, struct vessel_error *err);
int cli_inspect_refs(const char *cmd, const char *format, char *const *refs, size_t n,
                     cli_doc_fn doc, void *ctx, struct vessel_error *err);

/* inspect's output: the JSON documents as one array (format NULL or json),
 * or each rendered through the template format, one per line. */
int cli_print_docs(const char *cmd, const char *format, char *const *docs, size_t n,
                   struct vessel_error *err);

/* inspect's flags: -f/--format (stored in *format), --type. 1 when --help
 * was printed, 0 to go on, -1 with err. */
int cli_format_flag(const char *cmd, int argc, char **argv, const char **format,
                    struct vessel_error *err);
