/* weft-cluster-rpc: the driver's side of thrift/executor.thrift. See weft-cluster-rpc.h. */
#include "weft-cluster-rpc.h"

#include "weft-app-auth.h"
#include "weft-rpc-client.h"
#include "weft-rpc-server.h"
#include "weft-rpc-token.h"
#include "weft_driver_endpoint.h"
#include "weft_executor_endpoint.h"

struct _WeftClusterServer {
  WeftRpcServer *rpc;
  char *app_id;
  const WeftSecret *secret;
  const WeftClusterHandlers *handlers;
  gpointer data;
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftDriverEndpointHandler, g_object_unref)
#define DRIVER_TYPE_HANDLER (driver_handler_get_type ())
G_DECLARE_FINAL_TYPE (DriverHandler, driver_handler, DRIVER, HANDLER, weftDriverEndpointHandler)
struct _DriverHandler { weftDriverEndpointHandler parent; WeftClusterServer *server; };
G_DEFINE_TYPE (DriverHandler, driver_handler, WEFT_TYPE_DRIVER_ENDPOINT_HANDLER)

/* Every call proves it holds the application's secret before anything else happens. */
static gboolean
authorized (weftDriverEndpointIf *iface, const weftToken *auth, weftWeftException **err)
{
  WeftClusterServer *s = ((DriverHandler *) iface)->server;
  g_autoptr(WeftToken) t = weft_rpc_token_from_wire (auth);
  g_autoptr(GError) error = NULL;
  if (t == NULL)
    return weft_rpc_exception_set (err, WEFT_ERROR_CODE_UNAUTHENTICATED,
                                   "no application token: executors sign their calls with the "
                                   "application's secret");
  if (!weft_app_auth_check (s->secret, t, s->app_id, NULL, &error))
    return weft_rpc_exception_set (err, WEFT_ERROR_CODE_PERMISSION_DENIED, "%s", error->message);
  return TRUE;
}

static gboolean
h_register (weftDriverEndpointIf *iface, weftExecutorWelcome **ret, const weftToken *auth,
            const weftExecutorHello *hello, weftWeftException **err, GError **error)
{
  WeftClusterServer *s = ((DriverHandler *) iface)->server;
  if (!authorized (iface, auth, err))
    return FALSE;
  if (hello == NULL || hello->executor_id == NULL || hello->host == NULL || hello->port <= 0
      || hello->port > 65535 || hello->cores <= 0)
    return weft_rpc_exception_set (err, WEFT_ERROR_CODE_INVALID_ARGUMENT,
                                   "register_executor needs an executor id, a host, a port "
                                   "(1-65535) and at least one core");
  WeftClusterHello h = {
    hello->executor_id, hello->host, (guint) hello->port, (guint) hello->cores,
    hello->memory_bytes, hello->container_id, hello->node_id,
  };
  gint64 beat = 0;
  g_autoptr(GError) local = NULL;
  if (!s->handlers->registered (s->data, &h, &beat, (*ret)->conf, &local))
    return weft_rpc_exception_set (err, WEFT_ERROR_CODE_FAILED_PRECONDITION, "%s", local->message);
  g_free ((*ret)->application_id);
  (*ret)->application_id = g_strdup (s->app_id);
  (*ret)->heartbeat_interval_ms = beat;
  return TRUE;
}

static gboolean
h_outcomes (weftDriverEndpointIf *iface, const weftToken *auth, const gchar *executor_id,
            const GPtrArray *outcomes, weftWeftException **err, GError **error)
{
  WeftClusterServer *s = ((DriverHandler *) iface)->server;
  if (!authorized (iface, auth, err))
    return FALSE;
  g_autoptr(GPtrArray) bytes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; outcomes && i < outcomes->len; i++)
    {
      const GByteArray *b = outcomes->pdata[i];
      g_ptr_array_add (bytes, g_bytes_new (b ? b->data : NULL, b ? b->len : 0));
    }
  s->handlers->outcomes (s->data, executor_id ? executor_id : "", bytes);
  return TRUE;
}

static gboolean
h_heartbeat (weftDriverEndpointIf *iface, weftExecutorBeatReply **ret, const weftToken *auth,
             const weftExecutorBeat *beat, weftWeftException **err, GError **error)
{
  WeftClusterServer *s = ((DriverHandler *) iface)->server;
  if (!authorized (iface, auth, err))
    return FALSE;
  if (beat == NULL || beat->executor_id == NULL)
    return weft_rpc_exception_set (err, WEFT_ERROR_CODE_INVALID_ARGUMENT,
                                   "executor_heartbeat needs an executor id");
  GArray *running = beat->running_tasks;
  /* Converted to plain values; a negative counter (not one an executor sends) reads as 0. */
  g_autoptr(GArray) metrics = g_array_new (FALSE, TRUE, sizeof (WeftClusterTaskMetrics));
  for (guint i = 0; beat->__isset_metrics && beat->metrics && i < beat->metrics->len; i++)
    {
      const weftRunningTaskMetrics *r = beat->metrics->pdata[i];
      if (r == NULL)
        continue;
      WeftClusterTaskMetrics m = {
        .task_id = (guint64) r->task_id,
        .metrics = {
          .run_ms = (guint64) MAX (r->run_ms, 0),
          .records_read = (guint64) MAX (r->records_read, 0),
          .records_written = (guint64) MAX (r->records_written, 0),
          .shuffle_bytes_read = (guint64) MAX (r->shuffle_bytes_read, 0),
          .shuffle_bytes_written = (guint64) MAX (r->shuffle_bytes_written, 0),
        },
      };
      g_array_append_val (metrics, m);
    }
  gboolean reregister = FALSE;
  gboolean stop = s->handlers->heartbeat (s->data, beat->executor_id,
                                          running ? (const gint64 *) running->data : NULL,
                                          running ? running->len : 0,
                                          (const WeftClusterTaskMetrics *) (gpointer) metrics->data,
                                          metrics->len, &reregister);
  (*ret)->stop = stop;
  (*ret)->reregister = reregister;
  return TRUE;
}

