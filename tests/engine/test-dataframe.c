/* The DataFrame API end to end on local[N]: the seeds' scenarios with
 * their exact output, parallel writes and their commit, and queries on
 * generated employees data checked against a reference computed here from
 * the same rows (independent of the engine), including nulls, empty and
 * one-row inputs and skewed keys, on local[1] and local[3]. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "weft-fs.h"
#include "weft/weft.h"

static char *tmpdir;

static WeftDataFrame *
people (WeftSession *s)
{
  const char *names[] = { "Alice", "Bob", "Charlie" };
  const gint64 ages[] = { 25, 30, 35 };
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, "Name", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (schema, "Age", WEFT_DATA_TYPE_INT64, TRUE);
  WeftColumn *cols[2] = { weft_column_new (WEFT_DATA_TYPE_STRING, 3),
                          weft_column_new (WEFT_DATA_TYPE_INT64, 3) };
  for (int i = 0; i < 3; i++)
    {
      weft_column_append_string (cols[0], names[i], strlen (names[i]));
      weft_column_append_int64 (cols[1], ages[i]);
    }
  return weft_create_dataframe (s, weft_batch_new (schema, cols, 3));
}

static void
test_people_show (void)
{
  const char *masters[] = { "local[1]", "local[2]", "local[3]" };
  for (guint m = 0; m < G_N_ELEMENTS (masters); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WeftSession) s = weft_session_new ("t", masters[m], &error);
      g_autoptr(WeftDataFrame) df = people (s);
      g_autofree char *out = weft_df_show_string (df, 20, 20, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==,
                       "+-------+---+\n"
                       "|   Name|Age|\n"
                       "+-------+---+\n"
                       "|  Alice| 25|\n"
                       "|    Bob| 30|\n"
                       "|Charlie| 35|\n"
                       "+-------+---+\n");
      /* show(2): Spark's footer. */
      g_autofree char *two = weft_df_show_string (df, 2, 20, &error);
      g_assert_nonnull (strstr (two, "only showing top 2 rows"));
      g_assert_cmpint (weft_df_count (df, &error), ==, 3);
    }
}

static void
test_marbles (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[2]", &error);
  const char *bags[] = { "Bag_A", "Bag_A", "Bag_B", "Bag_B", "Bag_C", "Bag_C" };
  const gint64 counts[] = { 10, 20, 5, 5, 25, 25 };
  g_autoptr(WeftSchema) schema = weft_schema_new ();
  weft_schema_add_field (schema, "Bag_ID", WEFT_DATA_TYPE_STRING, TRUE);
  weft_schema_add_field (schema, "Marble_Count", WEFT_DATA_TYPE_INT64, TRUE);
  WeftColumn *cols[2] = { weft_column_new (WEFT_DATA_TYPE_STRING, 6),
                          weft_column_new (WEFT_DATA_TYPE_INT64, 6) };
  for (int i = 0; i < 6; i++)
    {
      weft_column_append_string (cols[0], bags[i], strlen (bags[i]));
      weft_column_append_int64 (cols[1], counts[i]);
    }
  g_autoptr(WeftDataFrame) df = weft_create_dataframe (s, weft_batch_new (schema, cols, 6));
  g_autoptr(WeftExpr) bag = weft_expr_col ("Bag_ID");
  WeftPlanAggSpec total = { WEFT_AGG_SUM, weft_expr_col ("Marble_Count"), "Total_Marbles" };
  g_autoptr(WeftDataFrame) g = weft_df_group_by_agg (df, &bag, 1, &total, 1, &error);
  weft_expr_unref (total.input);
  g_assert_no_error (error);
  WeftPlanSortKey k = { bag, FALSE, TRUE };
  g_autoptr(WeftDataFrame) sorted = weft_df_order_by (g, &k, 1, &error);
  g_autofree char *out = weft_df_show_string (sorted, 20, 20, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==,
                   "+------+-------------+\n"
                   "|Bag_ID|Total_Marbles|\n"
                   "+------+-------------+\n"
                   "| Bag_A|           30|\n"
                   "| Bag_B|           10|\n"
                   "| Bag_C|           50|\n"
                   "+------+-------------+\n");
}

static guint
count_parts (const char *dir, gboolean *success)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  *success = FALSE;
  const char *name;
  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      if (g_str_has_prefix (name, "part-") && g_str_has_suffix (name, ".csv"))
        n++;
      *success |= g_str_equal (name, "_SUCCESS");
    }
  return n;
}

