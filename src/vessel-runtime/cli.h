/* vessel-runtime's command line: runc's commands and flags over libvessel's
 * runtime. Each command is one function in the table of main.c. */
#pragma once
#include <stdbool.h>

#include "runtime/runtime.h"
#include "util/error.h"

struct cli {
  struct runtime_ctx ctx;
  const char *argv0;
};

/* A command returns the process exit code; on failure it fills err and
 * returns -1 (main prints err and exits 1). */
typedef int (*cli_command_fn)(struct cli *cli, int argc, char **argv, struct vessel_error *err);

struct cli_command {
  const char *name;
  cli_command_fn fn;
  const char *summary;
  const char *usage; /* options text for --help */
};

int cmd_spec(struct cli *, int, char **, struct vessel_error *);
int cmd_create(struct cli *, int, char **, struct vessel_error *);
int cmd_run(struct cli *, int, char **, struct vessel_error *);
int cmd_start(struct cli *, int, char **, struct vessel_error *);
int cmd_state(struct cli *, int, char **, struct vessel_error *);
int cmd_kill(struct cli *, int, char **, struct vessel_error *);
int cmd_delete(struct cli *, int, char **, struct vessel_error *);
int cmd_pause(struct cli *, int, char **, struct vessel_error *);
int cmd_resume(struct cli *, int, char **, struct vessel_error *);
int cmd_exec(struct cli *, int, char **, struct vessel_error *);
int cmd_list(struct cli *, int, char **, struct vessel_error *);
int cmd_ps(struct cli *, int, char **, struct vessel_error *);
int cmd_update(struct cli *, int, char **, struct vessel_error *);
int cmd_features(struct cli *, int, char **, struct vessel_error *);

/* Prints the help of the named command to stdout. */
void cli_print_help(const char *name);

/* getopt_long_only over a command's argv with --help handled: returns the
 * option, -1 at the end, '?' (err set) on a bad flag, 'h' after printing
 * help. */
struct option;
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts, struct vessel_error *err);

/* The single positional container id after the flags. */
int cli_one_id(const char *cmd, int argc, char **argv, const char **id, struct vessel_error *err);

/* Reads a whole file, or stdin for "-". */
int cli_read_input(const char *path, char **out, size_t *len, struct vessel_error *err);
