/* Tests for engine/weft-show: Spark's show() text byte for byte — the seeds' tables (people,
 * marbles), truncation and alignment, nulls, every type, empty results, the footer, display
 * widths of wide characters, escaped control characters and vertical mode. Expected strings are
 * what Spark 3 prints for the same data. */

#include "weft-parse.h"
#include "weft-show.h"

#include <string.h>

/* A batch from a spec "name:type,..." and rows given as strings ("\x01" marks a null), typed by
 * the schema. */
static WeftBatch *
batch_of (const char *spec, guint n_rows, const char *const *values)
{
  g_autoptr (WeftSchema) schema = weft_schema_new ();
  g_auto (GStrv) fields = g_strsplit (spec, ",", -1);
  guint n_cols = g_strv_length (fields);
  g_autofree WeftColumn **cols = g_new0 (WeftColumn *, n_cols + 1);

  for (guint c = 0; c < n_cols; c++)
    {
      g_auto (GStrv) nt = g_strsplit (fields[c], ":", 2);
      WeftDataType type;

      g_assert_true (weft_data_type_from_name (nt[1], &type));
      weft_schema_add_field (schema, nt[0], type, TRUE);
      cols[c] = weft_column_new (type, n_rows);
    }
  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++)
      {
        const char *v = values[r * n_cols + c];
        WeftColumn *col = cols[c];

        if (strcmp (v, "\x01") == 0)
          {
            weft_column_append_null (col);
            continue;
          }
        switch (col->type)
          {
          case WEFT_DATA_TYPE_INT64:
            weft_column_append_int64 (col, g_ascii_strtoll (v, NULL, 10));
            break;
          case WEFT_DATA_TYPE_DOUBLE:
            weft_column_append_double (col, g_ascii_strtod (v, NULL));
            break;
          case WEFT_DATA_TYPE_BOOL:
            weft_column_append_bool (col, strcmp (v, "true") == 0);
            break;
          case WEFT_DATA_TYPE_DATE:
            {
              WeftDateFormat format;
              gint32 days;

              g_assert_true (weft_date_format_init (&format, "yyyy-MM-dd", NULL));
              g_assert_true (weft_parse_date (&format, v, strlen (v), FALSE, &days));
              weft_column_append_date (col, days);
            }
            break;
          case WEFT_DATA_TYPE_STRING:
            weft_column_append_string (col, v, strlen (v));
            break;
          }
      }
  return weft_batch_new (schema, cols, n_rows);
}

static char *
show (const WeftBatch *batch, gint64 total, int n, int truncate, gboolean vertical)
{
  WeftBatch *batches[1] = { (WeftBatch *) batch };

  return weft_show_format (batch->schema, batches, 1, total, n, truncate, vertical);
}

static void
assert_show (const WeftBatch *batch, int n, int truncate, gboolean vertical, const char *expected)
{
  g_autofree char *got = show (batch, -1, n, truncate, vertical);

  g_assert_cmpstr (got, ==, expected);
}

/* Seed 000: spark.createDataFrame([("Alice", 25), ("Bob", 30), ("Charlie", 35)], ["Name", "Age"])
 * .show() */
static void
test_seed_people (void)
{
  const char *rows[] = { "Alice", "25", "Bob", "30", "Charlie", "35" };
  g_autoptr (WeftBatch) batch = batch_of ("Name:string,Age:bigint", 3, rows);

  assert_show (batch, 20, 20, FALSE,
               "+-------+---+\n"
               "|   Name|Age|\n"
               "+-------+---+\n"
               "|  Alice| 25|\n"
               "|    Bob| 30|\n"
               "|Charlie| 35|\n"
               "+-------+---+\n");
}

