/* weft-backend-local: local, local[N] and local[*]: N slots, each a thread of
 * one pool kept for the session's life, inside the driver. */
#include "weft/weft-backend.h"

#include "weft-engine-error.h"

typedef struct {
  GThreadPool *pool;
  guint slots;
} Local;

typedef struct {
  WeftBackendTask task;
  gpointer data;
  GMutex lock;
  GCond done;
  guint remaining;
  GError *error;
} Stage;

typedef struct {
  Stage *stage;
  guint index;
} Item;

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

static void
local_thread (gpointer data, gpointer unused)
{
  Item *item = data;
  Stage *s = item->stage;
  GError *error = NULL;
  g_mutex_lock (&s->lock);
  gboolean failed = s->error != NULL;
  g_mutex_unlock (&s->lock);
  /* Once a task failed the stage fails: the others need not run. */
  gboolean ok = failed || s->task (item->index, s->data, &error);
  g_mutex_lock (&s->lock);
  if (!ok)
    {
      if (s->error == NULL)
        s->error = error;
      else
        g_error_free (error);
    }
  if (--s->remaining == 0)
    g_cond_signal (&s->done);
  g_mutex_unlock (&s->lock);
}

static gpointer
local_open (const char *master, const char *const *conf, GError **error)
{
  (void) conf;
  guint n = local_slots_of (master);
  if (n == 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "master \"%s\" is not local, local[N] (N from 1 to 4096) or local[*]", master);
      return NULL;
    }
  Local *l = g_new0 (Local, 1);
  l->slots = n;
  l->pool = g_thread_pool_new (local_thread, NULL, (gint) n, FALSE, error);
  if (l->pool == NULL)
    {
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

static gboolean
local_run_stage (gpointer backend, guint n_tasks, WeftBackendTask task, gpointer data, GError **error)
{
  Local *l = backend;
  if (n_tasks == 0)
    return TRUE;
  Stage s = { task, data };
  g_mutex_init (&s.lock);
  g_cond_init (&s.done);
  s.remaining = n_tasks;
  Item *items = g_new (Item, n_tasks);
  for (guint i = 0; i < n_tasks; i++)
    {
      items[i] = (Item) { &s, i };
      g_thread_pool_push (l->pool, &items[i], NULL);
    }
  g_mutex_lock (&s.lock);
  while (s.remaining > 0)
    g_cond_wait (&s.done, &s.lock);
  g_mutex_unlock (&s.lock);
  g_free (items);
  g_mutex_clear (&s.lock);
  g_cond_clear (&s.done);
  if (s.error)
    {
      g_propagate_error (error, s.error);
      return FALSE;
    }
  return TRUE;
}

static void
local_close (gpointer backend)
{
  Local *l = backend;
  if (l == NULL)
    return;
  g_thread_pool_free (l->pool, FALSE, TRUE);
  g_free (l);
}

static const WeftBackendOps local_ops = {
  .abi_version = WEFT_BACKEND_ABI_VERSION,
  .name = "local",
  .accepts = local_accepts,
  .open = local_open,
  .slots = local_slots,
  .run_stage = local_run_stage,
  .close = local_close,
};

const WeftBackendOps *
weft_backend_local (void)
{
  return &local_ops;
}
