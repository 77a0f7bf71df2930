/* spec: every invalid value is refused, and the message names its JSON path
 * (the message is an interface: users fix their config from it). */
#include <stdlib.h>

#include "spec/spec.h"
#include "tap.h"

#define HEAD "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, "
#define PROC(x) HEAD "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", " x "}}"
#define LINUX(x) HEAD "\"linux\": {" x "}}"
#define RES(x) LINUX("\"resources\": {" x "}")
#define SECCOMP(x) LINUX("\"seccomp\": {" x "}")

static const struct {
  const char *json;
  const char *msg; /* the whole message */
} cases[] = {
    /* wrong types */
    {HEAD "\"mounts\": [{\"destination\": \"/a\"}, {\"destination\": 5}]}",
     "mounts[1].destination: must be a string"},
    {HEAD "\"process\": []}", "process: must be an object"},
    {PROC("\"terminal\": \"yes\""), "process.terminal: must be a boolean"},
    {PROC("\"env\": \"A=B\""), "process.env: must be an array"},
    {PROC("\"user\": {\"uid\": 1.5}"), "process.user.uid: must be an integer"},
    {PROC("\"user\": {\"uid\": \"0\"}"), "process.user.uid: must be an integer"},
    {LINUX("\"sysctl\": {\"net.ipv4.ip_forward\": 1}"),
     "linux.sysctl[\"net.ipv4.ip_forward\"]: must be a string"},
    {HEAD "\"hostname\": 18446744073709551615}", "hostname: must be a string"},
    /* namespaces */
    {LINUX("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"foo\"}]"),
     "linux.namespaces[2].type: unknown namespace type `foo`"},
    {LINUX("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]"),
     "linux.namespaces[1].type: duplicate namespace type `pid`"},
    {LINUX("\"namespaces\": [{\"path\": \"/proc/1/ns/pid\"}]"),
     "linux.namespaces[0].type: is required"},
    {LINUX("\"namespaces\": [{\"type\": \"net\"}]"),
     "linux.namespaces[0].type: unknown namespace type `net`"},
    {LINUX("\"namespaces\": [{\"type\": \"network\", \"path\": \"proc/1/ns/net\"}]"),
     "linux.namespaces[0].path: `proc/1/ns/net` must be an absolute path"},
    /* process */
    {PROC("\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_FOO\"]}"),
     "process.capabilities.bounding[1]: unknown capability `CAP_FOO`"},
    {PROC("\"capabilities\": {\"ambient\": [\"sys_admin\"]}"),
     "process.capabilities.ambient[0]: unknown capability `sys_admin`"},
    {PROC("\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]"),
     "process.rlimits[0].type: unknown rlimit `RLIMIT_FOO`"},
    {PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1},"
          " {\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 2}]"),
     "process.rlimits[1].type: duplicate rlimit `RLIMIT_NOFILE`"},
    {PROC("\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": -1, \"hard\": 0}]"),
     "process.rlimits[0].soft: must not be negative"},
    {PROC(
         "\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 18446744073709551616, \"hard\": 0}]"),
     "process.rlimits[0].soft: 18446744073709551616 is out of range [0, 18446744073709551615]"},
    /* a string cannot pass for one of the big numbers jansson cannot hold */
    {PROC("\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": \"\\u00000123456789abcdef:5\", "
          "\"hard\": 9}]"),
     "process.rlimits[0].soft: must be an integer"},
    {PROC("\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 5, \"hard\": 4}]"),
     "process.rlimits[0]: soft limit 5 is above hard limit 4"},
    {PROC("\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"soft\": 5}]"),
     "process.rlimits[0].hard: is required"},
    {PROC("\"env\": [\"A=1\", \"B=x\\u0000y\"]"), "process.env[1]: must not contain NUL bytes"},
    {PROC("\"user\": {\"uid\": 4294967296}"),
     "process.user.uid: 4294967296 is out of range [0, 4294967295]"},
    {PROC("\"user\": {\"gid\": -1}"), "process.user.gid: must not be negative"},
    {PROC("\"user\": {\"additionalGids\": [1, -5]}"),
     "process.user.additionalGids[1]: must not be negative"},
    {HEAD "\"process\": {\"args\": [\"sh\"], \"cwd\": \"srv\"}}",
     "process.cwd: `srv` must be an absolute path"},
    {HEAD "\"process\": {\"args\": [\"sh\"]}}", "process.cwd: is required"},
    {HEAD "\"process\": {\"args\": [], \"cwd\": \"/\"}}",
     "process.args: must be a non-empty array"},
    {HEAD "\"process\": {\"cwd\": \"/\"}}", "process.args: must be a non-empty array"},
    {PROC("\"oomScoreAdj\": 1001"), "process.oomScoreAdj: 1001 is out of range [-1000, 1000]"},
    {PROC("\"ioPriority\": {\"class\": \"IOPRIO_CLASS_FAST\"}"),
     "process.ioPriority.class: unknown I/O priority class `IOPRIO_CLASS_FAST`"},
    {PROC("\"scheduler\": {\"policy\": \"SCHED_OTHER\", \"priority\": 5}"),
     "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority"},
    {PROC("\"scheduler\": {\"policy\": \"SCHED_FIFO\", \"flags\": [\"SCHED_FLAG_X\"]}"),
     "process.scheduler.flags[0]: unknown scheduler flag `SCHED_FLAG_X`"},
    {PROC("\"execCPUAffinity\": {\"initial\": \"3-1\"}"),
     "process.execCPUAffinity.initial: `3-1` is not a CPU list like `0-3,7`"},
    /* top level */
    {"{\"root\": {\"path\": \"rootfs\"}}", "ociVersion: is required"},
    {"{\"ociVersion\": null, \"root\": {\"path\": \"rootfs\"}}", "ociVersion: is required"},
    {"{\"ociVersion\": \"1.2.0\", \"root\": {\"readonly\": true}}", "root.path: is required"},
    {"{\"ociVersion\": \"1.2.0\"}", "root: is required"},
    {"{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"\"}}", "root.path: must not be empty"},
    {HEAD "\"hostname\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
     "hostname: longer than 64 bytes"},
    {HEAD "\"annotations\": {\"\": \"x\"}}", "annotations[\"\"]: key must not be empty"},
    {"[1, 2]", "(root): must be an object"},
    /* mounts */
    {HEAD "\"mounts\": [{\"type\": \"tmpfs\"}]}", "mounts[0].destination: is required"},
    {HEAD "\"mounts\": [{\"destination\": \"\"}]}", "mounts[0].destination: must not be empty"},
    {HEAD "\"mounts\": [{\"destination\": \"/a\", \"options\": [\"ro\", 7]}]}",
     "mounts[0].options[1]: must be a string"},
    {HEAD "\"mounts\": [{\"destination\": \"/a\", \"options\": [\"idmap\", \"ridmap\"]}]}",
     "mounts[0].options: `idmap` and `ridmap` exclude each other"},
    {HEAD "\"mounts\": [{\"destination\": \"/a\", \"uidMappings\": [{\"containerID\": 0, "
          "\"hostID\": 1, \"size\": 0}]}]}",
     "mounts[0].uidMappings[0].size: must be at least 1"},
    /* hooks */
    {HEAD "\"hooks\": {\"prestart\": [{\"path\": \"hook\"}]}}",
     "hooks.prestart[0].path: `hook` must be an absolute path"},
    {HEAD "\"hooks\": {\"poststop\": [{\"path\": \"/h\"}, {\"path\": \"/h\", \"timeout\": 0}]}}",
     "hooks.poststop[1].timeout: 0 is out of range [1, 2147483647]"},
    {HEAD "\"hooks\": {\"createRuntime\": [{\"args\": [\"x\"]}]}}",
     "hooks.createRuntime[0].path: is required"},
    /* linux */
    {LINUX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\", \"major\": 1, \"minor\": 1}]"),
     "linux.devices[0].type: unknown device type `x` (c, b, u or p)"},
    {LINUX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"minor\": 1}]"),
     "linux.devices[0].major: is required"},
    {LINUX("\"devices\": [{\"path\": \"dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 1}]"),
     "linux.devices[0].path: `dev/x` must be an absolute path"},
    {LINUX("\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 1, "
           "\"fileMode\": 65536}]"),
     "linux.devices[0].fileMode: 65536 is out of range [0, 65535]"},
    {LINUX("\"rootfsPropagation\": \"rfoo\""),
     "linux.rootfsPropagation: unknown propagation `rfoo`"},
    {LINUX("\"maskedPaths\": [\"/proc/kcore\", \"proc/keys\"]"),
     "linux.maskedPaths[1]: `proc/keys` must be an absolute path"},
    {LINUX("\"uidMappings\": [{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 2}]"),
     "linux.uidMappings[0].size: the range goes past id 4294967295"},
    {LINUX("\"gidMappings\": [{\"containerID\": 0, \"size\": 2}]"),
     "linux.gidMappings[0].hostID: is required"},
    {LINUX("\"timeOffsets\": {\"realtime\": {\"secs\": 1}}"),
     "linux.timeOffsets[\"realtime\"]: unknown clock (only `monotonic` and `boottime` have "
     "offsets)"},
    {LINUX("\"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}"),
     "linux.timeOffsets[\"boottime\"].nanosecs: 1000000000 is out of range [0, 999999999]"},
    {LINUX("\"personality\": {\"domain\": \"LINUX64\"}"),
     "linux.personality.domain: unknown personality domain `LINUX64` (LINUX or LINUX32)"},
    /* resources */
    {RES("\"devices\": [{\"allow\": true, \"type\": \"p\"}]"),
     "linux.resources.devices[0].type: unknown device type `p` (a, c or b)"},
    {RES("\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]"),
     "linux.resources.devices[0].access: `rwx` may only hold the letters r, w and m"},
    {RES("\"devices\": [{\"access\": \"rwm\"}]"), "linux.resources.devices[0].allow: is required"},
    {RES("\"devices\": [{\"allow\": false, \"major\": -2}]"),
     "linux.resources.devices[0].major: -2 is out of range [-1, 4294967295]"},
    {RES("\"memory\": {\"limit\": 9223372036854775808}"),
     "linux.resources.memory.limit: 9223372036854775808 is out of range [-1, 9223372036854775807]"},
    {RES("\"memory\": {\"swappiness\": -1}"),
     "linux.resources.memory.swappiness: must not be negative"},
    {RES("\"memory\": {\"swap\": -2}"),
     "linux.resources.memory.swap: -2 is out of range [-1, 9223372036854775807]"},
    {RES("\"blockIO\": {\"weight\": 5}"),
     "linux.resources.blockIO.weight: 5 is out of range [10, 1000]"},
    {RES("\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}"),
     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required"},
    {RES("\"hugepageLimits\": [{\"pageSize\": \"../../x\", \"limit\": 1}]"),
     "linux.resources.hugepageLimits[0].pageSize: `../../x` is not a page size like `2MB`"},
    {RES("\"unified\": {\"../cgroup.procs\": \"1\"}"),
     "linux.resources.unified[\"../cgroup.procs\"]: not a cgroup file name"},
    {RES("\"network\": {\"priorities\": [{\"name\": \"eth0 9\\neth1\", \"priority\": 1}]}"),
     "linux.resources.network.priorities[0].name: `eth0 9?eth1` is not an interface name"},
    {RES("\"cpu\": {\"cpus\": \"0-3,\"}"),
     "linux.resources.cpu.cpus: `0-3,` is not a list like `0-3,7`"},
    {RES("\"cpu\": {\"quota\": -5}"),
     "linux.resources.cpu.quota: -5 is out of range [-1, 9223372036854775807]"},
    {RES("\"rdma\": {\"mlx5_0\": {\"hcaHandles\": -1}}"),
     "linux.resources.rdma[\"mlx5_0\"].hcaHandles: must not be negative"},
    {RES("\"pids\": {\"limit\": \"max\"}"), "linux.resources.pids.limit: must be an integer"},
    /* seccomp */
    {SECCOMP("\"syscalls\": []"), "linux.seccomp.defaultAction: is required"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_DENY\""),
     "linux.seccomp.defaultAction: unknown seccomp action `SCMP_ACT_DENY`"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
             "\"action\": \"SCMP_ACT_ALLOW\"}, {\"names\": [\"mount\"], \"action\": "
             "\"SCMP_ACT_NOTIFY\"}]"),
     "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/run/a.sock\""),
     "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"X86_64\"]"),
     "linux.seccomp.architectures[0]: unknown architecture `X86_64` (SCMP_ARCH_...)"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_NEW\"]"),
     "linux.seccomp.flags[0]: unknown seccomp flag `SECCOMP_FILTER_FLAG_NEW`"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], "
             "\"action\": \"SCMP_ACT_ERRNO\"}]"),
     "linux.seccomp.syscalls[0].names: must be a non-empty array"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", \"\"], "
             "\"action\": \"SCMP_ACT_ERRNO\"}]"),
     "linux.seccomp.syscalls[0].names[1]: must not be empty"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
             "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": "
             "\"SCMP_CMP_EQ\"}]}]"),
     "linux.seccomp.syscalls[0].args[0].index: 6 is out of range [0, 5]"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
             "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
             "\"SCMP_CMP_LIKE\"}]}]"),
     "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator `SCMP_CMP_LIKE`"},
    {SECCOMP("\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 65536"),
     "linux.seccomp.defaultErrnoRet: 65536 is out of range [0, 65535]"},
};

