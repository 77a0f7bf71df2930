/* vessel: a daemonless container engine with docker's command line. main()
 * parses the global flags, sets up logging and dispatches to one command. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/selfclone.h"
#include "util/log.h"

#define VESSEL_VERSION "0.1.0"
const char cli_version[] = VESSEL_VERSION;

static const struct cli_command commands[] = {
    {"run", cmd_run, "IMAGE [COMMAND [ARG...]]", "run a command in a new container",
     "  -d, --detach              run in the background and print the id\n"
     "      --rm                  remove the container when it exits\n"
     "      --name NAME           name the container (default vessel_<n>)\n"
     "  -e, --env KEY=VALUE       set an environment variable (repeatable; KEY alone\n"
     "                            passes the caller's value)\n"
     "  -w, --workdir DIR         working directory inside the container\n"
     "  -u, --user UID[:GID]      user (and group) to run as; names from the image\n"
     "      --entrypoint CMD      replace the image's entrypoint (\"\" clears it)\n"
     "  -h, --hostname NAME       the container's host name (default: short id; the\n"
     "                            host's with --network host)\n"
     "      --network none|host   a new empty network namespace (default) or the host's\n"
     "  -v, --volume SRC:DST[:ro] bind mount a host directory or file\n"
     "      --read-only           mount the root file system read-only\n"
     "      --cap-add CAP         add a capability (repeatable, ALL for all)\n"
     "      --cap-drop CAP        drop a capability (repeatable, ALL for all)\n"
     "  -m, --memory BYTES        memory limit (suffix b, k, m, g)\n"
     "      --pids-limit N        limit on the number of processes\n"
     "      --security-opt seccomp=unconfined  no seccomp filter (default: the\n"
     "                            default profile, an allow-list)\n"
     /* run flags of mounts, volumes, resources and security (run_flags.c) */
     "      --security-opt seccomp=FILE  a docker seccomp profile instead\n"
     "      --security-opt no-new-privileges[=true|false]  no privilege gain on exec\n"
     "  -v, --volume NAME:DST[:ro[,nocopy]]  a named volume, made when missing and\n"
     "                            filled from the image (not with nocopy); -v DST alone:\n"
     "                            an anonymous volume, removed by rm -v and --rm\n"
     "      --mount type=bind|volume|tmpfs,source=..,target=..[,readonly][,tmpfs-size=..]\n"
     "                            [,tmpfs-mode=..]  a mount, docker's keys\n"
     "      --tmpfs DST[:OPTS]    a tmpfs (OPTS: size=, mode=, exec, ro, ...)\n"
     "      --env-file FILE       KEY=VALUE lines (# comments; KEY alone: the caller's)\n"
     "      --label KEY=VALUE     a label (repeatable); --label-file FILE: from lines\n"
     "      --stop-signal SIGNAL  the signal of vessel stop (default the image's or TERM)\n"
     "      --stop-timeout SECONDS  vessel stop's wait before SIGKILL without -t (10)\n"
     "      --memory-swap BYTES   memory plus swap limit (-1: unlimited swap)\n"
     "      --memory-reservation BYTES  soft memory limit\n"
     "      --cpus N              CPU quota in CPUs (such as 1.5)\n"
     "      --cpu-shares N        relative CPU weight (default 1024)\n"
     "      --cpu-quota US, --cpu-period US  CFS quota and period in microseconds\n"
     "      --cpuset-cpus LIST, --cpuset-mems LIST  CPUs and memory nodes (0-3,7)\n"
     "      --ulimit NAME=SOFT[:HARD]  a resource limit (nofile, nproc, core, ...)\n"
     "      --shm-size BYTES      size of /dev/shm (default 64m)\n"
     "      --sysctl KEY=VALUE    a namespaced sysctl (net.*, kernel.shm*, fs.mqueue.*)\n"
     "      --device HOST[:CONTAINER[:rwm]]  a host device node in the container\n"
     "      --privileged          every capability and device, no seccomp, no masked paths\n"
     "      --init                run tini as pid 1: it reaps zombies, forwards signals\n"
     "  -i, --interactive         keep stdin open (default: /dev/null)\n"
     "  -t, --tty                 give the container a terminal (raw mode and window\n"
     "                            size of ours in the foreground; logged when detached)\n"
     "      --log-opt KEY=VALUE   json-file log rotation: max-size=SIZE, max-file=N\n"
     "      --restart POLICY      no (default), on-failure[:N], always, unless-stopped\n"
     "      --health-cmd CMD      health check, run as `sh -c CMD` in the container\n"
     "      --health-interval D   time between checks (default 30s)\n"
     "      --health-timeout D    time a check may take (default 30s)\n"
     "      --health-retries N    failures in a row that make it unhealthy (default 3)\n"
     "      --health-start-period D  failures in this first period do not count (0s)\n"
     "      --no-healthcheck      no health check\n"},
    {"ps", cmd_ps, "", "list containers",
     "  -a, --all                 show every container (default: only running)\n"
     "  -q, --quiet               print only the ids\n"
     "      --format table|json   output format (default table)\n"
     "      --format TEMPLATE     a Go template ({{.ID}} {{.Names}} {{.Status}} ...;\n"
     "                            `table TEMPLATE` adds a header and aligns columns)\n"
     "  -f, --filter KEY=VALUE    id, name, status, exited, label, ancestor (repeatable)\n"
     "  -n, --last N              the N newest containers, in any state\n"
     "  -l, --latest              the newest container, in any state\n"
     "      --no-trunc            full ids and commands\n"},
    {"rm", cmd_rm, "CONTAINER...", "remove containers",
     "  -f, --force               kill a running container first\n"
     "  -v, --volumes             remove its anonymous volumes too\n"},
    {"start", cmd_start, "CONTAINER...", "start stopped containers",
     "  -a, --attach              run in the foreground with its output, exit with its code\n"},
    {"stop", cmd_stop, "CONTAINER...", "stop running containers",
     "  -t, --time SECONDS        wait this long after the stop signal before SIGKILL\n"
     "                            (default 10)\n"},
    {"restart", cmd_restart, "CONTAINER...", "stop, then start containers",
     "  -t, --time SECONDS        wait this long after the stop signal before SIGKILL\n"
     "                            (default 10)\n"},
    {"kill", cmd_kill, "CONTAINER...", "send a signal to running containers",
     "  -s, --signal SIGNAL       the signal, by name or number (default KILL)\n"},
    {"wait", cmd_wait, "CONTAINER...", "wait for containers to stop, print their exit codes", ""},
    {"pause", cmd_pause, "CONTAINER...", "freeze every process of containers", ""},
    {"unpause", cmd_unpause, "CONTAINER...", "thaw paused containers", ""},
    {"exec", cmd_exec, "CONTAINER COMMAND [ARG...]", "run a command in a running container",
     "  -i, --interactive         keep stdin open (default: /dev/null)\n"
     "  -t, --tty                 run it in a terminal relayed to ours\n"
     "  -d, --detach              run in the background\n"
     "  -e, --env KEY=VALUE       set an environment variable (repeatable)\n"
     "  -u, --user USER[:GROUP]   user (and group) to run as, names from the container\n"
     "  -w, --workdir DIR         working directory inside the container\n"},
    {"top", cmd_top, "CONTAINER", "list the processes of a container", ""},
    {"rename", cmd_rename, "OLD NEW", "rename a container", ""},
    {"container", cmd_container, "COMMAND", "manage containers (see vessel container --help)", ""},
    {"container prune", cmd_container_prune, "", "remove every container that is not running",
     "  -f, --force               do not ask for confirmation\n"},
    {"logs", cmd_logs, "CONTAINER", "print the output of a container",
     "  -f, --follow              wait for more output until the container stops\n"
     "  -n, --tail N|all          only the last N lines (default all)\n"
     "      --since TIME          only lines since TIME (RFC 3339, unix seconds, or a\n"
     "                            duration such as 10m before now)\n"
     "  -t, --timestamps          print each line's time first\n"},
    {"inspect", cmd_inspect, "CONTAINER...", "print containers as a JSON array",
     "  -f, --format TEMPLATE     a Go template for each container ({{.State.Status}},\n"
     "                            {{json .Config}}, {{index .Config.Labels \"k\"}} ...)\n"},
    {"import", cmd_import, "TARBALL NAME", "import a root file system tarball as an image",
     "  -c, --change INSTR        apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV,\n"
     "                            WORKDIR, USER, LABEL, STOPSIGNAL; repeatable)\n"},
    {"images", cmd_images, "", "list images",
     "  -q, --quiet               print only the image ids\n"
     "      --format table|json   output format (default table)\n"},
    {"rmi", cmd_rmi, "IMAGE...", "remove image names (and images no name is left on)", ""},
    {"tag", cmd_tag, "SOURCE TARGET", "give an image another name", ""},
    {"image", cmd_image, "COMMAND", "manage images: import, ls, rm, tag, inspect", ""},
    {"image inspect", cmd_image_inspect, "IMAGE...", "print images as a JSON array",
     "  -f, --format TEMPLATE     a Go template for each image ({{.Id}} ...)\n"},
    {"save", cmd_save, "IMAGE...", "write images to a tar archive (stdout by default)",
     "  -o, --output FILE         write to FILE instead of stdout\n"
     "      --format FORMAT       docker-archive (default) or oci-archive\n"},
    {"load", cmd_load, "", "load images from a docker-archive or oci-archive",
     "  -i, --input FILE          read from FILE instead of stdin\n"
     "  -q, --quiet               print nothing\n"},
    {"export", cmd_export, "CONTAINER", "write a container's file system as a tar archive",
     "  -o, --output FILE         write to FILE instead of stdout\n"},
    {"image prune", cmd_image_prune, "", "remove images without a name no container uses",
     "  -a, --all                 every image no container uses, named or not\n"
     "  -f, --force               do not ask for confirmation\n"},
    {"version", cmd_version, "", "print the version", ""},
    /* volumes (cmd_volume.c) */
    {"volume", cmd_volume, "COMMAND", "manage volumes: create, ls, inspect, rm, prune", ""},
    {"volume create", cmd_volume, "[NAME]", "create a volume (a random name without NAME)",
     "      --label KEY=VALUE     a label (repeatable)\n"
     "  -d, --driver local        the driver (only local)\n"},
    {"volume ls", cmd_volume, "", "list volumes",
     "  -q, --quiet               print only the names\n"
     "      --format table|json   output format (default table)\n"},
    {"volume inspect", cmd_volume, "VOLUME...", "print volumes as a JSON array", ""},
    {"volume rm", cmd_volume, "VOLUME...", "remove volumes no container uses",
     "  -f, --force               no error for a volume that does not exist\n"},
    {"volume prune", cmd_volume, "", "remove unused anonymous volumes",
     "  -a, --all                 every unused volume, named ones too\n"
     "  -f, --force               do not ask for confirmation\n"},
    /* create (with run's options), stats, cp, port, info, system */
    {"create", cmd_create, "IMAGE [COMMAND [ARG...]]",
     "create a container without starting it (vessel start runs it)", NULL},
    {"stats", cmd_stats, "[CONTAINER...]", "show containers' CPU, memory, network and I/O use",
     "  -a, --all                 every container (default: the running ones)\n"
     "      --no-stream           print one sample and exit (the default when not on a\n"
     "                            terminal; on one, the table is refreshed every second)\n"
     "      --no-trunc            full container ids\n"
     "      --format FORMAT       table (default), json (one object a line) or a Go\n"
     "                            template ({{.Name}} {{.CPUPerc}} {{.MemUsage}} ...)\n"},
    {"cp", cmd_cp, "SRC DST",
     "copy files between a container (CONTAINER:PATH) and the host (- for a tar stream)",
     "  -a, --archive             keep owners (default: root in the container, the\n"
     "                            caller on the host) and setuid/setgid bits of files\n"
     "                            copied out; modes and times are always kept\n"
     "  -L, --follow-link         a SRC that is a link: copy what it names (inside the\n"
     "                            container's root), under the link's name\n"},
    {"port", cmd_port, "CONTAINER [PRIVATE_PORT[/PROTO]]",
     "list a container's published ports (none: bridge networks come later)", ""},
    {"info", cmd_info, "", "show the engine's configuration and counts",
     "  -f, --format FORMAT       table (default), json or a Go template ({{.NCPU}})\n"},
    {"system", cmd_system, "COMMAND", "manage the engine: df, prune, info", ""},
    {"system df", cmd_system_df, "", "show the disk use of images, containers and volumes",
     "  -f, --format FORMAT       table (default), json (one object a line) or a template\n"},
    {"system prune", cmd_system_prune, "", "remove stopped containers and dangling images",
     "  -a, --all                 every image no container uses, not only dangling ones\n"
     "      --volumes             also the anonymous volumes no container uses\n"
     "  -f, --force               do not ask for confirmation\n"},
};

