/* The DAG scheduler (weft-exec) under faults, through a backend of the test's own that runs each
 * task with weft_task_run() as an executor does and can break things on the way: a corrupted
 * shuffle block is caught by its checksum and the map output recomputed (never read as data);
 * a task that fails is retried and the job still gives the right answer; one that always fails
 * fails the job after spark.task.maxFailures attempts with Spark's message; a lost executor's
 * map outputs are recomputed; a failed write leaves no output. */
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "weft-shuffle.h"
#include "weft-task.h"
#include "weft/weft-backend.h"
#include "weft/weft.h"

static char *tmpdir;
static char *csv_path;
#define ROWS 20000
#define KEYS 13

/* What the faulty backend does to the tasks it runs. */
typedef struct {
  gint corrupt_map_outputs;    /* flip a byte in this many committed map outputs */
  gint fail_result_tasks;      /* fail this many result-stage task attempts */
  gboolean fail_always;        /* fail every attempt of result partition 0 */
  gint lose_map_outputs;       /* delete this many map outputs after their task succeeded, and
                                * report the executor lost (a task id 0 outcome) */
  gint map_tasks, result_tasks, fetch_failures;
  /* What the runner published into env->live: tasks whose final live values equal their
   * outcome's metrics, and map tasks among them whose live values showed rows read and
   * shuffle bytes written. */
  gint live_equal, live_map_with_rows;
} Faults;

static Faults faults;

typedef struct {
  GAsyncQueue *outcomes;
  char *dir;
} Faulty;

static gboolean
faulty_accepts (const char *master)
{
  return g_str_has_prefix (master, "faulty://");
}

static gpointer
faulty_open (const char *master, const char *const *conf, GAsyncQueue *outcomes, GError **error)
{
  Faulty *f = g_new0 (Faulty, 1);
  f->outcomes = g_async_queue_ref (outcomes);
  f->dir = g_build_filename (tmpdir, "faulty-shuffle", NULL);
  return f;
}

static guint
faulty_slots (gpointer backend)
{
  return 3;
}

/* Flips one byte in the middle of the first non-empty reduce partition's stored frames. */
static void
corrupt (const WeftMapOutput *mo)
{
  guint64 offset = 0;
  guint r = 0;
  while (r < mo->n_sizes && mo->sizes[r] == 0)
    offset += mo->sizes[r++];
  g_assert_cmpuint (r, <, mo->n_sizes);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (mo->data_path, &data, &len, NULL));
  guint64 at = offset + mo->sizes[r] / 2;
  g_assert_cmpuint (at, <, len);
  data[at] ^= 0x5a;
  g_assert_true (g_file_set_contents (mo->data_path, data, (gssize) len, NULL));
}

static void
faulty_launch (gpointer backend, WeftTask *task)
{
  Faulty *f = backend;
  WeftTaskMetrics live = { 0 };
  WeftTaskEnv env = { .executor_id = "exec-1", .host = "localhost", .shuffle_dir = f->dir,
                      .block_size = 4096, .fetch_retries = 1, .live = &live };
  gboolean map = task->kind == WEFT_TASK_SHUFFLE_MAP;
  if (map)
    faults.map_tasks++;
  else if (task->kind != WEFT_TASK_INFER_CSV)
    faults.result_tasks++;
  gboolean last = task->kind == WEFT_TASK_RESULT || task->kind == WEFT_TASK_WRITE_CSV;
  if (last && (faults.fail_result_tasks > 0 || (faults.fail_always && task->partition == 0)))
    {
      faults.fail_result_tasks--;
      WeftTaskOutcome *o = weft_task_outcome_new (task->task_id, WEFT_TASK_FAILED);
      o->executor_id = g_strdup ("exec-1");
      o->message = g_strdup ("injected failure");
      g_async_queue_push (f->outcomes, o);
      return;
    }
  WeftTaskOutcome *o = weft_task_run (task, &env);
  WeftTaskMetrics seen;
  weft_task_metrics_load (&live, &seen);
  if (task->kind != WEFT_TASK_INFER_CSV && memcmp (&seen, &o->metrics, sizeof seen) == 0)
    faults.live_equal++;
  if (map && seen.records_read > 0 && seen.shuffle_bytes_written > 0)
    faults.live_map_with_rows++;
  if (o->state == WEFT_TASK_FETCH_FAILED)
    faults.fetch_failures++;
  if (o->state == WEFT_TASK_SUCCEEDED && o->map_output)
    {
      if (faults.corrupt_map_outputs > 0)
        {
          faults.corrupt_map_outputs--;
          corrupt (o->map_output);
        }
      else if (faults.lose_map_outputs > 0)
        {
          faults.lose_map_outputs--;
          g_assert_cmpint (g_unlink (o->map_output->data_path), ==, 0);
          g_async_queue_push (f->outcomes, o);
          WeftTaskOutcome *lost = weft_task_outcome_new (0, WEFT_TASK_EXECUTOR_LOST);
          lost->executor_id = g_strdup ("exec-1");
          g_async_queue_push (f->outcomes, lost);
          return;
        }
    }
  g_async_queue_push (f->outcomes, o);
}

