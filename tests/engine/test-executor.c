/* tests/engine/test-executor: the real weft-executor process, with the test as its driver. The
 * test serves a DriverEndpoint on an ephemeral loopback port, spawns executors with the
 * application's secret, launches tasks made with the engine, and checks what comes back: rows,
 * map outputs whose segments it fetches and decodes itself, a second executor reading the first
 * one's shuffle, refusals (forged tokens, garbage tasks, unknown map outputs), and the ways an
 * executor ends (stop_executor, a heartbeat reply, the driver gone). Every executor gets
 * PR_SET_PDEATHSIG, and each test's teardown kills and reaps what it started, so a failed
 * assertion leaves no process behind. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weft-app-auth.h"
#include "weft-csv.h"
#include "weft-fs.h"
#include "weft-net.h"
#include "weft-plan.h"
#include "weft-rpc-client.h"
#include "weft-rpc-server.h"
#include "weft-rpc-token.h"
#include "weft-shuffle.h"
#include "weft-task-rpc.h"
#include "weft-task.h"
#include "weft_driver_endpoint.h"
#include "weft_executor_endpoint.h"

#ifndef WEFT_EXECUTOR_PATH
#error "WEFT_EXECUTOR_PATH must name the weft-executor binary"
#endif

#define APP_ID "application_1700000000000_0042"
#define WAIT_US (20 * G_USEC_PER_SEC)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftDriverEndpointHandler, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (weftToken, g_object_unref)

/* ---- the fake driver ---- */

typedef struct {
  char *executor_id;
  char *host;
  guint port;
  gint cores;
  gint64 memory;
  char *container_id;
  char *node_id;
} Hello;

static void
hello_free (Hello *h)
{
  g_free (h->executor_id);
  g_free (h->host);
  g_free (h->container_id);
  g_free (h->node_id);
  g_free (h);
}

typedef struct {
  const WeftSecret *secret;
  GMutex lock;
  GCond cond;
  GHashTable *hellos;          /* executor id -> Hello* */
  GHashTable *outcomes;        /* guint64* task id -> WeftTaskOutcome* */
  GHashTable *conf;            /* sent in every welcome */
  gint64 heartbeat_ms;
  gboolean stop_in_beat;
  guint beats;
  GArray *running;             /* guint64: the task ids of the last heartbeat */
  guint64 watch_task;          /* a task whose heartbeat metrics are kept in `seen` */
  GArray *seen;                /* WeftTaskMetrics of watch_task, one per beat that had it */
  guint bad_metrics;           /* beats whose metrics did not match running_tasks */
  guint refused;               /* calls with a bad token */
  guint bad_outcomes;          /* outcomes that did not decode */
} Driver;

#define TEST_TYPE_DRIVER_HANDLER (test_driver_handler_get_type ())
G_DECLARE_FINAL_TYPE (TestDriverHandler, test_driver_handler, TEST, DRIVER_HANDLER,
                      weftDriverEndpointHandler)
struct _TestDriverHandler {
  weftDriverEndpointHandler parent;
  Driver *d;
};
G_DEFINE_TYPE (TestDriverHandler, test_driver_handler, WEFT_TYPE_DRIVER_ENDPOINT_HANDLER)

static gboolean
driver_auth (Driver *d, const weftToken *auth, weftWeftException **err)
{
  g_autoptr(WeftToken) t = weft_rpc_token_from_wire (auth);
  g_autoptr(GError) e = NULL;
  if (weft_app_auth_check (d->secret, t, APP_ID, NULL, &e))
    return TRUE;
  g_mutex_lock (&d->lock);
  d->refused++;
  g_mutex_unlock (&d->lock);
  return weft_rpc_exception_set (err, WEFT_ERROR_CODE_PERMISSION_DENIED, "%s", e->message);
}

static gboolean
d_register (weftDriverEndpointIf *iface, weftExecutorWelcome **ret, const weftToken *auth,
            const weftExecutorHello *hello, weftWeftException **err, GError **error)
{
  Driver *d = TEST_DRIVER_HANDLER (iface)->d;
  if (!driver_auth (d, auth, err))
    return FALSE;
  Hello *h = g_new0 (Hello, 1);
  h->executor_id = g_strdup (hello->executor_id);
  h->host = g_strdup (hello->host);
  h->port = (guint) hello->port;
  h->cores = hello->cores;
  h->memory = hello->memory_bytes;
  h->container_id = g_strdup (hello->container_id);
  h->node_id = g_strdup (hello->node_id);
  g_mutex_lock (&d->lock);
  g_object_set (*ret, "application_id", APP_ID, "heartbeat_interval_ms", d->heartbeat_ms, NULL);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, d->conf);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert ((*ret)->conf, g_strdup (k), g_strdup (v));
  (*ret)->__isset_conf = TRUE;
  g_hash_table_replace (d->hellos, g_strdup (h->executor_id), h);
  g_cond_broadcast (&d->cond);
  g_mutex_unlock (&d->lock);
  return TRUE;
}

static gboolean
d_outcomes (weftDriverEndpointIf *iface, const weftToken *auth, const gchar *executor_id,
            const GPtrArray *outcomes, weftWeftException **err, GError **error)
{
  Driver *d = TEST_DRIVER_HANDLER (iface)->d;
  if (!driver_auth (d, auth, err))
    return FALSE;
  for (guint i = 0; outcomes && i < outcomes->len; i++)
    {
      const GByteArray *b = outcomes->pdata[i];
      g_autoptr(GBytes) bytes = g_bytes_new (b->data, b->len);
      g_autoptr(GError) e = NULL;
      WeftTaskOutcome *o = weft_task_outcome_decode (bytes, &e);
      g_mutex_lock (&d->lock);
      if (o)
        g_hash_table_replace (d->outcomes, g_memdup2 (&o->task_id, sizeof (guint64)), o);
      else
        d->bad_outcomes++;
      g_cond_broadcast (&d->cond);
      g_mutex_unlock (&d->lock);
    }
  return TRUE;
}

static gboolean
d_heartbeat (weftDriverEndpointIf *iface, weftExecutorBeatReply **ret, const weftToken *auth,
             const weftExecutorBeat *beat, weftWeftException **err, GError **error)
{
  Driver *d = TEST_DRIVER_HANDLER (iface)->d;
  if (!driver_auth (d, auth, err))
    return FALSE;
  g_mutex_lock (&d->lock);
  d->beats++;
  g_array_set_size (d->running, 0);
  for (guint i = 0; beat->running_tasks && i < beat->running_tasks->len; i++)
    {
      guint64 id = (guint64) g_array_index (beat->running_tasks, gint64, i);
      g_array_append_val (d->running, id);
    }
  /* Field 3: one entry per running task, in the same order. */
  guint n_metrics = beat->metrics ? beat->metrics->len : 0;
  if (!beat->__isset_metrics || n_metrics != d->running->len)
    d->bad_metrics++;
  for (guint i = 0; i < n_metrics; i++)
    {
      const weftRunningTaskMetrics *m = beat->metrics->pdata[i];
      if (i >= d->running->len || (guint64) m->task_id != g_array_index (d->running, guint64, i))
        {
          d->bad_metrics++;
          continue;
        }
      if ((guint64) m->task_id != d->watch_task)
        continue;
      WeftTaskMetrics wm = { (guint64) m->run_ms, (guint64) m->records_read,
                             (guint64) m->records_written, (guint64) m->shuffle_bytes_read,
                             (guint64) m->shuffle_bytes_written, 0 };
      g_array_append_val (d->seen, wm);
    }
  (*ret)->stop = d->stop_in_beat;
  g_cond_broadcast (&d->cond);
  g_mutex_unlock (&d->lock);
  return TRUE;
}

