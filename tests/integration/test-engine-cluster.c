/* The engine on a real local cluster (cluster-harness: an RM and two NMs on loopback, security
 * on): the examples give the same output on local[2] and on the cluster with two executors; the
 * test process is itself a driver in client deploy mode for the fault tests: kill -9 of an
 * executor while a shuffle job runs (ten times), kill -9 of an NM, an executor over its memory
 * quota (the container's reason reaches the driver's error), and dynamic allocation growing
 * and shrinking the executors. Every answer is checked against local[2] on the same data. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "cluster-harness.h"
#include "weft/weft.h"

#define ROWS 200000
#define KEYS 97

static char *data_dir;
static char *data_path;   /* a CSV of ROWS rows: k (KEYS values), v */
static char *employees_path; /* the seeds' employees: id,name,age,city,department,salary,hired */

static char *
builddir_path (const char *rel)
{
  const char *top = g_getenv ("WEFT_TOP_BUILDDIR");
  return g_build_filename (top ? top : ".", rel, NULL);
}

static void
write_data (void)
{
  g_autoptr(GString) s = g_string_new ("k,v,name\n");
  for (int i = 0; i < ROWS; i++)
    g_string_append_printf (s, "%d,%d,n%d\n", (i * 7919) % KEYS, i, i % 1000);
  data_path = g_build_filename (data_dir, "data.csv", NULL);
  g_assert_true (g_file_set_contents (data_path, s->str, (gssize) s->len, NULL));
  g_autoptr(GString) e = g_string_new ("id,name,age,city,department,salary,hired\n");
  for (int i = 0; i < 50000; i++)
    g_string_append_printf (e, "%d,name%d,%d,city%d,dept%d,%d,20%02d-%02d-%02d\n", i, i * 31 % 9973,
                            18 + (i * 13) % 50, (i * 17) % 300, i % 20, 20000 + (i * 7777) % 180000,
                            i % 25, 1 + i % 12, 1 + i % 28);
  employees_path = g_build_filename (data_dir, "employees.csv", NULL);
  g_assert_true (g_file_set_contents (employees_path, e->str, (gssize) e->len, NULL));
}

/* A session on @c in client mode (the test is the driver), with @extra "key", "value" pairs. */
static WeftSession *
cluster_session (Cluster *c, const char *const *extra, GError **error)
{
  g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
  g_autofree char *master = g_strdup_printf ("weft://127.0.0.1:%u", c->client_port);
  g_autofree char *sched = g_strdup_printf ("127.0.0.1:%u", c->scheduler_port);
  g_autofree char *exec = builddir_path ("engine/executor/weft-executor");
  weft_session_builder_master (b, master);
  weft_session_builder_app_name (b, "engine-cluster-test");
  weft_session_builder_config (b, "spark.weft.rm.scheduler.address", sched);
  weft_session_builder_config (b, "spark.weft.executor.path", exec);
  weft_session_builder_config (b, "spark.executor.instances", "2");
  weft_session_builder_config (b, "spark.executor.memory", "256m");
  /* Small splits: a job has enough tasks to be caught running. */
  weft_session_builder_config (b, "spark.sql.files.maxPartitionBytes", "64k");
  weft_session_builder_config (b, "spark.network.timeout", "5s");
  for (guint i = 0; extra && extra[i]; i += 2)
    weft_session_builder_config (b, extra[i], extra[i + 1]);
  g_setenv ("WEFT_CONF_DIR", c->conf_dir, TRUE);
  return weft_session_builder_get_or_create (b, error);
}

