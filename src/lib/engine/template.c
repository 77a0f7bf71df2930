/* A small Go text/template: text and {{actions}}; an action is a pipeline
 * of commands separated by '|', each a value (.Field.Path, "string",
 * number) or a function with arguments, the previous command's value passed
 * as the last argument. Values are JSON; they print as Go prints them. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/template.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define TEMPLATE_MAX 65536 /* bytes of template text */
#define TEMPLATE_ARGS 16   /* per command */

enum targ_kind { ARG_FIELD, ARG_STRING, ARG_NUMBER };

struct targ {
  enum targ_kind kind;
  char **path; /* ARG_FIELD: components, empty for "." */
  char *str;
  long long num;
};

enum tfn {
  FN_VALUE,
  FN_JSON,
  FN_INDEX,
  FN_JOIN,
  FN_UPPER,
  FN_LOWER,
  FN_TITLE,
  FN_LEN,
  FN_TRUNCATE
};

static const struct {
  const char *name;
  enum tfn fn;
  int min_args, max_args; /* counting a piped-in value */
} functions[] = {
    {"json", FN_JSON, 1, 1},   {"index", FN_INDEX, 2, TEMPLATE_ARGS},
    {"join", FN_JOIN, 2, 2},   {"upper", FN_UPPER, 1, 1},
    {"lower", FN_LOWER, 1, 1}, {"title", FN_TITLE, 1, 1},
    {"len", FN_LEN, 1, 1},     {"truncate", FN_TRUNCATE, 2, 2},
};

struct tcmd {
  enum tfn fn;
  struct targ args[TEMPLATE_ARGS + 1];
  size_t n;
};

struct tnode {
  char *text; /* a text node when set */
  struct tcmd *cmds;
  size_t n_cmds;
};

struct engine_template {
  struct tnode *nodes;
  size_t n;
};

static void targ_clear(struct targ *a)
{
  strv_free(a->path);
  free(a->str);
}

void engine_template_free(struct engine_template *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->n; i++) {
    free(t->nodes[i].text);
    for (size_t c = 0; c < t->nodes[i].n_cmds; c++)
      for (size_t a = 0; a < t->nodes[i].cmds[c].n; a++)
        targ_clear(&t->nodes[i].cmds[c].args[a]);
    free(t->nodes[i].cmds);
  }
  free(t->nodes);
  free(t);
}

static struct tnode *add_node(struct engine_template *t, struct vessel_error *err)
{
  struct tnode *nv = realloc(t->nodes, (t->n + 1) * sizeof *nv);
  if (!nv) {
    vessel_error_set(err, ENOMEM, "template");
    return NULL;
  }
  t->nodes = nv;
  memset(&nv[t->n], 0, sizeof nv[t->n]);
  return &nv[t->n++];
}

/* ".A.B" -> {"A", "B"}; "." -> {} */
static int parse_field(const char **pp, struct targ *a, struct vessel_error *err)
{
  const char *p = *pp;
  size_t n = 0;
  a->kind = ARG_FIELD;
  if (!(a->path = calloc(1, sizeof *a->path)))
    return vessel_error_set(err, ENOMEM, "template");
  if (p[0] == '.' && !(isalpha((unsigned char)p[1]) || p[1] == '_')) {
    *pp = p + 1;
    return 0;
  }
  while (*p == '.') {
    const char *s = ++p;
    while (isalnum((unsigned char)*p) || *p == '_')
      p++;
    if (p == s)
      return vessel_error_set(err, 0, "template: bad field name at `%.20s`", s - 1);
    char **nv = realloc(a->path, (n + 2) * sizeof *nv);
    if (!nv)
      return vessel_error_set(err, ENOMEM, "template");
    a->path = nv;
    if (!(nv[n] = strndup(s, (size_t)(p - s))))
      return vessel_error_set(err, ENOMEM, "template");
    nv[++n] = NULL;
  }
  *pp = p;
  return 0;
}

/* "..." with Go's common escapes, or `raw` */
static int parse_string(const char **pp, struct targ *a, struct vessel_error *err)
{
  const char *p = *pp;
  char quote = *p++;
  size_t len = strlen(p);
  _cleanup_free_ char *out = malloc(len + 1);
  if (!out)
    return vessel_error_set(err, ENOMEM, "template");
  size_t n = 0;
  for (;; p++) {
    if (!*p)
      return vessel_error_set(err, 0, "template: unterminated string");
    if (*p == quote)
      break;
    if (quote == '"' && *p == '\\') {
      p++;
      static const char from[] = "nt\"\\", to[] = "\n\t\"\\";
      const char *k = *p ? strchr(from, *p) : NULL;
      if (!k)
        return vessel_error_set(err, 0, "template: unknown escape in a string");
      out[n++] = to[k - from];
      continue;
    }
    out[n++] = *p;
  }
  out[n] = '\0';
  a->kind = ARG_STRING;
  a->str = TAKE_PTR(out);
  *pp = p + 1;
  return 0;
}