static void
test_driver_handler_class_init (TestDriverHandlerClass *klass)
{
  weftDriverEndpointHandlerClass *h = WEFT_DRIVER_ENDPOINT_HANDLER_CLASS (klass);
  h->register_executor = d_register;
  h->task_outcomes = d_outcomes;
  h->executor_heartbeat = d_heartbeat;
}

static void
test_driver_handler_init (TestDriverHandler *self)
{
}

/* ---- fixture ---- */

typedef struct {
  GPid pid;
  char *id;
  char *log;
  gboolean reaped;
  int status;      /* wait status, once reaped */
} Proc;

typedef struct {
  char *dir;
  WeftSecret *secret;
  char *secret_text;
  WeftRpcOptions opts;
  Driver driver;
  WeftRpcServer *server;
  guint16 port;
  GPtrArray *procs;            /* Proc* */
  GPtrArray *clients;          /* WeftRpcClient* */
} Fixture;

static void
proc_free (Proc *p)
{
  g_free (p->id);
  g_free (p->log);
  g_free (p);
}

static void
start_driver_server (Fixture *f, guint16 port)
{
  g_autoptr(TestDriverHandler) h = g_object_new (TEST_TYPE_DRIVER_HANDLER, NULL);
  h->d = &f->driver;
  g_autoptr(GObject) proc = g_object_new (WEFT_TYPE_DRIVER_ENDPOINT_PROCESSOR, "handler", h, NULL);
  f->server = weft_rpc_server_new ("driver", THRIFT_PROCESSOR (proc), &f->opts);
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_rpc_server_start (f->server, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  f->port = weft_rpc_server_get_port (f->server);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp ("test-executor-XXXXXX", &error);
  g_assert_no_error (error);
  f->secret = weft_secret_new_random (&error);
  g_assert_no_error (error);
  f->secret_text = weft_app_secret_encode (f->secret);
  g_autoptr(WeftConf) conf = weft_conf_new ();
  weft_rpc_options_from_conf (&f->opts, conf);
  f->opts.call_timeout_us = 10 * G_USEC_PER_SEC;
  f->opts.max_message_size = 64 << 20;
  Driver *d = &f->driver;
  d->secret = f->secret;
  g_mutex_init (&d->lock);
  g_cond_init (&d->cond);
  d->hellos = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) hello_free);
  d->outcomes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                       (GDestroyNotify) weft_task_outcome_free);
  d->conf = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  d->running = g_array_new (FALSE, FALSE, sizeof (guint64));
  d->seen = g_array_new (FALSE, FALSE, sizeof (WeftTaskMetrics));
  /* Small blocks: segments of several frames. */
  g_hash_table_insert (d->conf, g_strdup ("spark.weft.shuffle.blockSize"), g_strdup ("1k"));
  g_hash_table_insert (d->conf, g_strdup ("spark.network.timeout"), g_strdup ("30000"));
  g_hash_table_insert (d->conf, g_strdup ("spark.some.other.key"), g_strdup ("ignored"));
  d->heartbeat_ms = 100;
  f->procs = g_ptr_array_new_with_free_func ((GDestroyNotify) proc_free);
  f->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_rpc_client_free);
  start_driver_server (f, 0);
}

static char *read_log (const Proc *p);
static gboolean poll_exit (Proc *p);

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->procs->len; i++)
    {
      Proc *p = f->procs->pdata[i];
      if (g_test_verbose ())
        {
          g_autofree char *log = read_log (p);
          g_test_message ("log of executor %s:\n%s", p->id, log);
        }
      if (p->reaped)
        continue;
      /* A clean stop exits 0; under the sanitizers a leak would make it non-zero. */
      kill (p->pid, SIGTERM);
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      while (!poll_exit (p) && g_get_monotonic_time () < deadline)
        g_usleep (10000);
      if (!p->reaped)
        {
          kill (p->pid, SIGKILL);
          waitpid (p->pid, NULL, 0);
          g_spawn_close_pid (p->pid);
          p->reaped = TRUE;
          g_test_fail_printf ("executor %s ignored SIGTERM", p->id);
        }
      else if (!WIFEXITED (p->status) || WEXITSTATUS (p->status) != 0)
        {
          g_autofree char *log = read_log (p);
          g_test_fail_printf ("executor %s stopped by SIGTERM with status 0x%x; its log:\n%s",
                              p->id, p->status, log);
        }
    }
  g_ptr_array_unref (f->clients);
  g_ptr_array_unref (f->procs);
  if (f->server)
    weft_rpc_server_free (f->server);
  Driver *d = &f->driver;
  g_hash_table_unref (d->hellos);
  g_hash_table_unref (d->outcomes);
  g_hash_table_unref (d->conf);
  g_array_unref (d->running);
  g_array_unref (d->seen);
  g_mutex_clear (&d->lock);
  g_cond_clear (&d->cond);
  weft_fs_remove_tree (f->dir, NULL);
  g_free (f->dir);
  g_free (f->secret_text);
  weft_secret_free (f->secret);
}

/* ---- executor processes ---- */

static void
die_with_parent (gpointer data)
{
  /* SIGTERM: the executor removes its shuffle folder even when the test dies. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts weft-executor @id with @extra arguments; @secret NULL leaves WEFT_APP_SECRET unset. */
static Proc *
spawn_executor_full (Fixture *f, const char *id, const char *secret, const char *const *extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup (WEFT_EXECUTOR_PATH));
  g_ptr_array_add (argv, g_strdup ("--driver"));
  g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%u", f->port));
  g_ptr_array_add (argv, g_strdup ("--app-id"));
  g_ptr_array_add (argv, g_strdup (APP_ID));
  g_ptr_array_add (argv, g_strdup ("--executor-id"));
  g_ptr_array_add (argv, g_strdup (id));
  g_ptr_array_add (argv, g_strdup ("--cores"));
  g_ptr_array_add (argv, g_strdup ("2"));
  g_ptr_array_add (argv, g_strdup ("--memory"));
  g_ptr_array_add (argv, g_strdup ("512m"));
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, NULL);

  g_auto (GStrv) envp = g_get_environ ();
  envp = g_environ_unsetenv (envp, "WEFT_CONF_DIR");
  envp = g_environ_unsetenv (envp, "WEFT_APP_SECRET");
  if (secret)
    envp = g_environ_setenv (envp, "WEFT_APP_SECRET", secret, TRUE);
  g_autofree char *cid = g_strdup_printf ("container_1700000000000_0042_01_00000%s", id);
  envp = g_environ_setenv (envp, "WEFT_CONTAINER_ID", cid, TRUE);
  envp = g_environ_setenv (envp, "WEFT_NM_ADDRESS", "127.0.0.1:45454", TRUE);

  Proc *p = g_new0 (Proc, 1);
  p->id = g_strdup (id);
  p->log = g_strdup_printf ("%s/executor-%s.log", f->dir, id);
  int fd = open (p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_autoptr(GError) error = NULL;
  gboolean ok = g_spawn_async_with_fds (f->dir, (char **) argv->pdata, envp,
                                        G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL, &p->pid,
                                        -1, fd, fd, &error);
  close (fd);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_ptr_array_add (f->procs, p);
  return p;
}

