/* weft-exec: the DAG scheduler. See weft-exec.h. */
#include "weft-exec.h"

#include <stdio.h>

#include "weft-engine-error.h"
#include "weft-progress.h"
#include "weft-task.h"

#define MAX_STAGE_ATTEMPTS 4  /* Spark's spark.stage.maxConsecutiveAttempts */

struct _WeftExec {
  const WeftBackendOps *ops;
  gpointer backend;          /* (borrowed) where tasks run */
  GAsyncQueue *outcomes;     /* (borrowed) what the backend reports */
  gsize task_memory;
  guint shuffle_partitions;
  guint max_task_failures;
  guint next_shuffle_id;
  guint next_stage_id;
  guint next_job_id;
  guint64 next_task_id;
  gboolean console;          /* draw Spark's progress bar on stderr */
};

/* Spark's ConsoleProgressBar: redrawn at most every 200 ms, for stages that run 500 ms. */
#define PROGRESS_EVERY_US (200 * 1000)
#define PROGRESS_AFTER_US (500 * 1000)

typedef struct Stage Stage;
struct Stage {
  guint id;
  WeftPlan *node;        /* map stage: the exchange; result stage: the job's root */
  guint side;            /* map stage of a JOIN: 0 left, 1 right */
  gint shuffle_id;       /* map stage: the shuffle written; result stage: -1 */
  guint n_tasks;
  GPtrArray *parents;    /* Stage* (borrowed) */
  guint attempt;         /* the current attempt, bumped by each fetch failure */
  guint failed_attempts; /* consecutive */
  gboolean waiting;      /* wanted by the job, not yet launched in this attempt */
  guint64 *running;      /* per partition: the id of its task out, 0 if none */
  guint *failures;       /* per partition */
  GPtrArray *outputs;    /* map stage: WeftMapOutput* per partition (NULL: missing) */
  gboolean *done;        /* result stage */
};

typedef struct {
  Stage *stage;
  guint partition;
  guint stage_attempt;
  gboolean reported;     /* its outcome came: later copies are ignored */
} TaskRec;

typedef struct {
  WeftExec *ex;
  guint job_id;
  WeftPlan *root;
  GHashTable *info;      /* WeftPlan* -> WeftNodeInfo* */
  GHashTable *map_stages; /* shuffle id -> Stage* */
  Stage *result;
  GPtrArray *stages;     /* Stage* (owned) */
  GHashTable *tasks;     /* task id (guint64*) -> TaskRec* */
  gint64 epoch;
  WeftTaskKind result_kind;
  WeftExecSink sink;
  gpointer sink_data;
  /* WRITE_CSV */
  WeftOutputJob *job;
  const WeftCsvWriteOptions *write_options;
  guint n_done;
  guint n_running;       /* tasks out */
  GError *error;         /* the job's failure */
  gint64 started_us;
  gint64 progress_us;    /* last progress report */
  guint bar_width;       /* the bar drawn on stderr, 0: none */
} Job;

static void
stage_free (Stage *s)
{
  g_ptr_array_unref (s->parents);
  g_free (s->running);
  g_free (s->failures);
  if (s->outputs)
    g_ptr_array_unref (s->outputs);
  g_free (s->done);
  g_free (s);
}

/* ---- planning: partitions, splits and shuffles of every node ---- */

static WeftNodeInfo *
info_of (Job *job, const WeftPlan *p)
{
  return g_hash_table_lookup (job->info, p);
}

