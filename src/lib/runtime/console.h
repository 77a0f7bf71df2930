/* The container's terminal: a pty from the container's own devpts, whose
 * master goes to the caller through --console-socket and whose slave becomes
 * /dev/console and the process's stdio. */
#pragma once
#include "spec/spec.h"
#include "util/error.h"

/* Connects to the console socket (a host path), before the init is cloned. */
int console_socket_connect(const char *path, struct vessel_error *err);

/* In the init, before pivot: opens a pty in the root's /dev/pts, sends the
 * master over socket_fd, binds the slave on /dev/console. Returns the slave. */
int console_setup(int rootfd, int socket_fd, const struct spec_process *p,
                  struct vessel_error *err);

/* Opens a pty in the current mount namespace's /dev/pts (for exec), sends the
 * master; returns the slave. */
int console_setup_exec(int socket_fd, const struct spec_process *p, struct vessel_error *err);

/* Makes tty the controlling terminal and stdio of the calling process. */
int console_become(int tty, struct vessel_error *err);
