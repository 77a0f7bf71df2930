/* Container records: state.json read/write and status judgement. */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

void container_record_free(struct container_record *r)
{
  free(r->id);
  free(r->bundle);
  free(r->rootfs);
  free(r->created);
  free(r->owner);
  free(r->cgroup_path);
  free(r->annotations_json);
  memset(r, 0, sizeof *r);
}

int record_open(const struct runtime_ctx *ctx, const char *id, struct vessel_error *err)
{
  if (runtime_check_id(id, err) < 0)
    return -1;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", ctx->state_root, id);
  int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    vessel_error_set(err, 0, "container `%s` does not exist", id);
    err->code = ENOENT;
    return -1;
  }
  if (fd < 0)
    return vessel_error_set(err, errno, "open state of `%s`", id);
  return fd;
}

int record_claim(const struct runtime_ctx *ctx, const char *id, struct vessel_error *err)
{
  if (mkdir(ctx->state_root, 0700) < 0 && errno != EEXIST &&
      fs_mkdir_p(ctx->state_root, 0700, err) < 0)
    return -1;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", ctx->state_root, id);
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == EEXIST) {
    vessel_error_set(err, 0, "container `%s` already exists", id);
    err->code = EEXIST;
    return -1;
  }
  if (fd < 0)
    return vessel_error_set(err, errno, "create state of `%s`", id);
  return fd;
}

static int read_all(int fd, char **out, struct vessel_error *err)
{
  struct stat st;
  if (fstat(fd, &st) < 0)
    return vessel_error_set(err, errno, "read state");
  if (st.st_size > (16 << 20))
    return vessel_error_set(err, EFBIG, "read state");
  size_t len = (size_t)st.st_size;
  _cleanup_free_ char *buf = malloc(len + 1);
  if (!buf)
    return vessel_error_set(err, ENOMEM, "read state");
  size_t off = 0;
  while (off < len) {
    ssize_t r = pread(fd, buf + off, len - off, (off_t)off);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    off += (size_t)r;
  }
  buf[off] = '\0';
  *out = TAKE_PTR(buf);
  return 0;
}

/* A record is one line of compact JSON (no raw newline in it), then the
 * config.json text as it came. Embedded in the JSON as a string, the config
 * was escaped on every write and parsed again by every reader (state, list,
 * ps of each container): an 18 KB record with docker's seccomp profile cost
 * the engine ~0.3 ms a run (perf). */
static const char *config_part(const char *text)
{
  const char *nl = strchr(text, '\n');
  return nl ? nl + 1 : NULL;
}

/* The JSON line of a record (an older record is all JSON, config inside). */
static json_t *header_load(const char *text, json_error_t *jerr)
{
  const char *config = config_part(text);
  return json_loadb(text, config ? (size_t)(config - 1 - text) : strlen(text), 0, jerr);
}

int record_write(int fd, const struct container_record *r, const char *config,
                 struct vessel_error *err)
{
  json_t *o =
      json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:s, s:s?, s:i, s:i, s:I}", "id", r->id, "pid",
                (int)r->pid, "start_time", (json_int_t)r->start_time, "bundle", r->bundle, "rootfs",
                r->rootfs, "created", r->created, "owner", r->owner ? r->owner : "", "cgroup_path",
                r->cgroup_path, "cgroup_mode", (int)r->cgroup_mode, "start_fd", r->start_fd,
                "start_pipe_ino", (json_int_t)r->start_pipe_ino);
  if (!o)
    return vessel_error_set(err, ENOMEM, "encode state of `%s`", r->id);
  json_object_set_new(o, "exec_fd", json_integer(r->exec_fd));
  json_object_set_new(o, "poststart", json_boolean(r->has_poststart));
  json_object_set_new(o, "poststop", json_boolean(r->has_poststop));
  if (r->annotations_json) {
    json_t *a = json_loads(r->annotations_json, 0, NULL);
    if (a)
      json_object_set_new(o, "annotations", a);
  }
  _cleanup_free_ char *head = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  _cleanup_free_ char *text = NULL;
  if (!head || asprintf(&text, "%s\n%s", head, config ? config : "") < 0)
    return vessel_error_set(err, ENOMEM, "encode state of `%s`", r->id);
  /* written in place into the file create claimed (first before anything
   * is made, then once created); readers take a record they cannot parse
   * for one being made. /run is tmpfs: no fsync */
  size_t len = strlen(text), off = 0;
  while (off < len) {
    ssize_t w = pwrite(fd, text + off, len - off, (off_t)off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return vessel_error_set(err, w < 0 ? errno : EIO, "write state of `%s`", r->id);
    off += (size_t)w;
  }
  /* the later write is the longer one: truncate only when it is not */
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > (off_t)len && ftruncate(fd, (off_t)len) < 0)
    return vessel_error_set(err, errno, "write state of `%s`", r->id);
  return 0;
}

static char *dup_str(json_t *o, const char *key)
{
  const char *s = json_string_value(json_object_get(o, key));
  return s ? strdup(s) : NULL;
}

