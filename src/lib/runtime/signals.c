/* Signal names as kill(1), runc and docker accept them. */
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"
#include "util/fs.h"

static const struct {
  const char *name;
  int sig;
} signal_table[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int runtime_signal_parse(const char *s)
{
  unsigned long long n;
  if (parse_u64(s, &n) == 0)
    return n >= 1 && n <= 64 ? (int)n : -1;
  if (strncasecmp(s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof signal_table / sizeof signal_table[0]; i++)
    if (strcasecmp(s, signal_table[i].name) == 0)
      return signal_table[i].sig;
  /* RTMIN+n / RTMAX-n */
  if (strncasecmp(s, "RTMIN", 5) == 0) {
    if (!s[5])
      return SIGRTMIN;
    if (s[5] == '+' && parse_u64(s + 6, &n) == 0 && SIGRTMIN + (int)n <= SIGRTMAX)
      return SIGRTMIN + (int)n;
  }
  if (strncasecmp(s, "RTMAX", 5) == 0) {
    if (!s[5])
      return SIGRTMAX;
    if (s[5] == '-' && parse_u64(s + 6, &n) == 0 && SIGRTMAX - (int)n >= SIGRTMIN)
      return SIGRTMAX - (int)n;
  }
  return -1;
}
