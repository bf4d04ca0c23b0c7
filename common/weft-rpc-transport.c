/* weft-rpc-transport: framed, bounded, validated, cursor-read transport.
 * See weft-rpc-transport.h. */
#include "weft-rpc-transport.h"

#include <errno.h>
#include <gio/gio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weft-net.h"

/* Receive buffers grow from this size as a frame's bytes arrive, and shrink
 * back after an unusually large frame so an idle connection holds little. */
#define INITIAL_CHUNK (64 * 1024)
#define KEEP_CAPACITY (1024 * 1024)

struct _WeftRpcTransport {
  ThriftTransport parent;
  int fd;
  int cancel_fd;
  char *peer;
  WeftRpcOptions opts;
  guint accepted;
  gboolean auto_receive;
  gint64 deadline_us;
  gint64 frame_timeout_us; /* servers: once a frame begins, it must end within this */

  /* Received bytes: [4-byte header][payload of the current frame][bytes of
   * the next frame, if the peer sent them early]. rpos is the read cursor
   * (decoding is linear, nothing is moved); rend is the payload's end. */
  guint8 *rbuf;
  gsize rcap;
  gsize rfill;
  gsize rpos;
  gsize rend;

  GByteArray *wbuf; /* 4 bytes reserved for the frame header, then payload */
};

G_DEFINE_TYPE (WeftRpcTransport, weft_rpc_transport, THRIFT_TYPE_TRANSPORT)

static const guint8 no_header[4] = { 0 };

static gboolean
transport_is_open (ThriftTransport *transport)
{
  return WEFT_RPC_TRANSPORT (transport)->fd >= 0;
}

static gboolean
transport_open (ThriftTransport *transport, GError **error)
{
  if (transport_is_open (transport))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "connection is closed");
  return FALSE;
}

static gboolean
transport_close (ThriftTransport *transport, GError **error)
{
  WeftRpcTransport *self = WEFT_RPC_TRANSPORT (transport);
  if (self->fd >= 0)
    {
      shutdown (self->fd, SHUT_RDWR);
      close (self->fd);
      self->fd = -1;
    }
  return TRUE;
}

static gboolean
ensure_open (WeftRpcTransport *self, GError **error)
{
  if (self->fd >= 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "connection to %s is closed", self->peer);
  return FALSE;
}

static void
grow_to (WeftRpcTransport *self, gsize want)
{
  if (want <= self->rcap)
    return;
  gsize cap = MAX (self->rcap * 2, (gsize) INITIAL_CHUNK);
  while (cap < want)
    cap *= 2;
  self->rbuf = g_realloc (self->rbuf, cap);
  self->rcap = cap;
}

/* Reads whatever has arrived (at least one byte) into the free space of the
 * buffer, waiting until @deadline_us. Reading more than one frame's worth is
 * fine: the surplus is the start of the next frame. */
static gboolean
fill (WeftRpcTransport *self, gint64 deadline_us, GError **error)
{
  for (;;)
    {
      ssize_t n = recv (self->fd, self->rbuf + self->rfill, self->rcap - self->rfill, MSG_DONTWAIT);
      if (n > 0)
        {
          self->rfill += (gsize) n;
          return TRUE;
        }
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       "peer closed the connection");
          return FALSE;
        }
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "receive failed: %s",
                       g_strerror (e));
          return FALSE;
        }
      if (!weft_net_wait_readable (self->fd, deadline_us, self->cancel_fd, error))
        return FALSE;
    }
}

