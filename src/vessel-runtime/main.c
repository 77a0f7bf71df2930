/* vessel-runtime: an OCI runtime with runc's command line. main() parses the
 * global flags, sets up logging, and dispatches to one command. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/selfclone.h"
#include "util/log.h"

#define VESSEL_VERSION "0.1.0"

static const struct cli_command commands[] = {
    {"spec", cmd_spec, "create a new specification file",
     "  -b, --bundle DIR   where to write config.json (default: current dir)\n"
     "      --rootless     a spec for a rootless container (user namespace)\n"},
    {"create", cmd_create, "create a container",
     "  -b, --bundle DIR          the bundle holding config.json (default: current dir)\n"
     "      --pid-file FILE       write the container's pid to FILE\n"
     "      --console-socket SOCK send the pty master to this unix socket\n"
     "      --no-pivot            chroot instead of pivot_root (for initramfs)\n"
     "      --no-new-keyring      keep the caller's session keyring\n"
     "      --preserve-fds N      pass N extra fds (3..3+N-1) to the container\n"},
    {"run", cmd_run, "create and start a container",
     "  -b, --bundle DIR          the bundle holding config.json (default: current dir)\n"
     "  -d, --detach              return once the container is started\n"
     "      --keep                keep the container after it exits (foreground)\n"
     "      --pid-file FILE       write the container's pid to FILE\n"
     "      --console-socket SOCK send the pty master to this unix socket\n"
     "      --no-pivot            chroot instead of pivot_root\n"
     "      --no-new-keyring      keep the caller's session keyring\n"
     "      --preserve-fds N      pass N extra fds to the container\n"},
    {"start", cmd_start, "start a created container", ""},
    {"state", cmd_state, "print the state of a container as JSON", ""},
    {"kill", cmd_kill, "send a signal (default SIGTERM) to a container's init",
     "  -a, --all   send the signal to every process of the container\n"},
    {"delete", cmd_delete, "delete a container and its resources",
     "  -f, --force   kill the container first if it is running\n"},
    {"pause", cmd_pause, "freeze every process of a container", ""},
    {"resume", cmd_resume, "thaw a paused container", ""},
    {"exec", cmd_exec, "run a new process inside a container",
     "  -p, --process FILE        the process as a runtime-spec JSON object\n"
     "  -t, --tty                 allocate a pty (needs --console-socket)\n"
     "      --console-socket SOCK send the pty master to this unix socket\n"
     "  -d, --detach              do not wait for the process\n"
     "      --pid-file FILE       write the process's pid to FILE\n"
     "  -e, --env KEY=VALUE       set an environment variable (repeatable)\n"
     "      --cwd DIR             working directory\n"
     "  -u, --user UID[:GID]      user to run as\n"
     "  -g, --additional-gids GID supplementary group (repeatable)\n"
     "  -c, --cap CAP             add a capability (repeatable)\n"
     "      --no-new-privs        set no_new_privs\n"
     "      --apparmor PROFILE    apparmor profile\n"
     "      --process-label LABEL selinux label\n"
     "      --preserve-fds N      pass N extra fds to the process\n"},
    {"list", cmd_list, "list containers",
     "  -f, --format table|json   output format (default table)\n"
     "  -q, --quiet               print only the ids\n"},
    {"ps", cmd_ps, "list the processes of a container",
     "  -f, --format table|json   output format (default table); ps(1) options may follow the "
     "id\n"},
    {"update", cmd_update, "update a container's resource limits",
     "  -r, --resources FILE      linux.resources JSON (\"-\" for stdin)\n"
     "      --memory BYTES, --memory-reservation BYTES, --memory-swap BYTES\n"
     "      --cpu-shares N, --cpu-quota N, --cpu-period N, --cpu-rt-runtime N,\n"
     "      --cpu-rt-period N, --cpuset-cpus LIST, --cpuset-mems LIST\n"
     "      --pids-limit N, --blkio-weight N\n"},
    {"features", cmd_features, "print the features this runtime supports (JSON)", ""},
};

void cli_print_help(const char *name)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) != 0)
      continue;
    bool takes_id = strcmp(name, "spec") && strcmp(name, "list") && strcmp(name, "features");
    printf("usage: vessel-runtime [global options] %s [options]%s\n\n%s\n", name,
           !takes_id                   ? ""
           : strcmp(name, "exec") == 0 ? " ID [COMMAND [ARG...]]"
           : strcmp(name, "kill") == 0 ? " ID [SIGNAL]"
                                       : " ID",
           commands[i].summary);
    if (commands[i].usage[0])
      printf("\noptions:\n%s", commands[i].usage);
    printf("  -h, --help                show this help\n");
    return;
  }
}

static void usage(FILE *f)
{
  fprintf(f, "usage: vessel-runtime [global options] COMMAND [options] [ARGS]\n\n"
             "An OCI runtime with runc's command line.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nglobal options:\n"
             "  --root DIR               state directory (default /run/vessel-runtime)\n"
             "  --log FILE               also write log messages to FILE\n"
             "  --log-format text|json   format of the --log file (default text)\n"
             "  --debug                  log debug messages\n"
             "  --systemd-cgroup         use systemd's cgroup driver (needs systemd)\n"
             "  -v, --version            print the version\n"
             "  -h, --help               show this help\n");
}

struct log_target {
  FILE *file;
  bool json;
};

static void json_escape(FILE *f, const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
}

static void log_sink(enum vessel_log_level level, const char *msg, void *data)
{
  static const char *const names[] = {"error", "warning", "info", "debug"};
  struct log_target *t = data;
  char ts[64];
  time_t now = time(NULL);
  struct tm tm;
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
  if (t->file) {
    if (t->json) {
      fprintf(t->file, "{\"level\":\"%s\",\"msg\":\"", names[level]);
      json_escape(t->file, msg);
      fprintf(t->file, "\",\"time\":\"%s\"}\n", ts);
    } else {
      fprintf(t->file, "time=\"%s\" level=%s msg=\"%s\"\n", ts, names[level], msg);
    }
    fflush(t->file);
  }
  /* stderr is what a person or podman reads; with a log file, runc keeps
   * only errors there */
  if (!t->file || level == VESSEL_LOG_ERROR)
    fprintf(stderr, "vessel-runtime: %s%s\n", level == VESSEL_LOG_WARNING ? "warning: " : "", msg);
}

