/* The seeds' first DataFrame: three people, shown as Spark shows them.
 *   data = [("Alice", 25), ("Bob", 30), ("Charlie", 35)]
 *   spark.createDataFrame(data, ["Name", "Age"]).show()
 * Usage: people [MASTER]   (default local[*]) */
#include <stdio.h>
#include <string.h>

#include <weft/weft.h>

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) spark = weft_session_new ("PySparkApp", argc > 1 ? argv[1] : NULL, &error);
  if (spark == NULL)
    {
      g_printerr ("people: %s\n", error->message);
      return 1;
    }
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
  g_autoptr(WeftDataFrame) df = weft_create_dataframe (spark, weft_batch_new (schema, cols, 3));
  if (!weft_df_show (df, 20, 20, &error))
    {
      g_printerr ("people: %s\n", error->message);
      return 1;
    }
  return 0;
}