static int parse_number(const char **pp, struct targ *a, struct vessel_error *err)
{
  const char *p = *pp, *s = p;
  if (*p == '-')
    p++;
  while (isdigit((unsigned char)*p))
    p++;
  char buf[32];
  if ((size_t)(p - s) >= sizeof buf)
    return vessel_error_set(err, 0, "template: number too long");
  memcpy(buf, s, (size_t)(p - s));
  buf[p - s] = '\0';
  if (parse_i64(buf, &a->num) < 0)
    return vessel_error_set(err, 0, "template: bad number `%s`", buf);
  a->kind = ARG_NUMBER;
  *pp = p;
  return 0;
}

/* One action's text (between the delimiters, trim markers removed). */
static int parse_action(const char *p, const char *end, struct tnode *node,
                        struct vessel_error *err)
{
  struct tcmd *cmd = NULL;
  for (;;) {
    while (p < end && isspace((unsigned char)*p))
      p++;
    if (p >= end)
      break;
    if (*p == '|') {
      if (!cmd || cmd->n == 0)
        return vessel_error_set(err, 0, "template: a pipe `|` without a command before it");
      cmd = NULL;
      p++;
      continue;
    }
    if (!cmd) {
      struct tcmd *nv = realloc(node->cmds, (node->n_cmds + 1) * sizeof *nv);
      if (!nv)
        return vessel_error_set(err, ENOMEM, "template");
      node->cmds = nv;
      cmd = &nv[node->n_cmds++];
      memset(cmd, 0, sizeof *cmd);
      if (isalpha((unsigned char)*p)) {
        const char *s = p;
        while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
          p++;
        size_t len = (size_t)(p - s);
        size_t i = 0;
        while (i < ARRAY_SIZE(functions) &&
               (strlen(functions[i].name) != len || strncmp(functions[i].name, s, len) != 0))
          i++;
        if (i == ARRAY_SIZE(functions))
          return vessel_error_set(err, 0, "template: function or keyword `%.*s` not supported",
                                  (int)len, s);
        cmd->fn = functions[i].fn;
        continue;
      }
      cmd->fn = FN_VALUE;
    }
    if (cmd->n >= TEMPLATE_ARGS)
      return vessel_error_set(err, 0, "template: too many arguments");
    struct targ *a = &cmd->args[cmd->n];
    int r;
    if (*p == '.')
      r = parse_field(&p, a, err);
    else if (*p == '"' || *p == '`')
      r = parse_string(&p, a, err);
    else if (*p == '-' || isdigit((unsigned char)*p))
      r = parse_number(&p, a, err);
    else
      r = vessel_error_set(err, 0, "template: unexpected `%c` in an action", *p);
    cmd->n++; /* cleared with the node even when half made */
    if (r < 0)
      return -1;
    if (p > end)
      return vessel_error_set(err, 0, "template: unterminated action");
    if (cmd->fn == FN_VALUE && cmd->n > 1)
      return vessel_error_set(err, 0, "template: a value cannot take arguments");
  }
  if (node->n_cmds == 0 || (cmd && cmd->fn == FN_VALUE && cmd->n == 0))
    return vessel_error_set(err, 0, "template: empty action");
  if (!cmd)
    return vessel_error_set(err, 0, "template: a pipe `|` without a command after it");
  for (size_t i = 0; i < node->n_cmds; i++) {
    struct tcmd *c = &node->cmds[i];
    if (c->fn == FN_VALUE)
      continue;
    int given = (int)c->n + (i > 0 ? 1 : 0);
    for (size_t f = 0; f < ARRAY_SIZE(functions); f++)
      if (functions[f].fn == c->fn &&
          (given < functions[f].min_args || given > functions[f].max_args))
        return vessel_error_set(err, 0, "template: wrong number of arguments for `%s`",
                                functions[f].name);
  }
  return 0;
}

