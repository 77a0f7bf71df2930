/* `vessel exec`: a new process in a running container through the runtime
 * in-process, made from the container's own process with the flags laid over
 * it (as docker does). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* K=V replaces or adds; a bare K takes the caller's value, if it has one. */
static int set_env(struct spec_process *p, const char *kv, struct vessel_error *err)
{
  _cleanup_free_ char *owned = NULL;
  if (!strchr(kv, '=')) {
    const char *val = getenv(kv);
    if (!val)
      return 0;
    if (asprintf(&owned, "%s=%s", kv, val) < 0)
      return vessel_error_set(err, ENOMEM, "exec --env");
    kv = owned;
  }
  size_t klen = (size_t)(strchr(kv, '=') - kv);
  if (klen == 0)
    return vessel_error_set(err, 0, "exec: bad --env `%s`", kv);
  size_t n = strv_length(p->env);
  char *dup = strdup(kv);
  if (!dup)
    return vessel_error_set(err, ENOMEM, "exec --env");
  for (size_t i = 0; i < n; i++)
    if (strncmp(p->env[i], kv, klen) == 0 && p->env[i][klen] == '=') {
      free(p->env[i]);
      p->env[i] = dup;
      return 0;
    }
  char **nv = realloc(p->env, (n + 2) * sizeof *nv);
  if (!nv) {
    free(dup);
    return vessel_error_set(err, ENOMEM, "exec --env");
  }
  p->env = nv;
  nv[n] = dup;
  nv[n + 1] = NULL;
  return 0;
}

/* The user by the container's /etc/passwd: the image's layers and, above
 * them, what the container wrote (its upper dir). */
static int resolve_user(struct engine *e, const struct engine_container *c, const char *spec,
                        struct spec_process *p, struct vessel_error *err)
{
  struct image_config cfg = {0};
  struct image_info info = {0};
  _cleanup_strv_ char **layers = NULL;
  if (engine_container_image(e, c, &cfg, &layers, &info, err) < 0)
    return -1;
  image_config_free(&cfg);
  image_info_free(&info);
  size_t n = strv_length(layers);
  char **nv = realloc(layers, (n + 2) * sizeof *nv);
  if (!nv)
    return vessel_error_set(err, ENOMEM, "exec --user");
  layers = nv;
  if (asprintf(&nv[n], "%s/containers/%s/upper", e->root, c->id) < 0) {
    nv[n] = NULL;
    return vessel_error_set(err, ENOMEM, "exec --user");
  }
  nv[n + 1] = NULL;
  uid_t uid;
  gid_t gid;
  if (user_resolve(spec, layers, &uid, &gid, err) < 0)
    return -1;
  p->user.uid = uid;
  p->user.gid = gid;
  /* the container's supplementary groups belong to its own user */
  free(p->user.additional_gids);
  p->user.additional_gids = NULL;
  p->user.n_additional_gids = 0;
  return 0;
}

static int build_process(struct engine *e, const struct engine_container *c,
                         const struct engine_exec_opts *o, struct spec_process *p,
                         struct vessel_error *err)
{
  size_t n = strv_length(o->cmd);
  char **args = calloc(n + 1, sizeof *args);
  if (!args)
    return vessel_error_set(err, ENOMEM, "exec");
  strv_free(p->args);
  p->args = args;
  for (size_t i = 0; i < n; i++)
    if (!(args[i] = strdup(o->cmd[i])))
      return vessel_error_set(err, ENOMEM, "exec");
  p->terminal = o->tty;
  if (o->workdir) {
    char *cwd = strdup(o->workdir);
    if (!cwd)
      return vessel_error_set(err, ENOMEM, "exec");
    free(p->cwd);
    p->cwd = cwd;
  }
  for (size_t i = 0; o->env && o->env[i]; i++)
    if (set_env(p, o->env[i], err) < 0)
      return -1;
  if (o->user && resolve_user(e, c, o->user, p, err) < 0)
    return -1;
  return 0;
}

int engine_exec(struct engine *e, const char *ref, const struct engine_exec_opts *o,
                struct vessel_error *err)
{
  if (!o->cmd || !o->cmd[0])
    return vessel_error_set(err, 0, "exec: missing command");
  if (o->tty && o->detach)
    return vessel_error_set(err, 0,
                            "exec: -t with -d is not supported (nobody would hold the terminal)");
  if (o->workdir && o->workdir[0] != '/')
    return vessel_error_set(err, 0, "exec: --workdir `%s` must be an absolute path", o->workdir);
  struct engine_container c = {0};
  if (engine_lookup(e, ref, &c, err) < 0)
    return -1;
  int ret = -1;
  struct spec_process *p = NULL;
  struct runtime_ctx ctx = {.state_root = e->runtime_root};
  if (c.state == ENGINE_PAUSED) {
    vessel_error_set(err, 0, "container `%s` is paused: unpause it first", c.name);
    goto out;
  }
  if (c.state != ENGINE_RUNNING || c.pid <= 0) {
    vessel_error_set(err, 0, "container `%s` is not running", c.name);
    goto out;
  }
  if (!(p = runtime_container_process(&ctx, c.id, err)))
    goto out;
  if (build_process(e, &c, o, p, err) < 0)
    goto out;
  struct runtime_exec_opts eo = {.process = p, .detach = o->detach};
  int status = 0;
  if (runtime_exec(&ctx, c.id, &eo, &status, err) < 0) {
    ret = engine_exec_failure_status(err);
    goto out;
  }
  ret = o->detach ? 0 : status;
out:
  if (p)
    spec_process_free(p);
  engine_container_clear(&c);
  return ret;
}
