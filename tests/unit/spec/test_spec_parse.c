/* spec: a full config, the default config and the standalone parsers give the
 * values a runtime acts on. */
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "full_config.h"
#include "spec/spec.h"
#include "tap.h"

#define CAP(n) (UINT64_C(1) << (n))

static struct spec *parse(const char *json)
{
  struct vessel_error err = {0};
  struct spec *s = spec_parse(json, strlen(json), &err);
  if (!s)
    printf("#   parse failed: %s\n", err.msg);
  return s;
}

static void full_config_process(void)
{
  struct spec *s = parse(full_config);
  CHECK(s);
  if (!s)
    return;
  const struct spec_process *p = &s->process;
  CHECK_STR(s->oci_version, "1.2.0");
  CHECK(p->present);
  CHECK(!p->terminal);
  CHECK(p->console_size_set && p->console_height == 24 && p->console_width == 80);
  CHECK(p->user.uid == 1000 && p->user.gid == 1001);
  CHECK(p->user.umask.set && p->user.umask.v == 022);
  CHECK(p->user.n_additional_gids == 2 && p->user.additional_gids[0] == 10 &&
        p->user.additional_gids[1] == UINT32_MAX);
  CHECK_STR(p->user.username, "app");
  CHECK_STR(p->args[0], "/usr/bin/app");
  CHECK_STR(p->args[2], "");
  CHECK(p->args[3] == NULL);
  CHECK_STR(p->env[3], "NOEQUALS");
  CHECK(p->env[4] == NULL);
  CHECK_STR(p->cwd, "/srv");
  CHECK(p->caps.present);
  CHECK(p->caps.sets[SPEC_CAP_BOUNDING] == (CAP(0) | CAP(10) | CAP(21) | CAP(40)));
  CHECK(p->caps.sets[SPEC_CAP_EFFECTIVE] == (CAP(0) | CAP(10)));
  CHECK(p->caps.sets[SPEC_CAP_INHERITABLE] == 0);
  CHECK(p->caps.sets[SPEC_CAP_PERMITTED] == (CAP(0) | CAP(10)));
  CHECK(p->caps.sets[SPEC_CAP_AMBIENT] == CAP(10));
  CHECK(p->n_rlimits == 3);
  CHECK(p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 1048576 &&
        p->rlimits[0].hard == 1048576);
  CHECK(p->rlimits[1].resource == RLIMIT_NPROC);
  /* RLIM_INFINITY as Docker writes it: beyond int64, kept exactly */
  CHECK(p->rlimits[2].resource == RLIMIT_MEMLOCK && p->rlimits[2].soft == UINT64_MAX &&
        p->rlimits[2].hard == UINT64_MAX);
  CHECK(p->no_new_privileges);
  CHECK_STR(p->apparmor_profile, "containers-default-0.50.0");
  CHECK(p->oom_score_adj.set && p->oom_score_adj.v == -500);
  CHECK_STR(p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
  CHECK(p->io_priority.set && p->io_priority.class_ == IOPRIO_CLASS_BE &&
        p->io_priority.priority == 4);
  CHECK(p->scheduler.set && p->scheduler.policy == SCHED_BATCH && p->scheduler.nice == 5 &&
        p->scheduler.flags == SCHED_FLAG_RESET_ON_FORK);
  CHECK_STR(p->exec_cpu_affinity_initial, "0-1");
  CHECK_STR(p->exec_cpu_affinity_final, "0,1");
  spec_free(s);
}

static void full_config_top_level(void)
{
  struct spec *s = parse(full_config);
  CHECK(s);
  if (!s)
    return;
  CHECK_STR(s->root_path, "/var/lib/containers/storage/overlay/abc/merged");
  CHECK(!s->root_readonly);
  CHECK_STR(s->hostname, "web-1");
  CHECK_STR(s->domainname, "example.org");
  CHECK(s->n_mounts == 4);
  CHECK_STR(s->mounts[0].destination, "/proc");
  CHECK(s->mounts[0].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
  CHECK_STR(s->mounts[1].data, "mode=755,size=65536k");
  CHECK(s->mounts[2].bind && !s->mounts[2].rbind);
  CHECK(s->mounts[2].flags == (MS_BIND | MS_RDONLY));
  CHECK(s->mounts[2].propagation == (MS_PRIVATE | MS_REC));
  CHECK_STR(s->mounts[2].source, "/run/containers/hosts");
  /* relative and untidy destinations are made absolute and clean */
  CHECK_STR(s->mounts[3].destination, "/data/x");
  CHECK(s->mounts[3].rbind && s->mounts[3].idmap);
  CHECK(s->mounts[3].attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
  CHECK(s->mounts[3].n_uid_mappings == 1 && s->mounts[3].uid_mappings[0].host_id == 100000 &&
        s->mounts[3].uid_mappings[0].size == 65536);
  CHECK(s->mounts[3].n_gid_mappings == 1 && s->mounts[3].gid_mappings[0].host_id == 200000);

  const struct spec_hooks *h = &s->hooks;
  CHECK(h->n[SPEC_HOOK_PRESTART] == 1);
  CHECK_STR(h->hooks[SPEC_HOOK_PRESTART][0].path, "/usr/libexec/oci/hooks.d/net");
  CHECK_STR(h->hooks[SPEC_HOOK_PRESTART][0].args[1], "up");
  CHECK_STR(h->hooks[SPEC_HOOK_PRESTART][0].env[0], "A=1");
  CHECK(h->hooks[SPEC_HOOK_PRESTART][0].timeout == 10);
  CHECK(h->n[SPEC_HOOK_CREATE_RUNTIME] == 1 && h->n[SPEC_HOOK_CREATE_CONTAINER] == 1 &&
        h->n[SPEC_HOOK_START_CONTAINER] == 1 && h->n[SPEC_HOOK_POSTSTART] == 2 &&
        h->n[SPEC_HOOK_POSTSTOP] == 1);
  CHECK(h->hooks[SPEC_HOOK_CREATE_RUNTIME][0].args == NULL);
  CHECK(h->hooks[SPEC_HOOK_CREATE_RUNTIME][0].timeout == 0);
  CHECK_STR(h->hooks[SPEC_HOOK_POSTSTART][1].path, "/usr/bin/hook5");
  CHECK(h->hooks[SPEC_HOOK_POSTSTOP][0].timeout == 3);

  CHECK(s->n_annotations == 2);
  CHECK_STR(s->annotations[0].key, "io.podman.annotations.autoremove");
  CHECK_STR(s->annotations[0].value, "TRUE");
  CHECK_STR(s->annotations[1].value, "15");
  spec_free(s);
}

static void full_config_linux(void)
{
  struct spec *s = parse(full_config);
  CHECK(s);
  if (!s)
    return;
  const struct spec_linux *l = &s->linux_;
  CHECK(l->present);
  CHECK(l->n_namespaces == 8);
  CHECK(l->namespaces[0].type == CLONE_NEWPID && l->namespaces[0].path == NULL);
  CHECK(l->namespaces[1].type == CLONE_NEWNET);
  CHECK_STR(l->namespaces[1].path, "/run/netns/cni-1");
  CHECK(l->namespaces[6].type == CLONE_NEWUSER);
  CHECK(l->namespaces[7].type == CLONE_NEWTIME && l->namespaces[7].path == NULL);
  CHECK(l->n_uid_mappings == 1 && l->uid_mappings[0].container_id == 0 &&
        l->uid_mappings[0].host_id == 100000 && l->uid_mappings[0].size == 65536);
  CHECK(l->n_gid_mappings == 2 && l->gid_mappings[1].container_id == 1000 &&
        l->gid_mappings[1].size == 1);
  CHECK(l->time_offsets.set && l->time_offsets.monotonic_secs == -86400 &&
        l->time_offsets.monotonic_nsecs == 5 && l->time_offsets.boottime_secs == 172800 &&
        l->time_offsets.boottime_nsecs == 0);
  CHECK(l->n_devices == 2);
  CHECK_STR(l->devices[0].path, "/dev/fuse");
  CHECK(l->devices[0].type == 'c' && l->devices[0].major == 10 && l->devices[0].minor == 229);
  CHECK(l->devices[0].file_mode.set && l->devices[0].file_mode.v == 0666);
  CHECK(l->devices[0].uid.set && l->devices[0].uid.v == 0 && l->devices[0].gid.set);
  CHECK(l->devices[1].type == 'p' && !l->devices[1].file_mode.set);
  CHECK_STR(l->cgroups_path, "machine.slice:libpod:abc");
  CHECK(l->rootfs_propagation == (MS_SLAVE | MS_REC));
  CHECK_STR(l->masked_paths[2], "/sys/firmware");
  CHECK(l->masked_paths[3] == NULL);
  CHECK_STR(l->readonly_paths[1], "/proc/sys");
  CHECK(l->n_sysctl == 2);
  CHECK_STR(l->sysctl[0].key, "net.ipv4.ip_forward");
  CHECK_STR(l->sysctl[0].value, "1");
  CHECK_STR(l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
  CHECK(l->personality.set && l->personality.domain == PER_LINUX32);

  const struct spec_seccomp *sc = l->seccomp;
  CHECK(sc);
  if (sc) {
    CHECK(sc->default_action == SPEC_SECCOMP_ERRNO);
    CHECK(sc->default_errno_ret.set && sc->default_errno_ret.v == 38);
    CHECK_STR(sc->architectures[2], "SCMP_ARCH_X32");
    CHECK(sc->architectures[3] == NULL);
    CHECK(sc->flags == (SPEC_SECCOMP_FLAG_LOG | SPEC_SECCOMP_FLAG_SPEC_ALLOW));
    CHECK_STR(sc->listener_path, "/run/seccomp-agent.sock");
    CHECK_STR(sc->listener_metadata, "meta");
    CHECK(sc->n_syscalls == 5);
    CHECK_STR(sc->syscalls[0].names[2], "exit_group");
    CHECK(sc->syscalls[0].action == SPEC_SECCOMP_ALLOW && sc->syscalls[0].n_args == 0);
    CHECK(sc->syscalls[1].n_args == 1 && sc->syscalls[1].args[0].value == 4294967295u &&
          sc->syscalls[1].args[0].op == SPEC_SECCOMP_OP_EQ);
    CHECK(sc->syscalls[2].n_args == 2 && sc->syscalls[2].args[0].op == SPEC_SECCOMP_OP_MASKED_EQ &&
          sc->syscalls[2].args[0].value == 2114060288 && sc->syscalls[2].args[1].index == 5 &&
          sc->syscalls[2].args[1].value == UINT64_MAX);
    CHECK(sc->syscalls[3].action == SPEC_SECCOMP_NOTIFY);
    CHECK(sc->syscalls[4].errno_ret.set && sc->syscalls[4].errno_ret.v == 1);
    CHECK(!sc->syscalls[0].errno_ret.set);
  }
  spec_free(s);
}

static void check_full_resources(const struct spec_resources *r)
{
  CHECK(r->n_devices == 3);
  CHECK(!r->devices[0].allow && r->devices[0].type == 'a' && r->devices[0].major == -1 &&
        r->devices[0].minor == -1);
  CHECK_STR(r->devices[0].access, "rwm");
  CHECK(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].major == 10 &&
        r->devices[1].minor == 229);
  CHECK_STR(r->devices[1].access, "rwm"); /* "mwr" in canonical order */
  CHECK(r->devices[2].type == 'b' && r->devices[2].major == 8 && r->devices[2].minor == -1);
  CHECK_STR(r->devices[2].access, "r");
  CHECK(r->memory.limit.set && r->memory.limit.v == 536870912);
  CHECK(r->memory.reservation.v == 268435456);
  CHECK(r->memory.swap.set && r->memory.swap.v == -1);
  CHECK(!r->memory.kernel.set); /* 0: not set, as runc reads it */
  CHECK(r->memory.kernel_tcp.v == 1024);
  CHECK(r->memory.swappiness.set && r->memory.swappiness.v == 60);
  CHECK(r->memory.disable_oom_killer_set && !r->memory.disable_oom_killer);
  CHECK(r->memory.use_hierarchy_set && r->memory.use_hierarchy);
  CHECK(r->memory.check_before_update);
  CHECK(r->cpu.shares.v == 1024 && r->cpu.quota.v == 50000 && r->cpu.burst.v == 1000 &&
        r->cpu.period.v == 100000 && r->cpu.realtime_runtime.v == 950000 &&
        r->cpu.realtime_period.v == 1000000 && r->cpu.idle.set && r->cpu.idle.v == 0);
  CHECK_STR(r->cpu.cpus, "0-1");
  CHECK_STR(r->cpu.mems, "0");
  CHECK(r->pids_limit.set && r->pids_limit.v == 2048);
  CHECK(r->block_io.weight.v == 500 && r->block_io.leaf_weight.v == 300);
  CHECK(r->block_io.n_weight_device == 1 && r->block_io.weight_device[0].major == 8 &&
        r->block_io.weight_device[0].weight.set && r->block_io.weight_device[0].weight.v == 600 &&
        !r->block_io.weight_device[0].leaf_weight.set);
  CHECK(r->block_io.n_throttle_read_bps == 1 && r->block_io.throttle_read_bps[0].rate == 1048576);
  CHECK(r->block_io.n_throttle_write_bps == 1 && r->block_io.throttle_write_bps[0].minor == 16);
  CHECK(r->block_io.n_throttle_read_iops == 1 && r->block_io.throttle_read_iops[0].rate == 100);
  CHECK(r->block_io.n_throttle_write_iops == 2 && r->block_io.throttle_write_iops[1].rate == 300);
  CHECK(r->n_hugepage_limits == 1);
  CHECK_STR(r->hugepage_limits[0].page_size, "2MB");
  CHECK(r->hugepage_limits[0].limit == 209715200);
  CHECK(r->network.class_id.set && r->network.class_id.v == 1048577);
  CHECK(r->network.n_priorities == 1 && r->network.priorities[0].priority == 5);
  CHECK_STR(r->network.priorities[0].name, "eth0");
  CHECK(r->n_rdma == 1 && r->rdma[0].hca_handles.v == 3 && r->rdma[0].hca_objects.v == 10000);
  CHECK_STR(r->rdma[0].device, "mlx5_1");
  CHECK(r->n_unified == 2);
  CHECK_STR(r->unified[1].key, "io.weight");
  CHECK_STR(r->unified[1].value, "default 100");
}

static void full_config_resources(void)
{
  struct spec *s = parse(full_config);
  CHECK(s && s->linux_.resources);
  if (s && s->linux_.resources)
    check_full_resources(s->linux_.resources);
  spec_free(s);
}

/* dockerd sends 0 for every limit a container has not (at create and at
 * `docker update`): "not set", as runc reads it */
static void zero_limits_are_unset(void)
{
  struct spec *s =
      parse("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"linux\": {\"resources\": {"
            "\"blockIO\": {\"weight\": 0, \"leafWeight\": 0,"
            " \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 0}]},"
            "\"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0, \"realtimeRuntime\": 0,"
            " \"realtimePeriod\": 0, \"cpus\": \"\", \"mems\": \"\"},"
            "\"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0, \"swappiness\": 0},"
            "\"pids\": {\"limit\": 0}}}}");
  CHECK(s && s->linux_.resources);
  if (s && s->linux_.resources) {
    const struct spec_resources *r = s->linux_.resources;
    CHECK(!r->block_io.weight.set && !r->block_io.leaf_weight.set);
    CHECK(r->block_io.n_weight_device == 1 && !r->block_io.weight_device[0].weight.set);
    CHECK(!r->cpu.shares.set && !r->cpu.quota.set && !r->cpu.period.set);
    CHECK(!r->cpu.realtime_runtime.set && !r->cpu.realtime_period.set);
    CHECK(!r->cpu.cpus && !r->cpu.mems);
    CHECK(!r->memory.limit.set && !r->memory.reservation.set && !r->memory.swap.set);
    CHECK(r->memory.swappiness.set && r->memory.swappiness.v == 0); /* a value of its own */
    CHECK(!r->pids_limit.set);
  }
  spec_free(s);
}

/* podman --privileged: a device's whole st_mode, type bits and all */
static void device_mode_keeps_permission_bits(void)
{
  struct spec *s = parse("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"linux\":"
                         " {\"devices\": [{\"path\": \"/dev/null\", \"type\": \"c\", \"major\": 1,"
                         " \"minor\": 3, \"fileMode\": 8630}]}}");
  CHECK(s && s->linux_.n_devices == 1);
  if (s && s->linux_.n_devices == 1)
    CHECK(s->linux_.devices[0].file_mode.set && s->linux_.devices[0].file_mode.v == 0666);
  spec_free(s);
}

/* what the runtime does when a config has no capabilities / no process */
static void absent_sections(void)
{
  struct spec *s = parse("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                         " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}}");
  CHECK(s);
  if (!s)
    return;
  CHECK(s->process.present);
  CHECK(!s->process.caps.present);
  for (int i = 0; i < SPEC_CAP_NSETS; i++)
    CHECK(s->process.caps.sets[i] == 0);
  CHECK(s->process.env == NULL && s->process.n_rlimits == 0);
  CHECK(!s->process.oom_score_adj.set && !s->process.io_priority.set);
  CHECK(!s->linux_.present && s->linux_.resources == NULL && s->linux_.seccomp == NULL);
  CHECK(s->n_mounts == 0 && s->hostname == NULL);
  CHECK(!s->root_readonly);
  spec_free(s);

  s = parse("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"r\"}, \"hostname\": null,"
            " \"linux\": {\"namespaces\": null, \"resources\": {}}}");
  CHECK(s);
  if (!s)
    return;
  CHECK(!s->process.present && s->process.args == NULL);
  CHECK(s->linux_.present && s->linux_.n_namespaces == 0);
  CHECK(s->linux_.resources && !s->linux_.resources->memory.limit.set);
  spec_free(s);
}

static void default_config_round_trips(void)
{
  for (int rootless = 0; rootless <= 1; rootless++) {
    char *json = spec_default_json(rootless, 1234, 5678);
    CHECK(json);
    if (!json)
      return;
    /* 2-space pretty printing, one trailing newline */
    CHECK(strncmp(json, "{\n  \"ociVersion\": \"1.2.0\",\n", 27) == 0);
    CHECK(json[strlen(json) - 1] == '\n' && json[strlen(json) - 2] == '}');
    struct spec *s = parse(json);
    free(json);
    CHECK(s);
    if (!s)
      return;
    CHECK_STR(s->oci_version, SPEC_OCI_VERSION);
    CHECK_STR(s->root_path, "rootfs");
    CHECK(s->root_readonly);
    CHECK_STR(s->hostname, "vessel");
    CHECK(s->process.terminal);
    CHECK_STR(s->process.args[0], "sh");
    CHECK(s->process.args[1] == NULL);
    CHECK_STR(s->process.cwd, "/");
    uint64_t caps = CAP(29) | CAP(5) | CAP(10); /* AUDIT_WRITE, KILL, NET_BIND_SERVICE */
    CHECK(s->process.caps.sets[SPEC_CAP_BOUNDING] == caps);
    CHECK(s->process.caps.sets[SPEC_CAP_EFFECTIVE] == caps);
    CHECK(s->process.caps.sets[SPEC_CAP_PERMITTED] == caps);
    CHECK(s->process.caps.sets[SPEC_CAP_INHERITABLE] == 0);
    CHECK(s->process.caps.sets[SPEC_CAP_AMBIENT] == 0);
    CHECK(s->process.n_rlimits == 1 && s->process.rlimits[0].resource == RLIMIT_NOFILE &&
          s->process.rlimits[0].soft == 1024 && s->process.rlimits[0].hard == 1024);
    CHECK(s->process.no_new_privileges);
    CHECK(s->n_mounts == 7);
    const char *dests[] = {"/proc",       "/dev", "/dev/pts",      "/dev/shm",
                           "/dev/mqueue", "/sys", "/sys/fs/cgroup"};
    for (size_t i = 0; i < 7 && i < s->n_mounts; i++)
      CHECK_STR(s->mounts[i].destination, dests[i]);
    CHECK_STR(s->linux_.masked_paths[0], "/proc/acpi");
    CHECK_STR(s->linux_.readonly_paths[4], "/proc/sysrq-trigger");
    int want = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP |
               (rootless ? CLONE_NEWUSER : CLONE_NEWNET);
    int got = 0;
    for (size_t i = 0; i < s->linux_.n_namespaces; i++)
      got |= s->linux_.namespaces[i].type;
    CHECK(got == want && s->linux_.n_namespaces == 6);
    if (rootless) {
      CHECK(s->linux_.n_uid_mappings == 1 && s->linux_.uid_mappings[0].host_id == 1234 &&
            s->linux_.uid_mappings[0].container_id == 0 && s->linux_.uid_mappings[0].size == 1);
      CHECK(s->linux_.n_gid_mappings == 1 && s->linux_.gid_mappings[0].host_id == 5678);
      CHECK(s->mounts[5].rbind && s->mounts[5].flags & MS_RDONLY);
      CHECK_STR(s->mounts[5].source, "/sys");
      CHECK_STR(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620"); /* no gid=5 */
      CHECK(s->linux_.resources == NULL);
    } else {
      CHECK_STR(s->mounts[5].type, "sysfs");
      CHECK_STR(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
      CHECK(s->linux_.n_uid_mappings == 0);
      CHECK(s->linux_.resources && s->linux_.resources->n_devices == 1 &&
            !s->linux_.resources->devices[0].allow && s->linux_.resources->devices[0].type == 'a');
    }
    spec_free(s);
  }
}

static void unknown_properties_ignored(void)
{
  struct spec *s = parse(
      "{\"ociVersion\": \"1.3.0\", \"futureTop\": {\"deep\": [null, 1.5, \"x\"]},"
      " \"root\": {\"path\": \"r\", \"extra\": 1},"
      " \"process\": {\"args\": [\"a\"], \"cwd\": \"/\", \"newThing\": [1],"
      "   \"user\": {\"uid\": 1, \"gid\": 2, \"weird\": \"x\"},"
      "   \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"future\": [\"CAP_NOPE\"]},"
      "   \"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 0, \"x\": 1}]},"
      " \"mounts\": [{\"destination\": \"/a\", \"futureMountField\": {}}],"
      " \"linux\": {\"futureLinux\": 5, \"namespaces\": [{\"type\": \"pid\", \"x\": 1}],"
      "   \"resources\": {\"futureController\": {\"x\": 1}, \"memory\": {\"limit\": 1, \"y\": 2}},"
      "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"futureSeccomp\": 1,"
      "     \"syscalls\": [{\"names\": [\"x\"], \"action\": \"SCMP_ACT_LOG\", \"comment\": 7}]},"
      "   \"memoryPolicy\": {\"mode\": \"MPOL_BIND\"}, \"intelRdt\": {}}}");
  CHECK(s);
  if (!s)
    return;
  CHECK(s->process.user.uid == 1 && s->process.user.gid == 2);
  CHECK(s->process.caps.sets[SPEC_CAP_BOUNDING] == CAP(5));
  CHECK(s->linux_.resources && s->linux_.resources->memory.limit.v == 1);
  CHECK(s->linux_.seccomp && s->linux_.seccomp->syscalls[0].action == SPEC_SECCOMP_LOG);
  spec_free(s);
}

static void process_parse_standalone(void)
{
  static const char json[] =
      "{\"terminal\": true, \"user\": {\"uid\": 5, \"gid\": 6}, \"args\": [\"/bin/sh\", \"-c\", "
      "\"id\"],"
      " \"env\": [\"A=B\"], \"cwd\": \"/tmp\", \"capabilities\": {\"effective\": "
      "[\"CAP_SYS_ADMIN\"]},"
      " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 20}],"
      " \"noNewPrivileges\": true}";
  struct vessel_error err = {0};
  struct spec_process *p = spec_process_parse(json, strlen(json), &err);
  CHECK(p);
  if (!p)
    return;
  CHECK(p->present && p->terminal && p->user.uid == 5 && p->user.gid == 6);
  CHECK_STR(p->args[2], "id");
  CHECK_STR(p->cwd, "/tmp");
  CHECK(p->caps.present && p->caps.sets[SPEC_CAP_EFFECTIVE] == CAP(21));
  CHECK(p->n_rlimits == 1 && p->rlimits[0].soft == 10 && p->rlimits[0].hard == 20);
  CHECK(p->no_new_privileges);
  spec_process_free(p);

  static const char bad[] = "{\"args\": [\"sh\"], \"cwd\": \"tmp\"}";
  CHECK(spec_process_parse(bad, strlen(bad), &err) == NULL);
  CHECK_STR(err.msg, "process.cwd: `tmp` must be an absolute path");
}

static void resources_parse_standalone(void)
{
  /* the linux.resources object of the full config, as `update --resources` reads it */
  const char *start = strstr(full_config, "\"resources\": {") + strlen("\"resources\": ");
  const char *end = strstr(start, "\n    },\n") + strlen("\n    }");
  struct vessel_error err = {0};
  struct spec_resources *r = spec_resources_parse(start, (size_t)(end - start), &err);
  CHECK(r);
  if (r)
    check_full_resources(r);
  spec_resources_free(r);

  static const char small[] =
      "{\"memory\": {\"limit\": 9223372036854775807}, \"pids\": {\"limit\": -1}}";
  r = spec_resources_parse(small, strlen(small), &err);
  CHECK(r && r->memory.limit.v == INT64_MAX && r->pids_limit.v == -1 && !r->cpu.shares.set);
  spec_resources_free(r);

  static const char bad[] = "{\"cpu\": {\"shares\": \"1024\"}}";
  CHECK(spec_resources_parse(bad, strlen(bad), &err) == NULL);
  CHECK_STR(err.msg, "resources.cpu.shares: must be an integer");
}

static void mount_destinations_cleaned(void)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"/a/b", "/a/b"},       {"a/b", "/a/b"},          {"//a//b//", "/a/b"}, {"/a/./b/.", "/a/b"},
      {"/a/../b", "/b"},      {"../../etc", "/etc"},    {"/..", "/"},         {".", "/"},
      {"/a/b/../../..", "/"}, {"/a/..b/c", "/a/..b/c"}, {"/a/b..", "/a/b.."},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char json[256];
    snprintf(json, sizeof json,
             "{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"mounts\": [{\"destination\": "
             "\"%s\"}]}",
             cases[i].in);
    struct spec *s = parse(json);
    CHECK(s);
    if (s)
      CHECK_STR(s->mounts[0].destination, cases[i].out);
    spec_free(s);
  }
}

static void tables(void)
{
  CHECK(spec_cap_from_name("CAP_CHOWN") == 0);
  CHECK(spec_cap_from_name("CAP_SYS_ADMIN") == 21);
  CHECK(spec_cap_from_name("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK(spec_cap_from_name("cap_chown") == -1 && spec_cap_from_name("CAP_FOO") == -1);
  CHECK_STR(spec_cap_name(21), "CAP_SYS_ADMIN");
  CHECK(spec_cap_name(41) == NULL && spec_cap_name(-1) == NULL);
  CHECK(spec_cap_last() == 40);
  for (int i = 0; i <= spec_cap_last(); i++)
    CHECK(spec_cap_from_name(spec_cap_name(i)) == i);
  CHECK(spec_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
  CHECK(spec_rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME);
  CHECK(spec_rlimit_from_name("RLIMIT_CPU") == RLIMIT_CPU);
  CHECK(spec_rlimit_from_name("NOFILE") == -1);
  size_t n = 0;
  while (spec_rlimit_name(n))
    n++;
  CHECK(n == 16);
  CHECK_STR(spec_rlimit_name(RLIMIT_AS), "RLIMIT_AS");
  CHECK(spec_namespace_from_name("pid") == CLONE_NEWPID);
  CHECK(spec_namespace_from_name("network") == CLONE_NEWNET);
  CHECK(spec_namespace_from_name("mount") == CLONE_NEWNS);
  CHECK(spec_namespace_from_name("time") == CLONE_NEWTIME);
  CHECK(spec_namespace_from_name("net") == 0);
  CHECK_STR(spec_namespace_name(CLONE_NEWUSER), "user");
  CHECK_STR(spec_namespace_name(CLONE_NEWCGROUP), "cgroup");
  CHECK(spec_namespace_name(0) == NULL);
}

TAP_MAIN(T(full_config_process), T(full_config_top_level), T(full_config_linux),
         T(full_config_resources), T(zero_limits_are_unset), T(device_mode_keeps_permission_bits),
         T(absent_sections), T(default_config_round_trips), T(unknown_properties_ignored),
         T(process_parse_standalone), T(resources_parse_standalone), T(mount_destinations_cleaned),
         T(tables))
