/* seccomp: the cost of compiling a docker-like default profile (~350 names,
 * allow-list, deny with EPERM), paid on every container start. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp/seccomp.h"
#include "tap.h"

/* The unconditional allow-list of docker's default profile, plus names
 * libseccomp 2.5.4 does not know yet (skipped with a warning). */
static char *allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat",
    "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
    "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
    "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
    "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
    "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
    "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
    "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32",
    "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
    "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
    "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
    "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
    "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
    "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
    "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
    "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
    "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
    "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
    "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
    "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek",
    "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
    "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
    "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
    "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
    "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
    "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
    "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2",
    "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
    "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
    "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
    "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
    "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
    "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
    "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
    "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
    "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget",
    "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
    "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx",
    "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
    "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
    "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
    "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
    "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
    "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4",
    "waitid", "waitpid", "write", "writev", "arch_prctl", "modify_ldt", "process_vm_readv",
    "process_vm_writev", "ptrace", "socket", "clone", "clone3", "personality", NULL,
};

#define ITERATIONS 20

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* docker splits its profile in one rule per name group; one big rule plus a
 * few conditional ones costs libseccomp the same per name. */
static struct spec_seccomp_arg personality_args[] = {
    {.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = 0x0},
    {.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = 0x0008},
    {.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = 0x20000},
    {.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = 0x20008},
    {.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = 0xffffffff},
};
static struct spec_seccomp_arg clone_args[] = {
    {.index = 0, .op = SPEC_SECCOMP_OP_MASKED_EQ, .value = 2114060288, .value_two = 0},
};
static struct spec_seccomp_arg socket_args[] = {
    {.index = 0, .op = SPEC_SECCOMP_OP_NE, .value = 40},
};

static char *personality_name[] = {"personality", NULL};
static char *clone_name[] = {"clone", NULL};
static char *socket_name[] = {"socket", NULL};
static char *getpid_name[] = {"getpid", NULL};
static char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};

static struct spec_seccomp docker_like(struct spec_seccomp_syscall *rules)
{
  /* the conditional names come out of the plain allow-list */
  size_t n = 0;
  while (allowed[n] && strcmp(allowed[n], "socket") != 0)
    n++;
  allowed[n] = NULL;
  rules[0] = (struct spec_seccomp_syscall){.names = allowed, .action = SPEC_SECCOMP_ALLOW};
  rules[1] = (struct spec_seccomp_syscall){.names = personality_name,
                                           .action = SPEC_SECCOMP_ALLOW,
                                           .args = personality_args,
                                           .n_args = 5};
  rules[2] = (struct spec_seccomp_syscall){.names = clone_name,
                                           .action = SPEC_SECCOMP_ALLOW,
                                           .args = clone_args,
                                           .n_args = 1};
  rules[3] = (struct spec_seccomp_syscall){.names = socket_name,
                                           .action = SPEC_SECCOMP_ALLOW,
                                           .args = socket_args,
                                           .n_args = 1};
  /* enough rules for the binary-tree layout, as with docker's ~40 entries */
  for (size_t i = 4; i < 40; i++)
    rules[i] = (struct spec_seccomp_syscall){.names = getpid_name,
                                             .action = SPEC_SECCOMP_ALLOW};
  return (struct spec_seccomp){
      .default_action = SPEC_SECCOMP_ERRNO,
      .default_errno_ret = {.set = true, .v = EPERM},
      .architectures = arches,
      .syscalls = rules,
      .n_syscalls = 40,
  };
}

static void build_time_docker_profile(void)
{
  struct spec_seccomp_syscall rules[40];
  struct spec_seccomp s = docker_like(rules);
  size_t names = 0;
  for (char **n = allowed; *n; n++)
    names++;
  double min = 1e9, total = 0;
  struct seccomp_program p = {0};
  for (int i = 0; i < ITERATIONS; i++) {
    struct vessel_error err = {0};
    double t0 = now_ms();
    int r = seccomp_program_build(&s, &p, &err);
    double dt = now_ms() - t0;
    CHECK(r == 0);
    if (r < 0) {
      printf("# %s\n", err.msg);
      return;
    }
    total += dt;
    if (dt < min)
      min = dt;
    if (i + 1 < ITERATIONS)
      seccomp_program_free(&p);
  }
  printf("# seccomp_program_build, %zu names, 3 arches: min %.2f ms, mean %.2f ms, %zu BPF "
         "instructions\n",
         names + 3, min, total / ITERATIONS, p.len);
  /* generous: a build costing more than this is a regression worth a look */
  CHECK(min < 200.0);

  /* and the compiled profile behaves: allowed, denied, newer than the profile */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct vessel_error err = {0};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_program_install(&p, &err) < 0)
      _exit(100);
    if (syscall(SYS_getppid) < 0)
      _exit(1);
    if (syscall(SYS_syslog, 10, NULL, 0) >= 0 || errno != EPERM)
      _exit(2);
    if (syscall(1000) >= 0 || errno != ENOSYS)
      _exit(3);
    if (syscall(SYS_personality, 0xffffffffUL) < 0)
      _exit(4);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    printf("#   child exited with %d\n", WEXITSTATUS(status));
  seccomp_program_free(&p);
}

TAP_MAIN(T(build_time_docker_profile))
