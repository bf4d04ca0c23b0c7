/* rm-rpc-am: the ApplicationMasterService handler (scheduler port):
 * register, allocate, finish. allocate is a long poll: when nothing is new
 * it waits (up to the AM's max_wait_ms, capped) until the core wakes it
 * with a grant, so a container reaches the AM the moment it is made. */
#include "rm-rpc.h"

#include "weft-dispatch.h"
#include "weft-rpc.h"
#include "weft_application_master_service.h"

/* A long poll never outlasts this, well inside rpc.call-timeout. */
#define MAX_WAIT_MS 5000

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftApplicationMasterServiceHandler, g_object_unref)
#define RM_TYPE_AM_HANDLER (rm_am_handler_get_type ())
G_DECLARE_FINAL_TYPE (RmAmHandler, rm_am_handler, RM, AM_HANDLER, weftApplicationMasterServiceHandler)
struct _RmAmHandler { weftApplicationMasterServiceHandler parent; RmRpc *rpc; };
G_DEFINE_TYPE (RmAmHandler, rm_am_handler, WEFT_TYPE_APPLICATION_MASTER_SERVICE_HANDLER)

typedef struct {
  RmRpc *rpc;
  const char *attempt_id;
  gconstpointer in;
  gpointer out;
  WeftWaiter *waiter;   /* set when the call must wait for news */
  gboolean second;      /* after waiting: collect only */
  GError *error;
} Call;

static void
do_register (gpointer data)
{
  Call *c = data;
  const weftRegisterAmRequest *r = c->in;
  RmApp *app = rm_core_app_for_attempt (c->rpc->core, c->attempt_id, &c->error);
  if (app == NULL || !rm_core_register_am (c->rpc->core, app, r->host, r->rpc_port,
                                           r->tracking_url, &c->error))
    return;
  weftRegisterAmResponse *out = c->out;
  g_free (out->application_id);
  out->application_id = g_strdup (app->id);
  g_free (out->attempt_id);
  out->attempt_id = g_strdup (app->attempt_id);
  g_free (out->queue);
  out->queue = g_strdup (app->queue);
  RmResource max;
  rm_core_max_resource (c->rpc->core, &max);
  rm_convert_resource_to (max, out->max_capability);
}

static gboolean
h_register_am (weftApplicationMasterServiceIf *iface, weftRegisterAmResponse **ret,
               const weftToken *auth, const weftRegisterAmRequest *request,
               weftWeftException **err, GError **error)
{
  RmRpc *rpc = RM_AM_HANDLER (iface)->rpc;
  GError *e = NULL;
  g_autofree char *attempt = rm_rpc_auth_am (rpc, auth, &e);
  if (attempt == NULL)
    return rm_rpc_fail (err, e);
  Call c = { rpc, attempt, request, *ret };
  weft_dispatch_call (rpc->context, do_register, &c);
  return c.error ? rm_rpc_fail (err, c.error) : TRUE;
}

static void
do_allocate (gpointer data)
{
  Call *c = data;
  const weftAllocateRequest *r = c->in;
  RmApp *app = rm_core_app_for_attempt (c->rpc->core, c->attempt_id, &c->error);
  if (c->waiter)
    {
      /* Done waiting, whatever woke us. */
      if (app)
        g_ptr_array_remove (app->waiters, c->waiter);
      weft_waiter_unref (c->waiter);
      c->waiter = NULL;
    }
  if (app == NULL)
    return;

  g_autoptr(GPtrArray) asks = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) releases = NULL;
  if (!c->second)
    {
      for (guint i = 0; r->asks && i < r->asks->len; i++)
        {
          const weftResourceRequest *q = r->asks->pdata[i];
          RmAsk *a = g_new0 (RmAsk, 1);
          *a = (RmAsk) { .priority = q->priority, .resource_name = q->resource_name,
                         .relax_locality = q->relax_locality,
                         .capability = rm_convert_resource_from (q->capability),
                         .count = q->num_containers > 0 ? (guint) q->num_containers : 0 };
          g_ptr_array_add (asks, a);
        }
      releases = g_new0 (char *, (r->releases ? r->releases->len : 0) + 1);
      for (guint i = 0; r->releases && i < r->releases->len; i++)
        releases[i] = g_strdup (r->releases->pdata[i]);
    }
  g_autoptr(GPtrArray) allocated = NULL, completed = NULL, updates = NULL;
  /* The detail is taken once, with the request (after a wait it is the same). */
  const char *detail = !c->second && r->__isset_progress_detail ? r->progress_detail : NULL;
  if (!rm_core_allocate (c->rpc->core, app, asks, releases, r->progress, detail, &allocated,
                         &completed, &updates, &c->error))
    return;
  weftAllocateResponse *out = c->out;
  for (guint i = 0; i < allocated->len; i++)
    g_ptr_array_add (out->allocated, rm_convert_container_to (allocated->pdata[i]));
  for (guint i = 0; i < completed->len; i++)
    g_ptr_array_add (out->completed, rm_convert_status_to (completed->pdata[i]));
  for (guint i = 0; i < updates->len; i++)
    {
      RmNode *n = rm_core_get_node (c->rpc->core, updates->pdata[i], NULL);
      g_ptr_array_add (out->updated_nodes,
                       g_object_new (WEFT_TYPE_NODE_UPDATE, "node_id", updates->pdata[i],
                                     "state", (gint) (n ? n->state : RM_NODE_LOST), NULL));
    }
  out->response_id = r->response_id + 1;
  RmMetrics m;
  rm_core_metrics (c->rpc->core, &m);
  rm_convert_resource_to (m.available, out->headroom);
  out->num_cluster_nodes = m.nodes_active;

  gboolean nothing = allocated->len == 0 && completed->len == 0 && updates->len == 0;
  if (!c->second && nothing && r->max_wait_ms > 0)
    {
      c->waiter = weft_waiter_new ();
      g_ptr_array_add (app->waiters, weft_waiter_ref (c->waiter));
    }
}

