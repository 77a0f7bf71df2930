/* seccomp with a docker-like default profile (~350 names, allow-list, deny
 * with EPERM): the cost of compiling it, paid on every container start, and
 * the per-arch programs chained into one giving libseccomp's own verdicts. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp/seccomp-internal.h"
#include "seccomp/seccomp.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/log.h"

/* The unconditional allow-list of docker's default profile, plus names
 * libseccomp 2.5.4 does not know yet (skipped with a warning). */
/* clang-format off */
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
    "process_vm_writev", "ptrace", "mseal", "listmount", "statmount", "socket", "clone", "clone3", "personality", NULL,
};
/* clang-format on */

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
  rules[2] = (struct spec_seccomp_syscall){
      .names = clone_name, .action = SPEC_SECCOMP_ALLOW, .args = clone_args, .n_args = 1};
  rules[3] = (struct spec_seccomp_syscall){
      .names = socket_name, .action = SPEC_SECCOMP_ALLOW, .args = socket_args, .n_args = 1};
  /* enough rules for the binary-tree layout, as with docker's ~40 entries */
  for (size_t i = 4; i < 40; i++)
    rules[i] = (struct spec_seccomp_syscall){.names = getpid_name, .action = SPEC_SECCOMP_ALLOW};
  return (struct spec_seccomp){
      .default_action = SPEC_SECCOMP_ERRNO,
      .default_errno_ret = {.set = true, .v = EPERM},
      .architectures = arches,
      .syscalls = rules,
      .n_syscalls = 40,
  };
}

static void print_log(enum vessel_log_level level, const char *msg, void *data)
{
  printf("# log: %s\n", msg);
}