static Proc *
spawn_executor (Fixture *f, const char *id, const char *const *extra)
{
  return spawn_executor_full (f, id, f->secret_text, extra);
}

static char *
read_log (const Proc *p)
{
  char *text = NULL;
  if (!g_file_get_contents (p->log, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

/* Reaps @p if it has exited; TRUE once it has. */
static gboolean
poll_exit (Proc *p)
{
  if (p->reaped)
    return TRUE;
  if (waitpid (p->pid, &p->status, WNOHANG) == p->pid)
    {
      g_spawn_close_pid (p->pid);
      p->reaped = TRUE;
    }
  return p->reaped;
}

/* Waits up to @timeout_us for @p to exit; returns its exit status (128 + signal if killed). */
static int
wait_exit (Proc *p, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  while (!poll_exit (p))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *log = read_log (p);
          g_error ("executor %s did not exit; its log:\n%s", p->id, log);
        }
      g_usleep (10000);
    }
  return WIFEXITED (p->status) ? WEXITSTATUS (p->status) : 128 + WTERMSIG (p->status);
}

/* Waits for @p's registration; returns (transfer none) its hello. */
static const Hello *
wait_registered (Fixture *f, Proc *p)
{
  Driver *d = &f->driver;
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  for (;;)
    {
      g_mutex_lock (&d->lock);
      const Hello *h = g_hash_table_lookup (d->hellos, p->id);
      if (h == NULL)
        g_cond_wait_until (&d->cond, &d->lock, MIN (deadline, g_get_monotonic_time () + 50000));
      h = g_hash_table_lookup (d->hellos, p->id);
      g_mutex_unlock (&d->lock);
      if (h)
        return h;
      if (poll_exit (p) || g_get_monotonic_time () > deadline)
        {
          g_autofree char *log = read_log (p);
          g_error ("executor %s did not register; its log:\n%s", p->id, log);
        }
    }
}

/* Waits for the outcome of @task_id and takes it. */
static WeftTaskOutcome *
wait_outcome (Fixture *f, guint64 task_id)
{
  Driver *d = &f->driver;
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  g_mutex_lock (&d->lock);
  gpointer key = NULL, value = NULL;
  while (!g_hash_table_steal_extended (d->outcomes, &task_id, &key, &value))
    if (!g_cond_wait_until (&d->cond, &d->lock, deadline))
      {
        g_mutex_unlock (&d->lock);
        g_error ("no outcome for task %" G_GUINT64_FORMAT, task_id);
      }
  g_mutex_unlock (&d->lock);
  g_free (key);
  return value;
}

static gboolean
has_outcome (Fixture *f, guint64 task_id)
{
  g_mutex_lock (&f->driver.lock);
  gboolean has = g_hash_table_contains (f->driver.outcomes, &task_id);
  g_mutex_unlock (&f->driver.lock);
  return has;
}

/* ---- calls to an executor ---- */

static WeftRpcClient *
client_of (Fixture *f, const Hello *h)
{
  WeftRpcClient *c = weft_rpc_client_new (h->host, (guint16) h->port,
                                          WEFT_TYPE_EXECUTOR_ENDPOINT_CLIENT, &f->opts);
  g_ptr_array_add (f->clients, c);
  return c;
}

static WeftToken *
driver_token (Fixture *f)
{
  return weft_app_auth_token (f->secret, APP_ID, "driver");
}

typedef struct {
  weftToken *auth;
  GPtrArray *in;
  GPtrArray *out;
  const char *text;
} Call;

static gboolean
c_launch (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Call *a = data;
  return weft_executor_endpoint_if_launch_tasks (client, a->auth, a->in, ex, error);
}

static gboolean
c_fetch (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Call *a = data;
  g_ptr_array_set_size (a->out, 0);
  return weft_executor_endpoint_if_fetch_segments (client, &a->out, a->auth, a->in, ex, error);
}

static gboolean
c_stop (gpointer client, gpointer data, weftWeftException **ex, GError **error)
{
  Call *a = data;
  return weft_executor_endpoint_if_stop_executor (client, a->auth, a->text, ex, error);
}

static GByteArray *
array_of (GBytes *b)
{
  gsize n = 0;
  const guint8 *d = g_bytes_get_data (b, &n);
  GByteArray *a = g_byte_array_sized_new ((guint) n);
  g_byte_array_append (a, d, (guint) n);
  return a;
}

/* launch_tasks with @auth (NULL: no token) of @tasks (GBytes*). */
static gboolean
launch_bytes (WeftRpcClient *c, const WeftToken *auth, GPtrArray *tasks, GError **error)
{
  g_autoptr(weftToken) wire = weft_rpc_token_to_wire (auth);
  g_autoptr(GPtrArray) in = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_ptr_array_add (in, array_of (tasks->pdata[i]));
  Call a = { wire, in };
  return weft_rpc_client_call (c, "launch_tasks", WEFT_RPC_ONCE, c_launch, &a, error);
}

static GBytes *
encode_task (const WeftTask *t)
{
  g_autoptr(GError) error = NULL;
  GBytes *b = weft_task_encode (t, &error);
  g_assert_no_error (error);
  return b;
}

static void
launch (Fixture *f, WeftRpcClient *c, WeftTask *const *tasks, guint n)
{
  g_autoptr(WeftToken) auth = driver_token (f);
  g_autoptr(GPtrArray) bytes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (bytes, encode_task (tasks[i]));
  g_autoptr(GError) error = NULL;
  g_assert_true (launch_bytes (c, auth, bytes, &error));
  g_assert_no_error (error);
}

/* fetch_segments of (shuffle, map, reduce) triples; returns GBytes* or NULL with @error. */
static GPtrArray *
fetch (WeftRpcClient *c, const WeftToken *auth, const gint *triples, guint n, GError **error)
{
  g_autoptr(weftToken) wire = weft_rpc_token_to_wire (auth);
  g_autoptr(GPtrArray) in = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (in, g_object_new (WEFT_TYPE_SEGMENT_REQUEST, "shuffle_id", triples[3 * i],
                                       "map_id", triples[3 * i + 1], "reduce_id",
                                       triples[3 * i + 2], NULL));
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  Call a = { wire, in, out };
  if (!weft_rpc_client_call (c, "fetch_segments", WEFT_RPC_IDEMPOTENT, c_fetch, &a, error))
    return NULL;
  GPtrArray *res = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < out->len; i++)
    {
      GByteArray *b = out->pdata[i];
      g_ptr_array_add (res, g_bytes_new (b->data, b->len));
    }
  return res;
}

static gboolean
stop_executor (WeftRpcClient *c, const WeftToken *auth, const char *reason, GError **error)
{
  g_autoptr(weftToken) wire = weft_rpc_token_to_wire (auth);
  Call a = { wire, .text = reason };
  return weft_rpc_client_call (c, "stop_executor", WEFT_RPC_ONCE, c_stop, &a, error);
}

/* ---- tasks made with the engine ---- */

#define N_ROWS 2000
#define N_KEYS 7

/* Rows (k = i % N_KEYS, v = i) for i < N_ROWS. */
static WeftBatch *
make_rows (void)
{
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, "k", WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (schema, "v", WEFT_DATA_TYPE_INT64, FALSE);
  WeftColumn *cols[2] = { weft_column_new (WEFT_DATA_TYPE_INT64, N_ROWS),
                          weft_column_new (WEFT_DATA_TYPE_INT64, N_ROWS) };
  for (gint64 i = 0; i < N_ROWS; i++)
    {
      weft_column_append_int64 (cols[0], i % N_KEYS);
      weft_column_append_int64 (cols[1], i);
    }
  return weft_batch_new (schema, cols, N_ROWS);
}

