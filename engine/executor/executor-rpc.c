/* executor-rpc: weft-executor's wire edge. See executor-rpc.h. */
#include "executor-rpc.h"

#include "weft-app-auth.h"
#include "weft-engine-error.h"
#include "weft-rpc-client.h"
#include "weft-rpc-server.h"
#include "weft-rpc-token.h"
#include "weft-task-rpc.h"
#include "weft_driver_endpoint.h"
#include "weft_executor_endpoint.h"

G_DEFINE_QUARK (weft-executor-error-quark, executor_error)

/* A fetch asks for a bounded number of segments: the reply's size is bounded by max_reply, this
 * bounds the work of a request of many empty ones. */
#define MAX_SEGMENTS_PER_CALL 65536

/* Generated classes have no autoptr cleanup. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftExecutorEndpointHandler, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftToken, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftExecutorHello, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftExecutorWelcome, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftExecutorBeat, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftExecutorBeatReply, g_object_unref)

/* ---- the ExecutorEndpoint handler ---- */

#define EXECUTOR_TYPE_HANDLER (executor_handler_get_type ())
G_DECLARE_FINAL_TYPE (ExecutorHandler, executor_handler, EXECUTOR, HANDLER,
                      weftExecutorEndpointHandler)

struct _ExecutorHandler {
  weftExecutorEndpointHandler parent;
  ExecutorRpcConfig config;
  char *app_id;
};

G_DEFINE_TYPE (ExecutorHandler, executor_handler, WEFT_TYPE_EXECUTOR_ENDPOINT_HANDLER)

static weftErrorCode
code_for (const GError *e)
{
  if (e->domain == WEFT_TOKEN_ERROR)
    return WEFT_ERROR_CODE_PERMISSION_DENIED;
  if (e->domain == WEFT_ENGINE_ERROR)
    return e->code == WEFT_ENGINE_ERROR_BAD_OPTION ? WEFT_ERROR_CODE_INVALID_ARGUMENT
           : e->code == WEFT_ENGINE_ERROR_IO       ? WEFT_ERROR_CODE_NOT_FOUND
                                                   : WEFT_ERROR_CODE_INTERNAL;
  if (e->domain != EXECUTOR_ERROR)
    return WEFT_ERROR_CODE_INTERNAL;
  switch ((ExecutorError) e->code)
    {
    case EXECUTOR_ERROR_INVALID:
    case EXECUTOR_ERROR_CONF:
      return WEFT_ERROR_CODE_INVALID_ARGUMENT;
    case EXECUTOR_ERROR_NOT_FOUND:
      return WEFT_ERROR_CODE_NOT_FOUND;
    case EXECUTOR_ERROR_EXISTS:
      return WEFT_ERROR_CODE_ALREADY_EXISTS;
    case EXECUTOR_ERROR_NOT_READY:
      return WEFT_ERROR_CODE_FAILED_PRECONDITION;
    case EXECUTOR_ERROR_TOO_LARGE:
      return WEFT_ERROR_CODE_RESOURCE_EXHAUSTED;
    case EXECUTOR_ERROR_IO:
      return WEFT_ERROR_CODE_INTERNAL;
    }
  return WEFT_ERROR_CODE_INTERNAL;
}

static const char *
peer (void)
{
  const char *p = weft_rpc_server_current_peer ();
  return p ? p : "?";
}

/* The first thing every call does. */
static gboolean
authorize (ExecutorHandler *h, const weftToken *auth, const char *method, char **caller,
           weftWeftException **err)
{
  g_autoptr(WeftToken) tok = weft_rpc_token_from_wire (auth);
  g_autoptr(GError) e = NULL;
  if (weft_app_auth_check (h->config.secret, tok, h->app_id, caller, &e))
    return TRUE;
  g_message ("%s from %s refused: %s", method, peer (), e->message);
  return weft_rpc_exception_set (err, WEFT_ERROR_CODE_PERMISSION_DENIED, "%s refused: %s", method,
                                 e->message);
}

