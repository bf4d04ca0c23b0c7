/* Tests for the RPC layer (weft-net, weft-rpc-transport, -server, -client)
 * against a real echo server on loopback: round trips, 64 concurrent
 * clients, every crafted input of THRIFT-NOTES.md under a memory limit
 * (also against an ExecutorEndpoint, whose calls read a Token and a
 * list<binary> before any handler runs), silent and stalled peers,
 * timeouts, a server killed mid-call, retries, the connection cap,
 * shutdown, and memory held flat over many calls; and the generated readers
 * as thrift/fix-generated.awk patches them, fed bytes directly.
 * Re-executed with --echo-server PORT it is the out-of-process server the
 * kill tests need. */
#include <errno.h>
#include <gio/gio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/transport/thrift_transport.h>

#include "rpc-echo.h"
#include "weft-net.h"
#include "weft_executor_endpoint.h"

static const char *self_exe;

static WeftRpcOptions
test_options (void)
{
  g_autoptr(WeftConf) conf = weft_conf_new ();
  WeftRpcOptions o;
  weft_rpc_options_from_conf (&o, conf);
  o.connect_timeout_us = 2 * G_USEC_PER_SEC;
  o.call_timeout_us = 5 * G_USEC_PER_SEC;
  o.idle_timeout_us = 5 * G_USEC_PER_SEC;
  o.retries = 0;
  o.retry_backoff_us = 50 * 1000;
  return o;
}

typedef struct {
  WeftRpcOptions opts;
  WeftRpcServer *server;
  guint16 port;
  WeftRpcClient *client;
  WeftRpcServer *executor; /* some crafted-input tests only: see run_crafted() */
  guint16 executor_port;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->opts = test_options ();
  if (data != NULL)
    {
      const WeftRpcOptions *o = data;
      f->opts = *o;
    }
  rpc_echo_reset ();
  f->server = rpc_echo_server_start (&f->opts, 0, &error);
  g_assert_no_error (error);
  f->port = weft_rpc_server_get_port (f->server);
  g_assert_cmpuint (f->port, >, 0);
  WeftRpcOptions copts = test_options ();
  f->client = rpc_echo_client_new (f->port, &copts);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  weft_rpc_client_free (f->client);
  weft_rpc_server_free (f->server);
  weft_rpc_server_free (f->executor);
}

static void
assert_alive (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  WeftRpcOptions o = test_options ();
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (f->port, &o);
  gint64 out = 0;
  g_assert_true (rpc_echo_ping (c, 41, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out, ==, 42);
}

/* ---- an executor endpoint --------------------------------------------- */

/* The daemons' own IDL (thrift/executor.thrift): launch_tasks reads a
 * common.Token and a list<binary> before the handler can check either, as
 * every authenticated call of every daemon does. The handler counts what
 * reaches it. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftExecutorEndpointHandler, g_object_unref)

#define TEST_TYPE_EXECUTOR (test_executor_get_type ())
G_DECLARE_FINAL_TYPE (TestExecutor, test_executor, TEST, EXECUTOR, weftExecutorEndpointHandler)
struct _TestExecutor { weftExecutorEndpointHandler parent; };
G_DEFINE_TYPE (TestExecutor, test_executor, WEFT_TYPE_EXECUTOR_ENDPOINT_HANDLER)

static gint launches, launched_tasks;

static gboolean
x_launch_tasks (weftExecutorEndpointIf *iface, const weftToken *auth, const GPtrArray *tasks,
                weftWeftException **err, GError **error)
{
  if (auth == NULL || g_strcmp0 (auth->kind, "weft-app") != 0 || auth->identifier == NULL)
    return weft_rpc_exception_set (err, WEFT_ERROR_CODE_UNAUTHENTICATED, "no token");
  g_atomic_int_inc (&launches);
  g_atomic_int_add (&launched_tasks, tasks ? (gint) tasks->len : 0);
  return TRUE;
}

static gboolean
x_fetch_segments (weftExecutorEndpointIf *iface, GPtrArray **ret, const weftToken *auth,
                  const GPtrArray *requests, weftWeftException **err, GError **error)
{
  return TRUE;
}

static gboolean
x_stop_executor (weftExecutorEndpointIf *iface, const weftToken *auth, const gchar *reason,
                 weftWeftException **err, GError **error)
{
  return TRUE;
}

static void
test_executor_class_init (TestExecutorClass *klass)
{
  weftExecutorEndpointHandlerClass *h = WEFT_EXECUTOR_ENDPOINT_HANDLER_CLASS (klass);
  h->launch_tasks = x_launch_tasks;
  h->fetch_segments = x_fetch_segments;
  h->stop_executor = x_stop_executor;
}

static void
test_executor_init (TestExecutor *self)
{
}

static void
executor_start (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) handler = g_object_new (TEST_TYPE_EXECUTOR, NULL);
  g_autoptr(GObject) processor =
    g_object_new (WEFT_TYPE_EXECUTOR_ENDPOINT_PROCESSOR, "handler", handler, NULL);
  f->executor = weft_rpc_server_new ("executor", THRIFT_PROCESSOR (processor), &f->opts);
  g_assert_true (weft_rpc_server_start (f->executor, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  f->executor_port = weft_rpc_server_get_port (f->executor);
  g_atomic_int_set (&launches, 0);
  g_atomic_int_set (&launched_tasks, 0);
}

typedef struct { weftToken *auth; GPtrArray *tasks; } LaunchArgs;

static gboolean
call_launch (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  LaunchArgs *a = data;
  return weft_executor_endpoint_if_launch_tasks (WEFT_EXECUTOR_ENDPOINT_IF (client), a->auth,
                                                 a->tasks, ex, error);
}

static GByteArray *
bytes_of (const char *s)
{
  GByteArray *b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
  return b;
}

/* A well-formed launch_tasks with two tasks reaches the handler. */
static void
assert_executor_alive (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  WeftRpcOptions o = test_options ();
  g_autoptr(WeftRpcClient) c = weft_rpc_client_new ("127.0.0.1", f->executor_port,
                                                    WEFT_TYPE_EXECUTOR_ENDPOINT_CLIENT, &o);
  weftToken *auth = g_object_new (WEFT_TYPE_TOKEN, "kind", "weft-app", "expiry_ms",
                                  G_GINT64_CONSTANT (1) << 40, NULL);
  auth->identifier = bytes_of ("application_1_0001");
  auth->password = bytes_of ("0123456789abcdef0123456789abcdef");
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  g_ptr_array_add (tasks, bytes_of ("task 0"));
  g_ptr_array_add (tasks, bytes_of ("task 1"));
  gint before = g_atomic_int_get (&launches), before_tasks = g_atomic_int_get (&launched_tasks);
  LaunchArgs a = { auth, tasks };
  gboolean ok = weft_rpc_client_call (c, "launch_tasks", WEFT_RPC_ONCE, call_launch, &a, &error);
  g_object_unref (auth);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (g_atomic_int_get (&launches), ==, before + 1);
  g_assert_cmpint (g_atomic_int_get (&launched_tasks), ==, before_tasks + 2);
}

/* ---- round trips ------------------------------------------------------ */

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 out = 0;
  g_assert_true (rpc_echo_ping (f->client, 1, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out, ==, 2);

  /* 1 MiB of distinct bytes comes back identical. */
  g_autoptr(GByteArray) big = g_byte_array_sized_new (1 << 20);
  for (guint i = 0; i < (1u << 20); i++)
    {
      guint8 b = (guint8) (i * 2654435761u >> 24);
      g_byte_array_append (big, &b, 1);
    }
  g_autoptr(GByteArray) back = NULL;
  g_assert_true (rpc_echo_echo (f->client, big, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (back->data, back->len, big->data, big->len);

  g_autoptr(GPtrArray) items = rpc_echo_items_new (10000);
  gint32 n = 0;
  g_assert_true (rpc_echo_count (f->client, items, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 10000);

  /* One connection carried all of it. */
  g_assert_cmpuint (weft_rpc_client_get_connects (f->client), ==, 1);
}

static void
test_declared_exception (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_assert_false (rpc_echo_fail (f->client, WEFT_ERROR_CODE_NOT_FOUND,
                                 "application_1_0001 is not known", &error));
  g_assert_error (error, WEFT_REMOTE_ERROR, WEFT_ERROR_CODE_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "application_1_0001 is not known"));
  g_assert_nonnull (strstr (error->message, "NOT_FOUND"));
  /* A declared exception leaves the connection usable. */
  gint64 out;
  g_clear_error (&error);
  g_assert_true (rpc_echo_ping (f->client, 1, &out, &error));
  g_assert_cmpuint (weft_rpc_client_get_connects (f->client), ==, 1);
}

static void
test_too_large (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) huge = g_byte_array_sized_new (9 << 20);
  g_byte_array_set_size (huge, 9 << 20);
  memset (huge->data, 'x', huge->len);
  g_autoptr(GByteArray) back = NULL;
  g_assert_false (rpc_echo_echo (f->client, huge, &back, &error));
  g_assert_error (error, WEFT_RPC_ERROR, WEFT_RPC_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "rpc.max-message-size"));
  gint64 out;
  g_clear_error (&error);
  g_assert_true (rpc_echo_ping (f->client, 1, &out, &error));
  g_assert_no_error (error);
}

/* ---- concurrency ------------------------------------------------------ */

#define N_CONCURRENT 64

static gpointer
sleeper (gpointer data)
{
  guint16 port = GPOINTER_TO_UINT (data);
  WeftRpcOptions o = test_options ();
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (port, &o);
  GError *error = NULL;
  /* 2 s: long enough that all 64 calls overlap even on a loaded machine. */
  gboolean ok = rpc_echo_sleep (c, 2000, WEFT_RPC_ONCE, &error);
  if (!ok)
    g_printerr ("sleeper: %s\n", error->message);
  g_clear_error (&error);
  return GINT_TO_POINTER (ok);
}

static void
test_concurrent (Fixture *f, gconstpointer data)
{
  GThread *threads[N_CONCURRENT];
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < N_CONCURRENT; i++)
    threads[i] = g_thread_new ("sleeper", sleeper, GUINT_TO_POINTER (f->port));
  int ok = 0;
  for (int i = 0; i < N_CONCURRENT; i++)
    ok += GPOINTER_TO_INT (g_thread_join (threads[i]));
  gint64 elapsed = g_get_monotonic_time () - start;
  g_assert_cmpint (ok, ==, N_CONCURRENT);
  /* Observed in the server: all 64 calls were inside the handler at once. */
  g_assert_cmpint (rpc_echo_max_concurrent_sleeps (), ==, N_CONCURRENT);
  g_test_message ("64 calls of 2 s served in %.2f s (one at a time: 128 s)", elapsed / 1e6);
  g_assert_cmpint (elapsed, <, 20 * G_USEC_PER_SEC);
  WeftRpcServerStats st;
  weft_rpc_server_get_stats (f->server, &st);
  g_assert_cmpuint (st.connections_accepted, >=, N_CONCURRENT);
}

