/* Passing one fd over a unix socket (SCM_RIGHTS) with a payload: the sync
 * socket of the runtime and its init, console sockets, the seccomp agent. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes of buf (len > 0: stream sockets drop an fd sent without
 * data) with fd attached when fd >= 0. Returns bytes sent or -1 (errno). */
ssize_t fdpass_send(int sock, const void *buf, size_t len, int fd);

/* Receives up to len bytes; *fd gets the attached fd (O_CLOEXEC) or -1.
 * Returns bytes received (0 at EOF) or -1 (errno). */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fd);
