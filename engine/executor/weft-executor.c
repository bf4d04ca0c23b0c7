/* weft-executor: the generic executor process a driver starts in each of its containers. It
 * serves ExecutorEndpoint on an ephemeral port, registers with the driver, runs the tasks the
 * driver launches on a pool of --cores threads (weft_task_run, the same runner as local mode),
 * sends each outcome back as soon as it is ready, serves the map outputs its own tasks committed
 * to the other executors, and heartbeats with each running task's metrics so far (the runner
 * publishes them into the task's Running entry). It exits when the driver says so
 * (stop_executor, or a heartbeat reply), when the driver has been unreachable for
 * spark.network.timeout, or on SIGTERM/SIGINT; its shuffle folder goes with it. Nothing a peer
 * sends aborts it: bad input is refused with an exception and the executor keeps serving.
 *
 *   weft-executor --driver HOST:PORT --app-id APP --executor-id ID --cores N [--memory BYTES]
 *                 [--host HOST] [--shuffle-dir DIR] [--conf GROUP.KEY=VALUE]... [-v]
 *   environment: WEFT_APP_SECRET (required), WEFT_CONTAINER_ID, WEFT_NM_ADDRESS (from the NM)
 *
 * Exit status: 0 stopped by the driver or a signal; 1 could not register, was given a bad
 * configuration by the driver, or lost the driver; 2 bad arguments or no application secret.
 *
 * Threads and locks. The main thread registers, then runs the main loop, which does nothing but
 * wait for the exit. RPC worker threads run the handlers; the pool's threads run tasks; one
 * thread sends outcomes, one heartbeats. Shared state sits in Executor under one mutex, `lock`,
 * a leaf: nothing holding it calls out (no RPC, no pool push, no other lock). The fetcher's own
 * lock (executor-rpc.c) is a leaf too, and never held with `lock`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "executor-rpc.h"
#include "weft-app-auth.h"
#include "weft-daemon.h"
#include "weft-dispatch.h"
#include "weft-fs.h"
#include "weft-log.h"
#include "weft-rpc-server.h"
#include "weft-shuffle.h"
#include "weft-spark-conf.h"
#include "weft-task-rpc.h"

/* Keys of the driver's configuration the executor honours, with Spark's defaults. */
#define KEY_BLOCK_SIZE "spark.weft.shuffle.blockSize"
#define KEY_IN_FLIGHT "spark.reducer.maxSizeInFlight"
#define KEY_MAX_RETRIES "spark.shuffle.io.maxRetries"
#define KEY_NETWORK_TIMEOUT "spark.network.timeout"
#define DEFAULT_IN_FLIGHT (G_GINT64_CONSTANT (48) << 20)
#define DEFAULT_MAX_RETRIES 3
#define DEFAULT_NETWORK_TIMEOUT_MS 120000
#define DEFAULT_HEARTBEAT_MS 10000

/* How long a driver that is not up yet may take to answer the first registration. */
#define REGISTER_WINDOW_US (10 * G_USEC_PER_SEC)
/* A launch that races the welcome (the driver may launch the moment it has answered) waits
 * this long for the main thread to finish registering. */
#define LAUNCH_WAIT_US (10 * G_USEC_PER_SEC)
/* On exit, how long to wait for the helper threads and running tasks before leaving them. */
#define EXIT_GRACE_US (2 * G_USEC_PER_SEC)
/* Messages carry fetched segments and task results: the executor accepts and sends at least
 * this much whatever rpc.max-message-size says (a segment is fetched whole, so the largest
 * one must fit), and keeps this much of a message for everything but the payload. */
#define MIN_MESSAGE_SIZE ((gsize) 64 << 20)
#define MESSAGE_MARGIN ((gsize) 64 << 10)

typedef struct {
  /* Set before the server starts; read-only afterwards. */
  char *driver_host;
  guint16 driver_port;
  char *app_id;
  char *executor_id;
  char *host;
  guint cores;
  gint64 memory;
  char *container_id;
  char *node_id;
  char *shuffle_dir;
  WeftSecret *secret;
  WeftRpcOptions opts;          /* from the config, message size raised to MIN_MESSAGE_SIZE */
  GMainLoop *loop;
  GThreadPool *pool;
  GAsyncQueue *outcomes;        /* GBytes*: encoded outcomes for the sender */
  WeftWaiter *beat_wake;        /* wakes the heartbeat thread at exit */
  WeftWaiter *send_wake;        /* wakes the sender from a backoff at exit */

  /* Set by the main thread before `registered` (tasks run only after); read-only afterwards. */
  guint16 port;                 /* the port bound */
  gsize block_size;
  gsize max_in_flight;
  guint fetch_retries;          /* tries per remote segment */
  gint64 network_timeout_us;
  gint64 heartbeat_us;
  ExecutorFetcher *fetcher;

  GMutex lock;
  GCond changed;                /* registered, stopping, executing, helpers changed */
  gboolean registered;
  gboolean stopping;
  gboolean exit_requested;
  int exit_status;
  GHashTable *running;          /* guint64* task id -> Running* (launched, not yet finished) */
  GHashTable *outputs;          /* guint64 (shuffle << 32 | map) -> char* data path */
  guint executing;              /* tasks inside weft_task_run() */
  guint helpers;                /* heartbeat and sender threads still running */
} Executor;

/* A launched task. Only the pool thread that runs it removes it from `running`, so that thread
 * may use `live` without the lock; the runner stores into it atomically while the heartbeat
 * thread loads from it (holding the lock, so the entry stays). */