static gboolean
annotate (Job *job, WeftPlan *p, GError **error)
{
  if (info_of (job, p))
    return TRUE;
  if (p->child && !annotate (job, p->child, error))
    return FALSE;
  if (p->right && !annotate (job, p->right, error))
    return FALSE;
  WeftExec *ex = job->ex;
  WeftNodeInfo *info = weft_node_info_new (1);
  switch (p->kind)
    {
    case WEFT_PLAN_CSV_SCAN:
      info->splits = weft_csv_plan_splits ((const char *const *) p->files,
                                           g_strv_length (p->files), p->csv, error);
      if (info->splits == NULL)
        {
          weft_node_info_free (info);
          return FALSE;
        }
      info->n_partitions = MAX (info->splits->len, 1);
      break;
    case WEFT_PLAN_ROWS:
      info->n_partitions = MAX (p->n_partitions, 1);
      break;
    case WEFT_PLAN_FILTER:
    case WEFT_PLAN_PROJECT:
      info->n_partitions = info_of (job, p->child)->n_partitions;
      break;
    case WEFT_PLAN_COALESCE:
      info->n_partitions = MAX (MIN (p->n_partitions, info_of (job, p->child)->n_partitions), 1);
      break;
    case WEFT_PLAN_AGGREGATE:
      info->n_partitions = p->exprs->len > 0 ? ex->shuffle_partitions : 1;
      break;
    case WEFT_PLAN_SORT:
    case WEFT_PLAN_LIMIT:
      info->n_partitions = 1;
      break;
    case WEFT_PLAN_REPARTITION:
      info->n_partitions = MAX (p->n_partitions, 1);
      break;
    case WEFT_PLAN_JOIN:
      info->n_partitions = ex->shuffle_partitions;
      break;
    case WEFT_PLAN_UNION:
      /* No exchange: the left's partitions, then the right's. */
      info->n_partitions = info_of (job, p->child)->n_partitions
                           + info_of (job, p->right)->n_partitions;
      break;
    case WEFT_PLAN_STUB:
      break;
    }
  if (weft_plan_is_exchange (p))
    {
      info->shuffle_id = (gint) ex->next_shuffle_id++;
      if (p->kind == WEFT_PLAN_JOIN)
        info->right_shuffle_id = (gint) ex->next_shuffle_id++;
    }
  g_hash_table_insert (job->info, p, info);
  return TRUE;
}

static Stage *stage_for_exchange (Job *job, WeftPlan *x, guint side);

/* The map stages whose shuffles the pipeline from @p down reads. */
static void
collect_parents (Job *job, WeftPlan *p, GPtrArray *parents)
{
  if (weft_plan_is_exchange (p))
    {
      Stage *s = stage_for_exchange (job, p, 0);
      if (!g_ptr_array_find (parents, s, NULL))
        g_ptr_array_add (parents, s);
      if (p->kind == WEFT_PLAN_JOIN)
        {
          s = stage_for_exchange (job, p, 1);
          if (!g_ptr_array_find (parents, s, NULL))
            g_ptr_array_add (parents, s);
        }
      return;
    }
  if (p->child)
    collect_parents (job, p->child, parents);
  if (p->right)
    collect_parents (job, p->right, parents);
}

static Stage *
stage_new (Job *job, WeftPlan *node, guint side, gint shuffle_id, guint n_tasks)
{
  Stage *s = g_new0 (Stage, 1);
  s->id = job->ex->next_stage_id++;
  s->node = node;
  s->side = side;
  s->shuffle_id = shuffle_id;
  s->n_tasks = n_tasks;
  s->parents = g_ptr_array_new ();
  s->running = g_new0 (guint64, n_tasks);
  s->failures = g_new0 (guint, n_tasks);
  g_ptr_array_add (job->stages, s);
  return s;
}

static Stage *
stage_for_exchange (Job *job, WeftPlan *x, guint side)
{
  const WeftNodeInfo *info = info_of (job, x);
  gint sid = side == 1 ? info->right_shuffle_id : info->shuffle_id;
  Stage *s = g_hash_table_lookup (job->map_stages, GINT_TO_POINTER (sid));
  if (s)
    return s;
  WeftPlan *input = side == 1 ? x->right : x->child;
  g_autoptr(GPtrArray) parents = g_ptr_array_new ();
  collect_parents (job, input, parents);
  s = stage_new (job, x, side, sid, info_of (job, input)->n_partitions);
  g_ptr_array_extend (s->parents, parents, NULL, NULL);
  s->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_map_output_free);
  g_ptr_array_set_size (s->outputs, s->n_tasks);
  g_hash_table_insert (job->map_stages, GINT_TO_POINTER (sid), s);
  return s;
}

/* ---- launching ---- */