/* ---- crafted input ---------------------------------------------------- */

static void
put_i32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (b, x, 4);
}

static void
put_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
put_field (GByteArray *b, guint8 type, gint16 id)
{
  put_u8 (b, type);
  put_u8 (b, (guint8) ((guint16) id >> 8));
  put_u8 (b, (guint8) id);
}

static void
put_str (GByteArray *b, const char *s)
{
  put_i32 (b, (guint32) strlen (s));
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
}

static void
put_call (GByteArray *b, const char *method)
{
  put_i32 (b, 0x80010001u);
  put_i32 (b, (guint32) strlen (method));
  g_byte_array_append (b, (const guint8 *) method, (guint) strlen (method));
  put_i32 (b, 0);
}

static GByteArray *
framed (GByteArray *payload)
{
  GByteArray *f = g_byte_array_new ();
  put_i32 (f, payload->len);
  g_byte_array_append (f, payload->data, payload->len);
  return f;
}

/* Sends @bytes raw, then reads until the server closes the connection.
 * Returns what the server sent back (possibly an exception frame). */
static GByteArray *
send_raw (guint16 port, const guint8 *bytes, gsize len, gint64 wait_us)
{
  g_autoptr(GError) error = NULL;
  int fd = weft_net_connect ("127.0.0.1", port, G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  if (len > 0)
    {
      /* The server may close as soon as it has seen enough: ignore EPIPE. */
      GError *e = NULL;
      weft_net_write_full (fd, bytes, len, g_get_monotonic_time () + G_USEC_PER_SEC, -1, &e);
      g_clear_error (&e);
    }
  GByteArray *reply = g_byte_array_new ();
  gint64 deadline = g_get_monotonic_time () + wait_us;
  for (;;)
    {
      GError *e = NULL;
      if (!weft_net_wait_readable (fd, deadline, -1, &e))
        {
          g_error ("server did not close the connection: %s", e->message);
        }
      guint8 buf[4096];
      ssize_t n = recv (fd, buf, sizeof buf, 0);
      if (n <= 0)
        break; /* closed (0) or reset (-1): either way the server hung up */
      g_byte_array_append (reply, buf, (guint) n);
    }
  close (fd);
  return reply;
}

static gboolean
contains (GByteArray *b, const char *needle)
{
  return b->len > 0 && memmem (b->data, b->len, needle, strlen (needle)) != NULL;
}

static void
limit_memory (void)
{
#if !defined(__SANITIZE_ADDRESS__)
  /* 1 GiB of address space: a 2 GiB allocation would abort the process. */
  struct rlimit rl = { 1ul << 30, 1ul << 30 };
  g_assert_cmpint (setrlimit (RLIMIT_AS, &rl), ==, 0);
#endif
}

typedef void (*CraftFunc) (Fixture *f);
static WeftRpcOptions short_timeouts;

enum {
  CRAFT_EXECUTOR = 1 << 0,  /* also serve an executor endpoint, for @craft to attack */
  CRAFT_BY_READER = 1 << 1, /* well formed for the validator: only the generated reader,
                             * which knows the IDL, refuses it (not a bad frame) */
};

/* Runs @craft in a subprocess under a memory limit against a fresh echo
 * server (and executor endpoint), then checks each still answers a
 * well-formed call and, unless CRAFT_BY_READER, that a bad frame was
 * counted. The executor endpoint is started only for the crafts aimed at
 * it: under the 1 GiB address-space limit, a craft that opens many
 * connections leaves no room for the threads of a second server's pool
 * (each thread's stack and malloc arena reserve address space). */
static void
run_crafted (CraftFunc craft, guint flags)
{
  if (g_test_subprocess ())
    {
      limit_memory ();
      Fixture f = { 0 };
      /* Short timeouts: random bytes often announce a longer frame than they
       * send, and the server rightly waits the call timeout for the rest. */
      fixture_setup (&f, &short_timeouts);
      if (flags & CRAFT_EXECUTOR)
        executor_start (&f);
      craft (&f);
      assert_alive (&f);
      WeftRpcServerStats st = { 0 }, xst = { 0 };
      weft_rpc_server_get_stats (f.server, &st);
      if (flags & CRAFT_EXECUTOR)
        {
          assert_executor_alive (&f);
          weft_rpc_server_get_stats (f.executor, &xst);
        }
      if (!(flags & CRAFT_BY_READER))
        g_assert_cmpuint (st.bad_frames + xst.bad_frames, >=, 1);
      fixture_teardown (&f, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
craft_zero_frame (Fixture *f)
{
  static const guint8 zero[4] = { 0 };
  g_autoptr(GByteArray) r = send_raw (f->port, zero, 4, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (r->len, ==, 0);
}

static void
craft_binary_50mb (Fixture *f)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  put_call (p, "echo");
  put_u8 (p, T_STRING);
  put_u8 (p, 0);
  put_u8 (p, 1);
  put_i32 (p, 50u << 20);
  g_byte_array_set_size (p, p->len + 100 * 1024);
  g_autoptr(GByteArray) fr = framed (p);
  g_autoptr(GByteArray) r = send_raw (f->port, fr->data, fr->len, 2 * G_USEC_PER_SEC);
  /* The header was readable, so the refusal comes back as an exception. */
  g_assert_true (contains (r, "string needs 52428800 bytes"));
}

static void
craft_method_2gib (Fixture *f)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  put_i32 (p, 0x80010001u);
  put_i32 (p, 0x7fffffffu);
  put_i32 (p, 0);
  g_autoptr(GByteArray) fr = framed (p);
  g_autoptr(GByteArray) r = send_raw (f->port, fr->data, fr->len, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (r->len, ==, 0);
}

static void
craft_deep_nesting (Fixture *f)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  put_call (p, "ping");
  for (int i = 0; i < 100000; i++)
    {
      put_u8 (p, T_STRUCT);
      put_u8 (p, 0);
      put_u8 (p, 99);
    }
  for (int i = 0; i <= 100000; i++)
    put_u8 (p, T_STOP);
  g_assert_cmpuint (p->len, >=, 400000);
  g_autoptr(GByteArray) fr = framed (p);
  g_autoptr(GByteArray) r = send_raw (f->port, fr->data, fr->len, 2 * G_USEC_PER_SEC);
  g_assert_true (contains (r, "nesting deeper than"));
}

static void
craft_frame_2gib (Fixture *f)
{
  static const guint8 hdr[8] = { 0x7f, 0xff, 0xff, 0xff, 0x80, 0x01, 0x00, 0x01 };
  g_autoptr(GByteArray) r = send_raw (f->port, hdr, sizeof hdr, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (r->len, ==, 0);
}

static void
craft_list_2pow30 (Fixture *f)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  put_call (p, "count_items");
  put_u8 (p, T_LIST);
  put_u8 (p, 0);
  put_u8 (p, 1);
  put_u8 (p, T_STRUCT);
  put_i32 (p, 1u << 30);
  put_u8 (p, T_STOP);
  g_autoptr(GByteArray) fr = framed (p);
  g_autoptr(GByteArray) r = send_raw (f->port, fr->data, fr->len, 2 * G_USEC_PER_SEC);
  g_assert_true (contains (r, "declares 1073741824 elements"));
}

static void
craft_random (Fixture *f)
{
  GRand *rand = g_rand_new_with_seed (4242);
  for (int i = 0; i < 300; i++)
    {
      g_autoptr(GByteArray) junk = g_byte_array_new ();
      guint n = g_rand_int_range (rand, 1, 4096);
      if (i % 3 == 0)
        put_i32 (junk, n); /* a plausible frame header before the junk */
      else if (i % 3 == 1)
        put_call (junk, "ping"); /* a plausible call header, unframed */
      for (guint j = 0; j < n; j++)
        put_u8 (junk, (guint8) g_rand_int_range (rand, 0, 256));
      g_autoptr(GByteArray) r = send_raw (f->port, junk->data, junk->len, 5 * G_USEC_PER_SEC);
    }
  g_rand_free (rand);
}

static void
craft_unknown_method (Fixture *f)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  put_call (p, "no_such_method");
  put_u8 (p, T_STOP);
  g_autoptr(GByteArray) fr = framed (p);
  /* The stock processor answers an unknown method and keeps the connection
   * open; close our end after the reply arrives. */
  g_autoptr(GError) error = NULL;
  int fd = weft_net_connect ("127.0.0.1", f->port, G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_assert_true (weft_net_write_full (fd, fr->data, fr->len, -1, -1, &error));
  guint8 hdr[4];
  g_assert_true (weft_net_read_full (fd, hdr, 4, g_get_monotonic_time () + 2 * G_USEC_PER_SEC,
                                     -1, &error));
  guint32 len = ((guint32) hdr[0] << 24) | (hdr[1] << 16) | (hdr[2] << 8) | hdr[3];
  g_assert_cmpuint (len, <, 4096);
  g_autofree guint8 *body = g_malloc (len);
  g_assert_true (weft_net_read_full (fd, body, len, g_get_monotonic_time () + 2 * G_USEC_PER_SEC,
                                     -1, &error));
  g_assert_nonnull (memmem (body, len, "Invalid method name", 19));
  close (fd);
  /* That one was not a bad frame; send one so the harness's count holds. */
  craft_zero_frame (f);
}

static void
craft_disconnects (Fixture *f)
{
  /* Half a frame, then gone; a whole call, then gone before the reply. */
  g_autoptr(GByteArray) p = g_byte_array_new ();
  put_call (p, "sleep_ms");
  put_u8 (p, T_I32);
  put_u8 (p, 0);
  put_u8 (p, 1);
  put_i32 (p, 200);
  put_u8 (p, T_STOP);
  g_autoptr(GByteArray) fr = framed (p);
  for (int i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;
      int fd = weft_net_connect ("127.0.0.1", f->port, G_USEC_PER_SEC, &error);
      g_assert_no_error (error);
      gsize n = i % 2 ? fr->len : fr->len / 2;
      g_assert_true (weft_net_write_full (fd, fr->data, n, -1, -1, &error));
      /* RST instead of FIN on close. */
      struct linger lg = { 1, 0 };
      setsockopt (fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close (fd);
    }
  g_usleep (300 * 1000);
  craft_zero_frame (f);
}

/* A Token whose binary field comes twice: the stock reader freed the first
 * GByteArray with g_free() and glibc aborted the daemon, from ~60 bytes
 * sent before any authentication. The validator refuses the repeat. */
static void
craft_token_repeated_binary (Fixture *f)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  put_call (p, "launch_tasks");
  put_field (p, T_STRUCT, 1); /* auth */
  put_field (p, T_STRING, 1);
  put_str (p, "weft-app");
  put_field (p, T_STRING, 2);
  put_str (p, "id");
  put_field (p, T_STRING, 2);
  put_str (p, "id again");
  put_u8 (p, T_STOP);
  put_u8 (p, T_STOP);
  g_autoptr(GByteArray) fr = framed (p);
  g_autoptr(GByteArray) r = send_raw (f->executor_port, fr->data, fr->len, 2 * G_USEC_PER_SEC);
  g_assert_true (contains (r, "field 2 appears twice in one struct"));
  g_assert_cmpint (g_atomic_int_get (&launches), ==, 0);
}

/* launch_tasks' list<binary> sent as a list<i32>. The validator walks
 * 2^20 integers, which the frame holds; the stock reader read each as a
 * binary, took 0x7fffffff for its length and allocated 2 GiB at once (an
 * abort under the memory limit). Small integers instead made it hand the
 * handler 1000 empty tasks. The reader now checks the declared element
 * type and fails the call; the server closes the connection unanswered. */
static void
craft_list_binary_as_i32 (Fixture *f)
{
  const guint32 counts[] = { 1u << 20, 1000 }, values[] = { 0x7fffffffu, 0 };
  for (guint k = 0; k < G_N_ELEMENTS (counts); k++)
    {
      g_autoptr(GByteArray) p = g_byte_array_new ();
      put_call (p, "launch_tasks");
      put_field (p, T_STRUCT, 1);
      put_field (p, T_STRING, 1);
      put_str (p, "weft-app");
      put_u8 (p, T_STOP);
      put_field (p, T_LIST, 2); /* tasks */
      put_u8 (p, T_I32);
      put_i32 (p, counts[k]);
      for (guint32 i = 0; i < counts[k]; i++)
        put_i32 (p, values[k]);
      put_u8 (p, T_STOP);
      g_autoptr(GByteArray) fr = framed (p);
      g_autoptr(GByteArray) r = send_raw (f->executor_port, fr->data, fr->len,
                                          5 * G_USEC_PER_SEC);
      g_assert_cmpuint (r->len, ==, 0);
    }
  g_assert_cmpint (g_atomic_int_get (&launches), ==, 0);
  WeftRpcServerStats st;
  weft_rpc_server_get_stats (f->executor, &st);
  g_assert_cmpuint (st.calls, ==, 0);
}

/* sleep_ms (1: i32 ms) with its field twice, then a field id outside the
 * validator's bitmap twice: refused, whatever the type. */
static void
craft_repeated_i32 (Fixture *f)
{
  for (int k = 0; k < 2; k++)
    {
      gint16 id = k == 0 ? 1 : 1000;
      g_autoptr(GByteArray) p = g_byte_array_new ();
      put_call (p, "sleep_ms");
      put_field (p, T_I32, id);
      put_i32 (p, 1);
      put_field (p, T_I32, id);
      put_i32 (p, 2);
      put_u8 (p, T_STOP);
      g_autoptr(GByteArray) fr = framed (p);
      g_autoptr(GByteArray) r = send_raw (f->port, fr->data, fr->len, 2 * G_USEC_PER_SEC);
      g_autofree char *want = g_strdup_printf ("field %d appears twice in one struct", id);
      g_assert_true (contains (r, want));
    }
}

/* count_items: the second EchoItem of the list has its i32 field twice;
 * the same ids in the first item and in the args struct are no repeat. */
static void
craft_nested_repeated_i32 (Fixture *f)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  put_call (p, "count_items");
  put_field (p, T_LIST, 1);
  put_u8 (p, T_STRUCT);
  put_i32 (p, 2);
  put_field (p, T_STRING, 1);
  put_str (p, "c1");
  put_field (p, T_I32, 2);
  put_i32 (p, 3);
  put_u8 (p, T_STOP);
  put_field (p, T_STRING, 1);
  put_str (p, "c2");
  put_field (p, T_I32, 2);
  put_i32 (p, 3);
  put_field (p, T_STRING, 5);
  put_str (p, "note");
  put_field (p, T_I32, 2);
  put_i32 (p, 4);
  put_u8 (p, T_STOP);
  put_u8 (p, T_STOP);
  g_autoptr(GByteArray) fr = framed (p);
  g_autoptr(GByteArray) r = send_raw (f->port, fr->data, fr->len, 2 * G_USEC_PER_SEC);
  g_assert_true (contains (r, "field 2 appears twice in one struct"));
}

#define CRAFTED_WITH(name, fn, flags) \
  static void test_crafted_##fn (void) { run_crafted (craft_##fn, flags); }
#define CRAFTED(name, fn) CRAFTED_WITH (name, fn, 0)
CRAFTED ("zero-length-frame", zero_frame)
CRAFTED ("binary-50mb", binary_50mb)
CRAFTED ("method-name-2gib", method_2gib)
CRAFTED ("nesting-100000", deep_nesting)
CRAFTED ("frame-2gib", frame_2gib)
CRAFTED ("list-2pow30", list_2pow30)
CRAFTED ("random-bytes-x300", random)
CRAFTED ("unknown-method", unknown_method)
CRAFTED ("abrupt-disconnects", disconnects)
CRAFTED_WITH ("token-repeated-binary", token_repeated_binary, CRAFT_EXECUTOR)
CRAFTED_WITH ("list-binary-as-i32", list_binary_as_i32, CRAFT_EXECUTOR | CRAFT_BY_READER)
CRAFTED ("repeated-i32", repeated_i32)
CRAFTED ("nested-repeated-i32", nested_repeated_i32)

/* ---- the generated readers -------------------------------------------- */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftEchoShapes, g_object_unref)

/* A transport over memory that checks nothing: it hands the generated
 * readers what the validator would refuse, to test them on their own. */
typedef struct { ThriftTransport parent; const guint8 *p, *end; } MemIn;
typedef struct { ThriftTransportClass parent_class; } MemInClass;
static GType mem_in_get_type (void);
G_DEFINE_TYPE (MemIn, mem_in, THRIFT_TYPE_TRANSPORT)

static gint32
mem_in_read (ThriftTransport *t, gpointer buf, guint32 len, GError **error)
{
  MemIn *m = (MemIn *) t;
  if (len > (gsize) (m->end - m->p))
    {
      g_set_error (error, THRIFT_TRANSPORT_ERROR, THRIFT_TRANSPORT_ERROR_RECEIVE, "short read");
      return -1;
    }
  memcpy (buf, m->p, len);
  m->p += len;
  return (gint32) len;
}

static gboolean
mem_in_check (ThriftTransport *t, glong n, GError **error)
{
  MemIn *m = (MemIn *) t;
  if (n >= 0 && n <= m->end - m->p)
    return TRUE;
  g_set_error (error, THRIFT_TRANSPORT_ERROR, THRIFT_TRANSPORT_ERROR_RECEIVE, "too few bytes");
  return FALSE;
}

static gboolean
mem_in_true (ThriftTransport *t, GError **error)
{
  return TRUE;
}

static gboolean
mem_in_is_open (ThriftTransport *t)
{
  return TRUE;
}

static void
mem_in_class_init (MemInClass *klass)
{
  ThriftTransportClass *tt = THRIFT_TRANSPORT_CLASS (klass);
  tt->read = mem_in_read;
  tt->read_all = mem_in_read;
  tt->read_end = mem_in_true;
  tt->is_open = mem_in_is_open;
  tt->checkReadBytesAvailable = mem_in_check;
}

static void
mem_in_init (MemIn *self)
{
}

/* Reads @b (one struct's fields and its STOP) into @obj. */
static gboolean
decode (GByteArray *b, gpointer obj, GError **error)
{
  MemIn *in = g_object_new (mem_in_get_type (), NULL);
  in->p = b->data;
  in->end = b->data + b->len;
  ThriftProtocol *proto = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL, "transport", in, NULL);
  gboolean ok = thrift_struct_read (THRIFT_STRUCT (obj), proto, error) >= 0;
  if (ok && in->p != in->end)
    g_error ("decode: %td bytes left", in->end - in->p);
  g_object_unref (proto);
  g_object_unref (in);
  return ok;
}