static void
driver_handler_class_init (DriverHandlerClass *klass)
{
  weftDriverEndpointHandlerClass *h = WEFT_DRIVER_ENDPOINT_HANDLER_CLASS (klass);
  h->register_executor = h_register;
  h->task_outcomes = h_outcomes;
  h->executor_heartbeat = h_heartbeat;
}

static void
driver_handler_init (DriverHandler *self)
{
}

WeftClusterServer *
weft_cluster_server_start (const char *host, const char *app_id, const WeftSecret *secret,
                           const WeftClusterHandlers *handlers, gpointer data,
                           const WeftRpcOptions *opts, GError **error)
{
  WeftClusterServer *s = g_new0 (WeftClusterServer, 1);
  s->app_id = g_strdup (app_id);
  s->secret = secret;
  s->handlers = handlers;
  s->data = data;
  g_autoptr(DriverHandler) h = g_object_new (DRIVER_TYPE_HANDLER, NULL);
  h->server = s;
  ThriftProcessor *proc = g_object_new (WEFT_TYPE_DRIVER_ENDPOINT_PROCESSOR, "handler", h, NULL);
  s->rpc = weft_rpc_server_new ("driver", proc, opts);
  g_object_unref (proc);
  if (!weft_rpc_server_start (s->rpc, host, 0, error))
    {
      weft_cluster_server_free (s);
      return NULL;
    }
  return s;
}

guint16
weft_cluster_server_get_port (WeftClusterServer *s)
{
  return weft_rpc_server_get_port (s->rpc);
}

void
weft_cluster_server_free (WeftClusterServer *s)
{
  if (s == NULL)
    return;
  weft_rpc_server_free (s->rpc);
  g_free (s->app_id);
  g_free (s);
}

/* ---- calls to an executor ---- */

struct _WeftClusterExecutor {
  WeftRpcClient *rpc;
  weftToken *auth;
};

WeftClusterExecutor *
weft_cluster_executor_new (const char *host, guint16 port, const WeftToken *token,
                           const WeftRpcOptions *opts)
{
  WeftClusterExecutor *e = g_new0 (WeftClusterExecutor, 1);
  e->rpc = weft_rpc_client_new (host, port, WEFT_TYPE_EXECUTOR_ENDPOINT_CLIENT, opts);
  e->auth = weft_rpc_token_to_wire (token);
  return e;
}

void
weft_cluster_executor_free (WeftClusterExecutor *e)
{
  if (e == NULL)
    return;
  weft_rpc_client_free (e->rpc);
  g_object_unref (e->auth);
  g_free (e);
}

typedef struct {
  weftToken *auth;
  GPtrArray *tasks;
  const char *reason;
} Args;

static gboolean
c_launch (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_executor_endpoint_if_launch_tasks (client, a->auth, a->tasks, ex, error);
}

gboolean
weft_cluster_executor_launch (WeftClusterExecutor *e, GPtrArray *tasks, GError **error)
{
  g_autoptr(GPtrArray) wire = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  for (guint i = 0; i < tasks->len; i++)
    {
      gsize n = 0;
      const guint8 *d = g_bytes_get_data (tasks->pdata[i], &n);
      GByteArray *b = g_byte_array_sized_new ((guint) n);
      g_byte_array_append (b, d, (guint) n);
      g_ptr_array_add (wire, b);
    }
  Args a = { e->auth, wire, NULL };
  /* Not resent: a task launched twice would run twice. A lost launch is a lost executor. */
  return weft_rpc_client_call (e->rpc, "launch_tasks", WEFT_RPC_ONCE, c_launch, &a, error);
}

static gboolean
c_stop (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Args *a = data;
  return weft_executor_endpoint_if_stop_executor (client, a->auth, a->reason, ex, error);
}

gboolean
weft_cluster_executor_stop (WeftClusterExecutor *e, const char *reason, GError **error)
{
  Args a = { e->auth, NULL, reason };
  return weft_rpc_client_call (e->rpc, "stop_executor", WEFT_RPC_IDEMPOTENT, c_stop, &a, error);
}