/* sum(v), count(*) by k, ordered by k: a job with a shuffle (and a gather for the sort). */
static WeftBatch *
sums (WeftSession *s, GError **error)
{
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, data_path, opts, error);
  if (df == NULL)
    return NULL;
  g_autoptr(WeftExpr) k = weft_expr_col ("k");
  WeftPlanAggSpec aggs[] = { { WEFT_AGG_SUM, weft_expr_col ("v"), "total" },
                             { WEFT_AGG_COUNT_STAR, NULL, "n" } };
  g_autoptr(WeftDataFrame) g = weft_df_group_by_agg (df, &k, 1, aggs, 2, error);
  weft_expr_unref (aggs[0].input);
  if (g == NULL)
    return NULL;
  WeftPlanSortKey by = { k, FALSE, TRUE };
  g_autoptr(WeftDataFrame) sorted = weft_df_order_by (g, &by, 1, error);
  return sorted ? weft_df_collect (sorted, error) : NULL;
}

static WeftBatch *reference;   /* sums() on local[2] */

static void
check_sums (const WeftBatch *got)
{
  g_assert_nonnull (got);
  g_assert_cmpuint (got->n_rows, ==, reference->n_rows);
  g_assert_cmpuint (got->n_rows, ==, KEYS);
  for (guint c = 0; c < 3; c++)
    g_assert_cmpmem (got->columns[c]->values.i64, got->n_rows * sizeof (gint64),
                     reference->columns[c]->values.i64, reference->n_rows * sizeof (gint64));
}

/* The executors of application @app_id (their command line names it). */
static GArray *
executor_pids (const char *app_id)
{
  g_autofree char *needle = g_strdup_printf ("--app-id %s ", app_id);
  return cluster_pids_matching (needle);
}

static gboolean
pid_gone (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  /* A zombie (state Z) is gone too: it waits for PID 1 to reap it. */
  const char *close = strrchr (stat, ')');
  return close && close[1] == ' ' && close[2] == 'Z';
}

/* ---- the examples: the same output on local[2] and on the cluster ---- */

static char *
run_example (Cluster *c, const char *const *argv)
{
  g_autofree char *props = g_build_filename (c->dir, "example.properties", NULL);
  g_autofree char *exec = builddir_path ("engine/executor/weft-executor");
  g_autofree char *text = g_strdup_printf ("spark.weft.rm.scheduler.address 127.0.0.1:%u\n"
                                           "spark.weft.executor.path %s\n"
                                           "spark.executor.instances 2\n"
                                           "spark.executor.memory 256m\n",
                                           c->scheduler_port, exec);
  g_assert_true (g_file_set_contents (props, text, -1, NULL));
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "WEFT_CONF_DIR", c->conf_dir, TRUE);
  env = g_environ_setenv (env, "WEFT_SUBMIT_PROPERTIES", props, TRUE);
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
  return g_steal_pointer (&out);
}

static guint
count_parts (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  guint n = 0;
  const char *name;
  while ((name = g_dir_read_name (d)))
    n += g_str_has_prefix (name, "part-");
  return n;
}

static void
test_examples (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autofree char *master = g_strdup_printf ("weft://127.0.0.1:%u", c->client_port);
  g_autofree char *people = builddir_path ("examples/people");
  g_autofree char *marbles = builddir_path ("examples/marbles");
  g_autofree char *employees = builddir_path ("examples/employees");
  g_autofree char *write = builddir_path ("examples/write-csv");
  const char *progs[][2] = { { people, NULL }, { marbles, NULL } };
  for (guint i = 0; i < G_N_ELEMENTS (progs); i++)
    {
      const char *local_argv[] = { progs[i][0], "local[2]", NULL };
      const char *cluster_argv[] = { progs[i][0], master, NULL };
      g_autofree char *want = run_example (c, local_argv);
      g_autofree char *got = run_example (c, cluster_argv);
      g_assert_cmpstr (got, ==, want);
    }
  {
    const char *local_argv[] = { employees, employees_path, "local[2]", NULL };
    const char *cluster_argv[] = { employees, employees_path, master, NULL };
    g_autofree char *want = run_example (c, local_argv);
    g_autofree char *got = run_example (c, cluster_argv);
    g_assert_cmpstr (got, ==, want);
  }
  /* Parallel writes: one part file per partition, and coalesce(1) gives one. */
  g_autofree char *out = g_build_filename (c->dir, "out", NULL);
  g_autofree char *single = g_build_filename (c->dir, "single", NULL);
  const char *write_argv[] = { write, out, single, master, NULL };
  g_autofree char *printed = run_example (c, write_argv);
  g_assert_cmpuint (count_parts (out), ==, 2);
  g_assert_cmpuint (count_parts (single), ==, 1);
  g_autofree char *success = g_build_filename (out, "_SUCCESS", NULL);
  g_assert_true (g_file_test (success, G_FILE_TEST_EXISTS));
}

