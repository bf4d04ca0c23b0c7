/* rm-rpc: authentication, error mapping and converters for the RM's RPC
 * handlers. See rm-rpc.h. */
#include "rm-rpc.h"

#include "weft-rpc.h"

/* Internal states and reasons use the IDL's numbers; keep it so. */
G_STATIC_ASSERT ((int) RM_APP_KILLED == (int) WEFT_APPLICATION_STATE_APP_KILLED);
G_STATIC_ASSERT ((int) RM_NODE_SHUTDOWN == (int) WEFT_NODE_STATE_NODE_SHUTDOWN);
G_STATIC_ASSERT ((int) RM_EXIT_KILLED_AFTER_APP_COMPLETION
                 == (int) WEFT_EXIT_REASON_EXIT_KILLED_AFTER_APP_COMPLETION);
G_STATIC_ASSERT ((int) RM_CONTAINER_COMPLETE == (int) WEFT_CONTAINER_STATE_CONTAINER_COMPLETE);
G_STATIC_ASSERT ((int) RM_FINAL_KILLED == (int) WEFT_FINAL_STATUS_FINAL_KILLED);
G_STATIC_ASSERT ((int) RM_ERROR_FAILED_PRECONDITION == (int) WEFT_ERROR_CODE_FAILED_PRECONDITION);
G_STATIC_ASSERT ((int) RM_NODE_ACTION_SHUTDOWN == (int) WEFT_NODE_ACTION_NODE_ACTION_SHUTDOWN);

gboolean
rm_rpc_fail (weftWeftException **ex, GError *error)
{
  weftErrorCode code = WEFT_ERROR_CODE_INTERNAL;
  if (error->domain == RM_ERROR)
    code = (weftErrorCode) error->code;
  else if (error->domain == WEFT_TOKEN_ERROR)
    code = WEFT_ERROR_CODE_UNAUTHENTICATED;
  else if (error->domain == WEFT_IDS_ERROR)
    code = WEFT_ERROR_CODE_INVALID_ARGUMENT;
  weft_rpc_exception_set (ex, code, "%s", error->message);
  g_error_free (error);
  return FALSE;
}

/* With security off, an identity is still read from the token's
 * identifier when there is one (unsigned, so only informative). */
static GStrv
check_token (RmRpc *rpc, const weftToken *auth, const char *kind, GError **error)
{
  g_autoptr(WeftToken) t = weft_rpc_token_from_wire (auth);
  if (rpc->security)
    return weft_token_check (rpc->secret, t, kind, 2, g_get_real_time () / 1000, error);
  if (t != NULL && g_strcmp0 (t->kind, kind) == 0)
    {
      GStrv f = weft_token_identifier_parse (t->identifier, NULL);
      if (f && g_strv_length (f) == 2)
        return f;
      g_strfreev (f);
    }
  return NULL;
}

char *
rm_rpc_auth_client (RmRpc *rpc, const weftToken *auth, GError **error)
{
  GError *local = NULL;
  g_auto (GStrv) f = check_token (rpc, auth, "client", &local);
  if (f != NULL)
    return g_strdup (f[1]);
  if (!rpc->security)
    return g_strdup (g_get_user_name ());
  g_set_error (error, RM_ERROR, RM_ERROR_UNAUTHENTICATED,
               "client not authenticated: %s (security is on: use the client token the cluster "
               "administrator issued, see security.client-token-file)", local->message);
  g_error_free (local);
  return NULL;
}

char *
rm_rpc_auth_am (RmRpc *rpc, const weftToken *auth, GError **error)
{
  GError *local = NULL;
  /* AM tokens are always signed (the RM has a secret even with security
   * off): they are how an AM proves which attempt it is. */
  g_autoptr(WeftToken) t = weft_rpc_token_from_wire (auth);
  g_auto (GStrv) f = weft_token_check (rpc->secret, t, "am", 2, g_get_real_time () / 1000, &local);
  if (f != NULL)
    return g_strdup (f[1]);
  g_set_error (error, RM_ERROR, RM_ERROR_UNAUTHENTICATED,
               "application master not authenticated: %s (an AM gets its token in "
               "WEFT_AM_TOKEN)", local->message);
  g_error_free (local);
  return NULL;
}

gboolean
rm_rpc_auth_node (RmRpc *rpc, const weftToken *auth, const char *node_id, GError **error)
{
  if (!rpc->security)
    return TRUE;
  GError *local = NULL;
  g_auto (GStrv) f = check_token (rpc, auth, "node", &local);
  if (f == NULL)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_UNAUTHENTICATED,
                   "node %s not authenticated: %s (NMs sign with the cluster secret)",
                   node_id ? node_id : "?", local->message);
      g_error_free (local);
      return FALSE;
    }
  if (g_strcmp0 (f[1], node_id) != 0)
    {
      g_set_error (error, RM_ERROR, RM_ERROR_PERMISSION_DENIED,
                   "node token is for %s, not %s", f[1], node_id ? node_id : "?");
      return FALSE;
    }
  return TRUE;
}

RmResource
rm_convert_resource_from (const weftResource *r)
{
  RmResource x = { 0, 0 };
  if (r)
    x = (RmResource) { r->vcores, r->memory_mb };
  return x;
}

void
rm_convert_resource_to (RmResource r, weftResource *out)
{
  out->vcores = (gint32) r.vcores;
  out->memory_mb = r.memory_mb;
}

