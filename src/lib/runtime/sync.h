/* The runtime <-> container init handshake: small typed messages over a
 * SOCK_SEQPACKET socketpair, optionally carrying one fd. */
#pragma once
#include "util/error.h"

enum sync_type {
  SYNC_GO = 1,      /* runtime -> init: ids mapped / cgroup joined, carry on */
  SYNC_RUN_HOOKS,   /* init -> runtime: namespaces ready, run createRuntime hooks */
  SYNC_HOOKS_DONE,  /* runtime -> init */
  SYNC_CREATED,     /* init -> runtime: set up, waiting for start */
  SYNC_START,       /* runtime -> init (foreground run): exec now */
  SYNC_ERROR,       /* either way: the text is a one-line error */
  SYNC_AGENT_STATE, /* runtime -> init: the state JSON for the seccomp agent */
};

struct sync_msg {
  int type;
  int code; /* errno of an error */
  char text[VESSEL_ERROR_MAX];
};

int sync_send(int fd, int type, int passfd, struct vessel_error *err);
int sync_send_error(int fd, const struct vessel_error *e);
/* A message whose text carries a short string (the state JSON for hooks). */
int sync_send_text(int fd, int type, const char *text, struct vessel_error *err);

/* Receives one message; EOF is reported as an error mentioning `what`. */
int sync_recv(int fd, struct sync_msg *m, int *passfd, struct vessel_error *err);
/* Receives and checks the type; an SYNC_ERROR from the peer becomes err. */
int sync_expect(int fd, int type, int *passfd, struct vessel_error *err);
