/* -u / the image's USER: numbers as they are, names looked up in the image's
 * /etc/passwd and /etc/group (the highest layer holding the file wins), read
 * confined to the layer so a symlink cannot point at the host's files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

static bool is_number(const char *s, unsigned long long *v)
{
  return s[0] && parse_u64(s, v) == 0 && *v <= 0xfffffffeULL;
}

/* Opens etc/<file> in the highest layer that has it; NULL when none does. */
static FILE *open_in_layers(char *const *layers, const char *file)
{
  size_t n = strv_length(layers);
  for (size_t i = n; i-- > 0;) {
    _cleanup_close_ int root = open(layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
      continue;
    struct vessel_error ignored;
    int fd = fs_open_in_root(root, file, O_RDONLY | O_CLOEXEC, 0, &ignored);
    if (fd < 0)
      continue;
    FILE *f = fdopen(fd, "re");
    if (!f)
      close(fd);
    return f;
  }
  return NULL;
}

/* Finds name (or the number, when by_id) in a passwd/group file: fills the
 * third and fourth fields. Returns 0 when found. */
static int lookup(char *const *layers, const char *file, const char *name, unsigned long long *id,
                  unsigned long long *primary_gid)
{
  _cleanup_fclose_ FILE *f = open_in_layers(layers, file);
  if (!f)
    return -1;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *fields[4] = {0};
    char *s = line;
    for (size_t i = 0; i < 4; i++) {
      /* strsep keeps empty fields (the password is often empty) */
      fields[i] = strsep(&s, ":");
      if (!fields[i])
        break;
    }
    if (!fields[2] || strcmp(fields[0], name) != 0)
      continue;
    unsigned long long v, g = 0;
    if (!is_number(fields[2], &v))
      continue;
    if (fields[3] && !is_number(fields[3], &g))
      g = 0;
    *id = v;
    if (primary_gid)
      *primary_gid = g;
    return 0;
  }
  return -1;
}

/* The primary group of a uid from passwd, 0 when it has no entry. */
static unsigned long long gid_of_uid(char *const *layers, unsigned long long uid)
{
  _cleanup_fclose_ FILE *f = open_in_layers(layers, "/etc/passwd");
  if (!f)
    return 0;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *s = line, *fields[4] = {0};
    for (size_t i = 0; i < 4 && (fields[i] = strsep(&s, ":")); i++)
      ;
    unsigned long long u, g;
    if (fields[3] && is_number(fields[2], &u) && u == uid && is_number(fields[3], &g))
      return g;
  }
  return 0;
}

int user_resolve(const char *spec, char *const *layers, uid_t *uid, gid_t *gid,
                 struct vessel_error *err)
{
  if (!spec || !spec[0]) {
    *uid = 0;
    *gid = 0;
    return 0;
  }
  _cleanup_free_ char *copy = strdup(spec);
  if (!copy)
    return vessel_error_set(err, ENOMEM, "user");
  char *group = strchr(copy, ':');
  if (group)
    *group++ = '\0';
  unsigned long long u, g = 0;
  if (is_number(copy, &u)) {
    g = gid_of_uid(layers, u);
  } else if (lookup(layers, "/etc/passwd", copy, &u, &g) < 0) {
    return vessel_error_set(err, 0, "unknown user `%s`: not in the image's /etc/passwd", copy);
  }
  if (group) {
    if (!is_number(group, &g) && lookup(layers, "/etc/group", group, &g, NULL) < 0)
      return vessel_error_set(err, 0, "unknown group `%s`: not in the image's /etc/group", group);
  }
  *uid = (uid_t)u;
  *gid = (gid_t)g;
  return 0;
}
