/* nm-rpc-tracker: registers this node with the RM and heartbeats from its
 * own thread (a slow or absent RM never blocks the NM's main loop). Each
 * heartbeat carries the containers' statuses (gathered on the main
 * context); the answer's stops are applied there. RESYNC (the RM does not
 * know this node: it restarted, or declared the node LOST) stops every
 * container and registers again. */
#include "nm-rpc.h"

#include "weft-dispatch.h"
#include "weft-rpc-client.h"
#include "weft-rpc-token.h"
#include "weft_resource_tracker.h"

struct _NmTracker {
  NmRpc *rpc;
  char *rm_host;
  guint16 rm_port;
  char *node_id, *http_address;
  gint64 vcores, memory_mb;
  WeftToken *node_token;
  gint64 interval_us;
  WeftRpcOptions opts;
  WeftWaiter *wake;
  gint stopping;
  GThread *thread;
};


typedef struct { NmTracker *t; weftRegistrationResponse *resp; } RegArgs;

static gboolean
call_register (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  RegArgs *a = data;
  NmTracker *t = a->t;
  weftToken *auth = g_object_new (WEFT_TYPE_TOKEN, NULL);
  weft_rpc_token_fill (auth, t->node_token);
  weftNodeRegistration *reg = g_object_new (WEFT_TYPE_NODE_REGISTRATION, "node_id", t->node_id,
                                            "http_address", t->http_address,
                                            "version", PACKAGE_VERSION, "rack", "/default-rack",
                                            NULL);
  reg->capability->vcores = (gint32) t->vcores;
  reg->capability->memory_mb = t->memory_mb;
  gboolean ok = weft_resource_tracker_if_register_node (WEFT_RESOURCE_TRACKER_IF (client),
                                                        &a->resp, auth, reg, ex, error);
  g_object_unref (reg);
  g_object_unref (auth);
  return ok;
}

typedef struct {
  NmTracker *t;
  GPtrArray *statuses;  /* NmStatus* */
  weftHeartbeatResponse *resp;
} BeatArgs;

static gboolean
call_heartbeat (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  BeatArgs *a = data;
  weftToken *auth = g_object_new (WEFT_TYPE_TOKEN, NULL);
  weft_rpc_token_fill (auth, a->t->node_token);
  weftNodeHeartbeat *hb = g_object_new (WEFT_TYPE_NODE_HEARTBEAT, "node_id", a->t->node_id, NULL);
  hb->health->healthy = TRUE;
  hb->health->report = g_strdup ("");
  for (guint i = 0; i < a->statuses->len; i++)
    {
      const NmStatus *s = a->statuses->pdata[i];
      g_ptr_array_add (hb->containers,
                       g_object_new (WEFT_TYPE_CONTAINER_STATUS, "container_id", s->container_id,
                                     "state", s->state, "reason", s->reason,
                                     "exit_code", s->exit_code, "diagnostics", s->diagnostics,
                                     "memory_limit_bytes", s->memory_limit_bytes,
                                     "memory_peak_bytes", s->memory_peak_bytes, NULL));
    }
  gboolean ok = weft_resource_tracker_if_node_heartbeat (WEFT_RESOURCE_TRACKER_IF (client),
                                                         &a->resp, auth, hb, ex, error);
  g_object_unref (hb);
  g_object_unref (auth);
  return ok;
}

static void
gather (gpointer data)
{
  BeatArgs *a = data;
  a->statuses = nm_node_heartbeat_statuses (a->t->rpc->node);
}

static void
apply (gpointer data)
{
  BeatArgs *a = data;
  NmNode *node = a->t->rpc->node;
  nm_node_heartbeat_acked (node, a->statuses);
  for (guint i = 0; a->resp->containers_to_stop && i < a->resp->containers_to_stop->len; i++)
    {
      const weftContainerStop *s = a->resp->containers_to_stop->pdata[i];
      nm_node_stop_container (node, s->container_id, s->reason, s->diagnostics, NULL);
    }
  if (a->resp->action != WEFT_NODE_ACTION_NODE_ACTION_NORMAL)
    nm_node_stop_all (node, NM_EXIT_KILLED_BY_RM,
                      a->resp->action == WEFT_NODE_ACTION_NODE_ACTION_SHUTDOWN
                      ? "Container killed: the node was decommissioned"
                      : "Container killed: the RM lost track of this node");
}

