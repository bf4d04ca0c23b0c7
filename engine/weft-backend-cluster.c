/* weft-backend-cluster: the engine on the cluster (masters "weft", "yarn", "weft://HOST:PORT").
 * The driver is the application's AM: in cluster deploy mode it runs in the AM container and
 * registers with the token the NM gave it; in client mode it submits an unmanaged-AM
 * application and registers itself. It asks for spark.executor.instances containers of
 * spark.executor.cores vcores and spark.executor.memory plus an overhead (max(64 MiB, 5 %)),
 * starts weft-executor in each through its NM with the application's secret in the
 * container's environment, and serves DriverEndpoint, where executors register, report task
 * outcomes and heartbeat. Tasks wait in one queue and go to free slots, preferring the executor
 * that holds most of a task's shuffle input for spark.locality.wait. An executor whose
 * container completes, whose launch call fails, or that is silent past
 * spark.network.timeout is lost: its running tasks are reported EXECUTOR_LOST (with the
 * container's exit reason, e.g. MEMORY_EXCEEDED, so the driver's error says why) and a
 * replacement is asked for. One thread, the AM loop, talks to the RM, the NMs and the
 * executors; RPC handlers only update the shared state under the lock and wake it. */
#include "weft/weft-backend.h"

#include <string.h>

#include "weft-app-auth.h"
#include "weft-cluster-rpc.h"
#include "weft-conf.h"
#include "weft-daemon.h"
#include "weft-engine-error.h"
#include "weft-spark-conf.h"
#include "weft-task.h"
#include "weft-task-rpc.h"
#include "weft-yarn-rpc.h"

#define ALLOCATE_INTERVAL_US (100 * 1000)   /* AM heartbeat to the RM */
#define ALLOCATE_FAST_US     (20 * 1000)    /* ... while containers are awaited */

typedef struct {
  char *id;
  char *container_id;
  char *node_id;
  char *host;
  guint port;
  guint cores;
  guint free;
  gboolean registered;
  gint64 last_seen_us;
  gint64 idle_since_us;         /* when it last ran out of tasks (0: busy) */
  char *doomed;                 /* (nullable) why the AM loop must lose it at once */
  GHashTable *running;          /* task id (guint64*) -> WeftTask* */
  /* task id (guint64*) -> WeftTaskMetrics*: the latest its heartbeats said of running tasks
   * (only tasks in `running`; dropped with the task's outcome) */
  GHashTable *metrics;
  WeftClusterExecutor *client;  /* (nullable) used by the AM loop only */
} Executor;

typedef struct {
  WeftTask *task;
  gint64 queued_us;
} Pending;

typedef struct {
  /* Fixed once open. */
  GHashTable *sconf;            /* spark.* key -> value */
  WeftConf *conf;               /* the cluster's configuration (RM address, RPC options) */
  WeftRpcOptions opts;
  char *app_id;
  WeftSecret *secret;
  char *secret_text;
  WeftToken *token;             /* the driver's own application token */
  gboolean client_mode;
  WeftYarnAm *am;
  WeftClusterServer *server;
  char *driver_host;
  guint16 driver_port;
  guint n_executors;
  guint cores;
  gint64 executor_memory;
  gint64 container_mb;
  char *executor_path;
  GArray *files;                /* WeftYarnResource: weft-submit's --files, for every executor */
  GStrv file_fields;            /* (owns the names and digests of files) */
  GPtrArray *sources;           /* (owns the sources of files) */
  gint64 heartbeat_ms;
  gint64 executor_timeout_us;
  gint64 locality_wait_us;
  /* Dynamic allocation (spark.dynamicAllocation.*): the executor count follows the backlog. */
  gboolean dynamic;
  guint min_executors, max_executors;
  gint64 backlog_timeout_us;    /* tasks waiting this long make the target grow */
  gint64 idle_timeout_us;       /* an executor without tasks this long is released */
  gint64 backlog_since_us;      /* (under lock) since when tasks have waited, 0: none */
  guint target;                 /* (under lock) executors wanted now */
  /* Spark's spark.scheduler.minRegisteredResourcesRatio (0.8 on YARN) and
   * maxRegisteredResourcesWaitingTime: tasks wait for most executors to register, so the first
   * stage spreads over them rather than piling onto the first one up. */
  double min_registered_ratio;
  gint64 registered_wait_us;
  gint64 opened_us;
  gboolean ready;
  GAsyncQueue *outcomes;
  GThread *loop;
  /* Shared under lock: handlers, launch() and the loop. */
  GMutex lock;
  GCond wake;
  GHashTable *executors;        /* id -> Executor* */
  GQueue pending;               /* Pending* */
  GPtrArray *to_release;        /* container ids */
  guint asked;                  /* containers asked for, not granted yet */
  guint failures;               /* executors lost (not released by us) */
  guint max_failures;           /* spark.executor.maxNumFailures: past it the application fails */
  char *failed;                 /* (nullable) why the application gave up on executors */
  guint next_executor;
  char *status;
  gboolean status_sent;         /* the RM has the last status */
  gboolean stopping;
} Cluster;

static void
executor_free (Executor *e)
{
  g_free (e->id);
  g_free (e->container_id);
  g_free (e->node_id);
  g_free (e->host);
  g_free (e->doomed);
  g_hash_table_unref (e->running);
  g_hash_table_unref (e->metrics);
  weft_cluster_executor_free (e->client);
  g_free (e);
}

static const char *
sconf (Cluster *c, const char *key, const char *fallback)
{
  const char *v = g_hash_table_lookup (c->sconf, key);
  return v ? v : fallback;
}

static gboolean
cluster_accepts (const char *master)
{
  return g_strcmp0 (master, "weft") == 0 || g_strcmp0 (master, "yarn") == 0
         || g_str_has_prefix (master, "weft://");
}

