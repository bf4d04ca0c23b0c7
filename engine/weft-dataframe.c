/* weft-dataframe: sessions, DataFrames and actions (include/weft/weft.h).
 * A DataFrame is a session and a logical plan; an action optimizes the
 * plan and runs it with the session's executor. */
#include "weft/weft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "weft-csv-write.h"
#include "weft-csv.h"
#include "weft-engine-error.h"
#include "weft-exec.h"
#include "weft-spark-conf.h"
#include "weft-optimizer.h"
#include "weft-output-job.h"
#include "weft-physical.h"
#include "weft-show.h"
#include "weft/weft-backend.h"
#include "weft-task.h"

struct _WeftSession {
  char *app_name;
  guint parallelism;
  GHashTable *conf;             /* key -> value: the session's effective configuration */
  const WeftBackendOps *ops;
  gpointer backend;
  WeftExec *exec;
  GAsyncQueue *outcomes;        /* the backend's task outcomes, read by exec */
  char *failure;                /* (nullable) the last job's error: the application failed */
  gint64 split_bytes;           /* spark.sql.files.maxPartitionBytes */
};

struct _WeftDataFrame {
  gint refs;
  WeftSession *session;   /* borrowed: a session outlives its DataFrames */
  WeftPlan *plan;
};

struct _WeftSessionBuilder {
  GHashTable *conf;             /* key -> value, the last setting wins */
};

#define DEFAULT_MASTER "local[*]"
#define DEFAULT_EXECUTOR_MEMORY "1g"

WeftSessionBuilder *
weft_session_builder_new (void)
{
  WeftSessionBuilder *b = g_new0 (WeftSessionBuilder, 1);
  b->conf = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return b;
}

void
weft_session_builder_free (WeftSessionBuilder *b)
{
  if (b == NULL)
    return;
  g_hash_table_unref (b->conf);
  g_free (b);
}

WeftSessionBuilder *
weft_session_builder_config (WeftSessionBuilder *b, const char *key, const char *value)
{
  if (key && *key && value)
    g_hash_table_insert (b->conf, g_strstrip (g_strdup (key)), g_strstrip (g_strdup (value)));
  return b;
}

WeftSessionBuilder *
weft_session_builder_app_name (WeftSessionBuilder *b, const char *name)
{
  return weft_session_builder_config (b, "spark.app.name", name);
}

WeftSessionBuilder *
weft_session_builder_master (WeftSessionBuilder *b, const char *master)
{
  return weft_session_builder_config (b, "spark.master", master);
}

/* Settings of @path (spark-defaults.conf's format: "key value" or "key=value" per line, '#'
 * comments) not already set in @b. */
static gboolean
load_properties (WeftSessionBuilder *b, const char *path, gboolean override, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *line = g_strstrip (lines[i]);
      if (*line == '\0' || *line == '#')
        continue;
      gsize k = strcspn (line, " \t=");
      if (line[k] == '\0')
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "%s:%u: \"%s\" has no value: write \"key value\"", path, i + 1, line);
          return FALSE;
        }
      char *value = line + k + strspn (line + k, " \t=");
      line[k] = '\0';
      if (override || !g_hash_table_contains (b->conf, line))
        weft_session_builder_config (b, line, value);
    }
  return TRUE;
}

gboolean
weft_session_builder_load_properties (WeftSessionBuilder *b, const char *path, GError **error)
{
  return load_properties (b, path, TRUE, error);
}

/* One option's value: "--opt value" or "--opt=value"; *i is left on the last word used. */
static const char *
option_value (int argc, char **argv, int *i, const char *name, GError **error)
{
  gsize n = strlen (name);
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (*i + 1 >= argc)
    {
      g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION, "%s needs a value", name);
      return NULL;
    }
  return argv[++*i];
}

