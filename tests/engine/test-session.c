/* Sessions: the builder, arguments and config files, the keys the engine
 * reads (master, executor memory, shuffle partitions, CSV split size), and
 * the backend table: a backend registered from outside runs a whole job
 * with no change to the planner, and one built for another ABI is refused. */
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "weft-fs.h"
#include "weft-shuffle.h"
#include "weft-task.h"
#include "weft/weft-backend.h"
#include "weft/weft.h"

static char *tmpdir;
static char *csv_path;
#define ROWS 1000

static void
write_data (void)
{
  g_autoptr(GString) s = g_string_new ("k,v\n");
  for (int i = 0; i < ROWS; i++)
    g_string_append_printf (s, "%d,%d\n", i % 7, i);
  csv_path = g_build_filename (tmpdir, "data.csv", NULL);
  g_assert_true (g_file_set_contents (csv_path, s->str, (gssize) s->len, NULL));
}

static WeftDataFrame *
read_data (WeftSession *s)
{
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(GError) error = NULL;
  WeftDataFrame *df = weft_read_csv (s, csv_path, opts, &error);
  g_assert_no_error (error);
  return df;
}

/* The part files of a write: one per partition. */
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
test_builder (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
  weft_session_builder_config (weft_session_builder_app_name (weft_session_builder_master (b, "local[3]"),
                                                              "app"),
                               "spark.custom.key", "kept");
  g_autoptr(WeftSession) s = weft_session_builder_get_or_create (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (weft_session_get_parallelism (s), ==, 3);
  g_assert_cmpstr (weft_session_get_conf (s, "spark.app.name"), ==, "app");
  g_assert_cmpstr (weft_session_get_conf (s, "spark.custom.key"), ==, "kept");
  /* Default executor memory 1g shared by 3 slots. */
  g_assert_cmpuint (weft_session_get_task_memory (s), ==, ((gsize) 1 << 30) / 3);
  /* The builder goes on independently of the session it made. */
  weft_session_builder_master (b, "local[1]");
  g_assert_cmpstr (weft_session_get_conf (s, "spark.master"), ==, "local[3]");
  g_autoptr(WeftSession) s1 = weft_session_builder_get_or_create (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (weft_session_get_parallelism (s1), ==, 1);
}

static void
test_args (void)
{
  g_autoptr(GError) error = NULL;
  char *orig[] = { "prog", "input.csv", "--master", "local[2]", "--conf", "spark.executor.memory=64m",
                   "--name=argsapp", "--conf=spark.sql.shuffle.partitions=5", "out", NULL };
  int argc = 9;
  char **argv = g_new0 (char *, 10);
  memcpy (argv, orig, sizeof orig);
  g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
  g_assert_true (weft_session_builder_parse_args (b, &argc, &argv, &error));
  g_assert_no_error (error);
  /* The program's own arguments stay, in order. */
  g_assert_cmpint (argc, ==, 3);
  g_assert_cmpstr (argv[1], ==, "input.csv");
  g_assert_cmpstr (argv[2], ==, "out");
  g_assert_null (argv[3]);
  g_free (argv);
  g_autoptr(WeftSession) s = weft_session_builder_get_or_create (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (weft_session_get_parallelism (s), ==, 2);
  g_assert_cmpstr (weft_session_get_conf (s, "spark.app.name"), ==, "argsapp");
  g_assert_cmpuint (weft_session_get_task_memory (s), ==, (gsize) 32 << 20);
  /* spark.sql.shuffle.partitions=5: a group-by's output has 5 partitions. */
  g_autoptr(WeftDataFrame) df = read_data (s);
  g_autoptr(WeftExpr) k = weft_expr_col ("k");
  g_autoptr(WeftDataFrame) g = weft_df_group_by_count (df, &k, 1, &error);
  g_assert_no_error (error);
  g_autofree char *out = g_build_filename (tmpdir, "shuffle5", NULL);
  g_assert_true (weft_df_write_csv (g, out, "overwrite", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_parts (out), ==, 5);
  g_assert_cmpint (weft_df_count (g, &error), ==, 7);

  /* A missing value and a --conf that is not KEY=VALUE are errors that say so. */
  char *bad1[] = { "prog", "--master", NULL };
  int argc1 = 2;
  char **argv1 = bad1;
  g_autoptr(WeftSessionBuilder) b1 = weft_session_builder_new ();
  g_assert_false (weft_session_builder_parse_args (b1, &argc1, &argv1, &error));
  g_assert_nonnull (strstr (error->message, "--master needs a value"));
  g_clear_error (&error);
  char *bad2[] = { "prog", "--conf", "novalue", NULL };
  int argc2 = 3;
  char **argv2 = bad2;
  g_assert_false (weft_session_builder_parse_args (b1, &argc2, &argv2, &error));
  g_assert_nonnull (strstr (error->message, "is not KEY=VALUE"));
}

static void
test_bad_values (void)
{
  struct { const char *key, *value, *expect; } cases[] = {
    { "spark.master", "local[0]", "is not local" },
    { "spark.master", "local[two]", "is not local" },
    { "spark.master", "mesos://x", "no backend takes master \"mesos://x\"" },
    { "spark.executor.memory", "lots", "spark.executor.memory = \"lots\" is not a size" },
    { "spark.executor.memory", "-1g", "is not a size" },
    { "spark.sql.shuffle.partitions", "0", "spark.sql.shuffle.partitions = \"0\"" },
    { "spark.sql.files.maxPartitionBytes", "12q", "is not a size" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
      if (!g_str_equal (cases[i].key, "spark.master"))
        weft_session_builder_master (b, "local[1]");
      weft_session_builder_config (b, cases[i].key, cases[i].value);
      g_autoptr(WeftSession) s = weft_session_builder_get_or_create (b, &error);
      g_assert_null (s);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].expect) == NULL)
        g_error ("case %u: \"%s\" does not contain \"%s\"", i, error->message, cases[i].expect);
    }
}

static void
test_properties_and_defaults_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conf_dir = g_build_filename (tmpdir, "conf", NULL);
  g_assert_cmpint (g_mkdir_with_parents (conf_dir, 0700), ==, 0);
  g_autofree char *defaults = g_build_filename (conf_dir, "weft-defaults.conf", NULL);
  g_assert_true (g_file_set_contents (defaults,
                                      "# spark-defaults.conf's format\n"
                                      "spark.master            local[2]\n"
                                      "spark.executor.memory   256m\n"
                                      "spark.app.name=fromfile\n", -1, NULL));
  g_autofree char *props = g_build_filename (tmpdir, "app.properties", NULL);
  g_assert_true (g_file_set_contents (props, "spark.executor.memory 96m\n", -1, NULL));
  g_setenv ("WEFT_CONF_DIR", conf_dir, TRUE);

  /* The defaults file is the lowest layer: the builder's app name wins, its master is used. */
  g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
  weft_session_builder_app_name (b, "mine");
  g_autoptr(WeftSession) s = weft_session_builder_get_or_create (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (weft_session_get_parallelism (s), ==, 2);
  g_assert_cmpstr (weft_session_get_conf (s, "spark.app.name"), ==, "mine");
  g_assert_cmpuint (weft_session_get_task_memory (s), ==, (gsize) 128 << 20);

  /* --properties-file beats the defaults file. */
  char *args[] = { "prog", "--properties-file", props, NULL };
  int argc = 3;
  char **argv = args;
  g_autoptr(WeftSessionBuilder) b2 = weft_session_builder_new ();
  g_assert_true (weft_session_builder_parse_args (b2, &argc, &argv, &error));
  g_autoptr(WeftSession) s2 = weft_session_builder_get_or_create (b2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (weft_session_get_task_memory (s2), ==, (gsize) 48 << 20);

  /* A line without a value names the file and line. */
  g_assert_true (g_file_set_contents (defaults, "spark.master local[1]\nspark.executor.memory\n", -1, NULL));
  g_autoptr(WeftSessionBuilder) b3 = weft_session_builder_new ();
  g_autoptr(WeftSession) s3 = weft_session_builder_get_or_create (b3, &error);
  g_assert_null (s3);
  g_assert_nonnull (strstr (error->message, "weft-defaults.conf:2:"));
  g_unsetenv ("WEFT_CONF_DIR");
}

static void
test_split_size (void)
{
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  g_assert_cmpint (g_stat (csv_path, &st), ==, 0);
  goffset size = st.st_size;
  const char *sizes[] = { "128m", "1k", "2048b" };
  const goffset bytes[] = { (goffset) 128 << 20, 1024, 2048 };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
      weft_session_builder_config (weft_session_builder_master (b, "local[2]"),
                                   "spark.sql.files.maxPartitionBytes", sizes[i]);
      g_autoptr(WeftSession) s = weft_session_builder_get_or_create (b, &error);
      g_assert_no_error (error);
      g_autoptr(WeftDataFrame) df = read_data (s);
      g_autofree char *out = g_strdup_printf ("%s/split-%u", tmpdir, i);
      g_assert_true (weft_df_write_csv (df, out, "overwrite", NULL, &error));
      g_assert_no_error (error);
      /* Ranges of at most the target size, their count rounded up to whole waves of 2 (a
       * small input is one split). */
      guint parts = count_parts (out);
      guint most = (guint) ((size + bytes[i] - 1) / bytes[i]);
      g_assert_cmpuint (parts, ==, most == 1 ? 1 : (most + 1) / 2 * 2);
      g_assert_cmpint (weft_df_count (df, &error), ==, ROWS);
    }
}

/* Every slot gets a split once the input is 4 MiB a slot, and the count is a multiple of the
 * slots (Spark's maxSplitBytes, then rounded to whole waves). */
static void
test_split_per_slot (void)
{
  g_autoptr(GString) text = g_string_new ("a,b\n");
  gint64 rows = 0;
  while (text->len < 9 * 1024 * 1024)
    {
      g_string_append_printf (text, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "\n", rows, rows * 7);
      rows++;
    }
  /* The last split alone holds values that widen the types: inference, split by split on the
   * backend, must still see them. */
  g_string_append (text, "x,1.5\n");
  rows++;
  g_autofree char *path = g_build_filename (tmpdir, "nine-mib.csv", NULL);
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
  struct { const char *master, *max; guint parts; } cases[] = {
    { "local[2]", "128m", 2 },   /* one split a slot */
    { "local[4]", "128m", 4 },   /* 3 splits of 4 MiB (the least Spark makes) become 4 */
    { "local[8]", "128m", 8 },
    { "local[2]", "2m", 6 },     /* 5 splits of 2 MiB rounded up to 3 waves of 2 */
    { "local[3]", "4m", 3 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSessionBuilder) b = weft_session_builder_new ();
      weft_session_builder_config (weft_session_builder_master (b, cases[i].master),
                                   "spark.sql.files.maxPartitionBytes", cases[i].max);
      g_autoptr(WeftSession) s = weft_session_builder_get_or_create (b, &error);
      g_assert_no_error (error);
      const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
      g_autoptr(WeftDataFrame) df = weft_read_csv (s, path, opts, &error);
      g_assert_no_error (error);
      WeftSchema *schema = weft_df_get_schema (df);
      g_assert_cmpint (weft_schema_get_field (schema, 0)->type, ==, WEFT_DATA_TYPE_STRING);
      g_assert_cmpint (weft_schema_get_field (schema, 1)->type, ==, WEFT_DATA_TYPE_DOUBLE);
      g_autofree char *out = g_strdup_printf ("%s/per-slot-%u", tmpdir, i);
      g_assert_true (weft_df_write_csv (df, out, "overwrite", NULL, &error));
      g_assert_no_error (error);
      if (count_parts (out) != cases[i].parts)
        g_error ("%s, maxPartitionBytes %s: %u parts, expected %u", cases[i].master, cases[i].max,
                 count_parts (out), cases[i].parts);
      g_assert_cmpint (weft_df_count (df, &error), ==, rows);
    }
}

/* DataFrameReader.schema(ddl): the given columns and types, no inference; values that do not
 * convert follow the mode. */
static void
test_read_csv_schema (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "typed.csv", NULL);
  g_assert_true (g_file_set_contents (path, "name,age,hired\nAl,30,2020-01-02\nBo,x,2021-02-03\n",
                                      -1, NULL));
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[2]", &error);
  const char *opts[] = { "header", "true", "schema", "who STRING, `years old` INT, hired DATE", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, path, opts, &error);
  g_assert_no_error (error);
  WeftSchema *schema = weft_df_get_schema (df);
  g_assert_cmpuint (weft_schema_get_n_fields (schema), ==, 3);
  g_assert_cmpstr (weft_schema_get_field (schema, 1)->name, ==, "years old");
  g_assert_cmpint (weft_schema_get_field (schema, 1)->type, ==, WEFT_DATA_TYPE_INT64);
  g_assert_cmpint (weft_schema_get_field (schema, 2)->type, ==, WEFT_DATA_TYPE_DATE);
  g_autoptr(WeftBatch) rows = weft_df_collect (df, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->n_rows, ==, 2);
  g_assert_cmpint (rows->columns[1]->values.i64[0], ==, 30);
  g_assert_cmpuint (rows->columns[1]->null_count, ==, 1);    /* PERMISSIVE: "x" is null */
  g_assert_cmpint (rows->columns[2]->values.date[1], ==, 18661);  /* 2021-02-03 */

  /* FAILFAST names the file and line of the value that does not convert. */
  const char *strict[] = { "header", "true", "mode", "FAILFAST", "schema", "n STRING, a INT, h DATE",
                           NULL };
  g_autoptr(WeftDataFrame) df2 = weft_read_csv (s, path, strict, &error);
  g_assert_no_error (error);
  g_autoptr(WeftBatch) none = weft_df_collect (df2, &error);
  g_assert_null (none);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "typed.csv:3"));
  g_clear_error (&error);

  /* A bad schema is an error naming the field. */
  const char *bad[] = { "schema", "a INT, b INTEGRAL", NULL };
  g_assert_null (weft_read_csv (s, path, bad, &error));
  g_assert_nonnull (strstr (error->message, "field 2 (\"b INTEGRAL\")"));
  g_clear_error (&error);
  const char *twice[] = { "schema", "a INT, A STRING", NULL };
  g_assert_null (weft_read_csv (s, path, twice, &error));
  g_assert_nonnull (strstr (error->message, "appears twice"));
}

