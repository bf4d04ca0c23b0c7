/* weft-task: the task description and its outcome. See weft-task.h; the runner is
 * weft-task-run.c. */
#include "weft-task.h"

#include "weft-csv.h"

WeftNodeInfo *
weft_node_info_new (guint n_partitions)
{
  WeftNodeInfo *info = g_new0 (WeftNodeInfo, 1);
  info->n_partitions = n_partitions;
  info->shuffle_id = -1;
  info->right_shuffle_id = -1;
  return info;
}

void
weft_node_info_free (WeftNodeInfo *info)
{
  if (info == NULL)
    return;
  if (info->splits)
    g_ptr_array_unref (info->splits);
  g_free (info);
}

WeftMapOutput *
weft_map_output_copy (const WeftMapOutput *out)
{
  WeftMapOutput *c = g_new0 (WeftMapOutput, 1);
  *c = *out;
  c->executor_id = g_strdup (out->executor_id);
  c->host = g_strdup (out->host);
  c->data_path = g_strdup (out->data_path);
  c->sizes = g_memdup2 (out->sizes, sizeof (guint64) * out->n_sizes);
  return c;
}

void
weft_map_output_free (WeftMapOutput *out)
{
  if (out == NULL)
    return;
  g_free (out->executor_id);
  g_free (out->host);
  g_free (out->data_path);
  g_free (out->sizes);
  g_free (out);
}

WeftTask *
weft_task_new (WeftTaskKind kind)
{
  WeftTask *t = g_new0 (WeftTask, 1);
  t->refs = 1;
  t->kind = kind;
  t->info = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) weft_node_info_free);
  t->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_map_output_free);
  return t;
}

WeftTask *
weft_task_ref (WeftTask *task)
{
  g_atomic_int_inc (&task->refs);
  return task;
}

void
weft_task_unref (WeftTask *task)
{
  if (task == NULL || !g_atomic_int_dec_and_test (&task->refs))
    return;
  g_hash_table_unref (task->info);
  /* The info table is keyed by the plan's nodes: drop it before the plan. */
  if (task->plan)
    weft_plan_unref (task->plan);
  g_ptr_array_unref (task->inputs);
  g_free (task->write_path);
  if (task->write_options)
    weft_csv_write_options_free (task->write_options);
  g_free (task);
}

void
weft_task_set_info (WeftTask *task, WeftPlan *node, WeftNodeInfo *info)
{
  g_hash_table_replace (task->info, node, info);
}

WeftNodeInfo *
weft_task_get_info (const WeftTask *task, const WeftPlan *node)
{
  return g_hash_table_lookup (task->info, node);
}

gboolean
weft_plan_is_exchange (const WeftPlan *plan)
{
  switch (plan->kind)
    {
    case WEFT_PLAN_AGGREGATE:
    case WEFT_PLAN_SORT:
    case WEFT_PLAN_LIMIT:
    case WEFT_PLAN_REPARTITION:
    case WEFT_PLAN_JOIN:
      return TRUE;
    default:
      return FALSE;
    }
}

WeftTaskOutcome *
weft_task_outcome_new (guint64 task_id, WeftTaskState state)
{
  WeftTaskOutcome *o = g_new0 (WeftTaskOutcome, 1);
  o->task_id = task_id;
  o->state = state;
  return o;
}

void
weft_task_outcome_free (WeftTaskOutcome *o)
{
  if (o == NULL)
    return;
  g_free (o->executor_id);
  g_free (o->message);
  if (o->batches)
    g_ptr_array_unref (o->batches);
  weft_map_output_free (o->map_output);
  g_free (o->types);
  g_free (o->fetch_executor_id);
  g_free (o);
}
