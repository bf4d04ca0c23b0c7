/* rm-rpc-client: the ClientService handler (client port). Thin: check the
 * caller's token, run the domain call and the conversion on the RM's main
 * context, map errors to WeftException. */
#include "rm-rpc.h"
#include "rm-staging.h"

#include "weft-dispatch.h"
#include "weft-rpc.h"
#include "weft_client_service.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftClientServiceHandler, g_object_unref)
#define RM_TYPE_CLIENT_HANDLER (rm_client_handler_get_type ())
G_DECLARE_FINAL_TYPE (RmClientHandler, rm_client_handler, RM, CLIENT_HANDLER, weftClientServiceHandler)
struct _RmClientHandler { weftClientServiceHandler parent; RmRpc *rpc; };
G_DEFINE_TYPE (RmClientHandler, rm_client_handler, WEFT_TYPE_CLIENT_SERVICE_HANDLER)

#define RPC(iface) (RM_CLIENT_HANDLER (iface)->rpc)

/* One call's arguments and results, carried to the main context. */
typedef struct {
  RmRpc *rpc;
  const char *user;
  const char *id;
  const char *text;
  gconstpointer in;
  gpointer out;
  GError *error;
} Call;

#define DISPATCH(fn, c) weft_dispatch_call ((c)->rpc->context, fn, (c))

/* Every handler: check the caller's client token, run @fn on the RM's main
 * context with @c (its user set), map an error to the declared exception. */
static gboolean
serve (weftClientServiceIf *iface, const weftToken *auth, WeftDispatchFunc fn, Call *c,
       weftWeftException **err)
{
  GError *e = NULL;
  g_autofree char *user = rm_rpc_auth_client (RPC (iface), auth, &e);
  if (user == NULL)
    return rm_rpc_fail (err, e);
  c->rpc = RPC (iface);
  c->user = user;
  DISPATCH (fn, c);
  return c->error ? rm_rpc_fail (err, c->error) : TRUE;
}

static void
do_new_application (gpointer data)
{
  Call *c = data;
  weftNewApplication *out = c->out;
  RmResource max;
  g_free (out->application_id);
  out->application_id = rm_core_new_application (c->rpc->core, c->user, &max);
  rm_convert_resource_to (max, out->max_resource);
}

static gboolean
h_new_application (weftClientServiceIf *iface, weftNewApplication **ret, const weftToken *auth,
                   weftWeftException **err, GError **error)
{
  Call c = { .out = *ret };
  return serve (iface, auth, do_new_application, &c, err);
}

static void
do_submit (gpointer data)
{
  Call *c = data;
  const weftApplicationSubmission *s = c->in;
  g_autoptr(RmLaunchSpec) spec = rm_convert_launch_from (s->am_launch);
  /* The user is who the token proves, not what the submission says. */
  RmSubmission sub = { .application_id = s->application_id, .name = s->name, .queue = s->queue,
                       .user = (char *) c->user, .type = s->application_type,
                       .am_resource = rm_convert_resource_from (s->am_resource),
                       .am_launch = spec, .max_attempts = s->max_attempts > 0 ? (guint) s->max_attempts : 0,
                       .unmanaged = s->__isset_unmanaged_am && s->unmanaged_am };
  rm_core_submit (c->rpc->core, &sub, &c->error);
}

static gboolean
h_submit_application (weftClientServiceIf *iface, const weftToken *auth,
                      const weftApplicationSubmission *submission, weftWeftException **err,
                      GError **error)
{
  Call c = { .in = submission };
  return serve (iface, auth, do_submit, &c, err);
}

static void
do_get_application (gpointer data)
{
  Call *c = data;
  RmApp *app = rm_core_get_app (c->rpc->core, c->id, &c->error);
  if (app == NULL)
    return;
  rm_convert_app_report (app, c->out);
  /* The submitter of an unmanaged AM (client deploy mode) runs the AM
   * itself and needs the attempt's token. */
  if (app->unmanaged && app->am_token && g_strcmp0 (app->user, c->user) == 0)
    {
      weftApplicationReport *r = c->out;
      weftToken *t = g_object_new (WEFT_TYPE_TOKEN, NULL);
      weft_rpc_token_fill (t, app->am_token);
      if (r->am_token)
        g_object_unref (r->am_token);
      r->am_token = t;
      r->__isset_am_token = TRUE;
    }
}

static gboolean
h_get_application (weftClientServiceIf *iface, weftApplicationReport **ret, const weftToken *auth,
                   const gchar *application_id, weftWeftException **err, GError **error)
{
  Call c = { .id = application_id, .out = *ret };
  return serve (iface, auth, do_get_application, &c, err);
}

