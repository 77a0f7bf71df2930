/* Destructors of struct spec and its parts. Each tolerates a partly filled
 * struct (what a parser leaves after an error). */
#include <stdlib.h>

#include "spec_internal.h"
#include "util/fs.h"

void spec_kv_free(struct spec_kv *kv, size_t n)
{
  for (size_t i = 0; kv && i < n; i++) {
    free(kv[i].key);
    free(kv[i].value);
  }
  free(kv);
}

void spec_process_clear(struct spec_process *p)
{
  if (!p)
    return;
  free(p->user.additional_gids);
  free(p->user.username);
  strv_free(p->args);
  strv_free(p->env);
  free(p->cwd);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  free(p->exec_cpu_affinity_initial);
  free(p->exec_cpu_affinity_final);
  *p = (struct spec_process){0};
}

void spec_process_free(struct spec_process *p)
{
  spec_process_clear(p);
  free(p);
}

void spec_mount_clear(struct spec_mount *m)
{
  free(m->destination);
  free(m->type);
  free(m->source);
  strv_free(m->options);
  free(m->data);
  free(m->uid_mappings);
  free(m->gid_mappings);
  *m = (struct spec_mount){0};
}

void spec_resources_clear(struct spec_resources *r)
{
  if (!r)
    return;
  free(r->devices);
  free(r->cpu.cpus);
  free(r->cpu.mems);
  free(r->block_io.weight_device);
  free(r->block_io.throttle_read_bps);
  free(r->block_io.throttle_write_bps);
  free(r->block_io.throttle_read_iops);
  free(r->block_io.throttle_write_iops);
  for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
    free(r->hugepage_limits[i].page_size);
  free(r->hugepage_limits);
  for (size_t i = 0; r->network.priorities && i < r->network.n_priorities; i++)
    free(r->network.priorities[i].name);
  free(r->network.priorities);
  for (size_t i = 0; r->rdma && i < r->n_rdma; i++)
    free(r->rdma[i].device);
  free(r->rdma);
  spec_kv_free(r->unified, r->n_unified);
  *r = (struct spec_resources){0};
}

void spec_resources_free(struct spec_resources *r)
{
  spec_resources_clear(r);
  free(r);
}

void spec_seccomp_free(struct spec_seccomp *s)
{
  if (!s)
    return;
  strv_free(s->architectures);
  free(s->listener_path);
  free(s->listener_metadata);
  free(s->canonical);
  for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++) {
    strv_free(s->syscalls[i].names);
    free(s->syscalls[i].args);
  }
  free(s->syscalls);
  free(s);
}

void spec_linux_clear(struct spec_linux *l)
{
  for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
    free(l->namespaces[i].path);
  free(l->namespaces);
  free(l->uid_mappings);
  free(l->gid_mappings);
  for (size_t i = 0; l->devices && i < l->n_devices; i++)
    free(l->devices[i].path);
  free(l->devices);
  free(l->cgroups_path);
  spec_resources_free(l->resources);
  strv_free(l->masked_paths);
  strv_free(l->readonly_paths);
  spec_kv_free(l->sysctl, l->n_sysctl);
  spec_seccomp_free(l->seccomp);
  free(l->mount_label);
  *l = (struct spec_linux){0};
}

void spec_free(struct spec *s)
{
  if (!s)
    return;
  free(s->oci_version);
  free(s->root_path);
  spec_process_clear(&s->process);
  free(s->hostname);
  free(s->domainname);
  for (size_t i = 0; s->mounts && i < s->n_mounts; i++)
    spec_mount_clear(&s->mounts[i]);
  free(s->mounts);
  for (int k = 0; k < SPEC_HOOK_NKINDS; k++) {
    for (size_t i = 0; s->hooks.hooks[k] && i < s->hooks.n[k]; i++) {
      free(s->hooks.hooks[k][i].path);
      strv_free(s->hooks.hooks[k][i].args);
      strv_free(s->hooks.hooks[k][i].env);
    }
    free(s->hooks.hooks[k]);
  }
  spec_kv_free(s->annotations, s->n_annotations);
  spec_linux_clear(&s->linux_);
  free(s);
}