gboolean
weft_rpc_transport_receive (WeftRpcTransport *self, gint64 first_byte_deadline_us,
                            WeftRpcMessageInfo *info, GError **error)
{
  g_return_val_if_fail (WEFT_IS_RPC_TRANSPORT (self), FALSE);
  if (info)
    memset (info, 0, sizeof *info);
  if (!ensure_open (self, error))
    return FALSE;

  /* Drop the previous frame, keeping any early bytes of the next one. */
  if (self->rend > 0)
    {
      gsize rest = self->rfill - self->rend;
      if (rest > 0)
        memmove (self->rbuf, self->rbuf + self->rend, rest);
      self->rfill = rest;
    }
  self->rpos = self->rend = 0;
  /* Shrink after a big frame so idle connections hold little memory. */
  if (self->rcap > KEEP_CAPACITY && self->rfill <= INITIAL_CHUNK)
    {
      self->rbuf = g_realloc (self->rbuf, INITIAL_CHUNK);
      self->rcap = INITIAL_CHUNK;
    }
  grow_to (self, INITIAL_CHUNK);

  /* Wait for the frame to begin (poll first: between calls nothing is
   * there yet, so trying to read first would only cost a syscall). */
  GError *local = NULL;
  if (self->rfill == 0
      && !weft_net_wait_readable (self->fd, first_byte_deadline_us, self->cancel_fd, error))
    return FALSE;
  if (self->frame_timeout_us > 0)
    self->deadline_us = g_get_monotonic_time () + self->frame_timeout_us;

  while (self->rfill < 4)
    if (!fill (self, self->deadline_us, &local))
      goto failed;
  const guint8 *h = self->rbuf;
  guint32 len = ((guint32) h[0] << 24) | ((guint32) h[1] << 16) | ((guint32) h[2] << 8) | h[3];
  if (len == 0)
    {
      g_set_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_FRAME,
                   "empty frame from %s", self->peer);
      return FALSE;
    }
  if (len > self->opts.max_message_size)
    {
      g_set_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_FRAME,
                   "frame of %u bytes from %s is larger than rpc.max-message-size (%"
                   G_GSIZE_FORMAT " bytes)", len, self->peer, self->opts.max_message_size);
      return FALSE;
    }

  /* Grow as bytes arrive rather than trusting the announced length: a peer
   * that announces 8 MiB and stalls costs what it sent. */
  gsize total = 4 + (gsize) len;
  while (self->rfill < total)
    {
      if (self->rfill == self->rcap)
        grow_to (self, MIN (total, self->rcap * 2));
      if (!fill (self, self->deadline_us, &local))
        goto failed;
    }

  if (!weft_rpc_check_message (self->rbuf + 4, len, self->opts.max_depth, self->accepted, info,
                               &local))
    {
      g_propagate_prefixed_error (error, local, "from %s: ", self->peer);
      return FALSE;
    }
  self->rpos = 4;
  self->rend = total;
  return TRUE;

failed:
  if (self->rfill == 0 && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    g_propagate_prefixed_error (error, local, "reading from %s: ", self->peer);
  else
    g_propagate_prefixed_error (error, local, "reading a frame from %s (%" G_GSIZE_FORMAT
                                " bytes received): ", self->peer, self->rfill);
  return FALSE;
}

static gint32
transport_read (ThriftTransport *transport, gpointer buf, guint32 len, GError **error)
{
  WeftRpcTransport *self = WEFT_RPC_TRANSPORT (transport);
  if (self->rpos == self->rend && self->auto_receive && len > 0)
    {
      if (!weft_rpc_transport_receive (self, self->deadline_us, NULL, error))
        return -1;
    }
  /* Never a short read and never across frames: a validated message does
   * not ask for more than its frame holds, so this only trips on misuse. */
  if (len > self->rend - self->rpos)
    {
      g_set_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_MESSAGE,
                   "read of %u bytes past the end of a frame from %s", len, self->peer);
      return -1;
    }
  memcpy (buf, self->rbuf + self->rpos, len);
  self->rpos += len;
  return (gint32) len;
}

static gboolean
transport_read_end (ThriftTransport *transport, GError **error)
{
  WeftRpcTransport *self = WEFT_RPC_TRANSPORT (transport);
  /* The frame is done with; receive() drops it and keeps what follows. */
  self->rpos = self->rend;
  return TRUE;
}

static gboolean
transport_write (ThriftTransport *transport, const gpointer buf, const guint32 len,
                 GError **error)
{
  WeftRpcTransport *self = WEFT_RPC_TRANSPORT (transport);
  /* Refuse early rather than buffer without bound. */
  if (self->wbuf->len - 4 + (gsize) len > self->opts.max_message_size)
    {
      g_set_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_TOO_LARGE,
                   "message to %s is larger than rpc.max-message-size (%" G_GSIZE_FORMAT
                   " bytes)", self->peer, self->opts.max_message_size);
      g_byte_array_set_size (self->wbuf, 4);
      return FALSE;
    }
  g_byte_array_append (self->wbuf, buf, len);
  return TRUE;
}

static gboolean
transport_write_end (ThriftTransport *transport, GError **error)
{
  return TRUE;
}

