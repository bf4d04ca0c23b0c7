/* rm-rpc-tracker: the ResourceTracker handler (tracker port): node managers
 * register and heartbeat; the answer carries the containers to stop. */
#include "rm-rpc.h"

#include "weft-dispatch.h"
#include "weft-rpc.h"
#include "weft_resource_tracker.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftResourceTrackerHandler, g_object_unref)
#define RM_TYPE_TRACKER_HANDLER (rm_tracker_handler_get_type ())
G_DECLARE_FINAL_TYPE (RmTrackerHandler, rm_tracker_handler, RM, TRACKER_HANDLER,
                      weftResourceTrackerHandler)
struct _RmTrackerHandler { weftResourceTrackerHandler parent; RmRpc *rpc; gint64 interval_ms; };
G_DEFINE_TYPE (RmTrackerHandler, rm_tracker_handler, WEFT_TYPE_RESOURCE_TRACKER_HANDLER)

typedef struct {
  RmTrackerHandler *h;
  gconstpointer in;
  gpointer out;
  GError *error;
} Call;

static void
do_register (gpointer data)
{
  Call *c = data;
  const weftNodeRegistration *r = c->in;
  RmNodeRegistration reg = { .node_id = r->node_id, .http_address = r->http_address,
                             .rack = r->rack, .version = r->version,
                             .capability = rm_convert_resource_from (r->capability) };
  weftRegistrationResponse *out = c->out;
  if (!rm_core_register_node (c->h->rpc->core, &reg, &c->error))
    return;
  out->action = WEFT_NODE_ACTION_NODE_ACTION_NORMAL;
  out->rm_identifier = rm_core_cluster_ts (c->h->rpc->core);
  out->heartbeat_interval_ms = c->h->interval_ms;
}

static gboolean
h_register_node (weftResourceTrackerIf *iface, weftRegistrationResponse **ret,
                 const weftToken *auth, const weftNodeRegistration *registration,
                 weftWeftException **err, GError **error)
{
  RmTrackerHandler *h = RM_TRACKER_HANDLER (iface);
  GError *e = NULL;
  if (!rm_rpc_auth_node (h->rpc, auth, registration->node_id, &e))
    return rm_rpc_fail (err, e);
  Call c = { h, registration, *ret };
  weft_dispatch_call (h->rpc->context, do_register, &c);
  return c.error ? rm_rpc_fail (err, c.error) : TRUE;
}

static void
do_heartbeat (gpointer data)
{
  Call *c = data;
  const weftNodeHeartbeat *hb = c->in;
  g_autoptr(GPtrArray) statuses = g_ptr_array_new_with_free_func ((GDestroyNotify) rm_container_status_free);
  for (guint i = 0; hb->containers && i < hb->containers->len; i++)
    g_ptr_array_add (statuses, rm_convert_status_from (hb->containers->pdata[i]));
  g_autoptr(GPtrArray) to_stop = NULL;
  RmNodeAction action;
  rm_core_node_heartbeat (c->h->rpc->core, hb->node_id, statuses,
                          hb->health ? hb->health->healthy : TRUE,
                          hb->health ? hb->health->report : "", &to_stop, &action);
  weftHeartbeatResponse *out = c->out;
  out->response_id = hb->response_id + 1;
  out->action = (weftNodeAction) action;
  out->heartbeat_interval_ms = c->h->interval_ms;
  for (guint i = 0; i < to_stop->len; i++)
    {
      const RmContainerStatus *s = to_stop->pdata[i];
      g_ptr_array_add (out->containers_to_stop,
                       g_object_new (WEFT_TYPE_CONTAINER_STOP, "container_id", s->container_id,
                                     "reason", (gint) s->reason, "diagnostics", s->diagnostics,
                                     NULL));
    }
}

static gboolean
h_node_heartbeat (weftResourceTrackerIf *iface, weftHeartbeatResponse **ret,
                  const weftToken *auth, const weftNodeHeartbeat *heartbeat,
                  weftWeftException **err, GError **error)
{
  RmTrackerHandler *h = RM_TRACKER_HANDLER (iface);
  GError *e = NULL;
  if (!rm_rpc_auth_node (h->rpc, auth, heartbeat->node_id, &e))
    return rm_rpc_fail (err, e);
  Call c = { h, heartbeat, *ret };
  weft_dispatch_call (h->rpc->context, do_heartbeat, &c);
  return TRUE;
}

static gboolean
h_unregister_node (weftResourceTrackerIf *iface, const weftToken *auth, const gchar *node_id,
                   weftWeftException **err, GError **error)
{
  return weft_rpc_exception_set (err, WEFT_ERROR_CODE_UNAVAILABLE,
                                 "unregister is not implemented: stop the NM and it is LOST after rm.nm-expiry");
}

static void
rm_tracker_handler_class_init (RmTrackerHandlerClass *klass)
{
  weftResourceTrackerHandlerClass *h = WEFT_RESOURCE_TRACKER_HANDLER_CLASS (klass);
  h->register_node = h_register_node;
  h->node_heartbeat = h_node_heartbeat;
  h->unregister_node = h_unregister_node;
}

static void
rm_tracker_handler_init (RmTrackerHandler *self)
{
}

ThriftProcessor *
rm_rpc_tracker_processor_new (RmRpc *rpc, gint64 heartbeat_interval_ms)
{
  g_autoptr(RmTrackerHandler) h = g_object_new (RM_TYPE_TRACKER_HANDLER, NULL);
  h->rpc = rpc;
  h->interval_ms = heartbeat_interval_ms;
  return g_object_new (WEFT_TYPE_RESOURCE_TRACKER_PROCESSOR, "handler", h, NULL);
}