static void
test_write_csv (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[3]", &error);
  g_autoptr(WeftDataFrame) df = people (s);
  g_autofree char *out = g_build_filename (tmpdir, "people", NULL);
  g_autofree char *single = g_build_filename (tmpdir, "people-single", NULL);
  g_assert_true (weft_df_write_csv (df, out, "overwrite", NULL, &error));
  g_assert_no_error (error);
  gboolean ok;
  /* One part file per partition (3 rows over 3 partitions), _SUCCESS last. */
  g_assert_cmpuint (count_parts (out, &ok), ==, 3);
  g_assert_true (ok);
  const char *hdr[] = { "header", "true", NULL };
  g_autoptr(WeftDataFrame) back = weft_read_csv (s, out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (weft_df_count (back, &error), ==, 3);

  g_autoptr(WeftDataFrame) one = weft_df_coalesce (df, 1);
  g_assert_true (weft_df_write_csv (one, single, "overwrite", hdr, &error));
  g_assert_cmpuint (count_parts (single, &ok), ==, 1);
  g_assert_true (ok);
  g_autoptr(WeftDataFrame) back1 = weft_read_csv (s, single, hdr, &error);
  g_autofree char *shown = weft_df_show_string (back1, 20, 20, &error);
  g_assert_nonnull (strstr (shown, "|Charlie| 35|"));

  /* Mode error on an existing folder: refused, nothing changed. */
  g_assert_false (weft_df_write_csv (df, single, "error", NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (count_parts (single, &ok), ==, 1);
  /* Mode ignore: nothing done. */
  g_assert_true (weft_df_write_csv (df, single, "ignore", NULL, &error));
  g_assert_cmpuint (count_parts (single, &ok), ==, 1);
}

static void
test_failed_job_leaves_nothing (void)
{
  /* A FAILFAST read of a malformed file fails the job while it writes. */
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[2]", &error);
  g_autofree char *in = g_build_filename (tmpdir, "bad.csv", NULL);
  GString *text = g_string_new ("a,b\n");
  for (int i = 0; i < 1000; i++)
    g_string_append_printf (text, "%d,%d\n", i, i);
  g_string_append (text, "1,2,3,4\n");
  g_assert_true (g_file_set_contents (in, text->str, -1, NULL));
  g_string_free (text, TRUE);
  const char *opts[] = { "header", "true", "mode", "FAILFAST", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, in, opts, &error);
  g_assert_no_error (error);
  g_autofree char *out = g_build_filename (tmpdir, "never", NULL);
  g_assert_false (weft_df_write_csv (df, out, "error", NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "bad.csv"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* ---- employees, against a reference computed here ---- */

typedef struct {
  gint64 total, rich, with_nulls;
  GHashTable *over30;   /* city -> count (as GINT_TO_POINTER) */
  GHashTable *sum_by_dept;
} Reference;

/* Writes @n rows; 1 in 50 has an empty age (null); city 0 gets 90 % of the rows. */
static void
write_employees (const char *path, guint n, Reference *ref)
{
  GString *s = g_string_new ("id,name,age,city,department,salary,hired\n");
  guint32 x = 12345;
  ref->over30 = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ref->sum_by_dept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < n; i++)
    {
      x = x * 1103515245u + 12345u;
      guint age = 20 + (x >> 16) % 45;
      x = x * 1103515245u + 12345u;
      guint city = ((x >> 16) % 10) < 9 ? 0 : 1 + (x >> 8) % 9;
      x = x * 1103515245u + 12345u;
      guint salary = 20000 + (x >> 12) % 100000;
      gboolean null_age = i % 50 == 7;
      char cityname[16], dept[16];
      g_snprintf (cityname, sizeof cityname, "city%u", city);
      g_snprintf (dept, sizeof dept, "dept%u", i % 4);
      if (null_age)
        g_string_append_printf (s, "%u,name%u,,%s,%s,%u,2020-01-15\n", i, i, cityname, dept, salary);
      else
        g_string_append_printf (s, "%u,name%u,%u,%s,%s,%u,2020-01-15\n", i, i, age, cityname, dept, salary);
      ref->total++;
      ref->rich += salary > 50000;
      ref->with_nulls += null_age;
      if (!null_age && age > 30)
        g_hash_table_insert (ref->over30, g_strdup (cityname),
                             GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (ref->over30, cityname)) + 1));
      gint64 *sum = g_hash_table_lookup (ref->sum_by_dept, dept);
      if (sum == NULL)
        {
          sum = g_new0 (gint64, 1);
          g_hash_table_insert (ref->sum_by_dept, g_strdup (dept), sum);
        }
      *sum += salary;
    }
  g_assert_true (g_file_set_contents (path, s->str, (gssize) s->len, NULL));
  g_string_free (s, TRUE);
}

static void
check_employees (const char *master, const char *path, const Reference *ref)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", master, &error);
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (s, path, opts, &error);
  g_assert_no_error (error);
  g_assert_cmpint (weft_df_count (df, &error), ==, ref->total);

  g_autoptr(WeftExpr) rich = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("salary"),
                                               weft_expr_lit_int64 (50000));
  g_autoptr(WeftDataFrame) r = weft_df_filter (df, rich, &error);
  g_assert_cmpint (weft_df_count (r, &error), ==, ref->rich);

  g_autoptr(WeftExpr) isnull = weft_expr_unary (WEFT_EXPR_OP_IS_NULL, weft_expr_col ("age"));
  g_autoptr(WeftDataFrame) nulls = weft_df_filter (df, isnull, &error);
  g_assert_cmpint (weft_df_count (nulls, &error), ==, ref->with_nulls);

  /* filter(age > 30).select(name, city).groupBy(city).count() */
  g_autoptr(WeftExpr) older = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("age"),
                                                weft_expr_lit_int64 (30));
  g_autoptr(WeftDataFrame) o = weft_df_filter (df, older, &error);
  g_autoptr(WeftDataFrame) sel = weft_df_select_cols (o, &error, "name", "city", NULL);
  g_autoptr(WeftExpr) city = weft_expr_col ("city");
  g_autoptr(WeftDataFrame) per_city = weft_df_group_by_count (sel, &city, 1, &error);
  g_assert_no_error (error);
  g_autoptr(WeftBatch) rows = weft_df_collect (per_city, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->n_rows, ==, g_hash_table_size (ref->over30));
  for (gsize i = 0; i < rows->n_rows; i++)
    {
      gsize len;
      const char *c = weft_column_get_string (rows->columns[0], i, &len);
      g_autofree char *name = g_strndup (c, len);
      g_assert_cmpint (rows->columns[1]->values.i64[i], ==,
                       GPOINTER_TO_INT (g_hash_table_lookup (ref->over30, name)));
    }
  /* The plan reads only what it needs, and filters while parsing. */
  g_autofree char *plan = weft_df_explain (per_city, FALSE, &error);
  g_assert_nonnull (strstr (plan, "PushedFilter: (age"));
  g_assert_nonnull (strstr (plan, "pruned: 1 of 7 columns"));
  /* And the physical plan: partial aggregate, hash exchange, final aggregate. */
  const char *phys = strstr (plan, "== Physical Plan ==\n");
  g_assert_nonnull (phys);
  g_assert_true (g_str_has_prefix (phys + strlen ("== Physical Plan ==\n"),
                                   "*(2) HashAggregate(keys=[city#0], functions=[count(1)])\n"
                                   "+- Exchange hashpartitioning(city#0, "));
  g_assert_nonnull (strstr (phys, "   +- *(1) HashAggregate(keys=[city#0], functions=[partial_count(1)])\n"));
  g_assert_nonnull (strstr (phys, "*(1) FileScan csv [city] "));
  g_assert_nonnull (strstr (phys, "PushedFilters: [(age#2 > 30)], ReadSchema: struct<city:string>"));

  /* department, sum(salary) ordered by department descending */
  g_autoptr(WeftExpr) dept = weft_expr_col ("department");
  WeftPlanAggSpec sum = { WEFT_AGG_SUM, weft_expr_col ("salary"), NULL };
  g_autoptr(WeftDataFrame) by_dept = weft_df_group_by_agg (df, &dept, 1, &sum, 1, &error);
  weft_expr_unref (sum.input);
  WeftPlanSortKey desc = { dept, TRUE, FALSE };
  g_autoptr(WeftDataFrame) sorted = weft_df_order_by (by_dept, &desc, 1, &error);
  g_autoptr(WeftBatch) d = weft_df_collect (sorted, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (d->n_rows, ==, 4);
  g_assert_cmpstr (weft_schema_get_field (d->schema, 1)->name, ==, "sum(salary)");
  for (gsize i = 0; i < d->n_rows; i++)
    {
      gsize len;
      const char *c = weft_column_get_string (d->columns[0], i, &len);
      g_autofree char *name = g_strndup (c, len);
      char want[8];
      g_snprintf (want, sizeof want, "dept%u", (guint) (3 - i));
      g_assert_cmpstr (name, ==, want);
      g_assert_cmpint (d->columns[1]->values.i64[i], ==, *(gint64 *) g_hash_table_lookup (ref->sum_by_dept, name));
    }
}

static void
test_employees (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "employees.csv", NULL);
  Reference ref = { 0 };
  write_employees (path, 20000, &ref);
  check_employees ("local[1]", path, &ref);
  check_employees ("local[3]", path, &ref);
  g_hash_table_unref (ref.over30);
  g_hash_table_unref (ref.sum_by_dept);
}