/* ---- losing executors (lock held) ---- */

static void
push_lost (Cluster *c, guint64 task_id, const char *executor_id, const char *why)
{
  WeftTaskOutcome *o = weft_task_outcome_new (task_id, WEFT_TASK_EXECUTOR_LOST);
  o->executor_id = g_strdup (executor_id);
  o->message = g_strdup (why);
  g_async_queue_push (c->outcomes, o);
}

/* Reports @e's running tasks lost with @why, then the executor itself (so the DAG scheduler
 * forgets the map outputs it served), and forgets it. Its container is released. */
/* Fails every waiting task with @why (lock held): the application has no executors to run them. */
static void
fail_pending (Cluster *c)
{
  Pending *p;
  while ((p = g_queue_pop_head (&c->pending)) != NULL)
    {
      WeftTaskOutcome *o = weft_task_outcome_new (p->task->task_id, WEFT_TASK_FAILED);
      o->message = g_strdup (c->failed);
      g_async_queue_push (c->outcomes, o);
      weft_task_unref (p->task);
      g_free (p);
    }
}

static void
lose_executor_counted (Cluster *c, Executor *e, const char *why, gboolean count);

static void
lose_executor (Cluster *c, Executor *e, const char *why)
{
  lose_executor_counted (c, e, why, TRUE);
}

/* As lose_executor, for an executor we let go ourselves (idle): not a failure. */
static void
release_executor (Cluster *c, Executor *e, const char *why)
{
  lose_executor_counted (c, e, why, FALSE);
}

static void
lose_executor_counted (Cluster *c, Executor *e, const char *why, gboolean count)
{
  g_autofree char *msg = g_strdup_printf ("executor %s (container %s on %s) lost: %s", e->id,
                                          e->container_id, e->node_id, why);
  /* Spark's spark.executor.maxNumFailures: executors that keep dying (a container that cannot
   * start, a quota every task exceeds) end the application rather than loop for ever. */
  if (count && ++c->failures > c->max_failures && c->failed == NULL)
    {
      c->failed = g_strdup_printf ("the application lost %u executors (more than "
                                   "spark.executor.maxNumFailures = %u); the last: %s",
                                   c->failures, c->max_failures, msg);
      g_message ("%s", c->failed);
    }
  g_message ("%s", msg);
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init (&it, e->running);
  while (g_hash_table_iter_next (&it, &k, NULL))
    {
      /* How far the task had got, from the last heartbeat: a task lost late in a long run
       * reads differently from one that never started. */
      const WeftTaskMetrics *m = g_hash_table_lookup (e->metrics, k);
      if (m == NULL)
        {
          push_lost (c, *(guint64 *) k, e->id, msg);
          continue;
        }
      g_autofree char *task_msg = g_strdup_printf (
        "%s (task %" G_GUINT64_FORMAT " lost after %" G_GUINT64_FORMAT " ms, %" G_GUINT64_FORMAT
        " records read)", msg, *(guint64 *) k, m->run_ms, m->records_read);
      push_lost (c, *(guint64 *) k, e->id, task_msg);
    }
  push_lost (c, 0, e->id, msg);
  g_ptr_array_add (c->to_release, g_strdup (e->container_id));
  g_hash_table_remove (c->executors, e->id);
  if (c->failed)
    fail_pending (c);
}

static Executor *
executor_by_container (Cluster *c, const char *container_id)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, c->executors);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (g_strcmp0 (((Executor *) v)->container_id, container_id) == 0)
      return v;
  return NULL;
}

/* ---- DriverEndpoint callbacks (server threads) ---- */

static gboolean
on_registered (gpointer data, const WeftClusterHello *h, gint64 *heartbeat_ms, GHashTable *conf_out,
               GError **error)
{
  Cluster *c = data;
  g_mutex_lock (&c->lock);
  Executor *e = g_hash_table_lookup (c->executors, h->executor_id);
  if (e && e->registered)
    {
      /* Registered already (a resent call): the AM loop may be using its client. */
      e->last_seen_us = g_get_monotonic_time ();
      g_mutex_unlock (&c->lock);
      *heartbeat_ms = c->heartbeat_ms;
      return TRUE;
    }
  if (e == NULL || c->stopping)
    {
      g_mutex_unlock (&c->lock);
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "executor %s is not one this driver started (or the application is ending)",
                   h->executor_id);
      return FALSE;
    }
  g_free (e->host);
  e->host = g_strdup (h->host);
  e->port = h->port;
  e->cores = h->cores;
  e->free = h->cores;
  e->registered = TRUE;
  e->last_seen_us = g_get_monotonic_time ();
  e->idle_since_us = e->last_seen_us;
  g_clear_pointer (&e->client, weft_cluster_executor_free);
  /* A launch to an executor that hangs must not hold the AM loop longer than the executor may
   * be silent before it is lost anyway. */
  WeftRpcOptions eo = c->opts;
  eo.call_timeout_us = MIN (eo.call_timeout_us, c->executor_timeout_us);
  eo.connect_timeout_us = MIN (eo.connect_timeout_us, c->executor_timeout_us);
  e->client = weft_cluster_executor_new (e->host, (guint16) e->port, c->token, &eo);
  g_info ("executor %s registered from %s:%u with %u cores", e->id, e->host, e->port, e->cores);
  g_cond_signal (&c->wake);
  g_mutex_unlock (&c->lock);
  *heartbeat_ms = c->heartbeat_ms;
  static const char *const passed[] = {
    "spark.weft.shuffle.blockSize", "spark.reducer.maxSizeInFlight", "spark.shuffle.io.maxRetries",
    "spark.network.timeout",
  };
  for (guint i = 0; i < G_N_ELEMENTS (passed); i++)
    {
      const char *v = g_hash_table_lookup (c->sconf, passed[i]);
      if (v)
        g_hash_table_insert (conf_out, g_strdup (passed[i]), g_strdup (v));
    }
  return TRUE;
}