static gboolean
is_option (const char *arg, const char *name)
{
  gsize n = strlen (name);
  return strncmp (arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

gboolean
weft_session_builder_parse_args (WeftSessionBuilder *b, int *argc, char ***argv, GError **error)
{
  enum { MASTER, NAME, CONF, PROPERTIES_FILE, N_OPTIONS };
  static const char *const options[N_OPTIONS] = { "--master", "--name", "--conf",
                                                   "--properties-file" };
  char **args = *argv;
  int out = 1;
  for (int i = 1; i < *argc; i++)
    {
      int which = 0;
      while (which < N_OPTIONS && !is_option (args[i], options[which]))
        which++;
      if (which == N_OPTIONS)
        {
          args[out++] = args[i];
          continue;
        }
      const char *v = option_value (*argc, args, &i, options[which], error);
      if (v == NULL)
        return FALSE;
      switch (which)
        {
        case MASTER:
          weft_session_builder_master (b, v);
          break;
        case NAME:
          weft_session_builder_app_name (b, v);
          break;
        case PROPERTIES_FILE:
          if (!load_properties (b, v, TRUE, error))
            return FALSE;
          break;
        default: /* CONF */
          {
            const char *eq = strchr (v, '=');
            if (eq == NULL || eq == v)
              {
                g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                             "--conf \"%s\" is not KEY=VALUE (e.g. --conf spark.executor.memory=2g)",
                             v);
                return FALSE;
              }
            g_autofree char *key = g_strndup (v, (gsize) (eq - v));
            weft_session_builder_config (b, key, eq + 1);
          }
        }
    }
  *argc = out;
  args[out] = NULL;
  return TRUE;
}

static const char *
conf_or (GHashTable *conf, const char *key, const char *fallback)
{
  const char *v = g_hash_table_lookup (conf, key);
  return v ? v : fallback;
}

WeftSession *
weft_session_builder_get_or_create (WeftSessionBuilder *b, GError **error)
{
  /* Below what the program set: what weft-submit passed (its flags, --conf and properties
   * file, over weft-defaults.conf, already merged as spark-submit does); without weft-submit,
   * $WEFT_CONF_DIR/weft-defaults.conf, as spark-defaults.conf. */
  const char *submitted = g_getenv ("WEFT_SUBMIT_PROPERTIES");
  const char *dir = g_getenv ("WEFT_CONF_DIR");
  if (submitted && *submitted)
    {
      if (!load_properties (b, submitted, FALSE, error))
        {
          g_prefix_error (error, "WEFT_SUBMIT_PROPERTIES: ");
          return NULL;
        }
    }
  else if (dir && *dir)
    {
      g_autofree char *path = g_build_filename (dir, "weft-defaults.conf", NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS) && !load_properties (b, path, FALSE, error))
        return NULL;
    }
  const char *master = g_hash_table_lookup (b->conf, "spark.master");
  if (master == NULL || *master == '\0')
    master = g_getenv ("WEFT_MASTER");
  if (master == NULL || *master == '\0')
    master = DEFAULT_MASTER;
  g_autofree char *master_copy = g_strdup (master);
  weft_session_builder_master (b, master_copy);

  gint64 memory = 0, split = 0;
  guint cores = 1, shuffle = 0;
  if (!weft_spark_conf_size ("spark.executor.memory",
                   conf_or (b->conf, "spark.executor.memory", DEFAULT_EXECUTOR_MEMORY),
                   1024 * 1024, &memory, error)
      || !weft_spark_conf_size ("spark.sql.files.maxPartitionBytes",
                      conf_or (b->conf, "spark.sql.files.maxPartitionBytes", "128m"), 1, &split, error)
      || !weft_spark_conf_count ("spark.executor.cores", conf_or (b->conf, "spark.executor.cores", "1"),
                                 1, 100000, &cores,
                       error))
    return NULL;
  guint max_failures = 4;
  if (!weft_spark_conf_count ("spark.task.maxFailures", conf_or (b->conf, "spark.task.maxFailures", "4"),
                              1, 100000, &max_failures, error))
    return NULL;
  const char *sp = g_hash_table_lookup (b->conf, "spark.sql.shuffle.partitions");
  if (sp && !weft_spark_conf_count ("spark.sql.shuffle.partitions", sp, 1, 100000, &shuffle, error))
    return NULL;

  const WeftBackendOps *ops = weft_backend_lookup (master_copy, error);
  if (ops == NULL)
    return NULL;
  g_autoptr(GPtrArray) pairs = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, b->conf);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      g_ptr_array_add (pairs, k);
      g_ptr_array_add (pairs, v);
    }
  g_ptr_array_add (pairs, NULL);
  g_autoptr(GAsyncQueue) outcomes = g_async_queue_new_full ((GDestroyNotify) weft_task_outcome_free);
  gpointer backend = ops->open (master_copy, (const char *const *) pairs->pdata, outcomes, error);
  if (backend == NULL)
    return NULL;
  guint slots = ops->slots (backend);
  /* An executor's memory is shared by the tasks it runs at once: each stateful operator
   * spills past its share. */
  gsize task_memory = (gsize) MAX (memory / slots, 1024 * 1024);

  WeftSession *s = g_new0 (WeftSession, 1);
  s->app_name = g_strdup (conf_or (b->conf, "spark.app.name", "weft"));
  s->parallelism = slots;
  s->conf = g_hash_table_ref (b->conf);
  s->ops = ops;
  s->backend = backend;
  s->split_bytes = split;
  s->outcomes = g_steal_pointer (&outcomes);
  s->exec = weft_exec_new (ops, backend, s->outcomes, task_memory, shuffle ? shuffle : slots);
  weft_exec_set_max_task_failures (s->exec, max_failures);
  const char *progress = conf_or (b->conf, "spark.ui.showConsoleProgress", "true");
  weft_exec_set_console_progress (s->exec, g_ascii_strcasecmp (progress, "false") != 0
                                             && isatty (STDERR_FILENO));
  /* The builder may go on being changed and used; the session keeps what it was given. */
  GHashTable *fresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&it, b->conf);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (fresh, g_strdup (k), g_strdup (v));
  b->conf = fresh;
  return s;
}

