/* config.json of a container's bundle: docker's defaults (capabilities,
 * masked and read-only paths, mounts, namespaces) with the image config and
 * the run flags over them. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "engine/internal.h"
#include "spec/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

static const char *const masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct mount_default {
  const char *destination, *type, *source;
  const char *options[8];
};

static const struct mount_default default_mounts[] = {
    {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev", NULL}},
    {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k", NULL}},
    {"/dev/pts",
     "devpts",
     "devpts",
     {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL}},
    {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL}},
    {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev", NULL}},
    {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro", NULL}},
    {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro", NULL}},
};

static json_t *strv_json(const char *const *v)
{
  json_t *a = json_array();
  for (size_t i = 0; a && v && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

char **bundle_args(const struct engine_run_opts *o, const struct image_config *img,
                   struct vessel_error *err)
{
  _cleanup_strv_ char **args = calloc(1, sizeof *args);
  size_t n = 0;
  if (!args)
    goto nomem;
  if (o->entrypoint) {
    if (o->entrypoint[0] && strv_push(&args, &n, o->entrypoint) < 0)
      goto nomem;
  } else {
    for (size_t i = 0; img->entrypoint && img->entrypoint[i]; i++)
      if (strv_push(&args, &n, img->entrypoint[i]) < 0)
        goto nomem;
  }
  /* a new entrypoint drops the image's cmd, as docker does */
  char *const *cmd = o->cmd && o->cmd[0] ? o->cmd : o->entrypoint ? NULL : img->cmd;
  for (size_t i = 0; cmd && cmd[i]; i++)
    if (strv_push(&args, &n, cmd[i]) < 0)
      goto nomem;
  if (n == 0) {
    vessel_error_set(err, 0, "no command: the image `%s` has none and none was given", o->image);
    return NULL;
  }
  return TAKE_PTR(args);
nomem:
  vessel_error_set(err, ENOMEM, "process args");
  return NULL;
}

/* Sets K=V in env, replacing an earlier K. */
static int env_set(char ***env, size_t *n, const char *kv)
{
  const char *eq = strchr(kv, '=');
  size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
  for (size_t i = 0; i < *n; i++)
    if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
      char *d = strdup(kv);
      if (!d)
        return -1;
      free((*env)[i]);
      (*env)[i] = d;
      return 0;
    }
  return strv_push(env, n, kv);
}

static bool env_has(char *const *env, const char *key)
{
  size_t klen = strlen(key);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
      return true;
  return false;
}

char **bundle_env(const struct engine_run_opts *o, const struct image_config *img, uid_t uid,
                  const char *hostname, struct vessel_error *err)
{
  _cleanup_strv_ char **env = calloc(1, sizeof *env);
  size_t n = 0;
  if (!env)
    goto nomem;
  if (strv_push(&env, &n, DEFAULT_PATH) < 0)
    goto nomem;
  if (hostname) {
    _cleanup_free_ char *h = NULL;
    if (asprintf(&h, "HOSTNAME=%s", hostname) < 0 || strv_push(&env, &n, h) < 0)
      goto nomem;
  }
  for (size_t i = 0; img->env && img->env[i]; i++)
    if (env_set(&env, &n, img->env[i]) < 0)
      goto nomem;
  for (size_t i = 0; o->env && o->env[i]; i++) {
    const char *kv = o->env[i];
    if (kv[0] == '=' || kv[0] == '\0') {
      vessel_error_set(err, 0, "bad environment variable `%s`: KEY=VALUE", kv);
      return NULL;
    }
    _cleanup_free_ char *from_host = NULL;
    if (!strchr(kv, '=')) {
      /* -e KEY passes the caller's value, and nothing when it has none */
      const char *v = getenv(kv);
      if (!v)
        continue;
      if (asprintf(&from_host, "%s=%s", kv, v) < 0)
        goto nomem;
      kv = from_host;
    }
    if (env_set(&env, &n, kv) < 0)
      goto nomem;
  }
  if (!env_has(env, "HOME") && strv_push(&env, &n, uid == 0 ? "HOME=/root" : "HOME=/") < 0)
    goto nomem;
  return TAKE_PTR(env);
nomem:
  vessel_error_set(err, ENOMEM, "process env");
  return NULL;
}

/* The capability set docker starts from, with --cap-add/--cap-drop (names
 * with or without CAP_, or ALL) applied in that order. */