/* ---- a backend from outside libweft: runs every task in the calling thread, counting them. */
static gint tasks_run;
static gint stages_run;

static gboolean
serial_accepts (const char *master)
{
  return g_str_has_prefix (master, "serial://");
}

/* A backend of the test's own: one slot, each task run at once in the caller's thread, as an
 * executor would (weft_task_run), its map outputs under the test's folder. */
typedef struct {
  GAsyncQueue *outcomes;
  char *dir;
  GHashTable *stages;
} Serial;

static gpointer
serial_open (const char *master, const char *const *conf, GAsyncQueue *outcomes, GError **error)
{
  (void) error;
  guint n = 0;
  for (guint i = 0; conf && conf[i]; i += 2)
    if (g_str_equal (conf[i], "spark.master"))
      n += g_str_equal (conf[i + 1], master);
  g_assert_cmpuint (n, ==, 1);    /* the session's configuration reaches the backend */
  Serial *s = g_new0 (Serial, 1);
  s->outcomes = g_async_queue_ref (outcomes);
  s->dir = g_build_filename (tmpdir, "serial-shuffle", NULL);
  s->stages = g_hash_table_new (NULL, NULL);
  return s;
}

static guint
serial_slots (gpointer backend)
{
  (void) backend;
  return 4;
}