/* ---- cluster deploy mode: weft-submit runs the driver in the AM container ---- */

/* The stdout of the application's first container (its AM: the driver), from `weft app logs`. */
static char *
driver_stdout (Cluster *c, const char *app_id, char **logs)
{
  g_autofree char *weft = builddir_path ("rm/weft");
  g_autofree char *conf = g_strdup_printf ("rm.client-port=%u", c->client_port);
  const char *argv[] = { weft, "--conf-dir", c->conf_dir, "--conf", conf, "app", "logs", app_id,
                         NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  if (logs)
    *logs = g_strdup (out);
  /* The AM's container: container_<cluster>_<app>_01_000001. */
  g_autofree char *cid = g_strdup_printf ("Container: container%s_01_000001 ",
                                          app_id + strlen ("application"));
  const char *at = strstr (out, cid);
  g_assert_nonnull (at);
  const char *len = strstr (at, "LogType:stdout\nLogLength:");
  g_assert_nonnull (len);
  len += strlen ("LogType:stdout\nLogLength:");
  gsize n = (gsize) g_ascii_strtoull (len, NULL, 10);
  const char *body = strstr (len, "LogContents:\n");
  g_assert_nonnull (body);
  body += strlen ("LogContents:\n");
  return g_strndup (body, n);
}

/* Runs @argv through weft-submit --deploy-mode cluster; returns the driver's stdout. */
static char *
submit_cluster (Cluster *c, const char *const *argv, char **logs)
{
  g_autofree char *submit = builddir_path ("engine/submit/weft-submit");
  g_autofree char *exec = builddir_path ("engine/executor/weft-executor");
  g_autofree char *master = g_strdup_printf ("weft://127.0.0.1:%u", c->client_port);
  g_autofree char *exec_conf = g_strdup_printf ("spark.weft.executor.path=%s", exec);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *fixed[] = { submit, "--master", master, "--deploy-mode", "cluster",
                          "--num-executors", "2", "--executor-memory", "256m",
                          "--conf", exec_conf, "--conf", "spark.ui.showConsoleProgress=false" };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (args, (gpointer) fixed[i]);
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "WEFT_CONF_DIR", c->conf_dir, TRUE);
  env = g_environ_unsetenv (env, "WEFT_SUBMIT_PROPERTIES");
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **) args->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, NULL));
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("weft-submit %s failed: %s%s", argv[0], out, err);
  const char *id = strstr (err, "Submitted application ");
  g_assert_nonnull (id);
  id += strlen ("Submitted application ");
  g_autofree char *app = g_strndup (id, strcspn (id, " \n"));
  g_assert_nonnull (strstr (err, "final status SUCCEEDED"));
  return driver_stdout (c, app, logs);
}

/* How many containers' logs show a task of job @job (executors log "task N started: job J, "). */
static guint
containers_running_job (const char *logs, guint job)
{
  g_autofree char *needle = g_strdup_printf ("started: job %u, ", job);
  g_auto (GStrv) blocks = g_strsplit (logs, "Container: ", -1);
  guint n = 0;
  for (guint i = 0; blocks[i]; i++)
    n += strstr (blocks[i], needle) != NULL;
  return n;
}