static gboolean
transport_flush (ThriftTransport *transport, GError **error)
{
  WeftRpcTransport *self = WEFT_RPC_TRANSPORT (transport);
  guint32 len = self->wbuf->len - 4;
  if (len == 0)
    return TRUE;
  if (!ensure_open (self, error))
    {
      g_byte_array_set_size (self->wbuf, 4);
      return FALSE;
    }
  guint8 *p = self->wbuf->data;
  p[0] = len >> 24;
  p[1] = len >> 16;
  p[2] = len >> 8;
  p[3] = len;
  GError *local = NULL;
  gboolean ok = weft_net_write_full (self->fd, p, self->wbuf->len, self->deadline_us,
                                     self->cancel_fd, &local);
  g_byte_array_set_size (self->wbuf, 4);
  if (!ok)
    g_propagate_prefixed_error (error, local, "sending to %s: ", self->peer);
  return ok;
}

static gboolean
transport_check_read_bytes_available (ThriftTransport *transport, glong num_bytes,
                                      GError **error)
{
  WeftRpcTransport *self = WEFT_RPC_TRANSPORT (transport);
  if (num_bytes >= 0 && (gsize) num_bytes <= self->rend - self->rpos)
    return TRUE;
  g_set_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_BAD_MESSAGE,
               "message from %s declares %ld bytes but %" G_GSIZE_FORMAT " remain",
               self->peer, num_bytes, self->rend - self->rpos);
  return FALSE;
}

static gboolean
transport_peek (ThriftTransport *transport, GError **error)
{
  WeftRpcTransport *self = WEFT_RPC_TRANSPORT (transport);
  return self->rpos < self->rend;
}

gboolean
weft_rpc_transport_is_stale (WeftRpcTransport *self)
{
  if (self->fd < 0 || self->rfill > self->rend)
    return TRUE;
  struct pollfd p = { .fd = self->fd, .events = POLLIN };
  int n;
  do
    n = poll (&p, 1, 0);
  while (n < 0 && errno == EINTR);
  /* Between calls a healthy connection has nothing to read. */
  return n != 0;
}

WeftRpcTransport *
weft_rpc_transport_new (int fd, const WeftRpcOptions *opts, guint accepted, const char *peer)
{
  WeftRpcTransport *self = g_object_new (WEFT_TYPE_RPC_TRANSPORT, NULL);
  self->fd = fd;
  self->opts = *opts;
  self->accepted = accepted;
  self->peer = g_strdup (peer ? peer : "?");
  return self;
}

void
weft_rpc_transport_set_deadline (WeftRpcTransport *self, gint64 deadline_us)
{
  self->deadline_us = deadline_us;
}

void
weft_rpc_transport_set_frame_timeout (WeftRpcTransport *self, gint64 timeout_us)
{
  self->frame_timeout_us = timeout_us;
}

void
weft_rpc_transport_set_cancel_fd (WeftRpcTransport *self, int fd)
{
  self->cancel_fd = fd;
}

void
weft_rpc_transport_set_auto_receive (WeftRpcTransport *self, gboolean auto_receive)
{
  self->auto_receive = auto_receive;
}

const char *
weft_rpc_transport_get_peer (WeftRpcTransport *self)
{
  return self->peer;
}

static void
weft_rpc_transport_finalize (GObject *object)
{
  WeftRpcTransport *self = WEFT_RPC_TRANSPORT (object);
  transport_close (THRIFT_TRANSPORT (self), NULL);
  g_free (self->rbuf);
  g_byte_array_unref (self->wbuf);
  g_free (self->peer);
  G_OBJECT_CLASS (weft_rpc_transport_parent_class)->finalize (object);
}

static void
weft_rpc_transport_class_init (WeftRpcTransportClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  ThriftTransportClass *tt = THRIFT_TRANSPORT_CLASS (klass);
  gobject_class->finalize = weft_rpc_transport_finalize;
  tt->is_open = transport_is_open;
  tt->open = transport_open;
  tt->close = transport_close;
  tt->peek = transport_peek;
  tt->read = transport_read;
  tt->read_all = transport_read;
  tt->read_end = transport_read_end;
  tt->write = transport_write;
  tt->write_end = transport_write_end;
  tt->flush = transport_flush;
  tt->checkReadBytesAvailable = transport_check_read_bytes_available;
}

static void
weft_rpc_transport_init (WeftRpcTransport *self)
{
  self->fd = -1;
  self->cancel_fd = -1;
  self->deadline_us = -1;
  self->wbuf = g_byte_array_sized_new (256);
  g_byte_array_append (self->wbuf, no_header, 4);
}
