/* The seeds' parallel write: one part file per partition plus _SUCCESS,
 * then coalesce(1) for exactly one.
 *   df.write.mode("overwrite").csv(OUT)
 *   df.coalesce(1).write.mode("overwrite").csv(OUT_SINGLE, header=True)
 * Usage: write-csv OUT OUT_SINGLE [MASTER] */
#include <string.h>

#include <weft/weft.h>

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      g_printerr ("usage: write-csv OUT OUT_SINGLE [MASTER]\n");
      return 2;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(WeftSession) spark = weft_session_new ("write-csv", argc > 3 ? argv[3] : NULL, &error);
  if (spark == NULL)
    {
      g_printerr ("write-csv: %s\n", error->message);
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
  const char *header[] = { "header", "true", NULL };
  g_autoptr(WeftDataFrame) one = weft_df_coalesce (df, 1);
  if (!weft_df_write_csv (df, argv[1], "overwrite", NULL, &error)
      || !weft_df_write_csv (one, argv[2], "overwrite", header, &error))
    {
      g_printerr ("write-csv: %s\n", error->message);
      return 1;
    }
  return 0;
}
