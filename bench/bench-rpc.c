/* bench-rpc: RPC layer figures on loopback, printed one per line.
 *   small calls/s with 1 and 16 client threads; MiB/s for a 1 MiB binary
 *   argument echoed back; decode time of a message with 10 k and 40 k
 *   entries, through Weft's transport and, side by side, through the stock
 *   0.17 framed transport (whose decoding is quadratic).
 * Usage: bench-rpc [--seconds S] [--no-stock] */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weft-net.h"
#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/transport/thrift_framed_transport.h>
#include <thrift/c_glib/transport/thrift_memory_buffer.h>
#include <thrift/c_glib/server/thrift_simple_server.h>
#include <thrift/c_glib/transport/thrift_framed_transport_factory.h>
#include <thrift/c_glib/transport/thrift_server_socket.h>
#include <thrift/c_glib/transport/thrift_socket.h>
#include <thrift/c_glib/protocol/thrift_binary_protocol_factory.h>

#include "rpc-echo.h"
#include "weft-rpc-transport.h"

static double seconds = 2.0;

typedef struct {
  guint16 port;
  WeftRpcOptions opts;
  gint64 until;
  guint64 calls;
} Load;

static gpointer
ping_loop (gpointer data)
{
  Load *l = data;
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (l->port, &l->opts);
  g_autoptr(GError) error = NULL;
  gint64 out;
  while (g_get_monotonic_time () < l->until)
    for (int i = 0; i < 100; i++)
      {
        if (!rpc_echo_ping (c, i, &out, &error))
          g_error ("ping: %s", error->message);
        l->calls++;
      }
  return NULL;
}

static double
calls_per_second (guint16 port, const WeftRpcOptions *opts, int threads)
{
  Load loads[64];
  GThread *t[64];
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < threads; i++)
    {
      loads[i] = (Load) { .port = port, .opts = *opts, .until = start + (gint64) (seconds * 1e6) };
      t[i] = g_thread_new ("load", ping_loop, &loads[i]);
    }
  guint64 total = 0;
  for (int i = 0; i < threads; i++)
    {
      g_thread_join (t[i]);
      total += loads[i].calls;
    }
  return total / ((g_get_monotonic_time () - start) / 1e6);
}

static double
echo_mib_per_second (WeftRpcClient *c)
{
  g_autoptr(GByteArray) data = g_byte_array_sized_new (1 << 20);
  g_byte_array_set_size (data, 1 << 20);
  for (guint i = 0; i < data->len; i++)
    data->data[i] = (guint8) (i * 31);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time (), until = start + (gint64) (seconds * 1e6);
  guint64 n = 0;
  while (g_get_monotonic_time () < until)
    {
      GByteArray *back = NULL;
      if (!rpc_echo_echo (c, data, &back, &error))
        g_error ("echo: %s", error->message);
      g_assert_cmpuint (back->len, ==, data->len);
      g_byte_array_unref (back);
      n++;
    }
  return n / ((g_get_monotonic_time () - start) / 1e6);
}

/* The serialized count_items call with @n entries, as a client sends it
 * (payload only, no frame header). */
static GByteArray *
encode_items (guint n)
{
  ThriftMemoryBuffer *mem = g_object_new (THRIFT_TYPE_MEMORY_BUFFER, "buf_size", 64u << 20, NULL);
  ThriftProtocol *proto = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", mem, NULL);
  GObject *client = g_object_new (WEFT_TYPE_ECHO_CLIENT, "input_protocol", proto,
                                  "output_protocol", proto, NULL);
  g_autoptr(GPtrArray) items = rpc_echo_items_new (n);
  g_autoptr(GError) error = NULL;
  if (!weft_echo_client_send_count_items (WEFT_ECHO_IF (client), items, &error))
    g_error ("encode: %s", error->message);
  GByteArray *out = g_byte_array_new ();
  g_byte_array_append (out, mem->buf->data, mem->buf->len);
  g_object_unref (client);
  g_object_unref (proto);
  g_object_unref (mem);
  return out;
}

typedef struct { int fd; GByteArray *frame; } Writer;

static gpointer
write_frame (gpointer data)
{
  Writer *w = data;
  g_autoptr(GError) error = NULL;
  guint8 hdr[4] = { w->frame->len >> 24, w->frame->len >> 16, w->frame->len >> 8, w->frame->len };
  if (write (w->fd, hdr, 4) != 4)
    g_error ("write");
  gsize done = 0;
  while (done < w->frame->len)
    {
      ssize_t k = write (w->fd, w->frame->data + done, w->frame->len - done);
      if (k <= 0)
        g_error ("write");
      done += (gsize) k;
    }
  return NULL;
}

