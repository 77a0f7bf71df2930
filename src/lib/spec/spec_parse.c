/* config.json to struct spec: the top level (root, hostname, mounts, hooks,
 * annotations) and the three entry points. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "util/cleanup.h"

/* sethostname(2) and setdomainname(2) take at most this much */
#define UTS_NAME_MAX 64

char *spec_path_clean(const char *path)
{
  size_t len = strlen(path);
  char *out = malloc(len + 2);
  if (!out)
    return NULL;
  size_t n = 0;
  for (const char *s = path; *s;) {
    while (*s == '/')
      s++;
    const char *e = s;
    while (*e && *e != '/')
      e++;
    size_t clen = (size_t)(e - s);
    if (clen == 0 || (clen == 1 && s[0] == '.')) {
      /* nothing */
    } else if (clen == 2 && s[0] == '.' && s[1] == '.') {
      while (n > 0 && out[n - 1] != '/')
        n--;
      if (n > 0)
        n--; /* the slash before the dropped component */
    } else {
      out[n++] = '/';
      memcpy(out + n, s, clen);
      n += clen;
    }
    s = e;
  }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

static int mounts_fill(struct jctx *c, const json_t *v, const struct jpath *p, struct spec *s)
{
  size_t n;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, s->mounts) < 0)
    return -1;
  s->n_mounts = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    struct jpath dp = jp_key(&ip, "destination");
    json_t *e = json_array_get(v, i);
    struct spec_mount *m = &s->mounts[i];
    const char *dest;
    int r;
    if (jv_object(c, e, &ip) < 0 || (r = jm_cstr(c, e, &ip, "destination", &dest)) < 0)
      return -1;
    if (r == 0)
      return jmissing(c, &ip, "destination");
    if (dest[0] == '\0')
      return jerr(c, &dp, "must not be empty");
    if (!(m->destination = spec_path_clean(dest)))
      return joom(c, &dp);
    if (jm_str(c, e, &ip, "type", &m->type) < 0 || jm_str(c, e, &ip, "source", &m->source) < 0 ||
        jm_strv(c, e, &ip, "options", 0, &m->options) < 0)
      return -1;
    json_t *maps;
    if ((maps = jm(e, "uidMappings"))) {
      struct jpath mp = jp_key(&ip, "uidMappings");
      if (spec_id_mappings_fill(c, maps, &mp, &m->uid_mappings, &m->n_uid_mappings) < 0)
        return -1;
    }
    if ((maps = jm(e, "gidMappings"))) {
      struct jpath mp = jp_key(&ip, "gidMappings");
      if (spec_id_mappings_fill(c, maps, &mp, &m->gid_mappings, &m->n_gid_mappings) < 0)
        return -1;
    }
    char where[32];
    snprintf(where, sizeof where, "mounts[%zu]", i);
    if (spec_mount_options_parse(m, where, c->err) < 0)
      return -1;
  }
  return 0;
}

static int hook_list_fill(struct jctx *c, const json_t *v, const struct jpath *p,
                          struct spec_hook **out, size_t *count)
{
  size_t n;
  struct spec_hook *hooks;
  if (jv_array(c, v, p, &n) < 0 || JALLOC(c, p, n, hooks) < 0)
    return -1;
  *out = hooks;
  *count = n;
  for (size_t i = 0; i < n; i++) {
    struct jpath ip = jp_index(p, i);
    json_t *e = json_array_get(v, i);
    struct spec_hook *h = &hooks[i];
    int64_t timeout = 0;
    if (jv_object(c, e, &ip) < 0 || jm_str_req(c, e, &ip, "path", &h->path) < 0)
      return -1;
    if (h->path[0] != '/') {
      struct jpath pp = jp_key(&ip, "path");
      return jerr(c, &pp, "`%s` must be an absolute path", h->path);
    }
    if (jm_strv(c, e, &ip, "args", 0, &h->args) < 0 || jm_strv(c, e, &ip, "env", 0, &h->env) < 0 ||
        jm_i64(c, e, &ip, "timeout", 1, INT_MAX, &timeout) < 0)
      return -1;
    h->timeout = (int)timeout;
  }
  return 0;
}