static void
on_outcomes (gpointer data, const char *executor_id, GPtrArray *outcomes)
{
  Cluster *c = data;
  for (guint i = 0; i < outcomes->len; i++)
    {
      g_autoptr(GError) error = NULL;
      WeftTaskOutcome *o = weft_task_outcome_decode (outcomes->pdata[i], &error);
      if (o == NULL)
        {
          /* Which task it was is unknown: the executor is not to be trusted with any. Losing it
           * reports its tasks lost, so they run elsewhere rather than be waited for. */
          g_autofree char *why = g_strdup_printf ("it sent an outcome that does not decode: %s",
                                                  error->message);
          g_mutex_lock (&c->lock);
          Executor *bad = g_hash_table_lookup (c->executors, executor_id);
          /* The AM loop loses it (it alone frees executors: it may be using this one's client). */
          if (bad && bad->doomed == NULL)
            bad->doomed = g_steal_pointer (&why);
          g_cond_signal (&c->wake);
          g_mutex_unlock (&c->lock);
          continue;
        }
      g_mutex_lock (&c->lock);
      Executor *e = g_hash_table_lookup (c->executors, executor_id);
      /* A task of an executor already declared lost was reported then: drop it. */
      gboolean known = e && g_hash_table_remove (e->running, &o->task_id);
      if (known)
        {
          g_hash_table_remove (e->metrics, &o->task_id);
          e->free++;
          e->last_seen_us = g_get_monotonic_time ();
          if (g_hash_table_size (e->running) == 0)
            e->idle_since_us = e->last_seen_us;
          g_cond_signal (&c->wake);
        }
      g_mutex_unlock (&c->lock);
      if (!known)
        {
          weft_task_outcome_free (o);
          continue;
        }
      if (o->executor_id == NULL)
        o->executor_id = g_strdup (executor_id);
      g_async_queue_push (c->outcomes, o);
    }
}

static gboolean
on_heartbeat (gpointer data, const char *executor_id, const gint64 *running, guint n,
              const WeftClusterTaskMetrics *metrics, guint n_metrics, gboolean *reregister)
{
  Cluster *c = data;
  g_mutex_lock (&c->lock);
  Executor *e = g_hash_table_lookup (c->executors, executor_id);
  if (e)
    e->last_seen_us = g_get_monotonic_time ();
  for (guint i = 0; e && i < n_metrics; i++)
    {
      const WeftClusterTaskMetrics *m = &metrics[i];
      /* Only tasks still running here: a beat sent before an outcome may arrive after it. */
      if (!g_hash_table_contains (e->running, &m->task_id))
        continue;
      g_hash_table_replace (e->metrics, g_memdup2 (&m->task_id, sizeof (guint64)),
                            g_memdup2 (&m->metrics, sizeof (WeftTaskMetrics)));
      g_debug ("executor %s: task %" G_GUINT64_FORMAT " running %" G_GUINT64_FORMAT " ms, %"
               G_GUINT64_FORMAT " records read, %" G_GUINT64_FORMAT " written, %"
               G_GUINT64_FORMAT " shuffle bytes read, %" G_GUINT64_FORMAT " written",
               executor_id, m->task_id, m->metrics.run_ms, m->metrics.records_read,
               m->metrics.records_written, m->metrics.shuffle_bytes_read,
               m->metrics.shuffle_bytes_written);
    }
  gboolean stop = c->stopping || e == NULL;
  g_mutex_unlock (&c->lock);
  *reregister = FALSE;
  return stop;
}

static const WeftClusterHandlers handlers = { on_registered, on_outcomes, on_heartbeat };

/* ---- the AM loop ---- */

/* The executor to run @task on: the one holding most of its shuffle input, when it has a free
 * slot or the task has waited long enough elsewhere; else any with a free slot. */
static Executor *
place (Cluster *c, const Pending *p, gint64 now)
{
  g_autoptr(GHashTable) bytes = g_hash_table_new (g_str_hash, g_str_equal);
  const WeftTask *t = p->task;
  for (guint i = 0; i < t->inputs->len; i++)
    {
      const WeftMapOutput *mo = t->inputs->pdata[i];
      guint64 sum = GPOINTER_TO_SIZE (g_hash_table_lookup (bytes, mo->executor_id));
      for (guint k = 0; k < mo->n_sizes; k++)
        sum += mo->sizes[k];
      g_hash_table_insert (bytes, mo->executor_id, GSIZE_TO_POINTER (sum));
    }
  Executor *best = NULL, *any = NULL;
  guint64 best_bytes = 0;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, c->executors);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Executor *e = v;
      if (!e->registered)
        continue;
      guint64 b = GPOINTER_TO_SIZE (g_hash_table_lookup (bytes, e->id));
      if (b > best_bytes || best == NULL)
        {
          best = e;
          best_bytes = b;
        }
      if (e->free > 0 && (any == NULL || e->free > any->free))
        any = e;
    }
  if (best && best->free > 0)
    return best;
  if (best_bytes > 0 && now - p->queued_us < c->locality_wait_us)
    return NULL;
  return any;
}

typedef struct {
  Executor *e;      /* (borrowed under the lock; the id is copied) */
  char *executor_id;
  WeftClusterExecutor *client;
  GPtrArray *tasks; /* GBytes* */
} Launch;

