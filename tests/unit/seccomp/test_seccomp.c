/* seccomp: profiles built by hand, installed in a forked child that reports
 * what the filter did through its exit status. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp/seccomp.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/log.h"

/* ---- building specs by hand ---- */

#define NAMES(...) ((char *[]){__VA_ARGS__, NULL})
#define ERRNO_RET(e) ((struct opt_u64){.set = true, .v = (e)})

/* exit and exit_group, or _exit would spin on a denied exit_group */
static struct spec_seccomp_syscall allow_exit = {.names = NAMES("exit", "exit_group"),
                                                 .action = SPEC_SECCOMP_ALLOW};

static int build(struct spec_seccomp *s, struct seccomp_program *p)
{
  struct vessel_error err = {0};
  int r = seccomp_program_build(s, p, &err);
  if (r < 0)
    printf("# build: %s\n", err.msg);
  return r;
}

/* Leaves a child whose filter may deny what a sanitizer's _exit path calls
 * (sigaltstack): a plain syscall is not a "noreturn" call ASan hooks. */
static void raw_exit(int code)
{
  for (;;)
    syscall(SYS_exit_group, code);
}

/* Forks a child that sets no_new_privs, installs p and runs fn. Returns the
 * wait status. */
static int run_filtered(const struct seccomp_program *p, int (*fn)(void *), void *arg)
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    struct vessel_error err = {0};
    alarm(30); /* a hung child dies instead of hanging the suite */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      _exit(100);
    int r = seccomp_program_install(p, &err);
    if (r < 0) {
      printf("# install: %s\n", err.msg);
      fflush(stdout);
      _exit(101);
    }
    raw_exit(fn(arg));
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

static bool exited_with(int status, int code)
{
  if (WIFEXITED(status) && WEXITSTATUS(status) == code)
    return true;
  if (WIFEXITED(status))
    printf("#   child exited with %d, wanted %d\n", WEXITSTATUS(status), code);
  else if (WIFSIGNALED(status))
    printf("#   child killed by signal %d, wanted exit %d\n", WTERMSIG(status), code);
  return false;
}

/* The errno of a raw syscall, 0 on success. */
static int sys_errno(long r)
{
  return r < 0 ? errno : 0;
}

/* ---- ERRNO with a custom errno ---- */

static int try_mkdir_and_uname(void *arg)
{
  (void)arg;
  if (sys_errno(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-vessel/x", 0700)) != EACCES)
    return 1;
  struct utsname u;
  if (syscall(SYS_uname, &u) != 0)
    return 2;
  return 0;
}

static void errno_rule_custom_errno(void)
{
  struct spec_seccomp_syscall rules[] = {
      {.names = NAMES("mkdirat", "mkdir"),
       .action = SPEC_SECCOMP_ERRNO,
       .errno_ret = ERRNO_RET(EACCES)},
  };
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ALLOW, .syscalls = rules, .n_syscalls = 1};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(p.len > 0 && p.filter);
  CHECK(!p.notify && p.flags == 0);
  CHECK(exited_with(run_filtered(&p, try_mkdir_and_uname, NULL), 0));
  seccomp_program_free(&p);
}

/* ---- default ERRNO with defaultErrnoRet, and the ENOSYS stub ---- */

static int try_default_errno(void *arg)
{
  (void)arg;
  if (sys_errno(syscall(SYS_getppid)) != EXDEV)
    return 1;
  /* a syscall number above everything the profile names */
  if (sys_errno(syscall(1000)) != ENOSYS)
    return 2;
  return 0;
}

static void default_errno_ret(void)
{
  struct spec_seccomp s = {.default_action = SPEC_SECCOMP_ERRNO,
                           .default_errno_ret = ERRNO_RET(EXDEV),
                           .syscalls = &allow_exit,
                           .n_syscalls = 1};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(exited_with(run_filtered(&p, try_default_errno, NULL), 0));
  seccomp_program_free(&p);
}

static int try_default_eperm(void *arg)
{
  (void)arg;
  return sys_errno(syscall(SYS_getppid)) == EPERM ? 0 : 1;
}

static void default_errno_is_eperm(void)
{
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ERRNO, .syscalls = &allow_exit, .n_syscalls = 1};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(exited_with(run_filtered(&p, try_default_eperm, NULL), 0));
  seccomp_program_free(&p);
}

/* ---- KILL_PROCESS ---- */

static int try_getppid(void *arg)
{
  (void)arg;
  syscall(SYS_getppid);
  return 0;
}

