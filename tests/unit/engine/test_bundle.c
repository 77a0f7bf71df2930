/* engine: config.json of a bundle from an image config and run flags. */
#include <jansson.h>
#include <stdlib.h>

#include "bundle_checked.h"
#include "engine/internal.h"
#include "spec/spec.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static json_t *make(const struct engine_run_opts *o, const struct image_config *img, uid_t uid,
                    struct vessel_error *err)
{
  struct bundle_input in = {.id = ID, .opts = o, .image = img, .uid = uid, .gid = uid};
  return bundle_checked(&in, err);
}

static bool has_string(json_t *a, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach(a, i,
                     v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
  return false;
}

static const char *path_str(json_t *root, const char *a, const char *b)
{
  json_t *v = json_object_get(json_object_get(root, a), b);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static void defaults_are_dockers(void)
{
  char *cmd[] = {"sh", NULL};
  struct image_config img = {.cmd = cmd};
  struct engine_run_opts o = {.image = "busybox"};
  struct vessel_error err = {0};
  json_t *j = make(&o, &img, 0, &err);
  CHECK(j != NULL);
  json_t *proc = json_object_get(j, "process");
  json_t *caps = json_object_get(proc, "capabilities");
  json_t *bounding = json_object_get(caps, "bounding");
  CHECK(json_array_size(bounding) == 14);
  CHECK(has_string(bounding, "CAP_NET_BIND_SERVICE"));
  CHECK(has_string(bounding, "CAP_AUDIT_WRITE"));
  CHECK(!has_string(bounding, "CAP_SYS_ADMIN"));
  CHECK(!has_string(bounding, "CAP_NET_ADMIN"));
  CHECK(json_object_get(caps, "inheritable") == NULL);
  CHECK(json_object_get(caps, "ambient") == NULL);
  CHECK(json_equal(bounding, json_object_get(caps, "effective")));
  CHECK_STR(path_str(j, "process", "cwd"), "/");
  CHECK(has_string(json_object_get(proc, "args"), "sh"));
  CHECK_STR(path_str(j, "linux", "cgroupsPath"), "/vessel-" ID);
  CHECK_STR(json_string_value(json_object_get(j, "hostname")), "0123456789ab");
  json_t *lx = json_object_get(j, "linux");
  CHECK(has_string(json_object_get(lx, "maskedPaths"), "/proc/kcore"));
  CHECK(has_string(json_object_get(lx, "maskedPaths"), "/sys/firmware"));
  CHECK(has_string(json_object_get(lx, "readonlyPaths"), "/proc/sys"));
  json_t *ns = json_object_get(lx, "namespaces");
  CHECK(json_array_size(ns) == 5);
  size_t i;
  json_t *m;
  bool proc_mount = false, cgroup_mount = false;
  json_array_foreach(json_object_get(j, "mounts"), i, m)
  {
    const char *d = json_string_value(json_object_get(m, "destination"));
    proc_mount = proc_mount || (d && strcmp(d, "/proc") == 0);
    cgroup_mount = cgroup_mount || (d && strcmp(d, "/sys/fs/cgroup") == 0 &&
                                    has_string(json_object_get(m, "options"), "ro"));
  }
  CHECK(proc_mount);
  CHECK(cgroup_mount);
  CHECK(json_object_get(json_object_get(lx, "resources"), "memory") == NULL);
  CHECK(!json_is_true(json_object_get(json_object_get(j, "root"), "readonly")));
  json_decref(j);
}

static void flags_reach_the_config(void)
{
  char *cmd[] = {"sh", NULL};
  char *ep[] = {"/init", NULL};
  char *ienv[] = {"A=image", "B=image", NULL};
  struct image_config img = {.cmd = cmd, .entrypoint = ep, .env = ienv, .working_dir = "/srv"};
  char *run_cmd[] = {"echo", "hi", NULL};
  char *env[] = {"B=flag", "C=3", NULL};
  char *add[] = {"sys_admin", NULL};
  char *drop[] = {"CAP_CHOWN", "net_raw", NULL};
  struct engine_mount mounts[] = {
      {.type = ENGINE_MOUNT_BIND, .source = "/host", .destination = "/ctr", .readonly = true}};
  struct engine_run_opts o = {.image = "x",
                              .cmd = run_cmd,
                              .env = env,
                              .workdir = "/w",
                              .hostname = "box",
                              .network_host = true,
                              .mounts = mounts,
                              .n_mounts = 1,
                              .read_only = true,
                              .cap_add = add,
                              .cap_drop = drop,
                              .memory = 1 << 27,
                              .pids = 20};
  struct vessel_error err = {0};
  json_t *j = make(&o, &img, 1000, &err);
  CHECK(j != NULL);
  json_t *proc = json_object_get(j, "process");
  json_t *args = json_object_get(proc, "args");
  CHECK(json_array_size(args) == 3);
  CHECK_STR(json_string_value(json_array_get(args, 0)), "/init");
  CHECK_STR(json_string_value(json_array_get(args, 1)), "echo");
  json_t *envj = json_object_get(proc, "env");
  CHECK(has_string(envj, "A=image"));
  CHECK(has_string(envj, "B=flag"));
  CHECK(!has_string(envj, "B=image"));
  CHECK(has_string(envj, "C=3"));
  CHECK(has_string(envj, "HOME=/"));
  CHECK(has_string(envj, "HOSTNAME=box"));
  CHECK_STR(path_str(j, "process", "cwd"), "/w");
  CHECK(json_integer_value(json_object_get(json_object_get(proc, "user"), "uid")) == 1000);
  json_t *bounding = json_object_get(json_object_get(proc, "capabilities"), "bounding");
  CHECK(has_string(bounding, "CAP_SYS_ADMIN"));
  CHECK(!has_string(bounding, "CAP_CHOWN"));
  CHECK(!has_string(bounding, "CAP_NET_RAW"));
  CHECK_STR(json_string_value(json_object_get(j, "hostname")), "box");
  CHECK(json_is_true(json_object_get(json_object_get(j, "root"), "readonly")));
  json_t *lx = json_object_get(j, "linux");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(lx, "namespaces"), i, v)
      CHECK(strcmp(json_string_value(json_object_get(v, "type")), "network") != 0);
  json_t *res = json_object_get(lx, "resources");
  CHECK(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")) == 1 << 27);
  CHECK(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")) == 20);
  bool bind = false;
  json_array_foreach(json_object_get(j, "mounts"), i, v)
  {
    const char *d = json_string_value(json_object_get(v, "destination"));
    if (d && strcmp(d, "/ctr") == 0) {
      bind = true;
      CHECK_STR(json_string_value(json_object_get(v, "source")), "/host");
      CHECK(has_string(json_object_get(v, "options"), "ro"));
      CHECK(has_string(json_object_get(v, "options"), "rbind"));
    }
  }
  CHECK(bind);
  json_decref(j);
}

static void entrypoint_flag_drops_the_image_cmd(void)
{
  char *cmd[] = {"sh", NULL};
  struct image_config img = {.cmd = cmd};
  struct engine_run_opts o = {.image = "x", .entrypoint = "/bin/true"};
  struct vessel_error err = {0};
  _cleanup_strv_ char **args = bundle_args(&o, &img, &err);
  CHECK(args && strv_length(args) == 1);
  CHECK_STR(args ? args[0] : NULL, "/bin/true");
  struct engine_run_opts o2 = {.image = "x"};
  struct image_config empty = {0};
  CHECK(bundle_args(&o2, &empty, &err) == NULL);
  CHECK(strstr(err.msg, "no command") != NULL);
}

static void bad_input_is_refused(void)
{
  char *cmd[] = {"sh", NULL};
  struct image_config img = {.cmd = cmd};
  struct vessel_error err = {0};
  char *bad_cap[] = {"NOT_A_CAP", NULL};
  struct engine_run_opts o = {.image = "x", .cap_add = bad_cap};
  struct bundle_input in = {.id = ID, .opts = &o, .image = &img};
  CHECK(bundle_config_json(&in, &err) == NULL);
  CHECK(strstr(err.msg, "NOT_A_CAP") != NULL);
  struct engine_run_opts o2 = {.image = "x", .workdir = "relative"};
  in.opts = &o2;
  CHECK(bundle_config_json(&in, &err) == NULL);
  char *bad_env[] = {"=x", NULL};
  struct engine_run_opts o3 = {.image = "x", .env = bad_env};
  in.opts = &o3;
  CHECK(bundle_config_json(&in, &err) == NULL);
}

/* the names the profile allows unconditionally */
static json_t *allowed_names(json_t *config)
{
  json_t *rules =
      json_object_get(json_object_get(json_object_get(config, "linux"), "seccomp"), "syscalls");
  return json_object_get(json_array_get(rules, 0), "names");
}

static void seccomp_profile_follows_capabilities(void)
{
  char *cmd[] = {"sh", NULL};
  struct image_config img = {.cmd = cmd};
  struct vessel_error err = {0};
  struct engine_run_opts o = {.image = "x"};
  json_t *j = make(&o, &img, 0, &err);
  json_t *sc = json_object_get(json_object_get(j, "linux"), "seccomp");
  CHECK(sc != NULL);
  CHECK_STR(json_string_value(json_object_get(sc, "defaultAction")), "SCMP_ACT_ERRNO");
  CHECK(json_integer_value(json_object_get(sc, "defaultErrnoRet")) == 1);
  json_t *names = allowed_names(j);
  CHECK(has_string(names, "read") && has_string(names, "execve"));
  CHECK(!has_string(names, "mount") && !has_string(names, "unshare") &&
        !has_string(names, "ptrace") && !has_string(names, "keyctl") &&
        !has_string(names, "clone"));
  /* clone is allowed only without namespace flags */
  size_t i;
  json_t *r;
  bool clone_masked = false;
  json_array_foreach(json_object_get(sc, "syscalls"), i, r)
  {
    json_t *a = json_array_get(json_object_get(r, "args"), 0);
    if (has_string(json_object_get(r, "names"), "clone"))
      clone_masked =
          a && strcmp(json_string_value(json_object_get(a, "op")), "SCMP_CMP_MASKED_EQ") == 0 &&
          (json_integer_value(json_object_get(a, "value")) & 0x10000000) != 0;
  }
  CHECK(clone_masked);
  json_decref(j);

  char *add[] = {"SYS_ADMIN", "SYS_PTRACE", NULL};
  struct engine_run_opts o2 = {.image = "x", .cap_add = add};
  j = make(&o2, &img, 0, &err);
  names = allowed_names(j);
  CHECK(has_string(names, "mount") && has_string(names, "unshare") && has_string(names, "ptrace"));
  CHECK(!has_string(names, "keyctl"));
  json_decref(j);

  struct engine_run_opts o3 = {.image = "x", .seccomp_unconfined = true};
  j = make(&o3, &img, 0, &err);
  CHECK(j && json_object_get(json_object_get(j, "linux"), "seccomp") == NULL);
  json_decref(j);
}

TAP_MAIN(T(seccomp_profile_follows_capabilities), T(defaults_are_dockers),
         T(flags_reach_the_config), T(entrypoint_flag_drops_the_image_cmd), T(bad_input_is_refused))
