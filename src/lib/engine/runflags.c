/* Values of `vessel run`'s flags as docker reads them: --mount, -v, --tmpfs,
 * --ulimit, --device, --env-file, --cpus, --sysctl. Syntax only: what needs
 * the host (a device node, a bind source) is checked when the bundle is made. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define ENV_FILE_MAX_VARS 65536
#define MOUNT_SPEC_MAX 8192

/* container names' rule, in a volume's words */
static int volume_name_check(const char *name, struct vessel_error *err)
{
  struct vessel_error ignored;
  if (name_check(name, &ignored) < 0)
    return vessel_error_set(err, 0, "bad volume name `%s`: 1 to 128 of [a-zA-Z0-9][a-zA-Z0-9_.-]*",
                            name);
  return 0;
}

static bool path_ok(const char *p)
{
  return p[0] == '/' && !strchr(p, ',') && strlen(p) < 4096;
}

/* docker's true/false words of --mount readonly=... */
static int parse_bool(const char *s, bool *out)
{
  if (!s || !strcmp(s, "1") || !strcasecmp(s, "true")) {
    *out = true;
    return 0;
  }
  if (!strcmp(s, "0") || !strcasecmp(s, "false")) {
    *out = false;
    return 0;
  }
  return -1;
}

static int parse_mode(const char *s, unsigned *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 8);
  if (!s[0] || *end || errno || v > 07777 || s[0] == '-' || s[0] == '+')
    return -1;
  *out = (unsigned)v;
  return 0;
}

/* The mount options of --tmpfs that docker passes on: flags and the tmpfs
 * keys; the rest would be a typo or a way around the defaults. */
static bool tmpfs_option_ok(const char *o)
{
  static const char *const flags[] = {
      "ro",       "rw",         "exec",        "noexec",        "suid",
      "nosuid",   "dev",        "nodev",       "sync",          "async",
      "dirsync",  "atime",      "noatime",     "diratime",      "nodiratime",
      "relatime", "norelatime", "strictatime", "nostrictatime", "tmpcopyup",
  };
  for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
    if (!strcmp(o, flags[i]))
      return true;
  static const char *const keys[] = {"uid=", "gid=", "nr_inodes=", "nr_blocks="};
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
    if (!strncmp(o, keys[i], strlen(keys[i])) && o[strlen(keys[i])] &&
        strspn(o + strlen(keys[i]), "0123456789kKmMgG") == strlen(o + strlen(keys[i])))
      return true;
  return false;
}

int engine_parse_mount(const char *spec, struct engine_mount *out, struct vessel_error *err)
{
  if (strlen(spec) > MOUNT_SPEC_MAX)
    return vessel_error_set(err, 0, "--mount: too long");
  _cleanup_free_ char *copy = strdup(spec);
  if (!copy)
    return vessel_error_set(err, ENOMEM, "--mount");
  struct engine_mount m = {0};
  const char *type = NULL, *src = NULL, *dst = NULL, *size = NULL, *mode = NULL;
  bool ro = false;
  for (char *s = copy, *kv; (kv = strsep(&s, ","));) {
    char *val = strchr(kv, '=');
    if (val)
      *val++ = '\0';
    if (!strcmp(kv, "type"))
      type = val;
    else if (!strcmp(kv, "source") || !strcmp(kv, "src"))
      src = val;
    else if (!strcmp(kv, "target") || !strcmp(kv, "destination") || !strcmp(kv, "dst"))
      dst = val;
    else if (!strcmp(kv, "readonly") || !strcmp(kv, "ro")) {
      if (parse_bool(val, &ro) < 0)
        return vessel_error_set(err, 0, "--mount `%s`: bad %s value `%s`", spec, kv, val);
    } else if (!strcmp(kv, "tmpfs-size"))
      size = val;
    else if (!strcmp(kv, "tmpfs-mode"))
      mode = val;
    else if (!strcmp(kv, "volume-nocopy")) {
      if (parse_bool(val, &m.nocopy) < 0)
        return vessel_error_set(err, 0, "--mount `%s`: bad %s value `%s`", spec, kv, val);
    } else if (!strcmp(kv, "consistency") || !strcmp(kv, "bind-propagation")) {
      /* docker's no-ops on Linux, and propagation stays rprivate */
      if (!strcmp(kv, "bind-propagation") && val && strcmp(val, "rprivate") &&
          strcmp(val, "private"))
        return vessel_error_set(err, 0, "--mount `%s`: only rprivate bind propagation is supported",
                                spec);
    } else
      return vessel_error_set(err, 0, "--mount `%s`: unknown key `%s`", spec, kv);
    if (!val && strcmp(kv, "readonly") && strcmp(kv, "ro") && strcmp(kv, "volume-nocopy"))
      return vessel_error_set(err, 0, "--mount `%s`: `%s` needs a value", spec, kv);
  }
  if (!type)
    type = "volume"; /* docker's default */
  if (!strcmp(type, "bind"))
    m.type = ENGINE_MOUNT_BIND;
  else if (!strcmp(type, "volume"))
    m.type = ENGINE_MOUNT_VOLUME;
  else if (!strcmp(type, "tmpfs"))
    m.type = ENGINE_MOUNT_TMPFS;
  else
    return vessel_error_set(err, 0, "--mount `%s`: type must be bind, volume or tmpfs", spec);
  if (!dst || !path_ok(dst))
    return vessel_error_set(err, 0, "--mount `%s`: target must be an absolute path", spec);
  if ((size || mode) && m.type != ENGINE_MOUNT_TMPFS)
    return vessel_error_set(err, 0, "--mount `%s`: tmpfs options are for type=tmpfs", spec);
  if (m.type == ENGINE_MOUNT_BIND && (!src || !path_ok(src)))
    return vessel_error_set(err, 0, "--mount `%s`: a bind needs an absolute source", spec);
  if (m.type == ENGINE_MOUNT_TMPFS && src)
    return vessel_error_set(err, 0, "--mount `%s`: a tmpfs has no source", spec);
  if (m.type == ENGINE_MOUNT_VOLUME && src && src[0] && volume_name_check(src, err) < 0)
    return vessel_error_prefix(err, "--mount");
  if (size && (engine_parse_bytes(size, &m.tmpfs_size) < 0 || m.tmpfs_size <= 0))
    return vessel_error_set(err, 0, "--mount `%s`: bad tmpfs-size `%s`", spec, size);
  if (mode && (parse_mode(mode, &m.tmpfs_mode) < 0 || m.tmpfs_mode == 0))
    return vessel_error_set(err, 0, "--mount `%s`: bad tmpfs-mode `%s` (octal)", spec, mode);
  m.readonly = ro;
  m.anonymous = m.type == ENGINE_MOUNT_VOLUME && (!src || !src[0]);
  if (!(m.destination = strdup(dst)) ||
      (src && src[0] && m.type != ENGINE_MOUNT_TMPFS && !(m.source = strdup(src)))) {
    engine_mount_clear(&m);
    return vessel_error_set(err, ENOMEM, "--mount");
  }
  *out = m;
  return 0;
}