RmLaunchSpec *
rm_convert_launch_from (const weftLaunchSpec *spec)
{
  RmLaunchSpec *s = rm_launch_spec_new ();
  if (spec == NULL)
    return s;
  g_strfreev (s->argv);
  s->argv = g_new0 (char *, (spec->argv ? spec->argv->len : 0) + 1);
  for (guint i = 0; spec->argv && i < spec->argv->len; i++)
    s->argv[i] = g_strdup (spec->argv->pdata[i]);
  if (spec->env)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, spec->env);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (s->env, g_strdup (k), g_strdup (v));
    }
  for (guint i = 0; spec->resources && i < spec->resources->len; i++)
    {
      const weftLocalResource *r = spec->resources->pdata[i];
      RmLocalResource *c = g_new0 (RmLocalResource, 1);
      *c = (RmLocalResource) { g_strdup (r->name), g_strdup (r->source), r->size,
                               g_strdup (r->sha256), r->executable };
      g_ptr_array_add (s->resources, c);
    }
  return s;
}

void
rm_convert_launch_to (const RmLaunchSpec *spec, GHashTable *extra_env, weftLaunchSpec *out)
{
  for (guint i = 0; spec->argv && spec->argv[i]; i++)
    g_ptr_array_add (out->argv, g_strdup (spec->argv[i]));
  GHashTableIter it;
  gpointer k, v;
  GHashTable *envs[] = { spec->env, extra_env };
  for (guint e = 0; e < G_N_ELEMENTS (envs); e++)
    {
      if (envs[e] == NULL)
        continue;
      g_hash_table_iter_init (&it, envs[e]);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (out->env, g_strdup (k), g_strdup (v));
    }
  for (guint i = 0; i < spec->resources->len; i++)
    {
      const RmLocalResource *r = spec->resources->pdata[i];
      weftLocalResource *lr = g_object_new (WEFT_TYPE_LOCAL_RESOURCE, "name", r->name,
                                            "source", r->source, "size", r->size,
                                            "sha256", r->sha256, "executable", r->executable, NULL);
      g_ptr_array_add (out->resources, lr);
    }
}

RmContainerStatus *
rm_convert_status_from (const weftContainerStatus *s)
{
  RmContainerStatus *c = g_new0 (RmContainerStatus, 1);
  c->container_id = g_strdup (s->container_id ? s->container_id : "");
  c->state = (RmContainerState) s->state;
  c->reason = (RmExitReason) s->reason;
  c->exit_code = s->exit_code;
  c->diagnostics = g_strdup (s->diagnostics ? s->diagnostics : "");
  c->memory_limit_bytes = s->memory_limit_bytes;
  c->memory_peak_bytes = s->memory_peak_bytes;
  return c;
}

weftContainerStatus *
rm_convert_status_to (const RmContainerStatus *s)
{
  return g_object_new (WEFT_TYPE_CONTAINER_STATUS, "container_id", s->container_id,
                       "state", (gint) s->state, "reason", (gint) s->reason,
                       "exit_code", (gint) s->exit_code, "diagnostics", s->diagnostics,
                       "memory_limit_bytes", s->memory_limit_bytes,
                       "memory_peak_bytes", s->memory_peak_bytes, NULL);
}

weftContainer *
rm_convert_container_to (const RmContainer *c)
{
  weftContainer *w = g_object_new (WEFT_TYPE_CONTAINER, "container_id", c->id,
                                   "node_id", c->node_id,
                                   "node_http_address", c->node_http_address,
                                   "priority", (gint) c->priority, NULL);
  rm_convert_resource_to (c->resource, w->resource);
  weft_rpc_token_fill (w->container_token, c->token);
  return w;
}

static void
set_str (gchar **field, const char *v)
{
  g_free (*field);
  *field = g_strdup (v ? v : "");
}

void
rm_convert_app_report (const RmApp *app, weftApplicationReport *out)
{
  set_str (&out->application_id, app->id);
  set_str (&out->name, app->name);
  set_str (&out->user, app->user);
  set_str (&out->queue, app->queue);
  set_str (&out->application_type, app->type);
  out->state = (weftApplicationState) app->state;
  out->final_status = (weftFinalStatus) app->final_status;
  set_str (&out->diagnostics, app->diagnostics->str);
  set_str (&out->am_host, app->am_host);
  out->am_rpc_port = app->am_rpc_port;
  set_str (&out->tracking_url, app->tracking_url);
  out->submit_ms = app->submit_ms;
  out->start_ms = app->start_ms;
  out->finish_ms = app->finish_ms;
  out->progress = app->progress;
  /* Optional: only an AM that reports a detail has one. */
  g_clear_pointer (&out->progress_detail, g_free);
  out->__isset_progress_detail = app->progress_detail != NULL;
  if (app->progress_detail != NULL)
    out->progress_detail = g_strdup (app->progress_detail);
  rm_convert_resource_to (app->used, out->used);
  int running = 0;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, app->containers);
  while (g_hash_table_iter_next (&it, NULL, &v))
    running += ((RmContainer *) v)->state != RM_CONTAINER_COMPLETE;
  out->running_containers = running;
  set_str (&out->current_attempt_id, app->attempt_id);
  out->attempt_count = (gint32) app->attempt;
}

void
rm_convert_node_report (const RmNode *n, weftNodeReport *out)
{
  set_str (&out->node_id, n->node_id);
  set_str (&out->http_address, n->http_address);
  set_str (&out->rack, n->rack);
  out->state = (weftNodeState) n->state;
  rm_convert_resource_to (n->capability, out->capability);
  rm_convert_resource_to (n->used, out->used);
  out->num_containers = (gint32) g_hash_table_size (n->containers);
  set_str (&out->health_report, n->health_report);
  out->last_heartbeat_ms = n->last_heartbeat_ms;
  set_str (&out->version, n->version);
}