static gboolean
h_launch_tasks (weftExecutorEndpointIf *iface, const weftToken *auth, const GPtrArray *tasks,
                weftWeftException **err, GError **error)
{
  ExecutorHandler *h = EXECUTOR_HANDLER (iface);
  if (!authorize (h, auth, "launch_tasks", NULL, err))
    return FALSE;
  guint n = tasks ? tasks->len : 0;
  g_autoptr(GPtrArray) decoded = g_ptr_array_new_full (n, (GDestroyNotify) weft_task_unref);
  /* All or nothing: the driver learns that none of the batch runs, never that part of it does. */
  for (guint i = 0; i < n; i++)
    {
      const GByteArray *b = tasks->pdata[i];
      g_autoptr(GBytes) bytes = g_bytes_new (b ? b->data : NULL, b ? b->len : 0);
      g_autoptr(GError) e = NULL;
      WeftTask *t = weft_task_decode (bytes, &e);
      if (t == NULL)
        {
          g_message ("launch_tasks from %s refused: task %u of %u: %s", peer (), i + 1, n,
                     e->message);
          return weft_rpc_exception_set (err, WEFT_ERROR_CODE_INVALID_ARGUMENT,
                                         "task %u of %u cannot be decoded: %s", i + 1, n,
                                         e->message);
        }
      g_ptr_array_add (decoded, t);
    }
  g_autoptr(GError) e = NULL;
  if (!h->config.ops->launch (h->config.data, decoded, &e))
    {
      g_message ("launch_tasks from %s refused: %s", peer (), e->message);
      return weft_rpc_exception_set (err, code_for (e), "%s", e->message);
    }
  return TRUE;
}

static gboolean
h_fetch_segments (weftExecutorEndpointIf *iface, GPtrArray **ret, const weftToken *auth,
                  const GPtrArray *requests, weftWeftException **err, GError **error)
{
  ExecutorHandler *h = EXECUTOR_HANDLER (iface);
  if (!authorize (h, auth, "fetch_segments", NULL, err))
    return FALSE;
  guint n = requests ? requests->len : 0;
  if (n > MAX_SEGMENTS_PER_CALL)
    return weft_rpc_exception_set (err, WEFT_ERROR_CODE_INVALID_ARGUMENT,
                                   "fetch_segments asks for %u segments (at most %u a call)", n,
                                   MAX_SEGMENTS_PER_CALL);
  gsize total = 0;
  for (guint i = 0; i < n; i++)
    {
      const weftSegmentRequest *r = requests->pdata[i];
      if (r == NULL || r->shuffle_id < 0 || r->map_id < 0 || r->reduce_id < 0)
        return weft_rpc_exception_set (err, WEFT_ERROR_CODE_INVALID_ARGUMENT,
                                       "segment request %u of %u has a negative id", i + 1, n);
      g_autoptr(GError) e = NULL;
      g_autoptr(GBytes) seg = h->config.ops->read_segment (h->config.data, (guint) r->shuffle_id,
                                                           (guint) r->map_id, (guint) r->reduce_id,
                                                           &e);
      if (seg == NULL)
        return weft_rpc_exception_set (err, code_for (e), "%s", e->message);
      gsize len = 0;
      const guint8 *d = g_bytes_get_data (seg, &len);
      total += len;
      /* Refused here, with a reason, rather than by the transport as a dropped connection. */
      if (total > h->config.max_reply)
        return weft_rpc_exception_set (err, WEFT_ERROR_CODE_RESOURCE_EXHAUSTED,
                                       "fetch_segments: the %u segments asked for pass %" G_GSIZE_FORMAT
                                       " bytes (the answer's limit): ask for fewer at a time",
                                       n, h->config.max_reply);
      GByteArray *a = g_byte_array_sized_new ((guint) len);
      if (len)
        g_byte_array_append (a, d, (guint) len);
      g_ptr_array_add (*ret, a);
    }
  return TRUE;
}

static gboolean
h_stop_executor (weftExecutorEndpointIf *iface, const weftToken *auth, const gchar *reason,
                 weftWeftException **err, GError **error)
{
  ExecutorHandler *h = EXECUTOR_HANDLER (iface);
  g_autofree char *caller = NULL;
  if (!authorize (h, auth, "stop_executor", &caller, err))
    return FALSE;
  h->config.ops->stop (h->config.data, caller, reason ? reason : "");
  return TRUE;
}

