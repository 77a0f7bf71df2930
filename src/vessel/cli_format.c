/* --format as docker reads it: table (the default), json, `table TEMPLATE`
 * (a header, then columns aligned as docker's tabwriter aligns them) or a
 * bare TEMPLATE (one rendered line per object). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_format.h"
#include "util/cleanup.h"

#define TABLE_PADDING 3
#define TABLE_MIN_WIDTH 10

int cli_format_parse(const char *cmd, const char *s, struct cli_format *f, struct vessel_error *err)
{
  cli_format_clear(f);
  if (strcmp(s, "table") == 0) {
    f->kind = CLI_FORMAT_TABLE;
    return 0;
  }
  if (strcmp(s, "json") == 0) {
    f->kind = CLI_FORMAT_JSON;
    return 0;
  }
  const char *text = s;
  if (strncmp(s, "table ", 6) == 0) {
    f->header = true;
    text = s + 6;
  }
  if (!strstr(text, "{{"))
    return vessel_error_set(err, 0, "%s: --format must be table, json or a template, not `%s`", cmd,
                            s);
  /* docker reads the two characters \t and \n as a tab and a newline */
  _cleanup_free_ char *unescaped = strdup(text);
  if (!unescaped)
    return vessel_error_set(err, ENOMEM, "%s", cmd);
  char *w = unescaped;
  for (const char *p = text; *p; p++) {
    if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
      *w++ = p[1] == 't' ? '\t' : '\n';
      p++;
    } else {
      *w++ = *p;
    }
  }
  *w = '\0';
  if (!(f->t = engine_template_parse(unescaped, err)))
    return vessel_error_prefix(err, "%s: --format", cmd);
  f->kind = CLI_FORMAT_TEMPLATE;
  return 0;
}

void cli_format_clear(struct cli_format *f)
{
  engine_template_free(f->t);
  *f = (struct cli_format){0};
}