static void
do_list_applications (gpointer data)
{
  Call *c = data;
  const weftApplicationFilter *f = c->in;
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (RmAppState));
  for (guint i = 0; f && f->states && i < f->states->len; i++)
    {
      RmAppState s = (RmAppState) g_array_index (f->states, gint32, i);
      g_array_append_val (states, s);
    }
  g_autoptr(GPtrArray) apps = rm_core_list_apps (c->rpc->core, (RmAppState *) states->data,
                                                 states->len, f ? f->queue : NULL,
                                                 f ? f->user : NULL);
  GPtrArray *out = c->out;
  for (guint i = 0; i < apps->len; i++)
    {
      weftApplicationReport *r = g_object_new (WEFT_TYPE_APPLICATION_REPORT, NULL);
      rm_convert_app_report (apps->pdata[i], r);
      g_ptr_array_add (out, r);
    }
}

static gboolean
h_list_applications (weftClientServiceIf *iface, GPtrArray **ret, const weftToken *auth,
                     const weftApplicationFilter *filter, weftWeftException **err, GError **error)
{
  Call c = { .in = filter, .out = *ret };
  return serve (iface, auth, do_list_applications, &c, err);
}

static void
do_kill (gpointer data)
{
  Call *c = data;
  RmApp *app = rm_core_get_app (c->rpc->core, c->id, &c->error);
  if (app == NULL)
    return;
  if (c->rpc->security && g_strcmp0 (app->user, c->user) != 0)
    {
      /* Queue admin ACLs come with the queue manager; until then only the
       * owner may kill. */
      g_set_error (&c->error, RM_ERROR, RM_ERROR_PERMISSION_DENIED,
                   "%s may not kill %s, which belongs to %s", c->user, app->id, app->user);
      return;
    }
  g_autofree char *why = g_strdup_printf ("by %s%s%s", c->user, c->text && *c->text ? ": " : "",
                                          c->text ? c->text : "");
  rm_core_kill_app (c->rpc->core, c->id, why, &c->error);
}

static gboolean
h_kill_application (weftClientServiceIf *iface, const weftToken *auth, const gchar *application_id,
                    const gchar *diagnostics, weftWeftException **err, GError **error)
{
  Call c = { .id = application_id, .text = diagnostics };
  return serve (iface, auth, do_kill, &c, err);
}

static int
by_container_id (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 ((*(RmContainer *const *) a)->id, (*(RmContainer *const *) b)->id);
}

static void
do_list_containers (gpointer data)
{
  Call *c = data;
  RmApp *app = rm_core_get_app (c->rpc->core, c->id, &c->error);
  if (app == NULL)
    return;
  g_autoptr(GPtrArray) cs = rm_core_values (app->containers);
  g_ptr_array_sort (cs, by_container_id);
  GPtrArray *out = c->out;
  for (guint i = 0; i < cs->len; i++)
    {
      const RmContainer *k = cs->pdata[i];
      weftContainerReport *r = g_object_new (WEFT_TYPE_CONTAINER_REPORT, "container_id", k->id,
                                             "node_id", k->node_id,
                                             "node_http_address", k->node_http_address,
                                             "state", (gint) k->state, "is_am", k->is_am, NULL);
      rm_convert_resource_to (k->resource, r->resource);
      if (k->state == RM_CONTAINER_COMPLETE)
        {
          g_object_unref (r->status);
          r->status = rm_convert_status_to (&k->status);
        }
      else
        g_object_set (r->status, "container_id", k->id, "state", (gint) k->state, NULL);
      g_ptr_array_add (out, r);
    }
}

static gboolean
h_list_containers (weftClientServiceIf *iface, GPtrArray **ret, const weftToken *auth,
                   const gchar *application_id, weftWeftException **err, GError **error)
{
  Call c = { .id = application_id, .out = *ret };
  return serve (iface, auth, do_list_containers, &c, err);
}

static void
do_list_nodes (gpointer data)
{
  Call *c = data;
  const GArray *st = c->in;
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (RmNodeState));
  for (guint i = 0; st && i < st->len; i++)
    {
      RmNodeState s = (RmNodeState) g_array_index (st, gint32, i);
      g_array_append_val (states, s);
    }
  g_autoptr(GPtrArray) nodes = rm_core_list_nodes (c->rpc->core, (RmNodeState *) states->data,
                                                   states->len);
  GPtrArray *out = c->out;
  for (guint i = 0; i < nodes->len; i++)
    {
      weftNodeReport *r = g_object_new (WEFT_TYPE_NODE_REPORT, NULL);
      rm_convert_node_report (nodes->pdata[i], r);
      g_ptr_array_add (out, r);
    }
}