static void
executor_handler_finalize (GObject *object)
{
  ExecutorHandler *h = EXECUTOR_HANDLER (object);
  g_free (h->app_id);
  G_OBJECT_CLASS (executor_handler_parent_class)->finalize (object);
}

static void
executor_handler_class_init (ExecutorHandlerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = executor_handler_finalize;
  weftExecutorEndpointHandlerClass *h = WEFT_EXECUTOR_ENDPOINT_HANDLER_CLASS (klass);
  h->launch_tasks = h_launch_tasks;
  h->fetch_segments = h_fetch_segments;
  h->stop_executor = h_stop_executor;
}

static void
executor_handler_init (ExecutorHandler *self)
{
}

ThriftProcessor *
executor_rpc_processor_new (const ExecutorRpcConfig *config)
{
  g_autoptr(ExecutorHandler) h = g_object_new (EXECUTOR_TYPE_HANDLER, NULL);
  h->config = *config;
  h->app_id = g_strdup (config->app_id);
  h->config.app_id = h->app_id;
  return g_object_new (WEFT_TYPE_EXECUTOR_ENDPOINT_PROCESSOR, "handler", h, NULL);
}

/* ---- signing ---- */

/* A fresh token per call: signing costs a few microseconds, and a long-lived executor never
 * holds one past its expiry. */
static weftToken *
sign (const WeftSecret *secret, const char *app_id, const char *caller)
{
  g_autoptr(WeftToken) t = weft_app_auth_token (secret, app_id, caller);
  return weft_rpc_token_to_wire (t);
}

/* ---- the DriverEndpoint client ---- */

struct _ExecutorDriver {
  WeftRpcClient *rpc;
  const WeftSecret *secret;
  char *app_id;
  char *executor_id;
};

void
executor_welcome_clear (ExecutorWelcome *w)
{
  g_clear_pointer (&w->application_id, g_free);
  g_clear_pointer (&w->conf, g_hash_table_unref);
  w->heartbeat_interval_ms = 0;
}

ExecutorDriver *
executor_driver_new (const char *host, guint16 port, const WeftSecret *secret, const char *app_id,
                     const char *executor_id, const WeftRpcOptions *opts)
{
  ExecutorDriver *d = g_new0 (ExecutorDriver, 1);
  d->rpc = weft_rpc_client_new (host, port, WEFT_TYPE_DRIVER_ENDPOINT_CLIENT, opts);
  d->secret = secret;
  d->app_id = g_strdup (app_id);
  d->executor_id = g_strdup (executor_id);
  return d;
}

void
executor_driver_free (ExecutorDriver *d)
{
  if (d == NULL)
    return;
  weft_rpc_client_free (d->rpc);
  g_free (d->app_id);
  g_free (d->executor_id);
  g_free (d);
}

typedef struct {
  weftToken *auth;
  const char *executor_id;
  gpointer in;
  gpointer out;
} DriverCall;

static gboolean
c_register (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  DriverCall *a = data;
  weftExecutorWelcome *out = a->out;
  return weft_driver_endpoint_if_register_executor (client, &out, a->auth, a->in, ex, error);
}

gboolean
executor_driver_register (ExecutorDriver *d, const ExecutorHello *hello, ExecutorWelcome *out,
                          GError **error)
{
  g_autoptr(weftToken) auth = sign (d->secret, d->app_id, d->executor_id);
  g_autoptr(weftExecutorHello) h = g_object_new (
    WEFT_TYPE_EXECUTOR_HELLO, "executor_id", hello->executor_id, "host", hello->host,
    "port", (gint) hello->port, "cores", (gint) hello->cores,
    "memory_bytes", hello->memory_bytes,
    "container_id", hello->container_id ? hello->container_id : "",
    "node_id", hello->node_id ? hello->node_id : "", NULL);
  g_autoptr(weftExecutorWelcome) w = g_object_new (WEFT_TYPE_EXECUTOR_WELCOME, NULL);
  DriverCall a = { auth, d->executor_id, h, w };
  /* The driver answers a second registration of the same executor id with the same welcome. */
  if (!weft_rpc_client_call (d->rpc, "register_executor", WEFT_RPC_IDEMPOTENT, c_register, &a,
                             error))
    return FALSE;
  out->application_id = g_strdup (w->application_id ? w->application_id : "");
  out->heartbeat_interval_ms = w->heartbeat_interval_ms;
  out->conf = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (w->conf)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, w->conf);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (k != NULL)
          g_hash_table_replace (out->conf, g_strdup (k), g_strdup (v ? v : ""));
    }
  return TRUE;
}