static void
test_examples_cluster_mode (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autofree char *people = builddir_path ("examples/people");
  g_autofree char *marbles = builddir_path ("examples/marbles");
  g_autofree char *employees = builddir_path ("examples/employees");
  g_autofree char *write = builddir_path ("examples/write-csv");
  const char *progs[] = { people, marbles };
  for (guint i = 0; i < G_N_ELEMENTS (progs); i++)
    {
      const char *local_argv[] = { progs[i], "local[2]", NULL };
      const char *cluster_argv[] = { progs[i], NULL };
      g_autofree char *want = run_example (c, local_argv);
      g_autofree char *got = submit_cluster (c, cluster_argv, NULL);
      g_assert_cmpstr (got, ==, want);
    }
  const char *local_argv[] = { employees, employees_path, "local[2]", NULL };
  const char *cluster_argv[] = { employees, employees_path, NULL };
  g_autofree char *want = run_example (c, local_argv);
  g_autofree char *got = submit_cluster (c, cluster_argv, NULL);
  g_assert_cmpstr (got, ==, want);
  /* --files: the driver and every executor find the file in their folder, by a relative path
   * (the executors could not read it otherwise: their folders are not the driver's). */
  const char *files_argv[] = { "--files", employees_path, employees, "employees.csv", NULL };
  g_autofree char *shipped = submit_cluster (c, files_argv, NULL);
  g_auto (GStrv) parts = g_strsplit (want, employees_path, -1);
  g_autofree char *want_relative = g_strjoinv ("employees.csv", parts);
  g_assert_cmpstr (shipped, ==, want_relative);
  g_autofree char *out = g_build_filename (c->dir, "out-cluster", NULL);
  g_autofree char *single = g_build_filename (c->dir, "single-cluster", NULL);
  const char *write_argv[] = { write, out, single, NULL };
  g_autofree char *logs = NULL;
  g_autofree char *printed = submit_cluster (c, write_argv, &logs);
  g_assert_cmpuint (count_parts (out), ==, 2);
  g_assert_cmpuint (count_parts (single), ==, 1);
  /* The parallel write (job 0: two partitions) ran on both executors. */
  g_assert_cmpuint (containers_running_job (logs, 0), ==, 2);
}

/* ---- a tiny file: inference tasks of splits without a record ---- */

static void
test_tiny_file (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = cluster_session (c, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (c->dir, "tiny.csv", NULL);
  g_assert_true (g_file_set_contents (path, "a,b\n1,x\n2,\n3,z\n", -1, NULL));
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, path, opts, &error);
  g_assert_no_error (error);
  g_autoptr(WeftBatch) rows = weft_df_collect (df, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->n_rows, ==, 3);
  g_assert_cmpint (rows->columns[0]->type, ==, WEFT_DATA_TYPE_INT64);
  g_assert_cmpint (rows->columns[0]->values.i64[2], ==, 3);
}

/* ---- kill -9 of an executor while a shuffle job runs ---- */

typedef struct {
  char *app_id;
  guint delay_ms;
  GPid killed;
} Killer;

static gpointer
killer_thread (gpointer data)
{
  Killer *k = data;
  g_usleep (k->delay_ms * 1000);
  g_autoptr(GArray) pids = executor_pids (k->app_id);
  if (pids->len > 0)
    {
      k->killed = g_array_index (pids, GPid, 0);
      kill (k->killed, SIGKILL);
    }
  return NULL;
}

static void
test_kill_executor (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(GError) error = NULL;
  /* Ten executors die here; Spark's default limit (twice the executors) would end the
   * application, as it should for executors that keep dying on their own. */
  const char *extra[] = { "spark.executor.maxNumFailures", "40", NULL };
  g_autoptr(WeftSession) s = cluster_session (c, extra, &error);
  g_assert_no_error (error);
  const char *app = weft_session_get_application_id (s);
  g_assert_true (g_str_has_prefix (app, "application_"));
  /* A first job brings the executors up. */
  g_autoptr(WeftBatch) warm = sums (s, &error);
  g_assert_no_error (error);
  check_sums (warm);
  guint killed = 0;
  for (guint round = 0; round < 10; round++)
    {
      Killer k = { (char *) app, 20 + g_test_rand_int_range (0, 150), 0 };
      GThread *t = g_thread_new ("killer", killer_thread, &k);
      g_autoptr(WeftBatch) got = sums (s, &error);
      g_thread_join (t);
      g_assert_no_error (error);
      check_sums (got);
      if (k.killed)
        {
          killed++;
          gboolean gone = FALSE;
          for (guint i = 0; i < 100 && !gone; i++, g_usleep (50 * 1000))
            gone = pid_gone (k.killed);
          g_assert_true (gone);
        }
    }
  g_test_message ("%u executors killed during jobs", killed);
  g_assert_cmpuint (killed, >=, 5);
}

