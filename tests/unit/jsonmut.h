/* Test helper: a deterministic mutator of JSON documents for the in-tree
 * fuzz runs. Mutations: byte flips, truncation, inserted tokens (huge and
 * negative numbers, NULs, brackets), and on the parsed tree: values swapped
 * for another type, keys dropped, digests replaced by wrong or malformed
 * ones, and a value replaced by deep nesting. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct jsonmut {
  uint64_t rng; /* the seed; never 0 */
};

uint64_t jsonmut_next(struct jsonmut *m);
/* A mutated copy of doc (malloc'd, not NUL-terminated inside: *len bytes
 * are the document; one more byte holds a NUL). 1 to 4 mutations. */
char *jsonmut_mutate(struct jsonmut *m, const char *doc, size_t doc_len, size_t *len);