static void
faulty_close (gpointer backend, gboolean succeeded, const char *diagnostics)
{
  Faulty *f = backend;
  g_async_queue_unref (f->outcomes);
  g_free (f->dir);
  g_free (f);
}

static const char *
faulty_application_id (gpointer backend)
{
  return "faulty-app";
}

static const WeftBackendOps faulty_ops = {
  WEFT_BACKEND_ABI_VERSION, "faulty://", faulty_accepts, faulty_open, faulty_slots,
  faulty_launch, NULL, faulty_application_id, faulty_close,
};

static void
write_data (void)
{
  g_autoptr(GString) s = g_string_new ("k,v\n");
  for (int i = 0; i < ROWS; i++)
    g_string_append_printf (s, "%d,%d\n", i % KEYS, i);
  csv_path = g_build_filename (tmpdir, "data.csv", NULL);
  g_assert_true (g_file_set_contents (csv_path, s->str, (gssize) s->len, NULL));
}

/* sum(v) group by k over the data, with small splits so there are several map tasks. */
static WeftBatch *
sum_by_key (WeftSession *s, GError **error)
{
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, csv_path, opts, error);
  if (df == NULL)
    return NULL;
  g_autoptr(WeftExpr) k = weft_expr_col ("k");
  WeftPlanAggSpec agg = { WEFT_AGG_SUM, weft_expr_col ("v"), "total" };
  g_autoptr(WeftDataFrame) g = weft_df_group_by_agg (df, &k, 1, &agg, 1, error);
  weft_expr_unref (agg.input);
  if (g == NULL)
    return NULL;
  WeftPlanSortKey by = { k, FALSE, TRUE };
  g_autoptr(WeftDataFrame) sorted = weft_df_order_by (g, &by, 1, error);
  return sorted ? weft_df_collect (sorted, error) : NULL;
}

/* The answer, computed here: per key, the sum of i over i % KEYS == key. */
static void
check_sums (const WeftBatch *rows)
{
  g_assert_nonnull (rows);
  g_assert_cmpuint (rows->n_rows, ==, KEYS);
  for (guint key = 0; key < KEYS; key++)
    {
      gint64 want = 0;
      for (gint64 i = key; i < ROWS; i += KEYS)
        want += i;
      g_assert_cmpint (rows->columns[0]->values.i64[key], ==, key);
      g_assert_cmpint (rows->columns[1]->values.i64[key], ==, want);
    }
}

static WeftSession *
faulty_session (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
  weft_session_builder_master (b, "faulty://");
  /* 16 KiB splits (the CSV floor is 4 MiB unless the files are smaller: then per slot). */
  weft_session_builder_config (b, "spark.sql.shuffle.partitions", "4");
  WeftSession *s = weft_session_builder_get_or_create (b, &error);
  g_assert_no_error (error);
  return s;
}

