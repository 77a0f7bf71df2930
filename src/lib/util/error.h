/* The one error convention of libvessel: a failing function returns a negative
 * int (or NULL) and fills *err; success never touches it; callers add context
 * with vessel_error_prefix() as the error travels up. */
#pragma once
#include <stddef.h>

#define VESSEL_ERROR_MAX 1024

struct vessel_error {
  int code;                   /* errno of the root cause, 0 when none */
  char msg[VESSEL_ERROR_MAX]; /* one line, objects named in backticks */
};

/* Sets err to the formatted message, followed by ": strerror(errnum)" when
 * errnum != 0. Always returns -1 so callers can `return vessel_error_set(...)`. */
int vessel_error_set(struct vessel_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "<context>: " to the message already in err. Returns -1. */
int vessel_error_prefix(struct vessel_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A cause a user can act on for errno values that mount(2), execve(2) and
 * friends return with little meaning of their own. */
const char *vessel_strerror(int errnum);
