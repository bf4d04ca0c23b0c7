/* bench-engine: the Weft side of the engine benchmark (bench/engine.sh): runs one query on the
 * employees CSV and prints a short result, so that a wrong answer shows beside the peers' ones.
 *   Q1  count where salary > 50000                                 -> rows=N
 *   Q2  city, count(*) where age > 30 group by city                -> groups=G total=T
 *   Q3  department, sum(salary), avg(age) group by department      -> groups=G sum=S
 *   Q4  write rows with age > 30 as CSV (mode overwrite)           -> written=DIR
 *   S1  every row through one hash shuffle, then written: repartition(2 x slots, id),
 *       write_csv (bench/engine-cluster.sh: shuffle throughput)    -> written=DIR
 * Q4 writes to --out DIR (left for the caller to remove) or else to a temporary folder that is
 * removed before exit. The whole process is what the script times, start-up included.
 * Usage: bench-engine [--master MASTER] [--out DIR] Q1|Q2|Q3|Q4|S1 PATH */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <weft/weft.h>

static int
fail (const char *query, GError *error)
{
  g_printerr ("bench-engine %s: %s\n", query, error->message);
  return 1;
}

/* The output is a folder of part files and _SUCCESS; rm -rf without spawning anything. */
static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_remove (path);
}

/* Sum of an int64 column of @batch; the column is looked up by position. */
static gint64
sum_int64 (const WeftBatch *batch, guint col)
{
  const WeftColumn *c = batch->columns[col];
  gint64 total = 0;
  for (gsize i = 0; i < c->length; i++)
    total += c->values.i64[i];
  return total;
}

int
main (int argc, char **argv)
{
  g_autofree char *master = NULL;
  g_autofree char *out = NULL;
  GOptionEntry entries[] = {
    { "master", 0, 0, G_OPTION_ARG_STRING, &master,
      "local[N], weft, ... (default: weft-submit's, else local[1])", "MASTER" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Q4's output folder (default: a temporary one)", "DIR" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("Q1|Q2|Q3|Q4 PATH");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("bench-engine: %s\n", error->message);
      return 2;
    }
  if (argc != 3)
    {
      g_printerr ("usage: bench-engine [--master local[N]] [--out DIR] Q1|Q2|Q3|Q4 PATH\n");
      return 2;
    }
  const char *query = argv[1], *path = argv[2];

  /* Without --master: weft-submit's (WEFT_SUBMIT_PROPERTIES), else local[1]. */
  const char *fallback = g_getenv ("WEFT_SUBMIT_PROPERTIES") ? NULL : "local[1]";
  g_autoptr(WeftSession) spark = weft_session_new ("bench-engine", master ? master : fallback, &error);
  if (spark == NULL)
    return fail (query, error);
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (spark, path, opts, &error);
  if (df == NULL)
    return fail (query, error);

  if (strcmp (query, "Q1") == 0)
    {
      g_autoptr(WeftExpr) cond = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("salary"),
                                                   weft_expr_lit_int64 (50000));
      g_autoptr(WeftDataFrame) rich = weft_df_filter (df, cond, &error);
      gint64 n = rich ? weft_df_count (rich, &error) : -1;
      if (n < 0)
        return fail (query, error);
      printf ("rows=%" G_GINT64_FORMAT "\n", n);
    }
  else if (strcmp (query, "Q2") == 0)
    {
      g_autoptr(WeftExpr) cond = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("age"),
                                                   weft_expr_lit_int64 (30));
      g_autoptr(WeftExpr) city = weft_expr_col ("city");
      g_autoptr(WeftDataFrame) older = weft_df_filter (df, cond, &error);
      g_autoptr(WeftDataFrame) picked = older ? weft_df_select_cols (older, &error, "city", NULL) : NULL;
      g_autoptr(WeftDataFrame) grouped = picked ? weft_df_group_by_count (picked, &city, 1, &error) : NULL;
      g_autoptr(WeftBatch) rows = grouped ? weft_df_collect (grouped, &error) : NULL;
      if (rows == NULL)
        return fail (query, error);
      /* Columns: city, count. The total must equal the rows with age > 30. */
      printf ("groups=%" G_GSIZE_FORMAT " total=%" G_GINT64_FORMAT "\n", rows->n_rows,
              sum_int64 (rows, 1));
    }
  else if (strcmp (query, "Q3") == 0)
    {
      g_autoptr(WeftExpr) dept = weft_expr_col ("department");
      g_autoptr(WeftExpr) salary = weft_expr_col ("salary");
      g_autoptr(WeftExpr) age = weft_expr_col ("age");
      WeftPlanAggSpec aggs[] = {
        { WEFT_AGG_SUM, salary, NULL },
        { WEFT_AGG_AVG, age, NULL },
      };
      g_autoptr(WeftDataFrame) grouped = weft_df_group_by_agg (df, &dept, 1, aggs, G_N_ELEMENTS (aggs), &error);
      g_autoptr(WeftBatch) rows = grouped ? weft_df_collect (grouped, &error) : NULL;
      if (rows == NULL)
        return fail (query, error);
      /* Columns: department, sum(salary), avg(age). */
      printf ("groups=%" G_GSIZE_FORMAT " sum=%" G_GINT64_FORMAT "\n", rows->n_rows, sum_int64 (rows, 1));
    }
  else if (strcmp (query, "Q4") == 0 || strcmp (query, "S1") == 0)
    {
      g_autofree char *tmp = NULL;
      if (out == NULL)
        {
          tmp = g_dir_make_tmp ("bench-engine-XXXXXX", &error);
          if (tmp == NULL)
            return fail (query, error);
          out = g_build_filename (tmp, "out", NULL);
        }
      g_autoptr(WeftDataFrame) older = NULL;
      if (query[0] == 'Q')
        {
          g_autoptr(WeftExpr) cond = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("age"),
                                                       weft_expr_lit_int64 (30));
          older = weft_df_filter (df, cond, &error);
        }
      else
        {
          g_autoptr(WeftExpr) id = weft_expr_col ("id");
          older = weft_df_repartition_by (df, 2 * weft_session_get_parallelism (spark), &id, 1,
                                          &error);
        }
      gboolean ok = older && weft_df_write_csv (older, out, "overwrite", NULL, &error);
      g_autofree char *success = g_build_filename (out, "_SUCCESS", NULL);
      gboolean committed = ok && g_file_test (success, G_FILE_TEST_IS_REGULAR);
      if (tmp != NULL)
        remove_tree (tmp);
      if (!ok)
        return fail (query, error);
      if (!committed)
        {
          g_printerr ("bench-engine Q4: write_csv succeeded but %s is missing\n", success);
          return 1;
        }
      printf ("written=%s\n", tmp != NULL ? "ok" : out);
    }
  else
    {
      g_printerr ("bench-engine: unknown query '%s' (Q1, Q2, Q3, Q4 or S1)\n", query);
      return 2;
    }
  return 0;
}
