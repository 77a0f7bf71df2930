/* spec: mount options decode to the mount(2) flags, propagation,
 * mount_setattr(2) attributes and filesystem data the runtime applies. */
#include <stdlib.h>
#include <sys/mount.h>

#include "spec/spec.h"
#include "tap.h"

/* Decodes a NULL-terminated option list for a mount of the given type. */
static int decode(struct spec_mount *m, const char *type, const char *const *opts,
                  struct vessel_error *err)
{
  *m = (struct spec_mount){.type = (char *)type, .options = (char **)opts};
  return spec_mount_options_parse(m, "mounts[0]", err);
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void flags_set_and_cleared(void)
{
  struct spec_mount m;
  struct vessel_error err = {0};
  CHECK(decode(&m, "tmpfs",
               OPTS("nosuid", "nodev", "noexec", "ro", "sync", "dirsync", "mand", "noatime",
                    "nodiratime", "relatime", "strictatime", "lazytime", "silent", "iversion",
                    "remount"),
               &err) == 0);
  CHECK(m.flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY | MS_SYNCHRONOUS | MS_DIRSYNC |
                    MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME |
                    MS_LAZYTIME | MS_SILENT | MS_I_VERSION | MS_REMOUNT));
  CHECK(m.clear_flags == 0 && m.data == NULL && !m.bind && m.propagation == 0);

  CHECK(decode(&m, "tmpfs",
               OPTS("rw", "suid", "dev", "exec", "async", "nomand", "atime", "diratime",
                    "norelatime", "nostrictatime", "nolazytime", "loud", "noiversion"),
               &err) == 0);
  CHECK(m.flags == 0);
  CHECK(m.clear_flags ==
        (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK | MS_NOATIME |
         MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_SILENT | MS_I_VERSION));

  /* the last word wins, as with mount(8) */
  CHECK(decode(&m, "tmpfs", OPTS("ro", "rw"), &err) == 0);
  CHECK(m.flags == 0 && m.clear_flags == MS_RDONLY);
  CHECK(decode(&m, "tmpfs", OPTS("rw", "ro"), &err) == 0);
  CHECK(m.flags == MS_RDONLY && m.clear_flags == 0);
}

static void bind_and_rbind(void)
{
  struct spec_mount m;
  struct vessel_error err = {0};
  CHECK(decode(&m, "bind", OPTS("ro"), &err) == 0);
  CHECK(m.bind && !m.rbind && m.flags == (MS_BIND | MS_RDONLY));
  CHECK(decode(&m, NULL, OPTS("rbind"), &err) == 0);
  CHECK(m.bind && m.rbind && m.flags == (MS_BIND | MS_REC));
  CHECK(decode(&m, "none", OPTS("bind", "nosuid"), &err) == 0);
  CHECK(m.bind && !m.rbind && m.flags == (MS_BIND | MS_NOSUID));
  CHECK(decode(&m, "tmpfs", OPTS("defaults"), &err) == 0);
  CHECK(!m.bind && m.flags == 0 && m.data == NULL);
}

static void propagation(void)
{
  static const struct {
    const char *opt;
    unsigned long flags;
  } cases[] = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  struct spec_mount m;
  struct vessel_error err = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CHECK(decode(&m, "bind", OPTS("rbind", cases[i].opt), &err) == 0);
    CHECK(m.propagation == cases[i].flags);
    CHECK(m.flags == (MS_BIND | MS_REC)); /* propagation is a separate mount call */
  }
}