typedef struct {
  WeftTask *task;
  WeftTaskMetrics live;
} Running;

static void
running_free (Running *r)
{
  weft_task_unref (r->task);
  g_free (r);
}

static gpointer sentinel_stop = &sentinel_stop;

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Any thread: asks the main loop to end; the first reason wins. Through a source rather than
 * g_main_loop_quit(), which a call made before the loop starts running would not survive. */
static void
request_exit (Executor *ex, int status, const char *why)
{
  g_mutex_lock (&ex->lock);
  gboolean first = !ex->exit_requested;
  if (first)
    {
      ex->exit_requested = TRUE;
      ex->exit_status = status;
    }
  g_mutex_unlock (&ex->lock);
  if (first)
    g_message ("executor %s exiting: %s", ex->executor_id, why);
  g_idle_add_full (G_PRIORITY_HIGH, quit_loop, g_main_loop_ref (ex->loop),
                   (GDestroyNotify) g_main_loop_unref);
}

static gboolean
is_stopping (Executor *ex)
{
  g_mutex_lock (&ex->lock);
  gboolean s = ex->stopping;
  g_mutex_unlock (&ex->lock);
  return s;
}

static guint64
output_key (guint shuffle_id, guint map_id)
{
  return ((guint64) shuffle_id << 32) | map_id;
}

/* ---- the driver's configuration ---- */

static gboolean
conf_size (GHashTable *conf, const char *key, gint64 def, gint64 min, gint64 max, gint64 *out,
           GError **error)
{
  const char *v = g_hash_table_lookup (conf, key);
  gint64 n = def;
  g_autoptr(GError) e = NULL;
  if (v && !weft_spark_conf_size (key, v, 1, &n, &e))
    {
      g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_CONF, "%s", e->message);
      return FALSE;
    }
  if (n < min || n > max)
    {
      g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_CONF,
                   "%s is %" G_GINT64_FORMAT " bytes: it must be from %" G_GINT64_FORMAT
                   " to %" G_GINT64_FORMAT, key, n, min, max);
      return FALSE;
    }
  *out = n;
  return TRUE;
}

/* Applies the welcome's configuration. Unknown keys are the driver's own business. */
static gboolean
apply_conf (Executor *ex, GHashTable *conf, GError **error)
{
  gint64 block, in_flight;
  if (!conf_size (conf, KEY_BLOCK_SIZE, WEFT_SHUFFLE_DEFAULT_BLOCK_SIZE,
                  WEFT_SHUFFLE_MIN_BLOCK_SIZE, WEFT_SHUFFLE_MAX_BLOCK_SIZE, &block, error)
      || !conf_size (conf, KEY_IN_FLIGHT, DEFAULT_IN_FLIGHT, 1, G_GINT64_CONSTANT (1) << 40,
                     &in_flight, error))
    return FALSE;

  gint64 retries = DEFAULT_MAX_RETRIES;
  const char *v = g_hash_table_lookup (conf, KEY_MAX_RETRIES);
  if (v && (!g_ascii_string_to_signed (v, 10, 0, 100, &retries, NULL)))
    {
      g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_CONF,
                   "%s is \"%s\": it must be a whole number from 0 to 100", KEY_MAX_RETRIES, v);
      return FALSE;
    }

  /* Spark's spark.network.timeout is a duration ("120s"); a bare number is milliseconds. */
  gint64 timeout_us = (gint64) DEFAULT_NETWORK_TIMEOUT_MS * 1000;
  v = g_hash_table_lookup (conf, KEY_NETWORK_TIMEOUT);
  if (v)
    {
      if (!weft_spark_conf_duration (KEY_NETWORK_TIMEOUT, v, &timeout_us, NULL)
          || timeout_us < 1000)
        {
          g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_CONF,
                       "%s is \"%s\": give milliseconds (120000) or a duration (120s) of at least 1ms",
                       KEY_NETWORK_TIMEOUT, v);
          return FALSE;
        }
    }

  ex->block_size = (gsize) block;
  ex->max_in_flight = (gsize) in_flight;
  /* maxRetries counts the tries after the first. */
  ex->fetch_retries = (guint) retries + 1;
  ex->network_timeout_us = timeout_us;
  return TRUE;
}

/* ---- registration ---- */

/* Registers, retrying while the driver is not reachable yet (it may still be starting). */
static gboolean
register_with_driver (Executor *ex, ExecutorDriver *d, ExecutorWelcome *w, GError **error)
{
  ExecutorHello hello = { ex->executor_id, ex->host, ex->port, ex->cores, ex->memory,
                          ex->container_id, ex->node_id };
  gint64 deadline = g_get_monotonic_time () + REGISTER_WINDOW_US;
  gint64 backoff = 100 * 1000;
  for (;;)
    {
      g_autoptr(GError) e = NULL;
      if (executor_driver_register (d, &hello, w, &e))
        return TRUE;
      /* A refusal is an answer: retrying cannot change it. */
      if (e->domain == WEFT_REMOTE_ERROR || g_get_monotonic_time () + backoff > deadline)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&e),
                                      "cannot register with the driver at %s:%u: ",
                                      ex->driver_host, ex->driver_port);
          return FALSE;
        }
      weft_debug ("driver not reachable yet (%s); retrying", e->message);
      g_usleep ((gulong) backoff);
      backoff = MIN (backoff * 2, G_USEC_PER_SEC);
    }
}

/* ---- threads that talk to the driver ---- */