static guint
read_args (ThriftProtocol *proto)
{
  g_autofree char *name = NULL;
  ThriftMessageType type;
  gint32 seqid;
  g_autoptr(GError) error = NULL;
  if (thrift_protocol_read_message_begin (proto, &name, &type, &seqid, &error) < 0)
    g_error ("decode: %s", error->message);
  weftEchoCountItemsArgs *args = g_object_new (WEFT_TYPE_ECHO_COUNT_ITEMS_ARGS, NULL);
  if (thrift_struct_read (THRIFT_STRUCT (args), proto, &error) < 0)
    g_error ("decode: %s", error->message);
  guint n = args->items->len;
  g_object_unref (args);
  return n;
}

/* Receive (from a socket), validate and decode through Weft's transport. */
static double
decode_weft_ms (GByteArray *payload, guint expect)
{
  int sv[2];
  socketpair (AF_UNIX, SOCK_STREAM, 0, sv);
  g_autoptr(WeftConf) conf = weft_conf_new ();
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);
  WeftRpcTransport *t = weft_rpc_transport_new (sv[0], &opts, WEFT_RPC_MSG_CALL, "bench");
  ThriftProtocol *proto = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", t, NULL);
  Writer w = { sv[1], payload };
  gint64 start = g_get_monotonic_time ();
  GThread *th = g_thread_new ("writer", write_frame, &w);
  g_autoptr(GError) error = NULL;
  if (!weft_rpc_transport_receive (t, -1, NULL, &error))
    g_error ("receive: %s", error->message);
  guint n = read_args (proto);
  gint64 took = g_get_monotonic_time () - start;
  g_thread_join (th);
  g_assert_cmpuint (n, ==, expect);
  g_object_unref (proto);
  g_object_unref (t);
  close (sv[1]);
  return took / 1000.0;
}

/* The same bytes through the stock framed transport over a memory buffer. */
static double
decode_stock_ms (GByteArray *payload, guint expect)
{
  ThriftMemoryBuffer *mem = g_object_new (THRIFT_TYPE_MEMORY_BUFFER, "buf_size", 64u << 20, NULL);
  guint8 hdr[4] = { payload->len >> 24, payload->len >> 16, payload->len >> 8, payload->len };
  g_byte_array_append (mem->buf, hdr, 4);
  g_byte_array_append (mem->buf, payload->data, payload->len);
  ThriftConfiguration *cfg = g_object_new (THRIFT_TYPE_CONFIGURATION, "max_message_size", 64 << 20,
                                           "max_frame_size", 64 << 20, NULL);
  ThriftTransport *framed = g_object_new (THRIFT_TYPE_FRAMED_TRANSPORT, "transport", mem,
                                          "configuration", cfg, "remainingmessagesize", 64 << 20,
                                          "knowmessagesize", 64 << 20, NULL);
  ThriftProtocol *proto = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", framed, NULL);
  gint64 start = g_get_monotonic_time ();
  guint n = read_args (proto);
  gint64 took = g_get_monotonic_time () - start;
  g_assert_cmpuint (n, ==, expect);
  g_object_unref (proto);
  g_object_unref (framed);
  g_object_unref (mem);
  return took / 1000.0;
}

/* ---- the stock 0.17 stack, side by side: ThriftSimpleServer (one connection at
 * a time) with framed transports, and a ThriftSocket + framed client. Only good
 * calls are sent to it: it crashes on garbage. ---- */

static gpointer
stock_serve (gpointer data)
{
  ThriftServer *server = data;
  thrift_server_serve (server, NULL);
  return NULL;
}

static guint16 stock_port;

static void
stock_start (GObject *processor)
{
  /* Find a free port: bind 0 with our helper, then let the stock socket take it. */
  g_autoptr(GError) error = NULL;
  int fd = weft_net_listen ("127.0.0.1", 0, 1, &stock_port, &error);
  close (fd);
  ThriftServerTransport *st = g_object_new (THRIFT_TYPE_SERVER_SOCKET, "port", stock_port, NULL);
  ThriftTransportFactory *tf = g_object_new (THRIFT_TYPE_FRAMED_TRANSPORT_FACTORY, NULL);
  ThriftProtocolFactory *pf = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL_FACTORY, NULL);
  ThriftServer *server = g_object_new (THRIFT_TYPE_SIMPLE_SERVER, "processor", processor,
                                       "server_transport", st,
                                       "input_transport_factory", tf,
                                       "output_transport_factory", tf,
                                       "input_protocol_factory", pf,
                                       "output_protocol_factory", pf, NULL);
  g_thread_unref (g_thread_new ("stock-server", stock_serve, server));
  g_usleep (100000);
}