static void
set_info (WeftTask *t, WeftPlan *node, guint n, gint shuffle_id)
{
  WeftNodeInfo *info = weft_node_info_new (n);
  info->shuffle_id = shuffle_id;
  weft_task_set_info (t, node, info);
}

static WeftTask *
new_task (WeftTaskKind kind, guint64 id, WeftPlan *plan, guint partition)
{
  WeftTask *t = weft_task_new (kind);
  t->task_id = id;
  t->job_id = 1;
  t->stage_id = (guint) (id / 100);
  t->partition = partition;
  t->plan = weft_plan_ref (plan);
  t->memory = 64 << 20;
  return t;
}

/* filter(rows in 2 partitions, v % 3 == 0) */
static WeftPlan *
filter_plan (WeftPlan **rows_out)
{
  WeftPlan *rows = weft_plan_rows (make_rows (), 2);
  g_autoptr(WeftExpr) cond = weft_expr_binary (
    WEFT_EXPR_OP_EQ,
    weft_expr_binary (WEFT_EXPR_OP_MOD, weft_expr_col ("v"), weft_expr_lit_int64 (3)),
    weft_expr_lit_int64 (0));
  g_autoptr(GError) error = NULL;
  WeftPlan *p = weft_plan_filter (rows, cond, &error);
  g_assert_no_error (error);
  *rows_out = rows;
  return p;
}

static WeftTask *
filter_task (guint64 id, guint partition)
{
  g_autoptr(WeftPlan) rows = NULL;
  g_autoptr(WeftPlan) filter = filter_plan (&rows);
  WeftTask *t = new_task (WEFT_TASK_RESULT, id, filter, partition);
  set_info (t, rows, 2, -1);
  set_info (t, filter, 2, -1);
  return t;
}

/* The values of column @col of @batches, in order. */
static GArray *
column_values (GPtrArray *batches, guint col)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; batches && i < batches->len; i++)
    {
      const WeftBatch *b = batches->pdata[i];
      g_assert_cmpuint (col, <, b->n_columns);
      g_array_append_vals (a, b->columns[col]->values.i64, b->n_rows);
    }
  return a;
}

static gint
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

/* aggregate(rows in 2 partitions) by k: sum(v), into 3 partitions from shuffle 5. */
#define AGG_SHUFFLE 5
#define AGG_PARTS 3

static WeftPlan *
agg_plan (WeftPlan **rows_out)
{
  WeftPlan *rows = weft_plan_rows (make_rows (), 2);
  g_autoptr(WeftExpr) key = weft_expr_col ("k");
  g_autoptr(WeftExpr) v = weft_expr_col ("v");
  WeftPlanAggSpec spec = { WEFT_AGG_SUM, v, "s" };
  g_autoptr(GError) error = NULL;
  WeftPlan *p = weft_plan_aggregate (rows, &key, 1, &spec, 1, &error);
  g_assert_no_error (error);
  *rows_out = rows;
  return p;
}

static WeftTask *
agg_task (WeftTaskKind kind, guint64 id, guint partition)
{
  g_autoptr(WeftPlan) rows = NULL;
  g_autoptr(WeftPlan) agg = agg_plan (&rows);
  WeftTask *t = new_task (kind, id, agg, partition);
  set_info (t, rows, 2, -1);
  set_info (t, agg, AGG_PARTS, AGG_SHUFFLE);
  return t;
}

/* repartition(rows in 2 partitions, 3): round robin into shuffle 9. */
#define REP_SHUFFLE 9
#define REP_PARTS 3

static WeftTask *
repartition_task (guint64 id, guint partition)
{
  g_autoptr(WeftPlan) rows = weft_plan_rows (make_rows (), 2);
  g_autoptr(WeftPlan) rep = weft_plan_repartition (rows, REP_PARTS);
  WeftTask *t = new_task (WEFT_TASK_SHUFFLE_MAP, id, rep, partition);
  set_info (t, rows, 2, -1);
  set_info (t, rep, REP_PARTS, REP_SHUFFLE);
  return t;
}

static void
assert_succeeded (const WeftTaskOutcome *o)
{
  if (o->state != WEFT_TASK_SUCCEEDED)
    g_error ("task %" G_GUINT64_FORMAT " ended in state %d: %s", o->task_id, o->state,
             o->message ? o->message : "");
}

