/* Tests for engine/weft-csv and weft-csv-options: Spark's options and defaults, quoting, escapes,
 * multiLine, blank lines, CRLF, headers, modes with malformed rows, typed conversion, inference,
 * projection and pushed predicates, splits, and corrupt input. Property tests check that any split
 * size, read size and batch size give the rows of one whole-file read, that the fast path and
 * libcsv agree on random CSV, that quote-free CSV reads as an independent line/field split
 * says it should, and that inference's type-only scanner gives the types of the tokenizer pass
 * on random typed CSV with random options and splits. */

#include "weft-fs.h"
#include "weft-csv-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  char *dir;
  guint n_files;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = g_dir_make_tmp ("weft-csv-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  weft_fs_remove_tree (fx->dir, NULL);
  g_free (fx->dir);
}

/* Writes @len bytes (-1: a string) to a new file in the fixture's folder. */
static char *
write_file (Fixture *fx, const char *contents, gssize len)
{
  g_autoptr (GError) error = NULL;
  char *path = g_strdup_printf ("%s/f%03u.csv", fx->dir, fx->n_files++);

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  return path;
}

static WeftCsvOptions *
options_with (const char *first_key, ...)
{
  WeftCsvOptions *options = weft_csv_options_new ();
  const char *key = first_key;
  va_list ap;

  va_start (ap, first_key);
  while (key != NULL)
    {
      const char *value = va_arg (ap, const char *);
      g_autoptr (GError) error = NULL;

      g_assert_true (weft_csv_options_set (options, key, value, &error));
      g_assert_no_error (error);
      key = va_arg (ap, const char *);
    }
  va_end (ap);
  return options;
}

static WeftSchema *
schema_of (const char *spec)
{
  /* "name:type,name:type" */
  WeftSchema *schema = weft_schema_new ();
  g_auto (GStrv) parts = g_strsplit (spec, ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_auto (GStrv) nt = g_strsplit (parts[i], ":", 2);
      WeftDataType type;

      g_assert_true (weft_data_type_from_name (nt[1], &type));
      weft_schema_add_field (schema, nt[0], type, TRUE);
    }
  return schema;
}

/* Reads @files split by options->split_bytes, every split in order, and returns the rows as text
 * (weft_batch_format_rows), or NULL with @error. @schema NULL infers it; *out_schema gets the
 * scan's output schema as text when non-NULL. */
static char *
read_files (const char *const *files, guint n_files, const WeftCsvOptions *options,
            WeftSchema *schema, const guint *projection, guint n_projection,
            const WeftCsvPredicate *predicate, char **out_schema, GError **error)
{
  g_autoptr (WeftSchema) inferred = NULL;
  g_autoptr (GPtrArray) splits = NULL;
  GString *out = g_string_new (NULL);

  if (schema == NULL)
    {
      inferred = weft_csv_infer_schema (files, n_files, options, error);
      if (inferred == NULL)
        goto fail;
      schema = inferred;
    }
  splits = weft_csv_plan_splits (files, n_files, options, error);
  if (splits == NULL)
    goto fail;
  if (out_schema != NULL)
    {
      g_autoptr (WeftSchema) projected =
        projection != NULL ? weft_schema_select (schema, projection, n_projection)
                           : weft_schema_ref (schema);

      *out_schema = weft_schema_to_string (projected);
    }
  for (guint i = 0; i < splits->len; i++)
    {
      g_autoptr (WeftCsvScan) scan = weft_csv_scan_new (options, schema, splits->pdata[i],
                                                        projection, n_projection, predicate, error);
      WeftBatch *batch;

      if (scan == NULL)
        goto fail;
      for (;;)
        {
          if (!weft_csv_scan_next (scan, &batch, error))
            goto fail;
          if (batch == NULL)
            break;
          g_assert_cmpuint (batch->n_rows, >, 0);
          g_assert_cmpuint (batch->n_rows, <=, options->batch_rows);
          if (batch->n_columns == 0)
            for (gsize r = 0; r < batch->n_rows; r++)
              g_string_append (out, "()\n");
          else
            weft_batch_format_rows (batch, out);
          weft_batch_free (batch);
        }
    }
  return g_string_free (out, FALSE);
fail:
  g_string_free (out, TRUE);
  return NULL;
}

static char *
read_one (const char *path, const WeftCsvOptions *options, WeftSchema *schema, char **out_schema,
          GError **error)
{
  const char *files[] = { path };

  return read_files (files, 1, options, schema, NULL, 0, NULL, out_schema, error);
}

/* Reads @contents with @options and checks the schema text and the rows text. */
static void
check_read (Fixture *fx, const WeftCsvOptions *options, const char *schema_spec,
            const char *contents, const char *want_schema, const char *want_rows)
{
  g_autofree char *path = write_file (fx, contents, -1);
  g_autoptr (WeftSchema) schema = schema_spec != NULL ? schema_of (schema_spec) : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *got_schema = NULL;
  g_autofree char *rows = read_one (path, options, schema, &got_schema, &error);

  g_assert_no_error (error);
  if (want_schema != NULL)
    g_assert_cmpstr (got_schema, ==, want_schema);
  g_assert_cmpstr (rows, ==, want_rows);
}

/* ---- Options -------------------------------------------------------------------------------- */

