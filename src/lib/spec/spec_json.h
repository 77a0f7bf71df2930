/* Private to the spec module: typed getters over jansson values that know the
 * JSON path of what they read, so every config error names it
 * (`linux.namespaces[2].type: ...`). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

/* Arrays and maps longer than this are rejected: no real config comes close,
 * and every entry costs an allocation. */
#define SPEC_JSON_MAX_ENTRIES 65536

/* One step of a JSON path, kept on the stack of the parser that walks it. */
struct jpath {
  const struct jpath *up;
  const char *key; /* member name, or NULL for an array element */
  size_t index;
  bool quoted; /* a key of a map (annotations, sysctl): printed as ["key"] */
};

static inline struct jpath jp_key(const struct jpath *up, const char *key)
{
  return (struct jpath){.up = up, .key = key};
}
static inline struct jpath jp_index(const struct jpath *up, size_t index)
{
  return (struct jpath){.up = up, .index = index};
}
static inline struct jpath jp_map(const struct jpath *up, const char *key)
{
  return (struct jpath){.up = up, .key = key, .quoted = true};
}

/* State of one parse. jansson cannot hold integers outside int64, yet
 * runtime-spec has uint64 fields that tools fill with 2^64-1; such literals
 * are turned into strings that start with `bignum` (a NUL byte and a random
 * nonce, so no string in the input can pass for one). */
struct jctx {
  struct vessel_error *err;
  char bignum[24];
  size_t bignum_len;
};

/* Gives c its bignum nonce: jload does, a value parsed elsewhere needs it
 * (no string of it can then pass for a bignum). */
void jctx_init(struct jctx *c);

/* Loads a JSON text. Returns the root value (any type) or NULL with an error
 * that gives jansson's line and column. */
json_t *jload(struct jctx *c, const char *json, size_t len);

/* Formats "<path>: <message>" into c->err. Returns -1. */
int jerr(struct jctx *c, const struct jpath *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "<path>: out of memory" with code ENOMEM. Returns -1. */
int joom(struct jctx *c, const struct jpath *p);
/* "<path>.<key>: is required". Returns -1. */
int jmissing(struct jctx *c, const struct jpath *p, const char *key);

/* Member `key` of obj, or NULL when it is absent or JSON null (Go tools write
 * null for empty slices and pointers; both mean "not set"). */
json_t *jm(const json_t *obj, const char *key);

/* Getters of a value. Return 0 or -1 with c->err set. */
int jv_object(struct jctx *c, const json_t *v, const struct jpath *p);
int jv_array(struct jctx *c, const json_t *v, const struct jpath *p, size_t *n);
int jv_str(struct jctx *c, const json_t *v, const struct jpath *p, char **out);
/* Like jv_str without a copy: *out points into v. */
int jv_cstr(struct jctx *c, const json_t *v, const struct jpath *p, const char **out);
int jv_bool(struct jctx *c, const json_t *v, const struct jpath *p, bool *out);
int jv_i64(struct jctx *c, const json_t *v, const struct jpath *p, int64_t min, int64_t max,
           int64_t *out);
int jv_u64(struct jctx *c, const json_t *v, const struct jpath *p, uint64_t max, uint64_t *out);

enum {
  JSTRV_NONEMPTY = 1 << 0, /* the array must have an entry */
  JSTRV_NO_EMPTY = 1 << 1, /* no entry may be "" */
  JSTRV_ABSOLUTE = 1 << 2, /* every entry is an absolute path */
};
/* An array of strings as a NULL-terminated vector (an empty array gives an
 * empty vector, not NULL). */
int jv_strv(struct jctx *c, const json_t *v, const struct jpath *p, unsigned flags, char ***out);
/* An object of string values as key/value pairs; keys must be non-empty. */
int jv_kv(struct jctx *c, const json_t *v, const struct jpath *p, struct spec_kv **out, size_t *n);

/* Getters of member `key` of obj (obj already checked to be an object).
 * Return 1 when set, 0 when absent or null (out untouched), -1 on error. */
int jm_str(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, char **out);
int jm_cstr(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
            const char **out);
int jm_bool(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, bool *out);
int jm_i64(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, int64_t min,
           int64_t max, int64_t *out);
int jm_u64(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, uint64_t max,
           uint64_t *out);
int jm_u32(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
           uint32_t *out);
int jm_opt_i64(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
               int64_t min, int64_t max, struct opt_i64 *out);
int jm_opt_u64(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
               uint64_t max, struct opt_u64 *out);
int jm_strv(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
            unsigned flags, char ***out);
/* Like jm_str, but the member is required. Returns 0 or -1. */
int jm_str_req(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
               char **out);

/* Allocates n zeroed elements of size sz for an array being parsed (n may be
 * 0: returns NULL without error). Fails with ENOMEM naming p. */
int jalloc(struct jctx *c, const struct jpath *p, size_t n, size_t sz, void **out);
#define JALLOC(c, p, n, ptr) jalloc((c), (p), (n), sizeof *(ptr), (void **)&(ptr))