static guint
count_matches (const char *text, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr (text, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* ---- tests ---- */

static void
test_register (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  const Hello *h = wait_registered (f, p);
  g_assert_cmpstr (h->executor_id, ==, "1");
  g_assert_cmpstr (h->host, ==, "127.0.0.1");
  g_assert_cmpuint (h->port, >, 0);
  g_assert_cmpint (h->cores, ==, 2);
  g_assert_cmpint (h->memory, ==, 512 << 20);
  g_assert_cmpstr (h->container_id, ==, "container_1700000000000_0042_01_000001");
  g_assert_cmpstr (h->node_id, ==, "127.0.0.1:45454");

  /* It heartbeats at the interval of the welcome (100 ms). */
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  g_mutex_lock (&f->driver.lock);
  while (f->driver.beats < 3)
    g_assert_true (g_cond_wait_until (&f->driver.cond, &f->driver.lock, deadline));
  g_mutex_unlock (&f->driver.lock);

  /* Its shuffle folder is a private folder in its working folder. */
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  guint shuffle_dirs = 0;
  for (const char *name; (name = g_dir_read_name (dir));)
    if (g_str_has_prefix (name, "weft-shuffle-1-"))
      shuffle_dirs++;
  g_assert_cmpuint (shuffle_dirs, ==, 1);

  g_autofree char *log = read_log (p);
  g_assert_nonnull (strstr (log, "registered with the driver"));
  g_assert_cmpuint (f->driver.refused, ==, 0);
}

static void
test_result_task (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  WeftRpcClient *c = client_of (f, wait_registered (f, p));
  g_autoptr(WeftTask) t0 = filter_task (101, 0);
  g_autoptr(WeftTask) t1 = filter_task (102, 1);
  WeftTask *tasks[] = { t0, t1 };
  launch (f, c, tasks, 2);

  for (guint part = 0; part < 2; part++)
    {
      g_autoptr(WeftTaskOutcome) o = wait_outcome (f, 101 + part);
      assert_succeeded (o);
      g_assert_cmpstr (o->executor_id, ==, "1");
      /* Partition @part of the rows is i in [N/2 part, N/2 (part + 1)); the filter keeps the
       * multiples of 3. */
      g_autoptr(GArray) v = column_values (o->batches, 1);
      guint expect = 0;
      for (gint64 i = N_ROWS / 2 * part; i < N_ROWS / 2 * (part + 1); i++)
        if (i % 3 == 0)
          {
            g_assert_cmpuint (expect, <, v->len);
            g_assert_cmpint (g_array_index (v, gint64, expect), ==, i);
            expect++;
          }
      g_assert_cmpuint (v->len, ==, expect);
      g_autoptr(GArray) k = column_values (o->batches, 0);
      for (guint i = 0; i < k->len; i++)
        g_assert_cmpint (g_array_index (k, gint64, i), ==, g_array_index (v, gint64, i) % N_KEYS);
    }
  g_autofree char *log = read_log (p);
  g_assert_nonnull (strstr (log, "task 101 started"));
  g_assert_nonnull (strstr (log, "task 102 finished: SUCCEEDED"));
}

/* Map outputs written by executor "1" for shuffle @sid: one per map task. */
static WeftMapOutput *
run_map (Fixture *f, WeftRpcClient *c, WeftTask *task)
{
  launch (f, c, &task, 1);
  g_autoptr(WeftTaskOutcome) o = wait_outcome (f, task->task_id);
  assert_succeeded (o);
  g_assert_nonnull (o->map_output);
  return weft_map_output_copy (o->map_output);
}

static void
test_shuffle_map_fetch (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  const Hello *h = wait_registered (f, p);
  WeftRpcClient *c = client_of (f, h);
  g_autoptr(WeftToken) auth = driver_token (f);
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint map = 0; map < 2; map++)
    {
      g_autoptr(WeftTask) t = repartition_task (201 + map, map);
      g_autoptr(WeftMapOutput) mo = run_map (f, c, t);
      g_assert_cmpuint (mo->shuffle_id, ==, REP_SHUFFLE);
      g_assert_cmpuint (mo->map_id, ==, map);
      g_assert_cmpstr (mo->executor_id, ==, "1");
      g_assert_cmpstr (mo->host, ==, h->host);
      g_assert_cmpuint (mo->port, ==, h->port);
      g_assert_cmpuint (mo->n_sizes, ==, REP_PARTS);
      g_assert_true (g_str_has_suffix (mo->data_path, ".data"));

      /* Every reduce partition in one call; each segment is as large as the outcome said. */
      gint req[3 * REP_PARTS];
      for (guint r = 0; r < REP_PARTS; r++)
        {
          req[3 * r] = REP_SHUFFLE;
          req[3 * r + 1] = (gint) map;
          req[3 * r + 2] = (gint) r;
        }
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) segs = fetch (c, auth, req, REP_PARTS, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (segs->len, ==, REP_PARTS);
      gsize rows = 0;
      for (guint r = 0; r < REP_PARTS; r++)
        {
          g_assert_cmpuint (g_bytes_get_size (segs->pdata[r]), ==, mo->sizes[r]);
          g_autoptr(GPtrArray) batches =
            g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
          g_assert_true (weft_shuffle_decode_segment (segs->pdata[r], batches, NULL, &error));
          g_assert_no_error (error);
          g_autoptr(GArray) v = column_values (batches, 1);
          rows += v->len;
          g_array_append_vals (all, v->data, v->len);
        }
      /* Round robin: the map partition's rows spread over the 3 reduce partitions. */
      g_assert_cmpuint (rows, ==, N_ROWS / 2);
    }
  /* Together the two map outputs hold every row exactly once. */
  g_array_sort (all, cmp_i64);
  g_assert_cmpuint (all->len, ==, N_ROWS);
  for (guint i = 0; i < all->len; i++)
    g_assert_cmpint (g_array_index (all, gint64, i), ==, i);
}

/* Executor "2" runs the reduce side of an aggregate whose map side ran on executor "1": it
 * fetches the segments from "1", grouped in calls under spark.reducer.maxSizeInFlight. */
static void
test_remote_reduce (Fixture *f, gconstpointer data)
{
  const char *debug[] = { "-v", "-v", NULL };
  Proc *p1 = spawn_executor (f, "1", NULL);
  Proc *p2 = spawn_executor (f, "2", debug);
  WeftRpcClient *c1 = client_of (f, wait_registered (f, p1));
  WeftRpcClient *c2 = client_of (f, wait_registered (f, p2));

  g_autoptr(GPtrArray) outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_map_output_free);
  for (guint map = 0; map < 2; map++)
    {
      g_autoptr(WeftTask) t = agg_task (WEFT_TASK_SHUFFLE_MAP, 301 + map, map);
      g_ptr_array_add (outputs, run_map (f, c1, t));
    }
  g_autoptr(GHashTable) sums = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  for (guint r = 0; r < AGG_PARTS; r++)
    {
      g_autoptr(WeftTask) t = agg_task (WEFT_TASK_RESULT, 311 + r, r);
      for (guint i = 0; i < outputs->len; i++)
        g_ptr_array_add (t->inputs, weft_map_output_copy (outputs->pdata[i]));
      launch (f, c2, &t, 1);
      g_autoptr(WeftTaskOutcome) o = wait_outcome (f, t->task_id);
      assert_succeeded (o);
      g_assert_cmpstr (o->executor_id, ==, "2");
      g_assert_cmpuint (o->metrics.shuffle_bytes_read, ==,
                        ((WeftMapOutput *) outputs->pdata[0])->sizes[r]
                          + ((WeftMapOutput *) outputs->pdata[1])->sizes[r]);
      g_autoptr(GArray) k = column_values (o->batches, 0);
      g_autoptr(GArray) s = column_values (o->batches, 1);
      for (guint i = 0; i < k->len; i++)
        {
          gint64 key = g_array_index (k, gint64, i);
          /* Each key is in exactly one reduce partition. */
          g_assert_false (g_hash_table_contains (sums, &key));
          g_hash_table_insert (sums, g_memdup2 (&key, sizeof key),
                               g_memdup2 (&g_array_index (s, gint64, i), sizeof (gint64)));
        }
    }
  g_assert_cmpuint (g_hash_table_size (sums), ==, N_KEYS);
  for (gint64 key = 0; key < N_KEYS; key++)
    {
      gint64 expect = 0;
      for (gint64 i = key; i < N_ROWS; i += N_KEYS)
        expect += i;
      const gint64 *got = g_hash_table_lookup (sums, &key);
      g_assert_nonnull (got);
      g_assert_cmpint (*got, ==, expect);
    }
  /* Both of a reduce partition's segments came in one call. */
  g_autofree char *log = read_log (p2);
  g_assert_cmpuint (count_matches (log, "fetched 2 segments"), >=, 1);
  g_assert_cmpuint (count_matches (log, "fetched 1 segments"), ==, 0);
}

/* With spark.reducer.maxSizeInFlight below a segment's size, each segment is a call of its own. */
static void
test_in_flight_bound (Fixture *f, gconstpointer data)
{
  g_hash_table_insert (f->driver.conf, g_strdup ("spark.reducer.maxSizeInFlight"), g_strdup ("1b"));
  const char *debug[] = { "-v", "-v", NULL };
  Proc *p1 = spawn_executor (f, "1", NULL);
  Proc *p2 = spawn_executor (f, "2", debug);
  WeftRpcClient *c1 = client_of (f, wait_registered (f, p1));
  WeftRpcClient *c2 = client_of (f, wait_registered (f, p2));
  g_autoptr(GPtrArray) outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_map_output_free);
  for (guint map = 0; map < 2; map++)
    {
      g_autoptr(WeftTask) t = agg_task (WEFT_TASK_SHUFFLE_MAP, 401 + map, map);
      g_ptr_array_add (outputs, run_map (f, c1, t));
    }
  guint expect_calls = 0;
  for (guint r = 0; r < AGG_PARTS; r++)
    {
      g_autoptr(WeftTask) t = agg_task (WEFT_TASK_RESULT, 411 + r, r);
      for (guint i = 0; i < outputs->len; i++)
        {
          g_ptr_array_add (t->inputs, weft_map_output_copy (outputs->pdata[i]));
          expect_calls += ((WeftMapOutput *) outputs->pdata[i])->sizes[r] > 0;
        }
      launch (f, c2, &t, 1);
      g_autoptr(WeftTaskOutcome) o = wait_outcome (f, t->task_id);
      assert_succeeded (o);
    }
  g_autofree char *log = read_log (p2);
  g_assert_cmpuint (count_matches (log, "fetched 1 segments"), ==, expect_calls);
  g_assert_cmpuint (count_matches (log, "fetched 2 segments"), ==, 0);
}

