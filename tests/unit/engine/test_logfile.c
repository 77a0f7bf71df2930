/* engine: the json-file log writer (format, rotation) and its reader (tail,
 * since, rotated files), and the monitor's restart decisions. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/logfile.h"
#include "engine/policy.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char tmpl[64];

static int make_dir(void)
{
  strcpy(tmpl, "/tmp/vessel-test-logfile.XXXXXX");
  if (!mkdtemp(tmpl))
    return -1;
  return open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void remove_dir(void)
{
  struct vessel_error err = {0};
  _cleanup_close_ int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (engine_remove_tree(tmp, tmpl + 5, &err) < 0)
    printf("# cleanup failed: %s\n", err.msg);
}

/* What a read gives, as "S:text|" per entry (S = 1 or 2). */
struct collected {
  char buf[8192];
  size_t n;
  int entries;
};

static int collect(const struct engine_log_line *l, void *data)
{
  struct collected *c = data;
  int w =
      snprintf(c->buf + c->n, sizeof c->buf - c->n, "%d:%.*s|", l->stream, (int)l->len, l->text);
  if (w > 0 && (size_t)w < sizeof c->buf - c->n)
    c->n += (size_t)w;
  c->entries++;
  return 0;
}

static bool never_alive(int dirfd)
{
  (void)dirfd;
  return false;
}

static void write_entry(struct logfile *l, int stream, time_t sec, const char *text)
{
  struct timespec ts = {.tv_sec = sec, .tv_nsec = 5};
  CHECK(logwriter_write(logfile_writer(l), stream, &ts, text, strlen(text)) == 0);
}

static void writes_docker_json_lines(void)
{
  _cleanup_close_ int dir = make_dir();
  struct vessel_error err = {0};
  struct logfile *l = logfile_open(dir, "c-json.log", 0, 0, &err);
  CHECK(l != NULL);
  write_entry(l, 1, 1764507600, "a \"q\" <b>&\n");
  write_entry(l, 2, 1764507601, "tab\there\x01\n");
  logfile_close(l);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  CHECK(fs_read_fileat(dir, "c-json.log", &text, &len, &err) == 0);
  CHECK_STR(text, "{\"log\":\"a \\\"q\\\" \\u003cb\\u003e\\u0026\\n\",\"stream\":\"stdout\","
                  "\"time\":\"2025-11-30T13:00:00.000000005Z\"}\n"
                  "{\"log\":\"tab\\there\\u0001\\n\",\"stream\":\"stderr\","
                  "\"time\":\"2025-11-30T13:00:01.000000005Z\"}\n");
  /* and reads back as it was written */
  struct engine_logs_opts o = {.tail = -1};
  struct collected c = {0};
  CHECK(logfile_read(dir, "c-json.log", &o, never_alive, collect, &c, &err) == 0);
  CHECK_STR(c.buf, "1:a \"q\" <b>&\n|2:tab\there\x01\n|");
  remove_dir();
}

static void invalid_utf8_becomes_the_replacement_character(void)
{
  _cleanup_close_ int dir = make_dir();
  struct vessel_error err = {0};
  struct logfile *l = logfile_open(dir, "u-json.log", 0, 0, &err);
  write_entry(l, 1, 1764507600, "ok \xc3\xa9 bad \xff\xc3 \xed\xa0\x80\n");
  logfile_close(l);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  CHECK(fs_read_fileat(dir, "u-json.log", &text, &len, &err) == 0);
  CHECK(strstr(text, "\"ok \xc3\xa9 bad \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\n\"") != NULL);
  remove_dir();
}

static void parses_foreign_lines_and_skips_bad_ones(void)
{
  struct engine_log_line l;
  char ok[] = "{\"stream\":\"stderr\",\"time\":\"2026-11-30T13:00:00.5Z\",\"log\":"
              "\"\\u00e9\\ud83d\\ude00\\n\"}";
  CHECK(logfile_parse_line(ok, strlen(ok), &l) == 0);
  CHECK(l.stream == 2 && l.time.tv_nsec == 500000000);
  CHECK(l.len == 7 && memcmp(l.text, "\xc3\xa9\xf0\x9f\x98\x80\n", 7) == 0);
  char torn[] = "{\"log\":\"half";
  CHECK(logfile_parse_line(torn, strlen(torn), &l) < 0);
  char notime[] = "{\"log\":\"x\",\"stream\":\"stdout\"}";
  CHECK(logfile_parse_line(notime, strlen(notime), &l) < 0);
}

