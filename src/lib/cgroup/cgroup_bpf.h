/* The eBPF device filter of cgroup v2 (BPF_PROG_TYPE_CGROUP_DEVICE), built
 * by hand from the OCI device rules. Private to the cgroup module; the unit
 * tests check the program through it. */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

/* At most this many rules: each costs up to 8 instructions and the program
 * stays far below the kernel's limit. */
#define CG_BPF_MAX_RULES 4096

struct cg_bpf_prog {
  struct bpf_insn *insns;
  size_t n, cap;
};

/* Builds the filter: the last matching rule decides (as the v1 files do when
 * written in order); no match denies. An allow rule matches when it grants
 * every requested access, a deny rule when it refuses any of them. */
int cg_bpf_devices_build(const struct spec_device_rule *rules, size_t n, struct cg_bpf_prog *p,
                         struct vessel_error *err);
/* BPF_PROG_LOAD; returns the program fd. */
int cg_bpf_load(const struct cg_bpf_prog *p, struct vessel_error *err);
/* Attaches prog_fd to the cgroup at cgroup_fd (BPF_F_ALLOW_MULTI) and then
 * drops the device programs attached there before. */
int cg_bpf_attach(int cgroup_fd, int prog_fd, struct vessel_error *err);
void cg_bpf_prog_release(struct cg_bpf_prog *p);