static gboolean
h_allocate (weftApplicationMasterServiceIf *iface, weftAllocateResponse **ret,
            const weftToken *auth, const weftAllocateRequest *request, weftWeftException **err,
            GError **error)
{
  RmRpc *rpc = RM_AM_HANDLER (iface)->rpc;
  GError *e = NULL;
  g_autofree char *attempt = rm_rpc_auth_am (rpc, auth, &e);
  if (attempt == NULL)
    return rm_rpc_fail (err, e);
  Call c = { rpc, attempt, request, *ret };
  weft_dispatch_call (rpc->context, do_allocate, &c);
  if (c.error)
    return rm_rpc_fail (err, c.error);
  if (c.waiter)
    {
      /* Woken by a grant or not, collect whatever there is now. */
      gint64 wait_ms = MIN (request->max_wait_ms, MAX_WAIT_MS);
      weft_waiter_wait_until (c.waiter, g_get_monotonic_time () + wait_ms * 1000);
      c.second = TRUE;
      weft_dispatch_call (rpc->context, do_allocate, &c);
      if (c.error)
        return rm_rpc_fail (err, c.error);
    }
  return TRUE;
}

static void
do_finish (gpointer data)
{
  Call *c = data;
  const weftFinishAmRequest *r = c->in;
  RmApp *app = rm_core_app_for_attempt (c->rpc->core, c->attempt_id, &c->error);
  if (app)
    rm_core_finish_am (c->rpc->core, app, (RmFinalStatus) r->final_status, r->diagnostics,
                       r->tracking_url, &c->error);
}

static gboolean
h_finish_am (weftApplicationMasterServiceIf *iface, const weftToken *auth,
             const weftFinishAmRequest *request, weftWeftException **err, GError **error)
{
  RmRpc *rpc = RM_AM_HANDLER (iface)->rpc;
  GError *e = NULL;
  g_autofree char *attempt = rm_rpc_auth_am (rpc, auth, &e);
  if (attempt == NULL)
    return rm_rpc_fail (err, e);
  Call c = { rpc, attempt, request, NULL };
  weft_dispatch_call (rpc->context, do_finish, &c);
  return c.error ? rm_rpc_fail (err, c.error) : TRUE;
}

static void
rm_am_handler_class_init (RmAmHandlerClass *klass)
{
  weftApplicationMasterServiceHandlerClass *h = WEFT_APPLICATION_MASTER_SERVICE_HANDLER_CLASS (klass);
  h->register_am = h_register_am;
  h->allocate = h_allocate;
  h->finish_am = h_finish_am;
}

static void
rm_am_handler_init (RmAmHandler *self)
{
}

ThriftProcessor *
rm_rpc_am_processor_new (RmRpc *rpc)
{
  g_autoptr(RmAmHandler) h = g_object_new (RM_TYPE_AM_HANDLER, NULL);
  h->rpc = rpc;
  return g_object_new (WEFT_TYPE_APPLICATION_MASTER_SERVICE_PROCESSOR, "handler", h, NULL);
}
