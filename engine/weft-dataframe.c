/* weft-dataframe: sessions, DataFrames and actions (include/weft/weft.h).
 * A DataFrame is a session and a logical plan; an action optimizes the
 * plan and runs it with the session's executor. */
#include "weft/weft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft-csv-write.h"
#include "weft-csv.h"
#include "weft-engine-error.h"
#include "weft-exec.h"
#include "weft-optimizer.h"
#include "weft-output-job.h"
#include "weft-show.h"

struct _WeftSession {
  char *app_name;
  guint parallelism;
  WeftExec *exec;
};

struct _WeftDataFrame {
  gint refs;
  WeftSession *session;   /* borrowed: a session outlives its DataFrames */
  WeftPlan *plan;
};

/* Memory for one task's stateful operator before it spills. */
#define TASK_MEMORY ((gsize) 256 * 1024 * 1024)

WeftSession *
weft_session_new (const char *app_name, const char *master, GError **error)
{
  if (master == NULL)
    master = g_getenv ("WEFT_MASTER");
  if (master == NULL || *master == '\0')
    master = "local[*]";
  guint n = 0;
  if (g_str_equal (master, "local"))
    n = 1;
  else if (g_str_equal (master, "local[*]"))
    n = g_get_num_processors ();
  else if (g_str_has_prefix (master, "local[") && g_str_has_suffix (master, "]"))
    {
      char *end = NULL;
      guint64 v = g_ascii_strtoull (master + 6, &end, 10);
      if (end && *end == ']' && v >= 1 && v <= 4096)
        n = (guint) v;
    }
  if (n == 0)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                   "master \"%s\" is not local, local[N] or local[*] (the cluster master comes "
                   "with weft-submit)", master);
      return NULL;
    }
  WeftSession *s = g_new0 (WeftSession, 1);
  s->app_name = g_strdup (app_name ? app_name : "weft");
  s->parallelism = n;
  s->exec = weft_exec_new (n, TASK_MEMORY, n);
  return s;
}

void
weft_session_free (WeftSession *s)
{
  if (s == NULL)
    return;
  weft_exec_free (s->exec);
  g_free (s->app_name);
  g_free (s);
}

guint
weft_session_get_parallelism (WeftSession *s)
{
  return s->parallelism;
}

static WeftDataFrame *
df_new (WeftSession *s, WeftPlan *plan)
{
  if (plan == NULL)
    return NULL;
  WeftDataFrame *df = g_new0 (WeftDataFrame, 1);
  df->refs = 1;
  df->session = s;
  df->plan = plan;
  return df;
}

WeftDataFrame *
weft_df_ref (WeftDataFrame *df)
{
  g_atomic_int_inc (&df->refs);
  return df;
}

void
weft_df_unref (WeftDataFrame *df)
{
  if (df && g_atomic_int_dec_and_test (&df->refs))
    {
      weft_plan_unref (df->plan);
      g_free (df);
    }
}

WeftSchema *
weft_df_get_schema (WeftDataFrame *df)
{
  return df->plan->schema;
}

WeftDataFrame *
weft_read_csv (WeftSession *s, const char *path, const char *const *options, GError **error)
{
  g_autoptr(WeftCsvOptions) opts = weft_csv_options_new ();
  for (guint i = 0; options && options[i]; i += 2)
    {
      if (options[i + 1] == NULL)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "option \"%s\" has no value: options come in name, value pairs", options[i]);
          return NULL;
        }
      if (!weft_csv_options_set (opts, options[i], options[i + 1], error))
        return NULL;
    }
  g_autoptr(GPtrArray) files = weft_csv_list_files (path, error);
  if (files == NULL)
    return NULL;
  g_ptr_array_add (files, NULL);
  g_autoptr(WeftSchema) schema = weft_csv_infer_schema ((const char *const *) files->pdata,
                                                         files->len - 1, opts, error);
  if (schema == NULL)
    return NULL;
  return df_new (s, weft_plan_csv_scan ((const char *const *) files->pdata, opts, schema));
}

WeftDataFrame *
weft_create_dataframe (WeftSession *s, WeftBatch *rows)
{
  return df_new (s, weft_plan_rows (rows, s->parallelism));
}

WeftDataFrame *
weft_df_filter (WeftDataFrame *df, const WeftExpr *condition, GError **error)
{
  return df_new (df->session, weft_plan_filter (df->plan, condition, error));
}