/* A runtime started with stdin, stdout or stderr closed would hand its own
 * next files out as those numbers, and they would become the container's
 * stdio: hold them with /dev/null first. */
static void ensure_stdio(void)
{
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
      _exit(1);
}

int main(int argc, char **argv)
{
  ensure_stdio();
  struct cli cli = {.ctx = {.state_root = "/run/vessel-runtime"}, .argv0 = argv[0]};
  struct log_target target = {0};
  const char *log_path = NULL, *log_format = "text";
  bool debug = false;
  static const struct option opts[] = {
      {"root", required_argument, NULL, 'r'},
      {"log", required_argument, NULL, 'l'},
      {"log-format", required_argument, NULL, 'f'},
      {"debug", no_argument, NULL, 'd'},
      {"systemd-cgroup", no_argument, NULL, 's'},
      {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {"criu", required_argument, NULL, 'c'},
      {"rootless", required_argument, NULL, 'R'},
      {NULL, 0, NULL, 0},
  };
  opterr = 0;
  int c;
  while ((c = getopt_long_only(argc, argv, "+hv", opts, NULL)) != -1) {
    switch (c) {
    case 'r':
      cli.ctx.state_root = optarg;
      break;
    case 'l':
      log_path = optarg;
      break;
    case 'f':
      log_format = optarg;
      break;
    case 'd':
      debug = true;
      break;
    case 's':
      cli.ctx.systemd_cgroup = true;
      break;
    case 'c':
    case 'R':
      break; /* accepted for runc compatibility, unused */
    case 'v':
      printf("vessel-runtime version %s\nspec: %s\n", VESSEL_VERSION, SPEC_OCI_VERSION);
      return 0;
    case 'h':
      usage(stdout);
      return 0;
    default:
      fprintf(stderr, "vessel-runtime: unknown global option `%s`\n", argv[optind - 1]);
      return 1;
    }
  }
  if (strcmp(log_format, "text") && strcmp(log_format, "json")) {
    fprintf(stderr, "vessel-runtime: --log-format must be text or json, not `%s`\n", log_format);
    return 1;
  }
  if (log_path) {
    target.file = fopen(log_path, "ae");
    if (!target.file) {
      fprintf(stderr, "vessel-runtime: open log `%s`: %s\n", log_path, strerror(errno));
      return 1;
    }
    target.json = strcmp(log_format, "json") == 0;
  }
  vessel_log_set_sink(log_sink, &target, debug ? VESSEL_LOG_DEBUG : VESSEL_LOG_WARNING);
  if (optind >= argc) {
    usage(stderr);
    return 1;
  }
  int cmd_index = optind;
  const char *name = argv[cmd_index];
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) != 0)
      continue;
    struct vessel_error err = {0};
    optind = 0; /* full getopt reset for the command's own flags */
    int r = commands[i].fn(&cli, argc - cmd_index, argv + cmd_index, &err);
    /* a container process the exec stub cannot start (a seccomp profile
     * without execveat): again, from a sealed copy of this binary */
    if (r < 0)
      selfclone_retry(argv, &err);
    if (r < 0) {
      log_error("%s", err.msg);
      return 1;
    }
    return r;
  }
  log_error("unknown command `%s` (see vessel-runtime --help)", name);
  return 1;
}
