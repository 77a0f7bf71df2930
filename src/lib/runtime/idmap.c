/* User namespaces for idmapped mounts. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static int write_map(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                     struct vessel_error *err)
{
  char buf[4096];
  size_t off = 0;
  for (size_t i = 0; i < n && off < sizeof buf; i++)
    off += (size_t)snprintf(buf + off, sizeof buf - off, "%u %u %u\n", m[i].container_id,
                            m[i].host_id, m[i].size);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  return fs_write_fileat(AT_FDCWD, path, buf, off, err);
}

int idmap_userns_fd(const struct spec_id_mapping *uid, size_t n_uid,
                    const struct spec_id_mapping *gid, size_t n_gid, struct vessel_error *err)
{
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return vessel_error_set(err, errno, "idmapped mount: pipe");
  /* the child only waits to be mapped and killed: its user namespace
   * outlives it through the fd we open */
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    char b;
    close(pipefd[1]);
    (void)!read(pipefd[0], &b, 1);
    _exit(0);
  }
  close(pipefd[0]);
  int r = -1;
  if (pid < 0) {
    vessel_error_set(err, errno, "idmapped mount: clone a user namespace");
    goto out;
  }
  if (write_map(pid, "uid_map", uid, n_uid, err) < 0 ||
      write_map(pid, "gid_map", gid, n_gid, err) < 0) {
    vessel_error_prefix(err, "idmapped mount");
    goto out;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  r = open(path, O_RDONLY | O_CLOEXEC);
  if (r < 0)
    vessel_error_set(err, errno, "idmapped mount: open `%s`", path);
out:
  close(pipefd[1]);
  if (pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  return r;
}

void idmap_release(int *fds, size_t n)
{
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(fds);
}

int idmap_prepare(const struct spec *s, int **out, struct vessel_error *err)
{
  *out = NULL;
  size_t wanted = 0;
  for (size_t i = 0; i < s->n_mounts; i++)
    wanted += s->mounts[i].idmap || s->mounts[i].ridmap;
  if (!wanted)
    return 0;
  int *fds = malloc(s->n_mounts * sizeof *fds);
  if (!fds)
    return vessel_error_set(err, ENOMEM, "idmapped mounts");
  for (size_t i = 0; i < s->n_mounts; i++)
    fds[i] = -1;
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct spec_mount *m = &s->mounts[i];
    if (!m->idmap && !m->ridmap)
      continue;
    /* the mount's own mappings, else the container's user namespace ones */
    const struct spec_id_mapping *u = m->uid_mappings, *g = m->gid_mappings;
    size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
    if (!nu && !ng) {
      u = s->linux_.uid_mappings;
      nu = s->linux_.n_uid_mappings;
      g = s->linux_.gid_mappings;
      ng = s->linux_.n_gid_mappings;
    }
    if (!nu || !ng) {
      idmap_release(fds, s->n_mounts);
      return vessel_error_set(err, EINVAL,
                              "mounts[%zu]: an idmapped mount needs uidMappings and gidMappings "
                              "(its own or the container's)",
                              i);
    }
    fds[i] = idmap_userns_fd(u, nu, g, ng, err);
    if (fds[i] < 0) {
      idmap_release(fds, s->n_mounts);
      return vessel_error_prefix(err, "mounts[%zu]", i);
    }
  }
  *out = fds;
  return 0;
}