static void kill_process_sends_sigsys(void)
{
  struct spec_seccomp_syscall rules[] = {
      {.names = NAMES("getppid"), .action = SPEC_SECCOMP_KILL_PROCESS}};
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ALLOW, .syscalls = rules, .n_syscalls = 1};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  int status = run_filtered(&p, try_getppid, NULL);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
  seccomp_program_free(&p);
}

/* ---- argument conditions ---- */

static int try_personality(void *arg)
{
  (void)arg;
  /* only the query is allowed */
  if (syscall(SYS_personality, 0xffffffffUL) < 0)
    return 1;
  if (sys_errno(syscall(SYS_personality, (unsigned long)PER_LINUX32)) != EPERM)
    return 2;
  return 0;
}

static void arg_condition_eq(void)
{
  struct spec_seccomp_arg args[] = {{.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = 0xffffffff}};
  struct spec_seccomp_syscall rules[] = {
      allow_exit,
      {.names = NAMES("personality"), .action = SPEC_SECCOMP_ALLOW, .args = args, .n_args = 1},
  };
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ERRNO, .syscalls = rules, .n_syscalls = 2};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(exited_with(run_filtered(&p, try_personality, NULL), 0));
  seccomp_program_free(&p);
}

static int try_personality_or(void *arg)
{
  (void)arg;
  if (syscall(SYS_personality, 0xffffffffUL) < 0)
    return 1;
  if (syscall(SYS_personality, (unsigned long)PER_LINUX) < 0)
    return 2;
  if (sys_errno(syscall(SYS_personality, (unsigned long)PER_LINUX32)) != EPERM)
    return 3;
  return 0;
}

/* Two conditions on arg0 mean "either", as runc reads them. */
static void same_index_conditions_or(void)
{
  struct spec_seccomp_arg args[] = {
      {.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = 0xffffffff},
      {.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = PER_LINUX},
  };
  struct spec_seccomp_syscall rules[] = {
      allow_exit,
      {.names = NAMES("personality"), .action = SPEC_SECCOMP_ALLOW, .args = args, .n_args = 2},
  };
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ERRNO, .syscalls = rules, .n_syscalls = 2};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(exited_with(run_filtered(&p, try_personality_or, NULL), 0));
  seccomp_program_free(&p);
}

static int try_fcntl_and(void *arg)
{
  int fd = *(int *)arg;
  if (syscall(SYS_fcntl, fd, F_GETFD) < 0)
    return 1;
  /* arg1 matches but arg0 does not */
  if (sys_errno(syscall(SYS_fcntl, 1000, F_GETFD)) != EPERM)
    return 2;
  if (sys_errno(syscall(SYS_fcntl, fd, F_GETFL)) != EPERM)
    return 3;
  return 0;
}

/* Conditions on different arguments must all hold. */
static void different_index_conditions_and(void)
{
  _cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  struct spec_seccomp_arg args[] = {
      {.index = 0, .op = SPEC_SECCOMP_OP_EQ, .value = (uint64_t)fd},
      {.index = 1, .op = SPEC_SECCOMP_OP_EQ, .value = F_GETFD},
  };
  struct spec_seccomp_syscall rules[] = {
      allow_exit,
      {.names = NAMES("fcntl"), .action = SPEC_SECCOMP_ALLOW, .args = args, .n_args = 2},
  };
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ERRNO, .syscalls = rules, .n_syscalls = 2};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(exited_with(run_filtered(&p, try_fcntl_and, &fd), 0));
  seccomp_program_free(&p);
}

static int try_masked(void *arg)
{
  (void)arg;
  /* umask: allowed only when the group bits (070) are all clear */
  if (syscall(SYS_umask, 0007) < 0)
    return 1;
  if (syscall(SYS_umask, 0700) < 0)
    return 2;
  if (sys_errno(syscall(SYS_umask, 0022)) != EPERM)
    return 3;
  if (sys_errno(syscall(SYS_umask, 0777)) != EPERM)
    return 4;
  return 0;
}

static void masked_eq(void)
{
  struct spec_seccomp_arg args[] = {
      {.index = 0, .op = SPEC_SECCOMP_OP_MASKED_EQ, .value = 0070, .value_two = 0},
  };
  struct spec_seccomp_syscall rules[] = {
      allow_exit,
      {.names = NAMES("umask"), .action = SPEC_SECCOMP_ALLOW, .args = args, .n_args = 1},
  };
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ERRNO, .syscalls = rules, .n_syscalls = 2};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(exited_with(run_filtered(&p, try_masked, NULL), 0));
  seccomp_program_free(&p);
}

