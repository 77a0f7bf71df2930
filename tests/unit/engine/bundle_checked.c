/* See bundle_checked.h. */
#include "bundle_checked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "tap.h"
#include "util/cleanup.h"

json_t *bundle_checked(const struct bundle_input *in, struct vessel_error *err)
{
  json_t *root = bundle_config_json(in, err);
  if (!root)
    return NULL;
  _cleanup_free_ char *text = json_dumps(root, JSON_INDENT(2));
  struct vessel_error perr = {0};
  struct spec *s = spec_parse(text, strlen(text), &perr);
  CHECK(s != NULL);
  if (!s)
    printf("# spec_parse: %s\n", perr.msg);
  spec_free(s);
  s = spec_parse_json(root, &perr);
  CHECK(s != NULL);
  spec_free(s);
  return root;
}