static json_t *caps_json(const struct engine_run_opts *o, bool set[64], struct vessel_error *err)
{
  int last = spec_cap_last();
  if (last >= 64)
    last = 63;
  for (size_t i = 0; default_caps[i]; i++)
    set[spec_cap_from_name(default_caps[i])] = true;
  for (int pass = 0; pass < 2; pass++) {
    char **list = pass == 0 ? o->cap_add : o->cap_drop;
    for (size_t i = 0; list && list[i]; i++) {
      const char *c = list[i];
      if (strcasecmp(c, "ALL") == 0) {
        /* all that this host can give: not a capability outside our own
         * bounding set, which the runtime could never grant */
        for (int k = 0; k <= last; k++)
          set[k] = pass == 0 && prctl(PR_CAPBSET_READ, (unsigned long)k, 0, 0, 0) == 1;
        continue;
      }
      char full[64];
      snprintf(full, sizeof full, "%s%s", strncasecmp(c, "CAP_", 4) == 0 ? "" : "CAP_", c);
      for (char *p = full; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
      int cap = spec_cap_from_name(full);
      if (cap < 0 || cap > last) {
        vessel_error_set(err, 0, "unknown capability `%s`", c);
        return NULL;
      }
      set[cap] = pass == 0;
    }
  }
  json_t *a = json_array();
  for (int k = 0; a && k <= last; k++)
    if (set[k])
      json_array_append_new(a, json_string(spec_cap_name(k)));
  if (!a)
    return NULL;
  /* exactly bounding, effective and permitted: never inheritable or ambient */
  json_t *caps = json_pack("{s:O, s:O, s:O}", "bounding", a, "effective", a, "permitted", a);
  json_decref(a);
  return caps;
}

static json_t *mounts_json(const struct bundle_input *in)
{
  json_t *a = json_array();
  for (size_t i = 0; a && i < ARRAY_SIZE(default_mounts); i++) {
    const struct mount_default *m = &default_mounts[i];
    json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o}", "destination", m->destination,
                                       "type", m->type, "source", m->source, "options",
                                       strv_json(m->options)));
  }
  json_t *etc = etc_files_mounts(in);
  if (!etc || json_array_extend(a, etc) < 0) {
    json_decref(a);
    a = NULL;
  }
  json_decref(etc);
  return a;
}

static json_t *linux_json(const struct bundle_input *in, const bool caps[64])
{
  const struct engine_run_opts *o = in->opts;
  char cgroups_path[128];
  /* flat, as the runtime's own default: no shared parent left behind */
  snprintf(cgroups_path, sizeof cgroups_path, "/vessel-%s", in->id);
  json_t *nss = json_array();
  static const char *const ns[] = {"pid", "ipc", "uts", "mount", "network"};
  for (size_t i = 0; nss && i < ARRAY_SIZE(ns); i++)
    if (!(o->network_host && strcmp(ns[i], "network") == 0))
      json_array_append_new(nss, json_pack("{s:s}", "type", ns[i]));
  /* the runtime adds the default device nodes after this deny-all */
  json_t *res = json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm");
  if (res && o->memory > 0)
    json_object_set_new(res, "memory", json_pack("{s:I}", "limit", (json_int_t)o->memory));
  if (res && o->pids > 0)
    json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)o->pids));
  json_t *l = json_pack("{s:o, s:s, s:o, s:o, s:o}", "namespaces", nss, "cgroupsPath", cgroups_path,
                        "resources", res, "maskedPaths", strv_json(masked_paths), "readonlyPaths",
                        strv_json(readonly_paths));
  if (l && !o->seccomp_unconfined) {
    json_t *sc = profile_seccomp_json(caps);
    if (!sc || json_object_set_new(l, "seccomp", sc) < 0) {
      json_decref(l);
      return NULL;
    }
  }
  return l;
}

json_t *bundle_config_json(const struct bundle_input *in, struct vessel_error *err)
{
  const struct engine_run_opts *o = in->opts;
  char hostname[13];
  snprintf(hostname, sizeof hostname, "%.12s", in->id);
  const char *host = o->hostname ? o->hostname : hostname;
  _cleanup_strv_ char **args = bundle_args(o, in->image, err);
  if (!args)
    return NULL;
  _cleanup_strv_ char **env = bundle_env(o, in->image, in->uid, host, err);
  if (!env)
    return NULL;
  const char *cwd = o->workdir                                            ? o->workdir
                    : in->image->working_dir && in->image->working_dir[0] ? in->image->working_dir
                                                                          : "/";
  if (cwd[0] != '/') {
    vessel_error_set(err, 0, "the working directory `%s` must be an absolute path", cwd);
    return NULL;
  }
  bool capset[64] = {0};
  json_t *caps = caps_json(o, capset, err);
  if (!caps)
    return NULL;
  json_t *user = json_pack("{s:I, s:I}", "uid", (json_int_t)in->uid, "gid", (json_int_t)in->gid);
  json_t *process =
      json_pack("{s:b, s:o, s:o, s:o, s:s, s:o, s:b}", "terminal", o->mon.tty, "user", user, "args",
                strv_json((const char *const *)args), "env", strv_json((const char *const *)env),
                "cwd", cwd, "capabilities", caps, "noNewPrivileges", 0);
  json_t *root =
      json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", SPEC_OCI_VERSION,
                "process", process, "root", "path", "rootfs", "readonly", o->read_only, "hostname",
                host, "mounts", mounts_json(in), "linux", linux_json(in, capset));
  if (!root) {
    vessel_error_set(err, ENOMEM, "build config.json");
    return NULL;
  }
  /* its own network namespace: loopback up, as docker's --network none */
  if (!o->network_host)
    json_object_set_new(root, "annotations", json_pack("{s:s}", "run.vessel.loopback", "up"));
  if (bundle_flags_apply(root, in, capset, err) < 0) {
    json_decref(root);
    return NULL;
  }
  return root;
}
