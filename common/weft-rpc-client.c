/* weft-rpc-client: connection, deadline and retry handling around generated
 * Thrift clients. See weft-rpc-client.h. */
#include "weft-rpc-client.h"

#include <gio/gio.h>
#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/thrift_application_exception.h>

#include "weft-net.h"
#include "weft-rpc-transport.h"

/* No single backoff sleep exceeds this, whatever rpc.retries says. */
#define MAX_BACKOFF_US (5 * G_USEC_PER_SEC)

struct _WeftRpcClient {
  char *host;
  guint16 port;
  char *address;
  GType client_type;
  WeftRpcOptions opts;
  WeftRpcTransport *transport;
  ThriftProtocol *protocol;
  GObject *client;
  guint connects;
};

WeftRpcClient *
weft_rpc_client_new (const char *host, guint16 port, GType client_type,
                     const WeftRpcOptions *opts)
{
  weft_rpc_init ();
  WeftRpcClient *self = g_new0 (WeftRpcClient, 1);
  self->host = g_strdup (host);
  self->port = port;
  self->address = g_strdup_printf ("%s:%u", host, port);
  self->client_type = client_type;
  self->opts = *opts;
  return self;
}

void
weft_rpc_client_close (WeftRpcClient *self)
{
  /* Generated clients do not ref their protocols: drop the client first. */
  g_clear_object (&self->client);
  g_clear_object (&self->protocol);
  g_clear_object (&self->transport);
}

static gboolean
ensure_connected (WeftRpcClient *self, GError **error)
{
  if (self->transport != NULL && !weft_rpc_transport_is_stale (self->transport))
    return TRUE;
  weft_rpc_client_close (self);
  int fd = weft_net_connect (self->host, self->port, self->opts.connect_timeout_us, error);
  if (fd < 0)
    return FALSE;
  self->connects++;
  self->transport = weft_rpc_transport_new (fd, &self->opts,
                                            WEFT_RPC_MSG_REPLY | WEFT_RPC_MSG_EXCEPTION,
                                            self->address);
  weft_rpc_transport_set_auto_receive (self->transport, TRUE);
  self->protocol = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", self->transport, NULL);
  self->client = g_object_new (self->client_type, "input_protocol", self->protocol,
                               "output_protocol", self->protocol, NULL);
  return TRUE;
}

static gint64
backoff_us (const WeftRpcClient *self, guint attempt)
{
  gint64 base = self->opts.retry_backoff_us;
  for (guint i = 0; i < attempt && base < MAX_BACKOFF_US; i++)
    base *= 2;
  base = MIN (base, MAX_BACKOFF_US);
  /* ±25 % jitter so clients that failed together do not retry together. */
  return base * 3 / 4 + g_random_int_range (0, (gint32) MAX (base / 2, 1));
}

gboolean
weft_rpc_client_call (WeftRpcClient *self, const char *method, WeftRpcRetry retry,
                      WeftRpcCallFunc func, gpointer user_data, GError **error)
{
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(GError) local = NULL;
      gboolean sent = FALSE;
      if (ensure_connected (self, &local))
        {
          weftWeftException *ex = NULL;
          sent = TRUE;
          weft_rpc_transport_set_deadline (self->transport,
                                           g_get_monotonic_time () + self->opts.call_timeout_us);
          gboolean ok = func (self->client, user_data, &ex, &local);
          if (ok)
            {
              g_clear_object (&ex);
              return TRUE;
            }
          if (ex != NULL)
            {
              /* A declared exception: the reply was whole, the connection is fine. */
              gint code = 0;
              g_autofree char *msg = NULL;
              g_object_get (ex, "code", &code, "message", &msg, NULL);
              g_object_unref (ex);
              g_set_error (error, WEFT_REMOTE_ERROR, code, "%s (%s from %s)",
                           msg ? msg : "", weft_rpc_error_code_name (code), self->address);
              return FALSE;
            }
          if (local != NULL && local->domain == THRIFT_APPLICATION_EXCEPTION_ERROR)
            {
              g_set_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_REMOTE,
                           "call %s to %s failed: %s", method, self->address, local->message);
              return FALSE;
            }
          /* Transport or protocol failure: the stream's state is unknown. */
          weft_rpc_client_close (self);
          if (g_error_matches (local, WEFT_RPC_ERROR, WEFT_RPC_ERROR_TOO_LARGE))
            retry = WEFT_RPC_ONCE; /* resending cannot help */
        }
      gboolean retryable = !sent || retry == WEFT_RPC_IDEMPOTENT;
      if (!retryable || attempt >= self->opts.retries)
        {
          if (local == NULL)
            g_set_error (&local, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_MESSAGE, "no reply");
          g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                      "call %s to %s failed%s: ", method, self->address,
                                      attempt > 0 ? " after retries" : "");
          return FALSE;
        }
      g_debug ("call %s to %s failed (%s); retrying", method, self->address,
               local ? local->message : "?");
      g_usleep ((gulong) backoff_us (self, attempt));
    }
}

const char *
weft_rpc_client_get_address (WeftRpcClient *self)
{
  return self->address;
}

guint
weft_rpc_client_get_connects (WeftRpcClient *self)
{
  return self->connects;
}

void
weft_rpc_client_free (WeftRpcClient *self)
{
  if (self == NULL)
    return;
  weft_rpc_client_close (self);
  g_free (self->host);
  g_free (self->address);
  g_free (self);
}