void cli_print_help(const char *name)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) != 0)
      continue;
    printf("usage: vessel [global options] %s [options]%s%s\n\n%s\n", name,
           commands[i].args[0] ? " " : "", commands[i].args, commands[i].summary);
    const char *opts = commands[i].usage;
    if (!opts) /* create: the options of run, the first entry */
      opts = commands[0].usage;
    if (opts[0])
      printf("\noptions:\n%s", opts);
    printf("      --help                show this help\n");
    return;
  }
}

static void usage(FILE *f)
{
  fprintf(f, "usage: vessel [global options] COMMAND [options] [ARGS]\n\n"
             "A daemonless container engine.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
  fprintf(f,
          "\nglobal options:\n"
          "  --root DIR               persistent state (default /var/lib/vessel, env VESSEL_ROOT)\n"
          "  --runroot DIR            runtime state (default /run/vessel, env VESSEL_RUNROOT)\n"
          "  --log-level LEVEL        error, warning (default), info or debug\n"
          "  -v, --version            print the version\n"
          "  -h, --help               show this help\n");
}

static void log_sink(enum vessel_log_level level, const char *msg, void *data)
{
  (void)data;
  fprintf(stderr, "vessel: %s%s\n", level == VESSEL_LOG_WARNING ? "warning: " : "", msg);
}

static int parse_level(const char *s, enum vessel_log_level *out)
{
  static const char *const names[] = {"error", "warning", "info", "debug"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = (enum vessel_log_level)i;
      return 0;
    }
  return -1;
}

int cmd_version(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  int flags = cli_no_flags("version", argc, argv, err);
  if (flags != 0)
    return flags > 0 ? 0 : -1;
  printf("vessel version %s\n", VESSEL_VERSION);
  return 0;
}

/* Our path, for the monitor program beside us and its health probes: the
 * re-exec of selfclone_ensure hides it from /proc/self/exe. */
static void export_self_path(void)
{
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 1 || getenv("VESSEL_EXE"))
    return;
  exe[n] = '\0';
  setenv("VESSEL_EXE", exe, 0);
}