WeftDataFrame *
weft_df_select (WeftDataFrame *df, WeftExpr *const *exprs, guint n, GError **error)
{
  return df_new (df->session, weft_plan_project (df->plan, exprs, n, error));
}

WeftDataFrame *
weft_df_select_cols (WeftDataFrame *df, GError **error, const char *first, ...)
{
  g_autoptr(GPtrArray) cols = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  va_list ap;
  va_start (ap, first);
  for (const char *name = first; name; name = va_arg (ap, const char *))
    g_ptr_array_add (cols, weft_expr_col (name));
  va_end (ap);
  return weft_df_select (df, (WeftExpr *const *) cols->pdata, cols->len, error);
}

WeftDataFrame *
weft_df_with_column (WeftDataFrame *df, const char *name, const WeftExpr *expr, GError **error)
{
  WeftSchema *schema = df->plan->schema;
  guint n = weft_schema_get_n_fields (schema);
  g_autoptr(GPtrArray) cols = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_expr_unref);
  gboolean replaced = FALSE;
  for (guint i = 0; i < n; i++)
    {
      const char *field = weft_schema_get_field (schema, i)->name;
      if (g_ascii_strcasecmp (field, name) == 0)
        {
          g_ptr_array_add (cols, weft_expr_alias (weft_expr_ref ((WeftExpr *) expr), name));
          replaced = TRUE;
        }
      else
        g_ptr_array_add (cols, weft_expr_col (field));
    }
  if (!replaced)
    g_ptr_array_add (cols, weft_expr_alias (weft_expr_ref ((WeftExpr *) expr), name));
  return weft_df_select (df, (WeftExpr *const *) cols->pdata, cols->len, error);
}

WeftDataFrame *
weft_df_group_by_agg (WeftDataFrame *df, WeftExpr *const *keys, guint n_keys,
                      const WeftPlanAggSpec *aggs, guint n_aggs, GError **error)
{
  return df_new (df->session, weft_plan_aggregate (df->plan, keys, n_keys, aggs, n_aggs, error));
}

WeftDataFrame *
weft_df_group_by_count (WeftDataFrame *df, WeftExpr *const *keys, guint n_keys, GError **error)
{
  WeftPlanAggSpec count = { WEFT_AGG_COUNT_STAR, NULL, "count" };
  return weft_df_group_by_agg (df, keys, n_keys, &count, 1, error);
}

WeftDataFrame *
weft_df_order_by (WeftDataFrame *df, const WeftPlanSortKey *keys, guint n, GError **error)
{
  return df_new (df->session, weft_plan_sort (df->plan, keys, n, error));
}

WeftDataFrame *
weft_df_limit (WeftDataFrame *df, gint64 n)
{
  return df_new (df->session, weft_plan_limit (df->plan, n));
}

WeftDataFrame *
weft_df_coalesce (WeftDataFrame *df, guint n)
{
  return df_new (df->session, weft_plan_coalesce (df->plan, n));
}

WeftDataFrame *
weft_df_repartition (WeftDataFrame *df, guint n)
{
  return df_new (df->session, weft_plan_repartition (df->plan, n));
}

WeftDataFrame *
weft_df_drop (WeftDataFrame *df, GError **error, const char *first, ...)
{
  WeftSchema *schema = df->plan->schema;
  guint n = weft_schema_get_n_fields (schema);
  g_autofree gboolean *dropped = g_new0 (gboolean, MAX (n, 1));
  va_list ap;
  va_start (ap, first);
  for (const char *name = first; name; name = va_arg (ap, const char *))
    for (guint i = 0; i < n; i++)
      dropped[i] |= g_ascii_strcasecmp (weft_schema_get_field (schema, i)->name, name) == 0;
  va_end (ap);
  g_autofree guint *keep = g_new (guint, MAX (n, 1));
  guint n_keep = 0;
  for (guint i = 0; i < n; i++)
    if (!dropped[i])
      keep[n_keep++] = i;
  if (n_keep == n)
    return df_new (df->session, weft_plan_ref (df->plan));
  return df_new (df->session, weft_plan_select_indices (df->plan, keep, n_keep));
}

WeftDataFrame *
weft_df_distinct (WeftDataFrame *df)
{
  return df_new (df->session, weft_plan_distinct (df->plan));
}

WeftDataFrame *
weft_df_drop_duplicates (WeftDataFrame *df)
{
  return weft_df_distinct (df);
}