int engine_parse_volume(const char *spec, struct engine_mount *out, struct vessel_error *err)
{
  if (strlen(spec) > MOUNT_SPEC_MAX)
    return vessel_error_set(err, 0, "--volume: too long");
  _cleanup_free_ char *copy = strdup(spec);
  if (!copy)
    return vessel_error_set(err, ENOMEM, "--volume");
  char *parts[4] = {0};
  size_t n = 0;
  for (char *s = copy; n < 4;) {
    parts[n++] = strsep(&s, ":");
    if (!s)
      break;
  }
  struct engine_mount m = {0};
  const char *src = NULL, *dst;
  char *mode = NULL;
  if (n == 1) {
    dst = parts[0]; /* -v /dst: an anonymous volume */
  } else if (n == 2 && parts[0][0] == '/' && parts[1][0] != '/') {
    dst = parts[0]; /* -v /dst:ro */
    mode = parts[1];
  } else if (n == 2 || n == 3) {
    src = parts[0];
    dst = parts[1];
    mode = n == 3 ? parts[2] : NULL;
  } else {
    return vessel_error_set(err, 0, "bad volume `%s`: [SRC:]DST[:ro]", spec);
  }
  if (!path_ok(dst))
    return vessel_error_set(err, 0, "volume destination `%s` must be an absolute path", dst);
  if (src && !src[0])
    return vessel_error_set(err, 0, "bad volume `%s`: empty source", spec);
  if (src && src[0] == '/') {
    if (!path_ok(src))
      return vessel_error_set(err, 0, "bad volume source `%s`", src);
    m.type = ENGINE_MOUNT_BIND;
  } else {
    m.type = ENGINE_MOUNT_VOLUME;
    if (src && volume_name_check(src, err) < 0)
      return -1;
    m.anonymous = !src;
  }
  for (char *s = mode, *o; s && (o = strsep(&s, ","));) {
    if (!strcmp(o, "ro"))
      m.readonly = true;
    else if (!strcmp(o, "nocopy") && m.type == ENGINE_MOUNT_VOLUME)
      m.nocopy = true;
    else if (strcmp(o, "rw") != 0)
      return vessel_error_set(err, 0, "bad volume mode `%s`: ro, rw or nocopy", o);
  }
  if (!(m.destination = strdup(dst)) || (src && !(m.source = strdup(src)))) {
    engine_mount_clear(&m);
    return vessel_error_set(err, ENOMEM, "--volume");
  }
  *out = m;
  return 0;
}