static void
dispatch (Cluster *c)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GHashTable) launches = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_mutex_lock (&c->lock);
  if (!c->ready)
    {
      guint registered = 0;
      GHashTableIter it;
      gpointer v;
      g_hash_table_iter_init (&it, c->executors);
      while (g_hash_table_iter_next (&it, NULL, &v))
        registered += ((Executor *) v)->registered;
      c->ready = registered >= (guint) (c->min_registered_ratio * c->target + 0.999)
                 || now - c->opened_us >= c->registered_wait_us;
      if (!c->ready)
        {
          g_mutex_unlock (&c->lock);
          return;
        }
    }
  for (GList *l = c->pending.head; l;)
    {
      GList *next = l->next;
      Pending *p = l->data;
      Executor *e = place (c, p, now);
      if (e)
        {
          Launch *la = g_hash_table_lookup (launches, e->id);
          if (la == NULL)
            {
              la = g_new0 (Launch, 1);
              la->executor_id = g_strdup (e->id);
              la->client = e->client;
              la->tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
              g_hash_table_insert (launches, la->executor_id, la);
              g_ptr_array_add (order, la);
            }
          g_autoptr(GError) error = NULL;
          GBytes *bytes = weft_task_encode (p->task, &error);
          if (bytes == NULL)
            {
              WeftTaskOutcome *o = weft_task_outcome_new (p->task->task_id, WEFT_TASK_FAILED);
              o->message = g_strdup (error->message);
              g_async_queue_push (c->outcomes, o);
            }
          else
            {
              e->free--;
              e->idle_since_us = 0;
              g_hash_table_insert (e->running, g_memdup2 (&p->task->task_id, sizeof (guint64)),
                                   weft_task_ref (p->task));
              g_ptr_array_add (la->tasks, bytes);
            }
          weft_task_unref (p->task);
          g_free (p);
          g_queue_delete_link (&c->pending, l);
        }
      l = next;
    }
  g_mutex_unlock (&c->lock);
  /* The calls go out without the lock: only this thread uses the executors' clients, and an
   * executor is freed only by this thread (lose_executor runs here or under a handler that
   * does not free clients in use: see below). */
  for (guint i = 0; i < order->len; i++)
    {
      Launch *la = order->pdata[i];
      g_autoptr(GError) error = NULL;
      if (!weft_cluster_executor_launch (la->client, la->tasks, &error))
        {
          g_mutex_lock (&c->lock);
          Executor *e = g_hash_table_lookup (c->executors, la->executor_id);
          if (e)
            lose_executor (c, e, error->message);
          g_mutex_unlock (&c->lock);
        }
      g_ptr_array_unref (la->tasks);
      g_free (la->executor_id);
      g_free (la);
    }
}

static void
start_executor (Cluster *c, const WeftYarnContainer *ct)
{
  g_mutex_lock (&c->lock);
  Executor *e = g_new0 (Executor, 1);
  e->id = g_strdup_printf ("%u", ++c->next_executor);
  e->container_id = g_strdup (ct->container_id);
  e->node_id = g_strdup (ct->node_id);
  e->running = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                      (GDestroyNotify) weft_task_unref);
  e->metrics = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  e->last_seen_us = g_get_monotonic_time ();
  g_hash_table_insert (c->executors, e->id, e);
  g_autofree char *id = g_strdup (e->id);
  g_mutex_unlock (&c->lock);

  g_autofree char *host = g_strdup (ct->node_id);
  char *colon = strrchr (host, ':');
  if (colon)
    *colon = '\0';
  g_autofree char *driver = g_strdup_printf ("%s:%u", c->driver_host, c->driver_port);
  g_autofree char *cores = g_strdup_printf ("%u", c->cores);
  g_autofree char *memory = g_strdup_printf ("%" G_GINT64_FORMAT, c->executor_memory);
  const char *argv[] = { c->executor_path, "--driver", driver, "--app-id", c->app_id,
                         "--executor-id", id, "--cores", cores, "--memory", memory,
                         "--host", host, NULL };
  g_autoptr(GHashTable) env = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (env, "WEFT_APP_SECRET", c->secret_text);
  g_autoptr(GError) error = NULL;
  if (!weft_yarn_am_start_container (c->am, ct, argv, env, (const WeftYarnResource *) c->files->data,
                                     c->files->len, &error))
    {
      g_mutex_lock (&c->lock);
      Executor *again = g_hash_table_lookup (c->executors, id);
      if (again)
        lose_executor (c, again, error->message);
      g_mutex_unlock (&c->lock);
    }
}

/* Dynamic allocation (lock held): Spark's policy. While tasks have waited longer than the
 * backlog timeout the target grows to what the waiting and running tasks need (bounded by
 * min and max executors); executors without a task for the idle timeout are released down to
 * the minimum (their map outputs are reported lost, so a later stage that needs them recomputes
 * them). */
static void
scale (Cluster *c)
{
  gint64 now = g_get_monotonic_time ();
  guint running = 0;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, c->executors);
  while (g_hash_table_iter_next (&it, NULL, &v))
    running += g_hash_table_size (((Executor *) v)->running);
  guint waiting = c->pending.length;
  if (waiting == 0)
    c->backlog_since_us = 0;
  else if (c->backlog_since_us == 0)
    c->backlog_since_us = now;
  guint need = (waiting + running + c->cores - 1) / c->cores;
  need = CLAMP (need, c->min_executors, c->max_executors);
  if (c->backlog_since_us && now - c->backlog_since_us >= c->backlog_timeout_us && need > c->target)
    {
      g_info ("dynamic allocation: %u tasks waiting, %u running: %u executors wanted (was %u)",
              waiting, running, need, c->target);
      c->target = need;
    }
  if (waiting > 0)
    return;
  g_autoptr(GPtrArray) idle = g_ptr_array_new ();
  g_hash_table_iter_init (&it, c->executors);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Executor *e = v;
      if (e->registered && e->idle_since_us && now - e->idle_since_us >= c->idle_timeout_us)
        g_ptr_array_add (idle, e);
    }
  for (guint i = 0; i < idle->len && g_hash_table_size (c->executors) > c->min_executors; i++)
    {
      Executor *e = idle->pdata[i];
      g_autofree char *why = g_strdup_printf ("idle for %" G_GINT64_FORMAT " ms (dynamic allocation)",
                                              (now - e->idle_since_us) / 1000);
      g_info ("releasing executor %s: %s", e->id, why);
      release_executor (c, e, why);
    }
  c->target = MAX (MIN (c->target, g_hash_table_size (c->executors)), c->min_executors);
}

