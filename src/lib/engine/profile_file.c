/* --security-opt seccomp=FILE: a docker seccomp profile turned into the
 * OCI form (linux.seccomp). docker's conditions are resolved here: entries
 * for capabilities the container lacks, or for other architectures, go. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>

#include "engine/internal.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define PROFILE_MAX_RULES 4096

#if defined(__x86_64__)
static const char *const native_archs[] = {"SCMP_ARCH_X86_64", "amd64", "x86_64", NULL};
#elif defined(__aarch64__)
static const char *const native_archs[] = {"SCMP_ARCH_AARCH64", "arm64", "aarch64", NULL};
#else
static const char *const native_archs[] = {NULL};
#endif

static bool native(const char *arch)
{
  for (size_t i = 0; native_archs[i]; i++)
    if (!strcmp(arch, native_archs[i]))
      return true;
  return false;
}

static int cap_of(const char *name)
{
  char full[64];
  snprintf(full, sizeof full, "%s%s", strncmp(name, "CAP_", 4) ? "CAP_" : "", name);
  return spec_cap_from_name(full);
}

/* docker's includes/excludes: {caps: [...], arches: [...]} */
static bool condition_holds(json_t *cond, bool want, const bool caps[64])
{
  if (!cond)
    return true;
  json_t *v;
  size_t i;
  json_array_foreach(json_object_get(cond, "caps"), i, v)
  {
    int c = json_is_string(v) ? cap_of(json_string_value(v)) : -1;
    bool has = c >= 0 && c < 64 && caps[c];
    if (want ? !has : has)
      return false;
  }
  bool any = false, listed = false;
  json_array_foreach(json_object_get(cond, "arches"), i, v)
  {
    listed = true;
    any |= json_is_string(v) && native(json_string_value(v));
  }
  if (listed && (want ? !any : any))
    return false;
  return true;
}

static json_t *fail(json_t *in, json_t *out, struct vessel_error *err, const char *path,
                    const char *why)
{
  json_decref(in);
  json_decref(out);
  vessel_error_set(err, 0, "seccomp profile `%s`: %s", path, why);
  return NULL;
}

json_t *profile_from_docker_file(const char *path, const bool caps[64], struct vessel_error *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (fs_read_fileat(AT_FDCWD, path, &text, &len, err) < 0) {
    vessel_error_prefix(err, "--security-opt seccomp");
    return NULL;
  }
  json_error_t jerr;
  json_t *in = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!in) {
    vessel_error_set(err, 0, "seccomp profile `%s`: %s (line %d)", path, jerr.text, jerr.line);
    return NULL;
  }
  json_t *out = json_object();
  json_t *def = json_object_get(in, "defaultAction");
  if (!json_is_string(def))
    return fail(in, out, err, path, "`defaultAction` must be a string");
  json_object_set(out, "defaultAction", def);
  json_t *ret = json_object_get(in, "defaultErrnoRet");
  if (ret)
    json_object_set(out, "defaultErrnoRet", ret);
  json_t *flags = json_object_get(in, "flags");
  if (flags)
    json_object_set(out, "flags", flags);
  /* architectures: a plain list, or docker's archMap of the native one */
  json_t *archs = json_object_get(in, "architectures");
  json_t *map = json_object_get(in, "archMap");
  if (map) {
    json_t *list = json_array(), *e;
    size_t i;
    json_array_foreach(map, i, e)
    {
      json_t *a = json_object_get(e, "architecture");
      if (!json_is_string(a) || !native(json_string_value(a)))
        continue;
      json_array_append(list, a);
      json_t *sub;
      size_t k;
      json_array_foreach(json_object_get(e, "subArchitectures"), k, sub)
          json_array_append(list, sub);
    }
    json_object_set_new(out, "architectures", list);
  } else if (archs) {
    json_object_set(out, "architectures", archs);
  }
  json_t *rules = json_array(), *e;
  json_object_set_new(out, "syscalls", rules);
  json_t *sys = json_object_get(in, "syscalls");
  if (sys && !json_is_array(sys))
    return fail(in, out, err, path, "`syscalls` must be an array");
  if (json_array_size(sys) > PROFILE_MAX_RULES)
    return fail(in, out, err, path, "too many rules");
  size_t i;
  json_array_foreach(sys, i, e)
  {
    if (!json_is_object(e))
      return fail(in, out, err, path, "a rule must be an object");
    if (!condition_holds(json_object_get(e, "includes"), true, caps) ||
        !condition_holds(json_object_get(e, "excludes"), false, caps))
      continue;
    json_t *r = json_object();
    json_t *names = json_object_get(e, "names");
    json_t *name = json_object_get(e, "name"); /* the oldest profiles' form */
    if (names)
      json_object_set(r, "names", names);
    else if (json_is_string(name))
      json_object_set_new(r, "names", json_pack("[O]", name));
    static const char *const keep[] = {"action", "args", "errnoRet"};
    for (size_t k = 0; k < ARRAY_SIZE(keep); k++)
      if (json_object_get(e, keep[k]))
        json_object_set(r, keep[k], json_object_get(e, keep[k]));
    json_array_append_new(rules, r);
  }
  json_decref(in);
  /* the runtime's strict parser says what is wrong with the rest */
  return out;
}