static void bad_values_name_their_path(void)
{
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct vessel_error err = {0};
    struct spec *s = spec_parse(cases[i].json, strlen(cases[i].json), &err);
    if (s) {
      printf("#   case %zu parsed, expected `%s`\n", i, cases[i].msg);
      tap_failed_checks++;
      spec_free(s);
      continue;
    }
    CHECK_STR(err.msg, cases[i].msg);
  }
}

static void not_json(void)
{
  static const char *const texts[] = {"",
                                      "xx",
                                      "{\"ociVersion\": }",
                                      "{\"a\": 1} trailing",
                                      "{\"a\": 1, \"a\": 2}",
                                      "{\"a\": 1e999}",
                                      "{\"a\\u0000b\": 1}",
                                      "{\"a\": 018446744073709551615}"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    struct vessel_error err = {0};
    CHECK(spec_parse(texts[i], strlen(texts[i]), &err) == NULL);
    CHECK(strncmp(err.msg, "invalid JSON at line 1, column ", 31) == 0);
  }
  struct vessel_error err = {0};
  CHECK(spec_parse("{\n\n  \"a\": tru }", 15, &err) == NULL);
  CHECK(strncmp(err.msg, "invalid JSON at line 3, column ", 31) == 0);
}

/* a length is honoured: no read past it, no need for a terminating NUL */
static void length_is_respected(void)
{
  static const char json[] = "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"}}GARBAGE";
  struct vessel_error err = {0};
  struct spec *s = spec_parse(json, strlen(json) - 7, &err);
  CHECK(s);
  spec_free(s);
}