static void
allocate (Cluster *c)
{
  g_mutex_lock (&c->lock);
  if (c->dynamic)
    scale (c);
  guint live = g_hash_table_size (c->executors);
  guint want = c->stopping || c->failed ? 0 : c->target;
  guint ask = want > live + c->asked ? want - live - c->asked : 0;
  c->asked += ask;
  g_autoptr(GPtrArray) releases = c->to_release;
  c->to_release = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (releases, NULL);
  g_autofree char *detail = c->status_sent ? NULL : g_strdup (c->status ? c->status : "");
  c->status_sent = TRUE;
  g_mutex_unlock (&c->lock);

  g_autoptr(GPtrArray) allocated = NULL;
  g_autoptr(GPtrArray) completed = NULL;
  g_autoptr(GError) error = NULL;
  if (!weft_yarn_am_allocate (c->am, ask, (gint32) c->cores, c->container_mb,
                              (const char *const *) releases->pdata, 0.0, detail, 0, &allocated,
                              &completed, &error))
    {
      g_warning ("allocate: %s", error->message);
      g_mutex_lock (&c->lock);
      c->asked -= MIN (c->asked, ask);
      g_mutex_unlock (&c->lock);
      return;
    }
  for (guint i = 0; i < allocated->len; i++)
    {
      const WeftYarnContainer *ct = allocated->pdata[i];
      g_mutex_lock (&c->lock);
      c->asked -= MIN (c->asked, 1);
      gboolean needed = !c->stopping && g_hash_table_size (c->executors) < c->target;
      if (!needed)
        g_ptr_array_add (c->to_release, g_strdup (ct->container_id));
      g_mutex_unlock (&c->lock);
      if (needed)
        start_executor (c, ct);
    }
  for (guint i = 0; i < completed->len; i++)
    {
      const WeftYarnStatus *st = completed->pdata[i];
      g_mutex_lock (&c->lock);
      Executor *e = executor_by_container (c, st->container_id);
      if (e && c->stopping)
        g_hash_table_remove (c->executors, e->id);
      else if (e)
        {
          g_autofree char *why = g_strdup_printf ("container %s exited with %s (exit code %d)%s%s",
                                                  st->container_id, st->reason, st->exit_code,
                                                  *st->diagnostics ? ": " : "", st->diagnostics);
          lose_executor (c, e, why);
        }
      g_mutex_unlock (&c->lock);
    }
}

/* Executors silent past the timeout are lost (their containers are released, so the NM
 * stops them). */
static void
expire (Cluster *c)
{
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&c->lock);
  g_autoptr(GPtrArray) dead = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, c->executors);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Executor *e = v;
      if (e->doomed || now - e->last_seen_us > c->executor_timeout_us)
        g_ptr_array_add (dead, e);
    }
  for (guint i = 0; i < dead->len; i++)
    {
      Executor *e = dead->pdata[i];
      g_autofree char *why = e->doomed ? g_strdup (e->doomed)
                             : g_strdup_printf ("no heartbeat for %" G_GINT64_FORMAT " ms%s",
                                                (now - e->last_seen_us) / 1000,
                                                e->registered ? "" : " (never registered)");
      lose_executor (c, e, why);
    }
  g_mutex_unlock (&c->lock);
}

static gpointer
am_loop (gpointer data)
{
  Cluster *c = data;
  gint64 next_allocate = 0;
  for (;;)
    {
      g_mutex_lock (&c->lock);
      gboolean stopping = c->stopping;
      gboolean awaiting = c->asked > 0 || g_hash_table_size (c->executors) < c->target;
      if (!stopping && g_get_monotonic_time () < next_allocate)
        g_cond_wait_until (&c->wake, &c->lock, next_allocate);
      stopping = c->stopping;
      g_mutex_unlock (&c->lock);
      if (stopping)
        break;
      expire (c);
      dispatch (c);
      gint64 now = g_get_monotonic_time ();
      if (now >= next_allocate)
        {
          allocate (c);
          next_allocate = now + (awaiting ? ALLOCATE_FAST_US : ALLOCATE_INTERVAL_US);
        }
    }
  return NULL;
}

/* ---- the backend table ---- */

static char *
find_executor (Cluster *c)
{
  const char *path = sconf (c, "spark.weft.executor.path", g_getenv ("WEFT_EXECUTOR"));
  if (path)
    return g_strdup (path);
  char *found = g_find_program_in_path ("weft-executor");
  if (found)
    return found;
  return g_build_filename (BINDIR, "weft-executor", NULL);
}

/* The cluster's keys, looked up with their defaults and read with Spark's syntax
 * (weft-spark-conf); memory sizes without a unit are MiB, as in Spark. */
static gboolean
parse_size (Cluster *c, const char *key, const char *fallback, gint64 *out, GError **error)
{
  return weft_spark_conf_size (key, sconf (c, key, fallback), 1024 * 1024, out, error);
}

static gboolean
parse_count (Cluster *c, const char *key, const char *fallback, guint *out, GError **error)
{
  return weft_spark_conf_count (key, sconf (c, key, fallback), 1, 10000, out, error);
}

/* As parse_count, but 0 is allowed. */
static gboolean
parse_count0 (Cluster *c, const char *key, const char *fallback, guint *out, GError **error)
{
  return weft_spark_conf_count (key, sconf (c, key, fallback), 0, 10000, out, error);
}

static gboolean
parse_duration (Cluster *c, const char *key, const char *fallback, gint64 *out_us, GError **error)
{
  return weft_spark_conf_duration (key, sconf (c, key, fallback), out_us, error);
}

