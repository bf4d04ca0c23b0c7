/* rpc-echo: see rpc-echo.h. */
#include "rpc-echo.h"

#include <string.h>

/* Generated classes have no autoptr cleanup; G_DECLARE_FINAL_TYPE needs one. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftEchoHandler, g_object_unref)

#define TEST_TYPE_ECHO_HANDLER (test_echo_handler_get_type ())
G_DECLARE_FINAL_TYPE (TestEchoHandler, test_echo_handler, TEST, ECHO_HANDLER, weftEchoHandler)
struct _TestEchoHandler { weftEchoHandler parent; };
G_DEFINE_TYPE (TestEchoHandler, test_echo_handler, WEFT_TYPE_ECHO_HANDLER)

static gint sleeping, max_sleeping;
static gint64 total;

static gboolean
h_ping (weftEchoIf *iface, gint64 *ret, const gint64 x, GError **error)
{
  *ret = x + 1;
  return TRUE;
}

static gboolean
h_echo (weftEchoIf *iface, GByteArray **ret, const GByteArray *data, GError **error)
{
  *ret = g_byte_array_sized_new (data ? data->len : 0);
  if (data)
    g_byte_array_append (*ret, data->data, data->len);
  return TRUE;
}

static gboolean
h_count_items (weftEchoIf *iface, gint32 *ret, const GPtrArray *items, GError **error)
{
  *ret = items ? (gint32) items->len : 0;
  return TRUE;
}

static gboolean
h_sleep_ms (weftEchoIf *iface, const gint32 ms, GError **error)
{
  gint now = g_atomic_int_add (&sleeping, 1) + 1;
  gint old;
  while ((old = g_atomic_int_get (&max_sleeping)) < now
         && !g_atomic_int_compare_and_exchange (&max_sleeping, old, now))
    ;
  g_usleep ((gulong) ms * 1000);
  g_atomic_int_add (&sleeping, -1);
  return TRUE;
}

static gboolean
h_fail (weftEchoIf *iface, const gint32 code, const gchar *message, weftWeftException **err,
        GError **error)
{
  return weft_rpc_exception_set (err, (weftErrorCode) code, "%s", message);
}

static gboolean
h_add (weftEchoIf *iface, gint64 *ret, const gint64 x, GError **error)
{
  static GMutex lock;
  g_mutex_lock (&lock);
  total += x;
  *ret = total;
  g_mutex_unlock (&lock);
  return TRUE;
}

static void
test_echo_handler_class_init (TestEchoHandlerClass *klass)
{
  weftEchoHandlerClass *h = WEFT_ECHO_HANDLER_CLASS (klass);
  h->ping = h_ping;
  h->echo = h_echo;
  h->count_items = h_count_items;
  h->sleep_ms = h_sleep_ms;
  h->fail = h_fail;
  h->add = h_add;
}

static void
test_echo_handler_init (TestEchoHandler *self)
{
}

gint
rpc_echo_max_concurrent_sleeps (void)
{
  return g_atomic_int_get (&max_sleeping);
}

void
rpc_echo_reset (void)
{
  g_atomic_int_set (&max_sleeping, 0);
  total = 0;
}

gint64
rpc_echo_total (void)
{
  return total;
}

GObject *
rpc_echo_processor_new (void)
{
  g_autoptr(GObject) handler = g_object_new (TEST_TYPE_ECHO_HANDLER, NULL);
  return g_object_new (WEFT_TYPE_ECHO_PROCESSOR, "handler", handler, NULL);
}

WeftRpcServer *
rpc_echo_server_start (const WeftRpcOptions *opts, guint16 port, GError **error)
{
  g_autoptr(GObject) handler = g_object_new (TEST_TYPE_ECHO_HANDLER, NULL);
  g_autoptr(GObject) processor = g_object_new (WEFT_TYPE_ECHO_PROCESSOR, "handler", handler, NULL);
  g_autoptr(WeftRpcServer) server = weft_rpc_server_new ("echo", THRIFT_PROCESSOR (processor), opts);
  if (!weft_rpc_server_start (server, "127.0.0.1", port, error))
    return NULL;
  return g_steal_pointer (&server);
}

WeftRpcClient *
rpc_echo_client_new (guint16 port, const WeftRpcOptions *opts)
{
  return weft_rpc_client_new ("127.0.0.1", port, WEFT_TYPE_ECHO_CLIENT, opts);
}

typedef struct { gint64 x, out; } PingArgs;

static gboolean
call_ping (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  PingArgs *a = data;
  return weft_echo_if_ping (WEFT_ECHO_IF (client), &a->out, a->x, error);
}

gboolean
rpc_echo_ping (WeftRpcClient *c, gint64 x, gint64 *out, GError **error)
{
  PingArgs a = { .x = x };
  if (!weft_rpc_client_call (c, "ping", WEFT_RPC_IDEMPOTENT, call_ping, &a, error))
    return FALSE;
  *out = a.out;
  return TRUE;
}

typedef struct { GByteArray *in, *out; } EchoArgs;

static gboolean
call_echo (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  EchoArgs *a = data;
  return weft_echo_if_echo (WEFT_ECHO_IF (client), &a->out, a->in, error);
}

gboolean
rpc_echo_echo (WeftRpcClient *c, GByteArray *data, GByteArray **out, GError **error)
{
  EchoArgs a = { .in = data };
  gboolean ok = weft_rpc_client_call (c, "echo", WEFT_RPC_IDEMPOTENT, call_echo, &a, error);
  if (ok)
    *out = a.out;
  else if (a.out)
    g_byte_array_unref (a.out);
  return ok;
}

typedef struct { GPtrArray *items; gint32 out; } CountArgs;

static gboolean
call_count (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  CountArgs *a = data;
  return weft_echo_if_count_items (WEFT_ECHO_IF (client), &a->out, a->items, error);
}

gboolean
rpc_echo_count (WeftRpcClient *c, GPtrArray *items, gint32 *out, GError **error)
{
  CountArgs a = { .items = items };
  if (!weft_rpc_client_call (c, "count_items", WEFT_RPC_IDEMPOTENT, call_count, &a, error))
    return FALSE;
  *out = a.out;
  return TRUE;
}

static gboolean
call_sleep (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  return weft_echo_if_sleep_ms (WEFT_ECHO_IF (client), GPOINTER_TO_INT (data), error);
}

gboolean
rpc_echo_sleep (WeftRpcClient *c, gint32 ms, WeftRpcRetry retry, GError **error)
{
  return weft_rpc_client_call (c, "sleep_ms", retry, call_sleep, GINT_TO_POINTER (ms), error);
}

typedef struct { gint32 code; const char *message; } FailArgs;

static gboolean
call_fail (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  FailArgs *a = data;
  return weft_echo_if_fail (WEFT_ECHO_IF (client), a->code, a->message, ex, error);
}

gboolean
rpc_echo_fail (WeftRpcClient *c, gint32 code, const char *message, GError **error)
{
  FailArgs a = { code, message };
  return weft_rpc_client_call (c, "fail", WEFT_RPC_IDEMPOTENT, call_fail, &a, error);
}

static gboolean
call_add (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  PingArgs *a = data;
  return weft_echo_if_add (WEFT_ECHO_IF (client), &a->out, a->x, error);
}

gboolean
rpc_echo_add (WeftRpcClient *c, gint64 x, gint64 *out, GError **error)
{
  PingArgs a = { .x = x };
  if (!weft_rpc_client_call (c, "add", WEFT_RPC_ONCE, call_add, &a, error))
    return FALSE;
  *out = a.out;
  return TRUE;
}

GPtrArray *
rpc_echo_items_new (guint n)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("container_1732200000000_0001_01_%06u", i);
      weftEchoItem *it = g_object_new (WEFT_TYPE_ECHO_ITEM, "id", id, "state", 3,
                                       "a", (gint64) i * 1024, "b", (gint64) i,
                                       "note", "running", NULL);
      g_ptr_array_add (items, it);
    }
  return items;
}