int engine_parse_tmpfs(const char *spec, struct engine_mount *out, struct vessel_error *err)
{
  if (strlen(spec) > MOUNT_SPEC_MAX)
    return vessel_error_set(err, 0, "--tmpfs: too long");
  _cleanup_free_ char *copy = strdup(spec);
  if (!copy)
    return vessel_error_set(err, ENOMEM, "--tmpfs");
  char *opts = strchr(copy, ':');
  if (opts)
    *opts++ = '\0';
  if (!path_ok(copy))
    return vessel_error_set(err, 0, "--tmpfs `%s`: the destination must be an absolute path", spec);
  struct engine_mount m = {.type = ENGINE_MOUNT_TMPFS};
  _cleanup_free_ char *rest = calloc(1, opts ? strlen(opts) + 1 : 1);
  if (!rest)
    return vessel_error_set(err, ENOMEM, "--tmpfs");
  for (char *s = opts, *o; s && (o = strsep(&s, ","));) {
    if (!o[0])
      continue;
    if (!strncmp(o, "size=", 5)) {
      if (engine_parse_bytes(o + 5, &m.tmpfs_size) < 0 || m.tmpfs_size <= 0)
        return vessel_error_set(err, 0, "--tmpfs `%s`: bad size `%s`", spec, o + 5);
    } else if (!strncmp(o, "mode=", 5)) {
      if (parse_mode(o + 5, &m.tmpfs_mode) < 0 || m.tmpfs_mode == 0)
        return vessel_error_set(err, 0, "--tmpfs `%s`: bad mode `%s` (octal)", spec, o + 5);
    } else if (tmpfs_option_ok(o)) {
      if (!strcmp(o, "ro"))
        m.readonly = true;
      else if (!strcmp(o, "rw"))
        m.readonly = false;
      else {
        if (rest[0])
          strcat(rest, ",");
        strcat(rest, o);
      }
    } else {
      return vessel_error_set(err, 0, "--tmpfs `%s`: unknown option `%s`", spec, o);
    }
  }
  if (!(m.destination = strdup(copy))) {
    engine_mount_clear(&m);
    return vessel_error_set(err, ENOMEM, "--tmpfs");
  }
  if (rest[0])
    m.tmpfs_options = TAKE_PTR(rest);
  *out = m;
  return 0;
}