static gboolean
c_outcomes (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  DriverCall *a = data;
  return weft_driver_endpoint_if_task_outcomes (client, a->auth, a->executor_id, a->in, ex, error);
}

gboolean
executor_driver_send_outcomes (ExecutorDriver *d, GPtrArray *outcomes, GError **error)
{
  g_autoptr(weftToken) auth = sign (d->secret, d->app_id, d->executor_id);
  g_autoptr(GPtrArray) wire = g_ptr_array_new_full (outcomes->len,
                                                     (GDestroyNotify) g_byte_array_unref);
  for (guint i = 0; i < outcomes->len; i++)
    {
      gsize n = 0;
      const guint8 *b = g_bytes_get_data (outcomes->pdata[i], &n);
      GByteArray *a = g_byte_array_sized_new ((guint) n);
      if (n)
        g_byte_array_append (a, b, (guint) n);
      g_ptr_array_add (wire, a);
    }
  DriverCall a = { auth, d->executor_id, wire, NULL };
  return weft_rpc_client_call (d->rpc, "task_outcomes", WEFT_RPC_ONCE, c_outcomes, &a, error);
}

static gboolean
c_heartbeat (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  DriverCall *a = data;
  weftExecutorBeatReply *out = a->out;
  return weft_driver_endpoint_if_executor_heartbeat (client, &out, a->auth, a->in, ex, error);
}

gboolean
executor_driver_heartbeat (ExecutorDriver *d, const ExecutorRunningTask *running,
                           guint n_running, gboolean *reregister, gboolean *stop, GError **error)
{
  g_autoptr(weftToken) auth = sign (d->secret, d->app_id, d->executor_id);
  g_autoptr(weftExecutorBeat) beat = g_object_new (WEFT_TYPE_EXECUTOR_BEAT, "executor_id",
                                                   d->executor_id, NULL);
  if (beat->running_tasks == NULL)
    beat->running_tasks = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (beat->metrics == NULL)
    beat->metrics = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n_running; i++)
    {
      const ExecutorRunningTask *r = &running[i];
      gint64 id = (gint64) r->task_id;
      g_array_append_val (beat->running_tasks, id);
      /* i64 on the wire: counters past G_MAXINT64 are clamped rather than sent negative. */
      g_ptr_array_add (beat->metrics,
                       g_object_new (WEFT_TYPE_RUNNING_TASK_METRICS, "task_id", id,
                                     "run_ms", (gint64) MIN (r->metrics.run_ms, G_MAXINT64),
                                     "records_read",
                                     (gint64) MIN (r->metrics.records_read, G_MAXINT64),
                                     "records_written",
                                     (gint64) MIN (r->metrics.records_written, G_MAXINT64),
                                     "shuffle_bytes_read",
                                     (gint64) MIN (r->metrics.shuffle_bytes_read, G_MAXINT64),
                                     "shuffle_bytes_written",
                                     (gint64) MIN (r->metrics.shuffle_bytes_written, G_MAXINT64),
                                     NULL));
    }
  beat->__isset_running_tasks = TRUE;
  beat->__isset_metrics = TRUE;
  g_autoptr(weftExecutorBeatReply) r = g_object_new (WEFT_TYPE_EXECUTOR_BEAT_REPLY, NULL);
  DriverCall a = { auth, d->executor_id, beat, r };
  if (!weft_rpc_client_call (d->rpc, "executor_heartbeat", WEFT_RPC_IDEMPOTENT, c_heartbeat, &a,
                             error))
    return FALSE;
  *reregister = r->reregister;
  *stop = r->stop;
  return TRUE;
}

/* ---- the fetcher ---- */

struct _ExecutorFetcher {
  const WeftSecret *secret;
  char *app_id;
  char *executor_id;
  WeftRpcOptions opts;
  GMutex lock;         /* guards idle; never held during a call */
  GHashTable *idle;    /* "host:port" -> GPtrArray of idle WeftRpcClient* */
  gint connects;
};

