/* Typed, path-tracking getters over jansson values for the config parser. */
#include "spec_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* ---- paths and errors ------------------------------------------------ */

static size_t jpath_format(const struct jpath *p, char *buf, size_t size)
{
  if (!p)
    return 0;
  size_t n = jpath_format(p->up, buf, size);
  if (n >= size)
    return n;
  int r;
  if (p->key && p->quoted)
    r = snprintf(buf + n, size - n, "[\"%s\"]", p->key);
  else if (p->key)
    r = snprintf(buf + n, size - n, "%s%s", n ? "." : "", p->key);
  else
    r = snprintf(buf + n, size - n, "[%zu]", p->index);
  return r < 0 ? n : n + (size_t)r;
}

int jerr(struct jctx *c, const struct jpath *p, const char *fmt, ...)
{
  char path[256];
  if (jpath_format(p, path, sizeof path) == 0)
    snprintf(path, sizeof path, "(root)");
  char msg[VESSEL_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* values from the config are quoted in messages: keep them one line */
  for (char *m = msg; *m; m++)
    if ((unsigned char)*m < 0x20 || *m == 0x7f)
      *m = '?';
  for (char *m = path; *m; m++)
    if ((unsigned char)*m < 0x20 || *m == 0x7f)
      *m = '?';
  return vessel_error_set(c->err, 0, "%s: %s", path, msg);
}

int jmissing(struct jctx *c, const struct jpath *p, const char *key)
{
  struct jpath kp = jp_key(p, key);
  return jerr(c, &kp, "is required");
}

int joom(struct jctx *c, const struct jpath *p)
{
  jerr(c, p, "out of memory");
  if (c->err)
    c->err->code = ENOMEM;
  return -1;
}

int jalloc(struct jctx *c, const struct jpath *p, size_t n, size_t sz, void **out)
{
  *out = NULL;
  if (n == 0)
    return 0;
  *out = calloc(n, sz);
  return *out ? 0 : joom(c, p);
}

/* ---- loading --------------------------------------------------------- */

void jctx_init(struct jctx *c)
{
  uint64_t nonce;
  if (getrandom(&nonce, sizeof nonce, GRND_NONBLOCK) != (ssize_t)sizeof nonce) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    nonce = (uint64_t)(uintptr_t)c ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
  }
  c->bignum[0] = '\0';
  snprintf(c->bignum + 1, sizeof c->bignum - 1, "%016" PRIx64 ":", nonce);
  c->bignum_len = 18;
}

/* Does the integer literal s[0..n) fit int64? */
static bool literal_fits_i64(const char *s, size_t n)
{
  bool neg = s[0] == '-';
  uint64_t v = 0;
  for (size_t i = neg; i < n; i++) {
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
      return false;
  }
  return neg ? v <= (uint64_t)INT64_MAX + 1 : v <= (uint64_t)INT64_MAX;
}

/* Finds the integer literals outside strings that jansson would refuse as too
 * big. Calls fn(start, len) for each when fn is set; returns how many. */
static size_t scan_bignums(const char *s, size_t len, void (*fn)(size_t, size_t, void *),
                           void *data)
{
  size_t count = 0;
  bool in_string = false;
  for (size_t i = 0; i < len;) {
    char ch = s[i];
    if (in_string) {
      if (ch == '\\')
        i += 2;
      else {
        if (ch == '"')
          in_string = false;
        i++;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
      i++;
      continue;
    }
    if (ch != '-' && (ch < '0' || ch > '9')) {
      i++;
      continue;
    }
    size_t start = i;
    if (ch == '-')
      i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
      i++;
    size_t end = i;
    bool is_real = false;
    while (i < len && (s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-' ||
                       (s[i] >= '0' && s[i] <= '9'))) {
      is_real = true;
      i++;
    }
    size_t digits = end - start - (ch == '-');
    /* leading zeros are invalid JSON: leave them for jansson to refuse */
    if (is_real || digits == 0 || (digits > 1 && s[end - digits] == '0') ||
        literal_fits_i64(s + start, end - start))
      continue;
    if (fn)
      fn(start, end - start, data);
    count++;
  }
  return count;
}

struct rewrite {
  const struct jctx *c;
  const char *src;
  char *dst;
  size_t from, out;
};

static void rewrite_one(size_t start, size_t n, void *data)
{
  struct rewrite *w = data;
  memcpy(w->dst + w->out, w->src + w->from, start - w->from);
  w->out += start - w->from;
  w->out += (size_t)sprintf(w->dst + w->out, "\"\\u0000%s", w->c->bignum + 1);
  memcpy(w->dst + w->out, w->src + start, n);
  w->out += n;
  w->dst[w->out++] = '"';
  w->from = start + n;
}

json_t *jload(struct jctx *c, const char *json, size_t len)
{
  jctx_init(c);
  _cleanup_free_ char *copy = NULL;
  size_t nbig = scan_bignums(json, len, NULL, NULL);
  if (nbig > 0) {
    /* each literal gains `"\u0000` + nonce (17) + `"` */
    size_t extra, total;
    if (__builtin_mul_overflow(nbig, (size_t)25, &extra) ||
        __builtin_add_overflow(len, extra, &total) || !(copy = malloc(total + 1))) {
      vessel_error_set(c->err, ENOMEM, "parse JSON");
      return NULL;
    }
    struct rewrite w = {.c = c, .src = json, .dst = copy};
    scan_bignums(json, len, rewrite_one, &w);
    memcpy(copy + w.out, json + w.from, len - w.from);
    json = copy;
    len = w.out + (len - w.from);
  }
  json_error_t jerror;
  json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerror);
  if (!root) {
    /* jansson quotes the offending token, which may hold control bytes */
    for (char *t = jerror.text; *t; t++)
      if ((unsigned char)*t < 0x20 || *t == 0x7f)
        *t = '?';
    vessel_error_set(c->err, 0, "invalid JSON at line %d, column %d: %s", jerror.line,
                     jerror.column, jerror.text);
  }
  return root;
}