static WeftRpcOptions
driver_opts (Executor *ex)
{
  /* A call to a driver that accepts and never answers must not outlast the network timeout;
   * the threads retry themselves, so the client does not. */
  WeftRpcOptions o = ex->opts;
  o.connect_timeout_us = MIN (o.connect_timeout_us, ex->network_timeout_us);
  o.call_timeout_us = MIN (o.call_timeout_us, ex->network_timeout_us);
  o.retries = 0;
  return o;
}

static void
helper_done (Executor *ex)
{
  g_mutex_lock (&ex->lock);
  ex->helpers--;
  g_cond_broadcast (&ex->changed);
  g_mutex_unlock (&ex->lock);
}

static gpointer
heartbeat_main (gpointer data)
{
  Executor *ex = data;
  WeftRpcOptions o = driver_opts (ex);
  g_autoptr(ExecutorDriver) d = executor_driver_new (ex->driver_host, ex->driver_port,
                                                     ex->secret, ex->app_id, ex->executor_id, &o);
  gint64 last_ok = g_get_monotonic_time ();
  gboolean failing = FALSE;
  while (!weft_waiter_wait_until (ex->beat_wake, g_get_monotonic_time () + ex->heartbeat_us)
         && !is_stopping (ex))
    {
      g_autoptr(GArray) tasks = g_array_new (FALSE, FALSE, sizeof (ExecutorRunningTask));
      g_mutex_lock (&ex->lock);
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, ex->running);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          ExecutorRunningTask t = { .task_id = *(guint64 *) k };
          weft_task_metrics_load (&((Running *) v)->live, &t.metrics);
          g_array_append_val (tasks, t);
        }
      g_mutex_unlock (&ex->lock);

      gboolean reregister = FALSE, stop = FALSE;
      g_autoptr(GError) e = NULL;
      if (executor_driver_heartbeat (d, (const ExecutorRunningTask *) (gpointer) tasks->data,
                                     tasks->len, &reregister, &stop, &e))
        {
          last_ok = g_get_monotonic_time ();
          if (failing)
            g_message ("driver at %s:%u answers again", ex->driver_host, ex->driver_port);
          failing = FALSE;
          if (stop)
            {
              request_exit (ex, 0, "the driver's heartbeat reply says stop");
              break;
            }
          if (reregister)
            {
              ExecutorWelcome w = { 0 };
              ExecutorHello hello = { ex->executor_id, ex->host, ex->port, ex->cores, ex->memory,
                                      ex->container_id, ex->node_id };
              g_clear_error (&e);
              if (executor_driver_register (d, &hello, &w, &e))
                g_message ("re-registered with the driver as it asked");
              else
                g_warning ("re-registration failed: %s", e->message);
              executor_welcome_clear (&w);
            }
          continue;
        }
      if (!failing)
        g_message ("heartbeat to the driver failed: %s", e->message);
      failing = TRUE;
      gint64 silent = g_get_monotonic_time () - last_ok;
      if (silent > ex->network_timeout_us)
        {
          g_autofree char *why = g_strdup_printf (
            "the driver at %s:%u has not answered for %" G_GINT64_FORMAT " ms (%s is %"
            G_GINT64_FORMAT " ms): %s", ex->driver_host, ex->driver_port, silent / 1000,
            KEY_NETWORK_TIMEOUT, ex->network_timeout_us / 1000, e->message);
          request_exit (ex, 1, why);
          break;
        }
    }
  helper_done (ex);
  return NULL;
}

/* Sends outcomes in the order they finished, as many per call as fit in a message. A failed
 * send is retried until it goes through or the executor exits (the heartbeat thread decides
 * when the driver is gone); an outcome the driver refuses is dropped. */
static gpointer
sender_main (gpointer data)
{
  Executor *ex = data;
  WeftRpcOptions o = driver_opts (ex);
  g_autoptr(ExecutorDriver) d = executor_driver_new (ex->driver_host, ex->driver_port,
                                                     ex->secret, ex->app_id, ex->executor_id, &o);
  gsize limit = ex->opts.max_message_size - MESSAGE_MARGIN;
  GBytes *carry = NULL;
  gboolean stop = FALSE;
  while (!stop)
    {
      gpointer first = carry ? carry : g_async_queue_pop (ex->outcomes);
      carry = NULL;
      if (first == sentinel_stop)
        break;
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_ptr_array_add (batch, first);
      gsize total = g_bytes_get_size (first);
      gpointer next;
      while (batch->len < 1024 && (next = g_async_queue_try_pop (ex->outcomes)) != NULL)
        {
          if (next == sentinel_stop)
            {
              stop = TRUE;
              break;
            }
          if (total + g_bytes_get_size (next) > limit)
            {
              carry = next;
              break;
            }
          total += g_bytes_get_size (next);
          g_ptr_array_add (batch, next);
        }
      if (stop)
        break;
      gint64 backoff = 100 * 1000;
      for (;;)
        {
          g_autoptr(GError) e = NULL;
          if (executor_driver_send_outcomes (d, batch, &e))
            break;
          if (e->domain == WEFT_REMOTE_ERROR)
            {
              g_warning ("the driver refused %u task outcomes: %s", batch->len, e->message);
              break;
            }
          weft_debug ("sending %u outcomes failed (%s); retrying", batch->len, e->message);
          if (weft_waiter_wait_until (ex->send_wake, g_get_monotonic_time () + backoff)
              || is_stopping (ex))
            {
              stop = TRUE;
              break;
            }
          backoff = MIN (backoff * 2, 2 * G_USEC_PER_SEC);
        }
    }
  if (carry && carry != sentinel_stop)
    g_bytes_unref (carry);
  helper_done (ex);
  return NULL;
}