static gboolean
stage_available (const Stage *s)
{
  if (s->outputs == NULL)
    return FALSE;
  for (guint i = 0; i < s->n_tasks; i++)
    if (s->outputs->pdata[i] == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
partition_missing (const Stage *s, guint i)
{
  return s->outputs ? s->outputs->pdata[i] == NULL : !s->done[i];
}

/* Copies the infos of the nodes a task of @s sends (the fragment: the codec cuts below the
 * exchanges it reads, but the table may hold more). */
static void
add_infos (Job *job, WeftTask *task, WeftPlan *p)
{
  if (p == NULL || weft_task_get_info (task, p))
    return;
  const WeftNodeInfo *src = info_of (job, p);
  if (src == NULL)
    return;
  WeftNodeInfo *c = weft_node_info_new (src->n_partitions);
  c->shuffle_id = src->shuffle_id;
  c->right_shuffle_id = src->right_shuffle_id;
  c->splits = src->splits ? g_ptr_array_ref (src->splits) : NULL;
  weft_task_set_info (task, p, c);
  add_infos (job, task, p->child);
  add_infos (job, task, p->right);
}

/* Every registered map output of the shuffles @p's pipeline reads. */
static void
add_inputs (Job *job, WeftTask *task, const Stage *s)
{
  for (guint i = 0; i < s->parents->len; i++)
    {
      const Stage *parent = s->parents->pdata[i];
      for (guint m = 0; m < parent->n_tasks; m++)
        if (parent->outputs->pdata[m])
          g_ptr_array_add (task->inputs, weft_map_output_copy (parent->outputs->pdata[m]));
    }
}

static void
launch_task (Job *job, Stage *s, guint partition)
{
  WeftExec *ex = job->ex;
  WeftTaskKind kind = s->outputs ? WEFT_TASK_SHUFFLE_MAP : job->result_kind;
  WeftTask *task = weft_task_new (kind);
  task->task_id = ++ex->next_task_id;
  task->job_id = job->job_id;
  task->stage_id = s->id;
  task->stage_attempt = s->attempt;
  task->partition = partition;
  task->attempt = s->failures[partition];
  task->epoch = job->epoch;
  task->plan = weft_plan_ref (s->node);
  task->side = s->side;
  task->memory = ex->task_memory;
  add_infos (job, task, s->node);
  add_inputs (job, task, s);
  if (kind == WEFT_TASK_WRITE_CSV)
    {
      task->write_options = weft_csv_write_options_copy (job->write_options);
      task->write_path = weft_output_job_task_path (job->job, partition, task->attempt, NULL);
    }
  TaskRec *r = g_new0 (TaskRec, 1);
  *r = (TaskRec) { s, partition, s->attempt, FALSE };
  g_hash_table_insert (job->tasks, g_memdup2 (&task->task_id, sizeof (guint64)), r);
  s->running[partition] = task->task_id;
  job->n_running++;
  g_debug ("launching task %" G_GUINT64_FORMAT " (stage %u.%u, partition %u, attempt %u)",
           task->task_id, s->id, s->attempt, partition, task->attempt);
  ex->ops->launch (ex->backend, task);
  weft_task_unref (task);
}

/* Launches what @s misses once its parents are complete; else submits the parents first and
 * leaves @s waiting (Spark's submitStage). */
static void
submit_stage (Job *job, Stage *s)
{
  gboolean ready = TRUE;
  for (guint i = 0; i < s->parents->len; i++)
    {
      Stage *parent = s->parents->pdata[i];
      if (!stage_available (parent))
        {
          ready = FALSE;
          submit_stage (job, parent);
        }
    }
  if (!ready)
    {
      s->waiting = TRUE;
      return;
    }
  s->waiting = FALSE;
  for (guint i = 0; i < s->n_tasks; i++)
    if (partition_missing (s, i) && !s->running[i])
      launch_task (job, s, i);
}

static void
submit_waiting (Job *job)
{
  for (guint i = 0; i < job->stages->len; i++)
    {
      Stage *s = job->stages->pdata[i];
      if (s->waiting)
        submit_stage (job, s);
    }
}

/* ---- outcomes ---- */

static void
fail_job (Job *job, Stage *s, guint partition, const WeftTaskOutcome *o, const char *why)
{
  if (job->error)
    return;
  /* Spark's words, so users find what they know. */
  g_set_error (&job->error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CALLBACK,
               "Job aborted due to stage failure: %s, most recent failure: Lost task %u.%u in "
               "stage %u.%u (TID %" G_GUINT64_FORMAT ") (executor %s): %s",
               why, partition, s->failures[partition] - 1, s->id, s->attempt, o->task_id,
               o->executor_id ? o->executor_id : "?", o->message ? o->message : "no message");
}

static gboolean
deliver_result (Job *job, guint partition, WeftTaskOutcome *o, GError **error)
{
  if (job->result_kind == WEFT_TASK_WRITE_CSV)
    return weft_output_job_commit_task (job->job, partition, job->result->failures[partition],
                                        error);
  if (job->result_kind == WEFT_TASK_INFER_CSV)
    {
      WeftCsvInference *inference = job->sink_data;
      guint n_cols = weft_csv_inference_get_n_columns (inference);
      if (o->types == NULL || o->n_types != n_cols)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED,
                       "schema inference task %u gave %u types for %u columns", partition,
                       o->types ? o->n_types : 0, n_cols);
          return FALSE;
        }
      weft_csv_inference_set_task_types (inference, partition, o->types);
      return TRUE;
    }
  if (job->sink == NULL || o->batches == NULL)
    return TRUE;
  for (guint i = 0; i < o->batches->len; i++)
    {
      WeftBatch *b = g_steal_pointer (&o->batches->pdata[i]);
      if (!job->sink (partition, b, job->sink_data, error))
        return FALSE;
    }
  return TRUE;
}