static void huge_arrays_rejected(void)
{
  size_t n = 70000;
  char *json = malloc(256 + n * 3);
  CHECK(json);
  if (!json)
    return;
  size_t len = (size_t)sprintf(json, PROC("\"env\": ["));
  len -= 2; /* reopen: drop the closing "}}" */
  for (size_t i = 0; i < n; i++)
    len += (size_t)sprintf(json + len, "%s\"\"", i ? "," : "");
  len += (size_t)sprintf(json + len, "]}}");
  struct vessel_error err = {0};
  CHECK(spec_parse(json, len, &err) == NULL);
  CHECK_STR(err.msg, "process.env: too many entries (more than 65536)");
  free(json);
}

static void deep_nesting_rejected(void)
{
  size_t depth = 100000;
  char *json = malloc(depth * 2 + 64);
  CHECK(json);
  if (!json)
    return;
  size_t len = (size_t)sprintf(json, HEAD "\"x\": ");
  memset(json + len, '[', depth);
  memset(json + len + depth, ']', depth);
  len += 2 * depth;
  json[len++] = '}';
  struct vessel_error err = {0};
  CHECK(spec_parse(json, len, &err) == NULL);
  CHECK(strncmp(err.msg, "invalid JSON", 12) == 0);
  free(json);
}

/* errors in the standalone parsers name the object they parse */
static void standalone_errors(void)
{
  struct vessel_error err = {0};
  static const char p[] = "{\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"X\"}]}";
  CHECK(spec_process_parse(p, strlen(p), &err) == NULL);
  CHECK_STR(err.msg, "process.rlimits[0].type: unknown rlimit `X`");
  static const char r[] =
      "{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 1001}]}}";
  CHECK(spec_resources_parse(r, strlen(r), &err) == NULL);
  CHECK_STR(err.msg, "resources.blockIO.weightDevice[0].weight: 1001 is out of range [10, 1000]");
  CHECK(spec_resources_parse("[]", 2, &err) == NULL);
  CHECK_STR(err.msg, "resources: must be an object");
}

TAP_MAIN(T(bad_values_name_their_path), T(not_json), T(length_is_respected),
         T(huge_arrays_rejected), T(deep_nesting_rejected), T(standalone_errors))