static void
expect_remote (GError *error, gint code)
{
  g_assert_nonnull (error);
  if (error->domain != WEFT_REMOTE_ERROR || error->code != code)
    g_error ("expected remote error %d, got %s %d: %s", code, g_quark_to_string (error->domain),
             error->code, error->message);
}

static void
test_forged_token (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  WeftRpcClient *c = client_of (f, wait_registered (f, p));
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSecret) other = weft_secret_new_random (&error);
  g_assert_no_error (error);
  g_autoptr(WeftToken) forged = weft_app_auth_token (other, APP_ID, "driver");
  g_autoptr(WeftToken) elsewhere = weft_app_auth_token (f->secret, "application_1_1", "driver");
  g_autoptr(GBytes) ident = weft_token_identifier_new ("1", APP_ID, "driver", NULL);
  g_autoptr(WeftToken) wrong_kind = weft_token_sign (f->secret, "client", ident, 0);
  const WeftToken *bad[] = { forged, elsewhere, wrong_kind, NULL };

  g_autoptr(WeftTask) t = filter_task (501, 0);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (tasks, encode_task (t));
  const gint req[] = { REP_SHUFFLE, 0, 0 };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (launch_bytes (c, bad[i], tasks, &error));
      expect_remote (error, WEFT_ERROR_CODE_PERMISSION_DENIED);
      g_clear_error (&error);
      g_assert_null (fetch (c, bad[i], req, 1, &error));
      expect_remote (error, WEFT_ERROR_CODE_PERMISSION_DENIED);
      g_clear_error (&error);
      g_assert_false (stop_executor (c, bad[i], "forged", &error));
      expect_remote (error, WEFT_ERROR_CODE_PERMISSION_DENIED);
      g_clear_error (&error);
    }
  /* Nothing ran, nothing stopped: the executor still serves the real driver. */
  g_usleep (200000);
  g_assert_false (has_outcome (f, 501));
  g_assert_false (poll_exit (p));
  launch (f, c, &t, 1);
  g_autoptr(WeftTaskOutcome) o = wait_outcome (f, 501);
  assert_succeeded (o);
  g_autofree char *log = read_log (p);
  g_assert_cmpuint (count_matches (log, "refused"), >=, 3 * G_N_ELEMENTS (bad));
}

static void
test_garbage (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  const Hello *h = wait_registered (f, p);
  WeftRpcClient *c = client_of (f, h);
  g_autoptr(WeftToken) auth = driver_token (f);
  g_autoptr(GError) error = NULL;

  /* Bytes that are no task; an empty one; a real task cut short. */
  g_autoptr(WeftTask) good = filter_task (601, 0);
  g_autoptr(GBytes) good_bytes = encode_task (good);
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes (good_bytes, 0, g_bytes_get_size (good_bytes) / 2);
  GBytes *garbage[] = { g_bytes_new_static ("not a task at all", 17), g_bytes_new_static ("", 0),
                        g_bytes_ref (cut) };
  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_ptr_array_add (one, garbage[i]);
      g_assert_false (launch_bytes (c, auth, one, &error));
      expect_remote (error, WEFT_ERROR_CODE_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "task 1 of 1"));
      g_clear_error (&error);
    }

  /* All or nothing: a good task beside a bad one does not run. */
  g_autoptr(GPtrArray) mixed = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (mixed, g_bytes_ref (good_bytes));
  g_ptr_array_add (mixed, g_bytes_new_static ("junk", 4));
  g_assert_false (launch_bytes (c, auth, mixed, &error));
  expect_remote (error, WEFT_ERROR_CODE_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "task 2 of 2"));
  g_clear_error (&error);

  /* Garbage on the port itself. */
  int fd = weft_net_connect (h->host, (guint16) h->port, G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  static const guint8 junk[] = { 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 'x', 'y' };
  weft_net_write_full (fd, junk, sizeof junk, g_get_monotonic_time () + G_USEC_PER_SEC, -1, NULL);
  close (fd);

  /* The same task id twice in one launch is refused. */
  g_autoptr(GPtrArray) twice = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (twice, g_bytes_ref (good_bytes));
  g_ptr_array_add (twice, g_bytes_ref (good_bytes));
  g_assert_false (launch_bytes (c, auth, twice, &error));
  expect_remote (error, WEFT_ERROR_CODE_ALREADY_EXISTS);
  g_clear_error (&error);

  /* Still serving: a real task runs, and it is the only outcome. */
  g_autoptr(WeftTask) next = filter_task (602, 1);
  launch (f, c, &next, 1);
  g_autoptr(WeftTaskOutcome) o = wait_outcome (f, 602);
  assert_succeeded (o);
  g_usleep (200000);
  g_assert_false (has_outcome (f, 601));
  g_assert_false (poll_exit (p));
  g_assert_cmpuint (f->driver.bad_outcomes, ==, 0);
}

static void
test_fetch_not_found (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  WeftRpcClient *c = client_of (f, wait_registered (f, p));
  g_autoptr(WeftToken) auth = driver_token (f);
  g_autoptr(GError) error = NULL;

  /* Nothing committed yet. */
  const gint none[] = { REP_SHUFFLE, 0, 0 };
  g_assert_null (fetch (c, auth, none, 1, &error));
  expect_remote (error, WEFT_ERROR_CODE_NOT_FOUND);
  g_clear_error (&error);

  g_autoptr(WeftTask) t = repartition_task (701, 0);
  g_autoptr(WeftMapOutput) mo = run_map (f, c, t);
  /* Its own output is served; another map, another shuffle are not; a reduce partition out of
   * range and negative ids are bad requests. */
  const gint ok[] = { REP_SHUFFLE, 0, 2 };
  g_autoptr(GPtrArray) segs = fetch (c, auth, ok, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (segs->pdata[0]), ==, mo->sizes[2]);
  const gint other_map[] = { REP_SHUFFLE, 0, 0, REP_SHUFFLE, 1, 0 };
  g_assert_null (fetch (c, auth, other_map, 2, &error));
  expect_remote (error, WEFT_ERROR_CODE_NOT_FOUND);
  g_clear_error (&error);
  const gint other_shuffle[] = { AGG_SHUFFLE, 0, 0 };
  g_assert_null (fetch (c, auth, other_shuffle, 1, &error));
  expect_remote (error, WEFT_ERROR_CODE_NOT_FOUND);
  g_clear_error (&error);
  const gint out_of_range[] = { REP_SHUFFLE, 0, REP_PARTS };
  g_assert_null (fetch (c, auth, out_of_range, 1, &error));
  expect_remote (error, WEFT_ERROR_CODE_INVALID_ARGUMENT);
  g_clear_error (&error);
  const gint negative[] = { -1, 0, 0 };
  g_assert_null (fetch (c, auth, negative, 1, &error));
  expect_remote (error, WEFT_ERROR_CODE_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (poll_exit (p));
}

static guint
count_shuffle_dirs (Fixture *f)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  guint n = 0;
  for (const char *name; (name = g_dir_read_name (dir));)
    if (g_str_has_prefix (name, "weft-shuffle-"))
      n++;
  return n;
}