static void
put_container (GByteArray *b, guint8 kind, gint16 id, guint8 t1, guint8 t2, guint32 count)
{
  put_field (b, kind, id);
  put_u8 (b, t1);
  if (kind == T_MAP)
    put_u8 (b, t2);
  put_i32 (b, count);
}

/* Decodes @b (closed with a STOP here) into a new EchoShapes; returns it, or
 * NULL with the reader's error. */
static weftEchoShapes *
decode_shapes (GByteArray *b, GError **error)
{
  put_u8 (b, T_STOP);
  weftEchoShapes *s = g_object_new (WEFT_TYPE_ECHO_SHAPES, NULL);
  if (!decode (b, s, error))
    g_clear_object (&s);
  return s;
}

static void
expect_type_refused (GByteArray *b, const char *want)
{
  g_autoptr(GError) error = NULL;
  weftEchoShapes *s = decode_shapes (b, &error);
  g_assert_null (s);
  g_assert_error (error, THRIFT_PROTOCOL_ERROR, THRIFT_PROTOCOL_ERROR_INVALID_DATA);
  if (strstr (error->message, want) == NULL)
    g_error ("expected \"%s\" in \"%s\"", want, error->message);
}

static void
test_reader_element_types (void)
{
  g_autoptr(GError) error = NULL;

  /* Each container with the IDL's types decodes... */
  g_autoptr(GByteArray) good = g_byte_array_new ();
  put_container (good, T_LIST, 1, T_STRING, 0, 2); /* blobs */
  put_str (good, "ab");
  put_str (good, "c");
  put_container (good, T_LIST, 2, T_I32, 0, 2); /* ints */
  put_i32 (good, 5);
  put_i32 (good, 6);
  put_container (good, T_LIST, 3, T_STRUCT, 0, 1); /* items */
  put_field (good, T_I32, 2);
  put_i32 (good, 7);
  put_u8 (good, T_STOP);
  put_container (good, T_LIST, 4, T_I32, 0, 1); /* codes */
  put_i32 (good, WEFT_ERROR_CODE_NOT_FOUND);
  put_container (good, T_LIST, 5, T_LIST, 0, 1); /* nested */
  put_u8 (good, T_I64);
  put_i32 (good, 1);
  put_i32 (good, 0);
  put_i32 (good, 8);
  put_container (good, T_SET, 6, T_STRING, 0, 1); /* names */
  put_str (good, "n");
  put_container (good, T_MAP, 7, T_STRING, T_STRING, 1); /* blob_map */
  put_str (good, "k");
  put_str (good, "v");
  put_container (good, T_MAP, 8, T_LIST, T_STRING, 1); /* list_keys */
  put_u8 (good, T_I32);
  put_i32 (good, 1);
  put_i32 (good, 9);
  put_str (good, "nine");
  put_container (good, T_MAP, 9, T_I32, T_MAP, 1); /* map_of_maps */
  put_i32 (good, 10);
  put_u8 (good, T_STRING);
  put_u8 (good, T_STRUCT);
  put_i32 (good, 1);
  put_str (good, "ten");
  put_u8 (good, T_STOP);
  g_autoptr(weftEchoShapes) s = decode_shapes (good, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  g_assert_cmpuint (s->blobs->len, ==, 2);
  GByteArray *b0 = g_ptr_array_index (s->blobs, 0);
  g_assert_cmpmem (b0->data, b0->len, "ab", 2);
  g_assert_cmpuint (s->ints->len, ==, 2);
  g_assert_cmpint (g_array_index (s->ints, gint32, 1), ==, 6);
  g_assert_cmpint (((weftEchoItem *) g_ptr_array_index (s->items, 0))->state, ==, 7);
  g_assert_cmpint (g_array_index (s->codes, gint32, 0), ==, WEFT_ERROR_CODE_NOT_FOUND);
  g_assert_cmpint (g_array_index ((GArray *) g_ptr_array_index (s->nested, 0), gint64, 0), ==, 8);
  g_assert_true (g_hash_table_contains (s->names, "n"));
  g_assert_cmpuint (g_hash_table_size (s->blob_map), ==, 1);
  g_assert_cmpuint (g_hash_table_size (s->list_keys), ==, 1);
  GHashTable *inner = g_hash_table_lookup (s->map_of_maps, &(gint32) { 10 });
  g_assert_nonnull (inner);
  g_assert_true (g_hash_table_contains (inner, "ten"));

  /* An empty container is let through whatever it declares: nothing is
   * read from it. */
  g_autoptr(GByteArray) empty = g_byte_array_new ();
  put_container (empty, T_LIST, 2, T_STRING, 0, 0);
  g_autoptr(weftEchoShapes) s2 = decode_shapes (empty, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (s2->ints->len, ==, 0);

  /* Declared otherwise, each is refused before any element is read. The
   * stock reader took these integers for binary lengths and allocated
   * 0x7fffffff bytes for the first. */
  g_autoptr(GByteArray) a = g_byte_array_new ();
  put_container (a, T_LIST, 1, T_I32, 0, 3);
  for (int i = 0; i < 3; i++)
    put_i32 (a, 0x7fffffff);
  expect_type_refused (a, "list of wire type 8 where the IDL has 11");

  g_autoptr(GByteArray) b = g_byte_array_new ();
  put_container (b, T_LIST, 2, T_STRING, 0, 1);
  put_str (b, "four");
  expect_type_refused (b, "list of wire type 11 where the IDL has 8");

  g_autoptr(GByteArray) c = g_byte_array_new ();
  put_container (c, T_LIST, 3, T_I64, 0, 1);
  put_i32 (c, 0);
  put_i32 (c, 0);
  expect_type_refused (c, "list of wire type 10 where the IDL has 12");

  g_autoptr(GByteArray) d = g_byte_array_new ();
  put_container (d, T_LIST, 4, T_I64, 0, 1);
  put_i32 (d, 0);
  put_i32 (d, 3);
  expect_type_refused (d, "list of wire type 10 where the IDL has 8");

  /* The inner list of a list<list<i64>>. */
  g_autoptr(GByteArray) e = g_byte_array_new ();
  put_container (e, T_LIST, 5, T_LIST, 0, 1);
  put_u8 (e, T_STRING);
  put_i32 (e, 1);
  put_str (e, "x");
  expect_type_refused (e, "list of wire type 11 where the IDL has 10");

  g_autoptr(GByteArray) f = g_byte_array_new ();
  put_container (f, T_SET, 6, T_I32, 0, 1);
  put_i32 (f, 0x7fffffff);
  expect_type_refused (f, "set of wire type 8 where the IDL has 11");

  g_autoptr(GByteArray) g = g_byte_array_new ();
  put_container (g, T_MAP, 7, T_STRING, T_I32, 1);
  put_str (g, "k");
  put_i32 (g, 0x7fffffff);
  expect_type_refused (g, "map of wire types 11 to 8 where the IDL has 11 to 11");

  g_autoptr(GByteArray) h = g_byte_array_new ();
  put_container (h, T_MAP, 7, T_I32, T_STRING, 1);
  put_i32 (h, 0x7fffffff);
  put_str (h, "v");
  expect_type_refused (h, "map of wire types 8 to 11 where the IDL has 11 to 11");

  /* A map whose key is a list: the value's type is found past the key. */
  g_autoptr(GByteArray) i = g_byte_array_new ();
  put_container (i, T_MAP, 8, T_LIST, T_I32, 1);
  put_u8 (i, T_I32);
  put_i32 (i, 0);
  put_i32 (i, 0x7fffffff);
  expect_type_refused (i, "map of wire types 15 to 8 where the IDL has 15 to 11");

  /* A list key of a map<list<i32>, string>. */
  g_autoptr(GByteArray) k = g_byte_array_new ();
  put_container (k, T_MAP, 8, T_LIST, T_STRING, 1);
  put_u8 (k, T_STRING);
  put_i32 (k, 1);
  put_str (k, "x");
  put_str (k, "v");
  expect_type_refused (k, "list of wire type 11 where the IDL has 8");

  /* The second inner list, after the first was stored: the reader frees
   * the element it has begun, not the ones it stored (the sanitizer build
   * checks both ways). */
  g_autoptr(GByteArray) l = g_byte_array_new ();
  put_container (l, T_LIST, 5, T_LIST, 0, 2);
  put_u8 (l, T_I64);
  put_i32 (l, 1);
  put_i32 (l, 0);
  put_i32 (l, 1);
  put_u8 (l, T_I32);
  put_i32 (l, 1);
  put_i32 (l, 2);
  expect_type_refused (l, "list of wire type 8 where the IDL has 10");

  /* The inner map of a map<i32, map<string, EchoItem>>. */
  g_autoptr(GByteArray) j = g_byte_array_new ();
  put_container (j, T_MAP, 9, T_I32, T_MAP, 1);
  put_i32 (j, 1);
  put_u8 (j, T_STRING);
  put_u8 (j, T_I32);
  put_i32 (j, 1);
  put_str (j, "k");
  put_i32 (j, 1);
  expect_type_refused (j, "map of wire types 11 to 8 where the IDL has 11 to 12");
}

/* A binary field twice in one struct, straight to the reader (the
 * validator refuses it first in a server): the stock reader freed the first
 * GByteArray with g_free() and glibc aborted. Now the second value replaces
 * the first, and the sanitizer build sees nothing leak. In a subprocess, so
 * a regression fails this test alone. */
static void
test_reader_repeated_binary (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GByteArray) b = g_byte_array_new ();
      put_field (b, T_STRING, 1);
      put_str (b, "weft-app");
      put_field (b, T_STRING, 2);
      put_str (b, "first");
      put_field (b, T_STRING, 2);
      put_str (b, "second");
      put_u8 (b, T_STOP);
      g_autoptr(GError) error = NULL;
      weftToken *t = g_object_new (WEFT_TYPE_TOKEN, NULL);
      g_assert_true (decode (b, t, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (t->identifier->data, t->identifier->len, "second", 6);
      g_object_unref (t);

      g_autoptr(GByteArray) c = g_byte_array_new ();
      for (int i = 0; i < 3; i++)
        {
          put_field (c, T_STRING, 10);
          put_str (c, i == 2 ? "last" : "earlier");
        }
      g_autoptr(weftEchoShapes) s = decode_shapes (c, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (s->blob->data, s->blob->len, "last", 4);
      return;
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_pipelined (Fixture *f, gconstpointer data)
{
  /* Three calls in one write: the server reads past the first frame and
   * must keep the surplus for the next ones. Answers come back in order. */
  g_autoptr(GByteArray) all = g_byte_array_new ();
  for (gint64 x = 10; x < 13; x++)
    {
      g_autoptr(GByteArray) p = g_byte_array_new ();
      put_call (p, "ping");
      put_u8 (p, T_I64);
      put_u8 (p, 0);
      put_u8 (p, 1);
      put_i32 (p, 0);
      put_i32 (p, (guint32) x);
      put_u8 (p, T_STOP);
      g_autoptr(GByteArray) fr = framed (p);
      g_byte_array_append (all, fr->data, fr->len);
    }
  g_autoptr(GError) error = NULL;
  int fd = weft_net_connect ("127.0.0.1", f->port, G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_assert_true (weft_net_write_full (fd, all->data, all->len, -1, -1, &error));
  for (gint64 x = 10; x < 13; x++)
    {
      guint8 hdr[4];
      gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
      g_assert_true (weft_net_read_full (fd, hdr, 4, deadline, -1, &error));
      guint32 len = ((guint32) hdr[0] << 24) | (hdr[1] << 16) | (hdr[2] << 8) | hdr[3];
      g_assert_cmpuint (len, <, 256);
      guint8 body[256];
      g_assert_true (weft_net_read_full (fd, body, len, deadline, -1, &error));
      /* The reply's i64 success field (id 0) sits just before the STOP. */
      const guint8 *v = body + len - 9;
      gint64 got = 0;
      for (int i = 0; i < 8; i++)
        got = (got << 8) | v[i];
      g_assert_cmpint (got, ==, x + 1);
    }
  close (fd);
}

/* ---- silent and stalled peers ----------------------------------------- */

static void
test_silent_peer (Fixture *f, gconstpointer data)
{
  /* Connects and says nothing: closed after the idle timeout (300 ms),
   * while other clients are served meanwhile. */
  g_autoptr(GError) error = NULL;
  int fd = weft_net_connect ("127.0.0.1", f->port, G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  gint64 start = g_get_monotonic_time ();
  assert_alive (f);
  g_assert_true (weft_net_wait_readable (fd, start + 5 * G_USEC_PER_SEC, -1, &error));
  guint8 b;
  g_assert_cmpint (recv (fd, &b, 1, 0), <=, 0);
  gint64 waited = g_get_monotonic_time () - start;
  g_assert_cmpint (waited, >=, 250 * 1000);
  g_assert_cmpint (waited, <, 4 * G_USEC_PER_SEC);
  close (fd);
}

static void
test_stalled_frame (Fixture *f, gconstpointer data)
{
  /* Announces 1000 bytes, sends 10, stalls: closed after the call timeout. */
  g_autoptr(GError) error = NULL;
  int fd = weft_net_connect ("127.0.0.1", f->port, G_USEC_PER_SEC, &error);
  static const guint8 part[14] = { 0, 0, 0x03, 0xe8, 0x80, 1, 0, 1, 0, 0, 0, 4, 'p', 'i' };
  g_assert_true (weft_net_write_full (fd, part, sizeof part, -1, -1, &error));
  gint64 start = g_get_monotonic_time ();
  g_assert_true (weft_net_wait_readable (fd, start + 5 * G_USEC_PER_SEC, -1, &error));
  guint8 b;
  g_assert_cmpint (recv (fd, &b, 1, 0), <=, 0);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 4 * G_USEC_PER_SEC);
  close (fd);
  assert_alive (f);
}

/* ---- client timeouts and failures ------------------------------------- */

static void
test_call_timeout (void)
{
  /* A peer that accepts (the kernel does, from the backlog) and never
   * answers. */
  g_autoptr(GError) error = NULL;
  guint16 port = 0;
  int lfd = weft_net_listen ("127.0.0.1", 0, 16, &port, &error);
  g_assert_no_error (error);
  WeftRpcOptions o = test_options ();
  o.call_timeout_us = 200 * 1000;
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (port, &o);
  gint64 start = g_get_monotonic_time (), out;
  g_assert_false (rpc_echo_ping (c, 1, &out, &error));
  gint64 took = g_get_monotonic_time () - start;
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_autofree char *where = g_strdup_printf ("call ping to 127.0.0.1:%u failed", port);
  g_assert_nonnull (strstr (error->message, where));
  g_assert_cmpint (took, >=, 150 * 1000);
  g_assert_cmpint (took, <, 3 * G_USEC_PER_SEC);

  /* Idempotent calls are retried: 1 + 2 retries = 3 connections. */
  g_clear_error (&error);
  o.retries = 2;
  g_autoptr(WeftRpcClient) c2 = rpc_echo_client_new (port, &o);
  g_assert_false (rpc_echo_ping (c2, 1, &out, &error));
  g_assert_nonnull (strstr (error->message, "after retries"));
  g_assert_cmpuint (weft_rpc_client_get_connects (c2), ==, 3);
  close (lfd);
}

static void
test_connect_refused (void)
{
  g_autoptr(GError) error = NULL;
  guint16 port = 0;
  int lfd = weft_net_listen ("127.0.0.1", 0, 1, &port, &error);
  close (lfd); /* a port nobody listens on */
  WeftRpcOptions o = test_options ();
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (port, &o);
  gint64 out;
  g_assert_false (rpc_echo_add (c, 1, &out, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_autofree char *where = g_strdup_printf ("cannot connect to 127.0.0.1:%u", port);
  g_assert_nonnull (strstr (error->message, where));
}

static GPid
spawn_server (guint16 port, guint16 *bound)
{
  g_autoptr(GError) error = NULL;
  char portbuf[8];
  g_snprintf (portbuf, sizeof portbuf, "%u", port);
  const char *argv[] = { self_exe, "--echo-server", portbuf, NULL };
  GPid pid;
  int out_fd;
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);
  char line[32] = { 0 };
  gsize have = 0;
  while (have < sizeof line - 1 && !strchr (line, '\n'))
    {
      ssize_t n = read (out_fd, line + have, sizeof line - 1 - have);
      g_assert_cmpint (n, >, 0);
      have += (gsize) n;
    }
  close (out_fd);
  *bound = (guint16) atoi (line);
  g_assert_cmpuint (*bound, >, 0);
  return pid;
}

static void
kill_server (GPid pid)
{
  kill (pid, SIGKILL);
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
}

typedef struct { GPid pid; gint64 delay_us; guint16 restart_port; GPid restarted; } Killer;

static gpointer
killer (gpointer data)
{
  Killer *k = data;
  g_usleep ((gulong) k->delay_us);
  kill_server (k->pid);
  if (k->restart_port)
    {
      guint16 bound;
      k->restarted = spawn_server (k->restart_port, &bound);
    }
  return NULL;
}

static void
test_server_killed (void)
{
  /* SIGPIPE at its default action: a send to a dead peer must be an error,
   * not the end of this process. */
  signal (SIGPIPE, SIG_DFL);
  guint16 port;
  GPid pid = spawn_server (0, &port);
  WeftRpcOptions o = test_options ();
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (port, &o);
  gint64 out;
  g_autoptr(GError) error = NULL;
  g_assert_true (rpc_echo_ping (c, 1, &out, &error));

  Killer k = { .pid = pid, .delay_us = 200 * 1000 };
  GThread *t = g_thread_new ("killer", killer, &k);
  g_assert_false (rpc_echo_sleep (c, 3000, WEFT_RPC_ONCE, &error));
  g_thread_join (t);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_nonnull (strstr (error->message, "call sleep_ms to"));
  g_test_message ("mid-call: %s", error->message);

  /* And again with the server gone for good: still an error, no signal. */
  for (int i = 0; i < 3; i++)
    {
      g_clear_error (&error);
      g_assert_false (rpc_echo_sleep (c, 10, WEFT_RPC_ONCE, &error));
      g_assert_true (error->domain == G_IO_ERROR);
    }
}

static void
test_retry_after_restart (void)
{
  signal (SIGPIPE, SIG_DFL);
  guint16 port;
  GPid pid = spawn_server (0, &port);
  WeftRpcOptions o = test_options ();
  o.retries = 8;
  o.retry_backoff_us = 100 * 1000;
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (port, &o);

  /* The server dies mid-call and comes back on the same port: the
   * idempotent call is resent to the new one and succeeds. */
  Killer k = { .pid = pid, .delay_us = 200 * 1000, .restart_port = port };
  GThread *t = g_thread_new ("killer", killer, &k);
  g_autoptr(GError) error = NULL;
  /* Calls last well past the kill, so a killer thread descheduled on a loaded machine still
   * fires while the call is in flight. */
  g_assert_true (rpc_echo_sleep (c, 2000, WEFT_RPC_IDEMPOTENT, &error));
  g_assert_no_error (error);
  g_thread_join (t);
  g_assert_cmpuint (weft_rpc_client_get_connects (c), >=, 2);

  /* The same failure on a call that may not be resent is reported. */
  Killer k2 = { .pid = k.restarted, .delay_us = 200 * 1000 };
  t = g_thread_new ("killer", killer, &k2);
  g_assert_false (rpc_echo_sleep (c, 3000, WEFT_RPC_ONCE, &error));
  g_thread_join (t);
  g_assert_nonnull (strstr (error->message, "call sleep_ms to"));
}

static void
test_stale_connection (Fixture *f, gconstpointer data)
{
  /* The server goes away between calls and a new one takes its port: the
   * client notices the dead connection before sending, so even a call that
   * may not be resent goes through, exactly once. */
  gint64 out;
  g_autoptr(GError) error = NULL;
  g_assert_true (rpc_echo_ping (f->client, 1, &out, &error));
  weft_rpc_server_free (f->server);
  rpc_echo_reset ();
  f->server = rpc_echo_server_start (&f->opts, f->port, &error);
  g_assert_no_error (error);
  g_assert_true (rpc_echo_add (f->client, 5, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out, ==, 5);
  g_assert_cmpint (rpc_echo_total (), ==, 5);
  g_assert_cmpuint (weft_rpc_client_get_connects (f->client), ==, 2);
}

/* ---- connection cap and shutdown -------------------------------------- */

static WeftRpcOptions capped;

static void
test_connection_cap (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int fds[4];
  for (int i = 0; i < 4; i++)
    {
      fds[i] = weft_net_connect ("127.0.0.1", f->port, G_USEC_PER_SEC, &error);
      g_assert_no_error (error);
    }
  /* Wait until the server has taken all four. */
  WeftRpcServerStats st;
  for (int i = 0; i < 200; i++)
    {
      weft_rpc_server_get_stats (f->server, &st);
      if (st.active_connections == 4)
        break;
      g_usleep (10000);
    }
  g_assert_cmpuint (st.active_connections, ==, 4);
  /* The fifth is closed at once. */
  static const guint8 zero[4] = { 0 };
  g_autoptr(GByteArray) r = send_raw (f->port, zero, 0, 2 * G_USEC_PER_SEC);
  weft_rpc_server_get_stats (f->server, &st);
  g_assert_cmpuint (st.connections_refused, ==, 1);
  /* Free a place and the next one is served. */
  close (fds[0]);
  for (int i = 0; i < 200; i++)
    {
      weft_rpc_server_get_stats (f->server, &st);
      if (st.active_connections == 3)
        break;
      g_usleep (10000);
    }
  assert_alive (f);
  for (int i = 1; i < 4; i++)
    close (fds[i]);
}

static gpointer
slow_call (gpointer data)
{
  guint16 port = GPOINTER_TO_UINT (data);
  WeftRpcOptions o = test_options ();
  g_autoptr(WeftRpcClient) c = rpc_echo_client_new (port, &o);
  GError *error = NULL;
  gboolean ok = rpc_echo_sleep (c, 300, WEFT_RPC_ONCE, &error);
  g_clear_error (&error);
  return GINT_TO_POINTER (ok);
}

static void
test_shutdown (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int idle = weft_net_connect ("127.0.0.1", f->port, G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  GThread *t = g_thread_new ("slow", slow_call, GUINT_TO_POINTER (f->port));
  while (rpc_echo_max_concurrent_sleeps () == 0)
    g_usleep (1000);
  gint64 start = g_get_monotonic_time ();
  weft_rpc_server_stop (f->server);
  gint64 took = g_get_monotonic_time () - start;
  /* The in-flight call ran to its end; stop waited for it, not longer. */
  g_assert_true (GPOINTER_TO_INT (g_thread_join (t)));
  g_assert_cmpint (took, <, 2 * G_USEC_PER_SEC);
  /* The idle connection was closed and the port no longer accepts. */
  g_assert_true (weft_net_wait_readable (idle, g_get_monotonic_time () + G_USEC_PER_SEC, -1,
                                         &error));
  guint8 b;
  g_assert_cmpint (recv (idle, &b, 1, 0), <=, 0);
  close (idle);
  int fd = weft_net_connect ("127.0.0.1", f->port, G_USEC_PER_SEC, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* ---- memory ----------------------------------------------------------- */

static long
rss_kib (void)
{
  g_autofree char *statm = NULL;
  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  long pages = 0, resident = 0;
  sscanf (statm, "%ld %ld", &pages, &resident);
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

static void
test_memory_flat (Fixture *f, gconstpointer data)
{
#if defined(__SANITIZE_ADDRESS__)
  /* ASan's quarantine grows RSS by design; LeakSanitizer checks this build
   * at exit instead. Still make the calls so leaks would be reported. */
  const int n = 5000;
#else
  const int n = 100000;
#endif
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = rpc_echo_items_new (50);
  gint64 out;
  gint32 cnt;
  for (int i = 0; i < 2000; i++)
    {
      g_assert_true (rpc_echo_ping (f->client, i, &out, &error));
      g_assert_true (rpc_echo_count (f->client, items, &cnt, &error));
    }
  long before = rss_kib ();
  for (int i = 0; i < n; i++)
    {
      g_assert_true (rpc_echo_ping (f->client, i, &out, &error));
      if (i % 10 == 0)
        g_assert_true (rpc_echo_count (f->client, items, &cnt, &error));
      if (i % 1000 == 0)
        {
          g_assert_false (rpc_echo_fail (f->client, 3, "x", &error));
          g_clear_error (&error);
        }
    }
  long after = rss_kib ();
  g_test_message ("RSS %ld KiB before, %ld KiB after %d more calls", before, after, n);
#if !defined(__SANITIZE_ADDRESS__)
  /* The stock library leaked ~136 bytes per call: 13 MiB here. */
  g_assert_cmpint (after - before, <, 1024);
#endif
}

int
main (int argc, char **argv)
{
  self_exe = argv[0];
  if (argc == 3 && strcmp (argv[1], "--echo-server") == 0)
    {
      g_autoptr(GError) error = NULL;
      WeftRpcOptions o = test_options ();
      WeftRpcServer *s = rpc_echo_server_start (&o, (guint16) atoi (argv[2]), &error);
      if (s == NULL)
        {
          /* A restart can race the old socket's release: retry briefly. */
          for (int i = 0; i < 50 && s == NULL; i++)
            {
              g_clear_error (&error);
              g_usleep (20000);
              s = rpc_echo_server_start (&o, (guint16) atoi (argv[2]), &error);
            }
          if (s == NULL)
            g_error ("echo server: %s", error->message);
        }
      printf ("%u\n", weft_rpc_server_get_port (s));
      fflush (stdout);
      for (;;)
        pause ();
    }

  g_test_init (&argc, &argv, NULL);
  short_timeouts = test_options ();
  short_timeouts.idle_timeout_us = 300 * 1000;
  short_timeouts.call_timeout_us = 300 * 1000;
  capped = test_options ();
  capped.max_connections = 4;

#define FIX(path, fn, data) \
  g_test_add (path, Fixture, data, fixture_setup, fn, fixture_teardown)
  FIX ("/common/rpc/round-trip", test_round_trip, NULL);
  FIX ("/common/rpc/declared-exception", test_declared_exception, NULL);
  FIX ("/common/rpc/too-large", test_too_large, NULL);
  FIX ("/common/rpc/concurrent-64", test_concurrent, NULL);
  FIX ("/common/rpc/pipelined", test_pipelined, NULL);
  g_test_add_func ("/common/rpc/crafted/zero-length-frame", test_crafted_zero_frame);
  g_test_add_func ("/common/rpc/crafted/binary-50mb", test_crafted_binary_50mb);
  g_test_add_func ("/common/rpc/crafted/method-name-2gib", test_crafted_method_2gib);
  g_test_add_func ("/common/rpc/crafted/nesting-100000", test_crafted_deep_nesting);
  g_test_add_func ("/common/rpc/crafted/frame-2gib", test_crafted_frame_2gib);
  g_test_add_func ("/common/rpc/crafted/list-2pow30", test_crafted_list_2pow30);
  g_test_add_func ("/common/rpc/crafted/random-bytes-x300", test_crafted_random);
  g_test_add_func ("/common/rpc/crafted/unknown-method", test_crafted_unknown_method);
  g_test_add_func ("/common/rpc/crafted/abrupt-disconnects", test_crafted_disconnects);
  g_test_add_func ("/common/rpc/crafted/token-repeated-binary",
                   test_crafted_token_repeated_binary);
  g_test_add_func ("/common/rpc/crafted/list-binary-as-i32", test_crafted_list_binary_as_i32);
  g_test_add_func ("/common/rpc/crafted/repeated-i32", test_crafted_repeated_i32);
  g_test_add_func ("/common/rpc/crafted/nested-repeated-i32", test_crafted_nested_repeated_i32);
  g_test_add_func ("/common/rpc/reader/element-types", test_reader_element_types);
  g_test_add_func ("/common/rpc/reader/repeated-binary", test_reader_repeated_binary);
  FIX ("/common/rpc/silent-peer", test_silent_peer, &short_timeouts);
  FIX ("/common/rpc/stalled-frame", test_stalled_frame, &short_timeouts);
  g_test_add_func ("/common/rpc/call-timeout", test_call_timeout);
  g_test_add_func ("/common/rpc/connect-refused", test_connect_refused);
  g_test_add_func ("/common/rpc/server-killed-mid-call", test_server_killed);
  g_test_add_func ("/common/rpc/retry-after-restart", test_retry_after_restart);
  FIX ("/common/rpc/stale-connection", test_stale_connection, NULL);
  FIX ("/common/rpc/connection-cap", test_connection_cap, &capped);
  FIX ("/common/rpc/shutdown", test_shutdown, NULL);
  FIX ("/common/rpc/memory-flat", test_memory_flat, NULL);
  return g_test_run ();
}