static double
stock_calls_per_second (void)
{
  ThriftSocket *sock = g_object_new (THRIFT_TYPE_SOCKET, "hostname", "127.0.0.1",
                                     "port", stock_port, NULL);
  ThriftTransport *t = g_object_new (THRIFT_TYPE_FRAMED_TRANSPORT, "transport", sock, NULL);
  ThriftProtocol *p = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", t, NULL);
  GObject *client = g_object_new (WEFT_TYPE_ECHO_CLIENT, "input_protocol", p, "output_protocol", p,
                                  NULL);
  g_autoptr(GError) error = NULL;
  if (!thrift_transport_open (t, &error))
    g_error ("stock connect: %s", error->message);
  gint64 start = g_get_monotonic_time (), until = start + (gint64) (seconds * 1e6);
  guint64 n = 0;
  while (g_get_monotonic_time () < until)
    for (int i = 0; i < 100; i++, n++)
      {
        gint64 out;
        if (!weft_echo_if_ping (WEFT_ECHO_IF (client), &out, i, &error))
          g_error ("stock ping: %s", error->message);
      }
  double rate = n / ((g_get_monotonic_time () - start) / 1e6);
  /* Left open on purpose: the stock simple server dereferences an unset
   * GError when its client disconnects and brings the process down
   * (THRIFT-NOTES.md); the process exit closes it. */
  return rate;
}

int
main (int argc, char **argv)
{
  gboolean stock = TRUE;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = g_ascii_strtod (argv[++i], NULL);
    else if (strcmp (argv[i], "--no-stock") == 0)
      stock = FALSE;

  g_autoptr(WeftConf) conf = weft_conf_new ();
  WeftRpcOptions opts;
  weft_rpc_options_from_conf (&opts, conf);
  opts.max_message_size = 64u << 20;
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftRpcServer) server = rpc_echo_server_start (&opts, 0, &error);
  if (server == NULL)
    g_error ("%s", error->message);
  guint16 port = weft_rpc_server_get_port (server);

  double one = calls_per_second (port, &opts, 1);
  printf ("rpc small call, 1 client thread:    %8.0f calls/s  (%.1f us per call)\n", one, 1e6 / one);
  if (stock)
    {
      g_autoptr(GObject) processor = rpc_echo_processor_new ();
      stock_start (processor);
      double st = stock_calls_per_second ();
      printf ("  stock 0.17 simple server + framed, 1 thread: %8.0f calls/s; weft / stock = %.2f\n",
              st, one / st);
    }
  double sixteen = calls_per_second (port, &opts, 16);
  printf ("rpc small call, 16 client threads:  %8.0f calls/s\n", sixteen);
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (port, &opts);
  double mib = echo_mib_per_second (c);
  printf ("rpc 1 MiB binary echo:              %8.0f MiB/s each way\n", mib);

  double w10 = 0, w40 = 0;
  for (guint n = 10000; n <= 40000; n *= 4)
    {
      g_autoptr(GByteArray) payload = encode_items (n);
      double w = 1e9;
      for (int r = 0; r < 5; r++)
        w = MIN (w, decode_weft_ms (payload, n));
      if (n == 10000)
        w10 = w;
      w40 = w;
      printf ("decode %5u entries (%4.1f MB): weft %7.1f ms\n", n, payload->len / 1e6, w);
    }
  printf ("decode growth for 4x the entries: weft x%.1f (linear = x4)\n",
          w40 / w10);
  /* The stock transport is quadratic: 40 k entries take ~40 s, so compare
   * it on 5 k and 10 k (2x the entries: linear x2, quadratic x4). */
  if (stock)
    {
      g_autoptr(GByteArray) p5 = encode_items (5000);
      g_autoptr(GByteArray) p10 = encode_items (10000);
      double s5 = decode_stock_ms (p5, 5000), s10 = decode_stock_ms (p10, 10000);
      double w5 = decode_weft_ms (p5, 5000), w10b = decode_weft_ms (p10, 10000);
      printf ("decode  5000 / 10000 entries: weft %.1f / %.1f ms (x%.1f), stock framed %.1f / %.1f ms (x%.1f)\n",
              w5, w10b, w10b / w5, s5, s10, s10 / s5);
    }
  return 0;
}