/* Seed 003: the marbles DataFrame and its group-by sum. */
static void
test_seed_marbles (void)
{
  const char *raw[] = { "Bag_A", "10", "Bag_A", "20", "Bag_B", "5",
                        "Bag_B", "5",  "Bag_C", "25", "Bag_C", "25" };
  const char *grouped[] = { "Bag_A", "30", "Bag_B", "10", "Bag_C", "50" };
  g_autoptr (WeftBatch) df = batch_of ("Bag_ID:string,Marble_Count:bigint", 6, raw);
  g_autoptr (WeftBatch) totals = batch_of ("Bag_ID:string,Total_Marbles:bigint", 3, grouped);

  assert_show (df, 20, 20, FALSE,
               "+------+------------+\n"
               "|Bag_ID|Marble_Count|\n"
               "+------+------------+\n"
               "| Bag_A|          10|\n"
               "| Bag_A|          20|\n"
               "| Bag_B|           5|\n"
               "| Bag_B|           5|\n"
               "| Bag_C|          25|\n"
               "| Bag_C|          25|\n"
               "+------+------------+\n");
  assert_show (totals, 20, 20, FALSE,
               "+------+-------------+\n"
               "|Bag_ID|Total_Marbles|\n"
               "+------+-------------+\n"
               "| Bag_A|           30|\n"
               "| Bag_B|           10|\n"
               "| Bag_C|           50|\n"
               "+------+-------------+\n");
}

static void
test_truncate (void)
{
  const char *rows[] = { "a short one", "1",
                         "exactly twenty chars", "2",
                         "twenty-one characters", "3",
                         "a much longer value that goes on and on", "4" };
  g_autoptr (WeftBatch) batch = batch_of ("text:string,n:bigint", 4, rows);

  /* Default: 20, so 17 characters and "...". */
  assert_show (batch, 20, 20, FALSE,
               "+--------------------+---+\n"
               "|                text|  n|\n"
               "+--------------------+---+\n"
               "|         a short one|  1|\n"
               "|exactly twenty chars|  2|\n"
               "|twenty-one charac...|  3|\n"
               "|a much longer val...|  4|\n"
               "+--------------------+---+\n");
  /* truncate = 0: whole cells, left-aligned. */
  assert_show (batch, 20, 0, FALSE,
               "+---------------------------------------+---+\n"
               "|text                                   |n  |\n"
               "+---------------------------------------+---+\n"
               "|a short one                            |1  |\n"
               "|exactly twenty chars                   |2  |\n"
               "|twenty-one characters                  |3  |\n"
               "|a much longer value that goes on and on|4  |\n"
               "+---------------------------------------+---+\n");
  /* Under 4 there is no room for "...": a plain cut. Names are never cut. */
  assert_show (batch, 2, 3, FALSE,
               "+----+---+\n"
               "|text|  n|\n"
               "+----+---+\n"
               "| a s|  1|\n"
               "| exa|  2|\n"
               "+----+---+\n"
               "only showing top 2 rows\n");
  assert_show (batch, 1, 5, FALSE,
               "+-----+---+\n"
               "| text|  n|\n"
               "+-----+---+\n"
               "|a ...|  1|\n"
               "+-----+---+\n"
               "only showing top 1 row\n");
}

static void
test_types_and_nulls (void)
{
  const char *rows[] = {
    "1",    "50000.0", "true",  "2024-02-29", "x",
    "\x01", "1e7",     "false", "1970-01-01", "\x01",
    "-42",  "1.5e-5",  "\x01",  "\x01",       "",
    "\x01", "\x01",    "\x01",  "0001-01-01", "null",
  };
  g_autoptr (WeftBatch) batch
    = batch_of ("i:bigint,d:double,b:boolean,day:date,s:string", 4, rows);

  assert_show (batch, 20, 20, FALSE,
               "+----+-------+-----+----------+----+\n"
               "|   i|      d|    b|       day|   s|\n"
               "+----+-------+-----+----------+----+\n"
               "|   1|50000.0| true|2024-02-29|   x|\n"
               "|null|  1.0E7|false|1970-01-01|null|\n"
               "| -42| 1.5E-5| null|      null|    |\n"
               "|null|   null| null|0001-01-01|null|\n"
               "+----+-------+-----+----------+----+\n");
}