struct engine_template *engine_template_parse(const char *text, struct vessel_error *err)
{
  if (strlen(text) > TEMPLATE_MAX) {
    vessel_error_set(err, 0, "template: longer than %d bytes", TEMPLATE_MAX);
    return NULL;
  }
  struct engine_template *t = calloc(1, sizeof *t);
  if (!t) {
    vessel_error_set(err, ENOMEM, "template");
    return NULL;
  }
  bool trim_next = false;
  for (const char *p = text; *p;) {
    const char *open = strstr(p, "{{");
    const char *stop = open ? open : p + strlen(p);
    if (trim_next)
      while (p < stop && isspace((unsigned char)*p))
        p++;
    const char *tend = stop;
    bool trim_prev = open && open[2] == '-' && isspace((unsigned char)open[3]);
    if (trim_prev)
      while (tend > p && isspace((unsigned char)tend[-1]))
        tend--;
    if (tend > p) {
      struct tnode *n = add_node(t, err);
      if (!n || !(n->text = strndup(p, (size_t)(tend - p))))
        goto fail;
    }
    if (!open)
      break;
    const char *body = open + 2 + (trim_prev ? 2 : 0);
    const char *close = strstr(body, "}}");
    if (!close) {
      vessel_error_set(err, 0, "template: unclosed action");
      goto fail;
    }
    const char *bend = close;
    trim_next = close - body >= 2 && close[-1] == '-' && isspace((unsigned char)close[-2]);
    if (trim_next)
      bend -= 2;
    if (bend - body >= 2 && body[0] == '/' && body[1] == '*') {
      p = close + 2; /* a comment */
      continue;
    }
    struct tnode *n = add_node(t, err);
    if (!n || parse_action(body, bend, n, err) < 0)
      goto fail;
    p = close + 2;
  }
  return t;
fail:
  engine_template_free(t);
  return NULL;
}

/* ---- evaluation ---------------------------------------------------------- */

static const char *type_name(const json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "map";
  case JSON_ARRAY:
    return "slice";
  case JSON_STRING:
    return "string";
  case JSON_INTEGER:
  case JSON_REAL:
    return "number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "bool";
  default:
    return "nil";
  }
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go's %v of a JSON value. */
static void print_value(FILE *f, json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_STRING:
    fwrite(json_string_value(v), 1, json_string_length(v), f);
    break;
  case JSON_INTEGER:
    fprintf(f, "%lld", (long long)json_integer_value(v));
    break;
  case JSON_REAL:
    fprintf(f, "%g", json_real_value(v));
    break;
  case JSON_TRUE:
    fputs("true", f);
    break;
  case JSON_FALSE:
    fputs("false", f);
    break;
  case JSON_NULL:
    fputs("<no value>", f);
    break;
  case JSON_ARRAY: {
    size_t i;
    json_t *x;
    fputc('[', f);
    json_array_foreach(v, i, x)
    {
      if (i)
        fputc(' ', f);
      print_value(f, x);
    }
    fputc(']', f);
    break;
  }
  case JSON_OBJECT: {
    /* Go prints a map's keys sorted */
    size_t n = json_object_size(v), i = 0;
    _cleanup_free_ const char **keys = calloc(n + 1, sizeof *keys);
    const char *k;
    json_t *x;
    if (!keys)
      return;
    json_object_foreach(v, k, x) keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_str);
    fputs("map[", f);
    for (i = 0; i < n; i++) {
      fprintf(f, "%s%s:", i ? " " : "", keys[i]);
      print_value(f, json_object_get(v, keys[i]));
    }
    fputc(']', f);
    break;
  }
  }
}

/* A new reference to the value of a. */
static json_t *eval_arg(const struct targ *a, json_t *dot, struct vessel_error *err)
{
  if (a->kind == ARG_STRING)
    return json_string(a->str);
  if (a->kind == ARG_NUMBER)
    return json_integer(a->num);
  json_t *v = dot;
  for (size_t i = 0; a->path[i]; i++) {
    if (json_is_null(v))
      return json_null(); /* Go's nil map: every key is missing */
    if (!json_is_object(v)) {
      vessel_error_set(err, 0, "template: can't evaluate field `%s` in type %s", a->path[i],
                       type_name(v));
      return NULL;
    }
    json_t *next = json_object_get(v, a->path[i]);
    if (!next) {
      vessel_error_set(err, 0, "template: map has no entry for key `%s`", a->path[i]);
      return NULL;
    }
    v = next;
  }
  return json_incref(v);
}

static json_t *fn_index(json_t *const *args, size_t n, struct vessel_error *err)
{
  json_t *v = args[0];
  for (size_t i = 1; i < n; i++) {
    if (json_is_object(v) && json_is_string(args[i])) {
      v = json_object_get(v, json_string_value(args[i]));
      if (!v)
        return json_string(""); /* Go: the zero value of a missing key */
    } else if (json_is_array(v) && json_is_integer(args[i])) {
      json_int_t k = json_integer_value(args[i]);
      if (k < 0 || (size_t)k >= json_array_size(v)) {
        vessel_error_set(err, 0, "template: index out of range: %lld", (long long)k);
        return NULL;
      }
      v = json_array_get(v, (size_t)k);
    } else if (json_is_null(v)) {
      return json_string("");
    } else {
      vessel_error_set(err, 0, "template: can't index item of type %s", type_name(v));
      return NULL;
    }
  }
  return json_incref(v);
}