static const struct {
  const char *name;
  int resource;
} ulimits[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

const char *engine_ulimit_name(int resource)
{
  for (size_t i = 0; i < ARRAY_SIZE(ulimits); i++)
    if (ulimits[i].resource == resource)
      return ulimits[i].name;
  return NULL;
}

static int parse_limit(const char *s, unsigned long long *out)
{
  if (!strcmp(s, "-1") || !strcmp(s, "unlimited")) {
    *out = RLIM_INFINITY;
    return 0;
  }
  return parse_u64(s, out);
}

int engine_parse_ulimit(const char *spec, struct engine_ulimit *out, struct vessel_error *err)
{
  const char *eq = strchr(spec, '=');
  if (!eq)
    return vessel_error_set(err, 0, "bad --ulimit `%s`: NAME=SOFT[:HARD]", spec);
  size_t i;
  for (i = 0; i < ARRAY_SIZE(ulimits); i++)
    if (strlen(ulimits[i].name) == (size_t)(eq - spec) &&
        !strncmp(spec, ulimits[i].name, (size_t)(eq - spec)))
      break;
  if (i == ARRAY_SIZE(ulimits))
    return vessel_error_set(err, 0, "bad --ulimit `%s`: unknown limit `%.*s`", spec,
                            (int)(eq - spec), spec);
  char buf[64];
  if (strlen(eq + 1) >= sizeof buf)
    return vessel_error_set(err, 0, "bad --ulimit `%s`", spec);
  strcpy(buf, eq + 1);
  char *hard = strchr(buf, ':');
  if (hard)
    *hard++ = '\0';
  struct engine_ulimit u = {.resource = ulimits[i].resource};
  if (parse_limit(buf, &u.soft) < 0 || (hard && parse_limit(hard, &u.hard) < 0))
    return vessel_error_set(err, 0, "bad --ulimit `%s`: the limits must be numbers", spec);
  if (!hard)
    u.hard = u.soft;
  if (u.soft > u.hard)
    return vessel_error_set(err, 0, "bad --ulimit `%s`: the soft limit is above the hard one",
                            spec);
  *out = u;
  return 0;
}

int engine_parse_device(const char *spec, struct engine_device *out, struct vessel_error *err)
{
  _cleanup_free_ char *copy = strdup(spec);
  if (!copy)
    return vessel_error_set(err, ENOMEM, "--device");
  char *parts[4] = {0};
  size_t n = 0;
  for (char *s = copy; n < 4;) {
    parts[n++] = strsep(&s, ":");
    if (!s)
      break;
  }
  const char *host = parts[0], *ctr = parts[0], *access = "rwm";
  if (n == 2 && parts[1][0] != '/')
    access = parts[1]; /* docker's /dev/X:rwm */
  else if (n >= 2)
    ctr = parts[1];
  if (n == 3)
    access = parts[2];
  if (n > 3 || !path_ok(host) || !path_ok(ctr))
    return vessel_error_set(err, 0, "bad --device `%s`: /dev/HOST[:/dev/CONTAINER[:rwm]]", spec);
  if (!access[0] || strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
    return vessel_error_set(err, 0, "bad --device `%s`: permissions are some of r, w, m", spec);
  struct engine_device d = {0};
  snprintf(d.access, sizeof d.access, "%s", access);
  if (!(d.host = strdup(host)) || !(d.container = strdup(ctr))) {
    free(d.host);
    return vessel_error_set(err, ENOMEM, "--device");
  }
  *out = d;
  return 0;
}

int engine_parse_env_file(const char *path, char ***v, size_t *n, struct vessel_error *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (fs_read_fileat(AT_FDCWD, path, &text, &len, err) < 0)
    return vessel_error_prefix(err, "--env-file");
  if (memchr(text, '\0', len))
    return vessel_error_set(err, 0, "--env-file `%s`: holds a NUL byte", path);
  unsigned lineno = 0;
  for (char *s = text, *line; (line = strsep(&s, "\n"));) {
    lineno++;
    size_t l = strlen(line);
    if (l && line[l - 1] == '\r')
      line[--l] = '\0';
    while (*line == ' ' || *line == '\t')
      line++;
    if (!line[0] || line[0] == '#')
      continue;
    char *eq = strchr(line, '=');
    size_t klen = eq ? (size_t)(eq - line) : strlen(line);
    if (klen == 0)
      return vessel_error_set(err, 0, "--env-file `%s` line %u: no variable name", path, lineno);
    for (size_t i = 0; i < klen; i++)
      if (isspace((unsigned char)line[i]))
        return vessel_error_set(err, 0, "--env-file `%s` line %u: `%.*s` holds whitespace", path,
                                lineno, (int)klen, line);
    if (*n >= ENV_FILE_MAX_VARS)
      return vessel_error_set(err, 0, "--env-file `%s`: too many variables", path);
    if (strv_push(v, n, line) < 0)
      return vessel_error_set(err, ENOMEM, "--env-file");
  }
  return 0;
}

int engine_parse_cpus(const char *s, long long *nano, struct vessel_error *err)
{
  const char *dot = strchr(s, '.');
  size_t ilen = dot ? (size_t)(dot - s) : strlen(s);
  size_t flen = dot ? strlen(dot + 1) : 0;
  if ((ilen == 0 && flen == 0) || ilen > 6 || flen > 9 || strspn(s, "0123456789") != ilen ||
      (dot && strspn(dot + 1, "0123456789") != flen))
    return vessel_error_set(err, 0, "bad --cpus `%s`: a number such as 1.5", s);
  long long v = 0;
  for (size_t i = 0; i < ilen; i++)
    v = v * 10 + (s[i] - '0');
  v *= 1000000000LL;
  long long frac = 0, scale = 100000000LL;
  for (size_t i = 0; i < flen; i++, scale /= 10)
    frac += (dot[1 + i] - '0') * scale;
  v += frac;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  /* the CFS quota is at least 1 ms of a 100 ms period */
  if (v < 10000000LL || (cpus > 0 && v > cpus * 1000000000LL))
    return vessel_error_set(err, 0, "bad --cpus `%s`: from 0.01 to %ld on this host", s,
                            cpus > 0 ? cpus : 1);
  *nano = v;
  return 0;
}

int engine_check_sysctl(const char *kv, bool network_host, struct vessel_error *err)
{
  const char *eq = strchr(kv, '=');
  if (!eq || eq == kv || strchr(kv, '\n'))
    return vessel_error_set(err, 0, "bad --sysctl `%s`: KEY=VALUE", kv);
  size_t klen = (size_t)(eq - kv);
  if (klen > 256 ||
      strspn(kv, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") != klen ||
      strstr(kv, ".."))
    return vessel_error_set(err, 0, "bad --sysctl `%s`: bad name", kv);
  static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                    "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                    "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
    if (strlen(ipc[i]) == klen && !strncmp(kv, ipc[i], klen))
      return 0;
  if (!strncmp(kv, "fs.mqueue.", 10))
    return 0;
  if (!strncmp(kv, "net.", 4)) {
    if (network_host)
      return vessel_error_set(err, 0,
                              "--sysctl `%.*s`: not with --network host (it would change the host)",
                              (int)klen, kv);
    return 0;
  }
  return vessel_error_set(err, 0, "--sysctl `%.*s` is not namespaced: it would change the host",
                          (int)klen, kv);
}
