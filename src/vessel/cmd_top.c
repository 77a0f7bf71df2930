/* vessel top: the container's processes as `ps -ef` shows them, read from
 * /proc for the pids the runtime gives. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"

struct proc_row {
  unsigned uid;
  int ppid;
  unsigned long long start_ticks, cpu_ticks;
  char cmd[512];
};

/* /proc/<pid>/stat after the comm field: state ppid ... utime(14) stime(15)
 * ... starttime(22), counting from 1 as proc(5) does */
static int read_stat(pid_t pid, struct proc_row *row)
{
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p)
    return -1;
  unsigned long long utime = 0, stime = 0;
  int field = 2;
  for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
    field++;
    if (field == 4)
      row->ppid = (int)strtol(tok, NULL, 10);
    else if (field == 14)
      utime = strtoull(tok, NULL, 10);
    else if (field == 15)
      stime = strtoull(tok, NULL, 10);
    else if (field == 22) {
      row->start_ticks = strtoull(tok, NULL, 10);
      break;
    }
  }
  row->cpu_ticks = utime + stime;
  return 0;
}

static void read_uid(pid_t pid, struct proc_row *row)
{
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f)
    return;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Uid: %u", &row->uid) == 1)
      break;
  fclose(f);
}

static void read_cmd(pid_t pid, struct proc_row *row)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, row->cmd, sizeof row->cmd - 1);
  if (n <= 0) {
    snprintf(row->cmd, sizeof row->cmd, "[?]");
    return;
  }
  row->cmd[n] = '\0';
  for (ssize_t i = 0; i < n; i++)
    if (row->cmd[i] == '\0' && i < n - 1)
      row->cmd[i] = ' ';
}

static double boot_time(void)
{
  struct timespec now, up;
  clock_gettime(CLOCK_REALTIME, &now);
  clock_gettime(CLOCK_BOOTTIME, &up);
  return (double)(now.tv_sec - up.tv_sec) + (double)(now.tv_nsec - up.tv_nsec) / 1e9;
}

int cmd_top(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  int flags = cli_no_flags("top", argc, argv, err);
  if (flags != 0)
    return flags > 0 ? 0 : -1;
  if (argc - optind != 1)
    return vessel_error_set(err, 0, "top: needs one container name or id");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (engine_pids(e, argv[optind], &pids, &n, err) < 0)
    return -1;
  long hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0)
    hz = 100;
  double boot = boot_time();
  printf("%-10s %-8s %-8s %-3s %-6s %-6s %-9s %s\n", "UID", "PID", "PPID", "C", "STIME", "TTY",
         "TIME", "CMD");
  for (size_t i = 0; i < n; i++) {
    struct proc_row row = {0};
    if (read_stat(pids[i], &row) < 0)
      continue; /* it ended meanwhile */
    read_uid(pids[i], &row);
    read_cmd(pids[i], &row);
    char user[32], stime[16];
    /* the host's user names mean nothing in the container: root or a number */
    if (row.uid == 0)
      snprintf(user, sizeof user, "root");
    else
      snprintf(user, sizeof user, "%u", row.uid);
    time_t started = (time_t)(boot + (double)row.start_ticks / (double)hz);
    struct tm tm;
    localtime_r(&started, &tm);
    strftime(stime, sizeof stime, "%H:%M", &tm);
    unsigned long long secs = row.cpu_ticks / (unsigned long long)hz;
    printf("%-10s %-8d %-8d %-3d %-6s %-6s %02llu:%02llu:%02llu  %s\n", user, (int)pids[i],
           row.ppid, 0, stime, "?", secs / 3600, secs / 60 % 60, secs % 60, row.cmd);
  }
  return 0;
}