int record_read(int fd, struct container_record *r, struct vessel_error *err)
{
  _cleanup_free_ char *text = NULL;
  if (read_all(fd, &text, err) < 0)
    return -1;
  json_error_t jerr;
  json_t *o = header_load(text, &jerr);
  if (!o || !json_is_object(o)) {
    json_decref(o);
    return vessel_error_set(err, EINVAL, "container state is incomplete or corrupt (%s)",
                            jerr.text);
  }
  memset(r, 0, sizeof *r);
  r->id = dup_str(o, "id");
  r->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
  r->start_time = (unsigned long long)json_integer_value(json_object_get(o, "start_time"));
  r->bundle = dup_str(o, "bundle");
  r->rootfs = dup_str(o, "rootfs");
  r->created = dup_str(o, "created");
  r->owner = dup_str(o, "owner");
  r->cgroup_path = dup_str(o, "cgroup_path");
  r->cgroup_mode = (enum cgroup_mode)json_integer_value(json_object_get(o, "cgroup_mode"));
  r->start_fd = (int)json_integer_value(json_object_get(o, "start_fd"));
  r->start_pipe_ino = (unsigned long long)json_integer_value(json_object_get(o, "start_pipe_ino"));
  json_t *ef = json_object_get(o, "exec_fd");
  r->exec_fd = ef ? (int)json_integer_value(ef) : -1;
  r->has_poststart = json_is_true(json_object_get(o, "poststart"));
  r->has_poststop = json_is_true(json_object_get(o, "poststop"));
  json_t *a = json_object_get(o, "annotations");
  if (a)
    r->annotations_json = json_dumps(a, JSON_COMPACT);
  json_decref(o);
  if (!r->id || !r->bundle) {
    container_record_free(r);
    return vessel_error_set(err, EINVAL, "container state is incomplete: missing fields");
  }
  return 0;
}

int record_read_config(int fd, char **config, struct vessel_error *err)
{
  _cleanup_free_ char *text = NULL;
  if (read_all(fd, &text, err) < 0)
    return -1;
  const char *part = config_part(text);
  if (part) {
    *config = part[0] ? strdup(part) : NULL;
  } else {
    json_t *o = json_loads(text, 0, NULL);
    const char *c = json_string_value(json_object_get(o, "config"));
    *config = c ? strdup(c) : NULL;
    json_decref(o);
  }
  if (!*config)
    return vessel_error_set(err, EINVAL, "container state holds no config");
  return 0;
}

unsigned long long proc_start_time(pid_t pid)
{
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may hold spaces and parens: fields restart after the last ')' */
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ')
    return 0;
  char state = p[2];
  if (state == 'Z' || state == 'X')
    return 0;
  p += 2;
  /* field 3 is state; start time is field 22 */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p)
      return 0;
    p++;
  }
  return strtoull(p, NULL, 10);
}

enum container_status record_status(const struct container_record *r)
{
  if (r->pid <= 0 || proc_start_time(r->pid) != r->start_time)
    return CONTAINER_STOPPED;
  if (r->start_pipe_ino) {
    /* the init holds the start pipe until `start` wakes it: one readlink
     * tells created from running, with no write by `start` */
    char path[64], link[64], want[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)r->pid, r->start_fd);
    snprintf(want, sizeof want, "pipe:[%llu]", r->start_pipe_ino);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n > 0) {
      link[n] = '\0';
      if (strcmp(link, want) == 0)
        return CONTAINER_CREATED;
    }
  }
  struct vessel_error err;
  struct cgroup *cg = record_cgroup(r, &err);
  if (cg) {
    int frozen = cgroup_is_frozen(cg, &err);
    cgroup_free(cg);
    if (frozen > 0)
      return CONTAINER_PAUSED;
  }
  return CONTAINER_RUNNING;
}

char *record_state_json(const struct container_record *r, enum container_status status)
{
  json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ociVersion", SPEC_OCI_VERSION, "id", r->id,
                        "status", container_status_name(status), "bundle", r->bundle);
  if (!o)
    return NULL;
  if (status != CONTAINER_STOPPED && r->pid > 0)
    json_object_set_new(o, "pid", json_integer(r->pid));
  else
    json_object_set_new(o, "pid", json_integer(0));
  if (r->rootfs)
    json_object_set_new(o, "rootfs", json_string(r->rootfs));
  if (r->created)
    json_object_set_new(o, "created", json_string(r->created));
  if (r->owner)
    json_object_set_new(o, "owner", json_string(r->owner));
  json_t *a = r->annotations_json ? json_loads(r->annotations_json, 0, NULL) : NULL;
  if (a)
    json_object_set_new(o, "annotations", a);
  char *text = json_dumps(o, JSON_INDENT(2));
  json_decref(o);
  return text;
}

int record_remove(const struct runtime_ctx *ctx, const char *id, struct vessel_error *err)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", ctx->state_root, id);
  if (unlink(path) < 0 && errno != ENOENT)
    return vessel_error_set(err, errno, "remove state of `%s`", id);
  return 0;
}

struct cgroup *record_cgroup(const struct container_record *r, struct vessel_error *err)
{
  if (!r->cgroup_path) {
    vessel_error_set(err, ENOENT, "container `%s` has no cgroup", r->id);
    return NULL;
  }
  return cgroup_open(CGROUP_ROOT, r->cgroup_mode, r->cgroup_path, err);
}