static void cluster_free (Cluster *c);

/* weft-submit's --files, staged with the RM (spark.weft.files.staged: NAME:SIZE:SHA256,...):
 * every executor's NM puts them in its container's folder, as Spark ships --files to executors. */
static gboolean
parse_files (Cluster *c, GError **error)
{
  const char *staged = sconf (c, "spark.weft.files.staged", "");
  c->file_fields = g_strsplit (staged, ",", -1);
  for (guint i = 0; c->file_fields[i]; i++)
    {
      if (*c->file_fields[i] == '\0')
        continue;
      g_auto (GStrv) f = g_strsplit (c->file_fields[i], ":", 3);
      char *end = NULL;
      gint64 size = f[0] && f[1] ? g_ascii_strtoll (f[1], &end, 10) : -1;
      if (g_strv_length (f) != 3 || *f[0] == '\0' || end == NULL || *end || size < 0
          || strlen (f[2]) != 64)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "spark.weft.files.staged: \"%s\" is not NAME:SIZE:SHA256",
                       c->file_fields[i]);
          return FALSE;
        }
      /* The strings live in file_fields: rewrite the entry in place as NAME\0SIZE\0SHA256. */
      char *name = c->file_fields[i];
      char *colon = strchr (name, ':');
      *colon = '\0';
      char *sha = strchr (colon + 1, ':');
      *sha++ = '\0';
      WeftYarnResource r = { name, NULL, size, sha, FALSE };
      g_array_append_val (c->files, r);
    }
  for (guint i = 0; i < c->files->len; i++)
    {
      WeftYarnResource *r = &g_array_index (c->files, WeftYarnResource, i);
      g_autofree char *source = g_strdup_printf ("staging:%s/%s", c->app_id, r->name);
      g_ptr_array_add (c->sources, g_steal_pointer (&source));
      r->source = g_ptr_array_index (c->sources, c->sources->len - 1);
    }
  return TRUE;
}

static gboolean
split_address (const char *address, char **host, guint16 *port, GError **error)
{
  GError *local = NULL;
  if (weft_yarn_split_address (address, host, port, &local))
    return TRUE;
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION, "%s", local->message);
  g_error_free (local);
  return FALSE;
}

static gboolean
engine_error (GError *local, const char *what, GError **error)
{
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO, "%s: %s", what, local->message);
  g_error_free (local);
  return FALSE;
}

/* Client deploy mode: submit an application whose AM is this process, and take its token. */
static WeftToken *
submit_unmanaged (Cluster *c, const char *master, GError **error)
{
  const char *rm = g_str_has_prefix (master, "weft://") ? master + 7
                   : sconf (c, "spark.weft.rm.address", g_getenv ("WEFT_RM_CLIENT_ADDRESS"));
  g_autofree char *fallback = g_strdup_printf ("%s:%" G_GINT64_FORMAT,
                                               weft_conf_get_string (c->conf, "rm.hostname"),
                                               weft_conf_get_int (c->conf, "rm.client-port"));
  g_autofree char *host = NULL;
  guint16 port = 0;
  if (!split_address (rm ? rm : fallback, &host, &port, error))
    return NULL;
  GError *local = NULL;
  g_autoptr(WeftToken) client_token = NULL;
  if (!weft_daemon_client_token (c->conf, &client_token, NULL, &local))
    {
      engine_error (local, "no client token for the resource manager", error);
      return NULL;
    }
  g_autoptr(WeftYarnClient) client = weft_yarn_client_new (host, port, client_token, &c->opts);
  c->app_id = weft_yarn_client_new_application (client, &local);
  if (c->app_id == NULL)
    {
      engine_error (local, "cannot start an application", error);
      return NULL;
    }
  WeftYarnSubmission sub = {
    .name = sconf (c, "spark.app.name", "weft"),
    .queue = sconf (c, "spark.yarn.queue", ""),
    .am_vcores = 1,
    .am_memory_mb = 64,
    .type = "WEFT",
    .unmanaged = TRUE,
  };
  if (!weft_yarn_client_submit (client, c->app_id, &sub, &local))
    {
      engine_error (local, "cannot submit the application", error);
      return NULL;
    }
  /* The attempt (and its token) exists once the RM accepted the application. */
  for (guint i = 0; i < 500; i++)
    {
      WeftYarnAppReport r = { 0 };
      if (!weft_yarn_client_get_app (client, c->app_id, &r, &local))
        {
          engine_error (local, "cannot follow the application", error);
          return NULL;
        }
      if (r.am_token)
        {
          WeftToken *t = weft_token_decode (r.am_token, &local);
          weft_yarn_app_report_clear (&r);
          if (t == NULL)
            engine_error (local, "the application's AM token", error);
          return t;
        }
      gboolean final = g_strcmp0 (r.state, "FAILED") == 0 || g_strcmp0 (r.state, "KILLED") == 0
                       || g_strcmp0 (r.state, "FINISHED") == 0;
      if (final)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                       "application %s ended before it started (%s): %s", c->app_id, r.state,
                       r.diagnostics);
          weft_yarn_app_report_clear (&r);
          return NULL;
        }
      weft_yarn_app_report_clear (&r);
      g_usleep (10 * 1000);
    }
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
               "application %s was not accepted within 5 s", c->app_id);
  return NULL;
}

