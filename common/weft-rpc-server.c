/* weft-rpc-server: a concurrent, bounded Thrift server. See
 * weft-rpc-server.h. */
#include "weft-rpc-server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gio/gio.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/thrift_application_exception.h>
#include <unistd.h>

#include "weft-net.h"
#include "weft-rpc-transport.h"

struct _WeftRpcServer {
  char *name;
  ThriftProcessor *processor;
  WeftRpcOptions opts;
  int listen_fd;
  int stop_fd;       /* eventfd: readable once stop begins; every wait polls it */
  guint16 port;
  GThread *acceptor;
  GThreadPool *workers;
  gboolean stopped;

  /* Refusals are logged at most once a second, so garbage sent to a port
   * cannot flood the log; the rest are counted. */
  GMutex log_lock;
  gint64 last_refusal_log;
  guint suppressed;

  /* Counters, touched with atomics from worker threads. */
  gint active;
  gsize accepted, refused, calls, bad_frames;
};

static GPrivate current_peer;

const char *
weft_rpc_server_current_peer (void)
{
  return g_private_get (&current_peer);
}

WeftRpcServer *
weft_rpc_server_new (const char *name, ThriftProcessor *processor, const WeftRpcOptions *opts)
{
  weft_rpc_init ();
  WeftRpcServer *self = g_new0 (WeftRpcServer, 1);
  self->name = g_strdup (name);
  self->processor = g_object_ref (processor);
  self->opts = *opts;
  self->listen_fd = -1;
  self->stop_fd = -1;
  g_mutex_init (&self->log_lock);
  return self;
}

/* Answers a call we refuse with a Thrift application exception, so the
 * caller sees why instead of a bare disconnect. Best effort. */
static void
reply_exception (ThriftProtocol *proto, WeftRpcTransport *t, const WeftRpcMessageInfo *info,
                 const char *message)
{
  ThriftApplicationException *x =
    g_object_new (THRIFT_TYPE_APPLICATION_EXCEPTION,
                  "type", THRIFT_APPLICATION_EXCEPTION_ERROR_PROTOCOL_ERROR,
                  "message", message, NULL);
  weft_rpc_transport_set_deadline (t, g_get_monotonic_time () + G_USEC_PER_SEC);
  if (thrift_protocol_write_message_begin (proto, info->method, T_EXCEPTION, info->seqid, NULL) >= 0
      && thrift_struct_write (THRIFT_STRUCT (x), proto, NULL) >= 0
      && thrift_protocol_write_message_end (proto, NULL) >= 0)
    thrift_transport_flush (THRIFT_TRANSPORT (t), NULL);
  g_object_unref (x);
}

static void
log_refusal (WeftRpcServer *self, const char *peer, const GError *error)
{
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&self->log_lock);
  if (now - self->last_refusal_log < G_USEC_PER_SEC)
    {
      self->suppressed++;
      g_mutex_unlock (&self->log_lock);
      return;
    }
  guint suppressed = self->suppressed;
  self->suppressed = 0;
  self->last_refusal_log = now;
  g_mutex_unlock (&self->log_lock);
  if (suppressed > 0)
    g_message ("%s server: refused a request from %s: %s (and %u more in the last second)",
               self->name, peer, error->message, suppressed);
  else
    g_message ("%s server: refused a request from %s: %s", self->name, peer, error->message);
}

static gboolean
quiet_end (const GError *e)
{
  return g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
         || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED)
         || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
         || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
         || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
}

static void
serve_connection (gpointer data, gpointer user_data)
{
  WeftRpcServer *self = user_data;
  int fd = GPOINTER_TO_INT (data);
  g_autofree char *peer = weft_net_peer_name (fd);
  g_private_set (&current_peer, peer);

  WeftRpcTransport *t = weft_rpc_transport_new (fd, &self->opts,
                                                WEFT_RPC_MSG_CALL | WEFT_RPC_MSG_ONEWAY, peer);
  weft_rpc_transport_set_cancel_fd (t, self->stop_fd);
  weft_rpc_transport_set_frame_timeout (t, self->opts.call_timeout_us);
  ThriftProtocol *proto = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", t, NULL);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      WeftRpcMessageInfo info;
      gint64 idle_deadline = g_get_monotonic_time () + self->opts.idle_timeout_us;
      if (!weft_rpc_transport_receive (t, idle_deadline, &info, &error))
        {
          if (quiet_end (error))
            g_debug ("%s server: closing connection from %s: %s", self->name, peer,
                     error->message);
          else
            {
              g_atomic_pointer_add (&self->bad_frames, 1);
              log_refusal (self, peer, error);
              if (info.have_header)
                reply_exception (proto, t, &info, error->message);
            }
          break;
        }
      /* The handler and the reply share what is left of the call timeout,
       * counted from the frame's first byte. */
      if (!thrift_processor_process (self->processor, proto, proto, &error))
        {
          g_message ("%s server: call %s from %s failed: %s", self->name, info.method, peer,
                     error ? error->message : "unknown error");
          break;
        }
      g_atomic_pointer_add (&self->calls, 1);
    }

  g_object_unref (proto);
  g_object_unref (t); /* closes the socket */
  g_private_set (&current_peer, NULL);
  g_atomic_int_add (&self->active, -1);
}