static void
test_empty_and_one (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[2]", &error);
  g_autofree char *empty = g_build_filename (tmpdir, "empty.csv", NULL);
  g_autofree char *one = g_build_filename (tmpdir, "one.csv", NULL);
  g_assert_true (g_file_set_contents (empty, "a,b\n", -1, NULL));
  g_assert_true (g_file_set_contents (one, "a,b\nx,1\n", -1, NULL));
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) e = weft_read_csv (s, empty, opts, &error);
  g_assert_no_error (error);
  g_assert_cmpint (weft_df_count (e, &error), ==, 0);
  g_autoptr(WeftExpr) a = weft_expr_col ("a");
  g_autoptr(WeftDataFrame) ge = weft_df_group_by_count (e, &a, 1, &error);
  g_autoptr(WeftBatch) rows = weft_df_collect (ge, &error);
  g_assert_cmpuint (rows->n_rows, ==, 0);
  g_autofree char *shown = weft_df_show_string (e, 20, 20, &error);
  g_assert_cmpstr (shown, ==, "+---+---+\n|  a|  b|\n+---+---+\n+---+---+\n");
  g_autoptr(WeftDataFrame) o = weft_read_csv (s, one, opts, &error);
  g_autoptr(WeftDataFrame) go = weft_df_group_by_count (o, &a, 1, &error);
  g_autoptr(WeftBatch) r1 = weft_df_collect (go, &error);
  g_assert_cmpuint (r1->n_rows, ==, 1);
  g_assert_cmpint (r1->columns[1]->values.i64[0], ==, 1);
}