/* ---- remote reads ---- */

typedef struct {
  guint shuffle_id, map_id, reduce_id;
} SegKey;

static guint
seg_hash (gconstpointer p)
{
  const SegKey *k = p;
  return (k->shuffle_id * 2654435761u) ^ (k->map_id * 40503u) ^ k->reduce_id;
}

static gboolean
seg_equal (gconstpointer a, gconstpointer b)
{
  const SegKey *x = a, *y = b;
  return x->shuffle_id == y->shuffle_id && x->map_id == y->map_id && x->reduce_id == y->reduce_id;
}

/* One task's remote reads: segments fetched ahead in the same call as the one asked for,
 * waiting to be asked for. */
typedef struct {
  Executor *ex;
  const WeftTask *task;
  GHashTable *ahead;   /* SegKey* -> GBytes* */
} FetchCtx;

static int
by_map_id (gconstpointer a, gconstpointer b)
{
  const WeftMapOutput *x = *(WeftMapOutput *const *) a, *y = *(WeftMapOutput *const *) b;
  return x->map_id < y->map_id ? -1 : x->map_id > y->map_id;
}

static gboolean
same_place (const WeftMapOutput *a, const WeftMapOutput *b)
{
  return a->port == b->port && g_strcmp0 (a->host, b->host) == 0
         && g_strcmp0 (a->executor_id, b->executor_id) == 0;
}

/* WeftTaskFetch. A reduce task reads its partition of each map output in map order; asking the
 * executor that holds @where for the next outputs it holds too, while their sizes (known from
 * the map outputs) keep the call under spark.reducer.maxSizeInFlight, turns many small calls
 * into a few. The first segment goes alone if it is larger than the bound. */
static gboolean
fetch_segment (gpointer data, const WeftMapOutput *where, guint reduce_id, GBytes **out,
               GError **error)
{
  FetchCtx *fc = data;
  Executor *ex = fc->ex;
  SegKey key = { where->shuffle_id, where->map_id, reduce_id };
  gpointer orig_key = NULL, value = NULL;
  if (g_hash_table_steal_extended (fc->ahead, &key, &orig_key, &value))
    {
      g_free (orig_key);
      *out = value;
      return TRUE;
    }
  if (where->host == NULL || *where->host == '\0' || where->port == 0 || where->port > 65535)
    {
      g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_INVALID,
                   "map output %u of shuffle %u has no address", where->map_id, where->shuffle_id);
      return FALSE;
    }
  gsize bound = MIN (ex->max_in_flight, ex->opts.max_message_size - MESSAGE_MARGIN);
  g_autoptr(GArray) reqs = g_array_new (FALSE, FALSE, sizeof (ExecutorSegmentRequest));
  ExecutorSegmentRequest first = { where->shuffle_id, where->map_id, reduce_id };
  g_array_append_val (reqs, first);
  guint64 total = reduce_id < where->n_sizes ? where->sizes[reduce_id] : 0;

  g_autoptr(GPtrArray) next = g_ptr_array_new ();
  for (guint i = 0; i < fc->task->inputs->len; i++)
    {
      const WeftMapOutput *mo = fc->task->inputs->pdata[i];
      SegKey k = { mo->shuffle_id, mo->map_id, reduce_id };
      if (mo->shuffle_id == where->shuffle_id && mo->map_id > where->map_id
          && same_place (mo, where) && reduce_id < mo->n_sizes && mo->sizes[reduce_id] > 0
          && !g_hash_table_contains (fc->ahead, &k))
        g_ptr_array_add (next, (gpointer) mo);
    }
  g_ptr_array_sort (next, by_map_id);
  for (guint i = 0; i < next->len; i++)
    {
      const WeftMapOutput *mo = next->pdata[i];
      if (total + mo->sizes[reduce_id] > bound)
        break;
      ExecutorSegmentRequest r = { mo->shuffle_id, mo->map_id, reduce_id };
      /* The driver lists each map output once; a repeat is skipped, not asked twice. */
      if (r.map_id == g_array_index (reqs, ExecutorSegmentRequest, reqs->len - 1).map_id)
        continue;
      g_array_append_val (reqs, r);
      total += mo->sizes[reduce_id];
    }

  g_autoptr(GPtrArray) segs = NULL;
  if (!executor_fetcher_fetch (ex->fetcher, where->host, (guint16) where->port,
                               (const ExecutorSegmentRequest *) reqs->data, reqs->len, &segs,
                               error))
    return FALSE;
  weft_debug ("task %" G_GUINT64_FORMAT ": fetched %u segments (%" G_GUINT64_FORMAT
              " bytes) of shuffle %u, reduce %u from %s", fc->task->task_id, reqs->len, total,
              where->shuffle_id, reduce_id, where->executor_id);
  for (guint i = 1; i < reqs->len; i++)
    {
      const ExecutorSegmentRequest *r = &g_array_index (reqs, ExecutorSegmentRequest, i);
      SegKey *k = g_new (SegKey, 1);
      *k = (SegKey) { r->shuffle_id, r->map_id, r->reduce_id };
      g_hash_table_replace (fc->ahead, k, g_bytes_ref (segs->pdata[i]));
    }
  *out = g_bytes_ref (segs->pdata[0]);
  return TRUE;
}

/* ---- tasks ---- */