/* ---- names, architectures, flags ---- */

static char logged[4096];
static void capture_log(enum vessel_log_level level, const char *msg, void *data)
{
  (void)level;
  (void)data;
  snprintf(logged, sizeof logged, "%s", msg);
}

static int try_mkdirat_eperm(void *arg)
{
  (void)arg;
  return sys_errno(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-vessel/x", 0700)) == EPERM ? 0 : 1;
}

static void unknown_syscall_skipped(void)
{
  struct spec_seccomp_syscall rules[] = {
      {.names = NAMES("no_such_syscall_vessel", "mkdirat"), .action = SPEC_SECCOMP_ERRNO},
  };
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ALLOW, .syscalls = rules, .n_syscalls = 1};
  struct seccomp_program p = {0};
  logged[0] = '\0';
  vessel_log_set_sink(capture_log, NULL, VESSEL_LOG_WARNING);
  CHECK(build(&s, &p) == 0);
  vessel_log_set_sink(NULL, NULL, VESSEL_LOG_WARNING);
  CHECK(strstr(logged, "`no_such_syscall_vessel`") != NULL);
  /* the known name of the same rule still applies */
  CHECK(exited_with(run_filtered(&p, try_mkdirat_eperm, NULL), 0));
  seccomp_program_free(&p);
}

static void unknown_arch_is_error(void)
{
  struct spec_seccomp s = {.default_action = SPEC_SECCOMP_ALLOW,
                           .architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX")};
  struct seccomp_program p = {0};
  struct vessel_error err = {0};
  CHECK(seccomp_program_build(&s, &p, &err) < 0);
  CHECK(strstr(err.msg, "linux.seccomp.architectures[1]") != NULL);
  CHECK(strstr(err.msg, "`SCMP_ARCH_VAX`") != NULL);
  CHECK(p.filter == NULL);
}

static void bad_errno_ret_names_path(void)
{
  struct spec_seccomp_syscall rules[] = {
      allow_exit,
      {.names = NAMES("mkdirat"), .action = SPEC_SECCOMP_ERRNO, .errno_ret = ERRNO_RET(70000)},
  };
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ALLOW, .syscalls = rules, .n_syscalls = 2};
  struct seccomp_program p = {0};
  struct vessel_error err = {0};
  CHECK(seccomp_program_build(&s, &p, &err) < 0);
  CHECK(strstr(err.msg, "linux.seccomp.syscalls[1].errnoRet") != NULL);

  struct spec_seccomp_arg args[] = {{.index = 6, .op = SPEC_SECCOMP_OP_EQ}};
  struct spec_seccomp_syscall rules2[] = {
      {.names = NAMES("mkdirat"), .action = SPEC_SECCOMP_ERRNO, .args = args, .n_args = 1},
  };
  s.syscalls = rules2;
  s.n_syscalls = 1;
  CHECK(seccomp_program_build(&s, &p, &err) < 0);
  CHECK(strstr(err.msg, "linux.seccomp.syscalls[0].args[0].index") != NULL);
}

/* True when the program compares the arch word with `arch` somewhere. */
static bool program_checks_arch(const struct seccomp_program *p, uint32_t arch)
{
  const struct sock_filter *f = p->filter;
  for (size_t i = 0; i < p->len; i++)
    if (f[i].code == (BPF_JMP | BPF_JEQ | BPF_K) && f[i].k == arch)
      return true;
  return false;
}

#if defined(__x86_64__)
/* personality(0xffffffff) through the i386 entry point: 136 is its i386
 * number, and the filter answers EACCES only if it covers that ABI. */
static long int80_personality(void)
{
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(136L), "b"(0xffffffffL) : "memory");
  return r;
}

static int try_int80(void *arg)
{
  (void)arg;
  return int80_personality() == -EACCES ? 0 : 1;
}

static int probe_int80(void *arg)
{
  (void)arg;
  return int80_personality() >= 0 ? 0 : 1;
}
#endif