static void
test_errors (void)
{
  g_autoptr(GError) error = NULL;
  /* A master no backend takes: the error lists those that would work. */
  g_assert_null (weft_session_new ("t", "spark://host:7077", &error));
  g_assert_nonnull (strstr (error->message, "local[N]"));
  g_assert_nonnull (strstr (error->message, "yarn"));
  g_clear_error (&error);
  g_autoptr(WeftSession) s = weft_session_new ("t", "local[1]", &error);
  g_autoptr(WeftDataFrame) df = people (s);
  g_autoptr(WeftExpr) bad = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("agee"),
                                              weft_expr_lit_int64 (1));
  g_assert_null (weft_df_filter (df, bad, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "agee"));
  g_assert_nonnull (strstr (error->message, "Age"));
  g_clear_error (&error);
  g_assert_null (weft_read_csv (s, "/nonexistent/weft.csv", NULL, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr(GError) error = NULL;
  tmpdir = g_dir_make_tmp ("weft-df-XXXXXX", &error);
  g_test_add_func ("/engine/dataframe/people-show", test_people_show);
  g_test_add_func ("/engine/dataframe/marbles-group-by", test_marbles);
  g_test_add_func ("/engine/dataframe/write-csv", test_write_csv);
  g_test_add_func ("/engine/dataframe/failed-job-leaves-nothing", test_failed_job_leaves_nothing);
  g_test_add_func ("/engine/dataframe/employees-vs-reference", test_employees);
  g_test_add_func ("/engine/dataframe/empty-and-one-row", test_empty_and_one);
  g_test_add_func ("/engine/dataframe/errors", test_errors);
  int rc = g_test_run ();
  weft_fs_remove_tree (tmpdir, NULL);
  g_free (tmpdir);
  return rc;
}
