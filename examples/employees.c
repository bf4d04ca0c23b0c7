/* The seeds' employees: read a CSV with a header, count the well paid, and
 * count people over 30 per city; explain shows the pruned scan and the
 * filter pushed into it, and the physical plan: a partial aggregate, the
 * hash exchange, the final aggregate.
 *   df = spark.read.csv(PATH, header=True, inferSchema=True)
 *   df.filter(df.salary > 50000).count()
 *   df.filter(df.age > 30).select("name", "city").groupBy("city").count()
 * Usage: employees PATH [MASTER] */
#include <stdio.h>

#include <weft/weft.h>

static int
fail (GError *error)
{
  g_printerr ("employees: %s\n", error->message);
  return 1;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      g_printerr ("usage: employees PATH [MASTER]\n");
      return 2;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) spark = weft_session_new ("EmployeeAnalysis", argc > 2 ? argv[2] : NULL, &error);
  if (spark == NULL)
    return fail (error);
  const char *opts[] = { "header", "true", "inferSchema", "true", NULL };
  g_autoptr(WeftDataFrame) df = weft_read_csv (spark, argv[1], opts, &error);
  if (df == NULL)
    return fail (error);

  g_autoptr(WeftExpr) rich = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("salary"),
                                               weft_expr_lit_int64 (50000));
  g_autoptr(WeftDataFrame) well_paid = weft_df_filter (df, rich, &error);
  if (well_paid == NULL)
    return fail (error);
  gint64 n = weft_df_count (well_paid, &error);
  if (n < 0)
    return fail (error);
  printf ("salary > 50000: %" G_GINT64_FORMAT "\n", n);

  g_autoptr(WeftExpr) older = weft_expr_binary (WEFT_EXPR_OP_GT, weft_expr_col ("age"),
                                                weft_expr_lit_int64 (30));
  g_autoptr(WeftDataFrame) over30 = weft_df_filter (df, older, &error);
  g_autoptr(WeftDataFrame) picked = over30 ? weft_df_select_cols (over30, &error, "name", "city", NULL) : NULL;
  g_autoptr(WeftExpr) city = weft_expr_col ("city");
  g_autoptr(WeftDataFrame) per_city = picked ? weft_df_group_by_count (picked, &city, 1, &error) : NULL;
  WeftPlanSortKey by_city = { city, FALSE, TRUE };
  g_autoptr(WeftDataFrame) sorted = per_city ? weft_df_order_by (per_city, &by_city, 1, &error) : NULL;
  if (sorted == NULL)
    return fail (error);
  g_autofree char *plan = weft_df_explain (per_city, TRUE, &error);
  if (plan == NULL)
    return fail (error);
  fputs (plan, stdout);
  if (!weft_df_show (sorted, 20, 20, &error))
    return fail (error);
  return 0;
}