ExecutorFetcher *
executor_fetcher_new (const WeftSecret *secret, const char *app_id, const char *executor_id,
                      const WeftRpcOptions *opts)
{
  ExecutorFetcher *f = g_new0 (ExecutorFetcher, 1);
  f->secret = secret;
  f->app_id = g_strdup (app_id);
  f->executor_id = g_strdup (executor_id);
  f->opts = *opts;
  g_mutex_init (&f->lock);
  f->idle = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) g_ptr_array_unref);
  return f;
}

void
executor_fetcher_free (ExecutorFetcher *f)
{
  if (f == NULL)
    return;
  g_hash_table_unref (f->idle);
  g_mutex_clear (&f->lock);
  g_free (f->app_id);
  g_free (f->executor_id);
  g_free (f);
}

guint
executor_fetcher_get_connects (ExecutorFetcher *f)
{
  return (guint) g_atomic_int_get (&f->connects);
}

/* Takes an idle connection to @address, or makes one: the caller has it to itself. */
static WeftRpcClient *
take_client (ExecutorFetcher *f, const char *host, guint16 port, const char *address)
{
  WeftRpcClient *c = NULL;
  g_mutex_lock (&f->lock);
  GPtrArray *list = g_hash_table_lookup (f->idle, address);
  if (list && list->len > 0)
    c = g_ptr_array_steal_index_fast (list, list->len - 1);
  g_mutex_unlock (&f->lock);
  return c ? c : weft_rpc_client_new (host, port, WEFT_TYPE_EXECUTOR_ENDPOINT_CLIENT, &f->opts);
}

static void
give_back (ExecutorFetcher *f, const char *address, WeftRpcClient *c)
{
  g_mutex_lock (&f->lock);
  GPtrArray *list = g_hash_table_lookup (f->idle, address);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_rpc_client_free);
      g_hash_table_insert (f->idle, g_strdup (address), list);
    }
  g_ptr_array_add (list, c);
  g_mutex_unlock (&f->lock);
}

typedef struct {
  weftToken *auth;
  GPtrArray *requests;
  GPtrArray *out;
} FetchCall;

static gboolean
c_fetch (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  FetchCall *a = data;
  /* A retried call must not append to a first attempt's partial answer. */
  g_ptr_array_set_size (a->out, 0);
  return weft_executor_endpoint_if_fetch_segments (client, &a->out, a->auth, a->requests, ex,
                                                   error);
}

gboolean
executor_fetcher_fetch (ExecutorFetcher *f, const char *host, guint16 port,
                        const ExecutorSegmentRequest *requests, guint n, GPtrArray **out,
                        GError **error)
{
  g_autofree char *address = g_strdup_printf ("%s:%u", host, port);
  g_autoptr(weftToken) auth = sign (f->secret, f->app_id, f->executor_id);
  g_autoptr(GPtrArray) reqs = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (reqs, g_object_new (WEFT_TYPE_SEGMENT_REQUEST,
                                         "shuffle_id", (gint) requests[i].shuffle_id,
                                         "map_id", (gint) requests[i].map_id,
                                         "reduce_id", (gint) requests[i].reduce_id, NULL));
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  FetchCall a = { auth, reqs, got };
  WeftRpcClient *c = take_client (f, host, port, address);
  guint before = weft_rpc_client_get_connects (c);
  /* A read: safe to resend. */
  gboolean ok = weft_rpc_client_call (c, "fetch_segments", WEFT_RPC_IDEMPOTENT, c_fetch, &a,
                                      error);
  g_atomic_int_add (&f->connects, (gint) (weft_rpc_client_get_connects (c) - before));
  give_back (f, address, c);
  if (!ok)
    return FALSE;
  if (got->len != n)
    {
      g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_INVALID,
                   "fetch_segments to %s answered %u segments for %u requests", address, got->len,
                   n);
      return FALSE;
    }
  GPtrArray *res = g_ptr_array_new_full (n, (GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < n; i++)
    {
      gsize len = 0;
      guint8 *data = g_byte_array_steal (got->pdata[i], &len);
      g_ptr_array_add (res, g_bytes_new_take (data, len));
    }
  *out = res;
  return TRUE;
}