static gpointer
accept_loop (gpointer data)
{
  WeftRpcServer *self = data;
  for (;;)
    {
      struct pollfd p[2] = { { .fd = self->listen_fd, .events = POLLIN },
                             { .fd = self->stop_fd, .events = POLLIN } };
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          g_warning ("%s server: poll: %s", self->name, g_strerror (errno));
          return NULL;
        }
      if (p[1].revents & POLLIN)
        return NULL;
      int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        {
          /* EMFILE and friends: back off briefly instead of spinning. */
          if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            {
              g_warning ("%s server: accept: %s", self->name, g_strerror (errno));
              g_usleep (10000);
            }
          continue;
        }
      if ((guint) g_atomic_int_get (&self->active) >= self->opts.max_connections)
        {
          g_atomic_pointer_add (&self->refused, 1);
          g_message ("%s server: refusing a connection: %u connections open "
                     "(rpc.max-connections)", self->name, self->opts.max_connections);
          close (fd);
          continue;
        }
      int one = 1;
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      g_atomic_int_inc (&self->active);
      g_atomic_pointer_add (&self->accepted, 1);
      g_thread_pool_push (self->workers, GINT_TO_POINTER (fd), NULL);
    }
}

gboolean
weft_rpc_server_start (WeftRpcServer *self, const char *bind_address, guint16 port,
                       GError **error)
{
  g_return_val_if_fail (self->listen_fd < 0, FALSE);
  self->listen_fd = weft_net_listen (bind_address, port, 128, &self->port, error);
  if (self->listen_fd < 0)
    {
      g_prefix_error (error, "%s server: ", self->name);
      return FALSE;
    }
  self->stop_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  self->workers = g_thread_pool_new (serve_connection, self, (gint) self->opts.max_connections,
                                     FALSE, error);
  if (self->stop_fd < 0 || self->workers == NULL)
    {
      g_prefix_error (error, "%s server: ", self->name);
      return FALSE;
    }
  self->acceptor = g_thread_new ("weft-rpc-accept", accept_loop, self);
  g_info ("%s server listening on %s:%u", self->name, bind_address, self->port);
  return TRUE;
}

guint16
weft_rpc_server_get_port (WeftRpcServer *self)
{
  return self->port;
}

void
weft_rpc_server_stop (WeftRpcServer *self)
{
  if (self->stopped || self->listen_fd < 0)
    return;
  self->stopped = TRUE;
  guint64 one = 1;
  /* The eventfd stays readable: every poll in every worker sees it. */
  if (write (self->stop_fd, &one, sizeof one) != sizeof one)
    g_warning ("%s server: cannot signal stop: %s", self->name, g_strerror (errno));
  g_thread_join (self->acceptor);
  self->acceptor = NULL;
  g_thread_pool_free (self->workers, FALSE, TRUE);
  self->workers = NULL;
  close (self->listen_fd);
}

void
weft_rpc_server_get_stats (WeftRpcServer *self, WeftRpcServerStats *stats)
{
  stats->connections_accepted = (guint64) g_atomic_pointer_get (&self->accepted);
  stats->connections_refused = (guint64) g_atomic_pointer_get (&self->refused);
  stats->calls = (guint64) g_atomic_pointer_get (&self->calls);
  stats->bad_frames = (guint64) g_atomic_pointer_get (&self->bad_frames);
  stats->active_connections = (guint) g_atomic_int_get (&self->active);
}

void
weft_rpc_server_free (WeftRpcServer *self)
{
  if (self == NULL)
    return;
  weft_rpc_server_stop (self);
  if (self->stop_fd >= 0)
    close (self->stop_fd);
  g_object_unref (self->processor);
  g_mutex_clear (&self->log_lock);
  g_free (self->name);
  g_free (self);
}