/* ---- value getters ---------------------------------------------------- */

static bool is_bignum(const struct jctx *c, const json_t *v)
{
  return json_is_string(v) && json_string_length(v) > c->bignum_len &&
         memcmp(json_string_value(v), c->bignum, c->bignum_len) == 0;
}

json_t *jm(const json_t *obj, const char *key)
{
  json_t *v = json_object_get(obj, key);
  return json_is_null(v) ? NULL : v;
}

int jv_object(struct jctx *c, const json_t *v, const struct jpath *p)
{
  if (!json_is_object(v))
    return jerr(c, p, "must be an object");
  if (json_object_size(v) > SPEC_JSON_MAX_ENTRIES)
    return jerr(c, p, "too many properties (more than %d)", SPEC_JSON_MAX_ENTRIES);
  return 0;
}

int jv_array(struct jctx *c, const json_t *v, const struct jpath *p, size_t *n)
{
  if (!json_is_array(v))
    return jerr(c, p, "must be an array");
  *n = json_array_size(v);
  if (*n > SPEC_JSON_MAX_ENTRIES)
    return jerr(c, p, "too many entries (more than %d)", SPEC_JSON_MAX_ENTRIES);
  return 0;
}

int jv_cstr(struct jctx *c, const json_t *v, const struct jpath *p, const char **out)
{
  if (!json_is_string(v) || is_bignum(c, v))
    return jerr(c, p, "must be a string");
  const char *s = json_string_value(v);
  if (strlen(s) != json_string_length(v))
    return jerr(c, p, "must not contain NUL bytes");
  *out = s;
  return 0;
}

int jv_str(struct jctx *c, const json_t *v, const struct jpath *p, char **out)
{
  const char *s;
  if (jv_cstr(c, v, p, &s) < 0)
    return -1;
  char *dup = strdup(s);
  if (!dup)
    return joom(c, p);
  *out = dup;
  return 0;
}

int jv_bool(struct jctx *c, const json_t *v, const struct jpath *p, bool *out)
{
  if (!json_is_boolean(v))
    return jerr(c, p, "must be a boolean");
  *out = json_is_true(v);
  return 0;
}

int jv_i64(struct jctx *c, const json_t *v, const struct jpath *p, int64_t min, int64_t max,
           int64_t *out)
{
  if (is_bignum(c, v))
    return jerr(c, p, "%s is out of range [%" PRId64 ", %" PRId64 "]",
                json_string_value(v) + c->bignum_len, min, max);
  if (!json_is_integer(v))
    return jerr(c, p, "must be an integer");
  int64_t x = json_integer_value(v);
  if (x < min || x > max)
    return jerr(c, p, "%" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]", x, min, max);
  *out = x;
  return 0;
}

int jv_u64(struct jctx *c, const json_t *v, const struct jpath *p, uint64_t max, uint64_t *out)
{
  uint64_t x;
  if (is_bignum(c, v)) {
    const char *lit = json_string_value(v) + c->bignum_len;
    unsigned long long u;
    if (lit[0] == '-')
      return jerr(c, p, "must not be negative");
    if (parse_u64(lit, &u) < 0)
      return jerr(c, p, "%s is out of range [0, %" PRIu64 "]", lit, max);
    x = u;
  } else if (json_is_integer(v)) {
    if (json_integer_value(v) < 0)
      return jerr(c, p, "must not be negative");
    x = (uint64_t)json_integer_value(v);
  } else {
    return jerr(c, p, "must be an integer");
  }
  if (x > max)
    return jerr(c, p, "%" PRIu64 " is out of range [0, %" PRIu64 "]", x, max);
  *out = x;
  return 0;
}

