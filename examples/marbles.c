/* The seeds' marbles: bags counted in parallel, then summed per bag after a
 * shuffle (stage 1: partial sums per partition; stage 2: totals).
 *   df.groupBy("Bag_ID").agg(sum("Marble_Count").alias("Total_Marbles")).show()
 * Usage: marbles [MASTER] */
#include <string.h>

#include <weft/weft.h>

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) spark = weft_session_new ("Spark_Architecture_Demo",
                                                   argc > 1 ? argv[1] : NULL, &error);
  if (spark == NULL)
    {
      g_printerr ("marbles: %s\n", error->message);
      return 1;
    }
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
  g_autoptr(WeftDataFrame) df = weft_create_dataframe (spark, weft_batch_new (schema, cols, 6));
  g_autoptr(WeftExpr) bag = weft_expr_col ("Bag_ID");
  WeftPlanAggSpec total = { WEFT_AGG_SUM, weft_expr_col ("Marble_Count"), "Total_Marbles" };
  g_autoptr(WeftDataFrame) grouped = weft_df_group_by_agg (df, &bag, 1, &total, 1, &error);
  weft_expr_unref (total.input);
  /* Sorted by bag so the output is the same whatever the partitioning. */
  WeftPlanSortKey by_bag = { bag, FALSE, TRUE };
  g_autoptr(WeftDataFrame) sorted = grouped ? weft_df_order_by (grouped, &by_bag, 1, &error) : NULL;
  if (sorted == NULL || !weft_df_show (sorted, 20, 20, &error))
    {
      g_printerr ("marbles: %s\n", error->message);
      return 1;
    }
  return 0;
}