/* ---- an executor silent past the heartbeat timeout ---- */

static void
test_silent_executor (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(GError) error = NULL;
  const char *extra[] = { "spark.network.timeout", "2s", "spark.executor.heartbeatInterval", "200ms",
                          NULL };
  g_autoptr(WeftSession) s = cluster_session (c, extra, &error);
  g_assert_no_error (error);
  const char *app = weft_session_get_application_id (s);
  g_autoptr(WeftBatch) warm = sums (s, &error);
  g_assert_no_error (error);
  check_sums (warm);
  /* Stopped, an executor neither heartbeats nor answers: past the timeout it is dead, its
   * tasks run elsewhere, and its container is released (the NM ends the process). */
  g_autoptr(GArray) pids = executor_pids (app);
  g_assert_cmpuint (pids->len, ==, 2);
  GPid silent = g_array_index (pids, GPid, 0);
  g_assert_cmpint (kill (silent, SIGSTOP), ==, 0);
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(WeftBatch) got = sums (s, &error);
  g_assert_no_error (error);
  check_sums (got);
  g_test_message ("job with a silent executor: %.2f s",
                  (g_get_monotonic_time () - t0) / (double) G_USEC_PER_SEC);
  gboolean gone = FALSE;
  for (guint i = 0; i < 200 && !gone; i++, g_usleep (50 * 1000))
    gone = pid_gone (silent);
  if (!gone)
    kill (silent, SIGKILL);
  g_assert_true (gone);
}

/* ---- kill -9 of an NM ---- */

static void
test_kill_nm (void)
{
  const char *conf[] = { "rm.nm-expiry=2s", NULL };
  g_autoptr(Cluster) c = cluster_start (2, conf);
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = cluster_session (c, NULL, &error);
  g_assert_no_error (error);
  const char *app = weft_session_get_application_id (s);
  g_autoptr(WeftBatch) warm = sums (s, &error);
  g_assert_no_error (error);
  check_sums (warm);
  g_autoptr(GArray) before = executor_pids (app);
  cluster_kill_nm (c, 0, TRUE);
  /* Its executors may live on as orphans; the RM declares the node lost and the driver its
   * executors, and the job finishes on the other node. */
  g_autoptr(WeftBatch) got = sums (s, &error);
  g_assert_no_error (error);
  check_sums (got);
  g_autoptr(WeftBatch) again = sums (s, &error);
  g_assert_no_error (error);
  check_sums (again);
  g_clear_pointer (&s, weft_session_free);
  /* Orphaned executors stop once their driver is gone (spark.network.timeout): make sure. */
  for (guint i = 0; i < before->len; i++)
    kill (g_array_index (before, GPid, i), SIGKILL);
}

/* ---- an executor over its memory quota ---- */