static gboolean
cluster_setup (Cluster *c, const char *master, GError **error)
{
  GError *local = NULL;
  gint64 overhead = 0, timeout = 0, wait = 0, beat = 0;
  if (!parse_count (c, "spark.executor.instances", "2", &c->n_executors, error)
      || !parse_count (c, "spark.executor.cores", "1", &c->cores, error)
      || !parse_size (c, "spark.executor.memory", "1g", &c->executor_memory, error)
      || !parse_duration (c, "spark.network.timeout", "120s", &timeout, error)
      || !parse_duration (c, "spark.locality.wait", "100ms", &wait, error)
      || !parse_duration (c, "spark.executor.heartbeatInterval", "1s", &beat, error))
    return FALSE;
  overhead = MAX ((gint64) 64 << 20, c->executor_memory / 20);
  if (g_hash_table_contains (c->sconf, "spark.executor.memoryOverhead")
      && !parse_size (c, "spark.executor.memoryOverhead", NULL, &overhead, error))
    return FALSE;
  c->container_mb = (c->executor_memory + overhead + (1 << 20) - 1) >> 20;
  const char *dyn = sconf (c, "spark.dynamicAllocation.enabled", "false");
  c->dynamic = g_ascii_strcasecmp (dyn, "true") == 0;
  if (!c->dynamic && g_ascii_strcasecmp (dyn, "false") != 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "spark.dynamicAllocation.enabled = \"%s\": expected true or false", dyn);
      return FALSE;
    }
  c->target = c->n_executors;
  if (c->dynamic)
    {
      if (!parse_count0 (c, "spark.dynamicAllocation.minExecutors", "0", &c->min_executors, error)
          || !parse_count (c, "spark.dynamicAllocation.maxExecutors", "100", &c->max_executors, error)
          || !parse_duration (c, "spark.dynamicAllocation.schedulerBacklogTimeout", "1s",
                              &c->backlog_timeout_us, error)
          || !parse_duration (c, "spark.dynamicAllocation.executorIdleTimeout", "60s",
                              &c->idle_timeout_us, error))
        return FALSE;
      if (c->min_executors > c->max_executors)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "spark.dynamicAllocation.minExecutors (%u) is above maxExecutors (%u)",
                       c->min_executors, c->max_executors);
          return FALSE;
        }
      guint first = c->min_executors;
      if (g_hash_table_contains (c->sconf, "spark.dynamicAllocation.initialExecutors")
          && !parse_count0 (c, "spark.dynamicAllocation.initialExecutors", NULL, &first, error))
        return FALSE;
      c->target = CLAMP (first, c->min_executors, c->max_executors);
      /* The job's parallelism (slots) is what it may grow to. */
      c->n_executors = c->max_executors;
    }
  c->executor_timeout_us = timeout;
  guint max_failures = MAX (2 * c->n_executors, 3);
  g_autofree char *max_default = g_strdup_printf ("%u", max_failures);
  if (!parse_count (c, "spark.executor.maxNumFailures", max_default, &c->max_failures, error))
    return FALSE;
  const char *ratio = sconf (c, "spark.scheduler.minRegisteredResourcesRatio", "0.8");
  char *end = NULL;
  c->min_registered_ratio = g_ascii_strtod (ratio, &end);
  if (end == ratio || *end || !(c->min_registered_ratio >= 0 && c->min_registered_ratio <= 1))
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "spark.scheduler.minRegisteredResourcesRatio = \"%s\": expected a number from "
                   "0 to 1", ratio);
      return FALSE;
    }
  if (!parse_duration (c, "spark.scheduler.maxRegisteredResourcesWaitingTime", "30s",
                       &c->registered_wait_us, error))
    return FALSE;
  c->opened_us = g_get_monotonic_time ();
  c->locality_wait_us = wait;
  c->heartbeat_ms = MAX (beat / 1000, 10);
  c->executor_path = find_executor (c);

  c->conf = weft_conf_load (NULL, NULL, &local);
  if (c->conf == NULL)
    {
      engine_error (local, "the cluster configuration ($WEFT_CONF_DIR)", error);
      return FALSE;
    }
  weft_rpc_options_from_conf (&c->opts, c->conf);

  /* Who the AM is: the container the RM started (cluster mode), or this process. */
  g_autoptr(WeftToken) am_token = NULL;
  const char *am_env = g_getenv ("WEFT_AM_TOKEN");
  if (am_env && g_getenv ("WEFT_APPLICATION_ID"))
    {
      am_token = weft_token_decode (am_env, &local);
      if (am_token == NULL)
        {
          engine_error (local, "WEFT_AM_TOKEN", error);
          return FALSE;
        }
      c->app_id = g_strdup (g_getenv ("WEFT_APPLICATION_ID"));
    }
  else
    {
      c->client_mode = TRUE;
      am_token = submit_unmanaged (c, master, error);
      if (am_token == NULL)
        return FALSE;
    }
  if (!parse_files (c, error))
    return FALSE;
  const char *sched = g_getenv ("WEFT_RM_SCHEDULER_ADDRESS");
  g_autofree char *sched_fallback = g_strdup_printf ("%s:%" G_GINT64_FORMAT,
                                                     weft_conf_get_string (c->conf, "rm.hostname"),
                                                     weft_conf_get_int (c->conf, "rm.scheduler-port"));
  sched = sconf (c, "spark.weft.rm.scheduler.address", sched ? sched : sched_fallback);
  g_autofree char *sched_host = NULL;
  guint16 sched_port = 0;
  if (!split_address (sched, &sched_host, &sched_port, error))
    return FALSE;

  /* The application's secret: executors get it in their containers' environment. */
  c->secret = weft_secret_new_random (&local);
  if (c->secret == NULL)
    {
      engine_error (local, "no application secret", error);
      return FALSE;
    }
  c->secret_text = weft_app_secret_encode (c->secret);
  c->token = weft_app_auth_token (c->secret, c->app_id, "driver");
  c->driver_host = g_strdup (sconf (c, "spark.driver.host", NULL));
  if (c->driver_host == NULL)
    {
      /* Where executors reach the driver: the AM container's node in cluster mode; in client
       * mode this machine, as the RM sees it (loopback for a loopback cluster). */
      const char *nm = g_getenv ("WEFT_NM_ADDRESS");
      g_autofree char *nm_host = NULL;
      guint16 nm_port = 0;
      if (!c->client_mode && nm && weft_yarn_split_address (nm, &nm_host, &nm_port, NULL))
        c->driver_host = g_steal_pointer (&nm_host);
      else if (g_str_has_prefix (sched_host, "127.") || g_strcmp0 (sched_host, "localhost") == 0)
        c->driver_host = g_strdup ("127.0.0.1");
      else
        c->driver_host = g_strdup (g_get_host_name ());
    }
  c->server = weft_cluster_server_start (c->driver_host, c->app_id, c->secret, &handlers, c,
                                         &c->opts, error);
  if (c->server == NULL)
    return FALSE;
  c->driver_port = weft_cluster_server_get_port (c->server);

  c->am = weft_yarn_am_new (sched_host, sched_port, am_token, &c->opts);
  if (!weft_yarn_am_register (c->am, c->driver_host, &local))
    {
      engine_error (local, "cannot register as the application master", error);
      return FALSE;
    }
  g_info ("application %s: driver at %s:%u, asking for %u executors of %u cores and %" G_GINT64_FORMAT " MiB",
          c->app_id, c->driver_host, c->driver_port, c->n_executors, c->cores, c->container_mb);
  c->loop = g_thread_new ("weft-am", am_loop, c);
  return TRUE;
}