/* Unregisters the map outputs held by @executor_id (all of them if @map_id < 0 and
 * @shuffle_id < 0; else just that one), so the stages that need them run those tasks again. */
static void
unregister_outputs (Job *job, gint shuffle_id, gint map_id, const char *executor_id)
{
  for (guint i = 0; i < job->stages->len; i++)
    {
      Stage *s = job->stages->pdata[i];
      if (s->outputs == NULL || (shuffle_id >= 0 && s->shuffle_id != shuffle_id))
        continue;
      for (guint m = 0; m < s->n_tasks; m++)
        {
          WeftMapOutput *mo = s->outputs->pdata[m];
          if (mo == NULL || (map_id >= 0 && (gint) m != map_id)
              || (executor_id && g_strcmp0 (mo->executor_id, executor_id) != 0))
            continue;
          weft_map_output_free (mo);
          s->outputs->pdata[m] = NULL;
        }
    }
  job->epoch++;
}

static void
handle_outcome (Job *job, WeftTaskOutcome *o)
{
  WeftExec *ex = job->ex;
  if (o->task_id == 0)
    {
      /* Not a task's: an executor was lost, and with it the map outputs it served. The stages
       * that miss some now run those tasks again (Spark resubmits the lost map tasks of running
       * stages; the next fetch failure would find the rest). */
      if (o->state == WEFT_TASK_EXECUTOR_LOST && o->executor_id)
        {
          unregister_outputs (job, -1, -1, o->executor_id);
          submit_stage (job, job->result);
        }
      return;
    }
  TaskRec *r = g_hash_table_lookup (job->tasks, &o->task_id);
  if (r == NULL)
    return;  /* a task of an earlier job */
  Stage *s = r->stage;
  guint p = r->partition;
  if (r->reported)
    return;  /* a copy */
  r->reported = TRUE;
  if (s->running[p] == o->task_id)
    {
      s->running[p] = 0;
      job->n_running--;
    }
  g_debug ("task %" G_GUINT64_FORMAT " (stage %u.%u, partition %u) on executor %s: %s%s%s",
           o->task_id, s->id, r->stage_attempt, p, o->executor_id ? o->executor_id : "?",
           o->state == WEFT_TASK_SUCCEEDED ? "succeeded" : o->state == WEFT_TASK_FETCH_FAILED
           ? "fetch failed" : o->state == WEFT_TASK_EXECUTOR_LOST ? "executor lost" : "failed",
           o->message ? ": " : "", o->message ? o->message : "");
  switch (o->state)
    {
    case WEFT_TASK_SUCCEEDED:
      s->failed_attempts = 0;
      if (s->outputs)
        {
          if (o->map_output)
            {
              weft_map_output_free (s->outputs->pdata[p]);
              s->outputs->pdata[p] = g_steal_pointer (&o->map_output);
            }
          if (stage_available (s))
            submit_waiting (job);
        }
      else if (!s->done[p])
        {
          GError *error = NULL;
          if (!deliver_result (job, p, o, &error))
            {
              if (job->error == NULL)
                job->error = error;
              else
                g_error_free (error);
              return;
            }
          s->done[p] = TRUE;
          job->n_done++;
        }
      break;
    case WEFT_TASK_FETCH_FAILED:
      /* Only the current attempt's first fetch failure counts: later ones of the same
       * attempt, and those of older attempts, are the same loss seen again. */
      unregister_outputs (job, (gint) o->fetch_shuffle_id, (gint) o->fetch_map_id, NULL);
      if (r->stage_attempt == s->attempt)
        {
          s->attempt++;
          if (++s->failed_attempts >= MAX_STAGE_ATTEMPTS)
            {
              s->failures[p]++;
              g_autofree char *why = g_strdup_printf ("Stage %u failed %u consecutive attempts "
                                                      "on fetch failures", s->id,
                                                      s->failed_attempts);
              fail_job (job, s, p, o, why);
              return;
            }
        }
      submit_stage (job, s);
      break;
    case WEFT_TASK_FAILED:
    case WEFT_TASK_EXECUTOR_LOST:
    case WEFT_TASK_KILLED:
      s->failures[p]++;
      if (s->failures[p] >= ex->max_task_failures)
        {
          g_autofree char *why = g_strdup_printf ("Task %u in stage %u.%u failed %u times", p,
                                                  s->id, s->attempt, s->failures[p]);
          fail_job (job, s, p, o, why);
          return;
        }
      if (job->result_kind == WEFT_TASK_WRITE_CSV && !s->outputs)
        weft_output_job_abort_task (job->job, p, s->failures[p] - 1);
      if (!s->waiting)
        submit_stage (job, s);
      break;
    }
}