static gboolean
same_session (WeftDataFrame *df, WeftDataFrame *other, const char *what, GError **error)
{
  if (df->session == other->session)
    return TRUE;
  g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
               "%s: both DataFrames must come from the same session", what);
  return FALSE;
}

WeftDataFrame *
weft_df_union (WeftDataFrame *df, WeftDataFrame *other, GError **error)
{
  if (!same_session (df, other, "union", error))
    return NULL;
  return df_new (df->session, weft_plan_union (df->plan, other->plan, error));
}

WeftDataFrame *
weft_df_join (WeftDataFrame *df, WeftDataFrame *other, const char *const *on_columns,
              WeftJoinType how, GError **error)
{
  if (!same_session (df, other, "join", error))
    return NULL;
  guint n = on_columns ? g_strv_length ((char **) on_columns) : 0;
  return df_new (df->session, weft_plan_join_using (df->plan, other->plan, on_columns, n, how, error));
}

WeftDataFrame *
weft_df_join_on (WeftDataFrame *df, WeftDataFrame *other, WeftExpr *const *left_keys,
                 WeftExpr *const *right_keys, guint n, WeftJoinType how, GError **error)
{
  if (!same_session (df, other, "join", error))
    return NULL;
  return df_new (df->session,
                 weft_plan_join (df->plan, other->plan, left_keys, right_keys, n, how, error));
}

/* ---- actions ---- */

static gboolean
run (WeftDataFrame *df, WeftPlan *plan, void (*on_start) (guint, gpointer), WeftExecSink sink,
     gpointer data, GError **error)
{
  g_autoptr(WeftPlan) optimized = weft_optimize (plan, error);
  if (optimized == NULL)
    return FALSE;
  return weft_exec_run (df->session->exec, optimized, on_start, sink, data, error);
}

static gboolean
count_sink (guint partition, WeftBatch *batch, gpointer data, GError **error)
{
  g_atomic_pointer_add ((gsize *) data, batch->n_rows);
  weft_batch_free (batch);
  return TRUE;
}

gint64
weft_df_count (WeftDataFrame *df, GError **error)
{
  /* Only the row count is needed: let the optimizer drop every column. */
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  gsize n = 0;
  if (!run (df, df->plan, NULL, count_sink, &n, error))
    return -1;
  return (gint64) n;
}

typedef struct {
  GPtrArray *parts;   /* per partition: GPtrArray of batches */
} Collect;

static void
collect_start (guint n, gpointer data)
{
  Collect *c = data;
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (c->parts, g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free));
}

static gboolean
collect_sink (guint partition, WeftBatch *batch, gpointer data, GError **error)
{
  Collect *c = data;
  g_ptr_array_add (c->parts->pdata[partition], batch);
  return TRUE;
}

static GPtrArray *
collect_batches (WeftDataFrame *df, WeftPlan *plan, GError **error)
{
  Collect c = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref) };
  if (!run (df, plan, collect_start, collect_sink, &c, error))
    {
      g_ptr_array_unref (c.parts);
      return NULL;
    }
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) weft_batch_free);
  for (guint p = 0; p < c.parts->len; p++)
    {
      GPtrArray *part = c.parts->pdata[p];
      for (guint i = 0; i < part->len; i++)
        {
          g_ptr_array_add (all, part->pdata[i]);
          part->pdata[i] = NULL;
        }
    }
  g_ptr_array_unref (c.parts);
  return all;
}

WeftBatch *
weft_df_collect (WeftDataFrame *df, GError **error)
{
  g_autoptr(GPtrArray) all = collect_batches (df, df->plan, error);
  if (all == NULL)
    return NULL;
  if (all->len == 0)
    return weft_batch_new_empty (df->plan->schema, 0);
  return weft_batch_concat ((WeftBatch *const *) all->pdata, all->len);
}

WeftBatch *
weft_df_take (WeftDataFrame *df, gint64 n, GError **error)
{
  /* As show: a limit, so each partition stops after n rows. */
  g_autoptr(WeftPlan) limited = weft_plan_limit (df->plan, MAX (n, 0));
  g_autoptr(GPtrArray) all = collect_batches (df, limited, error);
  if (all == NULL)
    return NULL;
  if (all->len == 0)
    return weft_batch_new_empty (df->plan->schema, 0);
  return weft_batch_concat ((WeftBatch *const *) all->pdata, all->len);
}