static const char *
state_name (WeftTaskState s)
{
  switch (s)
    {
    case WEFT_TASK_SUCCEEDED:
      return "SUCCEEDED";
    case WEFT_TASK_FAILED:
      return "FAILED";
    case WEFT_TASK_FETCH_FAILED:
      return "FETCH_FAILED";
    case WEFT_TASK_EXECUTOR_LOST:
      return "EXECUTOR_LOST";
    case WEFT_TASK_KILLED:
      return "KILLED";
    }
  return "?";
}

/* The outcome's bytes; one too large for a message becomes a failure saying so, so the driver
 * hears about the task instead of waiting for it. */
static GBytes *
encode_outcome (Executor *ex, const WeftTaskOutcome *o)
{
  g_autoptr(GError) e = NULL;
  GBytes *b = weft_task_outcome_encode (o, &e);
  gsize limit = ex->opts.max_message_size - MESSAGE_MARGIN;
  if (b && g_bytes_get_size (b) <= limit)
    return b;
  g_autoptr(WeftTaskOutcome) f = weft_task_outcome_new (o->task_id, WEFT_TASK_FAILED);
  f->executor_id = g_strdup (ex->executor_id);
  if (b)
    f->message = g_strdup_printf ("the outcome of task %" G_GUINT64_FORMAT " is %" G_GSIZE_FORMAT
                                  " bytes, more than a message may carry (%" G_GSIZE_FORMAT
                                  " bytes; rpc.max-message-size): use more partitions",
                                  o->task_id, g_bytes_get_size (b), limit);
  else
    f->message = g_strdup_printf ("the outcome of task %" G_GUINT64_FORMAT
                                  " cannot be encoded: %s", o->task_id, e->message);
  f->metrics = o->metrics;
  g_warning ("%s", f->message);
  g_clear_pointer (&b, g_bytes_unref);
  g_clear_error (&e);
  b = weft_task_outcome_encode (f, &e);
  /* A short failure always encodes. */
  g_assert (b != NULL);
  return b;
}

static void
run_task (gpointer item, gpointer user_data)
{
  WeftTask *task = item;
  Executor *ex = user_data;
  g_mutex_lock (&ex->lock);
  gboolean skip = ex->stopping;
  if (!skip)
    ex->executing++;
  /* The entry stays until this thread removes it below: its metrics are ours to publish to. */
  Running *entry = g_hash_table_lookup (ex->running, &task->task_id);
  g_mutex_unlock (&ex->lock);
  if (skip)
    {
      weft_task_unref (task);
      return;
    }
  g_message ("task %" G_GUINT64_FORMAT " started: job %u, stage %u.%u, partition %u, attempt %u",
             task->task_id, task->job_id, task->stage_id, task->stage_attempt, task->partition,
             task->attempt);
  FetchCtx fc = { ex, task, g_hash_table_new_full (seg_hash, seg_equal, g_free,
                                                   (GDestroyNotify) g_bytes_unref) };
  WeftTaskEnv env = {
    .executor_id = ex->executor_id,
    .host = ex->host,
    .port = ex->port,
    .shuffle_dir = ex->shuffle_dir,
    .block_size = ex->block_size,
    .max_bytes_in_flight = ex->max_in_flight,
    .fetch_retries = ex->fetch_retries,
    .fetch = fetch_segment,
    .fetch_data = &fc,
    .live = entry ? &entry->live : NULL,
  };
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(WeftTaskOutcome) o = weft_task_run (task, &env);
  g_hash_table_unref (fc.ahead);

  /* Recorded before the driver hears of it: a reducer sent here right after must find it. */
  if (o->state == WEFT_TASK_SUCCEEDED && o->map_output && o->map_output->data_path)
    {
      g_mutex_lock (&ex->lock);
      g_hash_table_replace (ex->outputs,
                            g_memdup2 (&(guint64) { output_key (o->map_output->shuffle_id,
                                                                o->map_output->map_id) },
                                       sizeof (guint64)),
                            g_strdup (o->map_output->data_path));
      g_mutex_unlock (&ex->lock);
    }
  if (o->state == WEFT_TASK_SUCCEEDED)
    g_message ("task %" G_GUINT64_FORMAT " finished: SUCCEEDED in %" G_GINT64_FORMAT " ms",
               task->task_id, (g_get_monotonic_time () - t0) / 1000);
  else
    g_message ("task %" G_GUINT64_FORMAT " finished: %s in %" G_GINT64_FORMAT " ms: %s",
               task->task_id, state_name (o->state), (g_get_monotonic_time () - t0) / 1000,
               o->message ? o->message : "");
  GBytes *bytes = encode_outcome (ex, o);

  g_mutex_lock (&ex->lock);
  g_hash_table_remove (ex->running, &task->task_id);
  ex->executing--;
  g_cond_broadcast (&ex->changed);
  g_mutex_unlock (&ex->lock);
  g_async_queue_push (ex->outcomes, bytes);
  weft_task_unref (task);
}

/* ---- what the handler calls ---- */