static void
serial_launch (gpointer backend, WeftTask *task)
{
  Serial *s = backend;
  g_hash_table_add (s->stages, GUINT_TO_POINTER (task->stage_id + 1));
  g_atomic_int_set (&stages_run, (gint) g_hash_table_size (s->stages));
  g_atomic_int_inc (&tasks_run);
  WeftTaskEnv env = { .executor_id = "serial", .shuffle_dir = s->dir,
                      .block_size = WEFT_SHUFFLE_DEFAULT_BLOCK_SIZE, .fetch_retries = 1 };
  g_async_queue_push (s->outcomes, weft_task_run (task, &env));
}

static void
serial_close (gpointer backend, gboolean succeeded, const char *diagnostics)
{
  Serial *s = backend;
  g_async_queue_unref (s->outcomes);
  g_hash_table_unref (s->stages);
  g_free (s->dir);
  g_free (s);
}

static const char *
serial_application_id (gpointer backend)
{
  return "serial-app";
}

static const WeftBackendOps serial_ops = {
  WEFT_BACKEND_ABI_VERSION, "serial://", serial_accepts, serial_open, serial_slots,
  serial_launch, NULL, serial_application_id, serial_close,
};

static void
test_backend_table (void)
{
  g_autoptr(GError) error = NULL;
  /* Built for another ABI: refused, naming both versions. */
  WeftBackendOps old = serial_ops;
  old.abi_version = WEFT_BACKEND_ABI_VERSION + 1;
  g_assert_false (weft_backend_register (&old, &error));
  g_assert_nonnull (strstr (error->message, "ABI"));
  g_clear_error (&error);
  WeftBackendOps partial = serial_ops;
  partial.launch = NULL;
  g_assert_false (weft_backend_register (&partial, &error));
  g_clear_error (&error);

  g_assert_true (weft_backend_register (&serial_ops, &error));
  g_assert_no_error (error);
  g_autoptr(WeftSession) s = weft_session_new ("t", "serial://here", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (weft_session_get_parallelism (s), ==, 4);
  g_autoptr(WeftDataFrame) df = read_data (s);
  g_autoptr(WeftExpr) k = weft_expr_col ("k");
  g_autoptr(WeftDataFrame) g = weft_df_group_by_count (df, &k, 1, &error);
  g_assert_no_error (error);
  g_autoptr(WeftBatch) rows = weft_df_collect (g, &error);
  g_assert_no_error (error);
  /* Seven keys; 1000 = 6 * 143 + 142 (keys 0..5 get 143 rows, key 6 gets 142). */
  g_assert_cmpuint (rows->n_rows, ==, 7);
  gint64 total = 0;
  const gint64 *counts = rows->columns[1]->values.i64;
  for (guint i = 0; i < 7; i++)
    total += counts[i];
  g_assert_cmpint (total, ==, ROWS);
  /* The job ran on the registered backend: a partial-aggregate (map) stage and the final stage. */
  g_assert_cmpint (g_atomic_int_get (&stages_run), >=, 2);
  g_assert_cmpint (g_atomic_int_get (&tasks_run), >=, 2);
  /* Local masters still go to the built-in backend. */
  g_autoptr(WeftSession) l = weft_session_new ("t", "local[2]", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (weft_session_get_parallelism (l), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("WEFT_MASTER");
  g_unsetenv ("WEFT_CONF_DIR");
  tmpdir = g_dir_make_tmp ("weft-test-session-XXXXXX", NULL);
  write_data ();
  g_test_add_func ("/engine/session/builder", test_builder);
  g_test_add_func ("/engine/session/args", test_args);
  g_test_add_func ("/engine/session/bad-values", test_bad_values);
  g_test_add_func ("/engine/session/properties-and-defaults-file", test_properties_and_defaults_file);
  g_test_add_func ("/engine/session/split-size", test_split_size);
  g_test_add_func ("/engine/session/split-per-slot", test_split_per_slot);
  g_test_add_func ("/engine/session/read-csv-schema", test_read_csv_schema);
  g_test_add_func ("/engine/session/backend-table", test_backend_table);
  int rc = g_test_run ();
  weft_fs_remove_tree (tmpdir, NULL);
  g_free (tmpdir);
  g_free (csv_path);
  return rc;
}