static json_t *fn_string(enum tfn fn, json_t *const *args, size_t n, struct vessel_error *err)
{
  json_t *s = args[0];
  if (fn == FN_TRUNCATE) {
    if (!json_is_integer(args[1])) {
      vessel_error_set(err, 0, "template: truncate wants a string and a length");
      return NULL;
    }
  } else if (n != 1) {
    return NULL;
  }
  if (!json_is_string(s)) {
    vessel_error_set(err, 0, "template: wrong argument type %s, want a string", type_name(s));
    return NULL;
  }
  _cleanup_free_ char *t = strdup(json_string_value(s));
  if (!t)
    return NULL;
  size_t len = strlen(t);
  if (fn == FN_TRUNCATE) {
    json_int_t max = json_integer_value(args[1]);
    if (max >= 0 && (size_t)max < len)
      t[max] = '\0';
  }
  for (size_t i = 0; t[i]; i++) {
    unsigned char c = (unsigned char)t[i];
    if (fn == FN_UPPER || (fn == FN_TITLE && (i == 0 || isspace((unsigned char)t[i - 1]))))
      t[i] = (char)toupper(c);
    else if (fn == FN_LOWER)
      t[i] = (char)tolower(c);
  }
  return json_string(t);
}

static json_t *call(enum tfn fn, json_t *const *args, size_t n, struct vessel_error *err)
{
  switch (fn) {
  case FN_VALUE:
    return json_incref(args[0]);
  case FN_JSON: {
    _cleanup_free_ char *text = json_dumps(args[0], JSON_COMPACT | JSON_ENCODE_ANY);
    return text ? json_string(text) : NULL;
  }
  case FN_INDEX:
    return fn_index(args, n, err);
  case FN_JOIN: {
    if (!json_is_array(args[0]) || !json_is_string(args[1])) {
      vessel_error_set(err, 0, "template: join wants a list and a separator");
      return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
      return NULL;
    size_t i;
    json_t *x;
    json_array_foreach(args[0], i, x)
    {
      if (i)
        fputs(json_string_value(args[1]), f);
      print_value(f, x);
    }
    fclose(f);
    json_t *r = buf ? json_string(buf) : NULL;
    free(buf);
    return r;
  }
  case FN_LEN:
    if (json_is_array(args[0]))
      return json_integer((json_int_t)json_array_size(args[0]));
    if (json_is_object(args[0]))
      return json_integer((json_int_t)json_object_size(args[0]));
    if (json_is_string(args[0]))
      return json_integer((json_int_t)json_string_length(args[0]));
    vessel_error_set(err, 0, "template: len of type %s", type_name(args[0]));
    return NULL;
  case FN_UPPER:
  case FN_LOWER:
  case FN_TITLE:
  case FN_TRUNCATE:
    return fn_string(fn, args, n, err);
  }
  return NULL;
}

static json_t *eval_pipeline(const struct tnode *node, json_t *dot, struct vessel_error *err)
{
  json_t *prev = NULL;
  for (size_t c = 0; c < node->n_cmds; c++) {
    const struct tcmd *cmd = &node->cmds[c];
    json_t *args[TEMPLATE_ARGS + 1];
    size_t n = 0;
    json_t *r = NULL;
    for (; n < cmd->n; n++)
      if (!(args[n] = eval_arg(&cmd->args[n], dot, err)))
        goto done;
    if (prev)
      args[n++] = TAKE_PTR(prev);
    r = call(cmd->fn, args, n, err);
    if (!r && !err->msg[0])
      vessel_error_set(err, ENOMEM, "template");
  done:
    for (size_t i = 0; i < n; i++)
      json_decref(args[i]);
    json_decref(prev);
    if (!r)
      return NULL;
    prev = r;
  }
  return prev;
}

char *engine_template_render(const struct engine_template *t, json_t *data,
                             struct vessel_error *err)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) {
    vessel_error_set(err, errno, "template");
    return NULL;
  }
  int ret = 0;
  for (size_t i = 0; i < t->n && ret == 0; i++) {
    if (t->nodes[i].text) {
      fputs(t->nodes[i].text, f);
      continue;
    }
    json_t *v = eval_pipeline(&t->nodes[i], data, err);
    if (!v) {
      ret = -1;
      break;
    }
    print_value(f, v);
    json_decref(v);
  }
  if (fclose(f) != 0 && ret == 0)
    ret = vessel_error_set(err, ENOMEM, "template");
  if (ret < 0) {
    free(buf);
    return NULL;
  }
  return buf;
}