static gboolean
op_launch (gpointer data, GPtrArray *tasks, GError **error)
{
  Executor *ex = data;
  gint64 deadline = g_get_monotonic_time () + LAUNCH_WAIT_US;
  g_mutex_lock (&ex->lock);
  while (!ex->registered && !ex->stopping)
    if (!g_cond_wait_until (&ex->changed, &ex->lock, deadline))
      break;
  if (!ex->registered || ex->stopping)
    {
      g_mutex_unlock (&ex->lock);
      g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_NOT_READY, "executor %s is %s",
                   ex->executor_id, ex->stopping ? "stopping" : "not registered yet");
      return FALSE;
    }
  for (guint i = 0; i < tasks->len; i++)
    {
      const WeftTask *t = tasks->pdata[i];
      gboolean dup = g_hash_table_contains (ex->running, &t->task_id);
      for (guint j = 0; j < i && !dup; j++)
        dup = ((const WeftTask *) tasks->pdata[j])->task_id == t->task_id;
      if (dup)
        {
          g_mutex_unlock (&ex->lock);
          g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_EXISTS,
                       "task %" G_GUINT64_FORMAT " is already running on executor %s",
                       t->task_id, ex->executor_id);
          return FALSE;
        }
    }
  for (guint i = 0; i < tasks->len; i++)
    {
      WeftTask *t = tasks->pdata[i];
      Running *r = g_new0 (Running, 1);
      r->task = weft_task_ref (t);
      g_hash_table_insert (ex->running, g_memdup2 (&t->task_id, sizeof (guint64)), r);
    }
  g_mutex_unlock (&ex->lock);
  for (guint i = 0; i < tasks->len; i++)
    g_thread_pool_push (ex->pool, weft_task_ref (tasks->pdata[i]), NULL);
  return TRUE;
}

static GBytes *
op_read_segment (gpointer data, guint shuffle_id, guint map_id, guint reduce_id, GError **error)
{
  Executor *ex = data;
  guint64 key = output_key (shuffle_id, map_id);
  g_mutex_lock (&ex->lock);
  /* Only what this executor's own tasks committed: the path never comes from the peer. */
  g_autofree char *path = g_strdup (g_hash_table_lookup (ex->outputs, &key));
  g_mutex_unlock (&ex->lock);
  if (path == NULL)
    {
      g_set_error (error, EXECUTOR_ERROR, EXECUTOR_ERROR_NOT_FOUND,
                   "executor %s holds no map output %u of shuffle %u", ex->executor_id, map_id,
                   shuffle_id);
      return NULL;
    }
  GBytes *seg = weft_shuffle_read_segment (path, reduce_id, error);
  if (seg == NULL)
    g_prefix_error (error, "executor %s, shuffle %u, map %u, reduce %u: ", ex->executor_id,
                    shuffle_id, map_id, reduce_id);
  return seg;
}

static void
op_stop (gpointer data, const char *caller, const char *reason)
{
  Executor *ex = data;
  g_autofree char *why = g_strdup_printf ("stop_executor from %s: %s", caller,
                                          *reason ? reason : "(no reason given)");
  request_exit (ex, 0, why);
}

static const ExecutorRpcOps ops = { op_launch, op_read_segment, op_stop };

/* ---- start and exit ---- */

static gboolean
split_address (const char *address, char **host, guint16 *port)
{
  const char *colon = address ? strrchr (address, ':') : NULL;
  guint64 p = 0;
  if (colon == NULL || colon == address
      || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &p, NULL))
    return FALSE;
  *host = g_strndup (address, (gsize) (colon - address));
  *port = (guint16) p;
  return TRUE;
}

/* A folder of its own under @base, so two executors in one working folder never share one, and
 * removing it at exit removes nothing else. */
static char *
make_shuffle_dir (const char *base, const char *executor_id, GError **error)
{
  g_autoptr(GString) safe = g_string_new (NULL);
  for (const char *p = executor_id; *p && safe->len < 64; p++)
    g_string_append_c (safe, g_ascii_isalnum (*p) || *p == '-' || *p == '_' ? *p : '_');
  if (g_mkdir_with_parents (base, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "cannot create %s: %s", base,
                   g_strerror (e));
      return NULL;
    }
  g_autofree char *name = g_strdup_printf ("weft-shuffle-%s-XXXXXX", safe->str);
  char *dir = g_build_filename (base, name, NULL);
  if (g_mkdtemp_full (dir, 0700) == NULL)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                   "cannot create a shuffle folder in %s: %s", base, g_strerror (e));
      g_free (dir);
      return NULL;
    }
  return dir;
}

static void
usage_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
usage_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_printerr ("weft-executor: %s\nTry weft-executor --help.\n", msg);
}

static void
executor_free (Executor *ex)
{
  if (ex->pool)
    g_thread_pool_free (ex->pool, TRUE, TRUE);
  executor_fetcher_free (ex->fetcher);
  g_hash_table_unref (ex->running);
  g_hash_table_unref (ex->outputs);
  /* The stop sentinel may still be queued (a sender that left from a backoff): not a GBytes. */
  for (gpointer item; (item = g_async_queue_try_pop (ex->outcomes)) != NULL;)
    if (item != sentinel_stop)
      g_bytes_unref (item);
  g_async_queue_unref (ex->outcomes);
  weft_waiter_unref (ex->beat_wake);
  weft_waiter_unref (ex->send_wake);
  g_main_loop_unref (ex->loop);
  weft_secret_free (ex->secret);
  g_mutex_clear (&ex->lock);
  g_cond_clear (&ex->changed);
  g_free (ex->driver_host);
  g_free (ex->app_id);
  g_free (ex->executor_id);
  g_free (ex->host);
  g_free (ex->container_id);
  g_free (ex->node_id);
  g_free (ex->shuffle_dir);
  g_free (ex);
}

/* Ends the executor once the main loop has returned: stops serving, lets the helper threads go,
 * removes the shuffle folder. Returns FALSE when tasks (or a call to a silent driver) still run
 * after the grace period: then nothing may be freed. */