static void build_time_docker_profile(void)
{
  struct spec_seccomp_syscall rules[40];
  struct spec_seccomp s = docker_like(rules);
  size_t names = 0;
  for (char **n = allowed; *n; n++)
    names++;
  /* one warning per build for the names libseccomp does not know */
  vessel_log_set_sink(print_log, NULL, VESSEL_LOG_WARNING);
  struct seccomp_program once = {0};
  struct vessel_error e0 = {0};
  CHECK(seccomp_program_build(&s, &once, &e0) == 0);
  seccomp_program_free(&once);
  vessel_log_set_sink(NULL, NULL, VESSEL_LOG_WARNING);

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

/* ---- the chained program against one libseccomp filter ---- */

/* A classic BPF interpreter for what libseccomp emits. *ok = false on an
 * instruction it does not know or a fall off the end. */
static uint32_t bpf_run(const struct sock_filter *f, size_t n, const struct seccomp_data *d,
                        bool *ok)
{
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
  for (size_t pc = 0; pc < n; pc++) {
    const struct sock_filter *i = &f[pc];
    uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
    switch (BPF_CLASS(i->code)) {
    case BPF_LD:
      if (i->code == (BPF_LD | BPF_W | BPF_ABS) && i->k + 4 <= sizeof *d)
        memcpy(&a, (const char *)d + i->k, 4);
      else if (i->code == (BPF_LD | BPF_IMM))
        a = i->k;
      else if (i->code == (BPF_LD | BPF_MEM) && i->k < BPF_MEMWORDS)
        a = mem[i->k];
      else
        goto bad;
      break;
    case BPF_LDX:
      if (i->code == (BPF_LDX | BPF_IMM))
        x = i->k;
      else if (i->code == (BPF_LDX | BPF_MEM) && i->k < BPF_MEMWORDS)
        x = mem[i->k];
      else
        goto bad;
      break;
    case BPF_ST:
    case BPF_STX:
      if (i->k >= BPF_MEMWORDS)
        goto bad;
      mem[i->k] = BPF_CLASS(i->code) == BPF_ST ? a : x;
      break;
    case BPF_ALU:
      switch (BPF_OP(i->code)) {
      case BPF_AND:
        a &= src;
        break;
      case BPF_OR:
        a |= src;
        break;
      case BPF_ADD:
        a += src;
        break;
      case BPF_SUB:
        a -= src;
        break;
      case BPF_RSH:
        a = src < 32 ? a >> src : 0;
        break;
      case BPF_LSH:
        a = src < 32 ? a << src : 0;
        break;
      case BPF_NEG:
        a = -a;
        break;
      default:
        goto bad;
      }
      break;
    case BPF_JMP:
      switch (BPF_OP(i->code)) {
      case BPF_JA:
        pc += i->k;
        break;
      case BPF_JEQ:
        pc += a == src ? i->jt : i->jf;
        break;
      case BPF_JGT:
        pc += a > src ? i->jt : i->jf;
        break;
      case BPF_JGE:
        pc += a >= src ? i->jt : i->jf;
        break;
      case BPF_JSET:
        pc += (a & src) ? i->jt : i->jf;
        break;
      default:
        goto bad;
      }
      break;
    case BPF_RET:
      return BPF_RVAL(i->code) == BPF_A ? a : i->k;
    case BPF_MISC:
      if (BPF_MISCOP(i->code) == BPF_TAX)
        x = a;
      else
        a = x;
      break;
    default:
      goto bad;
    }
  }
bad:
  *ok = false;
  return 0;
}

/* The same profile as one multi-arch libseccomp filter, the reference. */
static int reference_program(const struct spec_seccomp *s, struct sock_filter **out, size_t *n)
{
  static const enum scmp_compare ops[] = {
      [SPEC_SECCOMP_OP_NE] = SCMP_CMP_NE,
      [SPEC_SECCOMP_OP_LT] = SCMP_CMP_LT,
      [SPEC_SECCOMP_OP_LE] = SCMP_CMP_LE,
      [SPEC_SECCOMP_OP_EQ] = SCMP_CMP_EQ,
      [SPEC_SECCOMP_OP_GE] = SCMP_CMP_GE,
      [SPEC_SECCOMP_OP_GT] = SCMP_CMP_GT,
      [SPEC_SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
  };
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  seccomp_arch_add(ctx, SCMP_ARCH_X86);
  seccomp_arch_add(ctx, SCMP_ARCH_X32);
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (size_t i = 0; i < s->n_syscalls; i++) {
    const struct spec_seccomp_syscall *sc = &s->syscalls[i];
    for (char **name = sc->names; *name; name++) {
      int nr = seccomp_syscall_resolve_name(*name);
      if (nr == __NR_SCMP_ERROR)
        continue;
      /* every conditional rule of this profile tests one argument */
      if (sc->n_args == 0)
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
      for (size_t j = 0; j < sc->n_args; j++) {
        struct scmp_arg_cmp c = {sc->args[j].index, ops[sc->args[j].op], sc->args[j].value,
                                 sc->args[j].value_two};
        seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &c);
      }
    }
  }
  int fd = memfd_create("ref", MFD_CLOEXEC);
  int r = seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  off_t size = lseek(fd, 0, SEEK_END);
  *out = malloc((size_t)size);
  *n = (size_t)size / sizeof **out;
  if (r < 0 || !*out || pread(fd, *out, (size_t)size, 0) != size)
    r = -1;
  close(fd);
  return r;
}

static void chained_program_matches_libseccomp(void)
{
  struct spec_seccomp_syscall rules[40];
  struct spec_seccomp s = docker_like(rules);
  struct seccomp_program p = {0};
  struct vessel_error err = {0};
  CHECK(seccomp_program_build(&s, &p, &err) == 0);
  _cleanup_free_ struct sock_filter *ref = NULL;
  size_t n_ref = 0;
  CHECK(reference_program(&s, &ref, &n_ref) == 0);

  /* our program = ENOSYS stub + chained per-arch programs */
  uint32_t tokens[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
  struct sock_filter stub[SECCOMP_STUB_MAX];
  int n_stub = seccomp_enosys_stub(&s, tokens, 3, stub, SECCOMP_STUB_MAX, &err);
  CHECK(n_stub > 0 && (size_t)n_stub < p.len);
  if (n_stub <= 0 || !ref || !p.filter)
    return;
  const struct sock_filter *body = (const struct sock_filter *)p.filter + n_stub;
  size_t n_body = p.len - (size_t)n_stub;
  printf("# chained %zu instructions, one libseccomp filter %zu\n", n_body, n_ref);

  static const uint32_t audit[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64};
  static const uint64_t arg0[] = {0, 8, 0xffffffff, 2114060288, 40, 0x10000};
  size_t compared = 0, mismatches = 0;
  for (size_t a = 0; a < ARRAY_SIZE(audit); a++)
    for (uint32_t base = 0; base <= 0x40000000; base += 0x40000000)
      for (uint32_t nr = base; nr < base + 600; nr++)
        for (size_t v = 0; v < ARRAY_SIZE(arg0); v++) {
          struct seccomp_data d = {.nr = (int)nr, .arch = audit[a], .args = {arg0[v], 1, 2}};
          bool ok = true;
          uint32_t want = bpf_run(ref, n_ref, &d, &ok);
          uint32_t got = bpf_run(body, n_body, &d, &ok);
          CHECK(ok);
          compared++;
          if (want != got && mismatches++ < 5)
            printf("#   arch %#x nr %#x arg0 %#llx: libseccomp %#x, chained %#x\n", audit[a], nr,
                   (unsigned long long)arg0[v], want, got);
          if (!ok)
            return;
        }
  CHECK(mismatches == 0);
  printf("# %zu inputs compared\n", compared);
  seccomp_program_free(&p);
}

TAP_MAIN(T(build_time_docker_profile), T(chained_program_matches_libseccomp))