static gboolean
h_list_nodes (weftClientServiceIf *iface, GPtrArray **ret, const weftToken *auth,
              const GArray *states, weftWeftException **err, GError **error)
{
  Call c = { .in = states, .out = *ret };
  return serve (iface, auth, do_list_nodes, &c, err);
}

static void
do_get_node (gpointer data)
{
  Call *c = data;
  RmNode *n = rm_core_get_node (c->rpc->core, c->id, &c->error);
  if (n)
    rm_convert_node_report (n, c->out);
}

static gboolean
h_get_node (weftClientServiceIf *iface, weftNodeReport **ret, const weftToken *auth,
            const gchar *node_id, weftWeftException **err, GError **error)
{
  Call c = { .id = node_id, .out = *ret };
  return serve (iface, auth, do_get_node, &c, err);
}

static void
do_list_queues (gpointer data)
{
  Call *c = data;
  g_autoptr(GPtrArray) queues = rm_core_list_queues (c->rpc->core);
  GPtrArray *out = c->out;
  for (guint i = 0; i < queues->len; i++)
    {
      const RmQueueReport *q = queues->pdata[i];
      weftQueueInfo *w = g_object_new (WEFT_TYPE_QUEUE_INFO, "path", q->desc->path,
                                       "capacity", q->desc->capacity,
                                       "max_capacity", q->desc->max_capacity,
                                       "absolute_capacity", q->desc->abs_capacity,
                                       "used_capacity", q->used_capacity,
                                       "state", q->desc->stopped ? WEFT_QUEUE_STATE_QUEUE_STOPPED
                                                                 : WEFT_QUEUE_STATE_QUEUE_RUNNING,
                                       "num_applications", q->num_applications,
                                       "num_pending_applications", q->num_pending,
                                       "user_limit_factor", q->desc->user_limit_factor,
                                       "max_am_share", q->desc->max_am_share, NULL);
      for (guint k = 0; q->desc->children[k]; k++)
        g_ptr_array_add (w->children, g_strdup (q->desc->children[k]));
      rm_convert_resource_to (q->used, w->used);
      g_ptr_array_add (out, w);
    }
}

static gboolean
h_list_queues (weftClientServiceIf *iface, GPtrArray **ret, const weftToken *auth,
               weftWeftException **err, GError **error)
{
  Call c = { .out = *ret };
  return serve (iface, auth, do_list_queues, &c, err);
}

static void
do_metrics (gpointer data)
{
  Call *c = data;
  RmMetrics m;
  rm_core_metrics (c->rpc->core, &m);
  weftClusterMetrics *o = c->out;
  o->nodes_total = m.nodes_total;
  o->nodes_active = m.nodes_active;
  o->nodes_lost = m.nodes_lost;
  o->nodes_unhealthy = m.nodes_unhealthy;
  o->nodes_decommissioned = m.nodes_decommissioned;
  o->apps_submitted = m.apps_submitted;
  o->apps_pending = m.apps_pending;
  o->apps_running = m.apps_running;
  o->apps_completed = m.apps_completed;
  o->apps_failed = m.apps_failed;
  o->apps_killed = m.apps_killed;
  rm_convert_resource_to (m.total, o->total);
  rm_convert_resource_to (m.used, o->used);
  rm_convert_resource_to (m.available, o->available);
  o->containers_allocated = m.containers_allocated;
  o->containers_pending = m.containers_pending;
}

static gboolean
h_get_cluster_metrics (weftClientServiceIf *iface, weftClusterMetrics **ret, const weftToken *auth,
                       weftWeftException **err, GError **error)
{
  Call c = { .out = *ret };
  return serve (iface, auth, do_metrics, &c, err);
}

/* Staging: the owner check runs on the main context (the core knows who
 * asked for the application); the file I/O runs here on the worker thread. */
static void
do_check_owner (gpointer data)
{
  Call *c = data;
  const char *owner = rm_core_app_owner (c->rpc->core, c->id);
  if (owner == NULL)
    g_set_error (&c->error, RM_ERROR, RM_ERROR_NOT_FOUND,
                 "application %s is not known to this RM (call new_application first)",
                 c->id ? c->id : "");
  else if (c->rpc->security && g_strcmp0 (owner, c->user) != 0)
    g_set_error (&c->error, RM_ERROR, RM_ERROR_PERMISSION_DENIED,
                 "%s may not stage files for %s, which belongs to %s", c->user, c->id, owner);
}