static gboolean
shut_down (Executor *ex, WeftRpcServer *server)
{
  g_mutex_lock (&ex->lock);
  ex->stopping = TRUE;
  g_cond_broadcast (&ex->changed);
  g_mutex_unlock (&ex->lock);
  weft_rpc_server_stop (server);
  g_async_queue_push_front (ex->outcomes, sentinel_stop);
  weft_waiter_wake (ex->beat_wake);
  weft_waiter_wake (ex->send_wake);

  gint64 deadline = g_get_monotonic_time () + EXIT_GRACE_US;
  g_mutex_lock (&ex->lock);
  while (ex->helpers > 0 || ex->executing > 0)
    if (!g_cond_wait_until (&ex->changed, &ex->lock, deadline))
      break;
  gboolean idle = ex->helpers == 0 && ex->executing == 0;
  guint abandoned = ex->executing;
  g_mutex_unlock (&ex->lock);

  g_autoptr(GError) error = NULL;
  if (!weft_fs_remove_tree (ex->shuffle_dir, &error))
    g_warning ("cannot remove the shuffle folder: %s", error->message);
  if (!idle)
    g_message ("executor %s leaves %u running tasks behind", ex->executor_id, abandoned);
  return idle;
}

/* Serves, registers, runs until told to stop. Returns the exit status. */
static int
executor_run (Executor *ex, WeftConf *conf)
{
  g_autoptr(GError) error = NULL;
  ex->pool = g_thread_pool_new (run_task, ex, (gint) ex->cores, FALSE, NULL);

  /* Serve first: the hello carries the port. A name is advertised as given, and the server
   * listens on rpc.bind-address (the listener takes numeric addresses only). */
  ExecutorRpcConfig rc = { ex->secret, ex->app_id, &ops, ex,
                           ex->opts.max_message_size - MESSAGE_MARGIN };
  ThriftProcessor *proc = executor_rpc_processor_new (&rc);
  g_autoptr(WeftRpcServer) server = weft_rpc_server_new ("executor", proc, &ex->opts);
  g_object_unref (proc);
  const char *bind = g_hostname_is_ip_address (ex->host)
                       ? ex->host : weft_conf_get_string (conf, "rpc.bind-address");
  if (!weft_rpc_server_start (server, bind, 0, &error))
    {
      g_printerr ("weft-executor: %s\n", error->message);
      shut_down (ex, server);
      return 1;
    }
  ex->port = weft_rpc_server_get_port (server);
  g_message ("executor %s of %s serving on %s:%u (%u cores, shuffle folder %s)", ex->executor_id,
             ex->app_id, ex->host, ex->port, ex->cores, ex->shuffle_dir);

  ExecutorWelcome welcome = { 0 };
  {
    g_autoptr(ExecutorDriver) d = executor_driver_new (ex->driver_host, ex->driver_port,
                                                       ex->secret, ex->app_id, ex->executor_id,
                                                       &ex->opts);
    gboolean ok = register_with_driver (ex, d, &welcome, &error);
    if (ok && *welcome.application_id && g_strcmp0 (welcome.application_id, ex->app_id) != 0)
      {
        g_set_error (&error, EXECUTOR_ERROR, EXECUTOR_ERROR_CONF,
                     "the driver at %s:%u runs %s, not %s", ex->driver_host, ex->driver_port,
                     welcome.application_id, ex->app_id);
        ok = FALSE;
      }
    if (ok && !apply_conf (ex, welcome.conf, &error))
      {
        g_prefix_error (&error, "the driver's configuration: ");
        ok = FALSE;
      }
    if (ok)
      ex->heartbeat_us = (welcome.heartbeat_interval_ms > 0
                            ? CLAMP (welcome.heartbeat_interval_ms, 10, 600000)
                            : DEFAULT_HEARTBEAT_MS) * 1000;
    executor_welcome_clear (&welcome);
    if (!ok)
      {
        g_printerr ("weft-executor: %s\n", error->message);
        shut_down (ex, server);
        return 1;
      }
  }
  WeftRpcOptions fo = ex->opts;
  /* The task retries a fetch (spark.shuffle.io.maxRetries): the client does not too. */
  fo.retries = 0;
  ex->fetcher = executor_fetcher_new (ex->secret, ex->app_id, ex->executor_id, &fo);
  g_mutex_lock (&ex->lock);
  ex->registered = TRUE;
  ex->helpers = 2;
  g_cond_broadcast (&ex->changed);
  g_mutex_unlock (&ex->lock);
  g_message ("registered with the driver at %s:%u: heartbeat every %" G_GINT64_FORMAT
             " ms, network timeout %" G_GINT64_FORMAT " ms, block size %" G_GSIZE_FORMAT
             ", %" G_GSIZE_FORMAT " bytes in flight, %u tries per fetch", ex->driver_host,
             ex->driver_port, ex->heartbeat_us / 1000, ex->network_timeout_us / 1000,
             ex->block_size, ex->max_in_flight, ex->fetch_retries);
  GThread *heartbeat = g_thread_new ("heartbeat", heartbeat_main, ex);
  GThread *sender = g_thread_new ("outcomes", sender_main, ex);

  g_main_loop_run (ex->loop);

  g_mutex_lock (&ex->lock);
  if (!ex->exit_requested)
    {
      /* The loop ended on a signal. */
      ex->exit_requested = TRUE;
      ex->exit_status = 0;
    }
  int status = ex->exit_status;
  g_mutex_unlock (&ex->lock);
  if (!shut_down (ex, server))
    /* Running tasks use the state: leave it to the process's end rather than free it. */
    exit (status);
  g_thread_join (heartbeat);
  g_thread_join (sender);
  /* Tasks still queued see `stopping` and return at once. */
  g_thread_pool_free (ex->pool, FALSE, TRUE);
  ex->pool = NULL;
  g_message ("executor %s exited with status %d", ex->executor_id, status);
  return status;
}