static void
test_stop (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  WeftRpcClient *c = client_of (f, wait_registered (f, p));
  /* With a map output on disk, so there is something to clean. */
  g_autoptr(WeftTask) t = repartition_task (801, 0);
  g_autoptr(WeftMapOutput) mo = run_map (f, c, t);
  g_assert_true (g_file_test (mo->data_path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_shuffle_dirs (f), ==, 1);

  g_autoptr(WeftToken) auth = driver_token (f);
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  /* The reply may or may not make it out before the process goes: either is fine. */
  stop_executor (c, auth, "job done", &error);
  g_assert_cmpint (wait_exit (p, WAIT_US), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  g_assert_false (g_file_test (mo->data_path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_shuffle_dirs (f), ==, 0);
  g_autofree char *log = read_log (p);
  g_assert_nonnull (strstr (log, "stop_executor from driver: job done"));
}

/* More tasks than cores in one launch: each runs, each outcome comes back once. */
static void
test_many_tasks (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  WeftRpcClient *c = client_of (f, wait_registered (f, p));
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_task_unref);
  for (guint i = 0; i < 24; i++)
    g_ptr_array_add (tasks, filter_task (1001 + i, i % 2));
  launch (f, c, (WeftTask *const *) tasks->pdata, tasks->len);
  for (guint i = 0; i < tasks->len; i++)
    {
      g_autoptr(WeftTaskOutcome) o = wait_outcome (f, 1001 + i);
      assert_succeeded (o);
      g_autoptr(GArray) v = column_values (o->batches, 1);
      g_assert_cmpuint (v->len, ==, (N_ROWS / 2 + (i % 2 == 0 ? 2 : 1)) / 3);
    }
  g_mutex_lock (&f->driver.lock);
  g_assert_cmpuint (g_hash_table_size (f->driver.outcomes), ==, 0);
  g_mutex_unlock (&f->driver.lock);
}

/* A CSV scan long enough for several heartbeats: while it runs, each beat carries its metrics so
 * far (rows read growing, never past the outcome's), and the beats after its outcome no longer
 * name it. */
#define METRICS_ROWS 4000000
#define METRICS_TASK 1201

static void
test_heartbeat_metrics (Fixture *f, gconstpointer data)
{
  /* The file: "j,j" for j < 1000, over and over (one chunk formatted, then copied: fast
   * even under the sanitizers), one split; the filter keeps 1 row in 100, so the result
   * stays small while the scan reads every row. */
  g_autofree char *path = g_build_filename (f->dir, "metrics.csv", NULL);
  g_autoptr(GString) chunk = g_string_new (NULL);
  for (guint j = 0; j < 1000; j++)
    g_string_append_printf (chunk, "%u,%u\n", j, j);
  g_autoptr(GString) text = g_string_sized_new (chunk->len * (METRICS_ROWS / 1000));
  for (guint i = 0; i < METRICS_ROWS / 1000; i++)
    g_string_append_len (text, chunk->str, (gssize) chunk->len);
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));

  g_mutex_lock (&f->driver.lock);
  f->driver.heartbeat_ms = 10;
  f->driver.watch_task = METRICS_TASK;
  g_mutex_unlock (&f->driver.lock);
  Proc *p = spawn_executor (f, "1", NULL);
  WeftRpcClient *c = client_of (f, wait_registered (f, p));

  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, "k", WEFT_DATA_TYPE_INT64, FALSE);
  weft_schema_add_field (schema, "v", WEFT_DATA_TYPE_INT64, FALSE);
  g_autoptr(WeftCsvOptions) csv = weft_csv_options_new ();
  csv->batch_rows = 1000;   /* many batches: metrics are published after each */
  const char *files[] = { path, NULL };
  g_autoptr(WeftPlan) scan = weft_plan_csv_scan (files, csv, schema);
  g_autoptr(WeftExpr) cond = weft_expr_binary (
    WEFT_EXPR_OP_EQ,
    weft_expr_binary (WEFT_EXPR_OP_MOD, weft_expr_col ("v"), weft_expr_lit_int64 (100)),
    weft_expr_lit_int64 (0));
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftPlan) filter = weft_plan_filter (scan, cond, &error);
  g_assert_no_error (error);
  g_autoptr(WeftTask) t = new_task (WEFT_TASK_RESULT, METRICS_TASK, filter, 0);
  WeftNodeInfo *info = weft_node_info_new (1);
  info->splits = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_csv_split_free);
  g_ptr_array_add (info->splits, weft_csv_split_new (path, 0, (gint64) text->len));
  weft_task_set_info (t, scan, info);
  set_info (t, filter, 1, -1);
  launch (f, c, &t, 1);

  g_autoptr(WeftTaskOutcome) o = wait_outcome (f, METRICS_TASK);
  assert_succeeded (o);
  g_autoptr(GArray) v = column_values (o->batches, 1);
  g_assert_cmpuint (v->len, ==, METRICS_ROWS / 100);
  g_assert_cmpuint (o->metrics.records_read, ==, METRICS_ROWS / 100);

  /* The second beat after the outcome came was assembled after it: the task is gone from it
   * (an earlier one may have been assembled before the outcome was sent). */
  Driver *d = &f->driver;
  g_mutex_lock (&d->lock);
  guint beats = d->beats;
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  while (d->beats < beats + 2)
    g_assert_true (g_cond_wait_until (&d->cond, &d->lock, deadline));
  g_assert_cmpuint (d->bad_metrics, ==, 0);
  for (guint i = 0; i < d->running->len; i++)
    g_assert_cmpuint (g_array_index (d->running, guint64, i), !=, METRICS_TASK);
  /* Every beat while it ran named it with its metrics so far: never decreasing, never past
   * the outcome's. The scan takes about ten heartbeat intervals here (far more under the
   * sanitizers), so at least two beats saw rows read, and more in the later one. */
  g_test_message ("%u beats carried task %u's metrics", d->seen->len, METRICS_TASK);
  g_assert_cmpuint (d->seen->len, >=, 1);
  guint with_rows = 0;
  for (guint i = 0; i < d->seen->len; i++)
    {
      const WeftTaskMetrics *m = &g_array_index (d->seen, WeftTaskMetrics, i);
      g_assert_cmpuint (m->records_read, <=, o->metrics.records_read);
      g_assert_cmpuint (m->records_written, <=, o->metrics.records_written);
      g_assert_cmpuint (m->run_ms, <=, o->metrics.run_ms);
      if (i > 0)
        {
          const WeftTaskMetrics *prev = &g_array_index (d->seen, WeftTaskMetrics, i - 1);
          g_assert_cmpuint (m->records_read, >=, prev->records_read);
          g_assert_cmpuint (m->run_ms, >=, prev->run_ms);
        }
      if (m->records_read > 0)
        with_rows++;
      g_test_message ("beat %u: %" G_GUINT64_FORMAT " ms, %" G_GUINT64_FORMAT " rows read", i,
                      m->run_ms, m->records_read);
    }
  g_assert_cmpuint (with_rows, >=, 2);
  const WeftTaskMetrics *last = &g_array_index (d->seen, WeftTaskMetrics, d->seen->len - 1);
  const WeftTaskMetrics *first = &g_array_index (d->seen, WeftTaskMetrics,
                                                 d->seen->len - with_rows);
  g_assert_cmpuint (last->records_read, >, first->records_read);
  g_mutex_unlock (&d->lock);
}