/* Tells the backend (the cluster's AM passes it to the RM, for weft-submit) and the console
 * how the first stage with running tasks is going. */
static void
report_progress (Job *job, gboolean force)
{
  WeftExec *ex = job->ex;
  gint64 now = g_get_monotonic_time ();
  if (!force && now - job->progress_us < PROGRESS_EVERY_US)
    return;
  job->progress_us = now;
  const Stage *active = NULL;
  guint done = 0, running = 0;
  for (guint i = 0; i < job->stages->len && active == NULL; i++)
    {
      const Stage *s = job->stages->pdata[i];
      guint r = 0, d = 0;
      for (guint p = 0; p < s->n_tasks; p++)
        {
          r += s->running[p] != 0;
          d += !partition_missing (s, p);
        }
      if (r > 0)
        {
          active = s;
          done = d;
          running = r;
        }
    }
  g_autofree char *detail = active ? weft_progress_detail_format (active->id, done, running,
                                                                   active->n_tasks)
                                   : g_strdup ("");
  if (ex->ops->status)
    ex->ops->status (ex->backend, detail);
  if (!ex->console || active == NULL || now - job->started_us < PROGRESS_AFTER_US)
    return;
  guint width = weft_progress_width (g_getenv ("COLUMNS"));
  g_autofree char *bar = weft_progress_bar_format (active->id, done, running, active->n_tasks,
                                                   width);
  fprintf (stderr, "\r%s\r", bar);
  fflush (stderr);
  job->bar_width = width;
}

static gboolean
job_done (const Job *job)
{
  return job->n_done == job->result->n_tasks;
}

static gboolean
run_job (WeftExec *ex, WeftPlan *plan, WeftTaskKind kind, void (*on_start) (guint, gpointer),
         WeftExecSink sink, gpointer data, WeftOutputJob *out, const WeftCsvWriteOptions *options,
         WeftNodeInfo *root_info, GError **error)
{
  Job job = { 0 };
  job.ex = ex;
  job.job_id = ex->next_job_id++;
  job.root = plan;
  job.info = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) weft_node_info_free);
  job.map_stages = g_hash_table_new (NULL, NULL);
  job.stages = g_ptr_array_new_with_free_func ((GDestroyNotify) stage_free);
  job.tasks = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                     g_free);
  job.result_kind = kind;
  job.sink = sink;
  job.sink_data = data;
  job.job = out;
  job.write_options = options;
  /* (transfer full) what the caller already decided about the root (annotate keeps it). */
  if (root_info)
    g_hash_table_insert (job.info, plan, root_info);
  gboolean ok = annotate (&job, plan, error);
  if (ok)
    {
      g_autoptr(GPtrArray) parents = g_ptr_array_new ();
      collect_parents (&job, plan, parents);
      job.result = stage_new (&job, plan, 0, -1, info_of (&job, plan)->n_partitions);
      g_ptr_array_extend (job.result->parents, parents, NULL, NULL);
      job.result->done = g_new0 (gboolean, job.result->n_tasks);
      if (on_start)
        on_start (job.result->n_tasks, data);
      job.started_us = g_get_monotonic_time ();
      submit_stage (&job, job.result);
      report_progress (&job, TRUE);
      while (!job_done (&job) && job.error == NULL)
        {
          /* Wake at least every 200 ms to redraw the progress bar. */
          WeftTaskOutcome *o = g_async_queue_timeout_pop (ex->outcomes, PROGRESS_EVERY_US);
          if (o)
            {
              handle_outcome (&job, o);
              weft_task_outcome_free (o);
            }
          report_progress (&job, FALSE);
          /* Nothing out and not done: whatever is missing runs again (never wait for nothing). */
          if (job.n_running == 0 && !job_done (&job) && job.error == NULL)
            submit_stage (&job, job.result);
        }
      if (job.bar_width)
        {
          g_autofree char *clear = weft_progress_bar_clear (job.bar_width);
          fputs (clear, stderr);
          fflush (stderr);
        }
      if (ex->ops->status)
        ex->ops->status (ex->backend, "");
      /* Tasks still out (after a failure) report to this job before it goes. */
      while (job.n_running > 0)
        {
          WeftTaskOutcome *o = g_async_queue_pop (ex->outcomes);
          TaskRec *r = g_hash_table_lookup (job.tasks, &o->task_id);
          if (r && !r->reported && r->stage->running[r->partition] == o->task_id)
            {
              r->reported = TRUE;
              r->stage->running[r->partition] = 0;
              job.n_running--;
            }
          weft_task_outcome_free (o);
        }
      if (job.error)
        {
          g_propagate_error (error, job.error);
          ok = FALSE;
        }
    }
  g_hash_table_unref (job.tasks);
  g_ptr_array_unref (job.stages);
  g_hash_table_unref (job.map_stages);
  g_hash_table_unref (job.info);
  return ok;
}