int
main (int argc, char **argv)
{
  g_autoptr(WeftConf) conf = weft_daemon_start ("weft-executor", &argc, &argv);
  if (conf == NULL)
    return 2;

  g_autofree char *driver = NULL, *app_id = NULL, *executor_id = NULL, *memory_text = NULL;
  g_autofree char *host = NULL, *shuffle_base = NULL;
  gint cores = 0;
  GOptionEntry entries[] = {
    { "driver", 0, 0, G_OPTION_ARG_STRING, &driver, "The driver's endpoint", "HOST:PORT" },
    { "app-id", 0, 0, G_OPTION_ARG_STRING, &app_id, "The application", "APP" },
    { "executor-id", 0, 0, G_OPTION_ARG_STRING, &executor_id, "This executor's id", "ID" },
    { "cores", 0, 0, G_OPTION_ARG_INT, &cores, "Tasks run at once", "N" },
    { "memory", 0, 0, G_OPTION_ARG_STRING, &memory_text, "Memory of the container", "BYTES" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to serve on and advertise (127.0.0.1)",
      "HOST" },
    { "shuffle-dir", 0, 0, G_OPTION_ARG_FILENAME, &shuffle_base,
      "Where to make the shuffle folder (the working folder)", "DIR" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- run a Weft driver's tasks");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, "The application's secret comes from WEFT_APP_SECRET.\n"
                                    "Also: --conf GROUP.KEY=VALUE, --conf-dir DIR, -v.");
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      usage_error ("%s", error->message);
      return 2;
    }
  if (argc > 1)
    {
      usage_error ("unexpected argument \"%s\"", argv[1]);
      return 2;
    }
  g_autofree char *driver_host = NULL;
  guint16 driver_port = 0;
  if (driver == NULL || !split_address (driver, &driver_host, &driver_port))
    {
      usage_error ("--driver HOST:PORT is required");
      return 2;
    }
  if (app_id == NULL || *app_id == '\0' || executor_id == NULL || *executor_id == '\0')
    {
      usage_error ("--app-id and --executor-id are required");
      return 2;
    }
  if (cores < 1 || cores > 4096)
    {
      usage_error ("--cores must be from 1 to 4096");
      return 2;
    }
  gint64 memory = 0;
  if (memory_text && !weft_parse_size (memory_text, &memory, &error))
    {
      usage_error ("--memory: %s", error->message);
      return 2;
    }

  /* The secret is read once and taken out of the environment, so nothing the executor might
   * start inherits it. */
  const char *secret_text = g_getenv (WEFT_APP_SECRET_ENV);
  if (secret_text == NULL || *secret_text == '\0')
    {
      g_printerr ("weft-executor: %s is not set: the driver puts the application's secret in "
                  "each executor's environment, and without it no call can be checked. "
                  "Refusing to start.\n", WEFT_APP_SECRET_ENV);
      return 2;
    }
  g_autoptr(WeftSecret) secret = weft_app_secret_decode (secret_text, &error);
  if (secret == NULL)
    {
      g_printerr ("weft-executor: %s\n", error->message);
      return 2;
    }
  g_unsetenv (WEFT_APP_SECRET_ENV);

  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *shuffle_dir = make_shuffle_dir (shuffle_base ? shuffle_base : cwd, executor_id,
                                                   &error);
  if (shuffle_dir == NULL)
    {
      g_printerr ("weft-executor: %s\n", error->message);
      return 1;
    }

  Executor *ex = g_new0 (Executor, 1);
  ex->driver_host = g_steal_pointer (&driver_host);
  ex->driver_port = driver_port;
  ex->app_id = g_steal_pointer (&app_id);
  ex->executor_id = g_steal_pointer (&executor_id);
  ex->host = g_strdup (host ? host : "127.0.0.1");
  ex->cores = (guint) cores;
  ex->memory = memory;
  ex->container_id = g_strdup (g_getenv ("WEFT_CONTAINER_ID"));
  ex->node_id = g_strdup (g_getenv ("WEFT_NM_ADDRESS"));
  ex->shuffle_dir = g_steal_pointer (&shuffle_dir);
  ex->secret = g_steal_pointer (&secret);
  weft_rpc_options_from_conf (&ex->opts, conf);
  ex->opts.max_message_size = MAX (ex->opts.max_message_size, MIN_MESSAGE_SIZE);
  /* Until the welcome says otherwise. */
  ex->block_size = WEFT_SHUFFLE_DEFAULT_BLOCK_SIZE;
  ex->max_in_flight = DEFAULT_IN_FLIGHT;
  ex->fetch_retries = DEFAULT_MAX_RETRIES + 1;
  ex->network_timeout_us = (gint64) DEFAULT_NETWORK_TIMEOUT_MS * 1000;
  g_mutex_init (&ex->lock);
  g_cond_init (&ex->changed);
  ex->running = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                       (GDestroyNotify) running_free);
  ex->outputs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  ex->outcomes = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  ex->beat_wake = weft_waiter_new ();
  ex->send_wake = weft_waiter_new ();
  ex->loop = g_main_loop_new (NULL, FALSE);
  weft_daemon_quit_on_signals (ex->loop);

  int status = executor_run (ex, conf);
  executor_free (ex);
  return status;
}