static void recursive_attributes(void)
{
  struct spec_mount m;
  struct vessel_error err = {0};
  CHECK(decode(&m, "bind",
               OPTS("rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime", "rnosymfollow"),
               &err) == 0);
  CHECK(m.attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                       MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
  CHECK(m.attr_clr == 0 && m.flags == (MS_BIND | MS_REC));
  CHECK(decode(&m, "bind", OPTS("rrw", "rsuid", "rdev", "rexec", "rdiratime", "rsymfollow"),
               &err) == 0);
  CHECK(m.attr_set == 0);
  CHECK(m.attr_clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                       MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
  CHECK(decode(&m, "bind", OPTS("rro", "rrw"), &err) == 0);
  CHECK(m.attr_set == 0 && m.attr_clr == MOUNT_ATTR_RDONLY);
  /* atime is one field: setting it clears the whole field first (mount_setattr rule) */
  CHECK(decode(&m, "bind", OPTS("rnoatime"), &err) == 0);
  CHECK(m.attr_set == MOUNT_ATTR_NOATIME && m.attr_clr == MOUNT_ATTR__ATIME);
  CHECK(decode(&m, "bind", OPTS("rnoatime", "rstrictatime"), &err) == 0);
  CHECK(m.attr_set == MOUNT_ATTR_STRICTATIME && m.attr_clr == MOUNT_ATTR__ATIME);
  CHECK(decode(&m, "bind", OPTS("rstrictatime", "rrelatime"), &err) == 0);
  CHECK(m.attr_set == MOUNT_ATTR_RELATIME && m.attr_clr == MOUNT_ATTR__ATIME);
}

static void special_options(void)
{
  struct spec_mount m;
  struct vessel_error err = {0};
  CHECK(decode(&m, "tmpfs", OPTS("tmpcopyup", "mode=755"), &err) == 0);
  CHECK(m.tmpcopyup && !m.idmap);
  CHECK_STR(m.data, "mode=755");
  free(m.data);
  CHECK(decode(&m, "bind", OPTS("idmap"), &err) == 0);
  CHECK(m.idmap && !m.ridmap && !m.tmpcopyup);
  CHECK(decode(&m, "bind", OPTS("ridmap"), &err) == 0);
  CHECK(m.ridmap && !m.idmap);
}

static void filesystem_data(void)
{
  struct spec_mount m;
  struct vessel_error err = {0};
  CHECK(decode(&m, "tmpfs", OPTS("nosuid", "mode=755", "", "size=65536k", "noexec", "uid=5"),
               &err) == 0);
  CHECK_STR(m.data, "mode=755,size=65536k,uid=5");
  CHECK(m.flags == (MS_NOSUID | MS_NOEXEC));
  free(m.data);
  CHECK(decode(&m, "overlay", OPTS("lowerdir=/a:/b,upperdir=/u,workdir=/w"), &err) == 0);
  CHECK_STR(m.data, "lowerdir=/a:/b,upperdir=/u,workdir=/w");
  free(m.data);

  /* mount(2) takes one page of data: more is a config error, not a truncation */
  char *big = malloc(5000);
  CHECK(big);
  if (!big)
    return;
  memset(big, 'a', 4999);
  big[0] = 'x', big[1] = '=', big[4999] = '\0';
  CHECK(decode(&m, "tmpfs", OPTS("ro", big), &err) < 0);
  CHECK_STR(err.msg, "mounts[0].options[1]: filesystem data is longer than 4095 bytes");
  CHECK(m.data == NULL);
  free(big);
}

static void reparse_resets(void)
{
  struct spec_mount m;
  struct vessel_error err = {0};
  CHECK(decode(&m, "tmpfs", OPTS("ro", "size=1k", "rshared"), &err) == 0);
  m.options = (char **)OPTS("nodev");
  CHECK(spec_mount_options_parse(&m, "mounts[0]", &err) == 0); /* frees the old data */
  CHECK(m.flags == MS_NODEV && m.data == NULL && m.propagation == 0);
}

/* spec_parse decodes every mount, and reports an option error at parse time */
static void parse_decodes_mounts(void)
{
  static const char json[] =
      "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"}, \"mounts\": ["
      "{\"destination\": \"/a\", \"type\": \"tmpfs\", \"options\": [\"nodev\", \"size=1m\"]},"
      "{\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"/x\", \"options\": [\"ridmap\", "
      "\"idmap\"]}]}";
  struct vessel_error err = {0};
  CHECK(spec_parse(json, strlen(json), &err) == NULL);
  CHECK_STR(err.msg, "mounts[1].options: `idmap` and `ridmap` exclude each other");
}

TAP_MAIN(T(flags_set_and_cleared), T(bind_and_rbind), T(propagation), T(recursive_attributes),
         T(special_options), T(filesystem_data), T(reparse_resets), T(parse_decodes_mounts))