gboolean
weft_exec_run (WeftExec *ex, WeftPlan *plan, void (*on_start) (guint, gpointer), WeftExecSink sink,
               gpointer user_data, GError **error)
{
  return run_job (ex, plan, WEFT_TASK_RESULT, on_start, sink, user_data, NULL, NULL, NULL, error);
}

gboolean
weft_exec_write_csv (WeftExec *ex, WeftPlan *plan, WeftOutputJob *job,
                     const WeftCsvWriteOptions *options, GError **error)
{
  return run_job (ex, plan, WEFT_TASK_WRITE_CSV, NULL, NULL, NULL, job, options, NULL, error);
}

/* ---- schema inference: one task per split ---- */

gboolean
weft_exec_infer_csv (WeftExec *ex, WeftCsvInference *inference, const char *const *files,
                     GError **error)
{
  guint n = weft_csv_inference_get_n_tasks (inference);
  if (n == 0)
    return TRUE;
  /* A job of its own, as Spark's inferSchema is: one INFER_CSV task per split of a scan of the
   * files' columns as strings, with the splits the inference already planned. */
  guint n_cols = weft_csv_inference_get_n_columns (inference);
  g_autoptr(WeftSchema) strings = weft_schema_new ();
  for (guint i = 0; i < n_cols; i++)
    {
      g_autofree char *name = g_strdup_printf ("_c%u", i);
      weft_schema_add_field (strings, name, WEFT_DATA_TYPE_STRING, TRUE);
    }
  g_autoptr(WeftPlan) scan = weft_plan_csv_scan (files, weft_csv_inference_get_options (inference),
                                                 strings);
  WeftNodeInfo *info = weft_node_info_new (n);
  info->splits = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_csv_split_free);
  for (guint i = 0; i < n; i++)
    {
      const WeftCsvSplit *sp = weft_csv_inference_get_split (inference, i);
      g_ptr_array_add (info->splits, weft_csv_split_new (sp->path, sp->start, sp->length));
    }
  return run_job (ex, scan, WEFT_TASK_INFER_CSV, NULL, NULL, inference, NULL, NULL, info, error);
}

/* ---- the executor object ---- */

WeftExec *
weft_exec_new (const WeftBackendOps *ops, gpointer backend, GAsyncQueue *outcomes,
               gsize task_memory, guint shuffle_partitions)
{
  WeftExec *ex = g_new0 (WeftExec, 1);
  ex->ops = ops;
  ex->backend = backend;
  ex->outcomes = outcomes;
  ex->task_memory = task_memory;
  ex->shuffle_partitions = MAX (shuffle_partitions, 1);
  ex->max_task_failures = 4;
  return ex;
}

void
weft_exec_set_console_progress (WeftExec *ex, gboolean on)
{
  ex->console = on;
}

void
weft_exec_set_max_task_failures (WeftExec *ex, guint n)
{
  ex->max_task_failures = MAX (n, 1);
}

gsize
weft_exec_get_task_memory (WeftExec *ex)
{
  return ex->task_memory;
}

void
weft_exec_free (WeftExec *ex)
{
  g_free (ex);
}

guint
weft_exec_get_shuffle_partitions (WeftExec *ex)
{
  return ex->shuffle_partitions;
}
