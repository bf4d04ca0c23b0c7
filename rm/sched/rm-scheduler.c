/* rm-scheduler: the generic wrapper around the scheduler plugin tables, and the checks every
 * scheduler shares (an ask no node can ever hold). */

#include "rm-sched-private.h"

struct _RmScheduler
{
  const RmSchedulerOps *ops;
  gpointer state;
};

/* The built-in plugins, selected by rm.scheduler. */
static const RmSchedulerOps *const plugins[] = {
  &rm_sched_fifo_ops,
  &rm_sched_capacity_ops,
};

G_DEFINE_QUARK (rm-scheduler-error-quark, rm_scheduler_error)

RmScheduler *
rm_scheduler_new (const char *name, WeftConf *conf, GError **error)
{
  const RmSchedulerOps *ops = NULL;
  g_autoptr(GString) known = g_string_new (NULL);
  RmScheduler *sched;
  gpointer state;

  g_return_val_if_fail (conf != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!name)
    name = weft_conf_get_string (conf, "rm.scheduler");
  for (guint i = 0; i < G_N_ELEMENTS (plugins); i++)
    {
      g_string_append_printf (known, "%s%s", i ? ", " : "", plugins[i]->name);
      if (g_strcmp0 (plugins[i]->name, name) == 0)
        ops = plugins[i];
    }
  if (!ops)
    {
      g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG,
                   "unknown scheduler '%s' (known: %s)", name ? name : "(null)", known->str);
      return NULL;
    }
  if (ops->abi_version != RM_SCHEDULER_ABI_VERSION)
    {
      g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_CONFIG,
                   "scheduler '%s' was built for plugin ABI %u, this RM speaks %u", ops->name,
                   ops->abi_version, RM_SCHEDULER_ABI_VERSION);
      return NULL;
    }
  state = ops->create (conf, error);
  if (!state)
    {
      g_prefix_error (error, "%s scheduler: ", ops->name);
      return NULL;
    }
  sched = g_new0 (RmScheduler, 1);
  sched->ops = ops;
  sched->state = state;
  return sched;
}

void
rm_scheduler_free (RmScheduler *sched)
{
  if (!sched)
    return;
  sched->ops->destroy (sched->state);
  g_free (sched);
}

const char *
rm_scheduler_name (RmScheduler *sched)
{
  g_return_val_if_fail (sched != NULL, NULL);
  return sched->ops->name;
}

gboolean
rm_scheduler_check_submit (RmScheduler *sched, const char *queue, const char *user, char **out_queue,
                           GError **error)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (sched != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!queue || !*queue)
    queue = "default";
  if (!sched->ops->check_submit (sched->state, queue, user ? user : "", &canonical, error))
    return FALSE;
  if (out_queue)
    *out_queue = g_steal_pointer (&canonical);
  return TRUE;
}

gboolean
rm_scheduler_validate_ask (RmScheduler *sched, const RmSchedSnapshot *snapshot, const RmSchedAsk *ask,
                           GError **error)
{
  RmResource cap;
  const RmSchedNode *most_mem = NULL, *most_vcores = NULL;

  g_return_val_if_fail (sched != NULL && snapshot != NULL && ask != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cap = ask->capability;
  if (cap.vcores < 1 || cap.memory_mb < 1)
    {
      g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_INVALID_ASK,
                   "ask for %" G_GINT64_FORMAT " vcores and %" G_GINT64_FORMAT
                   " MB: a container needs at least 1 vcore and 1 MB",
                   cap.vcores, cap.memory_mb);
      return FALSE;
    }
  for (guint i = 0; i < snapshot->n_nodes; i++)
    {
      const RmSchedNode *n = &snapshot->nodes[i];

      if (!n->schedulable)
        continue;
      if (rm_resource_fits (cap, n->total))
        return TRUE;
      if (!most_mem || n->total.memory_mb > most_mem->total.memory_mb ||
          (n->total.memory_mb == most_mem->total.memory_mb && n->total.vcores > most_mem->total.vcores))
        most_mem = n;
      if (!most_vcores || n->total.vcores > most_vcores->total.vcores ||
          (n->total.vcores == most_vcores->total.vcores && n->total.memory_mb > most_vcores->total.memory_mb))
        most_vcores = n;
    }
  /* No schedulable node yet (RM starting, or every node down): nothing to judge against. */
  if (!most_mem)
    return TRUE;

  if (cap.memory_mb > most_mem->total.memory_mb || most_mem == most_vcores)
    g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_ASK_TOO_LARGE,
                 "ask for %" G_GINT64_FORMAT " vcores and %" G_GINT64_FORMAT
                 " MB is larger than any node: the largest node, %s, has %" G_GINT64_FORMAT
                 " vcores and %" G_GINT64_FORMAT " MB",
                 cap.vcores, cap.memory_mb, most_mem->id, most_mem->total.vcores,
                 most_mem->total.memory_mb);
  else if (cap.vcores > most_vcores->total.vcores)
    g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_ASK_TOO_LARGE,
                 "ask for %" G_GINT64_FORMAT " vcores and %" G_GINT64_FORMAT
                 " MB is larger than any node: the node with the most vcores, %s, has %" G_GINT64_FORMAT
                 " vcores and %" G_GINT64_FORMAT " MB",
                 cap.vcores, cap.memory_mb, most_vcores->id, most_vcores->total.vcores,
                 most_vcores->total.memory_mb);
  else
    g_set_error (error, RM_SCHEDULER_ERROR, RM_SCHEDULER_ERROR_ASK_TOO_LARGE,
                 "ask for %" G_GINT64_FORMAT " vcores and %" G_GINT64_FORMAT
                 " MB is larger than any node: no node has both; the largest node, %s, has %"
                 G_GINT64_FORMAT " vcores and %" G_GINT64_FORMAT " MB, the node with the most vcores, %s, has %"
                 G_GINT64_FORMAT " vcores and %" G_GINT64_FORMAT " MB",
                 cap.vcores, cap.memory_mb, most_mem->id, most_mem->total.vcores,
                 most_mem->total.memory_mb, most_vcores->id, most_vcores->total.vcores,
                 most_vcores->total.memory_mb);
  return FALSE;
}

GArray *
rm_scheduler_assign (RmScheduler *sched, const RmSchedSnapshot *snapshot)
{
  GArray *out;

  g_return_val_if_fail (sched != NULL && snapshot != NULL, NULL);
  g_return_val_if_fail (snapshot->n_nodes == 0 || snapshot->nodes != NULL, NULL);
  g_return_val_if_fail (snapshot->n_apps == 0 || snapshot->apps != NULL, NULL);

  out = g_array_new (FALSE, FALSE, sizeof (RmSchedAssignment));
  sched->ops->assign (sched->state, snapshot, out);
  return out;
}

void
rm_queue_desc_free (RmQueueDesc *q)
{
  if (q == NULL)
    return;
  g_free (q->path);
  g_strfreev (q->children);
  g_free (q);
}

GPtrArray *
rm_scheduler_describe_queues (RmScheduler *sched)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rm_queue_desc_free);
  sched->ops->describe_queues (sched->state, out);
  return out;
}
