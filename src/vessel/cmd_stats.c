/* vessel stats: CPU, memory, network, block I/O and pids of containers; a
 * table refreshed every second on a terminal, one sample otherwise. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_format.h"
#include "engine/stats.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define STATS_DEFAULT                                                                              \
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}"  \
  "\t{{.PIDs}}"
#define STATS_INTERVAL_MS 1000
#define STATS_ONESHOT_MS 500 /* between the two samples CPU % needs */

struct target {
  char *ref; /* what the user named, or the short id */
  char id[65];
  struct engine_stats prev;
  bool have_prev;
};

struct stats_run {
  struct target *v;
  size_t n;
  bool all, named, no_trunc;
};

static void targets_clear(struct stats_run *s)
{
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i].ref);
  free(s->v);
  s->v = NULL;
  s->n = 0;
}

static struct target *target_find(struct stats_run *s, const char *id)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->v[i].id, id) == 0)
      return &s->v[i];
  return NULL;
}

static int target_add(struct stats_run *s, const char *ref, const char *id,
                      struct vessel_error *err)
{
  struct target *nv = realloc(s->v, (s->n + 1) * sizeof *nv);
  if (!nv)
    return vessel_error_set(err, ENOMEM, "stats");
  s->v = nv;
  struct target *t = &nv[s->n];
  memset(t, 0, sizeof *t);
  memcpy(t->id, id, 65);
  if (!(t->ref = strndup(ref, 64)))
    return vessel_error_set(err, ENOMEM, "stats");
  s->n++;
  return 0;
}

/* Without names: every running container (every one with -a), refreshed
 * at each sample so new ones show up and removed ones go. */
static int refresh_targets(struct engine *e, struct stats_run *s, struct vessel_error *err)
{
  if (s->named)
    return 0;
  struct engine_container *v = NULL;
  size_t n = 0;
  if (engine_list(e, &v, &n, err) < 0)
    return -1;
  struct stats_run next = {0};
  int ret = 0;
  for (size_t i = 0; i < n && ret == 0; i++) {
    if (!s->all && v[i].state != ENGINE_RUNNING && v[i].state != ENGINE_PAUSED)
      continue;
    char shortid[13];
    snprintf(shortid, sizeof shortid, "%.12s", v[i].id);
    ret = target_add(&next, shortid, v[i].id, err);
    struct target *old = ret == 0 ? target_find(s, v[i].id) : NULL;
    if (old) {
      next.v[next.n - 1].prev = old->prev;
      next.v[next.n - 1].have_prev = old->have_prev;
    }
  }
  engine_list_free(v, n);
  targets_clear(s);
  s->v = next.v;
  s->n = next.n;
  if (ret < 0)
    targets_clear(s);
  return ret;
}

static json_t *row_json(const struct target *t, const struct engine_container *c,
                        const struct engine_stats *st, bool no_trunc)
{
  double cpu = 0;
  if (t->have_prev && st->sampled_ns > t->prev.sampled_ns && st->cpu_ns >= t->prev.cpu_ns)
    cpu = 100.0 * (double)(st->cpu_ns - t->prev.cpu_ns) /
          (double)(st->sampled_ns - t->prev.sampled_ns);
  char cpu_s[32], mem_s[64], memp_s[32], net_s[64], blk_s[64], pids_s[32], a[24], b[24];
  snprintf(cpu_s, sizeof cpu_s, "%.2f%%", cpu);
  cli_size((double)st->mem_usage, true, a, sizeof a);
  cli_size((double)st->mem_limit, true, b, sizeof b);
  snprintf(mem_s, sizeof mem_s, "%s / %s", a, b);
  snprintf(memp_s, sizeof memp_s, "%.2f%%",
           st->mem_limit ? 100.0 * (double)st->mem_usage / (double)st->mem_limit : 0.0);
  cli_size((double)st->net_rx, false, a, sizeof a);
  cli_size((double)st->net_tx, false, b, sizeof b);
  snprintf(net_s, sizeof net_s, "%s / %s", a, b);
  cli_size((double)st->blk_read, false, a, sizeof a);
  cli_size((double)st->blk_write, false, b, sizeof b);
  snprintf(blk_s, sizeof blk_s, "%s / %s", a, b);
  snprintf(pids_s, sizeof pids_s, "%llu", st->pids);
  char id[65];
  snprintf(id, sizeof id, "%.*s", no_trunc ? 64 : 12, c->id);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", blk_s, "CPUPerc",
                   cpu_s, "Container", t->ref, "ID", id, "MemPerc", memp_s, "MemUsage", mem_s,
                   "Name", c->name ? c->name : "", "NetIO", net_s, "PIDs", pids_s);
}

