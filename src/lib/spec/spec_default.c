/* The default config.json, as `runc spec` and `runc spec --rootless` write
 * it (hostname "vessel"; the cgroup namespace always on). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util/cleanup.h"

static json_t *strv_json(const char *const *v)
{
  json_t *a = json_array();
  for (size_t i = 0; a && v[i]; i++)
    if (json_array_append_new(a, json_string(v[i])) < 0) {
      json_decref(a);
      return NULL;
    }
  return a;
}

static json_t *mount_json(const char *dest, const char *type, const char *source,
                          const char *const *options, bool rootless)
{
  json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
  if (!m || !options)
    return m;
  json_t *opts = json_array();
  for (size_t i = 0; opts && options[i]; i++) {
    /* no uid=/gid= options: a rootless user namespace maps only the caller */
    if (rootless && (strncmp(options[i], "gid=", 4) == 0 || strncmp(options[i], "uid=", 4) == 0))
      continue;
    json_array_append_new(opts, json_string(options[i]));
  }
  if (!opts || json_object_set_new(m, "options", opts) < 0) {
    json_decref(m);
    return NULL;
  }
  return m;
}

static json_t *mounts_json(bool rootless)
{
  static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
  static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
                                    "mode=0620", "gid=5",  NULL};
  static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL};
  static const char *const mqueue[] = {"nosuid", "noexec", "nodev", NULL};
  static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
  static const char *const sys_rootless[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
  static const char *const cgroup[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
  json_t *a = json_array();
  if (!a)
    return NULL;
  json_t *items[] = {
      mount_json("/proc", "proc", "proc", NULL, rootless),
      mount_json("/dev", "tmpfs", "tmpfs", dev, rootless),
      mount_json("/dev/pts", "devpts", "devpts", pts, rootless),
      mount_json("/dev/shm", "tmpfs", "shm", shm, rootless),
      mount_json("/dev/mqueue", "mqueue", "mqueue", mqueue, rootless),
      /* sysfs cannot be mounted without the network namespace's owner: bind it */
      rootless ? mount_json("/sys", "none", "/sys", sys_rootless, rootless)
               : mount_json("/sys", "sysfs", "sysfs", sys, rootless),
      mount_json("/sys/fs/cgroup", "cgroup", "cgroup", cgroup, rootless),
  };
  bool ok = true;
  for (size_t i = 0; i < ARRAY_SIZE(items); i++)
    ok = (items[i] && json_array_append_new(a, items[i]) == 0) && ok;
  if (!ok) {
    json_decref(a);
    return NULL;
  }
  return a;
}

static json_t *process_json(void)
{
  static const char *const args[] = {"sh", NULL};
  static const char *const env[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
  static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};
  return json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:o, s:o, s:o},"
                   " s:[{s:s, s:i, s:i}], s:b}",
                   "terminal", 1, "user", "uid", 0, "gid", 0, "args", strv_json(args), "env",
                   strv_json(env), "cwd", "/", "capabilities", "bounding", strv_json(caps),
                   "effective", strv_json(caps), "permitted", strv_json(caps), "rlimits", "type",
                   "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
}

static json_t *linux_json(bool rootless, uid_t uid, gid_t gid)
{
  static const char *const masked[] = {"/proc/acpi",
                                       "/proc/asound",
                                       "/proc/kcore",
                                       "/proc/keys",
                                       "/proc/latency_stats",
                                       "/proc/timer_list",
                                       "/proc/timer_stats",
                                       "/proc/sched_debug",
                                       "/sys/firmware",
                                       "/proc/scsi",
                                       "/sys/devices/virtual/powercap",
                                       NULL};
  static const char *const readonly[] = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
  static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
  json_t *l = json_pack("{s:o, s:o}", "maskedPaths", strv_json(masked), "readonlyPaths",
                        strv_json(readonly));
  json_t *nss = json_array();
  if (!l || !nss || json_object_set_new(l, "namespaces", nss) < 0)
    goto fail;
  for (size_t i = 0; ns[i]; i++)
    if (!(rootless && strcmp(ns[i], "network") == 0))
      json_array_append_new(nss, json_pack("{s:s}", "type", ns[i]));
  if (rootless) {
    json_array_append_new(nss, json_pack("{s:s}", "type", "user"));
    if (json_object_set_new(l, "uidMappings",
                            json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)uid, "size", 1)) < 0 ||
        json_object_set_new(l, "gidMappings",
                            json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)gid, "size", 1)) < 0)
      goto fail;
  } else if (json_object_set_new(
                 l, "resources",
                 json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm")) < 0) {
    goto fail;
  }
  return l;
fail:
  json_decref(l);
  return NULL;
}

char *spec_default_json(bool rootless, uid_t uid, gid_t gid)
{
  json_t *root =
      json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", SPEC_OCI_VERSION,
                "process", process_json(), "root", "path", "rootfs", "readonly", 1, "hostname",
                "vessel", "mounts", mounts_json(rootless), "linux", linux_json(rootless, uid, gid));
  if (!root)
    return NULL;
  _cleanup_free_ char *text = json_dumps(root, JSON_INDENT(2));
  json_decref(root);
  if (!text)
    return NULL;
  size_t n = strlen(text);
  char *out = malloc(n + 2);
  if (!out)
    return NULL;
  memcpy(out, text, n);
  memcpy(out + n, "\n", 2);
  return out;
}