int jv_strv(struct jctx *c, const json_t *v, const struct jpath *p, unsigned flags, char ***out)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0)
    return -1;
  if ((flags & JSTRV_NONEMPTY) && n == 0)
    return jerr(c, p, "must be a non-empty array");
  _cleanup_strv_ char **strv = calloc(n + 1, sizeof *strv);
  if (!strv)
    return joom(c, p);
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    if (jv_str(c, json_array_get(v, i), &ip, &strv[i]) < 0)
      return -1;
    if ((flags & JSTRV_NO_EMPTY) && strv[i][0] == '\0')
      return jerr(c, &ip, "must not be empty");
    if ((flags & JSTRV_ABSOLUTE) && strv[i][0] != '/')
      return jerr(c, &ip, "`%s` must be an absolute path", strv[i]);
  }
  *out = TAKE_PTR(strv);
  return 0;
}

int jv_kv(struct jctx *c, const json_t *v, const struct jpath *p, struct spec_kv **out, size_t *n)
{
  if (jv_object(c, v, p) < 0)
    return -1;
  size_t size = json_object_size(v);
  struct spec_kv *kv;
  if (JALLOC(c, p, size, kv) < 0)
    return -1;
  /* fill *out as we go so the caller's free sees every pair made so far */
  *out = kv;
  *n = size;
  size_t i = 0;
  for (void *it = json_object_iter((json_t *)v); it && i < size;
       it = json_object_iter_next((json_t *)v, it), i++) {
    const char *key = json_object_iter_key(it);
    struct jpath kp = jp_map(p, key);
    if (strlen(key) != json_object_iter_key_len(it))
      return jerr(c, &kp, "key must not contain NUL bytes");
    if (key[0] == '\0')
      return jerr(c, &kp, "key must not be empty");
    if (!(kv[i].key = strdup(key)))
      return joom(c, &kp);
    if (jv_str(c, json_object_iter_value(it), &kp, &kv[i].value) < 0)
      return -1;
  }
  return 0;
}

/* ---- member getters --------------------------------------------------- */

int jm_str(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, char **out)
{
  json_t *v = jm(obj, key);
  if (!v)
    return 0;
  struct jpath kp = jp_key(p, key);
  char *s;
  if (jv_str(c, v, &kp, &s) < 0)
    return -1;
  free(*out);
  *out = s;
  return 1;
}

int jm_cstr(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
            const char **out)
{
  json_t *v = jm(obj, key);
  if (!v)
    return 0;
  struct jpath kp = jp_key(p, key);
  return jv_cstr(c, v, &kp, out) < 0 ? -1 : 1;
}

int jm_str_req(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
               char **out)
{
  int r = jm_str(c, obj, p, key, out);
  if (r == 0)
    return jmissing(c, p, key);
  return r < 0 ? -1 : 0;
}

int jm_bool(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, bool *out)
{
  json_t *v = jm(obj, key);
  if (!v)
    return 0;
  struct jpath kp = jp_key(p, key);
  return jv_bool(c, v, &kp, out) < 0 ? -1 : 1;
}

int jm_i64(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, int64_t min,
           int64_t max, int64_t *out)
{
  json_t *v = jm(obj, key);
  if (!v)
    return 0;
  struct jpath kp = jp_key(p, key);
  return jv_i64(c, v, &kp, min, max, out) < 0 ? -1 : 1;
}

int jm_u64(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, uint64_t max,
           uint64_t *out)
{
  json_t *v = jm(obj, key);
  if (!v)
    return 0;
  struct jpath kp = jp_key(p, key);
  return jv_u64(c, v, &kp, max, out) < 0 ? -1 : 1;
}

int jm_u32(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key, uint32_t *out)
{
  uint64_t x;
  int r = jm_u64(c, obj, p, key, UINT32_MAX, &x);
  if (r > 0)
    *out = (uint32_t)x;
  return r;
}

int jm_opt_i64(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
               int64_t min, int64_t max, struct opt_i64 *out)
{
  int r = jm_i64(c, obj, p, key, min, max, &out->v);
  if (r > 0)
    out->set = true;
  return r;
}

int jm_opt_u64(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
               uint64_t max, struct opt_u64 *out)
{
  int r = jm_u64(c, obj, p, key, max, &out->v);
  if (r > 0)
    out->set = true;
  return r;
}

int jm_strv(struct jctx *c, const json_t *obj, const struct jpath *p, const char *key,
            unsigned flags, char ***out)
{
  json_t *v = jm(obj, key);
  if (!v) {
    if (flags & JSTRV_NONEMPTY) {
      struct jpath kp = jp_key(p, key);
      return jerr(c, &kp, "must be a non-empty array");
    }
    return 0;
  }
  struct jpath kp = jp_key(p, key);
  char **strv;
  if (jv_strv(c, v, &kp, flags, &strv) < 0)
    return -1;
  strv_free(*out);
  *out = strv;
  return 1;
}
