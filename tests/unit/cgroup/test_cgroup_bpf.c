/* The cgroup v2 device filter: verdicts through a tiny interpreter of the
 * instructions it uses (test_cgroup_host.c loads it into the kernel). */
#include <stdint.h>
#include <unistd.h>

#include "cgroup/cgroup_bpf.h"
#include "tap.h"
#include "util/cleanup.h"

/* Runs prog on one request; returns the verdict, or -1 on an instruction
 * the generator should never emit, a jump out of range or no exit. */
static int run(const struct cg_bpf_prog *p, char type, uint32_t major, uint32_t minor,
               const char *acc)
{
  uint32_t access = 0;
  for (; *acc; acc++)
    access |= *acc == 'r'   ? BPF_DEVCG_ACC_READ
              : *acc == 'w' ? BPF_DEVCG_ACC_WRITE
                            : BPF_DEVCG_ACC_MKNOD;
  uint32_t ctx[3] = {access << 16 | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major,
                     minor};
  uint64_t r[11] = {0};
  for (size_t pc = 0, steps = 0; pc < p->n && steps < 100000; pc++, steps++) {
    const struct bpf_insn *in = &p->insns[pc];
    uint8_t d = in->dst_reg, s = in->src_reg;
    switch (in->code) {
    case BPF_LDX | BPF_W | BPF_MEM:
      if (s != BPF_REG_1 || in->off % 4 || in->off < 0 || in->off > 8)
        return -1;
      r[d] = ctx[in->off / 4];
      break;
    case BPF_ALU | BPF_AND | BPF_K:
      r[d] = (uint32_t)r[d] & (uint32_t)in->imm;
      break;
    case BPF_ALU | BPF_RSH | BPF_K:
      r[d] = (uint32_t)r[d] >> in->imm;
      break;
    case BPF_ALU | BPF_MOV | BPF_X:
      r[d] = (uint32_t)r[s];
      break;
    case BPF_ALU64 | BPF_MOV | BPF_K:
      r[d] = (uint64_t)(int64_t)in->imm;
      break;
    case BPF_JMP | BPF_JNE | BPF_K:
      if (r[d] != (uint64_t)(int64_t)in->imm)
        pc += in->off;
      break;
    case BPF_JMP | BPF_JEQ | BPF_K:
      if (r[d] == (uint64_t)(int64_t)in->imm)
        pc += in->off;
      break;
    case BPF_JMP | BPF_JNE | BPF_X:
      if (r[d] != r[s])
        pc += in->off;
      break;
    case BPF_JMP | BPF_EXIT:
      return (int)r[0];
    default:
      return -1;
    }
  }
  return -1;
}

#define RULE(al, t, ma, mi, ac)                                                                    \
  {                                                                                                \
    .allow = al, .type = t, .major = ma, .minor = mi, .access = ac                                 \
  }

static const struct spec_device_rule typical[] = {
    RULE(false, 'a', -1, -1, "rwm"),
    RULE(true, 'c', 1, 3, "rwm"),
    RULE(true, 'c', 5, -1, "rwm"),
    RULE(false, 'c', 5, 1, "w"),
};

static void last_rule_wins(void)
{
  struct cg_bpf_prog p;
  struct vessel_error err = {0};
  CHECK(cg_bpf_devices_build(typical, ARRAY_SIZE(typical), &p, &err) == 0);
  /* prologue 6 + deny c 5:1 w 8 + c 5:* 4 + c 1:3 5 + deny-all 2, no default after it */
  CHECK(p.n == 25);
  CHECK(run(&p, 'c', 1, 3, "r") == 1);
  CHECK(run(&p, 'c', 1, 3, "rw") == 1);
  CHECK(run(&p, 'c', 1, 5, "r") == 0);
  CHECK(run(&p, 'c', 5, 0, "rw") == 1);
  CHECK(run(&p, 'c', 5, 1, "r") == 1);
  CHECK(run(&p, 'c', 5, 1, "w") == 0);
  CHECK(run(&p, 'c', 5, 1, "rw") == 0); /* a deny refuses any access it names */
  CHECK(run(&p, 'b', 1, 3, "r") == 0);
  CHECK(run(&p, 'b', 8, 0, "m") == 0);
  cg_bpf_prog_release(&p);
}

static void partial_access_and_defaults(void)
{
  const struct spec_device_rule rules[] = {
      RULE(true, 'c', -1, -1, "m"), RULE(true, 'b', 8, -1, "r"), RULE(true, 'c', 136, 2, "")};
  struct cg_bpf_prog p;
  struct vessel_error err = {0};
  CHECK(cg_bpf_devices_build(rules, ARRAY_SIZE(rules), &p, &err) == 0);
  CHECK(run(&p, 'c', 10, 200, "m") == 1);
  CHECK(run(&p, 'c', 10, 200, "r") == 0);
  CHECK(run(&p, 'b', 8, 1, "r") == 1);
  CHECK(run(&p, 'b', 8, 1, "rw") == 0);   /* an allow must grant every access asked */
  CHECK(run(&p, 'c', 136, 2, "rw") == 1); /* empty access means rwm */
  CHECK(run(&p, 'b', 9, 0, "r") == 0);
  cg_bpf_prog_release(&p);

  /* no rules: deny everything; a final allow-all makes everything after moot */
  CHECK(cg_bpf_devices_build(NULL, 0, &p, &err) == 0);
  CHECK(p.n == 8 && run(&p, 'c', 1, 3, "r") == 0);
  cg_bpf_prog_release(&p);
  const struct spec_device_rule all[] = {RULE(false, 'c', 1, 3, "rwm"),
                                         RULE(true, 'a', -1, -1, "rwm")};
  CHECK(cg_bpf_devices_build(all, 2, &p, &err) == 0);
  CHECK(p.n == 8 && run(&p, 'c', 1, 3, "r") == 1);
  cg_bpf_prog_release(&p);
}

static void bad_rules_are_refused(void)
{
  struct cg_bpf_prog p;
  struct vessel_error err = {0};
  const struct spec_device_rule bad_type[] = {RULE(true, 'x', 1, 3, "r")};
  CHECK(cg_bpf_devices_build(bad_type, 1, &p, &err) < 0);
  CHECK(strstr(err.msg, "devices[0]") != NULL);
  const struct spec_device_rule bad_acc[] = {RULE(true, 'c', 1, 3, "rx")};
  CHECK(cg_bpf_devices_build(bad_acc, 1, &p, &err) < 0);
  const struct spec_device_rule big[] = {RULE(true, 'c', 1LL << 33, 3, "r")};
  CHECK(cg_bpf_devices_build(big, 1, &p, &err) < 0);
}

TAP_MAIN(T(last_rule_wins), T(partial_access_and_defaults), T(bad_rules_are_refused))
