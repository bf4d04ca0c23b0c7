/* bench-csv: single-thread throughput of the CSV scan (engine/weft-csv.c).
 *
 *   bench/bench-csv [ROWS] [--file PATH] [--keep] [--repeat N] [--batch-rows N]
 *
 * Generates (deterministically: same ROWS, same bytes) an employees CSV with a header, id, name,
 * age, city (1,000 values), department (20), salary, hired date, about 60 bytes a row (10 M rows
 * is ~600 MB, the size of the engine benchmark), into a temporary file unless --file names one
 * (written if missing), reads it once to warm the page cache, then scans it as one split and
 * prints one line per case with the best of --repeat runs (3):
 *   strings     all seven columns as strings
 *   typed       all columns typed (int64, string, int64, string, string, int64, date)
 *   projected2  only age and salary, typed
 *   filtered    age > 30 pushed into the scan, name and city returned (Q2's scan)
 *   infer       schema inference of the file (header, inferSchema), the type-only scanner
 *   infer-tok   the same through the tokenizer pass (the reference the scanner must match)
 * MB/s counts the file's bytes. Not a test: run by hand. */

#include "weft-csv-private.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const first_names[] = {
  "James", "Mary",  "John",  "Patricia", "Robert", "Jennifer", "Michael", "Linda",
  "David", "Susan", "Wei",   "Aisha",    "Carlos", "Yuki",     "Olga",    "Ahmed",
  "Priya", "Lars",  "Chloe", "Mateo",    "Amara",  "Noah",     "Ines",    "Kofi",
};
static const char *const last_names[] = {
  "Smith",  "Johnson", "Garcia", "Chen",  "Okafor", "Muller",  "Rossi",   "Tanaka",
  "Nowak",  "Silva",   "Khan",   "Brown", "Dubois", "Ivanova", "Andersen", "Lopez",
};
static const char *const departments[] = {
  "Engineering", "Sales",     "Marketing", "Finance",     "HR",       "Legal",     "Support",
  "Operations",  "Research",  "Product",   "Design",      "IT",       "Security",  "Facilities",
  "Procurement", "Logistics", "Training",  "Compliance",  "Strategy", "Analytics",
};
static const char *const syllables[] = { "ka", "lo", "mi", "ran", "ber", "to", "ville", "sa",
                                         "no", "del", "par", "is", "ton", "ford", "ly", "zen" };