/* One sample of every target; rows (one per target still there) are
 * filled when want_rows. */
static int sample(struct engine *e, struct stats_run *s, json_t **rows, size_t *n_rows,
                  struct vessel_error *err)
{
  *n_rows = 0;
  for (size_t i = 0; i < s->n; i++) {
    struct target *t = &s->v[i];
    struct engine_container c = {0};
    struct vessel_error one = {0};
    if (engine_lookup(e, t->id, &c, &one) < 0) {
      if (s->named) /* a named container that went away ends the command */
        return vessel_error_set(err, 0, "stats: no such container `%s`", t->ref);
      continue;
    }
    struct engine_stats st;
    int r = engine_stats(e, &c, &st, err);
    if (r == 0 && rows && !(rows[(*n_rows)++] = row_json(t, &c, &st, s->no_trunc)))
      r = vessel_error_set(err, ENOMEM, "stats");
    engine_container_clear(&c);
    if (r < 0)
      return -1;
    t->prev = st;
    t->have_prev = true;
  }
  return 0;
}

static json_t *header_json(void)
{
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", "BLOCK I/O",
                   "CPUPerc", "CPU %", "Container", "CONTAINER", "ID", "CONTAINER ID", "MemPerc",
                   "MEM %", "MemUsage", "MEM USAGE / LIMIT", "Name", "NAME", "NetIO", "NET I/O",
                   "PIDs", "PIDS");
}

static void sleep_ms(int ms)
{
  nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

static int print_rows(const struct cli_format *f, json_t *const *rows, size_t n,
                      struct vessel_error *err)
{
  if (f->kind != CLI_FORMAT_JSON) {
    json_t *header = header_json();
    int r =
        header ? cli_format_print(f, header, rows, n, err) : vessel_error_set(err, ENOMEM, "stats");
    json_decref(header);
    return r;
  }
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *text = json_dumps(rows[i], JSON_COMPACT);
    if (!text)
      return vessel_error_set(err, ENOMEM, "stats");
    printf("%s\n", text);
  }
  return 0;
}

int cmd_stats(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'},       {"no-stream", no_argument, NULL, 'N'},
      {"no-trunc", no_argument, NULL, 'T'},  {"format", required_argument, NULL, 'F'},
      {"help", no_argument, NULL, CLI_HELP}, {NULL, 0, NULL, 0},
  };
  struct stats_run s = {0};
  struct cli_format f = {0};
  bool no_stream = false;
  const char *format = STATS_DEFAULT;
  json_t **rows = NULL;
  size_t n_rows = 0;
  int c, ret = -1;
  while ((c = cli_getopt("stats", argc, argv, ":a", opts, err)) != -1) {
    switch (c) {
    case 'a':
      s.all = true;
      break;
    case 'N':
      no_stream = true;
      break;
    case 'T':
      s.no_trunc = true;
      break;
    case 'F':
      format = strcmp(optarg, "table") == 0 ? STATS_DEFAULT : optarg;
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (cli_format_parse("stats", format, &f, err) < 0)
    return -1;
  struct engine *e = cli_engine(cli, err);
  if (!e)
    goto out;
  s.named = optind < argc;
  for (int i = optind; i < argc; i++) {
    struct engine_container ct = {0};
    if (engine_lookup(e, argv[i], &ct, err) < 0)
      goto out;
    int r = target_add(&s, argv[i], ct.id, err);
    engine_container_clear(&ct);
    if (r < 0)
      goto out;
  }
  bool live = !no_stream && isatty(STDOUT_FILENO);
  if (refresh_targets(e, &s, err) < 0 || sample(e, &s, NULL, &n_rows, err) < 0)
    goto out;
  sleep_ms(live ? STATS_INTERVAL_MS : STATS_ONESHOT_MS);
  for (;;) {
    if (refresh_targets(e, &s, err) < 0)
      goto out;
    free(rows);
    if (!(rows = calloc(s.n + 1, sizeof *rows))) {
      vessel_error_set(err, ENOMEM, "stats");
      goto out;
    }
    int r = sample(e, &s, rows, &n_rows, err);
    if (r == 0 && live)
      printf("\033[2J\033[H"); /* clear the screen, as docker does */
    if (r == 0)
      r = print_rows(&f, rows, n_rows, err);
    for (size_t i = 0; i < n_rows; i++)
      json_decref(rows[i]);
    if (r < 0)
      goto out;
    if (!live)
      break;
    fflush(stdout);
    sleep_ms(STATS_INTERVAL_MS);
  }
  ret = 0;
out:
  free(rows);
  targets_clear(&s);
  cli_format_clear(&f);
  return ret;
}