/* A task stuck fetching from a peer that never answers: the heartbeat reports it running, and
 * stop_executor still ends the process at once, task abandoned, shuffle folder gone. */
static void
test_stop_abandons_tasks (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint16 silent_port = 0;
  int silent = weft_net_listen ("127.0.0.1", 0, 16, &silent_port, &error);
  g_assert_no_error (error);
  Proc *p = spawn_executor (f, "1", NULL);
  WeftRpcClient *c = client_of (f, wait_registered (f, p));

  g_autoptr(WeftTask) t = agg_task (WEFT_TASK_RESULT, 1101, 0);
  WeftMapOutput mo = { AGG_SHUFFLE, 0, "9", "127.0.0.1", silent_port, "/nonexistent.data", 1,
                       (guint64[]) { 100 } };
  g_ptr_array_add (t->inputs, weft_map_output_copy (&mo));
  launch (f, c, &t, 1);

  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  gboolean seen = FALSE;
  while (!seen)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50000);
      g_mutex_lock (&f->driver.lock);
      seen = f->driver.running->len == 1 && g_array_index (f->driver.running, guint64, 0) == 1101;
      g_mutex_unlock (&f->driver.lock);
    }
  g_assert_false (has_outcome (f, 1101));

  g_autoptr(WeftToken) auth = driver_token (f);
  gint64 t0 = g_get_monotonic_time ();
  stop_executor (c, auth, "abandon", &error);
  g_assert_cmpint (wait_exit (p, WAIT_US), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 8 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_shuffle_dirs (f), ==, 0);
  g_autofree char *log = read_log (p);
  g_assert_nonnull (strstr (log, "leaves 1 running tasks behind"));
  close (silent);
}

static void
test_heartbeat_stop (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  wait_registered (f, p);
  g_mutex_lock (&f->driver.lock);
  f->driver.stop_in_beat = TRUE;
  g_mutex_unlock (&f->driver.lock);
  g_assert_cmpint (wait_exit (p, WAIT_US), ==, 0);
  g_assert_cmpuint (count_shuffle_dirs (f), ==, 0);
  g_autofree char *log = read_log (p);
  g_assert_nonnull (strstr (log, "heartbeat reply says stop"));
}

static void
test_driver_gone (Fixture *f, gconstpointer data)
{
  g_hash_table_replace (f->driver.conf, g_strdup ("spark.network.timeout"), g_strdup ("800"));
  Proc *p = spawn_executor (f, "1", NULL);
  wait_registered (f, p);
  g_usleep (300000);
  g_assert_false (poll_exit (p));
  gint64 t0 = g_get_monotonic_time ();
  weft_rpc_server_stop (f->server);
  int status = wait_exit (p, WAIT_US);
  gint64 took = g_get_monotonic_time () - t0;
  g_assert_cmpint (status, ==, 1);
  /* Not at the first failed heartbeat: after the timeout, give or take a heartbeat. */
  g_assert_cmpint (took, >=, 600 * 1000);
  g_assert_cmpint (took, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_shuffle_dirs (f), ==, 0);
  g_autofree char *log = read_log (p);
  g_assert_nonnull (strstr (log, "has not answered"));
}

/* The driver is away for a moment: the outcome of a task that finished meanwhile arrives once
 * it is back, and the executor stays. */
static void
test_driver_away (Fixture *f, gconstpointer data)
{
  Proc *p = spawn_executor (f, "1", NULL);
  WeftRpcClient *c = client_of (f, wait_registered (f, p));
  guint16 port = f->port;
  weft_rpc_server_free (f->server);
  f->server = NULL;
  g_autoptr(WeftTask) t = filter_task (1201, 1);
  launch (f, c, &t, 1);
  g_usleep (800000);
  g_assert_false (has_outcome (f, 1201));
  start_driver_server (f, port);
  g_assert_cmpuint (f->port, ==, port);
  g_autoptr(WeftTaskOutcome) o = wait_outcome (f, 1201);
  assert_succeeded (o);
  g_assert_false (poll_exit (p));
}

/* The driver is not up when the executor starts; it registers once the driver comes. */
static void
test_register_retry (Fixture *f, gconstpointer data)
{
  guint16 port = f->port;
  weft_rpc_server_free (f->server);
  f->server = NULL;
  Proc *p = spawn_executor (f, "1", NULL);
  g_usleep (700000);
  g_assert_false (poll_exit (p));
  start_driver_server (f, port);
  g_assert_cmpuint (f->port, ==, port);
  wait_registered (f, p);
}

static void
test_refuses_to_start (Fixture *f, gconstpointer data)
{
  /* No secret. */
  Proc *p = spawn_executor_full (f, "1", NULL, NULL);
  g_assert_cmpint (wait_exit (p, WAIT_US), ==, 2);
  g_autofree char *log = read_log (p);
  g_assert_nonnull (strstr (log, "WEFT_APP_SECRET is not set"));
  /* A secret that is not one. */
  Proc *q = spawn_executor_full (f, "2", "c2hvcnQ=", NULL);
  g_assert_cmpint (wait_exit (q, WAIT_US), ==, 2);
  g_autofree char *qlog = read_log (q);
  g_assert_nonnull (strstr (qlog, "WEFT_APP_SECRET"));
  /* Bad arguments. */
  const char *bad_cores[] = { "--cores", "0", NULL };
  Proc *r = spawn_executor (f, "3", bad_cores);
  g_assert_cmpint (wait_exit (r, WAIT_US), ==, 2);
  /* The driver's configuration is checked: a block size out of range is refused at
   * registration, naming the key. */
  g_hash_table_replace (f->driver.conf, g_strdup ("spark.weft.shuffle.blockSize"), g_strdup ("1b"));
  Proc *s = spawn_executor (f, "4", NULL);
  g_assert_cmpint (wait_exit (s, WAIT_US), ==, 1);
  g_autofree char *slog = read_log (s);
  g_assert_nonnull (strstr (slog, "spark.weft.shuffle.blockSize"));
  g_assert_cmpuint (count_shuffle_dirs (f), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A call to an executor that just exited must not kill the test. */
  signal (SIGPIPE, SIG_IGN);
#define ADD(path, fn) g_test_add ("/engine/executor/" path, Fixture, NULL, fixture_setup, fn, \
                                  fixture_teardown)
  ADD ("register", test_register);
  ADD ("result-task", test_result_task);
  ADD ("many-tasks", test_many_tasks);
  ADD ("shuffle-map-fetch", test_shuffle_map_fetch);
  ADD ("remote-reduce", test_remote_reduce);
  ADD ("in-flight-bound", test_in_flight_bound);
  ADD ("forged-token", test_forged_token);
  ADD ("garbage", test_garbage);
  ADD ("fetch-not-found", test_fetch_not_found);
  ADD ("stop", test_stop);
  ADD ("stop-abandons-tasks", test_stop_abandons_tasks);
  ADD ("heartbeat-metrics", test_heartbeat_metrics);
  ADD ("heartbeat-stop", test_heartbeat_stop);
  ADD ("driver-gone", test_driver_gone);
  ADD ("driver-away", test_driver_away);
  ADD ("register-retry", test_register_retry);
  ADD ("refuses-to-start", test_refuses_to_start);
  return g_test_run ();
}
