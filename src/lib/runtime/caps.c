/* Capability sets through capset(2) and prctl(2). */
#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

int caps_last_cap(void)
{
  char buf[16] = {0};
  _cleanup_close_ int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0)
    return CAP_LAST_CAP;
  return atoi(buf);
}

void caps_limit_to_own(struct spec_capabilities *c, int last_cap)
{
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {0};
  if (!c->present || syscall(SYS_capget, &hdr, data) < 0)
    return;
  uint64_t own = (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
  uint64_t asked = 0;
  for (int i = 0; i < SPEC_CAP_NSETS; i++) {
    asked |= c->sets[i];
    c->sets[i] &= own;
  }
  uint64_t missing = asked & ~own;
  char names[512] = "";
  size_t n = 0;
  for (int cap = 0; cap <= last_cap && cap < 64 && n < sizeof names; cap++)
    if (missing & (1ULL << cap))
      n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", spec_cap_name(cap));
  if (missing)
    log_warning("capabilities not granted, the runtime does not hold them: %s", names);
}

int caps_apply_bounding(const struct spec_capabilities *c, int last_cap, struct vessel_error *err)
{
  uint64_t keep = c->present ? c->sets[SPEC_CAP_BOUNDING] : 0;
  for (int cap = 0; cap <= last_cap && cap < 64; cap++) {
    if (keep & (1ULL << cap))
      continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return vessel_error_set(err, errno, "drop capability %d from the bounding set", cap);
  }
  return 0;
}

int caps_apply(const struct spec_capabilities *c, int last_cap, struct vessel_error *err)
{
  uint64_t mask = last_cap >= 63 ? ~0ULL : ((1ULL << (last_cap + 1)) - 1);
  uint64_t eff = c->present ? c->sets[SPEC_CAP_EFFECTIVE] & mask : 0;
  uint64_t prm = c->present ? c->sets[SPEC_CAP_PERMITTED] & mask : 0;
  uint64_t inh = c->present ? c->sets[SPEC_CAP_INHERITABLE] & mask : 0;
  uint64_t amb = c->present ? c->sets[SPEC_CAP_AMBIENT] & mask : 0;
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {
      {.effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = (uint32_t)inh},
      {.effective = (uint32_t)(eff >> 32),
       .permitted = (uint32_t)(prm >> 32),
       .inheritable = (uint32_t)(inh >> 32)},
  };
  if (syscall(SYS_capset, &hdr, data) < 0)
    return vessel_error_set(err, errno, "set capabilities");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return vessel_error_set(err, errno, "clear ambient capabilities");
  for (int cap = 0; cap <= last_cap && cap < 64; cap++) {
    if (!(amb & (1ULL << cap)))
      continue;
    /* the kernel refuses ambient caps missing from permitted+inheritable;
     * configs from `runc spec` 1.1 ask for exactly that, and runc and crun
     * skip them: so do we, without filling inheritable implicitly */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM)
      return vessel_error_set(err, errno, "raise ambient capability %d", cap);
  }
  return 0;
}