static void x86_64_filter_covers_x86(void)
{
#if defined(__x86_64__)
  struct spec_seccomp_syscall rules[] = {
      {.names = NAMES("personality"), .action = SPEC_SECCOMP_ERRNO, .errno_ret = ERRNO_RET(EACCES)},
  };
  /* the profile lists only x86_64 */
  struct spec_seccomp s = {.default_action = SPEC_SECCOMP_ALLOW,
                           .architectures = NAMES("SCMP_ARCH_X86_64"),
                           .syscalls = rules,
                           .n_syscalls = 1};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(program_checks_arch(&p, AUDIT_ARCH_X86_64));
  CHECK(program_checks_arch(&p, AUDIT_ARCH_I386));

  /* behaviour, where the kernel has the i386 entry point enabled */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    _exit(probe_int80(NULL));
  int status;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    CHECK(exited_with(run_filtered(&p, try_int80, NULL), 0));
  else
    printf("# no int 0x80 on this kernel: checked the program only\n");
  seccomp_program_free(&p);
#else
  printf("# not x86_64\n");
#endif
}

static void flag_log_accepted(void)
{
  struct spec_seccomp_syscall rules[] = {
      {.names = NAMES("mkdirat"), .action = SPEC_SECCOMP_ERRNO, .errno_ret = ERRNO_RET(EACCES)}};
  struct spec_seccomp s = {.default_action = SPEC_SECCOMP_ALLOW,
                           .flags = SPEC_SECCOMP_FLAG_LOG | SPEC_SECCOMP_FLAG_SPEC_ALLOW,
                           .syscalls = rules,
                           .n_syscalls = 1};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(p.flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
  CHECK(exited_with(run_filtered(&p, try_mkdir_and_uname, NULL), 0));
  seccomp_program_free(&p);
}

static void install_without_nnp_explains(void)
{
  struct spec_seccomp s = {.default_action = SPEC_SECCOMP_ALLOW};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  fflush(stdout);
  int pipefd[2];
  CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* drop CAP_SYS_ADMIN (and every other capability) by becoming nobody */
    if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
      _exit(2);
    struct vessel_error err = {0};
    int r = seccomp_program_install(&p, &err);
    if (write(pipefd[1], err.msg, strlen(err.msg)) < 0)
      _exit(3);
    _exit(r < 0 && err.code == EACCES ? 0 : 1);
  }
  close(pipefd[1]);
  char msg[VESSEL_ERROR_MAX] = {0};
  ssize_t n = read(pipefd[0], msg, sizeof msg - 1);
  close(pipefd[0]);
  int status;
  waitpid(pid, &status, 0);
  CHECK(exited_with(status, 0));
  CHECK(n > 0 && strstr(msg, "no_new_privs") != NULL);
  seccomp_program_free(&p);
}

/* ---- NOTIFY and the listener ---- */

static void notify_listener_delivered(void)
{
  char dir[] = "/tmp/vessel-test-seccomp.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char sock_path[64];
  snprintf(sock_path, sizeof sock_path, "%s/agent.sock", dir);

  _cleanup_close_ int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path);
  CHECK(bind(srv, (struct sockaddr *)&addr, sizeof addr) == 0);
  CHECK(listen(srv, 1) == 0);

  struct spec_seccomp_syscall rules[] = {
      {.names = NAMES("getppid"), .action = SPEC_SECCOMP_NOTIFY}};
  struct spec_seccomp s = {.default_action = SPEC_SECCOMP_ALLOW,
                           .listener_path = sock_path,
                           .syscalls = rules,
                           .n_syscalls = 1};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(p.notify);

  static const char state[] = "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":1,"
                              "\"state\":{\"id\":\"c1\",\"status\":\"creating\"}}";
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(20);
    struct vessel_error err = {0};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      _exit(100);
    int fd = seccomp_program_install(&p, &err);
    if (fd <= 0)
      _exit(101);
    if (seccomp_send_listener(sock_path, fd, state, &err) < 0) {
      printf("# send: %s\n", err.msg);
      fflush(stdout);
      _exit(102);
    }
    close(fd);
    /* the agent answers 4242 */
    raw_exit(syscall(SYS_getppid) == 4242 ? 0 : 1);
  }

  _cleanup_close_ int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
  CHECK(conn >= 0);
  char buf[512] = {0};
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.b,
                       .msg_controllen = sizeof control.b};
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  CHECK(n == (ssize_t)strlen(state));
  CHECK_STR(buf, state);
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  _cleanup_close_ int listener = -1;
  CHECK(cmsg && cmsg->cmsg_type == SCM_RIGHTS);
  if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
    memcpy(&listener, CMSG_DATA(cmsg), sizeof listener);

  if (listener >= 0) {
    struct seccomp_notif req = {0};
    CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
    CHECK(req.pid == (uint32_t)pid);
    struct seccomp_notif_resp resp = {.id = req.id, .val = 4242};
    CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
  } else {
    kill(pid, SIGKILL);
  }
  int status;
  waitpid(pid, &status, 0);
  CHECK(exited_with(status, 0));
  seccomp_program_free(&p);
  unlink(sock_path);
  rmdir(dir);
}

