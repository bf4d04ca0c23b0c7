/* weft-backend-local: local, local[N] and local[*]: N slots, each a thread of
 * one pool kept for the session's life, inside the driver, running tasks with
 * weft_task_run() as an executor does; map outputs go to a private temporary
 * folder removed when the session closes. */
#include "weft/weft-backend.h"

#include "weft-engine-error.h"
#include "weft-fs.h"
#include "weft-shuffle.h"
#include "weft-task-rpc.h"
#include "weft-task.h"

typedef struct {
  GThreadPool *pool;
  guint slots;
  GAsyncQueue *outcomes;
  char *shuffle_dir;    /* this "executor"'s map outputs, removed at close */
  char *app_id;         /* Spark's "local-<ms>" */
  WeftTaskEnv env;
} Local;

/* The N of local[N]; 0 if @master is not a local master. */
static guint
local_slots_of (const char *master)
{
  if (master == NULL)
    return 0;
  if (g_str_equal (master, "local"))
    return 1;
  if (g_str_equal (master, "local[*]"))
    return g_get_num_processors ();
  if (g_str_has_prefix (master, "local[") && g_str_has_suffix (master, "]"))
    {
      char *end = NULL;
      guint64 v = g_ascii_strtoull (master + 6, &end, 10);
      if (end && *end == ']' && end > master + 6 && v >= 1 && v <= 4096)
        return (guint) v;
    }
  return 0;
}

static gboolean
local_accepts (const char *master)
{
  return g_str_has_prefix (master, "local");
}

/* A task goes through its wire form here too (weft-task-rpc), as it does to an executor: what a
 * local run proves about a plan holds for the cluster's executors. */
static void
local_thread (gpointer data, gpointer user_data)
{
  WeftTask *task = data;
  Local *l = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) wire = weft_task_encode (task, &error);
  g_autoptr(WeftTask) decoded = wire ? weft_task_decode (wire, &error) : NULL;
  WeftTaskOutcome *o;
  if (decoded)
    o = weft_task_run (decoded, &l->env);
  else
    {
      o = weft_task_outcome_new (task->task_id, WEFT_TASK_FAILED);
      o->executor_id = g_strdup (l->env.executor_id);
      o->message = g_strdup (error->message);
    }
  g_async_queue_push (l->outcomes, o);
  weft_task_unref (task);
}

static gpointer
local_open (const char *master, const char *const *conf, GAsyncQueue *outcomes, GError **error)
{
  (void) conf;
  guint n = local_slots_of (master);
  if (n == 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "master \"%s\" is not local, local[N] (N from 1 to 4096) or local[*]", master);
      return NULL;
    }
  g_autofree char *dir = g_dir_make_tmp ("weft-local-XXXXXX", NULL);
  if (dir == NULL)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO,
                   "cannot create a shuffle folder under %s", g_get_tmp_dir ());
      return NULL;
    }
  Local *l = g_new0 (Local, 1);
  l->slots = n;
  l->outcomes = g_async_queue_ref (outcomes);
  l->shuffle_dir = g_steal_pointer (&dir);
  l->app_id = g_strdup_printf ("local-%" G_GINT64_FORMAT, g_get_real_time () / 1000);
  l->env = (WeftTaskEnv) {
    .executor_id = "driver",
    .host = "localhost",
    .shuffle_dir = l->shuffle_dir,
    .block_size = WEFT_SHUFFLE_DEFAULT_BLOCK_SIZE,
    .fetch_retries = 1,
  };
  l->pool = g_thread_pool_new (local_thread, l, (gint) n, FALSE, error);
  if (l->pool == NULL)
    {
      g_async_queue_unref (l->outcomes);
      g_free (l->shuffle_dir);
      g_free (l);
      return NULL;
    }
  return l;
}

static guint
local_slots (gpointer backend)
{
  return ((Local *) backend)->slots;
}

static void
local_launch (gpointer backend, WeftTask *task)
{
  Local *l = backend;
  g_thread_pool_push (l->pool, weft_task_ref (task), NULL);
}

static void
local_close (gpointer backend, gboolean succeeded, const char *diagnostics)
{
  Local *l = backend;
  if (l == NULL)
    return;
  g_thread_pool_free (l->pool, FALSE, TRUE);
  weft_fs_remove_tree (l->shuffle_dir, NULL);
  g_free (l->shuffle_dir);
  g_free (l->app_id);
  g_async_queue_unref (l->outcomes);
  g_free (l);
}

static const char *
local_application_id (gpointer backend)
{
  return ((Local *) backend)->app_id;
}

static const WeftBackendOps local_ops = {
  .abi_version = WEFT_BACKEND_ABI_VERSION,
  .name = "local",
  .accepts = local_accepts,
  .open = local_open,
  .slots = local_slots,
  .launch = local_launch,
  .application_id = local_application_id,
  .close = local_close,
};

const WeftBackendOps *
weft_backend_local (void)
{
  return &local_ops;
}