static gpointer
cluster_open (const char *master, const char *const *conf, GAsyncQueue *outcomes, GError **error)
{
  Cluster *c = g_new0 (Cluster, 1);
  g_mutex_init (&c->lock);
  g_cond_init (&c->wake);
  c->sconf = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; conf && conf[i] && conf[i + 1]; i += 2)
    g_hash_table_insert (c->sconf, g_strdup (conf[i]), g_strdup (conf[i + 1]));
  c->executors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) executor_free);
  c->to_release = g_ptr_array_new_with_free_func (g_free);
  c->files = g_array_new (FALSE, FALSE, sizeof (WeftYarnResource));
  c->sources = g_ptr_array_new_with_free_func (g_free);
  c->outcomes = g_async_queue_ref (outcomes);
  g_queue_init (&c->pending);
  if (!cluster_setup (c, master, error))
    {
      cluster_free (c);
      return NULL;
    }
  return c;
}

static guint
cluster_slots (gpointer backend)
{
  Cluster *c = backend;
  return c->n_executors * c->cores;
}

static void
cluster_launch (gpointer backend, WeftTask *task)
{
  Cluster *c = backend;
  Pending *p = g_new0 (Pending, 1);
  p->task = weft_task_ref (task);
  p->queued_us = g_get_monotonic_time ();
  g_mutex_lock (&c->lock);
  g_queue_push_tail (&c->pending, p);
  if (c->failed)
    fail_pending (c);
  g_cond_signal (&c->wake);
  g_mutex_unlock (&c->lock);
}

static void
cluster_status (gpointer backend, const char *text)
{
  Cluster *c = backend;
  g_mutex_lock (&c->lock);
  if (g_strcmp0 (c->status, text) != 0)
    {
      g_free (c->status);
      c->status = g_strdup (text);
      c->status_sent = FALSE;
    }
  g_mutex_unlock (&c->lock);
}

static const char *
cluster_application_id (gpointer backend)
{
  return ((Cluster *) backend)->app_id;
}

static void
cluster_free (Cluster *c)
{
  if (c->server)
    weft_cluster_server_free (c->server);
  g_hash_table_unref (c->executors);
  g_ptr_array_unref (c->to_release);
  Pending *p;
  while ((p = g_queue_pop_head (&c->pending)) != NULL)
    {
      weft_task_unref (p->task);
      g_free (p);
    }
  if (c->am)
    weft_yarn_am_free (c->am);
  if (c->conf)
    weft_conf_free (c->conf);
  if (c->token)
    weft_token_free (c->token);
  if (c->secret)
    weft_secret_free (c->secret);
  g_free (c->secret_text);
  g_free (c->app_id);
  g_free (c->driver_host);
  g_free (c->executor_path);
  g_free (c->failed);
  g_array_unref (c->files);
  g_strfreev (c->file_fields);
  g_ptr_array_unref (c->sources);
  g_free (c->status);
  g_hash_table_unref (c->sconf);
  g_async_queue_unref (c->outcomes);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->wake);
  g_free (c);
}

static void
cluster_close (gpointer backend, gboolean succeeded, const char *diagnostics)
{
  Cluster *c = backend;
  if (c == NULL)
    return;
  g_mutex_lock (&c->lock);
  c->stopping = TRUE;
  g_cond_signal (&c->wake);
  g_mutex_unlock (&c->lock);
  g_thread_join (c->loop);
  /* Executors stop when asked; the containers are released and the AM finishes, which makes
   * the NMs stop whatever is left. */
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, c->executors);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      Executor *e = v;
      if (e->client)
        weft_cluster_executor_stop (e->client, "the application is finishing", NULL);
      g_ptr_array_add (c->to_release, g_strdup (e->container_id));
    }
  allocate (c);
  g_autoptr(GError) error = NULL;
  if (!weft_yarn_am_finish (c->am, succeeded, diagnostics ? diagnostics : "", &error))
    g_warning ("finishing application %s: %s", c->app_id, error->message);
  cluster_free (c);
}

static const WeftBackendOps cluster_ops = {
  .abi_version = WEFT_BACKEND_ABI_VERSION,
  .name = "cluster",
  .accepts = cluster_accepts,
  .open = cluster_open,
  .slots = cluster_slots,
  .launch = cluster_launch,
  .status = cluster_status,
  .application_id = cluster_application_id,
  .close = cluster_close,
};

const WeftBackendOps *
weft_backend_cluster (void)
{
  return &cluster_ops;
}