static void notify_on_write_or_default_refused(void)
{
  struct spec_seccomp_syscall rules[] = {
      {.names = NAMES("read", "write"), .action = SPEC_SECCOMP_NOTIFY}};
  struct spec_seccomp s = {
      .default_action = SPEC_SECCOMP_ALLOW, .syscalls = rules, .n_syscalls = 1};
  struct seccomp_program p = {0};
  struct vessel_error err = {0};
  CHECK(seccomp_program_build(&s, &p, &err) < 0);
  CHECK(strstr(err.msg, "linux.seccomp.syscalls[0].names[1]") != NULL);
  struct spec_seccomp d = {.default_action = SPEC_SECCOMP_NOTIFY};
  CHECK(seccomp_program_build(&d, &p, &err) < 0);
  CHECK(strstr(err.msg, "defaultAction") != NULL);
}

static int expect_listener(void *arg)
{
  return *(int *)arg > 0 ? 0 : 1;
}

/* TSYNC next to a listener needs TSYNC_ESRCH, or the kernel would return a
 * thread id where the listener belongs; WAIT_KILLABLE_RECV needs a listener. */
static void tsync_and_killable_with_notify(void)
{
  struct spec_seccomp_syscall rules[] = {
      {.names = NAMES("getppid"), .action = SPEC_SECCOMP_NOTIFY}};
  struct spec_seccomp s = {.default_action = SPEC_SECCOMP_ALLOW,
                           .flags = SPEC_SECCOMP_FLAG_TSYNC | SPEC_SECCOMP_FLAG_WAIT_KILLABLE_RECV,
                           .syscalls = rules,
                           .n_syscalls = 1};
  struct seccomp_program p = {0};
  CHECK(build(&s, &p) == 0);
  CHECK(p.notify);
  CHECK(p.flags == (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct vessel_error err = {0};
    alarm(30);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      _exit(100);
    int fd = seccomp_program_install(&p, &err);
    if (fd < 0) {
      printf("# install: %s\n", err.msg);
      fflush(stdout);
    }
    raw_exit(expect_listener(&fd));
  }
  int status;
  waitpid(pid, &status, 0);
  CHECK(exited_with(status, 0));
  seccomp_program_free(&p);

  struct spec_seccomp no_listener = {.default_action = SPEC_SECCOMP_ALLOW,
                                     .flags = SPEC_SECCOMP_FLAG_WAIT_KILLABLE_RECV};
  struct vessel_error err = {0};
  CHECK(seccomp_program_build(&no_listener, &p, &err) < 0);
  CHECK(strstr(err.msg, "linux.seccomp.flags") != NULL);
}

/* ---- feature tables ---- */

static bool strv_has(const char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}

static void feature_tables(void)
{
  CHECK(strv_has(seccomp_known_actions, "SCMP_ACT_NOTIFY"));
  CHECK(strv_has(seccomp_known_actions, "SCMP_ACT_KILL_PROCESS"));
  CHECK(strv_has(seccomp_known_operators, "SCMP_CMP_MASKED_EQ"));
  CHECK(strv_has(seccomp_known_flags, "SECCOMP_FILTER_FLAG_LOG"));
  _cleanup_strv_ char **archs = seccomp_known_archs();
  CHECK(archs != NULL);
  CHECK(strv_has((const char *const *)archs, "SCMP_ARCH_X86_64"));
  CHECK(strv_has((const char *const *)archs, "SCMP_ARCH_AARCH64"));
  CHECK(!strv_has((const char *const *)archs, "SCMP_ARCH_SHEB")); /* unknown to 2.5.4 */
}

TAP_MAIN(T(errno_rule_custom_errno), T(default_errno_ret), T(default_errno_is_eperm),
         T(kill_process_sends_sigsys), T(arg_condition_eq), T(same_index_conditions_or),
         T(different_index_conditions_and), T(masked_eq), T(unknown_syscall_skipped),
         T(unknown_arch_is_error), T(bad_errno_ret_names_path), T(x86_64_filter_covers_x86),
         T(flag_log_accepted), T(install_without_nnp_explains), T(notify_listener_delivered),
         T(notify_on_write_or_default_refused), T(tsync_and_killable_with_notify),
         T(feature_tables))