static void
test_clean_run (void)
{
  memset (&faults, 0, sizeof faults);
  g_autoptr(WeftSession) s = faulty_session ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftBatch) rows = sum_by_key (s, &error);
  g_assert_no_error (error);
  check_sums (rows);
  g_assert_cmpint (faults.map_tasks, >=, 2);
  g_assert_cmpint (faults.fetch_failures, ==, 0);
  /* Every task published its counters into env->live, ending with the outcome's metrics. */
  g_assert_cmpint (faults.live_equal, ==, faults.map_tasks + faults.result_tasks);
  g_assert_cmpint (faults.live_map_with_rows, ==, faults.map_tasks);
}

static void
test_corrupt_block_recomputed (void)
{
  memset (&faults, 0, sizeof faults);
  g_autoptr(WeftSession) s = faulty_session ();
  g_autoptr(GError) error = NULL;
  /* A clean run counts the map tasks a job needs. */
  g_autoptr(WeftBatch) clean = sum_by_key (s, &error);
  g_assert_no_error (error);
  gint clean_maps = faults.map_tasks;

  memset (&faults, 0, sizeof faults);
  faults.corrupt_map_outputs = 1;
  g_autoptr(WeftBatch) rows = sum_by_key (s, &error);
  g_assert_no_error (error);
  /* The damaged block was caught (one fetch failure: only one reduce partition was damaged),
   * the map task that wrote it ran again, then the task that could not read it (itself a map
   * task of the sort's exchange), and the answer is the right one: no row of the damaged block
   * was used. */
  g_assert_cmpint (faults.fetch_failures, ==, 1);
  g_assert_cmpint (faults.map_tasks, ==, clean_maps + 2);
  check_sums (rows);
}

static void
test_lost_output_recomputed (void)
{
  memset (&faults, 0, sizeof faults);
  faults.lose_map_outputs = 1;
  g_autoptr(WeftSession) s = faulty_session ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftBatch) rows = sum_by_key (s, &error);
  g_assert_no_error (error);
  check_sums (rows);
}

static void
test_task_retried (void)
{
  memset (&faults, 0, sizeof faults);
  faults.fail_result_tasks = 3;
  g_autoptr(WeftSession) s = faulty_session ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftBatch) rows = sum_by_key (s, &error);
  g_assert_no_error (error);
  check_sums (rows);
}

static void
test_task_fails_job (void)
{
  memset (&faults, 0, sizeof faults);
  faults.fail_always = TRUE;
  g_autoptr(WeftSession) s = faulty_session ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftBatch) rows = sum_by_key (s, &error);
  g_assert_null (rows);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "failed 4 times"));
  g_assert_nonnull (strstr (error->message, "injected failure"));

  /* A write whose tasks keep failing leaves nothing behind. */
  memset (&faults, 0, sizeof faults);
  faults.fail_always = TRUE;
  g_clear_error (&error);
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, csv_path, opts, &error);
  g_assert_no_error (error);
  g_autofree char *out = g_build_filename (tmpdir, "never", NULL);
  g_assert_false (weft_df_write_csv (df, out, "error", NULL, &error));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("WEFT_MASTER");
  g_unsetenv ("WEFT_CONF_DIR");
  tmpdir = g_dir_make_tmp ("weft-test-exec-XXXXXX", NULL);
  write_data ();
  g_autoptr(GError) error = NULL;
  g_assert_true (weft_backend_register (&faulty_ops, &error));
  g_test_add_func ("/engine/exec/clean-run", test_clean_run);
  g_test_add_func ("/engine/exec/corrupt-block-recomputed", test_corrupt_block_recomputed);
  g_test_add_func ("/engine/exec/lost-output-recomputed", test_lost_output_recomputed);
  g_test_add_func ("/engine/exec/task-retried", test_task_retried);
  g_test_add_func ("/engine/exec/task-fails-job", test_task_fails_job);
  int status = g_test_run ();
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmpdir);
  (void) system (rm);
  return status;
}
