/* vessel's command line: docker's verbs over libvessel's engine. Each verb is
 * one function in the table of main.c; only main() prints a fatal error and
 * picks the exit code. */
#pragma once
#include <stdbool.h>

#include "engine/engine.h"
#include "util/error.h"

#define CLI_EXIT_FAILED 125

struct cli {
  const char *root;
  const char *runroot;
  char **argv;           /* the whole command line, for the re-exec of run */
  struct engine *engine; /* opened on first use */
};

/* A command returns the process exit code; on failure it fills err and
 * returns -1 (main prints err and exits 125). */
typedef int (*cli_command_fn)(struct cli *cli, int argc, char **argv, struct vessel_error *err);

struct cli_command {
  const char *name;
  cli_command_fn fn;
  const char *args; /* positional arguments for the usage line */
  const char *summary;
  const char *usage; /* options text for --help */
};

int cmd_run(struct cli *, int, char **, struct vessel_error *);
int cmd_ps(struct cli *, int, char **, struct vessel_error *);
int cmd_rm(struct cli *, int, char **, struct vessel_error *);
int cmd_logs(struct cli *, int, char **, struct vessel_error *);
int cmd_inspect(struct cli *, int, char **, struct vessel_error *);
int cmd_import(struct cli *, int, char **, struct vessel_error *);
int cmd_images(struct cli *, int, char **, struct vessel_error *);
int cmd_rmi(struct cli *, int, char **, struct vessel_error *);
int cmd_tag(struct cli *, int, char **, struct vessel_error *);
int cmd_image(struct cli *, int, char **, struct vessel_error *);
int cmd_image_inspect(struct cli *, int, char **, struct vessel_error *);
int cmd_start(struct cli *, int, char **, struct vessel_error *);
int cmd_stop(struct cli *, int, char **, struct vessel_error *);
int cmd_restart(struct cli *, int, char **, struct vessel_error *);
int cmd_kill(struct cli *, int, char **, struct vessel_error *);
int cmd_wait(struct cli *, int, char **, struct vessel_error *);
int cmd_pause(struct cli *, int, char **, struct vessel_error *);
int cmd_unpause(struct cli *, int, char **, struct vessel_error *);
int cmd_rename(struct cli *, int, char **, struct vessel_error *);
int cmd_exec(struct cli *, int, char **, struct vessel_error *);
int cmd_top(struct cli *, int, char **, struct vessel_error *);
int cmd_container(struct cli *, int, char **, struct vessel_error *);
int cmd_container_prune(struct cli *, int, char **, struct vessel_error *);
int cmd_version(struct cli *, int, char **, struct vessel_error *);
int cmd_save(struct cli *, int, char **, struct vessel_error *);
int cmd_load(struct cli *, int, char **, struct vessel_error *);
int cmd_export(struct cli *, int, char **, struct vessel_error *);
int cmd_image_prune(struct cli *, int, char **, struct vessel_error *);
int cmd_volume(struct cli *, int, char **, struct vessel_error *);

/* create, stats, cp, port, info, system (df, prune) */
int cmd_create(struct cli *, int, char **, struct vessel_error *);
int cmd_stats(struct cli *, int, char **, struct vessel_error *);
int cmd_cp(struct cli *, int, char **, struct vessel_error *);
int cmd_port(struct cli *, int, char **, struct vessel_error *);
int cmd_info(struct cli *, int, char **, struct vessel_error *);
int cmd_system(struct cli *, int, char **, struct vessel_error *);
int cmd_system_df(struct cli *, int, char **, struct vessel_error *);
int cmd_system_prune(struct cli *, int, char **, struct vessel_error *);
extern const char cli_version[]; /* "0.1.0" */

/* A command made of subcommands (container, image, volume, system): argv[1]
 * names one of verbs; --help lists them. */
struct cli_verb {
  const char *verb;
  cli_command_fn fn;
};
int cli_dispatch(struct cli *cli, const char *group, const struct cli_verb *verbs, size_t n,
                 int argc, char **argv, struct vessel_error *err);

/* The prune commands' parts: docker's question (WARNING! ... [y/N] on
 * stderr, true on a y), its "Deleted Containers:" list (nothing when names
 * is empty), and the ids of the images containers use (strv, NULL on error). */
bool cli_confirm(const char *warning);
void cli_print_deleted(const char *title, const char *prefix, char *const *names);
char **cli_images_in_use(struct engine *e, struct vessel_error *err);

/* Commands on several objects go on past a failure, as docker's: the one
 * before is reported now, the last kept in err for main() to print. */
void cli_note_failure(int *ret, struct vessel_error *err, const struct vessel_error *one);

/* Prints the help of a command ("image import" for subcommands). */
void cli_print_help(const char *name);

#define CLI_HELP 0x100
/* getopt_long over a command's argv. shortopts start with ':' (a missing
 * value reported): flags may then follow the positionals, as docker's
 * (`vessel logs web -f`); with "+:" they stop at the first positional, for
 * the commands whose trailing words are a command of the container's (run,
 * create, exec). --help prints the help and returns CLI_HELP; a bad flag
 * fills err and returns '?'. */
struct option;
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts, struct vessel_error *err);

/* A command without flags of its own: 1 when --help was printed, 0 to go on,
 * -1 (err filled) on a flag. */
int cli_no_flags(const char *cmd, int argc, char **argv, struct vessel_error *err);

/* The engine, opened on first use with the global --root and --runroot. */
struct engine *cli_engine(struct cli *cli, struct vessel_error *err);

/* Writes s as a JSON string body (no quotes) to stdout. */
void cli_json_escape(const char *s);

/* The flags of a listing (images, volume ls): -q and --format table|json.
 * 1 when --help was printed, 0 to go on, -1 (err filled) on a bad flag or an
 * argument. */
int cli_list_flags(const char *cmd, int argc, char **argv, bool *quiet, bool *json,
                   struct vessel_error *err);

/* The flags of the prune commands: -f/--force, and -a/--all and --volumes
 * where the command takes them (non-NULL). 1 when --help was printed, 0 to
 * go on, -1 (err filled) on a bad flag or an argument. */
int cli_prune_flags(const char *cmd, int argc, char **argv, bool *force, bool *all, bool *volumes,
                    struct vessel_error *err);

/* --format table|json. */
int cli_parse_format(const char *cmd, const char *s, bool *json, struct vessel_error *err);

enum {
  CLI_OPT_LOG_OPT = 0x300,
  CLI_OPT_RESTART,
  CLI_OPT_HEALTH_CMD,
  CLI_OPT_HEALTH_INTERVAL,
  CLI_OPT_HEALTH_TIMEOUT,
  CLI_OPT_HEALTH_RETRIES,
  CLI_OPT_HEALTH_START_PERIOD,
  CLI_OPT_NO_HEALTHCHECK,
};
/* run's monitor flags (cmd_run_monitor.c): -t -i --log-opt --restart
 * --health-*; c is the getopt value (a short letter or the OPT_ above). */
int cli_run_monitor_opt(int c, const char *arg, struct engine_run_opts *o,
                        struct vessel_error *err);
/* After the flags: conflicts, and stdin from /dev/null without -i. */
int cli_run_monitor_check(struct engine_run_opts *o, bool detach, struct vessel_error *err);

/* docker's STATUS of a container (cli_status.c): "Up 3 seconds (healthy)",
 * "Exited (0) 2 minutes ago", "Restarting (1) 1 second ago"... */
const char *cli_status_text(const struct engine_container *c, char *buf, size_t size);
