/* The sealed memfd copy of the exec stub, and when it can be used. */
#include "exec_stub.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/selfclone.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: asked for where vm.memfd_noexec is set */
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int make_stub(void)
{
  int fd = memfd_create("vessel-exec-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("vessel-exec-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return -1;
  size_t done = 0;
  while (done < exec_stub_image_size) {
    ssize_t n = write(fd, exec_stub_image + done, exec_stub_image_size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      goto fail;
    done += (size_t)n;
  }
  if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
    goto fail;
  return fd;
fail:
  close(fd);
  return -1;
}

/* made at most once: a memfd that failed once fails again */
static int stub_fd(void)
{
  static int fd = -2;
  if (fd == -2)
    fd = exec_stub_image_size ? make_stub() : -1;
  return fd;
}

static bool names(char *const *list, const char *name)
{
  for (size_t i = 0; list && list[i]; i++)
    if (strcmp(list[i], name) == 0)
      return true;
  return false;
}

static bool lets_through(enum spec_seccomp_action a)
{
  return a == SPEC_SECCOMP_ALLOW || a == SPEC_SECCOMP_LOG;
}

bool exec_stub_seccomp_allows(const struct spec_seccomp *s)
{
  if (!s)
    return true;
  bool named = false;
  for (size_t i = 0; i < s->n_syscalls; i++) {
    const struct spec_seccomp_syscall *r = &s->syscalls[i];
    if (!names(r->names, "execveat"))
      continue;
    /* a rule on its arguments: whether ours pass is not worth guessing */
    if (r->n_args || !lets_through(r->action))
      return false;
    named = true;
  }
  return named || lets_through(s->default_action);
}

int exec_stub_for(const struct spec_seccomp *s, struct vessel_error *err)
{
  int fd = stub_fd();
  if (fd >= 0 && exec_stub_seccomp_allows(s))
    return fd;
  if (selfclone_protected())
    return -1;
  vessel_error_set(err, 0,
                   fd < 0 ? "no memfd for the exec stub: the runtime must run from a sealed copy"
                          : "the seccomp profile does not allow execveat, which starts the "
                            "container's program: the runtime must run from a sealed copy");
  err->code = SELFCLONE_NEEDED;
  return -2;
}
