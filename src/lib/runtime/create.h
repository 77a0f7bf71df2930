/* Creating a container: the runtime's side of the handshake with its init. */
#pragma once
#include <sys/types.h>

#include "init.h"
#include "runtime.h"

struct created_container {
  pid_t pid;
  int pidfd;
  int sync_fd;        /* open in run mode: EOF once the process has exec'd */
  int console_master; /* foreground run with a terminal and no --console-socket */
  bool has_poststart, has_poststop;
  struct cgroup *cg; /* the container's cgroup, for a foreground run's cleanup */
};

void created_container_release(struct created_container *cc);

/* Receives the pty master the init sends over a console socket. */
int console_receive_master(int sock, struct vessel_error *err);

/* Foreground run with a terminal: proxies stdio <-> master until pid exits;
 * returns the exit code. */
int console_proxy_wait(pid_t pid, int pidfd, int master);

/* Creates the container; in INIT_MODE_RUN the init waits for SYNC_START on
 * out->sync_fd instead of the start pipe. On failure nothing is left. */
int container_create(const struct runtime_ctx *ctx, const struct runtime_create_opts *o,
                     enum init_mode mode, struct created_container *out, struct vessel_error *err);

/* Waits for pid, forwarding the usual signals to it; returns the exit code a
 * front end exits with (128+signal when killed). */
int container_wait_forwarding(pid_t pid, int pidfd);

/* The exit code a front end exits with for a wait status (128+signal). */
int container_exit_code(int wait_status);

/* Reads the config saved in the state dir at create time. */
struct spec *container_load_spec(int recfd, struct vessel_error *err);
