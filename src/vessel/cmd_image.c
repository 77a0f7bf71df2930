/* Images through the image store: import, images, rmi, tag, image inspect,
 * and `vessel image VERB` as docker spells them. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_format.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define IMPORT_CHANGES_MAX 256

static struct image_store *store(struct cli *cli, struct vessel_error *err)
{
  struct engine *e = cli_engine(cli, err);
  return e ? e->images : NULL;
}

int cmd_import(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct option opts[] = {
      {"change", required_argument, NULL, 'c'},
      {"help", no_argument, NULL, CLI_HELP},
      {NULL, 0, NULL, 0},
  };
  const char *changes[IMPORT_CHANGES_MAX + 1] = {0};
  size_t n = 0;
  int c;
  while ((c = cli_getopt("import", argc, argv, ":c:", opts, err)) != -1) {
    switch (c) {
    case 'c':
      if (n >= IMPORT_CHANGES_MAX)
        return vessel_error_set(err, 0, "import: too many --change flags");
      changes[n++] = optarg;
      break;
    case CLI_HELP:
      return 0;
    default:
      return -1;
    }
  }
  if (argc - optind != 2)
    return vessel_error_set(err, 0, "import: needs TARBALL and NAME (see vessel import --help)");
  struct image_store *s = store(cli, err);
  if (!s)
    return -1;
  struct image_import_opts o = {.name = argv[optind + 1], .changes = n ? changes : NULL};
  _cleanup_free_ char *id = image_import(s, argv[optind], &o, err);
  if (!id)
    return -1;
  printf("%s\n", id);
  return 0;
}

static void split_name(const char *name, char *repo, size_t rlen, const char **tag)
{
  const char *colon = name ? strrchr(name, ':') : NULL;
  /* a ':' before the last '/' is a registry port, not a tag */
  if (colon && strchr(colon, '/'))
    colon = NULL;
  snprintf(repo, rlen, "%.*s", colon ? (int)(colon - name) : (int)(name ? strlen(name) : 0),
           name ? name : "<none>");
  *tag = colon ? colon + 1 : name ? "latest" : "<none>";
  if (!name)
    snprintf(repo, rlen, "<none>");
}

static const char *short_id(const char *id)
{
  return strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
}

int cmd_images(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  bool quiet, json;
  int r = cli_list_flags("images", argc, argv, &quiet, &json, err);
  if (r != 0)
    return r > 0 ? 0 : -1;
  struct image_store *s = store(cli, err);
  if (!s)
    return -1;
  struct image_info *v = NULL;
  size_t n = 0;
  if (image_list(s, &v, &n, err) < 0)
    return -1;
  if (json) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
      json_array_append_new(a,
                            json_pack("{s:s?, s:s?, s:s?, s:I}", "Name", v[i].name, "Id", v[i].id,
                                      "Created", v[i].created, "Size", (json_int_t)v[i].size));
    char *text = a ? json_dumps(a, JSON_INDENT(2)) : NULL;
    json_decref(a);
    if (text)
      printf("%s\n", text);
    free(text);
  } else {
    if (!quiet)
      printf("%-30s%-16s%-16s%-32s%s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
    for (size_t i = 0; i < n; i++) {
      const char *id = v[i].id ? short_id(v[i].id) : "";
      if (quiet) {
        printf("%.12s\n", id);
        continue;
      }
      char repo[256];
      const char *tag;
      split_name(v[i].name, repo, sizeof repo, &tag);
      printf("%-30s%-16s%-16.12s%-32s%llu\n", repo, tag, id, v[i].created ? v[i].created : "",
             v[i].size);
    }
  }
  for (size_t i = 0; i < n; i++)
    image_info_free(&v[i]);
  free(v);
  return 0;
}

int cmd_rmi(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  int r = cli_no_flags("rmi", argc, argv, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (optind >= argc)
    return vessel_error_set(err, 0, "rmi: missing image name");
  struct engine *e = cli_engine(cli, err);
  if (!e)
    return -1;
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    struct vessel_error one = {0};
    if (engine_image_remove(e, argv[i], &one) < 0) {
      cli_note_failure(&ret, err, &one);
      continue;
    }
    printf("Untagged: %s\n", argv[i]);
  }
  return ret;
}

int cmd_tag(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  int r = cli_no_flags("tag", argc, argv, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (argc - optind != 2)
    return vessel_error_set(err, 0, "tag: needs SOURCE and TARGET");
  struct image_store *s = store(cli, err);
  if (!s)
    return -1;
  return image_tag(s, argv[optind], argv[optind + 1], err) < 0 ? -1 : 0;
}

static json_t *strv_json(char *const *v)
{
  if (!v)
    return json_null();
  json_t *a = json_array();
  for (size_t i = 0; a && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static json_t *labels_json(char *const *v)
{
  json_t *o = json_object();
  for (size_t i = 0; o && v && v[i]; i++) {
    const char *eq = strchr(v[i], '=');
    _cleanup_free_ char *k = strndup(v[i], eq ? (size_t)(eq - v[i]) : strlen(v[i]));
    if (k)
      json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
  }
  return o;
}

static char *image_doc(void *ctx, const char *ref, struct vessel_error *err)
{
  struct image_store *s = ctx;
  struct image_config cfg = {0};
  struct image_info info = {0};
  char **layers = NULL;
  char *text = NULL;
  if (image_resolve(s, ref, &cfg, &layers, &info, err) < 0)
    return NULL;
  json_t *config =
      json_pack("{s:o, s:o, s:o, s:s?, s:s?, s:o, s:s?}", "Entrypoint", strv_json(cfg.entrypoint),
                "Cmd", strv_json(cfg.cmd), "Env", strv_json(cfg.env), "WorkingDir", cfg.working_dir,
                "User", cfg.user, "Labels", labels_json(cfg.labels), "StopSignal", cfg.stop_signal);
  json_t *names = json_array();
  if (names && info.name)
    json_array_append_new(names, json_string(info.name));
  json_t *o = json_pack("{s:s?, s:o, s:s?, s:s?, s:I, s:o, s:o}", "Id", info.id, "RepoTags", names,
                        "ManifestDigest", info.manifest_digest, "Created", info.created, "Size",
                        (json_int_t)info.size, "Config", config, "Layers", strv_json(layers));
  if (o)
    text = json_dumps(o, JSON_INDENT(2));
  if (!text)
    vessel_error_set(err, ENOMEM, "image inspect");
  json_decref(o);
  strv_free(layers);
  image_config_free(&cfg);
  image_info_free(&info);
  return text;
}

int cmd_image_inspect(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  const char *format = NULL;
  int r = cli_format_flag("image inspect", argc, argv, &format, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (optind >= argc)
    return vessel_error_set(err, 0, "image inspect: missing image name");
  struct image_store *s = store(cli, err);
  if (!s)
    return -1;
  return cli_inspect_refs("image inspect", format, argv + optind, (size_t)(argc - optind),
                          image_doc, s, err);
}

/* vessel image import|ls|list|rm|tag|inspect ... */
int cmd_image(struct cli *cli, int argc, char **argv, struct vessel_error *err)
{
  static const struct cli_verb verbs[] = {
      {"import", cmd_import},     {"ls", cmd_images},
      {"list", cmd_images},       {"rm", cmd_rmi},
      {"tag", cmd_tag},           {"inspect", cmd_image_inspect},
      {"prune", cmd_image_prune}, {"save", cmd_save},
      {"load", cmd_load},
  };
  return cli_dispatch(cli, "image", verbs, ARRAY_SIZE(verbs), argc, argv, err);
}