static void
test_empty (void)
{
  g_autoptr (WeftBatch) batch = batch_of ("Name:string", 0, NULL);
  g_autoptr (WeftBatch) two = batch_of ("a:bigint,Name:string", 0, NULL);
  g_autofree char *no_batches = NULL;

  assert_show (batch, 20, 20, FALSE, "+----+\n|Name|\n+----+\n+----+\n");
  assert_show (two, 20, 0, FALSE, "+---+----+\n|a  |Name|\n+---+----+\n+---+----+\n");
  no_batches = weft_show_format (batch->schema, NULL, 0, 0, 20, 20, FALSE);
  g_assert_cmpstr (no_batches, ==, "+----+\n|Name|\n+----+\n+----+\n");
  assert_show (batch, 20, 20, TRUE, "(0 rows)\n");
}

static void
test_footer (void)
{
  const char *rows[] = { "a", "b", "c" };
  g_autoptr (WeftBatch) batch = batch_of ("x:string", 3, rows);
  g_autofree char *known = NULL;
  g_autofree char *exact = NULL;
  g_autofree char *zero = NULL;

  assert_show (batch, 2, 20, FALSE,
               "+---+\n|  x|\n+---+\n|  a|\n|  b|\n+---+\nonly showing top 2 rows\n");
  assert_show (batch, 3, 20, FALSE, "+---+\n|  x|\n+---+\n|  a|\n|  b|\n|  c|\n+---+\n");
  /* n = 0 still shows the header, and more rows exist. Negative is 0. */
  assert_show (batch, 0, 20, FALSE, "+---+\n|  x|\n+---+\n+---+\nonly showing top 0 rows\n");
  assert_show (batch, -5, 20, FALSE, "+---+\n|  x|\n+---+\n+---+\nonly showing top 0 rows\n");
  /* With a known total the batches need not hold the extra row. */
  known = show (batch, 1000, 3, 20, FALSE);
  g_assert_cmpstr (known, ==,
                   "+---+\n|  x|\n+---+\n|  a|\n|  b|\n|  c|\n+---+\nonly showing top 3 rows\n");
  exact = show (batch, 3, 3, 20, FALSE);
  g_assert_true (strstr (exact, "only showing") == NULL);
  zero = show (batch, 3, 1, 20, FALSE);
  g_assert_true (g_str_has_suffix (zero, "only showing top 1 row\n"));
}

/* Rows spread over several batches come out in order, and the count includes later batches. */
static void
test_many_batches (void)
{
  const char *r1[] = { "1", "2" };
  const char *r2[] = { "3" };
  const char *r3[] = { "4", "5" };
  g_autoptr (WeftBatch) b1 = batch_of ("v:bigint", 2, r1);
  g_autoptr (WeftBatch) b2 = batch_of ("v:bigint", 1, r2);
  g_autoptr (WeftBatch) b3 = batch_of ("v:bigint", 2, r3);
  WeftBatch *batches[] = { b1, b2, b3 };
  g_autofree char *four = weft_show_format (b1->schema, batches, 3, -1, 4, 20, FALSE);
  g_autofree char *five = weft_show_format (b1->schema, batches, 3, -1, 5, 20, FALSE);

  g_assert_cmpstr (four, ==,
                   "+---+\n|  v|\n+---+\n|  1|\n|  2|\n|  3|\n|  4|\n+---+\n"
                   "only showing top 4 rows\n");
  g_assert_true (g_str_has_suffix (five, "|  5|\n+---+\n"));
}

