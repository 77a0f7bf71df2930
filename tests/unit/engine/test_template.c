/* engine: docker's --format templates over inspect-like JSON. */
#include <stdlib.h>

#include "engine/template.h"
#include "tap.h"

static const char doc[] =
    "{\"Id\": \"abc123\", \"Name\": \"web\", \"Count\": 3, \"Ok\": true, \"Nil\": null,"
    " \"State\": {\"Status\": \"running\", \"Pid\": 42},"
    " \"Config\": {\"Cmd\": [\"sh\", \"-c\", \"x\"], \"Labels\": {\"k\": \"v\", \"a.b\": \"c\"},"
    " \"Env\": []}}";

/* renders text over doc; NULL when it fails (err tells why) */
static char *render(const char *text, struct vessel_error *err)
{
  json_t *d = json_loads(doc, 0, NULL);
  struct engine_template *t = engine_template_parse(text, err);
  char *out = t ? engine_template_render(t, d, err) : NULL;
  engine_template_free(t);
  json_decref(d);
  return out;
}

static void check(const char *text, const char *want)
{
  struct vessel_error err = {0};
  char *out = render(text, &err);
  if (!out)
    printf("#   `%s`: %s\n", text, err.msg);
  CHECK_STR(out, want);
  free(out);
}

static void check_fails(const char *text, const char *words)
{
  struct vessel_error err = {0};
  char *out = render(text, &err);
  CHECK(out == NULL);
  if (!strstr(err.msg, words))
    printf("#   `%s`: `%s` lacks `%s`\n", text, err.msg, words);
  CHECK(strstr(err.msg, words) != NULL);
  free(out);
}

static void fields_and_text(void)
{
  check("{{.State.Status}}", "running");
  check("{{.Name}}", "web");
  check("{{.Id}}", "abc123");
  check("id={{.Id}} pid={{.State.Pid}}!", "id=abc123 pid=42!");
  check("{{ .Name }}/{{.Count}}/{{.Ok}}", "web/3/true");
  check("no actions", "no actions");
  check("", "");
  check("{{.Config.Cmd}}", "[sh -c x]");
  check("{{.Config.Labels}}", "map[a.b:c k:v]");
  check("{{.Nil}}", "<no value>");
  check("{{.Nil.Deeper}}", "<no value>");
  check("a {{- .Name -}} b", "awebb");
  check("{{/* a comment */}}x", "x");
}

static void functions(void)
{
  check("{{json .Config.Cmd}}", "[\"sh\",\"-c\",\"x\"]");
  check("{{json .State}}", "{\"Status\":\"running\",\"Pid\":42}");
  check("{{json .Name}}", "\"web\"");
  check("{{index .Config.Labels \"k\"}}", "v");
  check("{{index .Config.Labels \"a.b\"}}", "c");
  check("{{index .Config.Labels \"missing\"}}", "");
  check("{{index .Config.Cmd 1}}", "-c");
  check("{{join .Config.Cmd \",\"}}", "sh,-c,x");
  check("{{.Name | upper}}", "WEB");
  check("{{upper .Name | lower}}", "web");
  check("{{len .Config.Cmd}} {{len .Config.Env}}", "3 0");
  check("{{truncate .Id 3}}", "abc");
  check("{{title \"hello world\"}}", "Hello World");
  check("{{`raw \\n`}}", "raw \\n");
}

static void errors(void)
{
  check_fails("{{.Nope}}", "Nope");
  check_fails("{{.State.Nope}}", "Nope");
  check_fails("{{.Name.Deeper}}", "Deeper");
  check_fails("{{.Name", "unclosed");
  check_fails("{{if .Ok}}x{{end}}", "`if` not supported");
  check_fails("{{nosuchfunc .Name}}", "nosuchfunc");
  check_fails("{{}}", "empty");
  check_fails("{{json}}", "number of arguments");
  check_fails("{{index .Config.Cmd 7}}", "out of range");
  check_fails("{{\"unterminated}}", "unterminated");
  check_fails("{{.Name |}}", "pipe");
  check_fails("{{len .Count}}", "len");
}

TAP_MAIN(T(fields_and_text), T(functions), T(errors))