/* Columns split at tabs, each as wide as its widest cell plus padding. */
static void print_aligned(char **lines, size_t n)
{
  size_t widths[64] = {0};
  for (size_t i = 0; i < n; i++) {
    size_t col = 0, len = 0;
    for (const char *p = lines[i];; p++) {
      if (*p == '\t' || !*p) {
        if (*p && col < ARRAY_SIZE(widths) && len > widths[col])
          widths[col] = len;
        if (!*p)
          break;
        col++;
        len = 0;
      } else {
        len++;
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    size_t col = 0, len = 0;
    for (const char *p = lines[i]; *p; p++) {
      if (*p == '\t' && col < ARRAY_SIZE(widths)) {
        size_t w = widths[col] + TABLE_PADDING;
        if (w < TABLE_MIN_WIDTH)
          w = TABLE_MIN_WIDTH;
        for (; len < w; len++)
          putchar(' ');
        col++;
        len = 0;
      } else {
        putchar(*p);
        len++;
      }
    }
    putchar('\n');
  }
}

int cli_format_print(const struct cli_format *f, json_t *header, json_t *const *rows, size_t n,
                     struct vessel_error *err)
{
  size_t total = n + (f->header ? 1 : 0);
  _cleanup_free_ char **lines = calloc(total + 1, sizeof *lines);
  if (!lines)
    return vessel_error_set(err, ENOMEM, "format");
  int ret = 0;
  size_t k = 0;
  if (f->header && !(lines[k++] = engine_template_render(f->t, header, err)))
    ret = -1;
  for (size_t i = 0; i < n && ret == 0; i++)
    if (!(lines[k++] = engine_template_render(f->t, rows[i], err)))
      ret = -1;
  if (ret == 0) {
    if (f->header)
      print_aligned(lines, total);
    else
      for (size_t i = 0; i < total; i++)
        printf("%s\n", lines[i]);
  }
  for (size_t i = 0; i < total; i++)
    free(lines[i]);
  return ret;
}

/* docker's units.HumanDuration */
void cli_human_duration(long long s, char *buf, size_t size)
{
  if (s < 1)
    snprintf(buf, size, "Less than a second");
  else if (s == 1)
    snprintf(buf, size, "1 second");
  else if (s < 60)
    snprintf(buf, size, "%lld seconds", s);
  else if (s < 120)
    snprintf(buf, size, "About a minute");
  else if (s < 3600)
    snprintf(buf, size, "%lld minutes", s / 60);
  else if (s < 7200)
    snprintf(buf, size, "About an hour");
  else if (s < 48 * 3600)
    snprintf(buf, size, "%lld hours", s / 3600);
  else if (s < 14 * 86400)
    snprintf(buf, size, "%lld days", s / 86400);
  else if (s < 60 * 86400)
    snprintf(buf, size, "%lld weeks", s / (7 * 86400));
  else if (s < 730 * 86400)
    snprintf(buf, size, "%lld months", s / (30 * 86400));
  else
    snprintf(buf, size, "%lld years", s / (365 * 86400));
}

long long cli_seconds_since(const char *rfc3339)
{
  struct tm tm = {0};
  if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
    return -1;
  time_t t = timegm(&tm);
  time_t now = time(NULL);
  return now >= t ? (long long)(now - t) : 0;
}

/* docker's units: BytesSize (binary) and HumanSize (decimal), 4 digits */
void cli_size(double v, bool binary, char *buf, size_t size)
{
  static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  static const char *const dec[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double base = binary ? 1024 : 1000;
  size_t i = 0;
  while (v >= base && i + 1 < ARRAY_SIZE(bin)) {
    v /= base;
    i++;
  }
  snprintf(buf, size, "%.4g%s", v, binary ? bin[i] : dec[i]);
}

int cli_print_docs(const char *cmd, const char *format, char *const *docs, size_t n,
                   struct vessel_error *err)
{
  if (!format || strcmp(format, "json") == 0) {
    printf("[");
    for (size_t i = 0; i < n; i++)
      printf("%s%s", i ? ",\n" : "\n", docs[i]);
    printf("\n]\n");
    return 0;
  }
  struct engine_template *t = engine_template_parse(format, err);
  if (!t)
    return vessel_error_prefix(err, "%s: --format", cmd);
  _cleanup_free_ char **out = calloc(n + 1, sizeof *out);
  int ret = out ? 0 : vessel_error_set(err, ENOMEM, "%s", cmd);
  for (size_t i = 0; i < n && ret == 0; i++) {
    json_error_t jerr;
    json_t *doc = json_loads(docs[i], 0, &jerr);
    if (!doc)
      ret = vessel_error_set(err, 0, "%s: %s", cmd, jerr.text);
    else if (!(out[i] = engine_template_render(t, doc, err)))
      ret = vessel_error_prefix(err, "%s", cmd);
    json_decref(doc);
  }
  for (size_t i = 0; out && i < n; i++) {
    if (ret == 0)
      printf("%s\n", out[i]);
    free(out[i]);
  }
  engine_template_free(t);
  return ret;
}

int cli_format_flag(const char *cmd, int argc, char **argv, const char **format,
                    struct vessel_error *err)
{
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'},
      {"type", required_argument, NULL, 't'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  int c;
  while ((c = cli_getopt(cmd, argc, argv, ":f:", opts, err)) != -1) {
    if (c == CLI_HELP)
      return 1;
    if (c == 'f')
      *format = optarg;
    else if (c == 't' && strcmp(optarg, "container") != 0 && strcmp(optarg, "image") != 0)
      return vessel_error_set(err, 0, "%s: --type must be container or image", cmd);
    else if (c != 't')
      return -1;
  }
  return 0;
}

int cli_inspect_refs(const char *cmd, const char *format, char *const *refs, size_t n,
                     cli_doc_fn doc, void *ctx, struct vessel_error *err)
{
  _cleanup_free_ char **docs = calloc(n, sizeof *docs);
  if (!docs)
    return vessel_error_set(err, ENOMEM, "%s", cmd);
  int ret = 0;
  for (size_t i = 0; i < n && ret == 0; i++)
    if (!(docs[i] = doc(ctx, refs[i], err)))
      ret = -1;
  if (ret == 0)
    ret = cli_print_docs(cmd, format, docs, n, err);
  for (size_t i = 0; i < n; i++)
    free(docs[i]);
  return ret;
}