static void
test_options (void)
{
  g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
  g_autoptr (WeftCsvOptions) copy = NULL;
  g_autoptr (GError) error = NULL;

  /* Spark's defaults. */
  g_assert_false (o->header);
  g_assert_false (o->infer_schema);
  g_assert_cmpint (o->sep, ==, ',');
  g_assert_cmpint (o->quote, ==, '"');
  g_assert_cmpint (o->escape, ==, '\\');
  g_assert_cmpint (o->comment, ==, 0);
  g_assert_cmpstr (o->null_value, ==, "");
  g_assert_false (o->multi_line);
  g_assert_cmpstr (o->date_format, ==, "yyyy-MM-dd");
  g_assert_cmpint (o->mode, ==, WEFT_CSV_MODE_PERMISSIVE);
  g_assert_cmpstr (o->corrupt_record_column, ==, "_corrupt_record");
  g_assert_cmpint (o->split_bytes, ==, 128 * 1024 * 1024);

  g_assert_true (weft_csv_options_set (o, "HEADER", "True", NULL));
  g_assert_true (o->header);
  g_assert_true (weft_csv_options_set (o, "delimiter", "\\t", NULL));
  g_assert_cmpint (o->sep, ==, '\t');
  g_assert_true (weft_csv_options_set (o, "sep", ";", NULL));
  g_assert_cmpint (o->sep, ==, ';');
  g_assert_true (weft_csv_options_set (o, "quote", "", NULL));
  g_assert_cmpint (o->quote, ==, 0);
  g_assert_true (weft_csv_options_set (o, "mode", "dropMalformed", NULL));
  g_assert_cmpint (o->mode, ==, WEFT_CSV_MODE_DROPMALFORMED);
  g_assert_true (weft_csv_options_set (o, "nullValue", "NA", NULL));
  g_assert_true (weft_csv_options_set (o, "dateFormat", "dd/MM/yyyy", NULL));
  g_assert_true (weft_csv_options_set (o, "encoding", "utf-8", NULL));
  g_assert_true (weft_csv_options_set (o, "ignoreLeadingWhiteSpace", "false", NULL));
  copy = weft_csv_options_copy (o);
  g_assert_cmpstr (copy->null_value, ==, "NA");
  g_assert_cmpstr (copy->date_format, ==, "dd/MM/yyyy");

  g_assert_false (weft_csv_options_set (o, "headers", "true", &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_assert_nonnull (strstr (error->message, "headers"));
  g_clear_error (&error);
  g_assert_false (weft_csv_options_set (o, "header", "yes", &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_false (weft_csv_options_set (o, "sep", "::", &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_false (weft_csv_options_set (o, "mode", "lenient", &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_false (weft_csv_options_set (o, "encoding", "latin1", &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_false (weft_csv_options_set (o, "dateFormat", "yyyy-MM-dd HH:mm", &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_cmpstr (o->date_format, ==, "dd/MM/yyyy"); /* unchanged by the failed set */

  /* Combinations. */
  g_assert_true (weft_csv_options_set (o, "sep", ",", NULL));
  g_assert_true (weft_csv_options_set (o, "quote", ",", NULL));
  g_assert_false (weft_csv_options_validate (o, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
  g_clear_error (&error);
  g_assert_true (weft_csv_options_set (o, "quote", "\"", NULL));
  g_assert_true (weft_csv_options_set (o, "escape", "\"", NULL)); /* RFC 4180 doubling */
  g_assert_true (weft_csv_options_validate (o, NULL));
  g_assert_true (weft_csv_options_set (o, "sep", "\n", NULL));
  g_assert_false (weft_csv_options_validate (o, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
}

/* ---- Basic reading ------------------------------------------------------------------------ */

static void
test_defaults (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();

  /* No header: _c0.. ; all strings; empty (quoted or not) is null; spaces kept. */
  check_read (fx, o, NULL, "a,b,c\n1,,\" x \"\n\"\", y ,\n",
              "_c0:string?, _c1:string?, _c2:string?", "a|b|c\n1|null| x \nnull| y |null\n");
}

static void
test_header (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = options_with ("header", "true", NULL);

  check_read (fx, o, NULL, "name,age\nAlice,25\nBob,30\n", "name:string?, age:string?",
              "Alice|25\nBob|30\n");
  /* Header only: no rows. Blank lines and a comment before it are skipped. */
  check_read (fx, o, NULL, "\n  \nname,age\n", "name:string?, age:string?", "");
  /* Empty names become _c<i>; names repeated (ignoring case) get their index. */
  check_read (fx, o, NULL, "a,,A,\"b\"\n1,2,3,4\n",
              "a0:string?, _c1:string?, A2:string?, b:string?",
              "1|2|3|4\n");
}

static void
test_quotes_escapes (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
  g_autoptr (WeftCsvOptions) rfc = options_with ("escape", "\"", NULL);
  g_autoptr (WeftCsvOptions) noquote = options_with ("quote", "", NULL);

  check_read (fx, o, NULL,
              "\"a,b\",\"say \"\"hi\"\"\",c\n"   /* separator inside quotes, doubled quotes */
              /* \" is a quote; \\ before the quote is \ ; \q stays */
              "\"a\\\"b\",\"x\\\\\",\"p\\q\"\n"
              "ab\"c,\"\",d\"\n"                  /* quotes inside unquoted fields are data */
              "\\n,\"\\\\n\",\"\"\"\"\n",         /* escape outside quotes is data */
              NULL,
              "a,b|say \"hi\"|c\na\"b|x\\|p\\q\nab\"c|null|d\"\n\\n|\\\\n|\"\n");
  check_read (fx, rfc, NULL, "\"a\"\"b\",\"c\\\"\n", NULL, "a\"b|c\\\n");
  check_read (fx, noquote, NULL, "\"a,b\",c\n", NULL, "\"a|b\"|c\n");
}

static void
test_multiline (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) ml = options_with ("multiLine", "true", NULL);
  g_autoptr (WeftCsvOptions) sl = weft_csv_options_new ();
  g_autoptr (WeftSchema) schema = schema_of ("a:string,b:string,_corrupt_record:string");
  g_autofree char *path =
    write_file (fx, "\"line1\nline2\",x\r\n\"q\\\"\n\"\"z\",y\nlast,\"\"\n", -1);
  g_autoptr (GError) error = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *rows2 = NULL;

  rows = read_one (path, ml, schema, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rows, ==, "line1\nline2|x|null\nq\"\n\"z|y|null\nlast|null|null\n");
  /* Without multiLine each line is a record: the open quotes make them malformed. */
  rows2 = read_one (path, sl, schema, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rows2, ==,
                   "null|null|\"line1\n"
                   "line2\"|x|null\n"
                   "null|null|\"q\\\"\n"
                   "null|null|\"\"z\",y\n"
                   "last|null|null\n");
}

static void
test_blank_crlf_comment (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
  g_autoptr (WeftCsvOptions) c = options_with ("comment", "#", NULL);

  check_read (fx, o, NULL, "\n\na,b\r\n\r\n   \n\t\n1,2\r\nx\ry,\r\n3,4", NULL,
              "a|b\n1|2\nx\ry|null\n3|4\n");
  check_read (fx, c, NULL, "#c1,\"\n1,2\n # not a comment\n#\n3,4\n", NULL,
              "1|2\n # not a comment|null\n3|4\n");
  /* With comment off, '#' is data. */
  check_read (fx, o, NULL, "#x,1\n", NULL, "#x|1\n");
}

static void
test_empty_and_one_row (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = options_with ("inferSchema", "true", NULL);
  g_autofree char *empty = write_file (fx, "", 0);
  g_autofree char *blank = write_file (fx, "\n\n  \n", -1);
  const char *files[] = { empty };
  g_autoptr (GPtrArray) splits = weft_csv_plan_splits (files, 1, o, NULL);
  g_autoptr (WeftSchema) schema = weft_csv_infer_schema (files, 1, o, NULL);
  g_autoptr (WeftSchema) schema2 = NULL;
  g_autoptr (WeftCsvSplit) split = weft_csv_split_new (blank, 0, 5);
  g_autoptr (WeftCsvScan) scan = NULL;
  g_autoptr (GError) error = NULL;
  WeftBatch *batch = NULL;

  g_assert_cmpuint (splits->len, ==, 0); /* an empty file has no split */
  g_assert_cmpuint (weft_schema_get_n_fields (schema), ==, 0);
  files[0] = blank;
  schema2 = weft_csv_infer_schema (files, 1, o, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (weft_schema_get_n_fields (schema2), ==, 0);
  scan = weft_csv_scan_new (o, schema2, split, NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (weft_csv_scan_next (scan, &batch, &error));
  g_assert_null (batch);

  check_read (fx, o, NULL, "42", "_c0:bigint?", "42\n");
  check_read (fx, o, NULL, "\"only\",1.5,true,2024-01-31\n",
              "_c0:string?, _c1:double?, _c2:boolean?, _c3:date?", "only|1.5|true|2024-01-31\n");
}

static void
test_bom_tab_nullvalue (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) h = options_with ("header", "true", "sep", "\t", NULL);
  g_autoptr (WeftCsvOptions) na = options_with ("nullValue", "NA", "inferSchema", "true", NULL);

  check_read (fx, h, NULL, "\xEF\xBB\xBFid\tname\n1\tA B\n", "id:string?, name:string?",
              "1|A B\n");
  /* nullValue NA: NA (quoted or not) is null; an unquoted empty field is still null, a quoted
   * empty string is an empty string. */
  check_read (fx, na, NULL, "NA,1,\"NA\"\n,2,\"\"\nx,NA,z\n",
              "_c0:string?, _c1:bigint?, _c2:string?", "null|1|null\nnull|2|\nx|null|z\n");
}

/* ---- Modes and typed conversion ---------------------------------------------------------- */

static const char *mode_input = "1,Alice,30\n"
                                "2,Bob\n"              /* too few fields (line 2) */
                                "3,Carol,x\n"          /* bad int */
                                "4,Dan,40,extra\n"     /* too many */
                                "99999999999999999999,Eve,50\n" /* int64 overflow */
                                "\"6\"x,Fay,60\n"      /* text after a closing quote */
                                "7,Gus,70\n";

static void
test_mode_permissive (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();

  check_read (fx, o, "id:int64,name:string,age:int64", mode_input, NULL,
              "1|Alice|30\n2|Bob|null\n3|Carol|null\n4|Dan|40\nnull|Eve|50\nnull|null|null\n"
              "7|Gus|70\n");
  check_read (fx, o, "id:int64,name:string,age:int64,_corrupt_record:string", mode_input, NULL,
              "1|Alice|30|null\n2|Bob|null|2,Bob\n3|Carol|null|3,Carol,x\n"
              "4|Dan|40|4,Dan,40,extra\nnull|Eve|50|99999999999999999999,Eve,50\n"
              "null|null|null|\"6\"x,Fay,60\n7|Gus|70|null\n");
  /* The corrupt column may sit anywhere in the schema, and be renamed. */
  {
    g_autoptr (WeftCsvOptions) r = options_with ("columnNameOfCorruptRecord", "bad", NULL);

    check_read (fx, r, "bad:string,id:int64,name:string,age:int64", "1,A,2\n1,B\n", NULL,
                "null|1|A|2\n1,B|1|B|null\n");
  }
}

static void
test_mode_dropmalformed (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = options_with ("mode", "DROPMALFORMED", NULL);

  check_read (fx, o, "id:int64,name:string,age:int64", mode_input, NULL,
              "1|Alice|30\n7|Gus|70\n");
}

static void
check_failfast (Fixture *fx, const char *contents, const char *schema_spec, gint64 split_bytes,
                const char *want_in_message)
{
  g_autoptr (WeftCsvOptions) o = options_with ("mode", "FAILFAST", NULL);
  g_autofree char *path = write_file (fx, contents, -1);
  g_autoptr (WeftSchema) schema = schema_of (schema_spec);
  g_autoptr (GError) error = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *where = g_strdup_printf ("%s:%s", path, want_in_message);

  o->split_bytes = split_bytes;
  rows = read_one (path, o, schema, NULL, &error);
  g_assert_null (rows);
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_MALFORMED);
  if (strstr (error->message, where) == NULL)
    g_error ("\"%s\" does not contain \"%s\"", error->message, where);
}

static void
test_mode_failfast (Fixture *fx, gconstpointer data)
{
  check_failfast (fx, mode_input, "id:int64,name:string,age:int64", 1 << 20,
                  "2: malformed CSV record (mode FAILFAST): expected 3 fields, found 2");
  check_failfast (fx, "1,a\n\n2,b\n3,\"c\n", "id:int64,name:string", 1 << 20,
                  "4: malformed CSV record (mode FAILFAST): bad quoting");
  check_failfast (fx, "1,a\n2,b\nx,c\n", "id:int64,name:string", 1 << 20,
                  "3: malformed CSV record (mode FAILFAST): \"x\" is not a bigint (column id)");
  /* A value error on an earlier line wins over a field-count error on a later one. */
  check_failfast (fx, "1,a\nz,b\n3\n", "id:int64,name:string", 1 << 20, "2:");
  /* Lines are counted from the start of the file even when the bad row is in a later split. */
  check_failfast (fx, "1,a\n2,b\n3,c\n4,d\n5,e\n6,f,g\n7,h\n", "id:int64,name:string", 9, "6:");
  /* Valid input passes. */
  {
    g_autoptr (WeftCsvOptions) o = options_with ("mode", "FAILFAST", NULL);

    check_read (fx, o, "id:int64,name:string", "1,a\n2,b\n", NULL, "1|a\n2|b\n");
  }
}

static void
test_typed (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
  g_autoptr (WeftCsvOptions) dmy = options_with ("dateFormat", "dd/MM/yyyy", NULL);

  check_read (fx, o, "i:int64,d:double,b:bool,t:date,s:string,_corrupt_record:string",
              "9223372036854775807,1e3,true,2024-02-29,x\n"
              "-9223372036854775808,-0.5,FALSE,1970-01-01,\n"
              "9223372036854775808,NaN,True,2023-1-5,y\n"        /* overflow; lenient date */
              ",Inf,,2023-02-29,z\n"                              /* null int; bad date */
              "+7, 2.5 ,yes,2023-01-05T10:00,w\n",                /* bad bool */
              NULL,
              "9223372036854775807|1000|true|2024-02-29|x|null\n"
              "-9223372036854775808|-0.5|false|1970-01-01|null|null\n"
              "null|nan|true|2023-01-05|y|9223372036854775808,NaN,True,2023-1-5,y\n"
              "null|inf|null|null|z|,Inf,,2023-02-29,z\n"
              "7|2.5|null|2023-01-05|w|+7, 2.5 ,yes,2023-01-05T10:00,w\n");
  /* A custom dateFormat gets no lenient fallback. */
  check_read (fx, dmy, "t:date", "31/01/2024\n2024-01-31\n", NULL, "2024-01-31\nnull\n");
}

static void
test_infer (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = options_with ("header", "true", "inferSchema", "true", NULL);
  g_autofree char *a = write_file (fx, "i,d,b,t,s,n,m\n1,2,true,2024-01-01,x,,1\n", -1);
  g_autofree char *b = write_file (fx, "i,d,b,t,s,n,m\n-5,2.5,False,1999-12-31,3,,true\n", -1);
  const char *files[] = { a, b };
  g_autoptr (GError) error = NULL;
  g_autofree char *schema_text = NULL;
  g_autofree char *rows = read_files (files, 2, o, NULL, NULL, 0, NULL, &schema_text, &error);

  g_assert_no_error (error);
  /* int64 + double = double; bool; date; int + string = string; no value = string; int + bool =
   * string. The header line of the second file is skipped, not inferred. */
  g_assert_cmpstr (schema_text, ==,
                   "i:bigint?, d:double?, b:boolean?, t:date?, s:string?, n:string?, m:string?");
  g_assert_cmpstr (rows, ==,
                   "1|2|true|2024-01-01|x|null|1\n-5|2.5|false|1999-12-31|3|null|true\n");

  /* Without header, widths come from the first record; without inferSchema all strings. */
  {
    g_autoptr (WeftCsvOptions) n = weft_csv_options_new ();

    check_read (fx, n, NULL, "1,2\n3,4,5\n", "_c0:string?, _c1:string?", "1|2\n3|4\n");
  }
}

/* ---- Projection and predicates ---------------------------------------------------------- */

static const char *people = "id,name,age,city\n"
                            "1,Alice,25,Paris\n"
                            "2,Bob,35,Rome\n"
                            "3,\"Carol, Jr\",45,\"Oslo\"\n"
                            "4,Dan,,Rome\n"
                            "5,Eve,31,Lima\n";

static gboolean
age_over_30 (const WeftBatch *batch, WeftSelection *selection, gpointer user_data, GError **error)
{
  const WeftColumn *age = batch->columns[0];
  guint *calls = user_data;

  g_assert_cmpuint (batch->n_columns, ==, 1);
  g_assert_cmpstr (weft_schema_get_field (batch->schema, 0)->name, ==, "age");
  (*calls)++;
  for (gsize r = 0; r < batch->n_rows; r++)
    if (weft_column_is_valid (age, r) && age->values.i64[r] > 30)
      weft_selection_add (selection, (guint32) r);
  return TRUE;
}

static gboolean
failing_predicate (const WeftBatch *batch, WeftSelection *selection, gpointer user_data,
                   GError **error)
{
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "predicate says no");
  return FALSE;
}

static gboolean
unordered_predicate (const WeftBatch *batch, WeftSelection *selection, gpointer user_data,
                     GError **error)
{
  weft_selection_add (selection, 1);
  weft_selection_add (selection, 0);
  return TRUE;
}

static void
test_projection_predicate (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = options_with ("header", "true", NULL);
  g_autofree char *path = write_file (fx, people, -1);
  g_autoptr (WeftSchema) schema = schema_of ("id:int64,name:string,age:int64,city:string");
  const char *files[] = { path };
  const guint name_city[] = { 1, 3 };
  const guint city_id_city[] = { 3, 0, 3 };
  const guint age[] = { 2 };
  guint calls = 0;
  WeftCsvPredicate pred = { age, 1, age_over_30, &calls };
  WeftCsvPredicate bad = { age, 1, failing_predicate, NULL };
  WeftCsvPredicate unordered = { age, 1, unordered_predicate, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *s1 = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *r5 = NULL;

  r1 = read_files (files, 1, o, schema, name_city, 2, NULL, &s1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s1, ==, "name:string?, city:string?");
  g_assert_cmpstr (r1, ==, "Alice|Paris\nBob|Rome\nCarol, Jr|Oslo\nDan|Rome\nEve|Lima\n");

  r2 = read_files (files, 1, o, schema, city_id_city, 3, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r2, ==, "Paris|1|Paris\nRome|2|Rome\nOslo|3|Oslo\nRome|4|Rome\nLima|5|Lima\n");

  /* filter(age > 30).select(name, city): age is read for the predicate only. */
  r3 = read_files (files, 1, o, schema, name_city, 2, &pred, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r3, ==, "Bob|Rome\nCarol, Jr|Oslo\nEve|Lima\n");
  g_assert_cmpuint (calls, ==, 1);

  /* Predicate column also projected. */
  r4 = read_files (files, 1, o, schema, (const guint[]){ 2, 1 }, 2, &pred, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r4, ==, "35|Bob\n45|Carol, Jr\n31|Eve\n");

  /* No columns: row counts only (count(*)), with a predicate too. */
  r5 = read_files (files, 1, o, schema, age, 0, &pred, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r5, ==, "()\n()\n()\n");

  g_assert_null (read_files (files, 1, o, schema, age, 1, &bad, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (read_files (files, 1, o, schema, age, 1, &unordered, NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_CALLBACK);
}

static void
test_pruning (Fixture *fx, gconstpointer data)
{
  /* A bad value in a column the scan does not convert is not noticed (as in Spark), but a wrong
   * field count always is. */
  g_autoptr (WeftCsvOptions) o = options_with ("mode", "DROPMALFORMED", NULL);
  g_autofree char *path = write_file (fx, "1,x\n2,3\n4\n", -1);
  g_autoptr (WeftSchema) schema = schema_of ("a:int64,b:int64");
  const char *files[] = { path };
  const guint first[] = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *pruned = read_files (files, 1, o, schema, first, 1, NULL, NULL, &error);
  g_autofree char *full = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (pruned, ==, "1\n2\n");
  full = read_files (files, 1, o, schema, NULL, 0, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (full, ==, "2|3\n");
}

/* ---- Splits ------------------------------------------------------------------------------- */

static char *
read_split (const char *path, const WeftCsvOptions *o, WeftSchema *schema, gint64 start,
            gint64 length)
{
  g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, start, length);
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftCsvScan) scan = weft_csv_scan_new (o, schema, split, NULL, 0, NULL, &error);
  GString *out = g_string_new (NULL);
  WeftBatch *batch;

  g_assert_no_error (error);
  while (weft_csv_scan_next (scan, &batch, &error) && batch != NULL)
    {
      weft_batch_format_rows (batch, out);
      weft_batch_free (batch);
    }
  g_assert_no_error (error);
  return g_string_free (out, FALSE);
}

static void
test_split_line_boundaries (Fixture *fx, gconstpointer data)
{
  /* Offsets: "aa,1\n" 0-4, "bb,2\n" 5-9, "cc,3\n" 10-14, "dd,4" 15-18. */
  g_autoptr (WeftCsvOptions) o = options_with ("header", "false", NULL);
  g_autofree char *path = write_file (fx, "aa,1\nbb,2\ncc,3\ndd,4", -1);
  g_autoptr (WeftSchema) schema = schema_of ("k:string,v:int64");
  const struct
  {
    gint64 start, length;
    const char *rows;
  } cases[] = {
    { 0, 5, "aa|1\nbb|2\n" },  /* ends exactly at a line start: that line is ours (Hadoop) */
    { 5, 5, "cc|3\n" },        /* starts at a line start: skips it (the previous split had it) */
    { 0, 4, "aa|1\n" },        /* ends before the newline */
    { 0, 1, "aa|1\n" },        /* reads through the line that crosses its end */
    { 1, 3, "" },              /* inside one line, ending before the next starts */
    { 1, 4, "bb|2\n" },        /* ends at that line's newline + 1 = its start */
    { 3, 10, "bb|2\ncc|3\n" },
    { 3, 12, "bb|2\ncc|3\ndd|4\n" },
    { 14, 5, "dd|4\n" },       /* starts on a newline byte: the next line is ours */
    { 15, 4, "" },             /* starts at a line start: skipped */
    { 0, 19, "aa|1\nbb|2\ncc|3\ndd|4\n" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *rows = read_split (path, o, schema, cases[i].start, cases[i].length);

      if (g_strcmp0 (rows, cases[i].rows) != 0)
        g_error ("split %" G_GINT64_FORMAT "+%" G_GINT64_FORMAT ": got \"%s\", want \"%s\"",
                 cases[i].start, cases[i].length, rows, cases[i].rows);
    }
  /* The header is only in the split at offset 0. */
  {
    g_autoptr (WeftCsvOptions) h = options_with ("header", "true", NULL);
    g_autofree char *r0 = read_split (path, h, schema, 0, 5);
    g_autofree char *r1 = read_split (path, h, schema, 5, 14);

    g_assert_cmpstr (r0, ==, "bb|2\n");
    g_assert_cmpstr (r1, ==, "cc|3\ndd|4\n");
  }
}

/* Random CSV text: @quotes adds quoted fields (no newlines inside), @junk adds blank lines, CRLF,
 * wrong field counts, stray quotes and comments-that-are-not. */
static char *
random_csv (GRand *rand, guint n_rows, guint n_cols, gboolean quotes, gboolean junk)
{
  static const char alphabet[] = "abcXYZ019 .-\\#";
  GString *out = g_string_new (NULL);

  for (guint r = 0; r < n_rows; r++)
    {
      guint cols = n_cols;

      if (junk && g_rand_int_range (rand, 0, 15) == 0)
        g_string_append (out, g_rand_boolean (rand) ? "\n" : "  \t\n");
      if (junk && g_rand_int_range (rand, 0, 20) == 0)
        cols = (guint) g_rand_int_range (rand, 1, (gint32) n_cols + 3);
      for (guint c = 0; c < cols; c++)
        {
          guint len = (guint) g_rand_int_range (rand, 0, 12);
          gboolean quoted = quotes && g_rand_int_range (rand, 0, 4) == 0;

          if (c > 0)
            g_string_append_c (out, ',');
          if (quoted)
            g_string_append_c (out, '"');
          for (guint k = 0; k < len; k++)
            {
              int pick = g_rand_int_range (rand, 0, 40);

              if (quoted && pick == 0)
                g_string_append (out, "\"\"");
              else if (quoted && pick == 1)
                g_string_append (out, "\\\"");
              else if (quoted && pick == 2)
                g_string_append_c (out, ',');
              else if (junk && quotes && !quoted && pick == 3 && k > 0)
                g_string_append_c (out, '"');
              else if (c == 0 && k == 0 && pick == 4 && !quoted)
                g_string_append_c (out, ' ');
              else
                g_string_append_c (out, alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)]);
            }
          if (quoted)
            g_string_append_c (out, '"');
        }
      if (junk && g_rand_int_range (rand, 0, 10) == 0)
        g_string_append_c (out, '\r');
      if (r + 1 < n_rows || g_rand_boolean (rand))
        g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* Property: for random split sizes, read sizes and batch sizes, the union of every split's rows
 * is exactly the whole file read as one split with the defaults. */
static void
test_split_property (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (WeftSchema) schema = schema_of ("a:string,b:string,c:string,_corrupt_record:string");
  const gboolean header = GPOINTER_TO_INT (data);

  for (int iter = 0; iter < 60; iter++)
    {
      g_autofree char *text = random_csv (rand, (guint) g_rand_int_range (rand, 0, 300), 3,
                                          iter % 2 == 0, iter % 3 != 0);
      g_autofree char *path = write_file (fx, text, -1);
      const char *files[] = { path };
      g_autoptr (WeftCsvOptions) whole = weft_csv_options_new ();
      g_autofree char *want = NULL;
      g_autoptr (GError) error = NULL;

      whole->header = header;
      want = read_files (files, 1, whole, schema, NULL, 0, NULL, NULL, &error);
      g_assert_no_error (error);
      for (int k = 0; k < 8; k++)
        {
          g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
          g_autofree char *got = NULL;

          o->header = header;
          o->split_bytes = g_rand_int_range (rand, 1, (gint32) strlen (text) + 2);
          o->read_bytes = (gsize) g_rand_int_range (rand, 1, 200);
          o->batch_rows = (gsize) g_rand_int_range (rand, 1, 50);
          got = read_files (files, 1, o, schema, NULL, 0, NULL, NULL, &error);
          g_assert_no_error (error);
          if (g_strcmp0 (got, want) != 0)
            g_error ("split %" G_GINT64_FORMAT " read %" G_GSIZE_FORMAT " batch %" G_GSIZE_FORMAT
                     " differs on:\n%s\n--- want:\n%s\n--- got:\n%s",
                     o->split_bytes, o->read_bytes, o->batch_rows, text, want, got);
        }
    }
}

/* Property: the fast path and libcsv give identical batches on random CSV, for strings and for
 * typed columns, in every mode. */
static void
test_fast_vs_libcsv (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1234);
  const char *specs[] = { "a:string,b:string,c:string,d:string",
                          "a:string,b:int64,c:double,d:string,_corrupt_record:string",
                          "a:bool,b:date,c:string,d:int64" };

  for (int iter = 0; iter < 150; iter++)
    {
      g_autofree char *text = random_csv (rand, (guint) g_rand_int_range (rand, 0, 200), 4,
                                          iter % 2 == 0, iter % 3 == 0);
      g_autofree char *path = write_file (fx, text, -1);
      g_autoptr (WeftSchema) schema = schema_of (specs[iter % 3]);
      g_autoptr (WeftCsvOptions) fast = weft_csv_options_new ();
      g_autoptr (WeftCsvOptions) slow = NULL;
      g_autoptr (GError) e1 = NULL;
      g_autoptr (GError) e2 = NULL;
      g_autofree char *r1 = NULL, *r2 = NULL;

      fast->mode = (WeftCsvMode) (iter % 3);
      fast->read_bytes = (gsize) g_rand_int_range (rand, 1, 100);
      fast->multi_line = iter % 5 == 0;
      slow = weft_csv_options_copy (fast);
      slow->parser = WEFT_CSV_PARSER_LIBCSV;
      r1 = read_one (path, fast, schema, NULL, &e1);
      r2 = read_one (path, slow, schema, NULL, &e2);
      if (g_strcmp0 (r1, r2) != 0 || (e1 == NULL) != (e2 == NULL)
          || (e1 != NULL && strcmp (e1->message, e2->message) != 0))
        g_error ("fast and libcsv differ on:\n%s\n--- fast:\n%s%s\n--- libcsv:\n%s%s", text,
                 r1 ? r1 : "", e1 ? e1->message : "", r2 ? r2 : "", e2 ? e2->message : "");
    }
}

/* Property against an independent computation: quote-free CSV reads exactly as splitting lines
 * on '\n' (dropping a final '\r' and blank lines) and fields on ',' says it should. */
static void
test_reference_split (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);

  for (int iter = 0; iter < 40; iter++)
    {
      g_autofree char *text = random_csv (rand, (guint) g_rand_int_range (rand, 1, 500), 5, FALSE,
                                          TRUE);
      g_autofree char *path = write_file (fx, text, -1);
      g_autoptr (WeftSchema) schema = schema_of ("a:string,b:string,c:string,d:string,e:string");
      g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      GString *want = g_string_new (NULL);
      g_autofree char *want_text = NULL;
      g_autofree char *got = NULL;
      g_autoptr (GError) error = NULL;

      o->split_bytes = g_rand_int_range (rand, 50, 5000);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          char *line = lines[i];
          gsize len = strlen (line);
          gboolean blank = TRUE;
          g_auto (GStrv) fields = NULL;
          guint n;

          if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
          for (gsize k = 0; k < len; k++)
            blank &= (guchar) line[k] <= ' ';
          if (blank)
            continue;
          fields = g_strsplit (line, ",", -1);
          n = g_strv_length (fields);
          for (guint f = 0; f < 5; f++)
            {
              if (f > 0)
                g_string_append_c (want, '|');
              g_string_append (want, f < n && fields[f][0] != '\0' ? fields[f] : "null");
            }
          g_string_append_c (want, '\n');
        }
      want_text = g_string_free (want, FALSE);
      got = read_one (path, o, schema, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (got, ==, want_text);
    }
}

/* ---- Inference: the scanner against the tokenizer ------------------------------------------ */

/* Options for a random typed CSV: what random_typed_csv() writes with. */
typedef struct
{
  char sep, quote, escape, comment;
  const char *null_value;
  gboolean multi_line;
  gboolean dmy; /* dateFormat dd/MM/yyyy */
} TypedCsv;

/* A value most of whose kind is @kind (0 int, 1 double, 2 bool, 3 date, 4 string), with the
 * cases at each type's edges: 16 to 20 digits (int64 overflow), signs, spaces Java trims,
 * Inf/NaN spellings, dates that do not exist or are not in the pattern, and bytes <= ' '. */
static void
random_value (GRand *rand, int kind, gboolean edgy, const TypedCsv *t, GString *out)
{
  static const char *const doubles[] = { "1.5", "-2e3", "NaN", "Inf", "-Inf", "+Infinity",
                                         ".5", "5.", " 2.5", "7 ", "1e", "1.2.3", "-", "+",
                                         "0.0", "1E-400", "12\r3", "1d" };
  static const char *const bools[] = { "true", "FALSE", "True", "tRuE", "yes", "0", "truex" };
  static const char *const strings[] = { "x", "abc", "A B", "-", "2024", "--", "1-2", "\\",
                                         "e", "12:30", "+5-", "0x1F" };
  /* Without @edgy only values of the kind (or what widens it only to double). */
  int pick = edgy ? g_rand_int_range (rand, 0, 100) : g_rand_int_range (rand, 0, 50);

  switch (kind)
    {
    case 0:
      {
        /* Mostly short, sometimes 15 to 20 digits. */
        int digits = pick < 80 ? g_rand_int_range (rand, 1, 8) : g_rand_int_range (rand, 15, 21);

        if (g_rand_int_range (rand, 0, 6) == 0)
          g_string_append_c (out, g_rand_boolean (rand) ? '-' : '+');
        for (int i = 0; i < digits; i++)
          g_string_append_c (out, (char) ('0' + g_rand_int_range (rand, 0, 10)));
        if (digits == 19 && g_rand_boolean (rand))
          {
            g_string_truncate (out, out->len - 19);
            g_string_append (out, g_rand_boolean (rand) ? "9223372036854775807"
                                                        : "9223372036854775808");
          }
      }
      break;
    case 1:
      if (pick < 40)
        g_string_append_printf (out, "%d.%d", g_rand_int_range (rand, -999, 1000),
                                g_rand_int_range (rand, 0, 100));
      else
        g_string_append (out,
                         doubles[g_rand_int_range (rand, 0, edgy ? G_N_ELEMENTS (doubles) : 7)]);
      break;
    case 2:
      g_string_append (out, bools[pick < 80 ? pick % 4 : g_rand_int_range (rand, 0, 7)]);
      break;
    case 3:
      {
        /* Mostly real dates; some with month 0/13, day 0/30/31/32, year 0000, Feb 29ths. */
        int y = edgy && pick < 2 ? 0 : g_rand_int_range (rand, 1, 10000);
        int m = pick < 85 ? g_rand_int_range (rand, 1, 13) : g_rand_int_range (rand, 0, 14);
        int d = pick < 70 ? g_rand_int_range (rand, 1, 29) : g_rand_int_range (rand, 0, 33);

        if (pick >= 95)
          y = 1900 + 4 * g_rand_int_range (rand, 0, 60), m = 2, d = 29;
        if (t->dmy && (!edgy || pick % 3 != 0))
          g_string_append_printf (out, "%02d/%02d/%04d", d, m, y);
        else if (edgy && pick % 17 == 0)
          g_string_append_printf (out, "%d-%d-%d", y, m, d); /* not yyyy-MM-dd */
        else
          g_string_append_printf (out, "%04d-%02d-%02d", y, m, d);
      }
      break;
    default:
      if (pick < 20)
        for (int i = g_rand_int_range (rand, 20, 150); i > 0; i--) /* across 64-byte blocks */
          g_string_append_c (out, (char) ('a' + g_rand_int_range (rand, 0, 26)));
      else
        g_string_append (out, strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))]);
      break;
    }
}

/* Appends @value quoted with @t's quote, escaping quotes with the escape or by doubling. */
static void
append_quoted (GRand *rand, const TypedCsv *t, const char *value, GString *out)
{
  g_string_append_c (out, t->quote);
  for (const char *c = value; *c != '\0'; c++)
    {
      if (*c == t->quote)
        g_string_append_c (out, g_rand_boolean (rand) && t->escape != '\0' ? t->escape : t->quote);
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, t->quote);
}

/* Random CSV whose columns mostly hold one type each, so columns widen (or do not) at random
 * rows; with quoted values (escaped quotes, separators and, with multiLine, newlines inside),
 * broken quoting, nullValue, blank, whitespace and comment lines, CRLF and lone CRs, leading
 * spaces, short and long rows, long values, a BOM, and no final newline at times. How much of
 * what turns values into strings (stray quotes and CRs, separators inside quotes, text after a
 * quote, values of other kinds) is random per file, so some files keep narrow types. */
static char *
random_typed_csv (GRand *rand, const TypedCsv *t, guint n_rows, guint n_cols)
{
  GString *out = g_string_new (NULL);
  g_autofree int *kinds = g_new (int, n_cols);
  g_autofree int *other = g_new (int, n_cols);
  g_autofree gboolean *edgy = g_new (gboolean, n_cols);
  int noise = g_rand_int_range (rand, 0, 3) * g_rand_int_range (rand, 0, 4); /* per mille */

  for (guint c = 0; c < n_cols; c++)
    {
      kinds[c] = g_rand_int_range (rand, 0, 5);
      /* The per-mille chance of a value of another kind: often none, so types stay narrow. */
      other[c] = g_rand_int_range (rand, 0, 2) == 0 ? 0 : g_rand_int_range (rand, 1, 12);
      edgy[c] = g_rand_boolean (rand);
    }
  if (g_rand_int_range (rand, 0, 8) == 0)
    g_string_append (out, "\xEF\xBB\xBF");
  for (guint r = 0; r < n_rows; r++)
    {
      guint cols = n_cols;
      int junk = g_rand_int_range (rand, 0, 100);

      if (junk < 3)
        g_string_append (out, junk == 0 ? "\n" : junk == 1 ? "  \t\n" : "\r\n");
      else if (junk < 5 && t->comment != '\0')
        g_string_append_printf (out, "%c1,\"x\n", t->comment);
      else if (junk < 8)
        cols = (guint) g_rand_int_range (rand, 1, (gint32) n_cols + 3);
      if (g_rand_int_range (rand, 0, 1000) < noise)
        g_string_append_c (out, ' ');
      for (guint c = 0; c < cols; c++)
        {
          g_autoptr (GString) value = g_string_new (NULL);
          int pick = g_rand_int_range (rand, 0, 1000);
          int how = g_rand_int_range (rand, 0, 1000);

          if (c > 0)
            g_string_append_c (out, t->sep);
          if (pick < 40)
            continue; /* empty: null */
          if (pick < 60 && t->null_value[0] != '\0')
            g_string_append (value, t->null_value);
          else
            random_value (rand,
                          c < n_cols && pick >= 60 + other[c] ? kinds[c]
                                                              : g_rand_int_range (rand, 0, 5),
                          c >= n_cols || edgy[c], t, value);
          if (how < noise && t->quote != '\0')
            g_string_append_c (value, t->quote); /* a stray quote: data, or broken quoting */
          else if (how < 2 * noise)
            g_string_insert_c (value, (gssize) g_rand_int_range (rand, 0, (gint32) value->len + 1),
                               how % 2 == 0 ? '\r' : t->sep == ',' ? ';' : ',');
          if (how >= 900 && t->quote != '\0')
            {
              /* Quoted: the value stays the same, unless it gets a separator, a newline or
               * text after the quote. */
              if (how >= 1000 - 3 * noise)
                g_string_append_c (value, how % 2 == 0 && t->multi_line ? '\n' : t->sep);
              append_quoted (rand, t, value->str, out);
              if (how >= 1000 - noise && how % 3 == 0)
                g_string_append_c (out, 'x'); /* text after the closing quote */
            }
          else
            g_string_append (out, value->str);
        }
      if (g_rand_int_range (rand, 0, 10) == 0)
        g_string_append_c (out, '\r');
      if (r + 1 < n_rows || g_rand_boolean (rand))
        g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static char *
types_text (const WeftDataType *types, guint n)
{
  GString *out = g_string_new (NULL);

  for (guint c = 0; c < n; c++)
    g_string_append_printf (out, "%s%s", c > 0 ? "," : "",
                            types[c] == 0 ? "-" : weft_data_type_name (types[c]));
  return g_string_free (out, FALSE);
}

/* Types @split with the tokenizer pass and with the scanner (both builds of it) and fails
 * when they differ (in types or in error). Returns TRUE when the passes succeeded. */
static gboolean
check_split_passes (const WeftCsvSplit *split, const WeftCsvOptions *o, guint n_cols,
                    const char *text)
{
  g_autofree WeftDataType *want = g_new0 (WeftDataType, n_cols + 1);
  g_autoptr (GError) want_error = NULL;
  gboolean want_ok = weft_csv_infer_split_with (split, o, n_cols, WEFT_CSV_INFER_TOKENIZER, want,
                                                &want_error);
  g_autofree char *want_text = types_text (want, n_cols);
  const WeftCsvInferPass passes[] = { WEFT_CSV_INFER_SCANNER, WEFT_CSV_INFER_SCANNER_BASELINE };

  for (gsize i = 0; i < G_N_ELEMENTS (passes); i++)
    {
      g_autofree WeftDataType *got = g_new0 (WeftDataType, n_cols + 1);
      g_autoptr (GError) error = NULL;
      gboolean ok = weft_csv_infer_split_with (split, o, n_cols, passes[i], got, &error);
      g_autofree char *got_text = types_text (got, n_cols);

      if (ok != want_ok || g_strcmp0 (got_text, want_text) != 0
          || (error != NULL && strcmp (error->message, want_error->message) != 0))
        g_error ("inference passes differ on split %" G_GINT64_FORMAT "+%" G_GINT64_FORMAT
                 " (sep '%c' quote '%c' escape '%c' comment '%c' nullValue \"%s\" multiLine %d "
                 "header %d read %" G_GSIZE_FORMAT ", %u columns):\n%s\n--- scanner %d: %s "
                 "%s\n--- tokenizer: %s %s",
                 split->start, split->length, o->sep, o->quote ? o->quote : '0',
                 o->escape ? o->escape : '0', o->comment ? o->comment : '0', o->null_value,
                 o->multi_line, o->header, o->read_bytes, n_cols, text, passes[i], got_text,
                 error ? error->message : "", want_text, want_error ? want_error->message : "");
    }
  return want_ok;
}

/* Property: on random typed CSV with random options, the scanner and the tokenizer pass give
 * the same types for every split of the plan, for arbitrary byte ranges, and for column counts
 * other than the file's; and the schema is the one every record parsed by libcsv gives. */
static void
test_infer_scanner_property (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240611);
  static const char seps[] = { ',', ',', ';', '\t', '|', ' ' };
  static const char *const null_values[] = { "", "", "NA", "null" };
  guint64 typed = 0, widened = 0;

  for (int iter = 0; iter < 400; iter++)
    {
      TypedCsv t = { 0 };
      g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
      g_autoptr (WeftCsvOptions) libcsv = NULL;
      g_autoptr (WeftSchema) want = NULL;
      g_autoptr (WeftSchema) got = NULL;
      g_autoptr (GPtrArray) splits = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;
      g_autofree char *path = NULL;
      g_autofree char *want_text = NULL;
      g_autofree char *got_text = NULL;
      const char *files[1];
      guint n_cols = (guint) g_rand_int_range (rand, 1, 9);
      int q = g_rand_int_range (rand, 0, 10);

      t.sep = seps[g_rand_int_range (rand, 0, G_N_ELEMENTS (seps))];
      t.quote = q < 7 ? '"' : q < 9 ? '\'' : '\0';
      t.escape = t.quote == '\0' ? '\\' : g_rand_boolean (rand) ? '\\' : t.quote;
      t.comment = g_rand_boolean (rand) ? '#' : '\0';
      t.null_value = null_values[g_rand_int_range (rand, 0, G_N_ELEMENTS (null_values))];
      t.multi_line = t.quote != '\0' && g_rand_int_range (rand, 0, 4) == 0;
      t.dmy = g_rand_int_range (rand, 0, 5) == 0;
      if (iter % 10 != 9)
        text = random_typed_csv (rand, &t, (guint) g_rand_int_range (rand, 0, 400), n_cols);
      else
        {
          /* Bytes from the structural and digit alphabets, control and high bytes, CRs. */
          static const char bytes[] = "0123456789-+.e,;|\t \"'#\\\r\n\n\nabT:\x01\xff";
          gsize len = (gsize) g_rand_int_range (rand, 0, 3000);

          text = g_malloc (len + 1);
          for (gsize i = 0; i < len; i++)
            text[i] = bytes[g_rand_int_range (rand, 0, sizeof bytes - 1)];
          text[len] = '\0';
        }
      path = write_file (fx, text, -1);
      files[0] = path;

      o->sep = t.sep;
      o->quote = t.quote;
      o->escape = t.escape;
      o->comment = t.comment;
      g_free (o->null_value);
      o->null_value = g_strdup (t.null_value);
      o->multi_line = t.multi_line;
      o->header = g_rand_boolean (rand);
      o->infer_schema = TRUE;
      if (t.dmy)
        g_assert_true (weft_csv_options_set (o, "dateFormat", "dd/MM/yyyy", NULL));
      o->read_bytes = g_rand_boolean (rand) ? (gsize) g_rand_int_range (rand, 1, 300) : 1 << 16;
      o->batch_rows = (gsize) g_rand_int_range (rand, 1, 100);
      o->split_bytes = g_rand_int_range (rand, 1, (gint32) strlen (text) + 2);
      g_assert_true (weft_csv_options_validate (o, NULL));

      /* Every split of the plan, with the file's width and with others. */
      splits = weft_csv_plan_splits (files, 1, o, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < splits->len; i++)
        {
          check_split_passes (splits->pdata[i], o, n_cols, text);
          if (i % 3 == 0)
            check_split_passes (splits->pdata[i], o, (guint) g_rand_int_range (rand, 0, 12),
                                text);
        }
      /* Arbitrary byte ranges (one split per file with multiLine: ranges there start at 0). */
      for (int k = 0; k < 4; k++)
        {
          gint64 size = (gint64) strlen (text);
          gint64 start = t.multi_line || size == 0 ? 0 : g_rand_int_range (rand, 0, (gint32) size);
          gint64 length = g_rand_int_range (rand, 0, (gint32) (size - start) + 2);
          g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, start, length);

          check_split_passes (split, o, n_cols, text);
        }

      /* The whole schema, against every record read by libcsv. */
      want = weft_csv_infer_schema (files, 1, o, &error);
      g_assert_no_error (error);
      libcsv = weft_csv_options_copy (o);
      libcsv->parser = WEFT_CSV_PARSER_LIBCSV;
      got = weft_csv_infer_schema (files, 1, libcsv, &error);
      g_assert_no_error (error);
      want_text = weft_schema_to_string (want);
      got_text = weft_schema_to_string (got);
      if (strcmp (want_text, got_text) != 0)
        g_error ("schemas differ on:\n%s\n--- scanner: %s\n--- libcsv: %s", text, want_text,
                 got_text);
      for (guint c = 0; c < weft_schema_get_n_fields (want); c++)
        {
          WeftDataType type = weft_schema_get_field (want, c)->type;

          typed += type != WEFT_DATA_TYPE_STRING;
          widened += type == WEFT_DATA_TYPE_DOUBLE;
        }
    }
  /* The generator must give typed columns (not only strings) for the property to mean much. */
  g_assert_cmpuint (typed, >, 200);
  g_assert_cmpuint (widened, >, 20);
}

/* The shapes the scanner decides itself, one value per file, against the tokenizer pass. */
static void
test_infer_scanner_values (Fixture *fx, gconstpointer data)
{
  static const char *const values[] = {
    "0", "7", "-7", "+7", "-", "+", "--1", "+-1", "1-", "0123", "1234567890123456",
    "12345678901234567", "123456789012345678", "-123456789012345678", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "12345678901234567890", " 1", "1 ", "1\t", "\x01" "1", "1.0", "1e5", "NaN", "-Inf",
    "Infinity", "true", "False", "2024-01-31", "2024-02-29", "2023-02-29", "1900-02-29",
    "2000-02-29", "0000-01-01", "0001-01-01", "9999-12-31", "2024-00-10", "2024-13-01",
    "2024-01-00", "2024-01-32", "2024-04-31", "2024-1-05", "2024-01-5", "2024/01/05",
    "2024-01-05T10:00", "2024-01-05 ", "20240105", "2a24-01-05", "2024-0a-05", "2024-01-0a",
    "abc", "1,5", "1\r", "\r1",
  };
  static const char *const formats[] = { "yyyy-MM-dd", "dd/MM/yyyy", "yyyy-M-d" };

  for (gsize f = 0; f < G_N_ELEMENTS (formats); f++)
    for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
      {
        g_autofree char *text = g_strdup_printf ("%s;x\n", values[i]);
        g_autofree char *path = write_file (fx, text, -1);
        g_autoptr (WeftCsvOptions) o =
          options_with ("sep", ";", "dateFormat", formats[f], "inferSchema", "true", NULL);
        g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, 0, (gint64) strlen (text));

        check_split_passes (split, o, 2, text);
      }
}

/* A task run elsewhere: weft_csv_infer_split() on what the inference exposes, recorded with
 * set_task_types(), gives the schema run_task() does, headers of every file skipped. */
static void
test_infer_split_api (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);

  for (int iter = 0; iter < 40; iter++)
    {
      TypedCsv t = { ',', '"', '\\', '\0', "", FALSE, FALSE };
      g_autoptr (WeftCsvOptions) o = options_with ("header", "true", "inferSchema", "true", NULL);
      g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (WeftCsvInference) local = NULL;
      g_autoptr (WeftCsvInference) remote = NULL;
      g_autoptr (WeftSchema) want = NULL;
      g_autoptr (WeftSchema) got = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *want_text = NULL;
      g_autofree char *got_text = NULL;
      guint n_files = (guint) g_rand_int_range (rand, 1, 4);
      guint n_cols = (guint) g_rand_int_range (rand, 1, 6);

      for (guint f = 0; f < n_files; f++)
        {
          guint n_rows = (guint) g_rand_int_range (rand, 0, 60);
          g_autofree char *body = random_typed_csv (rand, &t, n_rows, n_cols);
          GString *text = g_string_new (NULL);

          /* A header whose names would widen every column if it were typed as data. */
          for (guint c = 0; c < n_cols; c++)
            g_string_append_printf (text, "%scol%u", c > 0 ? "," : "", c);
          g_string_append_printf (text, "\n%s", body);
          g_ptr_array_add (paths, write_file (fx, text->str, (gssize) text->len));
          g_string_free (text, TRUE);
        }
      o->split_bytes = g_rand_int_range (rand, 1, 400);
      local = weft_csv_inference_new ((const char *const *) paths->pdata, n_files, o, &error);
      g_assert_no_error (error);
      remote = weft_csv_inference_new ((const char *const *) paths->pdata, n_files, o, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (weft_csv_inference_get_n_tasks (remote), ==,
                        weft_csv_inference_get_n_tasks (local));
      g_assert_cmpuint (weft_csv_inference_get_n_columns (remote), ==, n_cols);
      g_assert_cmpint (weft_csv_inference_get_options (remote)->mode, ==,
                       WEFT_CSV_MODE_PERMISSIVE);
      for (guint task = 0; task < weft_csv_inference_get_n_tasks (local); task++)
        {
          g_assert_true (weft_csv_inference_run_task (local, task, &error));
          g_assert_no_error (error);
        }
      /* Last task first: the order tasks report in does not matter. */
      for (guint k = weft_csv_inference_get_n_tasks (remote); k > 0; k--)
        {
          /* What an executor gets: a copy of the split and of the options. */
          const WeftCsvSplit *split = weft_csv_inference_get_split (remote, k - 1);
          g_autoptr (WeftCsvSplit) copy = weft_csv_split_new (split->path, split->start,
                                                              split->length);
          g_autoptr (WeftCsvOptions) opts =
            weft_csv_options_copy (weft_csv_inference_get_options (remote));
          g_autofree WeftDataType *types = g_new0 (WeftDataType, n_cols);

          g_assert_true (weft_csv_infer_split (copy, opts, n_cols, types, &error));
          g_assert_no_error (error);
          weft_csv_inference_set_task_types (remote, k - 1, types);
        }
      want = weft_csv_inference_finish (local);
      got = weft_csv_inference_finish (remote);
      want_text = weft_schema_to_string (want);
      got_text = weft_schema_to_string (got);
      g_assert_cmpstr (got_text, ==, want_text);
      for (guint c = 0; c < n_cols; c++)
        {
          g_autofree char *name = g_strdup_printf ("col%u", c);

          g_assert_cmpstr (weft_schema_get_field (got, c)->name, ==, name);
        }
    }
}

/* weft_csv_infer_split() by hand: the header is the first record of a split at offset 0 only;
 * a later split starts after the line it starts in; fields past n_cols are not typed. */
static void
test_infer_split_header (Fixture *fx, gconstpointer data)
{
  /* Offsets: "a,b\n" 0-3, "1,x\n" 4-7, "2,3\n" 8-11, "4,5,z\n" 12-17. */
  const char *text = "a,b\n1,x\n2,3\n4,5,z\n";
  g_autofree char *path = write_file (fx, text, -1);
  g_autoptr (WeftCsvOptions) h = options_with ("header", "true", NULL);
  g_autoptr (WeftCsvOptions) n = weft_csv_options_new ();
  const struct
  {
    const WeftCsvOptions *options;
    gint64 start, length;
    guint n_cols;
    const char *types;
  } cases[] = {
    { h, 0, 18, 2, "bigint,string" },
    { n, 0, 18, 2, "string,string" },         /* no header: "a,b" is data */
    { h, 0, 4, 2, "bigint,string" },          /* the header, then "1,x" (it starts at the end) */
    { h, 0, 3, 2, "-,-" },                    /* only the header */
    { h, 5, 13, 2, "bigint,bigint" },         /* starts inside "1,x": from "2,3" on */
    { h, 4, 4, 2, "bigint,bigint" },          /* starts at "1,x", so the previous split has it */
    { n, 8, 10, 3, "bigint,bigint,string" },  /* starts at "2,3": from "4,5,z" on */
    { n, 7, 4, 3, "bigint,bigint,-" },        /* ends at 11: "4,5,z" (at 12) is the next's */
    { n, 7, 5, 3, "bigint,bigint,string" },   /* ends at 12: "4,5,z" is ours */
    { n, 7, 10, 1, "bigint" },                /* fields past the last column are ignored */
    { n, 7, 10, 0, "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, cases[i].start, cases[i].length);
      WeftDataType types[4] = { 0 };
      g_autoptr (GError) error = NULL;
      g_autofree char *got = NULL;

      g_assert_true (
        weft_csv_infer_split (split, cases[i].options, cases[i].n_cols, types, &error));
      g_assert_no_error (error);
      got = types_text (types, cases[i].n_cols);
      if (strcmp (got, cases[i].types) != 0)
        g_error ("case %" G_GSIZE_FORMAT ": got %s, want %s", i, got, cases[i].types);
      check_split_passes (split, cases[i].options, cases[i].n_cols, text);
    }
  /* A file that cannot be read is an error, not a crash. */
  {
    g_autoptr (WeftCsvSplit) split = weft_csv_split_new ("/nonexistent/x.csv", 0, 10);
    WeftDataType types[2] = { 0 };
    g_autoptr (GError) error = NULL;

    g_assert_false (weft_csv_infer_split (split, n, 2, types, &error));
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO);
    g_assert_cmpint (types[0], ==, 0);
  }
}

/* Regression: columnNameOfCorruptRecord naming one of the _c<i> columns inference reads with
 * made the last column go unread (and inferred as a string). */
static void
test_infer_corrupt_column_name (Fixture *fx, gconstpointer data)
{
  static const char *const names[] = { "_corrupt_record", "_c0", "_C1", "_c2" };
  g_autofree char *path = write_file (fx, "1,x,2.5\n2,y,3\n", -1);
  const char *files[] = { path };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (WeftCsvOptions) o =
        options_with ("inferSchema", "true", "columnNameOfCorruptRecord", names[i], NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (WeftSchema) schema = weft_csv_infer_schema (files, 1, o, &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = weft_schema_to_string (schema);
      g_assert_cmpstr (text, ==, "_c0:bigint?, _c1:string?, _c2:double?");
    }
}

/* ---- Corrupt input and files ----------------------------------------------------------------- */

static void
test_corrupt_input (Fixture *fx, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (WeftSchema) schema = schema_of ("a:int64,b:string,c:date,_corrupt_record:string");

  /* Random bytes (NULs, lone quotes, CRs) never crash any mode or parser. */
  for (int iter = 0; iter < 200; iter++)
    {
      gsize len = (gsize) g_rand_int_range (rand, 0, 2000);
      g_autofree char *bytes = g_malloc (len + 1);
      g_autofree char *path = NULL;
      g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
      g_autoptr (GError) error = NULL;
      g_autofree char *rows = NULL;
      static const char pool[] = { '"', ',', '\n', '\r', '\\', '\0', 'a', '1', ' ', '#', '\xff' };

      for (gsize i = 0; i < len; i++)
        bytes[i] = pool[g_rand_int_range (rand, 0, sizeof pool)];
      path = write_file (fx, bytes, (gssize) len);
      o->mode = (WeftCsvMode) (iter % 3);
      o->multi_line = iter % 4 == 0;
      o->comment = iter % 5 == 0 ? '#' : '\0';
      o->parser = iter % 7 == 0 ? WEFT_CSV_PARSER_LIBCSV : WEFT_CSV_PARSER_AUTO;
      o->read_bytes = (gsize) g_rand_int_range (rand, 1, 300);
      o->split_bytes = g_rand_int_range (rand, 1, 3000);
      o->max_record_bytes = 1000;
      rows = read_one (path, o, schema, NULL, &error);
      if (rows == NULL)
        g_assert_true (error->code == WEFT_ENGINE_ERROR_MALFORMED
                       || error->code == WEFT_ENGINE_ERROR_TOO_LARGE);
      else
        g_assert_no_error (error);
    }
}

static void
test_record_too_large (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = options_with ("multiLine", "true", NULL);
  g_autoptr (GString) text = g_string_new ("a,b\n\"open quote,");
  g_autofree char *path = NULL;
  g_autoptr (WeftSchema) schema = schema_of ("a:string,b:string");
  g_autoptr (GError) error = NULL;
  g_autofree char *rows = NULL;

  for (int i = 0; i < 5000; i++)
    g_string_append (text, "x,y\n");
  path = write_file (fx, text->str, (gssize) text->len);
  o->max_record_bytes = 4096;
  o->read_bytes = 1000;
  rows = read_one (path, o, schema, NULL, &error);
  g_assert_null (rows);
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, ":2: record longer than 4096 bytes"));
}

static void
test_list_files (Fixture *fx, gconstpointer data)
{
  g_autofree char *sub = g_build_filename (fx->dir, "out", NULL);
  g_autofree char *p1 = g_build_filename (sub, "part-00001.csv", NULL);
  g_autofree char *p0 = g_build_filename (sub, "part-00000.csv", NULL);
  g_autofree char *succ = g_build_filename (sub, "_SUCCESS", NULL);
  g_autofree char *hidden = g_build_filename (sub, ".part-00000.csv.crc", NULL);
  g_autofree char *glob = g_build_filename (sub, "part-*.csv", NULL);
  g_autofree char *missing = g_build_filename (fx->dir, "nope", NULL);
  g_autoptr (GPtrArray) in_folder = NULL;
  g_autoptr (GPtrArray) by_glob = NULL;
  g_autoptr (GPtrArray) single = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  g_assert_true (g_file_set_contents (p1, "b\n", -1, NULL));
  g_assert_true (g_file_set_contents (p0, "a\n", -1, NULL));
  g_assert_true (g_file_set_contents (succ, "", -1, NULL));
  g_assert_true (g_file_set_contents (hidden, "x", -1, NULL));

  in_folder = weft_csv_list_files (sub, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (in_folder->len, ==, 2);
  g_assert_cmpstr (in_folder->pdata[0], ==, p0);
  g_assert_cmpstr (in_folder->pdata[1], ==, p1);
  by_glob = weft_csv_list_files (glob, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (by_glob->len, ==, 2);
  single = weft_csv_list_files (p1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (single->len, ==, 1);
  g_assert_null (weft_csv_list_files (missing, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO);
  g_clear_error (&error);

  /* Splits: sizes, order, multiLine keeps files whole. */
  {
    g_autofree char *big = g_build_filename (fx->dir, "big.csv", NULL);
    g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
    const char *files[] = { big, p0 };
    g_autoptr (GPtrArray) splits = NULL;
    g_autoptr (GPtrArray) whole = NULL;
    WeftCsvSplit *s;

    g_assert_true (g_file_set_contents (big, "0123456789012345678901234", 25, NULL));
    o->split_bytes = 10;
    splits = weft_csv_plan_splits (files, 2, o, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (splits->len, ==, 4);
    s = splits->pdata[2];
    g_assert_cmpint (s->start, ==, 20);
    g_assert_cmpint (s->length, ==, 5);
    s = splits->pdata[3];
    g_assert_cmpstr (s->path, ==, p0);
    o->multi_line = TRUE;
    whole = weft_csv_plan_splits (files, 2, o, &error);
    g_assert_cmpuint (whole->len, ==, 2);
    files[1] = missing;
    g_assert_null (weft_csv_plan_splits (files, 2, o, &error));
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO);
    g_clear_error (&error);
  }

  /* Opening a missing file fails cleanly; so does a multiLine split not at 0. */
  {
    g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
    g_autoptr (WeftSchema) schema = schema_of ("a:string");
    g_autoptr (WeftCsvSplit) split = weft_csv_split_new (missing, 0, 10);
    g_autoptr (WeftCsvSplit) mid = weft_csv_split_new (p0, 1, 10);

    g_assert_null (weft_csv_scan_new (o, schema, split, NULL, 0, NULL, &error));
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_IO);
    g_clear_error (&error);
    o->multi_line = TRUE;
    g_assert_null (weft_csv_scan_new (o, schema, mid, NULL, 0, NULL, &error));
    g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_OPTION);
    g_clear_error (&error);
  }
}

static void
test_bad_schema (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = weft_csv_options_new ();
  g_autofree char *path = write_file (fx, "1\n", -1);
  g_autoptr (WeftSchema) schema = schema_of ("a:int64,_corrupt_record:int64");
  g_autoptr (WeftSchema) ok = schema_of ("a:int64,_corrupt_record:string");
  g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, 0, 2);
  const guint corrupt[] = { 1 };
  WeftCsvPredicate pred = { corrupt, 1, age_over_30, NULL };
  g_autoptr (GError) error = NULL;

  g_assert_null (weft_csv_scan_new (o, schema, split, NULL, 0, NULL, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
  g_clear_error (&error);
  g_assert_null (weft_csv_scan_new (o, ok, split, NULL, 0, &pred, &error));
  g_assert_error (error, WEFT_ENGINE_ERROR, WEFT_ENGINE_ERROR_BAD_SCHEMA);
}

static void
test_stats_and_bytes (Fixture *fx, gconstpointer data)
{
  g_autoptr (WeftCsvOptions) o = options_with ("header", "true", NULL);
  g_autofree char *path = write_file (fx, people, -1);
  g_autoptr (WeftSchema) schema = schema_of ("id:int64,name:string,age:int64,city:string");
  g_autoptr (WeftCsvSplit) split = weft_csv_split_new (path, 0, (gint64) strlen (people));
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftCsvScan) scan = weft_csv_scan_new (o, schema, split, NULL, 0, NULL, &error);
  WeftCsvScanStats stats;
  WeftBatch *batch = NULL;

  g_assert_no_error (error);
  g_assert_true (weft_csv_scan_next (scan, &batch, &error));
  g_assert_nonnull (batch);
  g_assert_cmpuint (batch->n_rows, ==, 5);
  weft_batch_free (batch);
  weft_csv_scan_get_stats (scan, &stats);
  g_assert_cmpuint (stats.records, ==, 5);
  g_assert_cmpuint (stats.rows_out, ==, 5);
  g_assert_cmpuint (stats.malformed, ==, 0);
  g_assert_cmpuint (stats.slow_records, ==, 1); /* the Carol line */
  g_assert_cmpuint (stats.bytes_read, ==, strlen (people));
  g_assert_cmpuint (weft_csv_scan_get_bytes (scan), >, 2 * o->read_bytes);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn, data) \
  g_test_add (path, Fixture, data, fixture_setup, fn, fixture_teardown)
  g_test_add_func ("/engine/csv/options", test_options);
  ADD ("/engine/csv/read/defaults", test_defaults, NULL);
  ADD ("/engine/csv/read/header", test_header, NULL);
  ADD ("/engine/csv/read/quotes-escapes", test_quotes_escapes, NULL);
  ADD ("/engine/csv/read/multiline", test_multiline, NULL);
  ADD ("/engine/csv/read/blank-crlf-comment", test_blank_crlf_comment, NULL);
  ADD ("/engine/csv/read/empty-and-one-row", test_empty_and_one_row, NULL);
  ADD ("/engine/csv/read/bom-tab-nullvalue", test_bom_tab_nullvalue, NULL);
  ADD ("/engine/csv/mode/permissive", test_mode_permissive, NULL);
  ADD ("/engine/csv/mode/dropmalformed", test_mode_dropmalformed, NULL);
  ADD ("/engine/csv/mode/failfast", test_mode_failfast, NULL);
  ADD ("/engine/csv/typed/conversion", test_typed, NULL);
  ADD ("/engine/csv/typed/infer", test_infer, NULL);
  ADD ("/engine/csv/scan/projection-predicate", test_projection_predicate, NULL);
  ADD ("/engine/csv/scan/pruning", test_pruning, NULL);
  ADD ("/engine/csv/scan/stats-and-bytes", test_stats_and_bytes, NULL);
  ADD ("/engine/csv/scan/bad-schema", test_bad_schema, NULL);
  ADD ("/engine/csv/split/line-boundaries", test_split_line_boundaries, NULL);
  ADD ("/engine/csv/split/property", test_split_property, GINT_TO_POINTER (FALSE));
  ADD ("/engine/csv/split/property-header", test_split_property, GINT_TO_POINTER (TRUE));
  ADD ("/engine/csv/parse/fast-vs-libcsv", test_fast_vs_libcsv, NULL);
  ADD ("/engine/csv/parse/reference-split", test_reference_split, NULL);
  ADD ("/engine/csv/infer/scanner-property", test_infer_scanner_property, NULL);
  ADD ("/engine/csv/infer/scanner-values", test_infer_scanner_values, NULL);
  ADD ("/engine/csv/infer/split-api", test_infer_split_api, NULL);
  ADD ("/engine/csv/infer/split-header", test_infer_split_header, NULL);
  ADD ("/engine/csv/infer/corrupt-column-name", test_infer_corrupt_column_name, NULL);
  ADD ("/engine/csv/error/corrupt-input", test_corrupt_input, NULL);
  ADD ("/engine/csv/error/record-too-large", test_record_too_large, NULL);
  ADD ("/engine/csv/files/list-and-plan", test_list_files, NULL);
#undef ADD
  return g_test_run ();
}