static void
test_memory_quota (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(GError) error = NULL;
  /* 32 MiB + 64 MiB overhead: collecting every row in one task does not fit. */
  const char *extra[] = { "spark.executor.memory", "32m", "spark.task.maxFailures", "2", NULL };
  g_autoptr(WeftSession) s = cluster_session (c, extra, &error);
  g_assert_no_error (error);
  g_autoptr(GString) big = g_string_new ("a,b,c,d\n");
  for (int i = 0; i < 600000; i++)
    g_string_append_printf (big, "%d,text-%d-abcdefghijklmnopqrstuvwxyz,%d.5,more-%d\n", i, i, i, i);
  g_autofree char *path = g_build_filename (c->dir, "big.csv", NULL);
  g_assert_true (g_file_set_contents (path, big->str, (gssize) big->len, NULL));
  const char *opts[] = { "header", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, path, opts, &error);
  g_assert_no_error (error);
  g_autoptr(WeftDataFrame) one = weft_df_coalesce (df, 1);
  g_autoptr(WeftBatch) rows = weft_df_collect (one, &error);
  g_assert_null (rows);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "MEMORY_EXCEEDED"));
  g_assert_nonnull (strstr (error->message, "memory limit"));
  /* How far the task had got, from the executor's heartbeats (if one came before the kill). */
  g_test_message ("heartbeat metrics in the error: %s",
                  strstr (error->message, "records read") ? "yes" : "no");
}

/* ---- dynamic allocation ---- */

static void
test_dynamic_allocation (void)
{
  g_autoptr(Cluster) c = cluster_start (2, NULL);
  g_autoptr(GError) error = NULL;
  const char *extra[] = { "spark.dynamicAllocation.enabled", "true",
                          "spark.dynamicAllocation.minExecutors", "0",
                          "spark.dynamicAllocation.maxExecutors", "3",
                          "spark.dynamicAllocation.schedulerBacklogTimeout", "50ms",
                          "spark.dynamicAllocation.executorIdleTimeout", "1s", NULL };
  g_autoptr(WeftSession) s = cluster_session (c, extra, &error);
  g_assert_no_error (error);
  const char *app = weft_session_get_application_id (s);
  /* No executor before there is work. */
  g_usleep (300 * 1000);
  g_autoptr(GArray) none = executor_pids (app);
  g_assert_cmpuint (none->len, ==, 0);
  /* Waiting tasks bring executors up; the job is right. */
  g_autoptr(WeftBatch) got = sums (s, &error);
  g_assert_no_error (error);
  check_sums (got);
  g_autoptr(GArray) busy = executor_pids (app);
  g_assert_cmpuint (busy->len, >=, 1);
  g_assert_cmpuint (busy->len, <=, 3);
  /* Idle past the timeout, they are released: their processes end. */
  gboolean all_gone = FALSE;
  for (guint i = 0; i < 100 && !all_gone; i++)
    {
      g_usleep (100 * 1000);
      all_gone = TRUE;
      for (guint k = 0; k < busy->len; k++)
        all_gone = all_gone && pid_gone (g_array_index (busy, GPid, k));
    }
  g_assert_true (all_gone);
  /* And come back for the next job. */
  g_autoptr(WeftBatch) again = sums (s, &error);
  g_assert_no_error (error);
  check_sums (again);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("WEFT_MASTER");
  g_unsetenv ("WEFT_SUBMIT_PROPERTIES");
  data_dir = g_dir_make_tmp ("weft-test-engine-cluster-XXXXXX", NULL);
  write_data ();
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(WeftSession) l = weft_session_new ("reference", "local[2]", &error);
    g_assert_no_error (error);
    reference = sums (l, &error);
    g_assert_no_error (error);
  }
  g_test_add_func ("/engine/cluster/examples-match-local", test_examples);
  g_test_add_func ("/engine/cluster/examples-cluster-mode", test_examples_cluster_mode);
  g_test_add_func ("/engine/cluster/tiny-file", test_tiny_file);
  g_test_add_func ("/engine/cluster/kill-executor", test_kill_executor);
  g_test_add_func ("/engine/cluster/silent-executor", test_silent_executor);
  g_test_add_func ("/engine/cluster/kill-nm", test_kill_nm);
  g_test_add_func ("/engine/cluster/memory-quota", test_memory_quota);
  g_test_add_func ("/engine/cluster/dynamic-allocation", test_dynamic_allocation);
  int status = g_test_run ();
  weft_batch_free (reference);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", data_dir);
  (void) system (rm);
  return status;
}