static gboolean
check_owner (RmRpc *rpc, const weftToken *auth, const char *app_id, GError **error)
{
  g_autofree char *user = rm_rpc_auth_client (rpc, auth, error);
  if (user == NULL)
    return FALSE;
  Call c = { rpc, user, .id = app_id };
  DISPATCH (do_check_owner, &c);
  if (c.error)
    {
      g_propagate_error (error, c.error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
h_stage_chunk (weftClientServiceIf *iface, const weftToken *auth, const weftStagedChunk *chunk,
               weftWeftException **err, GError **error)
{
  GError *e = NULL;
  if (!check_owner (RPC (iface), auth, chunk->application_id, &e)
      || !rm_staging_write (RPC (iface)->staging, chunk->application_id, chunk->name, chunk->offset,
                            chunk->data ? chunk->data->data : NULL, chunk->data ? chunk->data->len : 0,
                            &e))
    return rm_rpc_fail (err, e);
  return TRUE;
}

static gboolean
h_stage_commit (weftClientServiceIf *iface, weftLocalResource **ret, const weftToken *auth,
                const gchar *application_id, const gchar *name, const gint64 size,
                const gchar *sha256, const gboolean executable, weftWeftException **err,
                GError **error)
{
  GError *e = NULL;
  if (!check_owner (RPC (iface), auth, application_id, &e))
    return rm_rpc_fail (err, e);
  RmLocalResource *r = rm_staging_commit (RPC (iface)->staging, application_id, name, size, sha256,
                                          executable, &e);
  if (r == NULL)
    return rm_rpc_fail (err, e);
  g_object_set (*ret, "name", r->name, "source", r->source, "size", r->size, "sha256", r->sha256,
                "executable", r->executable, NULL);
  g_free (r->name);
  g_free (r->source);
  g_free (r->sha256);
  g_free (r);
  return TRUE;
}

/* Who may read a staged file: an NM localizing it for a container of that
 * application (the container token), or the application's owner. */
static gboolean
may_fetch (RmRpc *rpc, const weftToken *auth, const char *app_id, GError **error)
{
  if (!rpc->security)
    return TRUE;
  if (auth && g_strcmp0 (auth->kind, "container") == 0)
    {
      g_autoptr(WeftToken) t = weft_rpc_token_from_wire (auth);
      g_auto (GStrv) f = weft_token_check (rpc->secret, t, "container", 6,
                                           g_get_real_time () / 1000, error);
      if (f == NULL)
        return FALSE;
      if (g_strcmp0 (f[2], app_id) != 0)
        {
          g_set_error (error, RM_ERROR, RM_ERROR_PERMISSION_DENIED,
                       "a container of %s may not read files staged for %s", f[2], app_id);
          return FALSE;
        }
      return TRUE;
    }
  return check_owner (rpc, auth, app_id, error);
}

static gboolean
h_fetch_staged (weftClientServiceIf *iface, GByteArray **ret, const weftToken *auth,
                const gchar *application_id, const gchar *name, const gint64 offset,
                const gint32 length, weftWeftException **err, GError **error)
{
  GError *e = NULL;
  if (!may_fetch (RPC (iface), auth, application_id, &e))
    return rm_rpc_fail (err, e);
  /* A chunk stays well under rpc.max-message-size. */
  g_autoptr(GBytes) b = rm_staging_read (RPC (iface)->staging, application_id, name, offset,
                                         MIN (length, 4 << 20), &e);
  if (b == NULL)
    return rm_rpc_fail (err, e);
  gsize n;
  const guint8 *d = g_bytes_get_data (b, &n);
  *ret = g_byte_array_sized_new ((guint) n);
  g_byte_array_append (*ret, d, (guint) n);
  return TRUE;
}

static void
rm_client_handler_class_init (RmClientHandlerClass *klass)
{
  weftClientServiceHandlerClass *h = WEFT_CLIENT_SERVICE_HANDLER_CLASS (klass);
  h->new_application = h_new_application;
  h->submit_application = h_submit_application;
  h->get_application = h_get_application;
  h->list_applications = h_list_applications;
  h->kill_application = h_kill_application;
  h->list_containers = h_list_containers;
  h->list_nodes = h_list_nodes;
  h->get_node = h_get_node;
  h->list_queues = h_list_queues;
  h->get_cluster_metrics = h_get_cluster_metrics;
  h->stage_chunk = h_stage_chunk;
  h->stage_commit = h_stage_commit;
  h->fetch_staged = h_fetch_staged;
}

static void
rm_client_handler_init (RmClientHandler *self)
{
}

ThriftProcessor *
rm_rpc_client_processor_new (RmRpc *rpc)
{
  g_autoptr(RmClientHandler) h = g_object_new (RM_TYPE_CLIENT_HANDLER, NULL);
  h->rpc = rpc;
  return g_object_new (WEFT_TYPE_CLIENT_SERVICE_PROCESSOR, "handler", h, NULL);
}
