/* rm-sched-fifo: the FIFO scheduler plugin, like YARN's FifoScheduler.
 * Applications are served strictly in submit order: each takes all it can (asks by priority, lower
 * number first, each ask until its count is met or no node can hold another container) before the
 * next one gets anything. A later application only gets what the earlier ones could not use: room
 * too small for their containers, or nodes they did not ask for with strict locality. Queues are
 * ignored; there is no configuration. */

#include "rm-sched-private.h"

/* The plugin has no state, but create() must return non-NULL. */
static const char fifo_state[] = "fifo";

static gpointer
fifo_create (WeftConf *conf, GError **error)
{
  return (gpointer) fifo_state;
}

static void
fifo_destroy (gpointer state)
{
}

static gboolean
fifo_check_submit (gpointer state, const char *queue, const char *user, char **out_queue, GError **error)
{
  *out_queue = g_strdup (queue);
  return TRUE;
}

static void
fifo_assign (gpointer state, const RmSchedSnapshot *snapshot, GArray *out)
{
  g_autoptr(RmSchedPlacer) placer = rm_sched_placer_new (snapshot);
  g_autofree guint *order = NULL;
  guint max_asks = 0;

  for (guint a = 0; a < snapshot->n_apps; a++)
    max_asks = MAX (max_asks, snapshot->apps[a].n_asks);
  order = g_new (guint, MAX (max_asks, 1));

  for (guint a = 0; a < snapshot->n_apps; a++)
    {
      const RmSchedApp *app = &snapshot->apps[a];

      if (app->finishing)
        continue;
      rm_sched_sort_asks (app, order);
      for (guint k = 0; k < app->n_asks; k++)
        {
          const RmSchedAsk *ask = &app->asks[order[k]];

          if (!rm_sched_ask_servable (app, ask))
            continue;
          for (guint c = 0; c < ask->count; c++)
            {
              int node = rm_sched_placer_place (placer, ask);
              RmSchedAssignment as;

              if (node < 0)
                break;
              as = (RmSchedAssignment){ a, order[k], (guint) node, ask->capability };
              g_array_append_val (out, as);
            }
        }
    }
}

static void
fifo_describe_queues (gpointer state, GPtrArray *out)
{
  /* FIFO has no queues of its own: every application is served in one line. */
  RmQueueDesc *q = g_new0 (RmQueueDesc, 1);
  *q = (RmQueueDesc) { .path = g_strdup ("default"), .capacity = 100, .max_capacity = 100,
                       .abs_capacity = 100, .abs_max_capacity = 100, .user_limit_factor = 1,
                       .max_am_share = 1, .leaf = TRUE, .children = g_new0 (char *, 1) };
  g_ptr_array_add (out, q);
}

const RmSchedulerOps rm_sched_fifo_ops = {
  .abi_version = RM_SCHEDULER_ABI_VERSION,
  .name = "fifo",
  .create = fifo_create,
  .destroy = fifo_destroy,
  .check_submit = fifo_check_submit,
  .assign = fifo_assign,
  .describe_queues = fifo_describe_queues,
};
