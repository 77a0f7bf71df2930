/* The exec stub: the last program a container process runs before its own.
 *
 * vessel runs it from a sealed memfd (exec_stub.c), so that at the moment the
 * container's program is executed, /proc/self/exe names that sealed copy and
 * never the vessel binary on the host: a container whose program is
 * `#!/proc/self/exe` then re-executes only this stub (CVE-2019-5736). Before,
 * vessel re-executed its whole self from a read-only mount on every start;
 * that exec with glibc's start-up cost ~0.4 ms of a 4.6 ms `run` here, this
 * one ~0.05 ms.
 *
 * Freestanding (no libc, no relocations): argv is PATH ARG0 ARG1 ..., and it
 * runs execve(PATH, ARG0..., envp). When that fails it says why on stderr and
 * exits 127 (not found) or 126, as a shell would. */
#include <asm/unistd.h>
#include <errno.h>

#if defined(__x86_64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call stub_main\n"
        "  hlt\n");

static long sys3(long n, long a, long b, long c)
{
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  mov x0, sp\n"
        "  bl stub_main\n"
        "  brk #0\n");

static long sys3(long n, long a, long b, long c)
{
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#else
#error "no exec stub for this architecture"
#endif

void stub_main(long *sp) __attribute__((noreturn, used));

static unsigned long length(const char *s)
{
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

static void say(const char *s)
{
  sys3(__NR_write, 2, (long)s, (long)length(s));
}

/* the words runc and crun use, which dockerd and podman match on */
static const char *reason(long e)
{
  switch (e) {
  case ENOENT:
    return "no such file or directory";
  case EACCES:
    return "permission denied";
  case ENOEXEC:
    return "exec format error";
  case E2BIG:
    return "argument list too long";
  case ENOMEM:
    return "cannot allocate memory";
  case ETXTBSY:
    return "text file busy";
  case ELOOP:
    return "too many levels of symbolic links";
  case EPERM:
    return "operation not permitted";
  default:
    return "exec failed";
  }
}

void stub_main(long *sp)
{
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  long e = argc < 2 ? ENOENT : -sys3(__NR_execve, (long)argv[0], (long)(argv + 1), (long)envp);
  say("exec ");
  say(argc < 2 ? "(nothing)" : argv[1]);
  say(": ");
  say(reason(e));
  say("\n");
  sys3(__NR_exit_group, e == ENOENT ? 127 : 126, 0, 0);
  for (;;)
    ;
}
