/* Name tables of the runtime-spec: capabilities, rlimits, namespaces. Shared
 * by the parser and the `features` document. */
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/spec.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* index = capability number (linux/capability.h) */
static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int spec_cap_from_name(const char *name)
{
  for (size_t i = 0; name && i < ARRAY_SIZE(cap_names); i++)
    if (strcmp(cap_names[i], name) == 0)
      return (int)i;
  return -1;
}

const char *spec_cap_name(int cap)
{
  if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
    return NULL;
  return cap_names[cap];
}

int spec_cap_last(void)
{
  return (int)ARRAY_SIZE(cap_names) - 1;
}

/* index = RLIMIT_* number */
static const char *const rlimit_names[] = {
    "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};
_Static_assert(RLIMIT_NOFILE == 7 && RLIMIT_RTTIME == 15, "rlimit numbering");

int spec_rlimit_from_name(const char *name)
{
  for (size_t i = 0; name && i < ARRAY_SIZE(rlimit_names); i++)
    if (strcmp(rlimit_names[i], name) == 0)
      return (int)i;
  return -1;
}

const char *spec_rlimit_name(size_t i)
{
  return i < ARRAY_SIZE(rlimit_names) ? rlimit_names[i] : NULL;
}

static const struct {
  const char *name;
  int type;
} namespaces[] = {
    {"pid", CLONE_NEWPID},       {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

int spec_namespace_from_name(const char *name)
{
  for (size_t i = 0; name && i < ARRAY_SIZE(namespaces); i++)
    if (strcmp(namespaces[i].name, name) == 0)
      return namespaces[i].type;
  return 0;
}

const char *spec_namespace_name(int type)
{
  for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
    if (namespaces[i].type == type)
      return namespaces[i].name;
  return NULL;
}
