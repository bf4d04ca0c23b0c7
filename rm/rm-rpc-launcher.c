/* rm-rpc-launcher: AM launches through the NMs. See rm-rpc-launcher.h. */
#include "rm-rpc-launcher.h"

#include <stdlib.h>

#include "rm-rpc.h"
#include "weft-rpc-client.h"
#include "weft_container_manager.h"

struct _RmLauncher {
  RmCore *core;
  GMainContext *context;
  WeftRpcOptions opts;
  GThreadPool *pool;
};

typedef struct {
  RmLauncher *launcher;
  char *container_id;
  char *node_id;
  WeftToken *token;
  RmLaunchSpec *spec;
  GHashTable *env;
  gboolean ok;
  char *diagnostics;
} Job;

static void
job_free (Job *j)
{
  g_free (j->container_id);
  g_free (j->node_id);
  weft_token_free (j->token);
  rm_launch_spec_free (j->spec);
  g_hash_table_unref (j->env);
  g_free (j->diagnostics);
  g_free (j);
}

static gboolean
report (gpointer data)
{
  Job *j = data;
  rm_core_am_launched (j->launcher->core, j->container_id, j->ok, j->diagnostics);
  return G_SOURCE_REMOVE;
}

typedef struct { Job *job; weftStartContainersResponse *resp; } StartArgs;

static gboolean
call_start (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  StartArgs *a = data;
  weftToken *tok = g_object_new (WEFT_TYPE_TOKEN, NULL);
  weft_rpc_token_fill (tok, a->job->token);
  weftStartContainerRequest *req = g_object_new (WEFT_TYPE_START_CONTAINER_REQUEST, NULL);
  weft_rpc_token_fill (req->container_token, a->job->token);
  rm_convert_launch_to (a->job->spec, a->job->env, req->launch);
  g_autoptr(GPtrArray) reqs = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (reqs, req);
  gboolean ok = weft_container_manager_if_start_containers (WEFT_CONTAINER_MANAGER_IF (client),
                                                            &a->resp, tok, reqs, ex, error);
  g_object_unref (tok);
  return ok;
}

static void
run_job (gpointer data, gpointer user_data)
{
  Job *j = data;
  RmLauncher *l = user_data;
  const char *colon = strrchr (j->node_id, ':');
  g_autofree char *host = g_strndup (j->node_id, colon ? (gsize) (colon - j->node_id) : 0);
  guint16 port = colon ? (guint16) atoi (colon + 1) : 0;
  g_autoptr(WeftRpcClient) client = weft_rpc_client_new (host, port,
                                                         WEFT_TYPE_CONTAINER_MANAGER_CLIENT, &l->opts);
  StartArgs a = { j, g_object_new (WEFT_TYPE_START_CONTAINERS_RESPONSE, NULL) };
  g_autoptr(GError) error = NULL;
  if (!weft_rpc_client_call (client, "start_containers", WEFT_RPC_ONCE, call_start, &a, &error))
    j->diagnostics = g_strdup (error->message);
  else if (a.resp->failed && a.resp->failed->len > 0)
    {
      weftContainerFailure *f = a.resp->failed->pdata[0];
      j->diagnostics = g_strdup_printf ("%s refused it: %s", j->node_id, f->message);
    }
  else
    j->ok = TRUE;
  g_object_unref (a.resp);
  if (!j->ok)
    g_warning ("launching AM container %s on %s failed: %s", j->container_id, j->node_id,
               j->diagnostics);
  g_main_context_invoke_full (l->context, G_PRIORITY_DEFAULT, report, j, (GDestroyNotify) job_free);
}

RmLauncher *
rm_launcher_new (RmCore *core, GMainContext *context, const WeftRpcOptions *opts)
{
  RmLauncher *l = g_new0 (RmLauncher, 1);
  l->core = core;
  l->context = context;
  l->opts = *opts;
  l->pool = g_thread_pool_new (run_job, l, 4, FALSE, NULL);
  return l;
}

void
rm_launcher_launch_am (const RmContainer *c, const RmLaunchSpec *spec, GHashTable *env,
                       gpointer user_data)
{
  RmLauncher *l = user_data;
  Job *j = g_new0 (Job, 1);
  j->launcher = l;
  j->container_id = g_strdup (c->id);
  j->node_id = g_strdup (c->node_id);
  j->token = c->token ? weft_token_copy (c->token) : NULL;
  j->spec = rm_launch_spec_copy (spec);
  j->env = g_hash_table_ref (env);
  g_thread_pool_push (l->pool, j, NULL);
}

void
rm_launcher_free (RmLauncher *l)
{
  if (l == NULL)
    return;
  g_thread_pool_free (l->pool, FALSE, TRUE);
  g_free (l);
}
