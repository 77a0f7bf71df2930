/* The features document (runtime-spec features.md): what this runtime
 * understands, for clients that adapt to the runtime. */
#include <jansson.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "seccomp/seccomp.h"
#include "util/fs.h"

static const char *const hooks[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
    NULL};

static json_t *str_array(const char *const *v)
{
  json_t *a = json_array();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static json_t *mount_options(void)
{
  json_t *a = json_array();
  const char *name;
  for (size_t i = 0; (name = spec_mount_option_name(i)); i++)
    json_array_append_new(a, json_string(name));
  return a;
}

char *runtime_features_json(void)
{
  json_t *ns = json_array();
  static const int ns_types[] = {CLONE_NEWCGROUP, CLONE_NEWIPC,  CLONE_NEWNS,   CLONE_NEWNET,
                                 CLONE_NEWPID,    CLONE_NEWTIME, CLONE_NEWUSER, CLONE_NEWUTS};
  for (size_t i = 0; i < sizeof ns_types / sizeof ns_types[0]; i++)
    json_array_append_new(ns, json_string(spec_namespace_name(ns_types[i])));
  json_t *caps = json_array();
  for (int c = 0; c <= spec_cap_last(); c++)
    if (spec_cap_name(c))
      json_array_append_new(caps, json_string(spec_cap_name(c)));
  char **archs = seccomp_known_archs();
  json_t *arch_list = str_array((const char *const *)archs);
  strv_free(archs);
  const struct scmp_version *v = seccomp_version();
  char libseccomp_version[32];
  snprintf(libseccomp_version, sizeof libseccomp_version, "%u.%u.%u", v->major, v->minor, v->micro);
  json_t *doc = json_pack(
      "{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o, s:o, "
      "s:o},"
      " s:{s:b}, s:{s:b}, s:{s:b}, s:{s:{s:b}}}, s:{s:s, s:s}}",
      "ociVersionMin", "1.0.0", "ociVersionMax", SPEC_OCI_VERSION, "hooks", str_array(hooks),
      "mountOptions", mount_options(), "linux", "namespaces", ns, "capabilities", caps, "cgroup",
      "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "rdma", 1, "seccomp", "enabled", 1,
      "actions", str_array(seccomp_known_actions), "operators", str_array(seccomp_known_operators),
      "archs", arch_list, "knownFlags", str_array(seccomp_known_flags), "supportedFlags",
      str_array(seccomp_known_flags), "apparmor", "enabled", 1, "selinux", "enabled", 1, "intelRdt",
      "enabled", 0, "mountExtensions", "idmap", "enabled", 1, "annotations",
      "io.github.seccomp.libseccomp.version", libseccomp_version,
      "org.opencontainers.runc.checkpoint.enabled", "false");
  if (!doc)
    return NULL;
  char *text = json_dumps(doc, JSON_INDENT(4));
  json_decref(doc);
  return text;
}