/* Spark's stringHalfWidth: CJK and full-width forms count 2, as does a surrogate pair. */
static void
test_wide_characters (void)
{
  const char *rows[] = { "日本語", "1", "ｶﾀｶﾅ", "2", "é", "3", "😀", "4" };
  g_autoptr (WeftBatch) batch = batch_of ("name:string,n:bigint", 4, rows);

  g_assert_cmpuint (weft_show_string_width ("日本語", strlen ("日本語")), ==, 6);
  g_assert_cmpuint (weft_show_string_width ("é", strlen ("é")), ==, 1);
  g_assert_cmpuint (weft_show_string_width ("😀", strlen ("😀")), ==, 2);
  /* Half-width katakana (U+FF76...) sit past U+FF60: width 1 each. */
  g_assert_cmpuint (weft_show_string_width ("ｶﾀｶﾅ", strlen ("ｶﾀｶﾅ")), ==, 4);
  g_assert_cmpuint (weft_show_string_width ("\xff\xfe", 2), ==, 2);
  assert_show (batch, 20, 20, FALSE,
               "+------+---+\n"
               "|  name|  n|\n"
               "+------+---+\n"
               "|日本語|  1|\n"
               "|  ｶﾀｶﾅ|  2|\n"
               "|     é|  3|\n"
               "|    😀|  4|\n"
               "+------+---+\n");
}

/* Truncation counts UTF-16 units, width counts display columns. */
static void
test_truncate_unicode (void)
{
  const char *rows[] = { "日本語のテキストはとても長いです" };
  g_autoptr (WeftBatch) batch = batch_of ("t:string", 1, rows);

  /* 16 characters > 10: 7 characters + "...", 7 * 2 + 3 = 17 columns. */
  assert_show (batch, 20, 10, FALSE,
               "+-----------------+\n"
               "|                t|\n"
               "+-----------------+\n"
               "|日本語のテキス...|\n"
               "+-----------------+\n");
}

static void
test_meta_characters (void)
{
  const char *rows[] = { "a\nb", "tab\there" };
  g_autoptr (WeftBatch) batch = batch_of ("multi\nline:string,t:string", 1, rows);

  assert_show (batch, 20, 20, FALSE,
               "+-----------+---------+\n"
               "|multi\\nline|        t|\n"
               "+-----------+---------+\n"
               "|       a\\nb|tab\\there|\n"
               "+-----------+---------+\n");
}

static void
test_vertical (void)
{
  const char *rows[] = { "Alice", "25", "Bob", "30", "Charlie", "\x01" };
  g_autoptr (WeftBatch) batch = batch_of ("Name:string,Age:bigint", 3, rows);

  /* Spark: df.show(vertical=True) */
  assert_show (batch, 20, 20, TRUE,
               "-RECORD 0-------\n"
               " Name | Alice   \n"
               " Age  | 25      \n"
               "-RECORD 1-------\n"
               " Name | Bob     \n"
               " Age  | 30      \n"
               "-RECORD 2-------\n"
               " Name | Charlie \n"
               " Age  | null    \n");
  assert_show (batch, 1, 20, TRUE,
               "-RECORD 0-----\n"
               " Name | Alice \n"
               " Age  | 25    \n"
               "only showing top 1 row\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/show/seed-people", test_seed_people);
  g_test_add_func ("/engine/show/seed-marbles", test_seed_marbles);
  g_test_add_func ("/engine/show/truncate", test_truncate);
  g_test_add_func ("/engine/show/types-and-nulls", test_types_and_nulls);
  g_test_add_func ("/engine/show/empty", test_empty);
  g_test_add_func ("/engine/show/footer", test_footer);
  g_test_add_func ("/engine/show/many-batches", test_many_batches);
  g_test_add_func ("/engine/show/wide-characters", test_wide_characters);
  g_test_add_func ("/engine/show/truncate-unicode", test_truncate_unicode);
  g_test_add_func ("/engine/show/meta-characters", test_meta_characters);
  g_test_add_func ("/engine/show/vertical", test_vertical);
  return g_test_run ();
}