static void rotates_by_size_and_keeps_max_file(void)
{
  _cleanup_close_ int dir = make_dir();
  struct vessel_error err = {0};
  struct logfile *l = logfile_open(dir, "r-json.log", 300, 3, &err);
  CHECK(l != NULL);
  char line[32];
  for (int i = 0; i < 40; i++) {
    snprintf(line, sizeof line, "line %02d\n", i);
    write_entry(l, 1, 1764507600 + i, line);
  }
  logfile_close(l);
  struct stat st;
  CHECK(fstatat(dir, "r-json.log", &st, 0) == 0 && st.st_size < 300 + 100);
  CHECK(fstatat(dir, "r-json.log.1", &st, 0) == 0 && st.st_size >= 300);
  CHECK(fstatat(dir, "r-json.log.2", &st, 0) == 0);
  CHECK(fstatat(dir, "r-json.log.3", &st, 0) < 0);
  /* oldest first across the files, the last line last, no gap */
  struct engine_logs_opts o = {.tail = -1};
  struct collected c = {0};
  CHECK(logfile_read(dir, "r-json.log", &o, never_alive, collect, &c, &err) == 0);
  CHECK(strstr(c.buf, "1:line 39\n|") == c.buf + c.n - strlen("1:line 39\n|"));
  CHECK(strstr(c.buf, "line 00") == NULL);
  int first = atoi(c.buf + strlen("1:line "));
  CHECK(c.entries == 40 - first);
  /* --tail across the files */
  o.tail = 5;
  memset(&c, 0, sizeof c);
  CHECK(logfile_read(dir, "r-json.log", &o, never_alive, collect, &c, &err) == 0);
  CHECK_STR(c.buf, "1:line 35\n|1:line 36\n|1:line 37\n|1:line 38\n|1:line 39\n|");
  /* --since: entries at or after the time */
  o.tail = -1;
  o.since_set = true;
  o.since = (struct timespec){.tv_sec = 1764507600 + 38};
  memset(&c, 0, sizeof c);
  CHECK(logfile_read(dir, "r-json.log", &o, never_alive, collect, &c, &err) == 0);
  CHECK_STR(c.buf, "1:line 38\n|1:line 39\n|");
  remove_dir();
}

static void one_file_starts_over(void)
{
  _cleanup_close_ int dir = make_dir();
  struct vessel_error err = {0};
  struct logfile *l = logfile_open(dir, "o-json.log", 200, 1, &err);
  for (int i = 0; i < 20; i++)
    write_entry(l, 1, 1764507600 + i, "0123456789\n");
  logfile_close(l);
  struct stat st;
  CHECK(fstatat(dir, "o-json.log", &st, 0) == 0 && st.st_size < 300);
  CHECK(fstatat(dir, "o-json.log.1", &st, 0) < 0);
  remove_dir();
}

struct entry_sizes {
  size_t len[8], n;
  char head[16];
};

static int entry_size(const struct engine_log_line *l, void *data)
{
  struct entry_sizes *e = data;
  size_t used = strlen(e->head);
  snprintf(e->head + used, sizeof e->head - used, "%.*s", (int)l->len, l->text);
  if (e->n < 8)
    e->len[e->n] = l->len;
  e->n++;
  return 0;
}

/* A container's stream cut into entries: at each '\n', a line split over
 * reads is one entry, one longer than LOGFILE_LINE_MAX several, and the
 * rest at the end its own. */
static void streams_become_line_entries(void)
{
  _cleanup_close_ int dir = make_dir();
  struct vessel_error err = {0};
  struct logfile *l = logfile_open(dir, "s-json.log", 0, 0, &err);
  CHECK(l != NULL);
  _cleanup_free_ char *pending = malloc(LOGFILE_LINE_MAX);
  _cleanup_free_ char *big = malloc(LOGFILE_LINE_MAX + 10);
  memset(big, 'x', LOGFILE_LINE_MAX + 10);
  struct logstream s = {.stream = 2, .pending = pending};
  struct timespec ts = {.tv_sec = 1764507600};
  struct logwriter *w = logfile_writer(l);
  CHECK(logstream_feed(w, &s, &ts, "one\ntw", 6) == 0);
  CHECK(logstream_feed(w, &s, &ts, "o\nthr", 5) == 0);
  CHECK(logstream_feed(w, &s, &ts, big, LOGFILE_LINE_MAX + 10) == 0);
  CHECK(logstream_flush(w, &s, &ts) == 0);
  struct logstream direct = {.stream = 1}; /* no buffer: each chunk an entry */
  CHECK(logstream_feed(w, &direct, &ts, "a\nb", 3) == 0 && direct.n == 0);
  logfile_close(l);
  struct engine_logs_opts o = {.tail = -1};
  struct entry_sizes e = {0};
  CHECK(logfile_read(dir, "s-json.log", &o, never_alive, entry_size, &e, &err) == 0);
  CHECK(e.n == 6);
  size_t want[] = {4, 4, LOGFILE_LINE_MAX, 13, 2, 1};
  for (size_t i = 0; i < 6 && i < e.n; i++)
    CHECK(e.len[i] == want[i]);
  CHECK(strncmp(e.head, "one\ntwo\nthrxx", 13) == 0);
  remove_dir();
}

