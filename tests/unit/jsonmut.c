/* Deterministic JSON mutations for the in-tree fuzz runs (see jsonmut.h). */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonmut.h"

#define DEEP 5000 /* beyond jansson's depth limit and any recursion of ours */

uint64_t jsonmut_next(struct jsonmut *m)
{
  m->rng ^= m->rng << 13;
  m->rng ^= m->rng >> 7;
  m->rng ^= m->rng << 17;
  return m->rng;
}

static const char *const tokens[] = {
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "0",
    "-1",
    "1e999",
    "-1e999",
    "1e-999",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775809",
    "\\u0000",
    "\\ud800",
    "\"\\u0000\"",
    "\"sha256:\"",
    "\"../../../etc\"",
    "\xff\xfe",
    "NaN",
    "0x10",
    "01",
};

static json_t *random_value(struct jsonmut *m)
{
  switch (jsonmut_next(m) % 12) {
  case 0:
    return json_null();
  case 1:
    return json_true();
  case 2:
    return json_integer(-1);
  case 3:
    return json_integer(INT64_MAX);
  case 4:
    return json_integer(INT64_MIN);
  case 5:
    return json_real(1e308);
  case 6:
    return json_string("");
  case 7:
    return json_stringn("a\0b", 3);
  case 8:
    return json_string("sha256:0000000000000000000000000000000000000000000000000000000000000000");
  case 9:
    return json_pack("[s, i]", "x", 1);
  case 10:
    return json_object();
  default:
    return json_string("@@DEEP@@"); /* replaced by deep nesting once dumped */
  }
}

/* A random node of the tree and the container that holds it (NULL for the
 * root), with the key or index that names it. */
struct place {
  json_t *parent;
  const char *key;
  size_t index;
  json_t *node;
};

static struct place pick(struct jsonmut *m, json_t *root)
{
  struct place p = {.node = root};
  for (int depth = 0; depth < 8 && jsonmut_next(m) % 4 != 0; depth++) {
    json_t *n = p.node;
    size_t size = json_is_object(n)  ? json_object_size(n)
                  : json_is_array(n) ? json_array_size(n)
                                     : 0;
    if (size == 0)
      break;
    size_t at = jsonmut_next(m) % size;
    if (json_is_array(n)) {
      p = (struct place){.parent = n, .index = at, .node = json_array_get(n, at)};
    } else {
      void *it = json_object_iter(n);
      for (size_t i = 0; i < at; i++)
        it = json_object_iter_next(n, it);
      p = (struct place){
          .parent = n, .key = json_object_iter_key(it), .node = json_object_iter_value(it)};
    }
  }
  return p;
}

/* Every string that is a digest becomes another one: of nothing here, or
 * malformed. */
static void break_digests(struct jsonmut *m, json_t *n)
{
  static const char *const wrong[] = {
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      "sha256:../../../../etc/passwd",
      "sha512:00",
      "sha256:",
      "md5:d41d8cd98f00b204e9800998ecf8427e",
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/../x",
  };
  if (json_is_array(n)) {
    for (size_t i = 0; i < json_array_size(n); i++) {
      json_t *v = json_array_get(n, i);
      if (json_is_string(v) && strncmp(json_string_value(v), "sha256:", 7) == 0)
        json_array_set_new(n, i, json_string(wrong[jsonmut_next(m) % 7]));
      else
        break_digests(m, v);
    }
  } else if (json_is_object(n)) {
    const char *k;
    json_t *v;
    json_object_foreach(n, k, v)
    {
      if (json_is_string(v) && strncmp(json_string_value(v), "sha256:", 7) == 0)
        json_object_set_new(n, k, json_string(wrong[jsonmut_next(m) % 7]));
      else
        break_digests(m, v);
    }
  }
}

/* One mutation of the parsed tree; the text again, or NULL when the text
 * does not parse (byte mutations came first). */
static char *mutate_tree(struct jsonmut *m, const char *text, size_t len)
{
  json_t *root = json_loadb(text, len, 0, NULL);
  if (!root)
    return NULL;
  struct place p = pick(m, root);
  switch (jsonmut_next(m) % 3) {
  case 0: /* another type */
    if (!p.parent) {
      json_decref(root);
      root = random_value(m);
    } else if (json_is_array(p.parent)) {
      json_array_set_new(p.parent, p.index, random_value(m));
    } else {
      json_object_set_new(p.parent, p.key, random_value(m));
    }
    break;
  case 1: /* gone */
    if (p.parent && json_is_array(p.parent))
      json_array_remove(p.parent, p.index);
    else if (p.parent)
      json_object_del(p.parent, p.key);
    break;
  default:
    break_digests(m, root);
  }
  char *out = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(root);
  if (!out)
    return NULL;
  char *deep = strstr(out, "\"@@DEEP@@\"");
  if (!deep)
    return out;
  size_t head = (size_t)(deep - out), tail = strlen(deep + 10);
  char *n = malloc(head + 2 * DEEP + tail + 1);
  if (n) {
    memcpy(n, out, head);
    memset(n + head, '[', DEEP);
    memset(n + head + DEEP, ']', DEEP);
    memcpy(n + head + 2 * DEEP, deep + 10, tail + 1);
  }
  free(out);
  return n;
}

char *jsonmut_mutate(struct jsonmut *m, const char *doc, size_t doc_len, size_t *len)
{
  size_t cap = doc_len + 2 * DEEP + 256;
  char *buf = malloc(cap + 1);
  if (!buf)
    abort();
  memcpy(buf, doc, doc_len);
  size_t n = doc_len;
  for (int k = 0, edits = 1 + (int)(jsonmut_next(m) % 4); k < edits; k++) {
    size_t at = n ? jsonmut_next(m) % n : 0;
    switch (jsonmut_next(m) % 6) {
    case 0: /* a byte */
      if (n)
        buf[at] = (char)jsonmut_next(m);
      break;
    case 1: /* truncated */
      n = at;
      break;
    case 2: { /* a token inserted */
      const char *t = tokens[jsonmut_next(m) % (sizeof tokens / sizeof tokens[0])];
      size_t tl = strlen(t);
      if (n + tl <= cap) {
        memmove(buf + at + tl, buf + at, n - at);
        memcpy(buf + at, t, tl);
        n += tl;
      }
      break;
    }
    default: { /* the tree: most mutations, so most inputs still parse */
      char *t = mutate_tree(m, buf, n);
      if (t) {
        size_t tl = strlen(t);
        if (tl > cap) {
          cap = tl;
          char *nb = realloc(buf, cap + 1);
          if (!nb)
            abort();
          buf = nb;
        }
        memcpy(buf, t, tl);
        n = tl;
        free(t);
      }
    }
    }
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}
