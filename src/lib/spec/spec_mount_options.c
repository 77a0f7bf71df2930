/* Mount options to mount(2) flags, propagation, mount_setattr(2) attributes
 * and filesystem data, by table. What the table does not know is filesystem
 * data ("mode=755"), as mount(8) does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "spec_internal.h"
#include "util/cleanup.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum opt_kind {
  OPT_NONE,  /* accepted, no effect ("defaults") */
  OPT_SET,   /* set an MS_* flag */
  OPT_CLEAR, /* clear an MS_* flag */
  OPT_PROPAGATION,
  OPT_ATTR_SET,   /* recursive attribute on */
  OPT_ATTR_CLR,   /* recursive attribute off */
  OPT_ATTR_ATIME, /* recursive atime mode (the kernel wants the whole field cleared) */
  OPT_BIND,
  OPT_RBIND,
  OPT_TMPCOPYUP,
  OPT_IDMAP,
  OPT_RIDMAP,
};

static const struct {
  const char *name;
  enum opt_kind kind;
  unsigned long value;
} options[] = {
    {"defaults", OPT_NONE, 0},
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"remount", OPT_SET, MS_REMOUNT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_SET, MS_LAZYTIME},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"silent", OPT_SET, MS_SILENT},
    {"loud", OPT_CLEAR, MS_SILENT},
    {"iversion", OPT_SET, MS_I_VERSION},
    {"noiversion", OPT_CLEAR, MS_I_VERSION},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"bind", OPT_BIND, MS_BIND},
    {"rbind", OPT_RBIND, MS_BIND | MS_REC},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_ATTR_CLR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_ATTR_CLR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_ATTR_CLR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_ATTR_CLR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", OPT_ATTR_ATIME, MOUNT_ATTR_NOATIME},
    {"rstrictatime", OPT_ATTR_ATIME, MOUNT_ATTR_STRICTATIME},
    /* without strictatime the kernel does relatime: what "norelatime" gets */
    {"rnorelatime", OPT_ATTR_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rrelatime", OPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"ratime", OPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"rnostrictatime", OPT_ATTR_ATIME, MOUNT_ATTR_RELATIME},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_RIDMAP, 0},
};

const char *spec_mount_option_name(size_t i)
{
  return i < sizeof options / sizeof options[0] ? options[i].name : NULL;
}

static void apply(struct spec_mount *m, enum opt_kind kind, unsigned long value)
{
  switch (kind) {
  case OPT_NONE:
    break;
  case OPT_SET:
    m->flags |= value;
    m->clear_flags &= ~value;
    break;
  case OPT_CLEAR:
    m->flags &= ~value;
    m->clear_flags |= value;
    break;
  case OPT_PROPAGATION:
    m->propagation = value;
    break;
  case OPT_ATTR_SET:
    m->attr_set |= value;
    m->attr_clr &= ~(uint64_t)value;
    break;
  case OPT_ATTR_CLR:
    m->attr_set &= ~(uint64_t)value;
    m->attr_clr |= value;
    break;
  case OPT_ATTR_ATIME:
    m->attr_set = (m->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | value;
    m->attr_clr |= MOUNT_ATTR__ATIME;
    break;
  case OPT_RBIND:
    m->rbind = true;
    m->flags |= MS_REC;
    /* fall through */
  case OPT_BIND:
    m->bind = true;
    m->flags |= MS_BIND;
    break;
  case OPT_TMPCOPYUP:
    m->tmpcopyup = true;
    break;
  case OPT_IDMAP:
    m->idmap = true;
    break;
  case OPT_RIDMAP:
    m->ridmap = true;
    break;
  }
}

int spec_mount_options_parse(struct spec_mount *m, const char *path, struct vessel_error *err)
{
  m->flags = m->clear_flags = m->propagation = 0;
  m->attr_set = m->attr_clr = 0;
  m->bind = m->rbind = m->tmpcopyup = m->idmap = m->ridmap = false;
  free(m->data);
  m->data = NULL;
  if (m->type && strcmp(m->type, "bind") == 0)
    apply(m, OPT_BIND, MS_BIND);

  /* mount(2) copies at most one page of data */
  long page = sysconf(_SC_PAGESIZE);
  size_t max = page > 0 ? (size_t)page - 1 : 4095;
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  for (size_t i = 0; m->options && m->options[i]; i++) {
    const char *o = m->options[i];
    if (o[0] == '\0')
      continue;
    size_t k = 0;
    while (k < ARRAY_SIZE(options) && strcmp(options[k].name, o) != 0)
      k++;
    if (k < ARRAY_SIZE(options)) {
      apply(m, options[k].kind, options[k].value);
      continue;
    }
    size_t olen = strlen(o);
    if (olen > max || len + 1 + olen > max)
      return vessel_error_set(err, 0, "%s.options[%zu]: filesystem data is longer than %zu bytes",
                              path, i, max);
    char *nd = realloc(data, len + olen + 2);
    if (!nd)
      return vessel_error_set(err, ENOMEM, "%s.options", path);
    data = nd;
    if (len)
      data[len++] = ',';
    memcpy(data + len, o, olen + 1);
    len += olen;
  }
  if (m->idmap && m->ridmap)
    return vessel_error_set(err, 0, "%s.options: `idmap` and `ridmap` exclude each other", path);
  m->data = TAKE_PTR(data);
  return 0;
}