static void restart_policy_and_backoff(void)
{
  struct engine_container c = {0};
  CHECK(!policy_restarts(&c, 1));
  c.mon.restart = ENGINE_RESTART_ON_FAILURE;
  CHECK(policy_restarts(&c, 1) && !policy_restarts(&c, 0));
  c.mon.restart_max = 2;
  c.restart_count = 2;
  CHECK(!policy_restarts(&c, 1));
  c.mon.restart = ENGINE_RESTART_ALWAYS;
  CHECK(policy_restarts(&c, 0));
  c.stopped_by_user = true;
  CHECK(!policy_restarts(&c, 0));
  c.mon.restart = ENGINE_RESTART_UNLESS_STOPPED;
  CHECK(!policy_restarts(&c, 1));
  CHECK(policy_backoff_ms(0, 0) == 100);
  CHECK(policy_backoff_ms(100, 50) == 200);
  CHECK(policy_backoff_ms(400, 9999) == 800);
  CHECK(policy_backoff_ms(40000, 0) == 60000);
  CHECK(policy_backoff_ms(60000, 10000) == 100); /* ran 10 s: starts over */
}

static void parses_docker_spellings(void)
{
  struct vessel_error err = {0};
  enum engine_restart r;
  int max;
  CHECK(engine_parse_restart("on-failure:5", &r, &max, &err) == 0 &&
        r == ENGINE_RESTART_ON_FAILURE && max == 5);
  CHECK(engine_parse_restart("unless-stopped", &r, &max, &err) == 0 &&
        r == ENGINE_RESTART_UNLESS_STOPPED);
  CHECK(engine_parse_restart("on-failure:", &r, &max, &err) < 0);
  CHECK(engine_parse_restart("never", &r, &max, &err) < 0);
  long long ms;
  CHECK(engine_parse_duration_ms("1m30s", &ms, &err) == 0 && ms == 90000);
  CHECK(engine_parse_duration_ms("250ms", &ms, &err) == 0 && ms == 250);
  CHECK(engine_parse_duration_ms("1.5h", &ms, &err) == 0 && ms == 5400000);
  CHECK(engine_parse_duration_ms("10", &ms, &err) < 0);
  CHECK(engine_parse_duration_ms("-1s", &ms, &err) < 0);
  struct timespec ts;
  CHECK(engine_parse_since("2026-11-30T13:00:00.25+01:00", &ts, &err) == 0 &&
        ts.tv_sec == 1796036400 + 3600 && ts.tv_nsec == 250000000);
  CHECK(engine_parse_since("1700000000.5", &ts, &err) == 0 && ts.tv_sec == 1700000000 &&
        ts.tv_nsec == 500000000);
  CHECK(engine_parse_since("soon", &ts, &err) < 0);
  struct engine_monitor_opts m = {0};
  CHECK(engine_parse_log_opt("max-size=10k", &m, &err) == 0 && m.log_max_size == 10240);
  CHECK(engine_parse_log_opt("max-file=4", &m, &err) == 0 && m.log_max_file == 4);
  CHECK(engine_parse_log_opt("max-file=0", &m, &err) < 0);
  CHECK(engine_parse_log_opt("compress=true", &m, &err) < 0);
}

TAP_MAIN(T(writes_docker_json_lines), T(invalid_utf8_becomes_the_replacement_character),
         T(parses_foreign_lines_and_skips_bad_ones), T(rotates_by_size_and_keeps_max_file),
         T(one_file_starts_over), T(streams_become_line_entries), T(restart_policy_and_backoff),
         T(parses_docker_spellings))