static guint64
next_random (guint64 *state)
{
  /* splitmix64: deterministic and fast. */
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void
city_name (guint index, char *out, gsize size)
{
  /* 1,000 distinct names: three syllables chosen by the index's base-16 digits, then a suffix. */
  g_snprintf (out, size, "%c%s%s%s", 'A' + (index % 26), syllables[index % 16],
              syllables[(index / 16) % 16], syllables[(index / 256) % 16]);
}

static gboolean
generate (const char *path, guint64 rows, GError **error)
{
  FILE *f = fopen (path, "w");
  guint64 state = 20240501;
  char cities[1000][32];

  if (f == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s", path);
      return FALSE;
    }
  for (guint i = 0; i < 1000; i++)
    city_name (i, cities[i], sizeof cities[i]);
  fputs ("id,name,age,city,department,salary,hired\n", f);
  for (guint64 id = 1; id <= rows; id++)
    {
      guint64 r = next_random (&state);
      guint64 r2 = next_random (&state);
      gint64 year, days;
      unsigned month, day;

      days = 10957 + (gint64) (r2 % 9131); /* 2000-01-01 .. 2024-12-31 */
      weft_civil_from_days (days, &year, &month, &day);
      fprintf (f, "%" G_GUINT64_FORMAT ",%s %s,%u,%s,%s,%u,%04d-%02u-%02u\n", id,
               first_names[r % G_N_ELEMENTS (first_names)],
               last_names[(r >> 8) % G_N_ELEMENTS (last_names)], (unsigned) (18 + (r >> 16) % 50),
               cities[(r >> 24) % 1000], departments[(r >> 40) % G_N_ELEMENTS (departments)],
               (unsigned) (20000 + (r2 >> 20) % 180000), (int) year, month, day);
    }
  if (fclose (f) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
age_over_30 (const WeftBatch *batch, WeftSelection *selection, gpointer user_data, GError **error)
{
  const WeftColumn *age = batch->columns[0];

  for (gsize r = 0; r < batch->n_rows; r++)
    if (weft_column_is_valid (age, r) && age->values.i64[r] > 30)
      weft_selection_add (selection, (guint32) r);
  return TRUE;
}

/* One inference pass over the whole file as one split; returns seconds, or -1 on error. */
static double
run_infer (const char *path, gint64 size, WeftCsvInferPass pass, WeftDataType *types)
{
  g_autoptr (WeftCsvOptions) options = weft_csv_options_new ();
  g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, 0, size);
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  options->header = TRUE;
  options->infer_schema = TRUE;
  if (!weft_csv_infer_split_with (split, options, 7, pass, types, &error))
    {
      g_printerr ("bench-csv: %s\n", error->message);
      return -1;
    }
  return (double) (g_get_monotonic_time () - start) / 1e6;
}

/* One scan of the whole file; returns seconds, or -1 on error. */
static gsize batch_rows = WEFT_BATCH_DEFAULT_ROWS;

static double
run_scan (const char *path, gint64 size, WeftSchema *schema, const guint *projection,
          guint n_projection, const WeftCsvPredicate *predicate, guint64 *out_rows)
{
  g_autoptr (WeftCsvOptions) options = weft_csv_options_new ();
  g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, 0, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftCsvScan) scan = NULL;
  gint64 start = g_get_monotonic_time ();
  WeftBatch *batch;
  guint64 rows = 0;

  options->header = TRUE;
  options->batch_rows = batch_rows;
  scan = weft_csv_scan_new (options, schema, split, projection, n_projection, predicate, &error);
  while (scan != NULL && weft_csv_scan_next (scan, &batch, &error) && batch != NULL)
    {
      rows += batch->n_rows;
      weft_batch_free (batch);
    }
  if (error != NULL)
    {
      g_printerr ("bench-csv: %s\n", error->message);
      return -1;
    }
  *out_rows = rows;
  return (double) (g_get_monotonic_time () - start) / 1e6;
}

int
main (int argc, char **argv)
{
  g_autofree char *file = NULL;
  gboolean keep = FALSE;
  int repeat = 3;
  int batch = WEFT_BATCH_DEFAULT_ROWS;
  guint64 rows = 1000000;
  GOptionEntry entries[] = {
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &file, "CSV to use (generated if missing)", "PATH" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "keep the generated file", NULL },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "runs per case; the best is shown", "N" },
    { "batch-rows", 0, 0, G_OPTION_ARG_INT, &batch, "rows per batch (65536)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[ROWS] - CSV scan throughput");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftSchema) strings = weft_schema_new ();
  g_autoptr (WeftSchema) typed = weft_schema_new ();
  g_autoptr (GMappedFile) warm = NULL;
  gboolean generated = FALSE;
  gint64 size;
  const char *names[] = { "id", "name", "age", "city", "department", "salary", "hired" };
  const WeftDataType types[] = { WEFT_DATA_TYPE_INT64,  WEFT_DATA_TYPE_STRING, WEFT_DATA_TYPE_INT64,
                                 WEFT_DATA_TYPE_STRING, WEFT_DATA_TYPE_STRING, WEFT_DATA_TYPE_INT64,
                                 WEFT_DATA_TYPE_DATE };
  const guint age_salary[] = { 2, 5 };
  const guint name_city[] = { 1, 3 };
  const guint age[] = { 2 };
  WeftCsvPredicate pred = { age, 1, age_over_30, NULL };
  struct
  {
    const char *name;
    WeftSchema *schema;
    const guint *projection;
    guint n_projection;
    const WeftCsvPredicate *predicate;
  } cases[] = {
    { "strings", strings, NULL, 0, NULL },
    { "typed", typed, NULL, 0, NULL },
    { "projected2", typed, age_salary, 2, NULL },
    { "filtered", typed, name_city, 2, &pred },
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-csv: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    rows = g_ascii_strtoull (argv[1], NULL, 10);
  if (rows == 0 || repeat < 1 || batch < 1)
    {
      g_printerr ("bench-csv: ROWS, --repeat and --batch-rows must be positive\n");
      return 2;
    }
  batch_rows = (gsize) batch;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      weft_schema_add_field (strings, names[i], WEFT_DATA_TYPE_STRING, TRUE);
      weft_schema_add_field (typed, names[i], types[i], TRUE);
    }

  if (file == NULL)
    file = g_strdup_printf ("%s/weft-bench-%" G_GUINT64_FORMAT "-%d.csv", g_get_tmp_dir (), rows,
                            (int) getpid ());
  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      gint64 t0 = g_get_monotonic_time ();

      if (!generate (file, rows, &error))
        {
          g_printerr ("bench-csv: %s\n", error->message);
          return 1;
        }
      generated = TRUE;
      g_print ("# generated %s (%" G_GUINT64_FORMAT " rows) in %.1f s\n", file, rows,
               (double) (g_get_monotonic_time () - t0) / 1e6);
    }
  warm = g_mapped_file_new (file, FALSE, &error);
  if (warm == NULL)
    {
      g_printerr ("bench-csv: %s\n", error->message);
      return 1;
    }
  size = (gint64) g_mapped_file_get_length (warm);
  {
    /* Touch every page so the runs measure parsing, not the disk. */
    const volatile char *bytes = g_mapped_file_get_contents (warm);
    guint64 sum = 0;

    for (gint64 i = 0; i < size; i += 4096)
      sum += (guchar) bytes[i];
    (void) sum;
  }
  g_print ("# %s: %.1f MB, single thread, best of %d\n", file, (double) size / 1e6, repeat);

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      double best = -1;
      guint64 got = 0;

      for (int r = 0; r < repeat; r++)
        {
          double secs = run_scan (file, size, cases[c].schema, cases[c].projection,
                                  cases[c].n_projection, cases[c].predicate, &got);

          if (secs < 0)
            return 1;
          if (best < 0 || secs < best)
            best = secs;
        }
      g_print ("%-11s %8.1f MB/s %8.2f Mrows/s %7.3f s  %" G_GUINT64_FORMAT " rows out\n",
               cases[c].name, (double) size / 1e6 / best, (double) rows / 1e6 / best, best, got);
    }
  for (int pass = 0; pass < 2; pass++)
    {
      WeftDataType inferred[7] = { 0 };
      GString *text = g_string_new (NULL);
      double best = -1;

      for (int r = 0; r < repeat; r++)
        {
          double secs = run_infer (file, size, pass == 0 ? WEFT_CSV_INFER_SCANNER
                                                         : WEFT_CSV_INFER_TOKENIZER, inferred);

          if (secs < 0)
            return 1;
          if (best < 0 || secs < best)
            best = secs;
        }
      for (guint i = 0; i < G_N_ELEMENTS (inferred); i++)
        g_string_append_printf (text, "%s%s", i > 0 ? "," : "",
                                inferred[i] != 0 ? weft_data_type_name (inferred[i]) : "-");
      g_print ("%-11s %8.1f MB/s %8.2f Mrows/s %7.3f s  %s\n", pass == 0 ? "infer" : "infer-tok",
               (double) size / 1e6 / best, (double) rows / 1e6 / best, best, text->str);
      g_string_free (text, TRUE);
    }
  if (generated && !keep)
    g_unlink (file);
  return 0;
}
