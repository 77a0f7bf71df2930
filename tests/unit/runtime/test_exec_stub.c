/* runtime/exec_stub: when the stub may start a program, and what it does. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/exec_stub.h"
#include "tap.h"

static struct spec_seccomp profile(enum spec_seccomp_action def, struct spec_seccomp_syscall *r,
                                   size_t n)
{
  return (struct spec_seccomp){.default_action = def, .syscalls = r, .n_syscalls = n};
}

static void seccomp_decides(void)
{
  static char *execveat[] = {"execve", "execveat", NULL};
  static char *other[] = {"mkdir", NULL};
  struct spec_seccomp_arg arg = {.index = 4, .value = 0x1000, .op = SPEC_SECCOMP_OP_EQ};
  struct spec_seccomp_syscall allow = {.names = execveat, .action = SPEC_SECCOMP_ALLOW};
  struct spec_seccomp_syscall deny = {.names = execveat, .action = SPEC_SECCOMP_ERRNO};
  struct spec_seccomp_syscall by_arg = {
      .names = execveat, .action = SPEC_SECCOMP_ALLOW, .args = &arg, .n_args = 1};
  struct spec_seccomp_syscall unrelated = {.names = other, .action = SPEC_SECCOMP_ERRNO};
  struct spec_seccomp s;

  CHECK(exec_stub_seccomp_allows(NULL));
  s = profile(SPEC_SECCOMP_ALLOW, &unrelated, 1);
  CHECK(exec_stub_seccomp_allows(&s));
  s = profile(SPEC_SECCOMP_ERRNO, &allow, 1); /* docker's kind: an allow list */
  CHECK(exec_stub_seccomp_allows(&s));
  s = profile(SPEC_SECCOMP_LOG, NULL, 0);
  CHECK(exec_stub_seccomp_allows(&s));
  s = profile(SPEC_SECCOMP_ERRNO, &unrelated, 1);
  CHECK(!exec_stub_seccomp_allows(&s));
  s = profile(SPEC_SECCOMP_ALLOW, &deny, 1);
  CHECK(!exec_stub_seccomp_allows(&s));
  s = profile(SPEC_SECCOMP_ALLOW, &by_arg, 1); /* unsure is no */
  CHECK(!exec_stub_seccomp_allows(&s));
}

/* runs the stub with argv, returns the exit status */
static int run_stub(int fd, char **argv)
{
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    char *env[] = {NULL};
    syscall(SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH);
    _exit(99);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void stub_is_sealed_and_runs_programs(void)
{
  struct vessel_error err = {0};
  int fd = exec_stub_for(NULL, &err);
  CHECK(fd >= 0);
  if (fd < 0)
    return;
  CHECK(exec_stub_for(NULL, &err) == fd); /* made once */
  int seals = fcntl(fd, F_GET_SEALS);
  CHECK(seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL));
  CHECK(write(fd, "x", 1) < 0);
  CHECK(run_stub(fd, (char *[]){"/bin/sh", "sh", "-c", "exit 7", NULL}) == 7);
  CHECK(run_stub(fd, (char *[]){"/nonexistent", "x", NULL}) == 127);
  CHECK(run_stub(fd, (char *[]){"/etc/hostname", "x", NULL}) == 126);
  CHECK(run_stub(fd, (char *[]){NULL}) == 127);
}

TAP_MAIN({"seccomp decides", seccomp_decides},
         {"stub is sealed and runs programs", stub_is_sealed_and_runs_programs})