char *
weft_df_show_string (WeftDataFrame *df, int n, int truncate, GError **error)
{
  /* As Spark: take n + 1 rows to know whether there are more. */
  g_autoptr(WeftPlan) limited = weft_plan_limit (df->plan, (gint64) MAX (n, 0) + 1);
  g_autoptr(GPtrArray) all = collect_batches (df, limited, error);
  if (all == NULL)
    return NULL;
  return weft_show_format (df->plan->schema, (WeftBatch *const *) all->pdata, all->len, -1, n,
                           truncate, FALSE);
}

gboolean
weft_df_show (WeftDataFrame *df, int n, int truncate, GError **error)
{
  g_autofree char *s = weft_df_show_string (df, n, truncate, error);
  if (s == NULL)
    return FALSE;
  fputs (s, stdout);
  fflush (stdout);
  return TRUE;
}

typedef struct {
  WeftOutputJob *job;
  WeftCsvWriteOptions *options;
  WeftSchema *schema;
  GPtrArray *writers;    /* per partition (nullable until its first batch) */
  GMutex lock;
} Write;

static void
write_start (guint n, gpointer data)
{
  Write *w = data;
  g_ptr_array_set_size (w->writers, n);
}

static gboolean
write_sink (guint partition, WeftBatch *batch, gpointer data, GError **error)
{
  Write *w = data;
  g_autoptr(WeftBatch) b = batch;
  if (w->writers->pdata[partition] == NULL)
    {
      g_autofree char *path = weft_output_job_task_path (w->job, partition, 0, error);
      if (path == NULL)
        return FALSE;
      WeftCsvWriter *wr = weft_csv_writer_new (w->options, w->schema, path, error);
      if (wr == NULL)
        return FALSE;
      w->writers->pdata[partition] = wr;
    }
  return weft_csv_writer_write (w->writers->pdata[partition], b, error);
}

gboolean
weft_df_write_csv (WeftDataFrame *df, const char *path, const char *mode,
                   const char *const *options, GError **error)
{
  WeftSaveMode save;
  if (!weft_output_job_parse_mode (mode ? mode : "error", &save, error))
    return FALSE;
  g_autoptr(WeftCsvWriteOptions) opts = weft_csv_write_options_new ();
  for (guint i = 0; options && options[i]; i += 2)
    if (options[i + 1] == NULL || !weft_csv_write_options_set (opts, options[i], options[i + 1], error))
      {
        if (options[i + 1] == NULL)
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "option \"%s\" has no value", options[i]);
        return FALSE;
      }
  g_autoptr(WeftOutputJob) job = weft_output_job_begin (path, save, ".csv", error);
  if (job == NULL)
    return FALSE;
  if (weft_output_job_is_noop (job))
    return TRUE;
  Write w = { job, opts, df->plan->schema, g_ptr_array_new () };
  gboolean ok = run (df, df->plan, write_start, write_sink, &w, error);
  /* Close every part file, then commit the tasks and the job (_SUCCESS last). */
  for (guint p = 0; p < w.writers->len; p++)
    {
      WeftCsvWriter *wr = w.writers->pdata[p];
      if (wr == NULL && ok && p == 0)
        {
          /* No rows at all: Spark still writes one (empty, or header-only) file. */
          g_autofree char *pp = weft_output_job_task_path (job, 0, 0, error);
          wr = pp ? weft_csv_writer_new (opts, df->plan->schema, pp, error) : NULL;
          ok = wr != NULL;
        }
      if (wr == NULL)
        continue;
      if (ok)
        ok = weft_csv_writer_close (wr, error) && weft_output_job_commit_task (job, p, 0, error);
      weft_csv_writer_free (wr);
    }
  g_ptr_array_unref (w.writers);
  if (ok)
    ok = weft_output_job_commit (job, error);
  if (!ok)
    weft_output_job_abort (job);
  return ok;
}

char *
weft_df_explain (WeftDataFrame *df, gboolean extended, GError **error)
{
  g_autoptr(WeftPlan) optimized = weft_optimize (df->plan, error);
  if (optimized == NULL)
    return NULL;
  g_autofree char *logical = weft_plan_to_string (df->plan);
  g_autofree char *opt = weft_plan_to_string (optimized);
  return g_strdup_printf ("%s%s== Optimized Logical Plan ==\n%s",
                          extended ? "== Analyzed Logical Plan ==\n" : "",
                          extended ? logical : "", opt);
}