int main(int argc, char **argv)
{
  const char *env_root = getenv("VESSEL_ROOT"), *env_runroot = getenv("VESSEL_RUNROOT");
  struct cli cli = {
      .root = env_root && env_root[0] ? env_root : "/var/lib/vessel",
      .runroot = env_runroot && env_runroot[0] ? env_runroot : "/run/vessel",
      .argv = argv,
  };
  enum vessel_log_level level = VESSEL_LOG_WARNING;
  static const struct option opts[] = {
      {"root", required_argument, NULL, 'r'},
      {"runroot", required_argument, NULL, 'R'},
      {"log-level", required_argument, NULL, 'l'},
      {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  vessel_log_set_sink(log_sink, NULL, level);
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
    switch (c) {
    case 'r':
      cli.root = optarg;
      break;
    case 'R':
      cli.runroot = optarg;
      break;
    case 'l':
      if (parse_level(optarg, &level) < 0) {
        fprintf(stderr, "vessel: --log-level must be error, warning, info or debug, not `%s`\n",
                optarg);
        return CLI_EXIT_FAILED;
      }
      break;
    case 'v':
      printf("vessel version %s\n", VESSEL_VERSION);
      return 0;
    case 'h':
      usage(stdout);
      return 0;
    default:
      fprintf(stderr, "vessel: unknown global option `%s` (see vessel --help)\n", argv[optind - 1]);
      return CLI_EXIT_FAILED;
    }
  }
  vessel_log_set_sink(log_sink, NULL, level);
  if (optind >= argc) {
    usage(stderr);
    return CLI_EXIT_FAILED;
  }
  int cmd_index = optind;
  const char *name = argv[cmd_index];
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) != 0)
      continue;
    struct vessel_error err = {0};
    export_self_path();
    optind = 0; /* full getopt reset for the command's own flags */
    int r = commands[i].fn(&cli, argc - cmd_index, argv + cmd_index, &err);
    if (cli.engine)
      engine_close(cli.engine);
    /* a container process the exec stub cannot start (a seccomp profile
     * without execveat) failed before anything was made: again, from a
     * sealed copy of this binary */
    if (r < 0)
      selfclone_retry(argv, &err);
    if (r < 0) {
      log_error("%s", err.msg);
      return CLI_EXIT_FAILED;
    }
    return r;
  }
  log_error("unknown command `%s` (see vessel --help)", name);
  return CLI_EXIT_FAILED;
}