static gpointer
run (gpointer data)
{
  NmTracker *t = data;
  g_autoptr(WeftRpcClient) client = weft_rpc_client_new (t->rm_host, t->rm_port,
                                                         WEFT_TYPE_RESOURCE_TRACKER_CLIENT, &t->opts);
  gboolean registered = FALSE;
  gint64 last_complaint = 0;
  while (!g_atomic_int_get (&t->stopping))
    {
      g_autoptr(GError) error = NULL;
      if (!registered)
        {
          RegArgs a = { t, g_object_new (WEFT_TYPE_REGISTRATION_RESPONSE, NULL) };
          if (weft_rpc_client_call (client, "register_node", WEFT_RPC_IDEMPOTENT, call_register, &a,
                                    &error))
            {
              registered = TRUE;
              if (a.resp->heartbeat_interval_ms > 0)
                t->interval_us = a.resp->heartbeat_interval_ms * 1000;
              g_message ("registered with the RM at %s:%u as %s", t->rm_host, t->rm_port,
                         t->node_id);
            }
          g_object_unref (a.resp);
        }
      else
        {
          BeatArgs a = { t, NULL, g_object_new (WEFT_TYPE_HEARTBEAT_RESPONSE, NULL) };
          weft_dispatch_call (t->rpc->context, gather, &a);
          if (weft_rpc_client_call (client, "node_heartbeat", WEFT_RPC_IDEMPOTENT, call_heartbeat,
                                    &a, &error))
            {
              weft_dispatch_call (t->rpc->context, apply, &a);
              if (a.resp->action == WEFT_NODE_ACTION_NODE_ACTION_RESYNC)
                {
                  g_message ("the RM asked this node to register again");
                  registered = FALSE;
                }
              else if (a.resp->action == WEFT_NODE_ACTION_NODE_ACTION_SHUTDOWN)
                g_message ("the RM decommissioned this node: its containers are stopped");
            }
          g_ptr_array_unref (a.statuses);
          g_object_unref (a.resp);
        }
      if (error != NULL && g_get_monotonic_time () - last_complaint > 10 * G_USEC_PER_SEC)
        {
          last_complaint = g_get_monotonic_time ();
          g_warning ("cannot reach the RM: %s (retrying every %" G_GINT64_FORMAT " ms)",
                     error->message, t->interval_us / 1000);
        }
      weft_waiter_wait_until (t->wake, g_get_monotonic_time () + t->interval_us);
    }
  return NULL;
}

static void
nudge (gpointer data)
{
  weft_waiter_wake (((NmTracker *) data)->wake);
}

NmTracker *
nm_tracker_start (NmRpc *rpc, const NmTrackerConfig *cfg, const WeftRpcOptions *opts)
{
  NmTracker *t = g_new0 (NmTracker, 1);
  t->rpc = rpc;
  t->rm_host = g_strdup (cfg->rm_host);
  t->rm_port = cfg->rm_port;
  t->node_id = g_strdup (cfg->node_id);
  t->http_address = g_strdup (cfg->http_address);
  t->vcores = cfg->vcores;
  t->memory_mb = cfg->memory_mb;
  t->interval_us = cfg->interval_us;
  t->opts = *opts;
  /* A heartbeat must not wait out long retries: the next one comes soon. */
  t->opts.retries = MIN (t->opts.retries, 1);
  if (cfg->secret)
    {
      g_autoptr(GBytes) ident = weft_token_identifier_new ("1", cfg->node_id, NULL);
      t->node_token = weft_token_sign (cfg->secret, "node", ident, 0);
    }
  t->wake = weft_waiter_new ();
  nm_node_set_on_change (rpc->node, nudge, t);
  t->thread = g_thread_new ("weft-nm-heartbeat", run, t);
  return t;
}

void
nm_tracker_stop (NmTracker *t)
{
  if (t == NULL)
    return;
  g_atomic_int_set (&t->stopping, 1);
  weft_waiter_wake (t->wake);
  g_thread_join (t->thread);
  weft_waiter_unref (t->wake);
  weft_token_free (t->node_token);
  g_free (t->rm_host);
  g_free (t->node_id);
  g_free (t->http_address);
  g_free (t);
}