WeftSession *
weft_session_new (const char *app_name, const char *master, GError **error)
{
  g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
  weft_session_builder_app_name (b, app_name);
  weft_session_builder_master (b, master);
  return weft_session_builder_get_or_create (b, error);
}

void
weft_session_free (WeftSession *s)
{
  if (s == NULL)
    return;
  weft_exec_free (s->exec);
  s->ops->close (s->backend, s->failure == NULL, s->failure);
  g_free (s->failure);
  g_async_queue_unref (s->outcomes);
  g_hash_table_unref (s->conf);
  g_free (s->app_name);
  g_free (s);
}

const char *
weft_session_get_application_id (WeftSession *s)
{
  return s->ops->application_id (s->backend);
}

guint
weft_session_get_parallelism (WeftSession *s)
{
  return s->parallelism;
}

const char *
weft_session_get_conf (WeftSession *s, const char *key)
{
  return g_hash_table_lookup (s->conf, key);
}

gsize
weft_session_get_task_memory (WeftSession *s)
{
  return weft_exec_get_task_memory (s->exec);
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

/* The split size for @files: Spark's FilePartition.maxSplitBytes (min of
 * spark.sql.files.maxPartitionBytes and the bytes per slot, but not under 4 MiB, Spark's
 * openCostInBytes), then, when that gives more than one split, their count is rounded up to a
 * multiple of the slots so the last wave of tasks is not half empty (569 MB on 2 slots: 6 splits
 * of 95 MB, 3 per slot, rather than 5 of 128 MB, 3 on one slot and 2 on the other). */
static gint64
split_size (WeftSession *s, const GPtrArray *files)
{
  const gint64 open_cost = 4 * 1024 * 1024;
  gint64 total = 0;
  for (guint i = 0; i < files->len; i++)
    {
      GStatBuf st;
      if (g_stat (files->pdata[i], &st) == 0)
        total += st.st_size;
    }
  gint64 slots = s->parallelism;
  gint64 base = MIN (s->split_bytes, MAX (open_cost, total / slots));
  gint64 n = total > 0 ? (total + base - 1) / base : 1;
  if (n <= 1)
    return base;
  n = (n + slots - 1) / slots * slots;
  return (total + n - 1) / n;
}

WeftDataFrame *
weft_read_csv (WeftSession *s, const char *path, const char *const *options, GError **error)
{
  g_autoptr(WeftCsvOptions) opts = weft_csv_options_new ();
  g_autoptr(WeftSchema) user_schema = NULL;
  for (guint i = 0; options && options[i]; i += 2)
    {
      if (options[i + 1] == NULL)
        {
          g_set_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION,
                       "option \"%s\" has no value: options come in name, value pairs", options[i]);
          return NULL;
        }
      if (g_ascii_strcasecmp (options[i], "schema") == 0)
        {
          /* DataFrameReader.schema(ddl): no inference, these columns. */
          g_clear_pointer (&user_schema, weft_schema_unref);
          user_schema = weft_schema_parse_ddl (options[i + 1], error);
          if (user_schema == NULL)
            return NULL;
        }
      else if (!weft_csv_options_set (opts, options[i], options[i + 1], error))
        return NULL;
    }
  g_autoptr(GPtrArray) files = weft_csv_list_files (path, error);
  if (files == NULL)
    return NULL;
  opts->split_bytes = split_size (s, files);
  g_ptr_array_add (files, NULL);
  g_autoptr(WeftSchema) schema = g_steal_pointer (&user_schema);
  if (schema == NULL)
    {
      /* Schema inference reads every split: a job of its own on the session's backend, as in
       * Spark. */
      g_autoptr(WeftCsvInference) inference =
        weft_csv_inference_new ((const char *const *) files->pdata, files->len - 1, opts, error);
      if (inference == NULL
          || !weft_exec_infer_csv (s->exec, inference, (const char *const *) files->pdata,
                                   error))
        return NULL;
      schema = weft_csv_inference_finish (inference);
    }
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
weft_df_repartition_by (WeftDataFrame *df, guint n, WeftExpr *const *keys, guint n_keys,
                        GError **error)
{
  return df_new (df->session, weft_plan_repartition_by (df->plan, n, keys, n_keys, error));
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

/* Remembers a failed job: a session closed after one reports the application failed, with the
 * job's error, as Spark's AM does when the driver's job threw (cluster deploy mode). */
static gboolean
job_ended (WeftSession *s, gboolean ok, GError **error)
{
  if (!ok && error && *error)
    {
      g_free (s->failure);
      s->failure = g_strdup ((*error)->message);
    }
  return ok;
}

static gboolean
run (WeftDataFrame *df, WeftPlan *plan, void (*on_start) (guint, gpointer), WeftExecSink sink,
     gpointer data, GError **error)
{
  g_autoptr(WeftPlan) optimized = weft_optimize (plan, error);
  if (optimized == NULL)
    return FALSE;
  return job_ended (df->session,
                    weft_exec_run (df->session->exec, optimized, on_start, sink, data, error),
                    error);
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
  /* Only the row count is needed: a projection of no columns lets the optimizer prune every
   * column the filters below do not read, so the scan converts only those. */
  g_autoptr(WeftPlan) rows = weft_plan_project (df->plan, NULL, 0, error);
  if (rows == NULL)
    return -1;
  gsize n = 0;
  if (!run (df, rows, NULL, count_sink, &n, error))
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
  g_autoptr(WeftPlan) optimized = weft_optimize (df->plan, error);
  /* Each task writes its partition's part file and is committed as it succeeds. */
  gboolean ok = optimized && job_ended (df->session,
                                        weft_exec_write_csv (df->session->exec, optimized, job,
                                                             opts, error),
                                        error);
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
  g_autofree char *physical = weft_physical_plan_to_string (
    optimized, weft_exec_get_shuffle_partitions (df->session->exec));
  /* Spark's sections, a blank line between them. */
  return g_strdup_printf ("%s%s%s== Optimized Logical Plan ==\n%s\n== Physical Plan ==\n%s",
                          extended ? "== Analyzed Logical Plan ==\n" : "",
                          extended ? logical : "", extended ? "\n" : "", opt, physical);
}
