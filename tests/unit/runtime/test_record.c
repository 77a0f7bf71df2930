/* runtime: ids, signal names, container records and their status. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/record.h"
#include "runtime/runtime.h"
#include "tap.h"
#include "util/cleanup.h"

static void ids_are_checked(void)
{
  struct vessel_error err = {0};
  CHECK(runtime_check_id("abc-1.2_x+y", &err) == 0);
  CHECK(runtime_check_id("", &err) < 0);
  CHECK(runtime_check_id(".", &err) < 0);
  CHECK(runtime_check_id("..", &err) < 0);
  CHECK(runtime_check_id("a/b", &err) < 0);
  CHECK(strstr(err.msg, "a/b") != NULL);
  CHECK(runtime_check_id("a b", &err) < 0);
  char long_id[1100];
  memset(long_id, 'a', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = '\0';
  CHECK(runtime_check_id(long_id, &err) < 0);
}

static void signals_parse_like_kill(void)
{
  CHECK(runtime_signal_parse("KILL") == SIGKILL);
  CHECK(runtime_signal_parse("SIGKILL") == SIGKILL);
  CHECK(runtime_signal_parse("sigterm") == SIGTERM);
  CHECK(runtime_signal_parse("9") == 9);
  CHECK(runtime_signal_parse("15") == SIGTERM);
  CHECK(runtime_signal_parse("RTMIN+2") == SIGRTMIN + 2);
  CHECK(runtime_signal_parse("0") < 0);
  CHECK(runtime_signal_parse("65") < 0);
  CHECK(runtime_signal_parse("SIGNOPE") < 0);
  CHECK(runtime_signal_parse("-9") < 0);
}

static char root[] = "/tmp/vessel-test-record.XXXXXX";

static void record_round_trip_and_status(void)
{
  CHECK(mkdtemp(root) != NULL);
  struct runtime_ctx ctx = {.state_root = root};
  struct vessel_error err = {0};
  _cleanup_close_ int fd = record_claim(&ctx, "c1", &err);
  CHECK(fd >= 0);
  /* the id is claimed: a second create fails */
  CHECK(record_claim(&ctx, "c1", &err) < 0);
  CHECK(strstr(err.msg, "already exists") != NULL);

  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  struct container_record r = {.id = "c1",
                               .pid = child,
                               .bundle = "/b",
                               .rootfs = "/b/rootfs",
                               .created = "2026-01-01T00:00:00Z",
                               .cgroup_path = "/vessel/c1",
                               .start_fd = -1};
  r.start_time = proc_start_time(child);
  CHECK(r.start_time > 0);
  /* config.json as a file has it: lines, indents */
  CHECK(record_write(fd, &r, "{\n  \"ociVersion\": \"1.2.0\"\n}\n", &err) == 0);

  _cleanup_close_ int fd2 = record_open(&ctx, "c1", &err);
  CHECK(fd2 >= 0);
  struct container_record back = {0};
  CHECK(record_read(fd2, &back, &err) == 0);
  CHECK_STR(back.id, "c1");
  CHECK(back.pid == child);
  CHECK(back.start_time == r.start_time);
  CHECK_STR(back.cgroup_path, "/vessel/c1");
  /* a live init without a start pipe is running */
  CHECK(record_status(&back) == CONTAINER_RUNNING);
  _cleanup_free_ char *config = NULL;
  CHECK(record_read_config(fd2, &config, &err) == 0);
  CHECK_STR(config, "{\n  \"ociVersion\": \"1.2.0\"\n}\n");

  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  CHECK(record_status(&back) == CONTAINER_STOPPED);
  /* a reused pid with another start time is not our container */
  back.pid = 1;
  CHECK(record_status(&back) == CONTAINER_STOPPED);
  _cleanup_free_ char *state = record_state_json(&back, CONTAINER_STOPPED);
  CHECK(state && strstr(state, "\"status\": \"stopped\""));
  container_record_free(&back);

  CHECK(record_remove(&ctx, "c1", &err) == 0);
  CHECK(record_open(&ctx, "c1", &err) < 0);
  CHECK(strstr(err.msg, "does not exist") != NULL);
  rmdir(root);
}

/* a record written by an older vessel: one JSON object, config inside */
static void older_record_is_read(void)
{
  char dir[] = "/tmp/vessel-test-record.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  struct runtime_ctx ctx = {.state_root = dir};
  struct vessel_error err = {0};
  _cleanup_close_ int fd = record_claim(&ctx, "old", &err);
  const char *old = "{\"id\":\"old\",\"pid\":0,\"bundle\":\"/b\",\"rootfs\":\"/b/r\","
                    "\"config\":\"{\\\"ociVersion\\\":\\\"1.0.2\\\"}\"}";
  CHECK(write(fd, old, strlen(old)) == (ssize_t)strlen(old));
  struct container_record r = {0};
  CHECK(record_read(fd, &r, &err) == 0);
  CHECK_STR(r.id, "old");
  CHECK_STR(r.rootfs, "/b/r");
  container_record_free(&r);
  _cleanup_free_ char *config = NULL;
  CHECK(record_read_config(fd, &config, &err) == 0);
  CHECK_STR(config, "{\"ociVersion\":\"1.0.2\"}");
  record_remove(&ctx, "old", &err);
  rmdir(dir);
}

static void partial_record_is_an_error(void)
{
  char dir[] = "/tmp/vessel-test-record.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  struct runtime_ctx ctx = {.state_root = dir};
  struct vessel_error err = {0};
  _cleanup_close_ int fd = record_claim(&ctx, "half", &err);
  CHECK(write(fd, "{\"id\":", 6) == 6);
  struct container_record r = {0};
  CHECK(record_read(fd, &r, &err) < 0);
  CHECK(strstr(err.msg, "incomplete") != NULL);
  /* list skips it: a crashed create is not a container */
  struct container_info *list = NULL;
  size_t n = 99;
  CHECK(runtime_list(&ctx, &list, &n, &err) == 0);
  CHECK(n == 0);
  free(list);
  record_remove(&ctx, "half", &err);
  rmdir(dir);
}

TAP_MAIN(T(ids_are_checked), T(signals_parse_like_kill), T(record_round_trip_and_status),
         T(older_record_is_read), T(partial_record_is_an_error))