static int hooks_fill(struct jctx *c, const json_t *v, const struct jpath *p, struct spec_hooks *h)
{
  static const char *const names[SPEC_HOOK_NKINDS] = {
      [SPEC_HOOK_PRESTART] = "prestart",
      [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
      [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
      [SPEC_HOOK_START_CONTAINER] = "startContainer",
      [SPEC_HOOK_POSTSTART] = "poststart",
      [SPEC_HOOK_POSTSTOP] = "poststop",
  };
  if (jv_object(c, v, p) < 0)
    return -1;
  for (int k = 0; k < SPEC_HOOK_NKINDS; k++) {
    json_t *a = jm(v, names[k]);
    struct jpath kp = jp_key(p, names[k]);
    if (a && hook_list_fill(c, a, &kp, &h->hooks[k], &h->n[k]) < 0)
      return -1;
  }
  return 0;
}

static int uts_name(struct jctx *c, const json_t *v, const char *key, char **out)
{
  if (jm_str(c, v, NULL, key, out) < 0)
    return -1;
  if (*out && strlen(*out) > UTS_NAME_MAX) {
    struct jpath kp = jp_key(NULL, key);
    return jerr(c, &kp, "longer than %d bytes", UTS_NAME_MAX);
  }
  return 0;
}

static int spec_fill(struct jctx *c, const json_t *v, struct spec *s)
{
  if (jv_object(c, v, NULL) < 0 || jm_str_req(c, v, NULL, "ociVersion", &s->oci_version) < 0)
    return -1;

  json_t *root = jm(v, "root");
  struct jpath rp = jp_key(NULL, "root");
  if (!root)
    return jmissing(c, NULL, "root");
  if (jv_object(c, root, &rp) < 0 || jm_str_req(c, root, &rp, "path", &s->root_path) < 0 ||
      jm_bool(c, root, &rp, "readonly", &s->root_readonly) < 0)
    return -1;
  if (s->root_path[0] == '\0') {
    struct jpath pp = jp_key(&rp, "path");
    return jerr(c, &pp, "must not be empty");
  }

  if (uts_name(c, v, "hostname", &s->hostname) < 0 ||
      uts_name(c, v, "domainname", &s->domainname) < 0)
    return -1;

  json_t *m;
#define SECTION(key, call)                                                                         \
  if ((m = jm(v, key))) {                                                                          \
    struct jpath kp = jp_key(NULL, key);                                                           \
    if ((call) < 0)                                                                                \
      return -1;                                                                                   \
  }
  SECTION("process", spec_process_fill(c, m, &kp, &s->process));
  SECTION("mounts", mounts_fill(c, m, &kp, s));
  SECTION("hooks", hooks_fill(c, m, &kp, &s->hooks));
  SECTION("annotations", jv_kv(c, m, &kp, &s->annotations, &s->n_annotations));
  SECTION("linux", spec_linux_fill(c, m, &kp, &s->linux_));
#undef SECTION
  return 0;
}

static struct spec *parse_root(struct jctx *c, const json_t *v)
{
  struct spec *s = calloc(1, sizeof *s);
  int r = s ? spec_fill(c, v, s) : vessel_error_set(c->err, ENOMEM, "parse config");
  if (r < 0) {
    spec_free(s);
    return NULL;
  }
  return s;
}

struct spec *spec_parse(const char *json, size_t len, struct vessel_error *err)
{
  struct jctx c = {.err = err};
  json_t *v = jload(&c, json, len);
  if (!v)
    return NULL;
  struct spec *s = parse_root(&c, v);
  json_decref(v);
  return s;
}

struct spec *spec_parse_json(const json_t *root, struct vessel_error *err)
{
  struct jctx c = {.err = err};
  jctx_init(&c);
  return parse_root(&c, root);
}

struct spec_process *spec_process_parse(const char *json, size_t len, struct vessel_error *err)
{
  struct jctx c = {.err = err};
  json_t *v = jload(&c, json, len);
  if (!v)
    return NULL;
  struct jpath p = jp_key(NULL, "process");
  struct spec_process *proc = calloc(1, sizeof *proc);
  int r =
      proc ? spec_process_fill(&c, v, &p, proc) : vessel_error_set(err, ENOMEM, "parse process");
  json_decref(v);
  if (r < 0) {
    spec_process_free(proc);
    return NULL;
  }
  return proc;
}

struct spec_resources *spec_resources_parse(const char *json, size_t len, struct vessel_error *err)
{
  struct jctx c = {.err = err};
  json_t *v = jload(&c, json, len);
  if (!v)
    return NULL;
  struct jpath p = jp_key(NULL, "resources");
  struct spec_resources *r = calloc(1, sizeof *r);
  int rc = r ? spec_resources_fill(&c, v, &p, r) : vessel_error_set(err, ENOMEM, "parse resources");
  json_decref(v);
  if (rc < 0) {
    spec_resources_free(r);
    return NULL;
  }
  return r;
}
